//! The Prometheus rules shipped in examples/prometheus: promtool checks and unit-tests them,
//! and every metric and label they use is one smoke emits.

mod common;

use common::{deployment, herodemo_panel, sets};
use smoke_sim::Fault;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/prometheus")
}

fn rules_text() -> String {
    std::fs::read_to_string(examples().join("smoke-rules.yml")).unwrap()
}

/// The lines that are not comments: what Prometheus reads.
fn code(text: &str) -> Vec<&str> {
    text.lines()
        .map(|l| l.split_once('#').map_or(l, |(code, _)| code))
        .collect()
}

/// Every `smoke_…` metric name the rules use.
fn metrics_used(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code(text) {
        let mut rest = line;
        while let Some(at) = rest.find("smoke_") {
            let before = rest[..at].chars().last();
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .unwrap_or(tail.len());
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                out.insert(tail[..end].to_string());
            }
            rest = &tail[end..];
        }
    }
    out
}

/// Every label the rules group or match on (`by (…)`, `on (…)`).
fn labels_used(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code(text) {
        for key in ["by (", "on ("] {
            for part in line.split(key).skip(1) {
                let inside = part.split(')').next().unwrap_or_default();
                out.extend(
                    inside
                        .split(',')
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string),
                );
            }
        }
    }
    out
}

/// Each series of the exposition by metric name, as its label names.
fn exposition(text: &str) -> BTreeMap<String, Vec<BTreeSet<String>>> {
    let mut out: BTreeMap<String, Vec<BTreeSet<String>>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, _) = line.rsplit_once(' ').expect(line);
        let (name, labels) = series.split_once('{').unwrap_or((series, "}"));
        out.entry(name.to_string())
            .or_default()
            .push(label_names(labels.trim_end_matches('}')));
    }
    out
}

/// The names of `a="x",b="y, \"z\""`: a value may hold commas, `=` and escaped quotes (a
/// failure's signature does).
fn label_names(labels: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let (mut name, mut in_value, mut escaped) = (String::new(), false, false);
    for c in labels.chars() {
        match (in_value, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_value = false,
            (true, false, _) => {}
            (false, _, '"') => in_value = true,
            (false, _, '=') => {
                names.insert(std::mem::take(&mut name));
            }
            (false, _, ',') => {}
            (false, _, c) => name.push(c),
        }
    }
    names
}

/// `smoke-external run --format prometheus` of herodemo against the simulation.
async fn run(sim: &smoke_sim::Deployment) -> String {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-external"));
    cmd.args(["run", "--format", "prometheus", "--panel"])
        .arg(herodemo_panel())
        .env("SMOKE_VANTAGE", "probe-eu-1")
        .env("SMOKE_STATE_DIR", state.path());
    for s in sets(sim) {
        cmd.args(["--set", &s]);
    }
    let out = cmd.output().await.unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_rules_use_is_emitted_with_a_vantage_label() {
    let rules = rules_text();
    let used = metrics_used(&rules);
    for m in [
        "smoke_probe_success",
        "smoke_probe_caused_by",
        "smoke_probe_failure_signature",
        "smoke_last_tick_timestamp_seconds",
        "smoke_panel_every_seconds",
        "smoke_cert_expiry_timestamp_seconds",
    ] {
        assert!(used.contains(m), "the rules use {m}: {used:?}");
    }
    let labels = labels_used(&rules);
    assert_eq!(
        labels,
        [
            "cause",
            "group",
            "mode",
            "panel",
            "probe",
            "signature",
            "vantage"
        ]
        .map(String::from)
        .into(),
        "the labels the rules match on"
    );

    // Real runs from outside: healthy (the public certificate), then with the certificate
    // expired (failures, and every probe behind it a symptom).
    let sim = deployment().await;
    let mut text = run(&sim).await;
    sim.set(Fault::CertExpired);
    text.push_str(&run(&sim).await);
    let got = exposition(&text);
    for m in &used {
        let series = got
            .get(m)
            .unwrap_or_else(|| panic!("the rules use {m}, which smoke does not emit:\n{text}"));
        for names in series {
            assert!(names.contains("vantage"), "{m} {names:?}");
            for l in ["panel", "mode"] {
                assert!(names.contains(l), "{m} {names:?}");
            }
        }
    }
    for m in [
        "smoke_probe_success",
        "smoke_probe_caused_by",
        "smoke_cert_expiry_timestamp_seconds",
    ] {
        assert!(got[m].iter().all(|n| n.contains("probe")), "{m}");
    }
    // The expired certificate's root failure may be grouped: it names its group.
    for names in &got["smoke_probe_failure_signature"] {
        for l in ["probe", "group", "cause", "signature"] {
            assert!(names.contains(l), "smoke_probe_failure_signature {names:?}");
        }
    }
    assert!(text.contains(r#"vantage="probe-eu-1""#), "{text}");
}

#[test]
#[ignore = "needs promtool (apt-get install prometheus)"]
fn promtool_checks_and_tests_the_shipped_rules() {
    let promtool = smoke_sim::fakes::promtool().unwrap();
    for args in [
        ["check", "rules", "smoke-rules.yml"],
        ["test", "rules", "smoke-rules.test.yml"],
    ] {
        let out = std::process::Command::new(&promtool)
            .args(args)
            .current_dir(examples())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {}:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn label_names_are_read_past_quoted_commas() {
    assert_eq!(
        label_names(r#"panel="a,b",signature="x=\"y, z\"",probe="p""#),
        ["panel", "probe", "signature"].map(String::from).into()
    );
}

#[test]
fn the_rules_scanner_sees_what_it_should() {
    let text = "# smoke_in_a_comment\n  expr: count by (panel, probe) (smoke_a == 0) >= on () group_left () smoke:quorum unless on(x) smoke_b_c\n";
    assert_eq!(
        metrics_used(text),
        ["smoke_a", "smoke_b_c"].map(String::from).into()
    );
    assert_eq!(
        labels_used(text),
        ["panel", "probe"].map(String::from).into()
    );
}

fn alertmanager_config() -> PathBuf {
    examples().join("../alertmanager/alertmanager.yml")
}

/// The `alert:` names of the shipped rules.
fn alert_names(rules: &str) -> Vec<String> {
    code(rules)
        .iter()
        .filter_map(|l| l.trim().strip_prefix("- alert:"))
        .map(|n| n.trim().to_string())
        .collect()
}

#[test]
fn the_shipped_alertmanager_config_routes_every_smoke_alert() {
    let config = std::fs::read_to_string(alertmanager_config()).unwrap();
    let names = alert_names(&rules_text());
    assert_eq!(names.len(), 7, "{names:?}");
    for name in names
        .iter()
        .map(String::as_str)
        .chain(["SmokeProbeFailing"])
    {
        assert!(config.contains(name), "{name} is not routed");
    }
    // The relay's path, and the alerts grouped without the vantage point: one notification.
    assert!(config
        .lines()
        .any(|l| l.trim().starts_with("- url:") && l.trim_end().ends_with("/alertmanager")));
    assert!(config.contains("group_by: [alertname, panel, mode, probe, group]"));
}

#[test]
#[ignore = "needs amtool (apt-get install prometheus-alertmanager)"]
fn amtool_checks_the_shipped_config_and_its_routes() {
    let amtool = smoke_sim::fakes::amtool().unwrap();
    let config = alertmanager_config();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&amtool)
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "amtool {}:\n{stdout}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    run(&["check-config", config.to_str().unwrap()]);
    let file = format!("--config.file={}", config.display());
    let routes = |alert: &str| {
        run(&[
            "config",
            "routes",
            "test",
            &file,
            &format!("alertname={alert}"),
            "panel=herodemo",
            "mode=external",
            "probe=biz",
        ])
        .trim()
        .to_string()
    };
    let relayed = ["SmokeProbeFailingQuorum", "SmokeGroupFailingQuorum"];
    for alert in relayed {
        assert_eq!(routes(alert), "relay", "{alert}");
    }
    for alert in alert_names(&rules_text())
        .iter()
        .filter(|a| !relayed.contains(&a.as_str()))
    {
        assert_eq!(routes(alert), "slack", "{alert}");
    }
    assert_eq!(routes("SmokeProbeFailing"), "slack");
}
