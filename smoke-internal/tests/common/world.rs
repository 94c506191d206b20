//! The simulated deployment told to a fake Slack, a fake forge (held to the Forgejo API spec), a
//! fake webhook and, when asked, a real Alertmanager: what the incident tests look at.

use smoke_sim::fakes::{Alertmanager, FakeForge, FakeHook, FakeIssue};
use smoke_sim::Deployment;
use std::path::PathBuf;
use std::process::Output;

pub const FORGE_TOKEN: &str = "sekret-forge-token-7c1e";
pub const SLACK_PATH: &str = "/services/T000/B000/sekret-slack-path-93af";

/// A restart through the simulated hero_proc, as a `[defaults]` line.
pub const RPC_RESTART: &str = r#"restart = { rpc = "hero_proc/rpc", method = "service.restart", params = { name = "{service}" } }"#;

/// How a [`World`] is set up.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// A real Alertmanager as a sink too.
    pub alertmanager: bool,
    /// Lines added at the top of `[defaults]` (a restart, its limits).
    pub defaults: String,
    /// `--only` for every run; `None` runs every probe.
    pub only: Option<&'static str>,
    /// `[[probe]]` tables added to the panel.
    pub probes: String,
    /// The probes start unproven, as on a new deployment. Else every run says
    /// `defaults.proven=true`: the scenarios break a deployment the probes are known to pass
    /// on, and expect the first failure to alarm.
    pub first_contact: bool,
}

pub struct World {
    pub sim: Deployment,
    pub forge: FakeForge,
    pub slack: FakeHook,
    pub hook: FakeHook,
    pub alerts: Option<Alertmanager>,
    pub state: tempfile::TempDir,
    pub panel: PathBuf,
    only: Option<&'static str>,
    first_contact: bool,
    _dir: tempfile::TempDir,
}

impl World {
    /// The herodemo panel run `--only biz-persons`.
    pub async fn new(with_alertmanager: bool) -> World {
        World::start(Setup {
            alertmanager: with_alertmanager,
            only: Some("biz-persons"),
            ..Setup::default()
        })
        .await
    }

    pub async fn start(setup: Setup) -> World {
        let sim = Deployment::start().await.unwrap();
        let forge = FakeForge::start(FORGE_TOKEN, "hero/demo").await.unwrap();
        let slack = FakeHook::start().await.unwrap();
        let hook = FakeHook::start().await.unwrap();
        let alerts = if setup.alertmanager {
            Some(
                Alertmanager::start()
                    .await
                    .expect("Alertmanager runs (apt-get install prometheus-alertmanager)"),
            )
        } else {
            None
        };
        let dir = tempfile::tempdir().unwrap();
        let mut text = std::fs::read_to_string(super::herodemo_panel()).unwrap();
        if !setup.defaults.is_empty() {
            text = text.replacen(
                "[defaults]\n",
                &format!("[defaults]\n{}\n", setup.defaults),
                1,
            );
        }
        text.push_str(&setup.probes);
        text.push_str(&format!(
            "\n[[notify]]\ntype = \"slack\"\nwebhook_env = \"SMOKE_TEST_SLACK\"\n\
             \n[[notify]]\ntype = \"forge\"\nurl = \"{}\"\nrepo = \"hero/demo\"\ntoken_env = \"SMOKE_TEST_FORGE\"\nlabels = [\"smoke\", \"incident\"]\n\
             \n[[notify]]\ntype = \"webhook\"\nurl = \"{}/events\"\n",
            forge.url(),
            hook.url()
        ));
        if let Some(am) = &alerts {
            text.push_str(&format!(
                "\n[[notify]]\ntype = \"alertmanager\"\nurl = \"{}\"\n",
                am.url()
            ));
        }
        let panel = dir.path().join("panel.toml");
        std::fs::write(&panel, text).unwrap();
        World {
            sim,
            forge,
            slack,
            hook,
            alerts,
            state: tempfile::tempdir().unwrap(),
            panel,
            only: setup.only,
            first_contact: setup.first_contact,
            _dir: dir,
        }
    }

    pub fn command(&self, extra: &[&str]) -> tokio::process::Command {
        let mut cmd = super::smoke_command();
        cmd.arg("run")
            .arg("--panel")
            .arg(&self.panel)
            .arg("--state-dir")
            .arg(self.state.path());
        if let Some(only) = self.only {
            cmd.args(["--only", only]);
        }
        if !self.first_contact {
            cmd.args(["--set", "defaults.proven=true"]);
        }
        cmd.args([
            "--set",
            &format!("internal.socket_dir={}", self.sim.socket_dir().display()),
        ])
        .args(["--set", "panel.timeout=1s", "--set", "defaults.retries=0"])
        .args(extra)
        .env(
            "SMOKE_TEST_SLACK",
            format!("{}{SLACK_PATH}", self.slack.url()),
        )
        .env("SMOKE_TEST_FORGE", FORGE_TOKEN)
        .kill_on_drop(true);
        cmd
    }

    pub async fn tick(&self, extra: &[&str]) -> Output {
        self.command(extra).output().await.unwrap()
    }

    /// A run (reminders due every tick) killed if it is still going after `wait`; the state
    /// file must be whole whatever moment the kill hit. True when it was killed.
    pub async fn run_killed_after(&self, wait: std::time::Duration) -> bool {
        let mut child = self
            .command(&["--set", "panel.remind_every=1ms"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let killed = tokio::time::timeout(wait, child.wait()).await.is_err();
        if killed {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        if self.state.path().join("state.json").exists() {
            self.state_json(); // whole after every kill
        }
        killed
    }

    pub fn state_json(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.state.path().join("state.json")).unwrap();
        serde_json::from_str(&text).expect("the state file is whole")
    }

    /// What the webhook heard, in order: (event, probe or group key, detail).
    pub fn events(&self) -> Vec<(String, String, String)> {
        self.hook
            .received()
            .iter()
            .map(|e| {
                let field = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                (field("event"), field("probe"), field("detail"))
            })
            .collect()
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The hidden marker line of each issue: one per incident.
/// The markers of the forge's issues, each incident's once: a second issue for one incident
/// fails the test.
pub fn one_issue_each(issues: &[FakeIssue]) -> Vec<String> {
    let m = markers(issues);
    let mut unique = m.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), m.len(), "an incident got two issues: {m:?}");
    m
}

pub fn markers(issues: &[FakeIssue]) -> Vec<String> {
    issues
        .iter()
        .filter_map(|i| {
            i.body
                .lines()
                .find(|l| l.contains("smoke-incident"))
                .map(str::to_string)
        })
        .collect()
}

/// A small deterministic generator, so a failing run can be replayed.
fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

/// Random waits before a kill, spanning about two runs as this machine runs them now: the span
/// grows after a kill and shrinks after a run that ended, so kills land anywhere in a run and
/// about half the runs end, however loaded the machine is.
pub struct KillWaits {
    span_ms: u64,
    seed: u64,
}

impl KillWaits {
    /// Starting from one and a half of a `measured` run.
    pub fn new(measured: std::time::Duration) -> Self {
        KillWaits {
            span_ms: measured.as_millis() as u64 * 3 / 2 + 2,
            seed: 0x5eed,
        }
    }

    pub fn next(&mut self) -> std::time::Duration {
        std::time::Duration::from_millis(lcg(&mut self.seed) % self.span_ms)
    }

    /// What the last wait led to.
    pub fn ran(&mut self, killed: bool) {
        self.span_ms = match killed {
            true => self.span_ms + self.span_ms / 8 + 1,
            false => (self.span_ms - self.span_ms / 8).max(2),
        };
    }

    pub fn span_ms(&self) -> u64 {
        self.span_ms
    }
}
