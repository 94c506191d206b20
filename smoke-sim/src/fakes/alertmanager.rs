//! A real Prometheus Alertmanager (the Debian package's binary) on a loopback port, for tests
//! that must see what Alertmanager itself makes of the alerts smoke sends.

use std::io;
use std::process::Command;
use std::time::Duration;

use http::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;

use super::client;
use super::process::{Process, Program};

const ALERTMANAGER: Program = Program {
    name: "Alertmanager",
    debian_binary: "/usr/bin/prometheus-alertmanager",
    // Debian's name first, then upstream's.
    names_on_path: &["prometheus-alertmanager", "alertmanager"],
    install_hint: "install prometheus-alertmanager (apt-get install prometheus-alertmanager)",
    log_noise: &[],
};

const AMTOOL: Program = Program {
    name: "amtool",
    debian_binary: "/usr/bin/amtool",
    names_on_path: &["amtool"],
    install_hint: "install prometheus-alertmanager (apt-get install prometheus-alertmanager)",
    log_noise: &[],
};

/// Alertmanager's `amtool`, which checks a configuration and shows where an alert is routed.
pub fn amtool() -> io::Result<std::path::PathBuf> {
    AMTOOL.find()
}

/// Everything goes to one receiver that does nothing: the tests read alerts back over the
/// API, they don't want notifications.
const CONFIG: &str = "route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n";

const READY_WITHIN: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A running Alertmanager; dropping it kills the process and removes its files.
pub struct Alertmanager {
    /// Before the folder, so that the process is gone when the folder is removed.
    _process: Process,
    url: String,
    _dir: TempDir,
}

impl Alertmanager {
    /// Starts Alertmanager with a null receiver, no clustering and its state in a temporary
    /// folder, and waits until it reports ready.
    pub async fn start() -> io::Result<Alertmanager> {
        let binary = ALERTMANAGER.find()?;
        let dir = tempfile::Builder::new()
            .prefix("smoke-alertmanager-")
            .tempdir()?;
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(&config, CONFIG)?;
        let data = dir.path().join("data");
        let log = dir.path().join("alertmanager.log");

        let (process, url) = ALERTMANAGER
            .serve(&log, READY_WITHIN, |port| {
                let mut command = Command::new(&binary);
                command
                    .arg(format!("--config.file={}", config.display()))
                    .arg(format!("--storage.path={}", data.display()))
                    .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                    // Empty turns gossip off: no second port to collide on, no peers to wait for.
                    .arg("--cluster.listen-address=");
                command
            })
            .await?;
        Ok(Alertmanager {
            _process: process,
            url,
            _dir: dir,
        })
    }

    /// `http://127.0.0.1:<port>`, the base of its API (`/api/v2/...`).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The alerts Alertmanager holds, as `GET /api/v2/alerts` returns them (by default only
    /// active ones: resolved alerts drop out).
    pub async fn alerts(&self) -> io::Result<Vec<Value>> {
        let url = format!("{}/api/v2/alerts", self.url);
        let (status, body) = client::request(Method::GET, &url, None, REQUEST_TIMEOUT).await?;
        if status != StatusCode::OK {
            return Err(io::Error::other(format!(
                "GET {url}: {status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        serde_json::from_slice(&body).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}
