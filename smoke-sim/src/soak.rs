//! Measures the loop over a long run without waiting for it: the state folder is first filled
//! with `prefill` one-second ticks of history (what an hour of `every = "1s"` leaves behind),
//! then `smoke-internal watch` ticks every second, and its resident memory and the size of its
//! status page are sampled as it goes. A loop whose costs are bounded shows flat columns.

use crate::Deployment;
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What to measure.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// The smoke-internal binary.
    pub exe: PathBuf,
    /// The herodemo panel file.
    pub panel: PathBuf,
    /// Ticks of history written before the loop starts.
    pub prefill: usize,
    /// How long the loop runs.
    pub run_for: Duration,
    /// Time between samples.
    pub sample_every: Duration,
}

/// One look at the running loop.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Since the loop started.
    pub at: Duration,
    /// Its resident set, in KiB.
    pub rss_kib: u64,
    /// The body of `/status`, in bytes (0 when it did not answer).
    pub status_bytes: usize,
    /// Cells in the strip of the first probe row: at most the page's cap, whatever the history.
    pub cells: usize,
}

/// Fills the history, runs the loop, samples it.
pub async fn run(opts: &SoakOptions) -> io::Result<Vec<Sample>> {
    let sim = Deployment::start().await?;
    let state = tempfile::tempdir()?;
    let socket_dir = format!("internal.socket_dir={}", sim.socket_dir().display());
    prefill(opts, &socket_dir, state.path()).await?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = tokio::process::Command::new(&opts.exe)
        .arg("watch")
        .arg("--panel")
        .arg(&opts.panel)
        .arg("--state-dir")
        .arg(state.path())
        .args(["--set", &socket_dir, "--set", "panel.every=1s"])
        .args(["--set", "panel.timeout=1s", "--set", "defaults.retries=0"])
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env_remove("PATH_SOCKET")
        .env_remove("HERO_SOCKET_DIR")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| io::Error::other("the loop exited at once"))?;
    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < opts.run_for {
        tokio::time::sleep(opts.sample_every).await;
        if let Some(status) = child.try_wait()? {
            return Err(io::Error::other(format!("the loop stopped: {status}")));
        }
        let page = get(port, "/status").await.unwrap_or_default();
        samples.push(Sample {
            at: started.elapsed(),
            rss_kib: rss_kib(pid)?,
            status_bytes: page.len(),
            cells: first_row_cells(&page),
        });
    }
    child.kill().await?;
    Ok(samples)
}

/// One real tick, then its lines again for each earlier second: the history an hour of
/// one-second ticks leaves in `results.jsonl`.
async fn prefill(opts: &SoakOptions, socket_dir: &str, state: &Path) -> io::Result<()> {
    let out = tokio::process::Command::new(&opts.exe)
        .arg("run")
        .arg("--panel")
        .arg(&opts.panel)
        .arg("--state-dir")
        .arg(state)
        .args(["--set", socket_dir, "--set", "panel.timeout=1s"])
        .env_remove("PATH_SOCKET")
        .env_remove("HERO_SOCKET_DIR")
        .output()
        .await?;
    if out.status.code() != Some(0) {
        return Err(io::Error::other(format!(
            "the first tick was not ok ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let log = state.join("results.jsonl");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(io::Error::other)?;
    let now = jiff::Timestamp::now();
    let mut file = io::BufWriter::new(std::fs::File::create(&log)?);
    for i in (1..=opts.prefill as i64).rev() {
        let tick = now
            .checked_sub(jiff::SignedDuration::from_secs(i))
            .map_err(io::Error::other)?
            .to_string();
        for line in &lines {
            let mut line = line.clone();
            line["tick"] = tick.clone().into();
            serde_json::to_writer(&mut file, &line)?;
            file.write_all(b"\n")?;
        }
    }
    file.flush()
}

fn rss_kib(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| io::Error::other("no VmRSS in /proc/PID/status"))
}

async fn get(port: u16, path: &str) -> Option<String> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&buf);
    text.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}

fn first_row_cells(page: &str) -> usize {
    page.split("<tr data-probe=")
        .nth(1)
        .and_then(|row| row.split("</tr>").next())
        .map_or(0, |row| row.matches("<span class=\"cell ").count())
}

/// The samples, as a table a person reads.
pub fn render(samples: &[Sample]) -> String {
    let mut out = format!(
        "{:>7} {:>10} {:>13} {:>6}\n",
        "at", "RSS", "/status", "cells"
    );
    for s in samples {
        let _ = writeln!(
            out,
            "{:>6.0}s {:>8.1}MB {:>11.1}KB {:>6}",
            s.at.as_secs_f64(),
            s.rss_kib as f64 / 1024.0,
            s.status_bytes as f64 / 1024.0,
            s.cells
        );
    }
    out
}
