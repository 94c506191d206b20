//! From outside, hero_proc's `service.list` through the gateway is read no further than
//! `[panel] max_services`: a list of 100,000 names costs the gateway at most that many probes'
//! requests, and the tick says once how many names it left out.

mod common;

use common::{deployment, sets};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_listing_100_000_names_gets_at_most_1000_probes_and_one_note() {
    let sim = deployment().await;
    let names: Vec<String> = (0..100_000).map(|i| format!("x{i:06}")).collect();
    sim.also_list(&names.iter().map(String::as_str).collect::<Vec<_>>());
    let dir = tempfile::tempdir().unwrap();
    let panel = dir.path().join("panel.toml");
    std::fs::write(
        &panel,
        "[panel]\nname = \"many\"\n\n[[probe]]\nname = \"health-{service}\"\n\
         for_each = \"service\"\ntarget = \"{service}/rpc\"\nget = \"/health\"\n\
         expect = [\"status == 200\"]\n",
    )
    .unwrap();
    let state = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-external"));
    cmd.args(["run", "--format", "json", "--panel"])
        .arg(&panel)
        .arg("--state-dir")
        .arg(state.path())
        .kill_on_drop(true);
    for set in sets(&sim) {
        cmd.arg("--set").arg(set);
    }
    let before = sim.gateway_requests();
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the tick ends within 60 s")
        .unwrap();
    let requests = sim.gateway_requests() - before;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr = &stderr[..stderr.len().min(2000)];
    // The listed names have no route through the gateway: they fail.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        requests <= 1 + 1000,
        "service.list and at most 1000 probes, not {requests}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let health: Vec<&str> = report["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .filter(|n| n.starts_with("health-"))
        .collect();
    assert_eq!(health.len(), 1000);
    // The first 1000 by name: the deployment's own services, then x000000 onwards.
    for service in sim.services() {
        assert!(health.contains(&format!("health-{service}").as_str()));
    }
    let room = 1000 - sim.services().len();
    assert!(health.contains(&format!("health-x{:06}", room - 1).as_str()));
    let notes = report["notes"].as_array().expect("a note on the cut");
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = notes[0].as_str().unwrap();
    assert!(note.contains("hero_proc's service.list"), "{note}");
    assert!(
        note.contains(&format!("{} names left out", 100_000 - room)),
        "{note}"
    );
    assert!(note.contains("max_services = 1000"), "{note}");
    assert_eq!(stderr.matches("left out").count(), 1, "said once: {stderr}");
}
