//! First contact: a probe that has never passed on this deployment pages no one, says so once a
//! day, and shows everywhere; once it has passed, its failure is an incident as any other.

mod common;

use common::world::{text, Setup, World, RPC_RESTART};
use smoke_sim::Fault;
use std::process::Output;

/// A probe of the healthy business RPC whose expectation the deployment does not meet: the
/// probe is wrong, not the deployment.
const WRONG: &str = "\n[[probe]]\nname = \"biz-wrong\"\ntarget = \"hero_osis_business/rpc\"\n\
rpc = \"business.persons.list\"\nexpect = [\"len(result) > 1000\"]\n";

const SAID: &str = "has never passed here since ";

/// The herodemo panel and `probes`, `--only` `only`, on a state folder no tick has used; its
/// `[defaults]` start with `defaults`.
async fn first_contact(only: &'static str, probes: &str, defaults: &str) -> World {
    World::start(Setup {
        only: Some(only),
        probes: probes.to_string(),
        defaults: defaults.to_string(),
        first_contact: true,
        ..Setup::default()
    })
    .await
}

/// The lines a run said about unproven probes.
fn said(out: &Output) -> Vec<String> {
    text(&out.stderr)
        .lines()
        .filter(|l| l.contains(SAID))
        .map(str::to_string)
        .collect()
}

fn told(w: &World) -> (usize, usize, usize) {
    (
        w.forge.issues().len(),
        w.slack.received().len(),
        w.hook.received().len(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_expectation_pages_no_one_over_ten_ticks_and_is_said_once() {
    // With a restart to make: none is made.
    let w = first_contact("biz-wrong", WRONG, RPC_RESTART).await;
    let mut lines = Vec::new();
    for _ in 0..10 {
        let out = w.tick(&[]).await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "it counts: {}",
            text(&out.stderr)
        );
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("FAIL (unproven) biz-wrong"),
            "{stdout}{}",
            text(&out.stderr)
        );
        lines.extend(said(&out));
    }
    assert_eq!(told(&w), (0, 0, 0), "no issue, no Slack message, no event");
    assert!(w.sim.restarts().is_empty(), "{:?}", w.sim.restarts());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("smoke: probe biz-wrong has never passed here since ")
            && lines[0].ends_with(": the probe or the deployment is wrong"),
        "{}",
        lines[0]
    );
    let state = w.state_json();
    assert!(state["incidents"].as_object().unwrap().is_empty());
    assert!(state["proofs"]["biz-wrong"]["unproven_since"].is_string());

    // It shows everywhere: the JSON report, list, the status page and its JSON.
    let out = w.tick(&["--format", "json"]).await;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["probes"][0]["proven"], false, "{report}");
    let list = common::smoke_command()
        .args(["list", "--only", "biz-wrong", "--panel"])
        .arg(&w.panel)
        .arg("--state-dir")
        .arg(w.state.path())
        .args([
            "--set",
            &format!("internal.socket_dir={}", w.sim.socket_dir().display()),
        ])
        .output()
        .await
        .unwrap();
    let listed = text(&list.stdout);
    assert!(
        listed.starts_with("biz-wrong\trpc business.persons.list\t")
            && listed.contains("\tunproven: never passed here since "),
        "{listed}{}",
        text(&list.stderr)
    );
    let page = w.state.path().join("page.html");
    let out = common::smoke_command()
        .arg("status")
        .arg("--state-dir")
        .arg(w.state.path())
        .arg("--html")
        .arg(&page)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("<span class=\"badge unproven\">fail (unproven)</span>"),
        "{html}"
    );
    assert!(html.contains("never passed here since "), "{html}");
    let out = common::smoke_command()
        .arg("status")
        .arg("--state-dir")
        .arg(w.state.path())
        .arg("--json")
        .output()
        .await
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["probes"][0]["proven"], false, "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_that_passed_here_then_breaks_opens_exactly_one_incident() {
    let w = first_contact("biz-persons", "", "").await;
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    w.sim.set(Fault::BizEmpty);
    for _ in 0..5 {
        let out = w.tick(&[]).await;
        assert_eq!(out.status.code(), Some(2));
        assert!(said(&out).is_empty(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains("FAIL biz-persons"), "{stdout}");
    }
    let (issues, slack, _) = told(&w);
    assert_eq!((issues, slack), (1, 1), "one issue, one Slack message");
    let report_json = w.tick(&["--format", "json"]).await;
    let report: serde_json::Value = serde_json::from_slice(&report_json.stdout).unwrap();
    assert!(report["probes"][0].get("proven").is_none(), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_definition_is_unproven_again() {
    let passing = WRONG.replace("len(result) > 1000", "len(result) > 0");
    let w = first_contact("biz-wrong", &passing, "").await;
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The panel is edited to a new expectation the deployment does not meet.
    let panel = std::fs::read_to_string(&w.panel).unwrap();
    std::fs::write(
        &w.panel,
        panel.replacen(
            "len(result) > 0\"]\n\n[[notify]]",
            "len(result) > 1000\"]\n\n[[notify]]",
            1,
        ),
    )
    .unwrap();
    assert_ne!(std::fs::read_to_string(&w.panel).unwrap(), panel);
    let mut lines = Vec::new();
    for _ in 0..3 {
        let out = w.tick(&[]).await;
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stdout).contains("FAIL (unproven) biz-wrong"));
        lines.extend(said(&out));
    }
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(told(&w), (0, 0, 0));
}

/// An RPC's `params` are part of what a probe proves: the same method asked of another id is a
/// new definition, unproven until it passes, however the method's name reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_params_are_unproven_again() {
    let get = "\n[[probe]]\nname = \"biz-get\"\ntarget = \"hero_osis_business/rpc\"\n\
               rpc = \"business.persons.get\"\nparams = { id = \"p-root-1\" }\n";
    let w = first_contact("biz-get", get, "").await;
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let panel = std::fs::read_to_string(&w.panel).unwrap();
    std::fs::write(&w.panel, panel.replacen("p-root-1", "p-root-nobody", 1)).unwrap();
    for _ in 0..2 {
        let out = w.tick(&[]).await;
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stdout).contains("FAIL (unproven) biz-get"),
            "{}",
            text(&out.stdout)
        );
    }
    assert_eq!(told(&w), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proven_true_alarms_at_once() {
    let proven = WRONG.replace("expect = ", "proven = true\nexpect = ");
    let w = first_contact("biz-wrong", &proven, "").await;
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(said(&out).is_empty(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("FAIL biz-wrong"));
    let (issues, slack, _) = told(&w);
    assert_eq!(
        (issues, slack),
        (1, 1),
        "the first failure opens its incident"
    );
}
