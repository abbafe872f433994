//! A real Postgres primary and its streaming replica for one test, made with the installed
//! server's own tools (`initdb`, `pg_basebackup -R`, `pg_ctl promote`) on free ports of
//! 127.0.0.1, stopped and removed when dropped. Replication is synchronous
//! (`synchronous_standby_names = '*'`): a commit is acknowledged once the replica has it, so a
//! failover loses no acknowledged write — the setting a deployment that promises that needs.
//!
//! The servers run as the `postgres` system user when the tests run as root (initdb refuses
//! root), as the current user otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{free_port, wait_until};

/// The newest installed server's `bin` folder.
fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("a Postgres server is installed (scripts/test ensures it)")
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().expect("initdb under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// A server tool, to run as the clusters' owner.
fn tool(name: &str, args: &[&str]) -> Command {
    let program = bin_dir().join(name);
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&program);
        c
    } else {
        Command::new(&program)
    };
    command.args(args).current_dir("/");
    command
}

/// Runs a server tool; panics with its output when it fails.
fn run(name: &str, args: &[&str]) -> String {
    let out = tool(name, args).output().unwrap();
    assert!(
        out.status.success(),
        "{name} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One server: its data folder and port.
#[derive(Debug)]
pub struct PgServer {
    /// Data folder.
    pub data: PathBuf,
    /// Port on 127.0.0.1.
    pub port: u16,
    running: bool,
}

impl PgServer {
    fn start(&mut self) {
        let log = self.data.with_extension("log");
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {}",
            self.port,
            self.data.parent().unwrap().display()
        );
        run(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-l",
                &log.display().to_string(),
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ],
        );
        self.running = true;
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`).
    pub fn crash(&mut self) {
        if self.running {
            run(
                "pg_ctl",
                &[
                    "-D",
                    &self.data.display().to_string(),
                    "-m",
                    "immediate",
                    "stop",
                ],
            );
            self.running = false;
        }
    }

    /// [`PgServer::crash`] without asserting (while unwinding).
    fn stop_quietly(&mut self) {
        if std::mem::take(&mut self.running) {
            let data = self.data.display().to_string();
            let _ = tool("pg_ctl", &["-D", &data, "-m", "immediate", "stop"]).output();
        }
    }

    /// Promotes a standby to primary and waits until it accepts writes.
    pub fn promote(&self) {
        run(
            "pg_ctl",
            &["-D", &self.data.display().to_string(), "-w", "promote"],
        );
    }
}

/// A primary and its synchronous streaming replica.
#[derive(Debug)]
pub struct PgPair {
    /// The primary.
    pub primary: PgServer,
    /// The replica (hot standby).
    pub replica: PgServer,
    dir: PathBuf,
}

impl PgPair {
    /// initdb, start the primary, base-backup the replica from it, start the replica, and
    /// wait until the primary counts it as its synchronous standby.
    pub async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("pg-pair-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["postgres:", &dir.display().to_string()])
                .status()
                .unwrap();
            assert!(status.success(), "chown the scratch folder to postgres");
        }
        let mut primary = PgServer {
            data: dir.join("primary"),
            port: free_port(),
            running: false,
        };
        run(
            "initdb",
            &[
                "-D",
                &primary.data.display().to_string(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
        );
        append(
            &primary.data.join("postgresql.conf"),
            "synchronous_standby_names = '*'\nwal_level = replica\nfsync = off\n",
        );
        primary.start();
        let mut replica = PgServer {
            data: dir.join("replica"),
            port: free_port(),
            running: false,
        };
        run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
                "-D",
                &replica.data.display().to_string(),
                "-R",
                "-X",
                "stream",
            ],
        );
        // The replica has no standby of its own: once promoted it must not wait for one (the
        // base backup copied the primary's setting). A failover manager does the same.
        append(
            &replica.data.join("postgresql.auto.conf"),
            "synchronous_standby_names = ''\n",
        );
        replica.start();
        let pair = Self {
            primary,
            replica,
            dir,
        };
        let port = pair.primary.port;
        let streaming = wait_until(
            Duration::from_secs(30),
            Duration::from_millis(100),
            async || {
                psql(
                    port,
                    "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'",
                ) == "1"
            },
        )
        .await;
        assert!(streaming, "the replica streams synchronously");
        pair
    }

    /// A URL naming both servers, for the one that accepts writes.
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs=read-write&connect_timeout=2",
            self.primary.port, self.replica.port
        )
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop_quietly();
    }
}

impl Drop for PgPair {
    fn drop(&mut self) {
        self.replica.stop_quietly();
        self.primary.stop_quietly();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One value from `psql` on `port` (trimmed; empty on failure).
pub fn psql(port: u16, sql: &str) -> String {
    Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-At",
            "-c",
            sql,
        ])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn append(file: &Path, text: &str) {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}
