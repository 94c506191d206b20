//! What a failing page leaves behind: its screenshot in the state folder, named by the JSON
//! report, linked by the status page and attached once to the incident's forge issue.

mod common;

use common::world::{Setup, World};
use smoke_sim::Fault;

/// The app drawn, judged as herodemo.toml's os-ui-rendered judges it, with a deadline that
/// lets a cold browser start on a busy machine.
const PROBE: &str = r##"
[[probe]]
name = "ui-drawn"
target = "hero_os/ui"
browse = "/"
wait_for = "#hero-dashboard"
timeout = "8s"
expect = ["element(nav a) >= 3", "images.broken == 0", "console.errors == 0"]
"##;

fn report(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the report is JSON ({e}): {}{}",
            common::world::text(&out.stdout),
            common::world::text(&out.stderr)
        )
    })
}

fn probe(report: &serde_json::Value) -> &serde_json::Value {
    &report["probes"][0]
}

#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_page_is_kept_named_linked_and_attached_once_per_incident() {
    let w = World::start(Setup {
        only: Some("ui-drawn"),
        probes: PROBE.to_string(),
        ..Setup::default()
    })
    .await;
    let out = w.tick(&["--format", "json"]).await;
    let first = report(&out);
    assert_eq!(probe(&first)["outcome"], "ok", "{first}");
    assert!(
        probe(&first).get("evidence").is_none(),
        "a passing page is not kept"
    );

    w.sim.set(Fault::UiBootError);
    let out = w.tick(&["--format", "json"]).await;
    let failed = report(&out);
    assert_eq!(probe(&failed)["cause"], "timeout", "{failed}");
    let kept = probe(&failed)["evidence"]
        .as_str()
        .unwrap_or_else(|| panic!("the report names the screenshot: {failed}"))
        .to_string();
    let png = std::fs::read(&kept).expect("the named file is there");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let folder = w.state.path().join("evidence").join("ui-drawn");
    assert!(kept.starts_with(&folder.display().to_string()), "{kept}");

    // One issue, with the screenshot attached.
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    let attached = &issues[0].attachments;
    assert_eq!(attached.len(), 1, "one upload when the incident opens");
    assert_eq!(attached[0].bytes, png, "the kept screenshot itself");
    assert_eq!(attached[0].content_type.as_deref(), Some("image/png"));
    assert!(
        w.forge.violations().is_empty(),
        "{:?}",
        w.forge.violations()
    );
    // The webhook's event names the file too.
    let opened = w.hook.received();
    let opened = opened
        .iter()
        .find(|e| e["event"] == "opened")
        .expect("an opened event");
    assert_eq!(opened["evidence"], kept.as_str());

    // Still failing: a reminder comments, and attaches nothing more.
    let out = w
        .tick(&["--format", "json", "--set", "panel.remind_every=1ms"])
        .await;
    let again = report(&out);
    assert_eq!(probe(&again)["outcome"], "fail", "{again}");
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(
        issues[0].comments.len(),
        1,
        "a reminder: {:?}",
        issues[0].comments
    );
    assert_eq!(issues[0].attachments.len(), 1, "no upload per reminder");
    let shots = std::fs::read_dir(&folder).unwrap().count();
    assert_eq!(shots, 2, "each failing tick keeps its own");

    // The status page links the latest, and the loop's server would serve it by that link.
    let status = common::smoke_command()
        .args(["status", "--json", "--state-dir"])
        .arg(w.state.path())
        .output()
        .await
        .unwrap();
    let page: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap_or_else(|e| {
        panic!(
            "status --json ({e}): {}",
            common::world::text(&status.stderr)
        )
    });
    let row = page["probes"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == "ui-drawn"))
        .unwrap_or_else(|| panic!("a row for the probe: {page}"));
    let link = row["screenshot"]
        .as_str()
        .expect("the row links a screenshot");
    let newest = probe(&again)["evidence"].as_str().unwrap();
    assert!(
        link.starts_with("evidence/ui-drawn/")
            && newest.ends_with(link.rsplit('/').next().unwrap()),
        "{link} vs {newest}"
    );

    // Healed: the issue closes; the screenshots stay for the record.
    w.sim.clear(&Fault::UiBootError);
    let out = w.tick(&["--format", "json"]).await;
    assert_eq!(probe(&report(&out))["outcome"], "ok");
    let issues = w.forge.issues();
    assert_eq!(issues[0].state, "closed", "{issues:?}");
    assert_eq!(issues[0].attachments.len(), 1);
}
