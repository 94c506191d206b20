//! Known good on the simulated deployment (issue 24, "Done when"): a baseline of the healthy
//! deployment, then each of the seed's "seed-data drift" faults named as drift, with its path
//! and figures, while every probe's own expectations still pass; no drift from noise over 50
//! healthy ticks; a baseline refused on a failing run and holding no value from the answers;
//! `drift = "fail"` and `"off"`.
//!
//! The tests take turns ([`SERIAL`]): latency drift is judged against latencies measured on
//! this machine, and a neighbour test's load is exactly the noise the rules must not call drift.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use serde_json::{json, Value};
use smoke_sim::{Deployment, Fault};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::{herodemo_panel, smoke_command};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The herodemo panel beside its baseline in a fresh folder, against a simulated deployment.
struct Known {
    sim: Deployment,
    dir: tempfile::TempDir,
    panel: PathBuf,
}

impl Known {
    /// The herodemo panel with `[panel] baseline = "h.baseline.json"`, its `biz-persons` probe
    /// given the `extra` lines.
    async fn start(extra: &str) -> Known {
        let sim = Deployment::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(herodemo_panel())
            .unwrap()
            .replacen("[panel]\n", "[panel]\nbaseline = \"h.baseline.json\"\n", 1)
            .replacen(
                "name = \"biz-persons\"\n",
                &format!("name = \"biz-persons\"\n{extra}"),
                1,
            );
        let panel = dir.path().join("h.toml");
        std::fs::write(&panel, text).unwrap();
        Known { sim, dir, panel }
    }

    fn baseline_file(&self) -> PathBuf {
        self.dir.path().join("h.baseline.json")
    }

    /// `smoke-internal COMMAND --panel h.toml` on the simulated sockets, with a short timeout,
    /// no retries, and its probes proven.
    fn command(&self, command: &str) -> tokio::process::Command {
        let mut cmd = smoke_command();
        cmd.arg(command)
            .arg("--panel")
            .arg(&self.panel)
            .args([
                "--set",
                &format!("internal.socket_dir={}", self.sim.socket_dir().display()),
            ])
            .args(["--set", "panel.timeout=1s", "--set", "defaults.retries=0"])
            .args(["--set", "defaults.proven=true"])
            .kill_on_drop(true);
        cmd
    }

    /// `baseline --ticks N`.
    async fn baseline(&self, ticks: u32) -> Output {
        self.command("baseline")
            .args(["--ticks", &ticks.to_string()])
            .output()
            .await
            .unwrap()
    }

    /// A baseline of the healthy deployment, taken as an operator would: 5 ticks.
    async fn healthy_baseline(&self) {
        let out = self.baseline(5).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(self.baseline_file().exists());
    }

    /// One `run --format json`: with a state folder (the loop's latency history kept between
    /// ticks), else `--no-notify` (a look, judged without history).
    async fn run(&self, state: Option<&Path>) -> (Option<i32>, Value) {
        let mut cmd = self.command("run");
        cmd.args(["--format", "json"]);
        match state {
            Some(dir) => cmd.arg("--state-dir").arg(dir),
            None => cmd.arg("--no-notify"),
        };
        let out = cmd.output().await.unwrap();
        let report =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
        (out.status.code(), report)
    }
}

fn text(out: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn probe<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no probe {name}: {report:#}"))
}

fn drift(p: &Value) -> Vec<String> {
    p["drift"]
        .as_array()
        .map(|d| d.iter().map(|l| l.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// Asserts `name` is degraded by drift only, each of its own conditions passing, with a drift
/// line holding `line`; and every other probe `ok` without drift.
fn assert_drifts(report: &Value, name: &str, line: &str) {
    let p = probe(report, name);
    assert_eq!(p["outcome"], "degraded", "{p:#}");
    assert_eq!(p["cause"], "drift", "{p:#}");
    let own = p["conditions"].as_array().into_iter().flatten().chain(
        p["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["conditions"].as_array().into_iter().flatten()),
    );
    for c in own {
        assert_eq!(c["passed"], true, "{name}'s own condition: {c:#}");
    }
    let lines = drift(p);
    assert!(
        lines.iter().any(|l| l == line),
        "{name}: {lines:?} lacks {line:?}"
    );
    assert!(
        p["detail"].as_str().unwrap().starts_with(&lines[0]),
        "{p:#}"
    );
    for other in report["probes"].as_array().unwrap() {
        if other["name"] != name {
            assert_eq!(other["outcome"], "ok", "{other:#}");
            assert!(drift(other).is_empty(), "{other:#}");
        }
    }
}

#[tokio::test]
async fn each_seed_data_drift_is_named_while_the_probes_own_expectations_pass() {
    let _turn = SERIAL.lock().await;
    let k = Known::start("").await;
    k.healthy_baseline().await;
    let (code, report) = k.run(None).await;
    assert_eq!(code, Some(0), "{report:#}");

    let cases = [
        // "the business list that shrinks from 42 records to 3": five seeded, one left.
        (
            Fault::BizOnePerson,
            "biz-persons",
            "len(result): 5 at baseline, 1 now",
        ),
        // "a field that disappears from an answer".
        (
            Fault::BizFieldGone,
            "biz-persons",
            "json.result[].email: in 5 of 5 baseline runs, missing now",
        ),
        // "a page that loses its upload button": here the server-drawn nav, on step 1 (GET /).
        (
            Fault::UiElementGone,
            "os-ui",
            "step 1: html #hero-nav: in 5 of 5 baseline runs, missing now",
        ),
        // A content type changed: /health's JSON served as text/plain.
        (
            Fault::ContentTypeChanged("hero_foundry".into()),
            "health-hero_foundry",
            "content type: application/json at baseline, text/plain now",
        ),
        // And the persons inside an object: a non-empty result, no longer a list.
        (
            Fault::BizAnswerReshaped,
            "biz-persons",
            "json.result: a list at baseline, an object now",
        ),
    ];
    for (fault, name, line) in cases {
        k.sim.set(fault.clone());
        let (code, report) = k.run(None).await;
        k.sim.clear(&fault);
        assert_eq!(code, Some(1), "{fault}: {report:#}");
        assert_drifts(&report, name, line);
    }
}

#[tokio::test]
async fn a_slow_service_drifts_after_three_slow_ticks_and_not_before() {
    let _turn = SERIAL.lock().await;
    let k = Known::start("").await;
    k.healthy_baseline().await;
    let state = tempfile::tempdir().unwrap();
    k.sim.set(Fault::Slow("hero_osis_business".into()));
    for tick in 1..=3 {
        let (code, report) = k.run(Some(state.path())).await;
        let biz = probe(&report, "biz-persons");
        if tick < 3 {
            // One or two slow ticks are noise, not yet a slower service.
            assert_eq!(code, Some(0), "tick {tick}: {report:#}");
            assert_eq!(biz["outcome"], "ok", "tick {tick}: {biz:#}");
            assert!(drift(biz).is_empty(), "tick {tick}: {biz:#}");
            continue;
        }
        assert_eq!(code, Some(1), "{report:#}");
        for name in ["biz-persons", "health-hero_osis_business"] {
            let p = probe(&report, name);
            assert_eq!(p["outcome"], "degraded", "{p:#}");
            assert_eq!(p["cause"], "drift", "{p:#}");
            let lines = drift(p);
            assert_eq!(lines.len(), 1, "{lines:?}");
            let line = &lines[0];
            assert!(
                line.starts_with("latency: p95 ")
                    && line.contains(" at baseline (over 3× in 3 of the last 3 ticks)"),
                "{line}"
            );
            assert!(p["conditions"][0]["passed"] == true, "{p:#}");
        }
        // The others are at their pace.
        assert_eq!(probe(&report, "contexts-distinct")["outcome"], "ok");
    }
}

#[tokio::test]
async fn the_healthy_deployment_shows_no_drift_over_50_ticks() {
    let _turn = SERIAL.lock().await;
    let k = Known::start("").await;
    k.healthy_baseline().await;
    let state = tempfile::tempdir().unwrap();
    let started = Instant::now();
    for tick in 1..=50 {
        let (code, report) = k.run(Some(state.path())).await;
        let drifting: Vec<(&Value, Vec<String>)> = report["probes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (&p["name"], drift(p)))
            .filter(|(_, d)| !d.is_empty())
            .collect();
        assert!(drifting.is_empty(), "tick {tick}: {drifting:?}");
        assert_eq!(code, Some(0), "tick {tick}: {report:#}");
    }
    // Latencies are kept between ticks only for a probe slow lately: none of a healthy panel.
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(state.path().join("state.json")).unwrap())
            .unwrap();
    assert!(
        kept.get("latency")
            .is_none_or(|l| l.as_object().is_some_and(|m| m.is_empty())),
        "{kept:#}"
    );
    eprintln!("50 healthy ticks in {:?}", started.elapsed());
}

#[tokio::test]
async fn baseline_refuses_a_failing_run_in_one_line_and_writes_nothing() {
    let _turn = SERIAL.lock().await;
    let k = Known::start("").await;
    k.sim.set(Fault::BizEmpty);
    let out = k.baseline(5).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let refusals: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("smoke: no baseline written:"))
        .collect();
    assert_eq!(refusals.len(), 1, "{stderr}");
    assert!(
        refusals[0].contains("tick 1 of 5: biz-persons fail"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().last(), Some(refusals[0]), "{stderr}");
    assert!(!k.baseline_file().exists());
    assert!(
        std::fs::read_dir(k.dir.path()).unwrap().count() == 1,
        "only the panel is there"
    );
}

/// One JSON-RPC call over a Unix socket, in `context`; its `result`.
async fn call(socket: &Path, context: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let request = format!(
        "POST /rpc HTTP/1.1\r\nHost: localhost\r\nX-Hero-Context: {context}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::UnixStream::connect(socket).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    serde_json::from_str::<Value>(body).unwrap()["result"].clone()
}

#[tokio::test]
async fn the_baseline_holds_the_answers_shapes_and_none_of_their_values() {
    let _turn = SERIAL.lock().await;
    let k = Known::start("").await;
    // A secret-looking value where the probe reads it: a person of root's list.
    const SECRET: &str = "sk_live_51HqLyjWDarjtT1zdp7dc4eC39";
    let biz = k.sim.rpc_socket("hero_osis_business");
    let id = call(
        &biz,
        "root",
        "business.persons.set",
        json!({"name": SECRET, "email": format!("{SECRET}@root.example")}),
    )
    .await;
    assert!(id.is_string(), "{id}");
    let listed = call(&biz, "root", "business.persons.list", json!([])).await;
    assert!(listed.to_string().contains(SECRET), "{listed}");
    let seeded = |field: &str| listed[0][field].as_str().unwrap().to_string();
    let (name, email) = (seeded("name"), seeded("email"));

    k.healthy_baseline().await;
    let written = std::fs::read_to_string(k.baseline_file()).unwrap();
    // The secret, a seeded person's name and email, the UI page's title: values all.
    for value in [SECRET, &name, &email, "Hero OS"] {
        assert!(
            !written.contains(value),
            "{value} in the baseline:\n{written}"
        );
    }
    let known: Value = serde_json::from_str(&written).unwrap();
    let biz = &known["sides"]["internal"]["probes"]["biz-persons"]["answer"];
    for path in [
        "json.result[].name",
        "json.result[].email",
        "json.result[].id",
    ] {
        assert_eq!(
            biz["json"][path]["types"],
            json!(["string"]),
            "{path}: {biz:#}"
        );
    }
    // Five seeded and the one written, in every run.
    assert_eq!(biz["lists"]["json.result"], json!({"min": 6, "max": 6}));
    assert_eq!(biz["runs"], 5);
}

#[tokio::test]
async fn drift_fail_fails_the_probe_and_drift_off_shows_nothing() {
    let _turn = SERIAL.lock().await;
    let fail = Known::start("drift = \"fail\"\n").await;
    fail.healthy_baseline().await;
    fail.sim.set(Fault::BizOnePerson);
    let (code, report) = fail.run(None).await;
    assert_eq!(code, Some(2), "{report:#}");
    let biz = probe(&report, "biz-persons");
    assert_eq!(biz["outcome"], "fail", "{biz:#}");
    assert_eq!(biz["cause"], "drift", "{biz:#}");
    assert_eq!(
        biz["detail"], "len(result): 5 at baseline, 1 now",
        "{biz:#}"
    );
    assert_eq!(biz["conditions"][0]["passed"], true, "{biz:#}");

    let off = Known::start("drift = \"off\"\n").await;
    off.healthy_baseline().await;
    off.sim.set(Fault::BizOnePerson);
    let (code, report) = off.run(None).await;
    assert_eq!(code, Some(0), "{report:#}");
    let biz = probe(&report, "biz-persons");
    assert_eq!(biz["outcome"], "ok", "{biz:#}");
    assert!(biz.get("drift").is_none(), "{biz:#}");
}
