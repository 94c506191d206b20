//! Known good from outside (issue 24): `smoke-external baseline` takes the outside's part of
//! the one baseline file and keeps the inside's, and drift through the public gateway is
//! named while every probe's own expectations pass; the gate says so.

mod common;

use common::{deployment, herodemo_panel, sets};
use serde_json::Value;
use smoke_sim::Fault;
use std::path::{Path, PathBuf};
use std::process::Output;

/// `smoke-external COMMAND --panel PANEL` pointed at `sim`, its probes proven.
async fn smoke(sim: &smoke_sim::Deployment, panel: &Path, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-external"));
    cmd.args(&args[..1])
        .arg("--panel")
        .arg(panel)
        .args(&args[1..]);
    for s in sets(sim) {
        cmd.arg("--set").arg(s);
    }
    cmd.args(["--set", "defaults.proven=true"])
        .env_remove("SMOKE_PANEL")
        .env_remove("SMOKE_STATE_DIR");
    cmd.output().await.expect("smoke-external runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The herodemo panel in `dir`, naming `h.baseline.json` beside it.
fn panel_in(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(herodemo_panel()).unwrap().replacen(
        "[panel]\n",
        "[panel]\nbaseline = \"h.baseline.json\"\n",
        1,
    );
    let panel = dir.join("h.toml");
    std::fs::write(&panel, text).unwrap();
    panel
}

fn sides(file: &Path) -> Value {
    let known: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    known["sides"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outside_takes_its_part_and_names_drift_through_the_gateway() {
    let sim = deployment().await;
    let dir = tempfile::tempdir().unwrap();
    let panel = panel_in(dir.path());
    let file = dir.path().join("h.baseline.json");

    let out = smoke(&sim, &panel, &["baseline", "--ticks", "3"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let taken = sides(&file);
    assert_eq!(
        taken.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["external"]
    );
    assert!(
        taken["external"]["probes"]["biz-persons"]["answer"]["lists"]["json.result"].is_object()
    );

    // An inside part beside it is kept when the outside takes its part again.
    let mut known: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    known["sides"]["internal"] = known["sides"]["external"].clone();
    known["sides"]["internal"]["vantage"] = "inside".into();
    std::fs::write(&file, serde_json::to_string_pretty(&known).unwrap()).unwrap();
    let out = smoke(&sim, &panel, &["baseline", "--ticks", "2"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let again = sides(&file);
    assert_eq!(again["internal"], known["sides"]["internal"]);
    assert_eq!(again["external"]["ticks"], 2);

    // The healthy deployment: no drift.
    let run = ["run", "--no-notify", "--format", "json"];
    let out = smoke(&sim, &panel, &run).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The business list shrinks to one person, seen through the public gateway.
    sim.set(Fault::BizOnePerson);
    let out = smoke(&sim, &panel, &run).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = report["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "biz-persons")
        .unwrap();
    assert_eq!(
        (&p["outcome"], &p["cause"]),
        (&"degraded".into(), &"drift".into()),
        "{p:#}"
    );
    let moved = p["drift"][0].as_str().unwrap();
    assert!(
        moved.starts_with("len(result): ") && moved.ends_with(" at baseline, 1 now"),
        "{moved}"
    );

    // The gate from outside says the same, and exits 2.
    let state = dir.path().join("state");
    let out = smoke(
        &sim,
        &panel,
        &[
            "gate",
            "--ticks",
            "2",
            "--state-dir",
            state.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("gate: biz-persons drifted in 2 of 2 ticks: len(result): "),
        "{said}"
    );
}
