//! A real Prometheus Alertmanager (the Debian package's binary) on a loopback port, for tests
//! that must see what Alertmanager itself makes of the alerts smoke sends.

use std::fs::File;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;

use super::client;

const DEBIAN_BINARY: &str = "/usr/bin/prometheus-alertmanager";
/// Debian's name first, then upstream's.
const NAMES_ON_PATH: [&str; 2] = ["prometheus-alertmanager", "alertmanager"];
const INSTALL_HINT: &str =
    "install prometheus-alertmanager (apt-get install prometheus-alertmanager)";

/// Everything goes to one receiver that does nothing: the tests read alerts back over the
/// API, they don't want notifications.
const CONFIG: &str = "route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n";

const READY_WITHIN: Duration = Duration::from_secs(10);
const POLL_EVERY: Duration = Duration::from_millis(50);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The free port we picked can be taken by someone else before Alertmanager binds it.
const PORT_ATTEMPTS: usize = 3;

/// A running Alertmanager; dropping it kills the process and removes its files.
pub struct Alertmanager {
    child: Child,
    url: String,
    _dir: TempDir,
}

enum Outcome {
    Ready,
    PortTaken,
}

impl Alertmanager {
    /// Starts Alertmanager with a null receiver, no clustering and its state in a temporary
    /// folder, and waits until it reports ready.
    pub async fn start() -> io::Result<Alertmanager> {
        let binary = find_binary().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no Alertmanager binary at {DEBIAN_BINARY} or on PATH: {INSTALL_HINT}"),
            )
        })?;
        let dir = tempfile::Builder::new()
            .prefix("smoke-alertmanager-")
            .tempdir()?;
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(&config, CONFIG)?;

        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            let url = format!("http://127.0.0.1:{port}");
            let log = dir.path().join("alertmanager.log");
            let mut child = launch(&binary, &config, dir.path(), port, &log)?;
            match wait_until_ready(&mut child, &url, &log).await {
                Ok(Outcome::Ready) => {
                    return Ok(Alertmanager {
                        child,
                        url,
                        _dir: dir,
                    })
                }
                Ok(Outcome::PortTaken) => {
                    last_error = Some(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!("port {port} was taken before Alertmanager could bind it"),
                    ));
                }
                Err(e) => {
                    stop(&mut child);
                    return Err(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("Alertmanager did not start")))
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

impl Drop for Alertmanager {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

fn find_binary() -> Option<PathBuf> {
    let debian = Path::new(DEBIAN_BINARY);
    if debian.is_file() {
        return Some(debian.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    NAMES_ON_PATH.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// A port nobody listened on a moment ago. Alertmanager wants a number, not a socket, so
/// the port is released before it binds it; [`PORT_ATTEMPTS`] covers losing that race.
fn free_port() -> io::Result<u16> {
    let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(probe.local_addr()?.port())
}

fn launch(binary: &Path, config: &Path, dir: &Path, port: u16, log: &Path) -> io::Result<Child> {
    let log = File::create(log)?;
    Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        // Empty turns gossip off: no second port to collide on, no peers to wait for.
        .arg("--cluster.listen-address=")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("starting {}: {e}", binary.display())))
}

async fn wait_until_ready(child: &mut Child, url: &str, log: &Path) -> io::Result<Outcome> {
    let ready = format!("{url}/-/ready");
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if let Some(status) = child.try_wait()? {
            return exited(status, log);
        }
        if let Ok((StatusCode::OK, _)) =
            client::request(Method::GET, &ready, None, POLL_EVERY * 10).await
        {
            return Ok(Outcome::Ready);
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "Alertmanager was not ready within {READY_WITHIN:?}; its log:\n{}",
                    tail(log)
                ),
            ));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

fn exited(status: ExitStatus, log: &Path) -> io::Result<Outcome> {
    let text = tail(log);
    if text.contains("address already in use") {
        return Ok(Outcome::PortTaken);
    }
    Err(io::Error::other(format!(
        "Alertmanager exited ({status}) before it was ready; its log:\n{text}"
    )))
}

/// The end of the log, where the reason it died is.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

fn stop(child: &mut Child) {
    // Already gone is fine; waiting reaps it so no zombie outlives the test.
    let _ = child.kill();
    let _ = child.wait();
}
