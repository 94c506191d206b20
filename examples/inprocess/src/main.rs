//! A hero service checking its own storage with smoke, in-process: it says what one attempt
//! saw, and the runner the panel uses names, times, retries and judges it, and prints the same
//! report.
//!
//! `cargo run -p smoke-example-inprocess [-- --break | --down]`: `--break` makes the storage
//! drop writes (a wrong answer: an assertion fails), `--down` makes it unreachable (the service
//! is broken: cause `service`). Either exits 2.

use smoke_core::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

/// Writes a record to the storage folder and reads it back.
struct StorageRoundTrip {
    dir: PathBuf,
    /// Simulates storage that silently drops writes.
    drops_writes: bool,
}

#[async_trait]
impl Probe for StorageRoundTrip {
    async fn attempt(&self, _cx: &Attempt) -> Result<Observation, Failure> {
        let path = self.dir.join("smoke-roundtrip.json");
        // Storage that cannot be reached is this service broken, not smoke: cause `service`.
        let down = |e: std::io::Error| {
            Failure::new(Cause::Service, format!("storage {}: {e}", path.display()))
        };
        let record = serde_json::json!({"id": 42, "payload": "hero"});
        tokio::fs::write(&path, record.to_string())
            .await
            .map_err(down)?;
        if self.drops_writes {
            tokio::fs::write(&path, b"{}").await.map_err(down)?;
        }
        let read = tokio::fs::read(&path).await.map_err(down)?;
        let back: serde_json::Value = serde_json::from_slice(&read).unwrap_or_default();
        Ok(Observation::from_json(serde_json::json!({
            "matches": back == record,
            "bytes": read.len(),
        })))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<std::process::ExitCode, CheckError> {
    let args: Vec<String> = std::env::args().collect();
    let folder = tempfile::tempdir().expect("a temp folder");
    let dir = if args.iter().any(|a| a == "--down") {
        folder.path().join("unmounted")
    } else {
        folder.path().to_path_buf()
    };
    let probe = StorageRoundTrip {
        dir: dir.clone(),
        drops_writes: args.iter().any(|a| a == "--break"),
    };
    let check = Check::new("storage-roundtrip", probe)
        .target(dir.display().to_string())
        .timeout(Duration::from_secs(2))
        .retries(0, Duration::ZERO)
        .expect_that("json.matches == true")?
        .expect_that("json.bytes > 0")?
        .warn_that("time < 500ms")?;
    let report = Runner::new("my-service").run(vec![check]).await;
    print!("{}", human(&report, HumanStyle::default()));
    Ok(report.outcome().exit().into())
}
