//! The `smoke-internal` binary as an operator runs it: exit status, output, panel errors.

mod common;

use common::herodemo_panel;
use smoke_sim::{Deployment, Fault};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

async fn smoke(args: &[&str], env: &[(&str, &str)]) -> Output {
    // Each run its own state folder: runs of parallel tests must not wait on one another's lock.
    let state = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"));
    cmd.env("SMOKE_STATE_DIR", state.path());
    cmd.args(args)
        .env_remove("SMOKE_PANEL")
        .env_remove("PATH_SOCKET")
        .env_remove("HERO_SOCKET_DIR")
        .env_remove("SMOKE_VANTAGE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("smoke-internal runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn dir_set(sim: &Deployment) -> String {
    format!("internal.socket_dir={}", sim.socket_dir().display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_against_a_healthy_deployment_exits_0_with_a_line_per_probe() {
    let sim = Deployment::start().await.unwrap();
    let panel = herodemo_panel();
    let out = smoke(
        &[
            "run",
            "--panel",
            panel.to_str().unwrap(),
            "--set",
            &dir_set(&sim),
        ],
        &[],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with("ok   photos-download")),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b'), "no colour when not on a terminal");
    let last = lines.last().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_with_a_fault_exits_2_and_says_the_cause_in_words() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::UiSocketMissing);
    let panel = herodemo_panel();
    // A deployment the probes are known to pass on (its first failure is not a first contact).
    let out = smoke(
        &[
            "run",
            "--panel",
            panel.to_str().unwrap(),
            "--set",
            &dir_set(&sim),
            "--set",
            "defaults.proven=true",
        ],
        &[],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let line = stdout.lines().find(|l| l.contains("os-ui")).unwrap();
    assert!(line.starts_with("FAIL os-ui"), "{line}");
    assert!(
        line.contains("connect: step 1 of 3 (GET /): socket missing: "),
        "{line}"
    );
    assert!(line.contains("hero_os/ui.sock"), "{line}");
    assert!(stdout.trim_end().ends_with("passed, 1 failed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_under_the_fail_bound_is_degraded_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::QueueBacklog);
    let panel = dir.path().join("p.toml");
    std::fs::write(
        &panel,
        "[panel]\nname = \"q\"\n[[probe]]\nname = \"queue\"\ntarget = \"hero_embedder/rpc\"\nget = \"/health\"\nwarn = [\"json.queue_depth < 100\"]\n",
    )
    .unwrap();
    let out = smoke(
        &[
            "run",
            "--panel",
            panel.to_str().unwrap(),
            "--set",
            &dir_set(&sim),
        ],
        &[],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("WARN queue"), "{stdout}");
    assert!(
        stdout.contains("expected json.queue_depth < 100, got 5000"),
        "{stdout}"
    );
}

async fn broken_panel(body: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, body).unwrap();
    let out = smoke(&["run", "--panel", path.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    let prefix = format!("smoke: {}:", path.display());
    assert!(stderr.starts_with(&prefix), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr[prefix.len()..].trim_end().to_string()
}

const HEAD: &str = "[panel]\nname = \"p\"\n\n[[probe]]\nname = \"biz\"\n";

#[tokio::test]
async fn an_unknown_key_exits_3_with_its_position() {
    let e = broken_panel(&format!(
        "{HEAD}target = \"a/rpc\"\nget = \"/\"\nexpct = []\n"
    ))
    .await;
    assert_eq!(
        e,
        "8:1: probe \"biz\": unknown key `expct`; did you mean `expect`?"
    );
}

#[tokio::test]
async fn a_bad_condition_exits_3_with_its_position() {
    let e = broken_panel(&format!(
        "{HEAD}target = \"a/rpc\"\nget = \"/\"\nexpect = [\"status === 200\"]\n"
    ))
    .await;
    assert!(
        e.starts_with("8:19: probe \"biz\": condition `status === 200`"),
        "{e}"
    );
}

#[tokio::test]
async fn a_bad_duration_exits_3_with_its_position() {
    let e = broken_panel(&format!(
        "{HEAD}target = \"a/rpc\"\nget = \"/\"\ntimeout = \"soon\"\n"
    ))
    .await;
    assert!(e.starts_with("8:11: probe \"biz\": "), "{e}");
    assert!(e.contains("`soon`"), "{e}");
}

#[tokio::test]
async fn a_missing_target_exits_3_with_its_position() {
    let e = broken_panel(&format!("{HEAD}get = \"/\"\n")).await;
    assert!(e.starts_with("4:1: probe \"biz\": missing `target`"), "{e}");
}

#[tokio::test]
async fn no_panel_exits_3_and_says_how_to_give_one() {
    let out = smoke(&["run"], &[]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("--panel FILE or set SMOKE_PANEL"));
    let out = smoke(
        &["check"],
        &[("SMOKE_PANEL", herodemo_panel().to_str().unwrap())],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("panel \"herodemo\" is valid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_has_exactly_the_documented_fields() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::BizEmpty);
    let panel = herodemo_panel();
    let out = smoke(
        &[
            "run",
            "--format",
            "json",
            "--panel",
            panel.to_str().unwrap(),
            "--set",
            &dir_set(&sim),
            "--set",
            "defaults.proven=true",
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&v),
        [
            "duration_ms",
            "mode",
            "outcome",
            "panel",
            "probes",
            "started_at",
            "vantage"
        ]
    );
    assert_eq!(v["panel"], "herodemo");
    // Nothing names the vantage point: the host name does.
    let host = smoke_core::engine::vantage::host_name().unwrap_or_default();
    assert_eq!(
        v["vantage"],
        smoke_core::engine::vantage::from_host_name(&host)
    );
    assert_eq!(v["mode"], "internal");
    assert_eq!(v["outcome"], "fail");
    assert!(v["started_at"].as_str().unwrap().ends_with('Z'));
    assert!(v["duration_ms"].is_u64());
    for p in v["probes"].as_array().unwrap() {
        let mut want = vec![
            "cause",
            "caused_by",
            "cert",
            "conditions",
            "detail",
            "duration_ms",
            "name",
            "outcome",
            "phase",
            "status",
        ];
        // A flow (herodemo's photos and UI probes) adds its steps; a probe of one request has
        // none.
        if p["name"] == "photos-download" || p["name"] == "os-ui" {
            want.push("steps");
            for step in p["steps"].as_array().unwrap() {
                let mut k = keys(step);
                k.retain(|k| k != "captures");
                assert_eq!(k, ["conditions", "request", "status", "timings"]);
            }
        }
        // A probe that tries targets in turn (herodemo's OSIS probes) names the one used.
        if p["name"] == "biz-persons" || p["name"] == "contexts-distinct" {
            want.push("target");
        }
        want.push("timings");
        assert_eq!(keys(p), want);
        for t in keys(&p["timings"]) {
            assert!(
                [
                    "dns_ms",
                    "connect_ms",
                    "tls_ms",
                    "first_byte_ms",
                    "total_ms"
                ]
                .contains(&t.as_str()),
                "{t}"
            );
        }
        assert!(
            p["timings"].get("dns_ms").is_none(),
            "no DNS over a Unix socket"
        );
        assert!(p["cert"].is_null(), "no TLS over a Unix socket");
        for c in p["conditions"].as_array().unwrap() {
            assert_eq!(keys(c), ["got", "passed", "text"]);
        }
        if p["outcome"] == "ok" {
            assert!(p["cause"].is_null() && p["phase"].is_null() && p["detail"].is_null());
            assert!(p["timings"]["connect_ms"].is_number() && p["timings"]["total_ms"].is_number());
        }
    }
    let biz = v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "biz-persons")
        .unwrap();
    assert_eq!(biz["outcome"], "fail");
    assert_eq!(biz["cause"], "assertion");
    assert_eq!(biz["detail"], "expected len(result) > 0, got 0");
    assert_eq!(biz["status"], 200);
    assert_eq!(biz["conditions"][0]["text"], "len(result) > 0");
    assert_eq!(biz["conditions"][0]["passed"], false);
    assert_eq!(biz["conditions"][0]["got"], "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_shows_each_probe_where_it_goes_and_only_selects() {
    let sim = Deployment::start().await.unwrap();
    let panel = herodemo_panel();
    let out = smoke(
        &[
            "list",
            "--panel",
            panel.to_str().unwrap(),
            "--set",
            &dir_set(&sim),
            "--only",
            "health",
        ],
        &[],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let sock = sim.socket_dir().join("hero_proc/rpc.sock");
    assert!(
        stdout.contains(&format!(
            "health-hero_proc\tGET /health\t{} /health",
            sock.display()
        )),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), sim.services().len(), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_probes_on_hung_sockets_end_the_tick_within_their_timeout() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::Hang("hero_foundry".into()));
    sim.set(Fault::Hang("hero_osis_base".into()));
    let dir = tempfile::tempdir().unwrap();
    let mut panel =
        String::from("[panel]\nname = \"hung\"\ntimeout = \"1s\"\n[defaults]\nretries = 0\n");
    for i in 0..10 {
        let service = if i % 2 == 0 {
            "hero_foundry"
        } else {
            "hero_osis_base"
        };
        panel.push_str(&format!(
            "[[probe]]\nname = \"hung-{i}\"\ntarget = \"{service}/rpc\"\nget = \"/health\"\n"
        ));
    }
    let path = dir.path().join("hung.toml");
    std::fs::write(&path, panel).unwrap();
    let started = Instant::now();
    let out = smoke(
        &[
            "run",
            "--format",
            "json",
            "--panel",
            path.to_str().unwrap(),
            "--set",
            &dir_set(&sim),
        ],
        &[],
    )
    .await;
    let wall = started.elapsed();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["probes"].as_array().unwrap().len(), 10);
    for p in v["probes"].as_array().unwrap() {
        assert_eq!(p["cause"], "timeout");
        assert_eq!(p["phase"], "headers");
    }
    assert!(v["duration_ms"].as_u64().unwrap() < 1500, "{v}");
    assert!(wall < Duration::from_millis(1500), "process wall {wall:?}");
}

#[test]
fn the_herodemo_panel_is_valid() {
    assert!(Path::new(&herodemo_panel()).exists());
    let opts = smoke_core::engine::LoadOptions {
        extension: smoke_loop::config::EXTENSION,
        ..Default::default()
    };
    let panel = smoke_core::engine::load(&herodemo_panel(), &opts).unwrap();
    assert_eq!(panel.name, "herodemo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vantage_point_labels_the_json_and_every_metric() {
    let sim = Deployment::start().await.unwrap();
    let panel = herodemo_panel();
    let panel = panel.to_str().unwrap();
    let dir = dir_set(&sim);
    let run = |format: &'static str, set: Option<&'static str>| {
        let mut args = vec!["run", "--format", format, "--panel", panel, "--set", &dir];
        if let Some(set) = set {
            args.extend(["--set", set]);
        }
        let args: Vec<String> = args.into_iter().map(str::to_string).collect();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            smoke(&args, &[("SMOKE_VANTAGE", "eu-west-1")]).await
        }
    };
    let out = run("json", None).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["vantage"], "eu-west-1");

    let out = run("json", Some("panel.vantage=from-set")).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["vantage"], "from-set", "--set beats the environment");

    let out = run("prometheus", None).await;
    let exposition = text(&out.stdout);
    let series: Vec<&str> = exposition.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(series.len() > 10, "{exposition}");
    for line in series {
        assert!(line.contains(r#"vantage="eu-west-1""#), "{line}");
    }
    assert!(
        exposition.contains("smoke_panel_every_seconds{"),
        "{exposition}"
    );
}
