//! `gate` on the simulated deployment (issue 24): 0 on the healthy deployment, with a baseline
//! and without; 2 with the reason under each of the demo's faults, under a drift its probe's
//! own expectations pass, and while an incident is open; 3 when it cannot tell; the
//! attestation's hashes are the files'; the JUnit file has a case per probe and validates.

mod common;

use common::{herodemo_panel, run_on, smoke_command};
use smoke_sim::{Deployment, Fault};
use std::path::{Path, PathBuf};
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Where the simulated sockets are, with a short timeout and no retries.
fn sets(sim: &Deployment) -> Vec<String> {
    [
        format!("internal.socket_dir={}", sim.socket_dir().display()),
        "panel.timeout=1s".to_string(),
        "defaults.retries=0".to_string(),
    ]
    .into_iter()
    .flat_map(|s| ["--set".to_string(), s])
    .collect()
}

/// `smoke-internal <command> --panel herodemo` on the sim, with `args` after.
async fn smoke(sim: &Deployment, command: &str, args: &[&str]) -> Output {
    let mut cmd = smoke_command();
    cmd.arg(command)
        .arg("--panel")
        .arg(herodemo_panel())
        .args(sets(sim))
        .args(args)
        .kill_on_drop(true);
    cmd.output().await.unwrap()
}

/// The baseline of the healthy sim, taken into `dir`; its path.
async fn baseline(sim: &Deployment, dir: &Path) -> PathBuf {
    let file = dir.join("herodemo.baseline.json");
    let out = smoke(
        sim,
        "baseline",
        &["--ticks", "3", "--out", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    file
}

fn with_baseline(file: &Path) -> String {
    format!("panel.baseline={}", file.display())
}

/// Where `gate` was told to keep what it found: a state folder (which it never makes), its
/// attestation and its JUnit file.
struct Records {
    state: PathBuf,
    attest: PathBuf,
    junit: PathBuf,
}

/// `gate` judging against the baseline `known`, its records in `dir`.
async fn gate_recorded(sim: &Deployment, dir: &Path, known: &Path) -> (Output, Records) {
    let records = Records {
        state: dir.join("state"),
        attest: dir.join("attest.json"),
        junit: dir.join("junit.xml"),
    };
    let arg = |p: &Path| p.to_str().unwrap().to_string();
    let out = smoke(
        sim,
        "gate",
        &[
            "--set",
            &with_baseline(known),
            "--state-dir",
            &arg(&records.state),
            "--attest",
            &arg(&records.attest),
            "--junit",
            &arg(&records.junit),
        ],
    )
    .await;
    (out, records)
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    ring::digest::digest(&ring::digest::SHA256, &bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The number of `<testcase` and of `<failure` elements: a minimal reading of a JUnit file.
fn junit_counts(path: &Path) -> (usize, usize) {
    let xml = std::fs::read_to_string(path).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    (
        xml.matches("<testcase ").count(),
        xml.matches("<failure ").count(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_healthy_deployment_passes_with_a_baseline_and_without() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let known = baseline(&sim, dir.path()).await;
    let (
        out,
        Records {
            state,
            attest,
            junit,
        },
    ) = gate_recorded(&sim, dir.path(), &known).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("good: ")
            && stdout.contains(" probes clean over 3 ticks (internal, vantage "),
        "{stdout}"
    );
    assert!(!state.exists(), "the gate wrote no state folder");

    let record = read_json(&attest);
    assert_eq!(record["verdict"], "good");
    assert_eq!(record["side"], "internal");
    assert_eq!(record["ticks"], 3);
    assert_eq!(record["panel"]["name"], "herodemo");
    assert_eq!(record["panel"]["sha256"], sha256(&herodemo_panel()));
    assert_eq!(record["baseline"]["sha256"], sha256(&known));
    assert_eq!(record["reasons"], serde_json::json!([]));
    assert!(record["smoke"]["version"].is_string() && record["smoke"]["commit"].is_string());
    let from: jiff::Timestamp = record["window"]["from"].as_str().unwrap().parse().unwrap();
    let to: jiff::Timestamp = record["window"]["to"].as_str().unwrap().parse().unwrap();
    assert!(from < to);
    let probes = record["probes"].as_object().unwrap();
    assert!(probes.contains_key("biz-persons") && probes.contains_key("photos-download"));
    for (name, p) in probes {
        assert_eq!(p["ticks"], 3, "{name}");
        assert_eq!(
            (p["failed"].as_u64(), p["drifted"].as_u64()),
            (Some(0), Some(0))
        );
    }
    // The record's keys are sorted, so two attestations diff line by line.
    let raw = std::fs::read_to_string(&attest).unwrap();
    let keys: Vec<usize> = [
        "baseline", "panel", "probes", "reasons", "verdict", "window",
    ]
    .iter()
    .map(|k| raw.find(&format!("\n  \"{k}\"")).unwrap())
    .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{raw}");
    assert_eq!(junit_counts(&junit), (probes.len(), 0));

    // Without [panel] baseline: no drift is judged, and it says so.
    let out = smoke(
        &sim,
        "gate",
        &[
            "--ticks",
            "1",
            "--state-dir",
            state.to_str().unwrap(),
            "--attest",
            attest.to_str().unwrap(),
        ],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("over 1 tick (internal, vantage ")
            && stdout.contains("no baseline: drift not judged"),
        "{stdout}"
    );
    assert_eq!(read_json(&attest)["baseline"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_of_the_demos_faults_is_not_good_with_its_reason() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let junit = dir.path().join("junit.xml");
    for fault in Fault::all_historical() {
        let probe = match &fault {
            Fault::ContextFallback => "contexts-distinct".to_string(),
            Fault::PhotosBroken => "photos-download".to_string(),
            Fault::BizEmpty => "biz-persons".to_string(),
            Fault::UiSocketMissing => "os-ui".to_string(),
            Fault::Hang(service) => format!("health-{service}"),
            other => panic!("no probe named for {other:?}"),
        };
        sim.set(fault.clone());
        let out = smoke(
            &sim,
            "gate",
            &[
                "--ticks",
                "2",
                "--state-dir",
                state.to_str().unwrap(),
                "--junit",
                junit.to_str().unwrap(),
            ],
        )
        .await;
        sim.clear(&fault);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{fault:?}: {stdout}{}",
            text(&out.stderr)
        );
        let line = format!("gate: {probe} failed in 2 of 2 ticks: ");
        assert!(
            stdout.lines().any(|l| l.starts_with(&line)),
            "{fault:?}: {line:?} in\n{stdout}"
        );
        assert!(stdout.lines().all(|l| l.starts_with("gate: ")), "{stdout}");
        let (cases, failures) = junit_counts(&junit);
        assert!(cases > 5 && failures >= 1, "{fault:?}: {cases} {failures}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drift_the_probes_own_expectations_pass_is_not_good() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let known = baseline(&sim, dir.path()).await;
    sim.set(Fault::BizAnswerReshaped);
    // The probe's own expectations still pass: `run` without the baseline says all is well.
    let out = smoke(&sim, "run", &["--no-notify", "--only", "biz-persons"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    let (out, Records { attest, junit, .. }) = gate_recorded(&sim, dir.path(), &known).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}{}", text(&out.stderr));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("gate: biz-persons drifted in 3 of 3 ticks: ")
            && stdout.contains("json.result"),
        "{stdout}"
    );
    let record = read_json(&attest);
    assert_eq!(record["verdict"], "not good");
    let biz = &record["probes"]["biz-persons"];
    assert_eq!(
        (biz["drifted"].as_u64(), biz["failed"].as_u64()),
        (Some(3), Some(0))
    );
    assert!(
        biz["drift"][0].as_str().unwrap().contains("json.result"),
        "{biz}"
    );
    assert_eq!(
        record["reasons"][0],
        stdout.trim_end().strip_prefix("gate: ").unwrap()
    );
    let (cases, failures) = junit_counts(&junit);
    assert_eq!(
        (cases, failures),
        (record["probes"].as_object().unwrap().len(), 1)
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<failure message=\"drift: json.result"),
        "{xml}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loops_history_over_a_window_and_its_open_incident() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let state_arg = state.to_str().unwrap();
    let gate_for = |window: &'static str| {
        let sim = &sim;
        async move { smoke(sim, "gate", &["--for", window, "--state-dir", state_arg]).await }
    };
    let one_line_3 = |out: &Output, words: &str| {
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{stdout}{}", text(&out.stderr));
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        assert!(
            stdout.starts_with("gate: cannot tell: ") && stdout.contains(words),
            "{words:?} in {stdout}"
        );
    };
    // No loop has run: no history, cannot tell.
    one_line_3(&gate_for("1h").await, "no state folder at");
    let run = || async {
        let out = run_on(&sim, &herodemo_panel(), &state)
            .output()
            .await
            .unwrap();
        assert!(state.is_dir());
        out
    };
    assert_eq!(run().await.status.code(), Some(0));
    // The loop's history is younger than the window: not covered.
    one_line_3(&gate_for("1h").await, "after the start of the last 1h");

    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_eq!(run().await.status.code(), Some(0));
    let out = gate_for("4s").await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with("good: ") && stdout.contains("in the last 4s"),
        "{stdout}"
    );

    // A failing tick opens an incident: the window and the incident are each a reason.
    sim.set(Fault::PhotosBroken);
    assert_eq!(run().await.status.code(), Some(2));
    sim.clear(&Fault::PhotosBroken);
    let out = gate_for("4s").await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("gate: photos-download failed in the tick of ")
            && stdout.contains("gate: incident open since ")
            && stdout.contains(" for photos-download: "),
        "{stdout}"
    );
    // Healthy ticks of the gate's own are not enough while the loop's incident is open.
    let out = smoke(&sim, "gate", &["--ticks", "1", "--state-dir", state_arg]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}{}", text(&out.stderr));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("gate: incident open since "), "{stdout}");
}

#[tokio::test]
async fn ticks_and_for_are_one_or_the_other() {
    let sim = Deployment::start().await.unwrap();
    let out = smoke(&sim, "gate", &["--ticks", "2", "--for", "1h"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("cannot be used with"),
        "{}",
        text(&out.stderr)
    );
    let out = smoke(&sim, "gate", &["--ticks", "0"]).await;
    assert_eq!(out.status.code(), Some(3));
}

/// The JUnit schema of `smoke-core/tests/data/junit.xsd` validates `run --format junit` and the
/// gate's `--junit`, failures included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs xmllint (apt-get install libxml2-utils)"]
async fn junit_files_validate_against_the_schema() {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../smoke-core/tests/data/junit.xsd");
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let known = baseline(&sim, dir.path()).await;
    let validate = |file: &Path| {
        let out = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&schema)
            .arg(file)
            .output()
            .expect("xmllint runs");
        assert!(
            out.status.success(),
            "{}: {}\n{}",
            file.display(),
            text(&out.stderr),
            std::fs::read_to_string(file).unwrap()
        );
    };
    // A run with a failure and a drift (degraded, in <system-out>), a gate with both as
    // failures, and a clean gate.
    sim.set(Fault::PhotosBroken);
    sim.set(Fault::BizAnswerReshaped);
    let run = smoke(
        &sim,
        "run",
        &[
            "--no-notify",
            "--format",
            "junit",
            "--set",
            &with_baseline(&known),
        ],
    )
    .await;
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stderr));
    let file = dir.path().join("run.xml");
    std::fs::write(&file, &run.stdout).unwrap();
    validate(&file);
    let junit = dir.path().join("gate.xml");
    let state = dir.path().join("state");
    let out = smoke(
        &sim,
        "gate",
        &[
            "--set",
            &with_baseline(&known),
            "--state-dir",
            state.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    validate(&junit);
    sim.clear_all();
    let out = smoke(
        &sim,
        "gate",
        &[
            "--ticks",
            "1",
            "--junit",
            junit.to_str().unwrap(),
            "--state-dir",
            state.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    validate(&junit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_seed_data_drift_keeps_the_gate_at_2_naming_what_moved() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let known = baseline(&sim, dir.path()).await;
    let state = dir.path().join("state");
    let cases = [
        (Fault::BizOnePerson, "biz-persons", "len(result): "),
        (Fault::BizFieldGone, "biz-persons", "json.result[].email: "),
        (Fault::UiElementGone, "os-ui", "html #hero-nav: "),
        (
            Fault::ContentTypeChanged("hero_foundry".into()),
            "health-hero_foundry",
            "content type: ",
        ),
        // Three ticks with one latency history: three slow ticks of the last three.
        (
            Fault::Slow("hero_osis_business".into()),
            "biz-persons",
            "latency: p95 ",
        ),
    ];
    for (fault, probe, moved) in cases {
        sim.set(fault.clone());
        let out = smoke(
            &sim,
            "gate",
            &[
                "--set",
                &with_baseline(&known),
                "--state-dir",
                state.to_str().unwrap(),
            ],
        )
        .await;
        sim.clear(&fault);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{fault}: {stdout}{}",
            text(&out.stderr)
        );
        let reason = stdout
            .lines()
            .find(|l| l.starts_with(&format!("gate: {probe} drifted in ")))
            .unwrap_or_else(|| panic!("{fault}: no drift of {probe}: {stdout}"));
        assert!(reason.contains(moved), "{fault}: {reason}");
        assert!(!stdout.contains(" failed in "), "{fault}: {stdout}");
    }
}
