//! Measures `relay` as Alertmanager meets it on a bad day: notifications posted by a few
//! clients at once while the forge answers every call after a second, each opening or closing
//! an incident; then one notification whose group lists a megabyte of names.

use crate::bench::{generated_panel, ms, percentile};
use crate::fakes::{client, free_port, FakeForge};
use http::{Method, StatusCode};
use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to measure.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// The smoke-internal binary (its `relay`).
    pub exe: PathBuf,
    /// Notifications posted.
    pub notifications: usize,
    /// Clients posting at once (Alertmanager's nodes and groups).
    pub at_once: usize,
    /// How long the forge takes to answer each call.
    pub sink_latency: Duration,
}

/// What was measured.
#[derive(Debug, Clone)]
pub struct RelayFigures {
    pub opts: RelayOptions,
    /// First post to last answer.
    pub wall: Duration,
    /// Each notification's answer time, sorted.
    pub answers: Vec<Duration>,
    /// Answers other than 200.
    pub refused: usize,
    /// The answer to one notification listing a megabyte of names.
    pub big_list: Duration,
}

/// Probes in the relay's panel: each notification is about one of them.
const PROBES: usize = 1000;
const TOKEN: &str = "bench-forge-token";
/// The deadline of one post: the relay answers within 5 s or says 503.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

pub async fn run(opts: &RelayOptions) -> io::Result<RelayFigures> {
    let forge = FakeForge::start(TOKEN, "hero/demo").await?;
    forge.set_latency(opts.sink_latency);
    let work = tempfile::tempdir()?;
    let panel = work.path().join("relay.toml");
    let mut text = generated_panel(PROBES, 10);
    let _ = write!(
        text,
        "\n[[notify]]\ntype = \"forge\"\nurl = \"{}\"\nrepo = \"hero/demo\"\ntoken_env = \"SMOKE_BENCH_FORGE_TOKEN\"\nrelay = true\n",
        forge.url()
    );
    std::fs::write(&panel, text)?;
    let url = format!("http://127.0.0.1:{}", free_port()?);
    let mut relay = tokio::process::Command::new(&opts.exe)
        .arg("relay")
        .arg("--panel")
        .arg(&panel)
        .arg("--listen")
        .arg(url.trim_start_matches("http://"))
        .arg("--state-dir")
        .arg(work.path().join("state"))
        .env("SMOKE_BENCH_FORGE_TOKEN", TOKEN)
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let started = Instant::now();
    while client::request(Method::GET, &format!("{url}/healthz"), None, ANSWER_WITHIN)
        .await
        .is_err()
    {
        if let Some(status) = relay.try_wait()? {
            return Err(io::Error::other(format!("the relay exited {status}")));
        }
        if started.elapsed() > ANSWER_WITHIN {
            return Err(io::Error::other("the relay never answered /healthz"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let post_url = format!("{url}/alertmanager");
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..opts.at_once.max(1) {
        let (next, url, total) = (next.clone(), post_url.clone(), opts.notifications);
        clients.spawn(async move {
            let mut answers = Vec::new();
            let mut refused = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return (answers, refused);
                }
                let sent = Instant::now();
                match client::request(Method::POST, &url, Some(word(i)), ANSWER_WITHIN).await {
                    Ok((StatusCode::OK, _)) => {}
                    _ => refused += 1,
                }
                answers.push(sent.elapsed());
            }
        });
    }
    let mut answers = Vec::with_capacity(opts.notifications);
    let mut refused = 0;
    while let Some(done) = clients.join_next().await {
        let (a, r) = done.map_err(io::Error::other)?;
        answers.extend(a);
        refused += r;
    }
    let wall = started.elapsed();
    answers.sort();
    let sent = Instant::now();
    match client::request(Method::POST, &post_url, Some(big_list()), ANSWER_WITHIN).await {
        Ok((StatusCode::OK, _)) => {}
        _ => refused += 1,
    }
    let big_list = sent.elapsed();
    drop(relay);
    Ok(RelayFigures {
        opts: opts.clone(),
        wall,
        answers,
        refused,
        big_list,
    })
}

/// The `i`-th notification: one probe's quorum alert, firing and resolved in turn, each round
/// a new alert, so every notification opens or closes an incident.
fn word(i: usize) -> Vec<u8> {
    let (probe, round) = (i % PROBES, i / PROBES);
    let status = if round % 2 == 0 { "firing" } else { "resolved" };
    let starts = jiff::Timestamp::from_second(1_900_000_000 + (round / 2) as i64 * 3600)
        .expect("a valid time");
    notification(serde_json::json!({
        "status": status,
        "labels": {"alertname": "SmokeProbeFailingQuorum", "panel": "generated",
                   "mode": "internal", "probe": format!("p{probe:04}"), "severity": "critical"},
        "annotations": {"summary": format!("p{probe:04} fails from 3 vantage points")},
        "startsAt": starts.to_string(),
    }))
}

/// A group's alert whose `probes` annotation is a megabyte of names, two of them the panel's.
fn big_list() -> Vec<u8> {
    let mut names = String::from("p0001 p0002");
    let mut i = 0;
    while names.len() < 1_000_000 {
        let _ = write!(names, " zz-s{i:06}");
        i += 1;
    }
    notification(serde_json::json!({
        "status": "firing",
        "labels": {"alertname": "SmokeGroupFailingQuorum", "panel": "generated",
                   "mode": "internal", "group": "group:http-502", "cause": "http",
                   "signature": "HTTP 502 Bad Gateway", "severity": "critical"},
        "annotations": {"summary": "probes fail with HTTP 502", "probes": names},
        "startsAt": "2030-01-01T00:00:00Z",
    }))
}

fn notification(alert: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"version": "4", "alerts": [alert]}))
        .expect("JSON serializes")
}

/// The figures, as lines a person reads.
pub fn render(f: &RelayFigures) -> String {
    let rate = f.answers.len() as f64 / f.wall.as_secs_f64().max(1e-9);
    format!(
        "relay      {} notifications, {} at once, the forge answering after {}s: {rate:.0}/s, answer p50 {} p99 {} max {}, {} not 200; a 1 MiB group list answered in {}\n",
        f.answers.len(),
        f.opts.at_once,
        f.opts.sink_latency.as_secs_f64(),
        ms(percentile(&f.answers, 50)),
        ms(percentile(&f.answers, 99)),
        ms(f.answers.last().copied().unwrap_or_default()),
        f.refused,
        ms(f.big_list),
    )
}
