//! The Alertmanager sink with a cluster: every alert goes to each URL, labelled with the
//! vantage point, and a retry goes only to the ones that did not take it.

mod common;

use smoke_sim::fakes::FakeHook;
use smoke_sim::{Deployment, Fault};
use std::path::{Path, PathBuf};
use std::process::Output;

fn panel(dir: &Path, a: &FakeHook, b: &FakeHook) -> PathBuf {
    let text = std::fs::read_to_string(common::herodemo_panel()).unwrap();
    let text = format!(
        "{text}\n[[notify]]\ntype = \"alertmanager\"\nurls = [\"{}\", \"{}/\"]\n",
        a.url(),
        b.url()
    );
    let path = dir.join("panel.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn tick(sim: &Deployment, panel: &Path, state: &Path) -> Output {
    common::run_on(sim, panel, state)
        .args(["--set", "panel.timeout=2s"])
        .env("SMOKE_VANTAGE", "eu-1")
        .output()
        .await
        .unwrap()
}

/// The alerts a fake Alertmanager took, at the API v2 path, as (alertname, probe, vantage).
fn alerts(hook: &FakeHook) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for r in hook.requests() {
        assert_eq!(r.path, "/api/v2/alerts");
        for a in r.body.as_array().expect("a list of alerts") {
            let l = &a["labels"];
            let s = |k: &str| l[k].as_str().unwrap_or_default().to_string();
            out.push((s("alertname"), s("probe"), s("vantage")));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_alert_reaches_each_alertmanager_and_a_retry_only_the_one_that_missed_it() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::BizEmpty);
    let (a, b) = (
        FakeHook::start().await.unwrap(),
        FakeHook::start().await.unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let panel = panel(dir.path(), &a, &b);

    let out = tick(&sim, &panel, state.path()).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (got_a, got_b) = (alerts(&a), alerts(&b));
    assert!(!got_a.is_empty(), "a failing probe alerts");
    assert_eq!(got_a, got_b, "both Alertmanagers get every alert");
    for (name, _, vantage) in &got_a {
        assert_eq!(name, "SmokeProbeFailing");
        assert_eq!(vantage, "eu-1");
    }

    // One node down: the other takes the tick's alert once, however often the down one is
    // retried within the tick.
    b.set_down(true);
    let (a_before, b_attempts) = (a.requests().len(), b.attempts());
    let out = tick(&sim, &panel, state.path()).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        b.attempts() >= b_attempts + 2,
        "the down node is retried: {stderr}"
    );
    assert_eq!(
        a.requests().len(),
        a_before + 1,
        "no repeat to the node that took it: {stderr}"
    );
    assert!(
        stderr.contains(&b.url()),
        "the failure names the node: {stderr}"
    );
    assert!(
        !stderr.contains(&format!("Alertmanager at {}", a.url())),
        "{stderr}"
    );

    // Back up: the delivery kept in the state reaches it.
    b.set_down(false);
    let b_before = b.requests().len();
    tick(&sim, &panel, state.path()).await;
    assert!(
        b.requests().len() > b_before,
        "the missed alert is delivered"
    );
    assert!(alerts(&b).iter().all(|(_, _, v)| v == "eu-1"));
}
