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
            "[panel]\nname = \"scale\"\nevery = \"10m\"\ntimeout = \"2s\"\n\
             [internal]\nsocket_dir = \"{}\"\n[defaults]\nretries = 0\n\
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_failing_probes_open_ten_thousand_incidents_in_one_run_well_inside_30s() {
    let dir = tempfile::tempdir().unwrap();
    stale_sockets(&dir.path().join("sockets"), 10_000).unwrap();
    let panel = panel(dir.path(), "");
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
        assert_eq!(failed(&out), 10_000);
        assert!(
            took < Duration::from_secs(30),
            "the tick that {tick} 10,000 incidents took {took:?}"
        );
        if tick == "opens" {
            assert_eq!(stderr.matches(" opened: health-svc").count(), 10_000);
        }
    }
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.path().join("state.json")).unwrap()).unwrap();
    let open = saved["probes"]
        .as_object()
        .unwrap()
        .values()
        .filter(|p| !p["incident"].is_null())
        .count();
    assert_eq!(open, 10_000);
    assert_eq!(saved["outbox"].as_array().unwrap().len(), 0, "all told");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_incidents_reach_a_webhook_once_each_in_order() {
    let dir = tempfile::tempdir().unwrap();
    stale_sockets(&dir.path().join("sockets"), 1_000).unwrap();
    let hook = FakeHook::start().await.unwrap();
    let panel = panel(
        dir.path(),
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
    let want: Vec<String> = (0..1_000).map(|i| format!("health-svc{i:05}")).collect();
    assert_eq!(
        names, want,
        "each incident told once, in the order of the panel"
    );
}
