//! Real Redis deployments started from `redis-server` and `redis-cli` (scripts/test installs
//! them), each test its own, on 127.0.0.1, stopped when dropped:
//!
//! - [`RedisServer`]: one server (to stop, freeze or restart);
//! - [`RedisCluster`]: three masters and three replicas, joined by `redis-cli --cluster create`;
//! - [`RedisSentinels`]: a master, a replica and three Sentinels watching them.
//!
//! Ports come from [`crate::free_port`] (below the ephemeral range, with the cluster-bus port
//! free too).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{free_port, wait_until};

/// The `redis-server` binary (`REDIS_SERVER` overrides).
fn server_binary() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into())
}

/// Runs `redis-cli -p port args…` and returns what it printed.
pub fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli is installed (scripts/test ensures it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One redis-server process.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    /// Its port.
    pub port: u16,
    args: Vec<String>,
}

impl RedisServer {
    /// A plain server on a free port, nothing kept on disk.
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    /// A plain server on `port`.
    pub async fn start_on(port: u16) -> Self {
        Self::start_with(port, Vec::new()).await
    }

    /// A server on `port` with extra arguments (cluster or replica settings).
    pub async fn start_with(port: u16, extra: Vec<String>) -> Self {
        let mut args: Vec<String> = [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(extra);
        let mut server = Self {
            child: None,
            port,
            args,
        };
        server.restart().await;
        server
    }

    /// Starts the process again (after `kill`), with the same arguments.
    pub async fn restart(&mut self) {
        let child = Command::new(server_binary())
            .args(&self.args)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/test ensures it)");
        self.child = Some(child);
        let port = self.port;
        let up = wait_until(
            Duration::from_secs(10),
            Duration::from_millis(20),
            async || cli(port, &["PING"]).trim() == "PONG",
        )
        .await;
        assert!(up, "redis-server on {port} answers");
        let exited = self
            .child
            .as_mut()
            .map(|c| c.try_wait().ok().flatten().is_some());
        assert_eq!(
            exited,
            Some(false),
            "our redis-server on {port} runs (another took the port?)"
        );
    }

    /// Sends a signal (`-STOP` freezes it with its connections open, `-CONT` thaws it).
    pub fn signal(&self, signal: &str) {
        let pid = self
            .child
            .as_ref()
            .map(Child::id)
            .expect("a running server");
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal}");
    }

    /// `kill -9`: gone at once, nothing saved, its clients see the connection drop.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `ROLE`'s first word: `master`, `slave` or `sentinel`.
    pub fn role(&self) -> String {
        cli(self.port, &["ROLE"])
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fresh folder under the system's temporary directory.
fn scratch(kind: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("redis-{kind}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Three masters, three replicas.
#[derive(Debug)]
pub struct RedisCluster {
    /// The six servers, masters first as `--cluster create` paired them.
    pub nodes: Vec<RedisServer>,
    dir: PathBuf,
}

impl RedisCluster {
    /// Starts six cluster-enabled servers (node timeout 1 s) and joins them.
    pub async fn start() -> Self {
        let dir = scratch("cluster");
        let mut nodes = Vec::new();
        for _ in 0..6 {
            let port = free_port();
            let conf = dir.join(format!("nodes-{port}.conf"));
            let extra = vec![
                "--cluster-enabled".into(),
                "yes".into(),
                "--cluster-config-file".into(),
                conf.display().to_string(),
                "--cluster-node-timeout".into(),
                "1000".into(),
                // A replica takes over however long since it last heard its master (the
                // default refuses when the link was idle: availability first).
                "--cluster-replica-validity-factor".into(),
                "0".into(),
                "--dir".into(),
                dir.display().to_string(),
            ];
            nodes.push(RedisServer::start_with(port, extra).await);
        }
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let out = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "redis-cli --cluster create: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let cluster = Self { nodes, dir };
        cluster.wait_until_healthy().await;
        cluster
    }

    /// Waits until every live node says `cluster_state:ok` and counts every dead node as
    /// failed (after a `kill`, the replica has taken over).
    pub async fn wait_until_healthy(&self) {
        let live: Vec<u16> = self.live_ports();
        let dead: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| n.child.is_none())
            .map(|n| format!("127.0.0.1:{}@", n.port))
            .collect();
        let ok = wait_until(
            Duration::from_secs(30),
            Duration::from_millis(100),
            async || {
                live.iter().all(|p| {
                    let nodes = cli(*p, &["CLUSTER", "NODES"]);
                    cli(*p, &["CLUSTER", "INFO"]).contains("cluster_state:ok")
                        && dead.iter().all(|d| {
                            nodes
                                .lines()
                                .any(|line| line.contains(d.as_str()) && line.contains(",fail "))
                        })
                })
            },
        )
        .await;
        assert!(ok, "the cluster converges");
    }

    fn live_ports(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|n| n.child.is_some())
            .map(|n| n.port)
            .collect()
    }

    /// `redis+cluster://` with every node as a seed.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        format!("redis+cluster://{}", seeds.join(","))
    }

    /// The index of the master serving `key`.
    pub fn master_of(&self, key: &str) -> usize {
        let slot = cli(self.nodes[0].port, &["CLUSTER", "KEYSLOT", key]);
        let slot: u16 = slot.trim().parse().unwrap();
        let shards = cli(self.nodes[0].port, &["CLUSTER", "SLOTS"]);
        // redis-cli prints CLUSTER SLOTS flattened: start, end, then the master's ip, port, id…
        let lines: Vec<&str> = shards.lines().map(str::trim).collect();
        for window in lines.windows(4) {
            if let (Ok(start), Ok(end), Ok(port)) = (
                window[0].parse::<u16>(),
                window[1].parse::<u16>(),
                window[3].parse::<u16>(),
            ) && window[2] == "127.0.0.1"
                && (start..=end).contains(&slot)
            {
                return self.nodes.iter().position(|n| n.port == port).unwrap();
            }
        }
        panic!("no master for slot {slot}: {shards}");
    }

    /// Folder of the nodes' configuration files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The name the Sentinels know the master by.
pub const MASTER_NAME: &str = "idpmaster";

/// A master, one replica and three Sentinels (quorum 2, master down after 1 s).
#[derive(Debug)]
pub struct RedisSentinels {
    /// The first master.
    pub master: RedisServer,
    /// Its replica.
    pub replica: RedisServer,
    /// The Sentinels.
    pub sentinels: Vec<RedisServer>,
    dir: PathBuf,
}

impl RedisSentinels {
    /// Starts the five servers and waits until every Sentinel sees the replica and the others.
    pub async fn start() -> Self {
        let dir = scratch("sentinel");
        let master = RedisServer::start().await;
        let replica = RedisServer::start_with(
            free_port(),
            vec![
                "--replicaof".into(),
                "127.0.0.1".into(),
                master.port.to_string(),
            ],
        )
        .await;
        let mut sentinels = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let conf = dir.join(format!("sentinel-{port}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "sentinel monitor {MASTER_NAME} 127.0.0.1 {} 2\n\
                     sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
                     sentinel failover-timeout {MASTER_NAME} 5000\n\
                     sentinel parallel-syncs {MASTER_NAME} 1\n",
                    master.port
                ),
            )
            .unwrap();
            let mut sentinel = RedisServer {
                child: None,
                port,
                args: vec![
                    conf.display().to_string(),
                    "--sentinel".into(),
                    "--port".into(),
                    port.to_string(),
                    "--bind".into(),
                    "127.0.0.1".into(),
                    "--dir".into(),
                    dir.display().to_string(),
                ],
            };
            sentinel.restart().await;
            sentinels.push(sentinel);
        }
        let set = Self {
            master,
            replica,
            sentinels,
            dir,
        };
        let ports: Vec<u16> = set.sentinels.iter().map(|s| s.port).collect();
        let replica_port = set.replica.port.to_string();
        let ready = wait_until(
            Duration::from_secs(30),
            Duration::from_millis(200),
            async || {
                ports.iter().all(|p| {
                    cli(*p, &["SENTINEL", "REPLICAS", MASTER_NAME]).contains(&replica_port)
                        && cli(*p, &["SENTINEL", "SENTINELS", MASTER_NAME])
                            .matches("127.0.0.1")
                            .count()
                            >= 2
                })
            },
        )
        .await;
        assert!(ready, "the Sentinels see the replica and each other");
        set
    }

    /// `redis+sentinel://` with the three Sentinels.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port))
            .collect();
        format!("redis+sentinel://{}/{MASTER_NAME}", hosts.join(","))
    }

    /// The port the Sentinels name as master now.
    pub fn master_port(&self) -> u16 {
        let answer = cli(
            self.sentinels[0].port,
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME],
        );
        answer
            .lines()
            .nth(1)
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_default()
    }
}

impl Drop for RedisSentinels {
    fn drop(&mut self) {
        for sentinel in &mut self.sentinels {
            sentinel.kill();
        }
        self.replica.kill();
        self.master.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
