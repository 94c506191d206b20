//! Scale: a tick of thousands of failing probes costs time in proportion to them, not to their
//! square. The bounds are wide on purpose (a quadratic tick took minutes here); the figures come
//! from `smoke-sim bench --failing`, not from these tests.

use smoke_sim::bench::stale_sockets;
use smoke_sim::fakes::FakeHook;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

fn panel(dir: &Path, notify: &str) -> std::path::PathBuf {
    let path = dir.join("panel.toml");
    std::fs::write(
        &path,
        format!(
            "[panel]\nname = \"scale\"\nevery = \"10m\"\ntimeout = \"2s\"\nmax_services = 10000\n\
             [internal]\nsocket_dir = \"{}\"\n[defaults]\nretries = 0\nproven = true\n\
             [[probe]]\nname = \"health-{{service}}\"\nfor_each = \"service\"\n\
             target = \"{{service}}/rpc\"\nget = \"/health\"\nexpect = [\"status == 200\"]\n{notify}",
            dir.join("sockets").display()
        ),
    )
    .unwrap();
    path
}

async fn run(panel: &Path, state: &Path, env: &[(&str, String)]) -> (Output, Duration) {
    let started = Instant::now();
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
        .args(["run", "--format", "json", "--concurrency", "64", "--panel"])
        .arg(panel)
        .arg("--state-dir")
        .arg(state)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env_remove("PATH_SOCKET")
        .env_remove("HERO_SOCKET_DIR")
        .kill_on_drop(true)
        .output();
    // A quadratic tick would run for hours: give up long before, and say so.
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the run ends within 120 s")
        .unwrap();
    (out, started.elapsed())
}

fn failed(out: &Output) -> usize {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    report["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["outcome"] == "fail" && p["cause"] == "connect")
        .count()
}

/// A panel of `n` probes over the simulated deployment's generic services, each expecting an
/// answer it does not get: `n` wrong answers, which are never grouped, so `n` incidents.
fn wrong_answers(dir: &Path, socket_dir: &Path, n: usize, notify: &str) -> std::path::PathBuf {
    let mut text = format!(
        "[panel]\nname = \"scale\"\nevery = \"10m\"\ntimeout = \"5s\"\n\
         [internal]\nsocket_dir = \"{}\"\n[defaults]\nretries = 0\nproven = true\n{notify}",
        socket_dir.display()
    );
    for i in 0..n {
        text.push_str(&format!(
            "\n[[probe]]\nname = \"p{i:05}\"\ntarget = \"svc_{:03}/rpc\"\nget = \"/health\"\n\
             expect = [\"json.status == broken\"]\n",
            i % SERVICES
        ));
    }
    let path = dir.join("panel.toml");
    std::fs::write(&path, text).unwrap();
    path
}

const SERVICES: usize = 50;

async fn generic_services() -> smoke_sim::Deployment {
    smoke_sim::Deployment::start_with(smoke_sim::Options {
        extra_services: SERVICES,
        ..Default::default()
    })
    .await
    .unwrap()
}

fn open_incidents(state: &Path) -> serde_json::Value {
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("state.json")).unwrap()).unwrap();
    assert_eq!(saved["outbox"].as_array().unwrap().len(), 0, "all told");
    saved["incidents"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_wrong_answers_open_five_thousand_incidents_in_one_run_well_inside_30s() {
    let sim = generic_services().await;
    let dir = tempfile::tempdir().unwrap();
    let panel = wrong_answers(dir.path(), sim.socket_dir(), 5_000, "");
    let state = tempfile::tempdir().unwrap();
    for tick in ["opens", "keeps"] {
        let (out, took) = run(&panel, state.path(), &[]).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            &stderr[..stderr.len().min(2000)]
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let wrong = report["probes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["cause"] == "assertion")
            .count();
        assert_eq!(wrong, 5_000);
        assert!(
            took < Duration::from_secs(30),
            "the tick that {tick} 5,000 incidents took {took:?}"
        );
        if tick == "opens" {
            assert_eq!(stderr.matches(" opened: p").count(), 5_000);
        }
    }
    assert_eq!(
        open_incidents(state.path()).as_object().unwrap().len(),
        5_000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_stale_sockets_are_one_grouped_incident_in_one_run_well_inside_30s() {
    let dir = tempfile::tempdir().unwrap();
    stale_sockets(&dir.path().join("sockets"), 10_000).unwrap();
    let panel = panel(dir.path(), "");
    let state = tempfile::tempdir().unwrap();
    for tick in ["opens", "keeps"] {
        let (out, took) = run(&panel, state.path(), &[]).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(failed(&out), 10_000);
        assert!(took < Duration::from_secs(30), "{tick}: {took:?}");
        let opened = stderr.matches(" opened: ").count();
        assert_eq!(opened, usize::from(tick == "opens"), "{tick}");
    }
    let incidents = open_incidents(state.path());
    let incidents = incidents.as_object().unwrap();
    assert_eq!(incidents.len(), 1, "one signature, one incident");
    let group = incidents.values().next().unwrap();
    assert_eq!(group["members"].as_array().unwrap().len(), 10_000);
    assert_eq!(
        group["group"],
        "connect: connection refused: … is a stale socket, nobody listens on it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_incidents_reach_a_webhook_once_each_in_order() {
    let sim = generic_services().await;
    let dir = tempfile::tempdir().unwrap();
    let hook = FakeHook::start().await.unwrap();
    let panel = wrong_answers(
        dir.path(),
        sim.socket_dir(),
        1_000,
        &format!(
            "[[notify]]\ntype = \"webhook\"\nurl = \"{}/events\"\n",
            hook.url()
        ),
    );
    let state = tempfile::tempdir().unwrap();
    let (out, took) = run(&panel, state.path(), &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(took < Duration::from_secs(30), "{took:?}");
    let names: Vec<String> = hook
        .received()
        .iter()
        .map(|e| e["probe"].as_str().unwrap_or_default().to_string())
        .collect();
    let want: Vec<String> = (0..1_000).map(|i| format!("p{i:05}")).collect();
    assert_eq!(
        names, want,
        "each incident told once, in the order of the panel"
    );
}
