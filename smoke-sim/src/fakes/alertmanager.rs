//! A real Prometheus Alertmanager (the Debian package's binary) on a loopback port, alone or
//! as a cluster gossiping on loopback, for tests that must see what Alertmanager itself makes
//! of the alerts smoke sends, and what its notifications do when a member dies.

use std::io;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;

use super::client;
use super::process::{free_port, Process, Program};

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
/// How long the members of a [cluster](Alertmanager::cluster) get to find each other and
/// settle: a few seconds on an idle machine, generous for a loaded one.
const CLUSTER_WITHIN: Duration = Duration::from_secs(60);
const POLL_EVERY: Duration = Duration::from_millis(200);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Gossip every 100 ms instead of 200: a member counts as settled after a steady member count
/// on about four polls ten gossip intervals apart, so about 4 s after the last join instead
/// of 8. Loopback gossip among a handful of members costs nothing at that rate.
const GOSSIP_INTERVAL: &str = "100ms";
/// A full state exchange (silences, notification log) every second instead of every minute,
/// so that a member that missed a gossip message, or just joined, catches up within a second.
const PUSHPULL_INTERVAL: &str = "1s";
/// Settling never takes longer than this (1 min by default); notifications wait for it.
const SETTLE_TIMEOUT: &str = "10s";
/// A member that could not reach a peer (not started yet, or killed) tries again every second
/// instead of every ten.
const RECONNECT_INTERVAL: &str = "1s";

/// A running Alertmanager; dropping it kills the process and removes its files.
pub struct Alertmanager {
    process: Process,
    url: String,
    /// `127.0.0.1:PORT` of its gossip, in a cluster.
    cluster_address: Option<String>,
    log: PathBuf,
    /// After the process, so that the process is gone when the folder is removed.
    _dir: TempDir,
}

impl Alertmanager {
    /// How long the member of a [cluster](Self::cluster) at position n (by name, which is
    /// random) waits, n times over, before it notifies, checking first whether an earlier one
    /// already has: the gossiped notification log is how members don't notify twice. Far
    /// above loopback gossip's latency, so one notification goes out, not one per member; far
    /// below the default 15 s, so a member's death delays notifications by seconds. A test
    /// asserting that no second notification comes waits a few of these.
    pub const PEER_TIMEOUT: Duration = Duration::from_secs(3);

    /// Starts Alertmanager with a null receiver, no clustering and its state in a temporary
    /// folder, and waits until it reports ready.
    pub async fn start() -> io::Result<Alertmanager> {
        Alertmanager::spawn(CONFIG, None).await
    }

    /// Starts `nodes` Alertmanagers gossiping on loopback, each with `config_yaml` as its
    /// configuration (its receivers, e.g. a webhook at a loopback URL, are notified), its own
    /// state folder, and every other member as a peer; waits until each is ready and reports
    /// a settled cluster of all `nodes` members. Send every alert to every member, as
    /// Prometheus does: members gossip silences and who notified of what, not alerts.
    pub async fn cluster(nodes: usize, config_yaml: &str) -> io::Result<Vec<Alertmanager>> {
        if nodes == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an Alertmanager cluster needs at least one member",
            ));
        }
        // Ports for all first, so that the early members can be told of the later ones. A
        // member that had to take another port is still joined: it names the earlier ones.
        let mut addresses = (0..nodes)
            .map(|_| Ok(format!("127.0.0.1:{}", free_port()?)))
            .collect::<io::Result<Vec<String>>>()?;
        let mut members = Vec::with_capacity(nodes);
        for index in 0..nodes {
            let cluster = Cluster {
                address: addresses[index].clone(),
                peers: (0..nodes)
                    .filter(|&peer| peer != index)
                    .map(|peer| addresses[peer].clone())
                    .collect(),
            };
            let member = Alertmanager::spawn(config_yaml, Some(cluster)).await?;
            addresses[index] = member.cluster_address.clone().unwrap_or_default();
            members.push(member);
        }
        wait_until_formed(&mut members).await?;
        Ok(members)
    }

    async fn spawn(config_text: &str, cluster: Option<Cluster>) -> io::Result<Alertmanager> {
        let binary = ALERTMANAGER.find()?;
        let dir = tempfile::Builder::new()
            .prefix("smoke-alertmanager-")
            .tempdir()?;
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(&config, config_text)?;
        let data = dir.path().join("data");
        let log = dir.path().join("alertmanager.log");

        let mut cluster_address = cluster.as_ref().map(|c| c.address.clone());
        let mut attempts = 0;
        let (process, url) = ALERTMANAGER
            .serve(&log, READY_WITHIN, |port| {
                let mut command = Command::new(&binary);
                command
                    .arg(format!("--config.file={}", config.display()))
                    .arg(format!("--storage.path={}", data.display()))
                    .arg(format!("--web.listen-address=127.0.0.1:{port}"));
                attempts += 1;
                let Some(cluster) = &cluster else {
                    // Empty turns gossip off: no second port to collide on, no peers to wait for.
                    command.arg("--cluster.listen-address=");
                    return Ok(command);
                };
                if attempts > 1 {
                    // The gossip port may be the one that was taken.
                    cluster_address = Some(format!("127.0.0.1:{}", free_port()?));
                }
                let address = cluster_address.as_deref().unwrap_or(&cluster.address);
                command
                    .arg(format!("--cluster.listen-address={address}"))
                    .args(cluster.peers.iter().map(|p| format!("--cluster.peer={p}")))
                    .arg(format!("--cluster.gossip-interval={GOSSIP_INTERVAL}"))
                    .arg(format!("--cluster.pushpull-interval={PUSHPULL_INTERVAL}"))
                    .arg(format!("--cluster.settle-timeout={SETTLE_TIMEOUT}"))
                    .arg(format!("--cluster.reconnect-interval={RECONNECT_INTERVAL}"))
                    .arg(format!(
                        "--cluster.peer-timeout={}ms",
                        Alertmanager::PEER_TIMEOUT.as_millis()
                    ));
                Ok(command)
            })
            .await?;
        Ok(Alertmanager {
            process,
            url,
            cluster_address,
            log,
            _dir: dir,
        })
    }

    /// `http://127.0.0.1:<port>`, the base of its API (`/api/v2/...`).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// `127.0.0.1:<port>` its gossip listens on, if it is in a cluster.
    pub fn cluster_address(&self) -> Option<String> {
        self.cluster_address.clone()
    }

    /// Kills it at once (SIGKILL), as a crash would, for a test that takes a member down
    /// mid-incident; its log stays readable until it is dropped. Killing it twice is fine.
    pub fn kill(&mut self) -> io::Result<()> {
        self.process.kill().map(drop)
    }

    /// The alerts Alertmanager holds, as `GET /api/v2/alerts` returns them (by default only
    /// active ones: resolved alerts drop out).
    pub async fn alerts(&self) -> io::Result<Vec<Value>> {
        let answer = self.get("/api/v2/alerts").await?;
        serde_json::from_value(answer).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// Sends it alerts as Prometheus does (`POST /api/v2/alerts`, a JSON array of
    /// `{"labels", "annotations", "startsAt", "endsAt"?}`).
    pub async fn post_alerts(&self, alerts: &Value) -> io::Result<()> {
        self.post("/api/v2/alerts", alerts).await.map(drop)
    }

    /// `GET /api/v2/status`: its configuration, version and, under `cluster`, its gossip's
    /// `status` (`"ready"` once settled, `"disabled"` alone) and `peers` (itself included).
    pub async fn status(&self) -> io::Result<Value> {
        self.get("/api/v2/status").await
    }

    /// `GET <path>` (e.g. `/api/v2/silences`), whose answer must be 200 and JSON.
    pub async fn get(&self, path: &str) -> io::Result<Value> {
        self.call(Method::GET, path, None).await
    }

    /// `POST <path>` with a JSON body (e.g. a silence to `/api/v2/silences`), whose answer must
    /// be 200; its JSON, or null when empty.
    pub async fn post(&self, path: &str, body: &Value) -> io::Result<Value> {
        self.call(Method::POST, path, Some(serde_json::to_vec(body)?))
            .await
    }

    async fn call(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> io::Result<Value> {
        let url = format!("{}{path}", self.url);
        let (status, answer) = client::request(method.clone(), &url, body, REQUEST_TIMEOUT).await?;
        let text = || String::from_utf8_lossy(&answer);
        if status != StatusCode::OK {
            return Err(io::Error::other(format!(
                "{method} {url}: {status}: {}",
                text()
            )));
        }
        if answer.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&answer).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{method} {url}: {e}: {}", text()),
            )
        })
    }

    /// The end of its log, for an error.
    fn log_tail(&self) -> String {
        ALERTMANAGER.tail(&self.log)
    }
}

/// Where a member gossips, and whom it joins.
struct Cluster {
    address: String,
    peers: Vec<String>,
}

/// Waits until every member reports a settled cluster of all of them. An error names what
/// each member last said and ends with their logs.
async fn wait_until_formed(members: &mut [Alertmanager]) -> io::Result<()> {
    let started = Instant::now();
    let deadline = started + CLUSTER_WITHIN;
    loop {
        let mut views = Vec::with_capacity(members.len());
        for member in members.iter_mut() {
            if let Some(status) = member.process.try_wait()? {
                return Err(io::Error::other(format!(
                    "Alertmanager at {} exited ({status}) while the cluster formed; its log:\n{}",
                    member.url,
                    member.log_tail()
                )));
            }
            views.push(cluster_view(member).await);
        }
        let formed = views
            .iter()
            .all(|view| matches!(view, Ok((status, peers)) if status == "ready" && *peers == members.len()));
        if formed {
            tracing::debug!(members = members.len(), elapsed = ?started.elapsed(), "Alertmanager cluster formed");
            return Ok(());
        }
        if Instant::now() >= deadline {
            let mut message = format!(
                "the Alertmanager cluster did not form within {CLUSTER_WITHIN:?} \
                 (wanted status \"ready\" and {} peers on each member)",
                members.len()
            );
            for (member, view) in members.iter().zip(&views) {
                let view = match view {
                    Ok((status, peers)) => format!("status {status:?}, {peers} peers"),
                    Err(e) => e.to_string(),
                };
                message.push_str(&format!(
                    "\n{} ({view}); its log:\n{}",
                    member.url,
                    member.log_tail()
                ));
            }
            return Err(io::Error::new(io::ErrorKind::TimedOut, message));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// A member's `cluster.status` and how many peers it sees.
async fn cluster_view(member: &Alertmanager) -> io::Result<(String, usize)> {
    let status = member.status().await?;
    let cluster = &status["cluster"];
    Ok((
        cluster["status"].as_str().unwrap_or_default().to_owned(),
        cluster["peers"].as_array().map_or(0, Vec::len),
    ))
}
