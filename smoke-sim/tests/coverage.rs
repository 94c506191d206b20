//! `smoke-sim coverage`: the herodemo panel catches (or knowingly ignores) every fault the
//! simulation knows; a panel that lost a probe shows the failure it let back in; a broken or
//! unhealthy panel, or an ignore of a fault that does not exist, is exit 3.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use smoke_sim::Fault;

fn herodemo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../probes/herodemo.toml")
}

fn coverage(panel: &Path, json: bool) -> Output {
    coverage_with(panel, if json { &["--format", "json"] } else { &[] })
}

fn coverage_with(panel: &Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_smoke-sim"));
    cmd.args(["coverage", "--panel"]).arg(panel).args(args);
    cmd.output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A panel file in a fresh folder (kept alive by the returned guard).
fn panel_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// `text` without the `[[probe]]` table named `name` (its comments stay with the table before).
fn without_probe(text: &str, name: &str) -> String {
    let mut parts = text.split("\n[[probe]]\n");
    let mut out = parts.next().unwrap().to_string();
    let mut dropped = false;
    for part in parts {
        if part.contains(&format!("name = \"{name}\"\n")) {
            dropped = true;
            continue;
        }
        out.push_str("\n[[probe]]\n");
        out.push_str(part);
    }
    assert!(dropped, "no probe {name} in the panel");
    out
}

/// Biz persons alone: per-service faults run on hero_osis_business only. Its own long timeout
/// must not make each hang cost a minute.
const BIZ_ONLY: &str = r#"[panel]
name = "biz-only"

[[probe]]
name = "biz-persons"
target = "hero_osis_business/rpc"
rpc = "business.persons.list"
expect = ["len(result) > 0"]
timeout = "60s"
"#;

#[test]
fn herodemo_catches_or_knowingly_ignores_every_fault() {
    let started = Instant::now();
    let out = coverage(&herodemo(), false);
    let elapsed = started.elapsed();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.trim_end().ends_with("no blind spots"), "{stdout}");
    assert!(!stdout.contains("MISSED"), "{stdout}");
    // Every fault of every service the panel reaches is a row: 29 fixed, 10 on each of 6.
    let total = Fault::every(&vec![String::new(); 6]).len();
    assert_eq!(total, 29 + 10 * 6);
    let last = stdout
        .lines()
        .find(|l| l.contains(" failures caught"))
        .unwrap_or_else(|| panic!("no count line: {stdout}"));
    assert!(
        last.contains(&format!(" of {total} failures caught")),
        "{last}"
    );
    let row = |fault: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{fault} ")))
            .unwrap_or_else(|| panic!("no row for {fault}: {stdout}"))
            .to_string()
    };
    assert!(
        row("biz-empty").contains("biz-persons (inside: assertion, outside: assertion)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("= \"Biz dashboard shows 0 records\""),
        "{stdout}"
    );
    assert!(row("hang:hero_foundry").contains("timeout"), "{stdout}");
    assert!(
        row("cert-expired").contains("public-tls (outside: tls)"),
        "{stdout}"
    );
    assert!(row("rpc-error:hero_os").contains("ignored: "), "{stdout}");
    // What only a baseline knows is caught as drift, against one taken of the healthy
    // deployment first; a slower service once it is slow in 3 ticks.
    assert!(
        stdout.contains("drift judged against a baseline of 5 healthy ticks"),
        "{stdout}"
    );
    for (fault, probe) in [
        ("biz-answer-reshaped", "biz-persons"),
        ("biz-one-person", "biz-persons"),
        ("biz-field-gone", "biz-persons"),
        ("ui-element-gone", "os-ui"),
        ("content-type-changed:hero_foundry", "health-hero_foundry"),
        ("slow:hero_osis_business", "biz-persons"),
    ] {
        assert!(
            row(fault).contains(&format!("{probe} (inside: drift, outside: drift)")),
            "{fault}: {stdout}"
        );
    }
    // Each side catches what it can see: hero_os's rpc.sock gone leaves its folder serving
    // ui.sock, and the inside, having seen it on the healthy tick, says it is missing.
    assert!(
        row("socket-missing:hero_os").contains("health-hero_os (inside: connect, outside: http)"),
        "{stdout}"
    );
    // Hangs cost the short timeout, not the panel's: the whole run stays within minutes.
    assert!(elapsed < Duration::from_secs(240), "{elapsed:?}");
}

/// The hero layout (hero_os's UI a loader page only): the same panel, the same faults, the UI's
/// own caught by os-ui from both sides.
#[test]
fn herodemo_has_no_blind_spot_in_the_hero_layout_either() {
    let out = coverage_with(&herodemo(), &["--layout", "hero", "--format", "json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["complete"], true, "{v:#}");
    assert_eq!(v["layout"], "hero");
    let faults = v["faults"].as_array().unwrap();
    for f in faults {
        assert_eq!(f["blind_on"], serde_json::json!([]), "{f:#}");
    }
    for name in ["socket-missing:hero_os", "socket-missing:hero_proc"] {
        let f = faults.iter().find(|f| f["fault"] == name).unwrap();
        assert!(
            f["caught_by"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["mode"] == "internal"),
            "{f:#}"
        );
    }
    for name in [
        "ui-socket-missing",
        "ui-process-dead",
        "ui-bundle-missing",
        "ui-wasm-wrong-type",
        "ui-wrong-prefix",
    ] {
        let f = faults.iter().find(|f| f["fault"] == name).unwrap();
        for mode in ["internal", "external"] {
            assert!(
                f["caught_by"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["probe"] == "os-ui" && c["mode"] == mode),
                "{name} not caught by os-ui {mode}: {f:#}"
            );
        }
    }
}

#[test]
fn a_panel_without_its_biz_probe_names_the_failure_it_let_back_in() {
    let full = std::fs::read_to_string(herodemo()).unwrap();
    let (_dir, path) = panel_file(&without_probe(&full, "biz-persons"));
    let out = coverage(&path, false);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("biz-empty ") && l.trim_end().ends_with("MISSED")),
        "{stdout}"
    );
    let blind = stdout
        .split_once("blind spots (")
        .map(|(_, b)| b)
        .unwrap_or_else(|| panic!("no blind spots: {stdout}"));
    assert!(
        blind.contains("biz-empty \"Biz dashboard shows 0 records\""),
        "{stdout}"
    );
}

#[test]
fn json_lists_each_fault_with_its_catchers_the_ignored_and_the_blind_spots() {
    let panel = format!(
        "{BIZ_ONLY}\n[coverage]\nignore = [{{ fault = \"health-500\", why = \"no health probe here\" }}]\n"
    );
    let (_dir, path) = panel_file(&panel);
    let started = Instant::now();
    let out = coverage(&path, true);
    let elapsed = started.elapsed();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        elapsed < Duration::from_secs(45),
        "a hang waited out 60s: {elapsed:?}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let total = 29 + 10;
    assert_eq!(v["total"], total, "{v:#}");
    assert_eq!(v["services"], serde_json::json!(["hero_osis_business"]));
    let faults = v["faults"].as_array().unwrap();
    assert_eq!(faults.len(), total);
    let fault = |name: &str| faults.iter().find(|f| f["fault"] == name).unwrap();
    let biz = fault("biz-empty");
    assert_eq!(biz["historical"], "Biz dashboard shows 0 records");
    for mode in ["internal", "external"] {
        assert!(
            biz["caught_by"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["probe"] == "biz-persons"
                    && c["mode"] == mode
                    && c["outcome"] == "fail"
                    && c["cause"] == "assertion"),
            "{biz:#}"
        );
    }
    assert_eq!(
        v["ignored"],
        serde_json::json!([{"fault": "health-500:hero_osis_business", "why": "no health probe here", "sides": ["internal", "external"], "caught": false}])
    );
    assert_eq!(
        fault("health-500:hero_osis_business")["ignored"],
        "no health probe here"
    );
    let hang = &fault("hang:hero_osis_business")["caught_by"][0];
    assert_eq!(hang["cause"], "timeout", "{hang:#}");
    let blind = v["blind_spots"].as_array().unwrap();
    assert!(
        blind.contains(&serde_json::json!({"fault": "photos-broken", "historical": "Photos render alt-text only", "sides": ["internal", "external"]})),
        "{blind:?}"
    );
    assert!(
        !blind.iter().any(|b| b["fault"] == "biz-empty"),
        "{blind:?}"
    );
    // A non-empty result is still one when the persons come inside an object: the probe's
    // own expectation passes, and only the baseline of the healthy deployment (a list, then)
    // says the type changed.
    let reshaped = fault("biz-answer-reshaped");
    assert_eq!(
        reshaped["caught_by"][0]["probe"], "biz-persons",
        "{reshaped:#}"
    );
    assert_eq!(
        reshaped["caught_by"][0]["outcome"], "degraded",
        "{reshaped:#}"
    );
    assert_eq!(reshaped["caught_by"][0]["cause"], "drift", "{reshaped:#}");
    assert!(
        reshaped["caught_by"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("json.result: a list at baseline, an object now"),
        "{reshaped:#}"
    );
    // A changed /health type is seen only by a probe of /health, and biz-only has none.
    assert!(
        blind
            .iter()
            .any(|b| b["fault"] == "content-type-changed:hero_osis_business"),
        "{blind:?}"
    );
    let caught = faults.iter().filter(|f| f["caught"] == true).count();
    assert_eq!(v["caught"], caught);
    assert_eq!(caught + blind.len() + 1, total, "{v:#}");
    assert_eq!(v["complete"], false);
}

#[test]
fn a_broken_or_unhealthy_panel_or_an_unknown_ignore_is_exit_3() {
    let cases = [
        (
            format!("{BIZ_ONLY}expct = [\"status == 200\"]\n"),
            vec!["p.toml:10:1", "unknown key `expct`"],
        ),
        (
            BIZ_ONLY.replace("len(result) > 0", "len(result) > 1000"),
            vec![
                "healthy",
                "biz-persons inside fail (assertion: expected len(result) > 1000",
            ],
        ),
        (
            format!("{BIZ_ONLY}[coverage]\nignore = [{{ fault = \"melt\", why = \"x\" }}]\n"),
            vec!["p.toml:11: [coverage] ignore: ", "unknown fault \"melt\""],
        ),
        (
            format!(
                "{BIZ_ONLY}[coverage]\nignore = [{{ fault = \"hang:hero_os\", why = \"x\" }}]\n"
            ),
            vec![
                "p.toml:11: [coverage] ignore: ",
                "\"hang:hero_os\" names no fault this run switches on",
                "hero_osis_business",
            ],
        ),
    ];
    for (panel, says) in cases {
        let (_dir, path) = panel_file(&panel);
        let out = coverage(&path, false);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(3), "{panel}\n{stdout}{stderr}");
        for words in says {
            assert!(stderr.contains(words), "{words:?} not in {stderr}");
        }
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
    let (_dir, path) = panel_file(&BIZ_ONLY.replace("len(result) > 0", "len(result) > 1000"));
    let out = coverage(&path, true);
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error"].as_str().unwrap().contains("healthy"), "{v}");
}
