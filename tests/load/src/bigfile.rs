//! One large attachment through the messaging API: uploaded as a stream (PDF magic, then
//! pseudo-random bytes sent from one 1 MiB block, so the generator costs next to nothing),
//! then downloaded and counted; each direction timed, and the messaging process's resident
//! memory sampled every 20 ms throughout. The server checks the SHA-256 on the way out (a
//! wrong byte ends the download with an error); the upload's answer must carry the SHA-256
//! computed here before the clock starts.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use crate::procfs;

/// One block of the file.
const BLOCK: usize = 1024 * 1024;

/// The file's content, block by block: the same block but for the first, which starts with
/// the PDF magic.
fn blocks(size: u64) -> (reqwest::Body, Vec<u8>) {
    let mut block = vec![0u8; BLOCK];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in &mut block {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = (x >> 24) as u8;
    }
    let mut first = block.clone();
    first[..9].copy_from_slice(b"%PDF-1.7\n");
    let first = bytes::Bytes::from(first);
    let block = bytes::Bytes::from(block);
    let count = size.div_ceil(BLOCK as u64);
    let last_len = (size - (count - 1) * BLOCK as u64) as usize;
    let mut sha = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let chunks: Vec<bytes::Bytes> = (0..count)
        .map(|i| {
            let whole = if i == 0 { first.clone() } else { block.clone() };
            if i + 1 == count {
                whole.slice(..last_len)
            } else {
                whole
            }
        })
        .collect();
    for c in &chunks {
        sha.update(c);
    }
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
    (
        reqwest::Body::wrap_stream(stream),
        sha.finish().as_ref().to_vec(),
    )
}

/// Samples the resident memory of `pid` until told to stop; the highest value seen.
fn sample_rss(
    pid: u32,
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if let Ok(kib) = procfs::rss_kib(pid) {
                peak.fetch_max(kib, Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    })
}

/// Uploads and downloads a file of `size` bytes in `thread`; appends the figures to
/// `markdown` (with the header when the file is new).
pub async fn run(
    http: &reqwest::Client,
    base: &Url,
    token: &str,
    thread: &str,
    size: u64,
    server_pid: u32,
    markdown: Option<&Path>,
) -> anyhow::Result<()> {
    let (body, sha) = blocks(size);
    let before = procfs::rss_kib(server_pid)?;
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(before));
    let sampler = sample_rss(server_pid, Arc::clone(&stop), Arc::clone(&peak));

    let start = Instant::now();
    let response = http
        .post(base.join(&format!(
            "/api/v1/threads/{thread}/attachments?name=grand.pdf"
        ))?)
        .bearer_auth(token)
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let answer: Value = response.json().await.context("upload: JSON answer")?;
    let up = start.elapsed();
    ensure!(status == StatusCode::CREATED, "upload: {status} {answer}");
    let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
    ensure!(
        answer["sha256"] == hex.as_str(),
        "upload: SHA-256 differs: {answer}"
    );
    let id = answer["id"].as_str().context("upload: id")?.to_owned();
    let up_peak = peak.load(Ordering::Relaxed);

    let start = Instant::now();
    let mut response = http
        .get(base.join(&format!("/api/v1/threads/{thread}/attachments/{id}"))?)
        .bearer_auth(token)
        .send()
        .await?;
    ensure!(
        response.status() == StatusCode::OK,
        "download: {}",
        response.status()
    );
    let mut got: u64 = 0;
    while let Some(chunk) = response
        .chunk()
        .await
        .context("download: the stream broke")?
    {
        got += chunk.len() as u64;
    }
    let down = start.elapsed();
    ensure!(got == size, "download: {got} bytes of {size}");
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let after = procfs::rss_kib(server_pid)?;
    let overall_peak = peak.load(Ordering::Relaxed);

    let mb = size as f64 / 1e6;
    let up_rate = mb / up.as_secs_f64();
    let down_rate = mb / down.as_secs_f64();
    let growth_mib = overall_peak.saturating_sub(before) as f64 / 1024.0;
    let rate_verdict = |r: f64| if r >= 200.0 { "met" } else { "**missed**" };
    let growth_verdict = if growth_mib < 64.0 {
        "met"
    } else {
        "**missed**"
    };
    let rows = format!(
        "| upload {size_mib} MiB | {up:.2} s | {up_rate:.0} MB/s | ≥ 200 MB/s: {} |\n\
         | download {size_mib} MiB (SHA-256 checked by the server) | {down:.2} s | {down_rate:.0} MB/s | ≥ 200 MB/s: {} |\n\
         | messaging RSS: before, peak (upload), peak (both), after | {} / {} / {} / {} MiB | growth {growth_mib:.1} MiB | < 64 MiB: {growth_verdict} |\n",
        rate_verdict(up_rate),
        rate_verdict(down_rate),
        before / 1024,
        up_peak / 1024,
        overall_peak / 1024,
        after / 1024,
        size_mib = size / (1024 * 1024),
        up = up.as_secs_f64(),
        down = down.as_secs_f64(),
    );
    print!("{rows}");
    if let Some(path) = markdown {
        let new = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        if new {
            writeln!(
                file,
                "| Transfer | Time | Rate | Target |\n|---|---:|---:|---|"
            )?;
        }
        file.write_all(rows.as_bytes())?;
    }
    Ok(())
}
