//! A probe that runs less often than its panel (`every = "1h"`): run on the first tick, left
//! out until its period has passed and said so, run at once when asked by name, and run every
//! tick while it fails, so its healing is seen at the panel's pace.

mod common;

use smoke_sim::{Deployment, Fault};

const PANEL: &str = r#"
[panel]
name = "every"

[[probe]]
name = "foundry-health"
target = "hero_foundry/rpc"
get = "/health"
expect = ["status == 200"]

[[probe]]
name = "photos-hourly"
target = "hero_foundry/rpc"
get = "/api/files/root/Photos/"
every = "1h"
expect = ["status == 200", "len(json) > 0"]
"#;

async fn tick(
    sim: &Deployment,
    panel: &std::path::Path,
    state: &std::path::Path,
    extra: &[&str],
) -> (serde_json::Value, String) {
    let out = common::run_on(sim, panel, state)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .await
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (report, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn ran(report: &serde_json::Value) -> Vec<String> {
    report["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["outcome"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_with_its_own_period_waits_for_it_unless_asked_or_failing() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let panel = dir.path().join("every.toml");
    std::fs::write(&panel, PANEL).unwrap();
    let state = dir.path().join("state");

    let (first, _) = tick(&sim, &panel, &state, &[]).await;
    assert_eq!(
        ran(&first),
        ["foundry-health ok", "photos-hourly ok"],
        "due on its first tick"
    );

    let (second, _) = tick(&sim, &panel, &state, &[]).await;
    assert_eq!(
        ran(&second),
        ["foundry-health ok"],
        "not due again within the hour"
    );
    let notes = second["notes"].to_string();
    assert!(
        notes.contains("not due this tick: photos-hourly (every 1h, next in 59m"),
        "the report says why it is missing: {notes}"
    );
    let state_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("state.json")).unwrap()).unwrap();
    assert!(
        state_json["last_run"]["photos-hourly"].is_string(),
        "{state_json}"
    );
    assert!(
        state_json["last_run"].get("foundry-health").is_none(),
        "only probes with an every"
    );

    // Asked for by name, it runs now.
    let (asked, _) = tick(&sim, &panel, &state, &["--only", "photos-hourly"]).await;
    assert_eq!(ran(&asked), ["photos-hourly ok"]);

    // Failing, it runs every tick until it heals.
    sim.set(Fault::PhotosEmpty);
    let (broken, _) = tick(&sim, &panel, &state, &["--only", "photos-hourly"]).await;
    assert_eq!(ran(&broken), ["photos-hourly fail"]);
    let (still, _) = tick(&sim, &panel, &state, &[]).await;
    assert_eq!(
        ran(&still),
        ["foundry-health ok", "photos-hourly fail"],
        "a failing probe is due"
    );
    sim.clear(&Fault::PhotosEmpty);
    let (healed, _) = tick(&sim, &panel, &state, &[]).await;
    assert_eq!(ran(&healed), ["foundry-health ok", "photos-hourly ok"]);
    let (after, _) = tick(&sim, &panel, &state, &[]).await;
    assert_eq!(
        ran(&after),
        ["foundry-health ok"],
        "healed, it waits its period again"
    );
}

#[tokio::test]
async fn a_period_under_a_second_is_refused_where_it_is_written() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let panel = dir.path().join("every.toml");
    std::fs::write(&panel, PANEL.replace("every = \"1h\"", "every = \"500ms\"")).unwrap();
    let out = common::run_on(&sim, &panel, &dir.path().join("state"))
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("every.toml:15:9"), "file and line: {said}");
    assert!(
        said.contains("a probe's every must be at least 1s"),
        "{said}"
    );
}
