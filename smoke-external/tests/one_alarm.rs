//! One cause, one alarm, from the outside: `smoke-external run` ticks against the simulated
//! deployment with a fake forge (held to the Forgejo API spec) and a fake Slack webhook. Each
//! fault that breaks many probes at once opens one forge issue and one Slack "opened" message,
//! names its root or its signature, lists the probes it affects, and heals into one "resolved".

mod common;

use common::{deployment, herodemo_panel, sets};
use smoke_sim::fakes::{FakeForge, FakeHook, FakeIssue};
use smoke_sim::{Deployment, Fault};
use std::path::PathBuf;
use std::process::Output;

const FORGE_TOKEN: &str = "sekret-forge-token-0e11";
const SLACK_PATH: &str = "/services/T000/B000/sekret-slack-path-11aa";
/// Enough ticks for anything to heal with the default `success_threshold`; each is short.
const MAX_HEAL_TICKS: usize = 4;

struct World {
    sim: Deployment,
    forge: FakeForge,
    slack: FakeHook,
    state: tempfile::TempDir,
    panel: PathBuf,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        let sim = deployment().await;
        let forge = FakeForge::start(FORGE_TOKEN, "hero/demo").await.unwrap();
        let slack = FakeHook::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut text = std::fs::read_to_string(herodemo_panel()).unwrap();
        text.push_str(&format!(
            "\n[[notify]]\ntype = \"slack\"\nwebhook_env = \"SMOKE_TEST_SLACK\"\n\
             \n[[notify]]\ntype = \"forge\"\nurl = \"{}\"\nrepo = \"hero/demo\"\ntoken_env = \"SMOKE_TEST_FORGE\"\nlabels = [\"smoke\", \"incident\"]\n",
            forge.url()
        ));
        let panel = dir.path().join("panel.toml");
        std::fs::write(&panel, text).unwrap();
        World {
            sim,
            forge,
            slack,
            state: tempfile::tempdir().unwrap(),
            panel,
            _dir: dir,
        }
    }

    /// One `smoke-external run`, with no reminder due inside the test.
    async fn tick(&self) -> Output {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-external"));
        cmd.arg("run")
            .arg("--panel")
            .arg(&self.panel)
            .arg("--state-dir")
            .arg(self.state.path());
        for s in sets(&self.sim) {
            cmd.arg("--set").arg(s);
        }
        cmd.args(["--set", "panel.remind_every=1h"])
            .env(
                "SMOKE_TEST_SLACK",
                format!("{}{SLACK_PATH}", self.slack.url()),
            )
            .env("SMOKE_TEST_FORGE", FORGE_TOKEN)
            .env_remove("SMOKE_STATE_DIR")
            .env_remove("SMOKE_PANEL")
            .kill_on_drop(true);
        cmd.output().await.expect("smoke-external runs")
    }

    /// The title block of each Slack message so far: ":red_circle: *public-dns* is failing".
    fn slack_titles(&self) -> Vec<String> {
        self.slack
            .received()
            .iter()
            .map(|m| {
                m["attachments"][0]["blocks"][0]["text"]["text"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }

    /// The Slack messages so far, by kind: the title block says which.
    fn slack_kinds(&self) -> Vec<&'static str> {
        self.slack_titles()
            .iter()
            .map(|title| {
                // One probe's title says "is failing"; a group's headline says it already.
                if title.ends_with(" is failing")
                    || (title.starts_with(":red_circle: *") && !title.contains("still"))
                {
                    "opened"
                } else if title.ends_with(" recovered") {
                    "resolved"
                } else {
                    "other"
                }
            })
            .collect()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The probes an issue body lists under "N probes affected".
fn listed(issue: &FakeIssue) -> Vec<String> {
    let Some((_, list)) = issue.body.split_once("probes affected**") else {
        panic!("no list of affected probes in\n{}", issue.body);
    };
    list.lines()
        .skip_while(|l| !l.starts_with("- `"))
        .take_while(|l| l.starts_with("- `"))
        .filter_map(|l| l.split('`').nth(1).map(str::to_string))
        .collect()
}

/// The lines of a human report that say `FAIL`.
fn failing_lines(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with("FAIL")).collect()
}

/// Healthy, then `fault` for two ticks, then healed: what each case shares. Returns the one
/// issue and the human output of the first faulty tick.
async fn one_alarm(w: &World, fault: Fault) -> (FakeIssue, String) {
    let out = w.tick().await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "healthy first: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(w.forge.issues().is_empty(), "healthy: no issue");
    assert!(w.slack.received().is_empty(), "healthy: no message");

    w.sim.set(fault.clone());
    let first = w.tick().await;
    assert_eq!(
        first.status.code(),
        Some(2),
        "{}{}",
        text(&first.stdout),
        text(&first.stderr)
    );
    let second = w.tick().await;
    assert_eq!(second.status.code(), Some(2), "{}", text(&second.stderr));
    let issues = w.forge.issues();
    assert_eq!(
        issues.len(),
        1,
        "one issue while {fault:?} lasts: {:#?}\n{}",
        issues.iter().map(|i| &i.title).collect::<Vec<_>>(),
        text(&first.stdout)
    );
    assert_eq!(issues[0].state, "open");
    assert_eq!(w.slack_kinds(), ["opened"], "{:#?}", w.slack.received());

    w.sim.clear(&fault);
    for _ in 0..MAX_HEAL_TICKS {
        let out = w.tick().await;
        if w.forge.issues()[0].state == "closed" {
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
            break;
        }
    }
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1, "healing made no issue: {issues:#?}");
    assert_eq!(issues[0].state, "closed", "{:#?}", issues[0]);
    assert_eq!(
        w.slack_kinds(),
        ["opened", "resolved"],
        "{:#?}",
        w.slack.received()
    );
    let made: Vec<String> = w
        .forge
        .requests()
        .into_iter()
        .filter(|r| r == "POST /api/v1/repos/hero/demo/issues")
        .collect();
    assert_eq!(made.len(), 1, "{:#?}", w.forge.requests());
    // What a title names sits between its asterisks: "*public-dns*".
    let named: Vec<String> = w
        .slack_titles()
        .iter()
        .map(|t| t.split('*').nth(1).unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        named[0], named[1],
        "the resolution names what the opening named"
    );
    assert!(
        w.forge.violations().is_empty(),
        "{:?}",
        w.forge.violations()
    );
    (issues[0].clone(), text(&first.stdout))
}

/// Every `FAIL` line but `root`'s says it is caused by `root`, and there are at least `n`.
#[track_caller]
fn all_caused_by(stdout: &str, root: &str, n: usize) {
    let failing = failing_lines(stdout);
    assert!(failing.len() >= n, "{stdout}");
    for line in failing {
        let is_root = line.split_whitespace().nth(1) == Some(root);
        assert!(
            is_root || line.ends_with(&format!("(caused by {root})")),
            "{line}\n{stdout}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_name_answering_nxdomain_is_one_issue_on_public_dns_listing_what_it_breaks() {
    let w = World::new().await;
    let (issue, stdout) = one_alarm(&w, Fault::DnsNxdomain).await;
    all_caused_by(&stdout, "public-dns", 3);
    assert!(issue.title.contains("public-dns"), "{}", issue.title);
    assert!(issue.body.contains("NXDOMAIN"), "{}", issue.body);
    let probes = listed(&issue);
    assert_eq!(probes.first().map(String::as_str), Some("public-dns"));
    assert!(probes.len() >= 4, "{probes:?}");
    for p in ["public-tls", "photos-download", "biz-persons", "os-ui"] {
        assert!(probes.iter().any(|l| l == p), "{p} not in {probes:?}");
    }
    assert!(
        issue.body.contains("- `public-tls` (caused by public-dns)"),
        "{}",
        issue.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_answering_502_to_everything_is_one_grouped_issue_naming_the_signature() {
    let w = World::new().await;
    let (issue, stdout) = one_alarm(&w, Fault::Gateway502).await;
    let failing = failing_lines(&stdout);
    assert!(failing.len() >= 3, "{stdout}");
    for line in &failing {
        assert!(line.contains("502"), "{line}");
        assert!(
            !line.contains("public-dns") && !line.contains("public-tls"),
            "the name and the certificate are fine: {line}"
        );
    }
    let probes = listed(&issue);
    let n = failing.len();
    assert_eq!(
        issue.title,
        format!("[smoke] {n} probes fail with HTTP 502 Bad Gateway on herodemo (external)"),
        "{stdout}"
    );
    assert!(
        issue
            .body
            .contains(&format!("**{n} probes fail with HTTP 502 Bad Gateway**")),
        "{}",
        issue.body
    );
    assert_eq!(probes.len(), n, "{probes:?}\n{stdout}");
    for p in ["photos-download", "biz-persons", "os-ui", "embedder-queue"] {
        assert!(probes.iter().any(|l| l == p), "{p} not in {probes:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_is_one_issue_on_public_tls_listing_what_it_breaks() {
    let w = World::new().await;
    let (issue, stdout) = one_alarm(&w, Fault::CertExpired).await;
    all_caused_by(&stdout, "public-tls", 3);
    assert!(
        !stdout.contains("FAIL public-dns"),
        "the name still resolves: {stdout}"
    );
    assert!(issue.title.contains("public-tls"), "{}", issue.title);
    assert!(issue.body.contains("expired"), "{}", issue.body);
    let probes = listed(&issue);
    assert_eq!(probes.first().map(String::as_str), Some("public-tls"));
    for p in ["photos-download", "biz-persons", "os-ui"] {
        assert!(
            issue
                .body
                .contains(&format!("- `{p}` (caused by public-tls)")),
            "{p}: {}",
            issue.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_service_is_one_issue_on_its_health_probe_listing_its_other_probes() {
    let w = World::new().await;
    let (issue, stdout) = one_alarm(&w, Fault::Hang("hero_foundry".into())).await;
    let failing = failing_lines(&stdout);
    assert_eq!(failing.len(), 2, "{stdout}");
    let photos = failing
        .iter()
        .find(|l| l.contains("photos-download"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        photos.ends_with("(caused by health-hero_foundry)"),
        "{photos}"
    );
    assert!(
        issue.title.contains("health-hero_foundry"),
        "{}",
        issue.title
    );
    assert!(issue.body.contains("timeout"), "{}", issue.body);
    assert_eq!(listed(&issue), ["health-hero_foundry", "photos-download"]);
}
