//! A hero service checking its own storage with smoke, in-process: it implements `Probe`,
//! hands it to the same runner the panel uses, and prints the same report.
//!
//! `cargo run -p smoke-example-inprocess [-- --break]`

use smoke_core::condition::Condition;
use smoke_core::observation::{Observation, Timings};
use smoke_core::outcome::{Cause, Failure, ProbeReport};
use smoke_core::probe::{judge, Probe, ProbeInfo};
use smoke_core::report::{human, HumanStyle};
use smoke_core::runner::run_tick;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Writes a record to the storage folder, reads it back, and reports what it saw as JSON for the
/// conditions to judge.
struct StorageRoundTrip {
    info: ProbeInfo,
    dir: PathBuf,
    /// Simulates storage that silently drops writes, to show a failure.
    broken: bool,
    expect: Vec<Condition>,
    warn: Vec<Condition>,
}

#[async_trait::async_trait]
impl Probe for StorageRoundTrip {
    fn info(&self) -> &ProbeInfo {
        &self.info
    }

    async fn attempt(&self) -> ProbeReport {
        let mut report = ProbeReport::new(&self.info.name);
        let started = Instant::now();
        let path = self.dir.join("smoke-roundtrip.json");
        let record = serde_json::json!({"id": 42, "payload": "hero"});
        if let Err(e) = tokio::fs::write(&path, record.to_string()).await {
            report.fail(Failure::new(
                Cause::Checker,
                format!("cannot write {}: {e}", path.display()),
            ));
            return report;
        }
        if self.broken {
            let _ = tokio::fs::write(&path, b"{}").await;
        }
        let read = tokio::fs::read(&path).await.unwrap_or_default();
        let back: serde_json::Value = serde_json::from_slice(&read).unwrap_or_default();
        let mut obs = Observation::from_json(serde_json::json!({
            "matches": back == record,
            "bytes": read.len(),
        }));
        obs.timings = Timings {
            total: Some(started.elapsed()),
            ..Timings::default()
        };
        judge(&mut report, &obs, &self.expect, &self.warn);
        report
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let dir = tempfile::tempdir().expect("a temp folder");
    let mut info = ProbeInfo::new("storage-roundtrip", dir.path().display().to_string());
    info.timeout = Duration::from_secs(2);
    info.retries = 0;
    let probe = StorageRoundTrip {
        info,
        dir: dir.path().to_path_buf(),
        broken: std::env::args().any(|a| a == "--break"),
        expect: vec![
            "json.matches == true".parse().expect("a valid condition"),
            "json.bytes > 0".parse().expect("a valid condition"),
        ],
        warn: vec!["time < 500ms".parse().expect("a valid condition")],
    };
    let report = run_tick("my-service", "in-process", vec![Arc::new(probe)], 1).await;
    print!("{}", human(&report, HumanStyle::default()));
    std::process::ExitCode::from(report.outcome.exit_code() as u8)
}
