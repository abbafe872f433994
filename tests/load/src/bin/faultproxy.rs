//! `faultproxy`: a TCP proxy for the fault runs (scripts/faults), on 127.0.0.1 only.
//!
//! - With several `--upstream`s it is the load balancer in front of the nodes: each new
//!   connection goes to the next upstream in turn, and to the one after when that refuses (a
//!   node killed with `kill -9` drops out of the rotation at once, as behind HAProxy's
//!   `redispatch`).
//! - With one, it stands between the nodes and Redis or Postgres and injects faults on
//!   signal: `SIGUSR1` toggles *drop* (every open connection is cut and new ones are closed at
//!   once), `SIGUSR2` toggles *latency* (each chunk, each way, waits `--latency-ms` first).
//!
//! TLS passes through untouched (it is layer 4). Written here rather than taken from
//! toxiproxy (a Go program, not in the registries this machine reaches): a hundred lines of
//! tokio.

#![allow(clippy::print_stdout, clippy::print_stderr)] // A command line prints its state.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// What the proxy does now; shared by every connection.
struct Faults {
    /// Cut everything.
    dropping: AtomicBool,
    /// Delay every chunk.
    slow: AtomicBool,
    latency: Duration,
    /// Bumped when `dropping` turns on: open connections end.
    cut: watch::Sender<u64>,
    next: AtomicUsize,
    upstreams: Vec<SocketAddr>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (listen, upstreams, latency) = arguments()?;
    let (cut, _) = watch::channel(0);
    let faults = Arc::new(Faults {
        dropping: AtomicBool::new(false),
        slow: AtomicBool::new(false),
        latency,
        cut,
        next: AtomicUsize::new(0),
        upstreams,
    });
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listen on {listen}"))?;
    tokio::spawn(toggles(Arc::clone(&faults)));
    println!("faultproxy {listen} -> {:?}", faults.upstreams);
    loop {
        let (client, _) = listener.accept().await?;
        let faults = Arc::clone(&faults);
        tokio::spawn(async move {
            if faults.dropping.load(Ordering::Relaxed) {
                return; // closed at once
            }
            let Some(server) = dial(&faults).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            pipe(client, server, &faults).await;
        });
    }
}

/// `--listen ADDR --upstream ADDR… [--latency-ms N]`, every address on 127.0.0.1.
fn arguments() -> anyhow::Result<(SocketAddr, Vec<SocketAddr>, Duration)> {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut upstreams, mut latency) = (None, Vec::new(), 200u64);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => listen = Some(value.parse::<SocketAddr>()?),
            "--upstream" => upstreams.push(value.parse::<SocketAddr>()?),
            "--latency-ms" => latency = value.parse()?,
            _ => bail!("unknown option {flag} (--listen, --upstream, --latency-ms)"),
        }
    }
    let listen = listen.context("--listen 127.0.0.1:PORT")?;
    if upstreams.is_empty() {
        bail!("at least one --upstream");
    }
    if !listen.ip().is_loopback() || upstreams.iter().any(|u| !u.ip().is_loopback()) {
        bail!("every address is on 127.0.0.1");
    }
    Ok((listen, upstreams, Duration::from_millis(latency)))
}

/// The next upstream in turn that accepts, trying each once.
async fn dial(faults: &Faults) -> Option<TcpStream> {
    let count = faults.upstreams.len();
    let first = faults.next.fetch_add(1, Ordering::Relaxed);
    for i in 0..count {
        let upstream = faults.upstreams[(first + i) % count];
        if let Ok(Ok(stream)) =
            tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(upstream)).await
        {
            return Some(stream);
        }
    }
    None
}

/// Copies both ways until either side closes or a drop cuts the connection.
async fn pipe(client: TcpStream, server: TcpStream, faults: &Faults) {
    let mut cut = faults.cut.subscribe();
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        _ = copy(client_read, server_write, faults) => {}
        _ = copy(server_read, client_write, faults) => {}
        _ = cut.changed() => {}
    }
}

async fn copy(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    faults: &Faults,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if faults.slow.load(Ordering::Relaxed) {
            tokio::time::sleep(faults.latency).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// `SIGUSR1` toggles drop, `SIGUSR2` latency.
async fn toggles(faults: Arc<Faults>) -> anyhow::Result<()> {
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut usr2 = signal(SignalKind::user_defined2())?;
    loop {
        tokio::select! {
            _ = usr1.recv() => {
                let dropping = !faults.dropping.fetch_xor(true, Ordering::Relaxed);
                if dropping {
                    faults.cut.send_modify(|epoch| *epoch += 1);
                }
                println!("drop {}", if dropping { "on" } else { "off" });
            }
            _ = usr2.recv() => {
                let slow = !faults.slow.fetch_xor(true, Ordering::Relaxed);
                println!("latency {}", if slow { "on" } else { "off" });
            }
        }
    }
}
