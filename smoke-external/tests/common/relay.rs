//! `smoke-external relay` as a test meets it: a real process on a loopback port with the
//! herodemo panel, telling the fake forge (held to the Forgejo API spec) and a fake Slack, and
//! Alertmanager's webhook as a node of the cluster sends it.

use super::herodemo_panel;
use smoke_sim::fakes::{FakeForge, FakeHook};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const FORGE_TOKEN: &str = "sekret-forge-token-77";
pub const RELAY_TOKEN: &str = "sekret-relay-token-1c";
pub const SLACK_PATH: &str = "/services/T000/B000/sekret-relay-slack";
/// Generous: the relay answers at once and tells the sinks right after.
pub const WITHIN: Duration = Duration::from_secs(20);

pub struct Relay {
    pub forge: FakeForge,
    pub slack: FakeHook,
    pub addr: String,
    child: tokio::process::Child,
    pub state: tempfile::TempDir,
    _dir: tempfile::TempDir,
}

pub fn free_port() -> u16 {
    smoke_sim::fakes::free_port().expect("a free loopback port")
}

impl Relay {
    pub async fn start() -> Relay {
        Relay::start_with("").await
    }

    /// The relay on the herodemo panel with `probes` (more `[[probe]]` tables) added.
    pub async fn start_with(probes: &str) -> Relay {
        let forge = FakeForge::start(FORGE_TOKEN, "hero/demo").await.unwrap();
        let slack = FakeHook::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut text = std::fs::read_to_string(herodemo_panel()).unwrap();
        text.push_str(probes);
        text.push_str(&format!(
            "\n[relay]\nbearer_token_env = \"SMOKE_TEST_RELAY_TOKEN\"\n\
             \n[[notify]]\ntype = \"alertmanager\"\nurl = \"http://127.0.0.1:9\"\n\
             \n[[notify]]\ntype = \"slack\"\nwebhook_env = \"SMOKE_TEST_SLACK\"\nrelay = true\n\
             \n[[notify]]\ntype = \"forge\"\nurl = \"{}\"\nrepo = \"hero/demo\"\ntoken_env = \"SMOKE_TEST_FORGE\"\nrelay = true\n",
            forge.url()
        ));
        let panel: PathBuf = dir.path().join("panel.toml");
        std::fs::write(&panel, text).unwrap();
        let state = tempfile::tempdir().unwrap();
        let addr = format!("127.0.0.1:{}", free_port());
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-external"))
            .args(["relay", "--panel"])
            .arg(&panel)
            .args(["--listen", &addr, "--state-dir"])
            .arg(state.path())
            .env("SMOKE_TEST_RELAY_TOKEN", RELAY_TOKEN)
            .env("SMOKE_TEST_FORGE", FORGE_TOKEN)
            .env("SMOKE_TEST_SLACK", format!("{}{SLACK_PATH}", slack.url()))
            .env_remove("SMOKE_STATE_DIR")
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("smoke-external starts");
        let relay = Relay {
            forge,
            slack,
            addr,
            child,
            state,
            _dir: dir,
        };
        let deadline = tokio::time::Instant::now() + WITHIN;
        while relay.request("GET", "/healthz", &[], b"").await.0 != 200 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the relay never answered"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        relay
    }

    /// One HTTP/1.1 request on its own connection: (status, body); status 0 when there was no
    /// answer.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let Ok(mut stream) = tokio::net::TcpStream::connect(&self.addr).await else {
            return (0, String::new());
        };
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        // A refused body may be cut short by the server: what it answers is what counts.
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(body).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(WITHIN, stream.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    pub async fn post(&self, body: &[u8]) -> (u16, String) {
        let auth = format!("Bearer {RELAY_TOKEN}");
        self.request(
            "POST",
            "/alertmanager",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body,
        )
        .await
    }

    /// Waits until the forge holds `open` open and `closed` closed issues.
    pub async fn forge_settles(&self, open: usize, closed: usize) {
        self.forge_settles_within(open, closed, WITHIN).await;
    }

    /// [`Relay::forge_settles`], for at most `within`.
    pub async fn forge_settles_within(&self, open: usize, closed: usize, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let issues = self.forge.issues();
            let o = issues.iter().filter(|i| i.state == "open").count();
            let c = issues.iter().filter(|i| i.state == "closed").count();
            if (o, c) == (open, closed) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "wanted {open} open and {closed} closed issues, the forge has {issues:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the relay (SIGTERM) and returns what it logged.
    pub async fn stop(mut self) -> String {
        let pid = self.child.id().expect("still running") as i32;
        // SAFETY: kill only sends a signal to the child we started.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let status = tokio::time::timeout(WITHIN, self.child.wait())
            .await
            .expect("the relay stops on SIGTERM")
            .unwrap();
        assert!(status.success(), "{status}");
        let mut log = String::new();
        let mut stderr = self.child.stderr.take().unwrap();
        stderr.read_to_string(&mut log).await.unwrap();
        log
    }
}

pub fn notification(status: &str, probe: &str, starts_at: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"SmokeProbeFailingQuorum\"}",
        "status": status,
        "receiver": "relay",
        "groupLabels": {"alertname": "SmokeProbeFailingQuorum"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "truncatedAlerts": 0,
        "alerts": [{
            "status": status,
            "labels": {
                "alertname": "SmokeProbeFailingQuorum",
                "panel": "herodemo",
                "mode": "external",
                "probe": probe,
                "severity": "critical",
            },
            "annotations": {"summary": format!("herodemo/{probe} (external) fails from 3 vantage points")},
            "startsAt": starts_at,
            "endsAt": if status == "resolved" { "2026-11-30T12:10:00Z" } else { "0001-01-01T00:00:00Z" },
            "generatorURL": "http://127.0.0.1:9090/graph",
            "fingerprint": "0123456789abcdef",
        }],
    }))
    .unwrap()
}
