//! Flows against the simulated deployment: herodemo's photos flow (list the folder, download the
//! first photo) and a write-path flow (create, read back, delete in a `finally` step), each
//! broken the ways they exist to catch, as an operator sees them.

mod common;

use common::{assert_only_fails, describe, smoke_command, tick};
use serde_json::Value;
use smoke_core::engine::{load_str, run_panel, LoadOptions, Panel};
use smoke_core::prelude::{Cause, Outcome, ProbeReport, RunReport};
use smoke_sim::{Deployment, Fault, RENAMED_PHOTO_NAMES};
use std::path::Path;
use std::process::Output;

const LIST: &str = "GET /api/files/geomind/Photos/";
const HARBOUR: &str = "GET /api/files/geomind/Photos/harbour.jpg";

/// The binary, with a state folder of its own and the panel pointed at `sim`.
async fn smoke(sim: &Deployment, panel: &Path, extra: &[&str]) -> Output {
    let state = tempfile::tempdir().unwrap();
    let dir = format!("internal.socket_dir={}", sim.socket_dir().display());
    let mut cmd = smoke_command();
    cmd.env("SMOKE_STATE_DIR", state.path())
        .args(["run", "--panel", panel.to_str().unwrap(), "--set", &dir])
        .args(["--set", "panel.timeout=2s", "--set", "defaults.retries=0"])
        // The flows are judged as on a deployment they are known to pass on.
        .args(["--set", "defaults.proven=true"])
        .args(extra);
    cmd.output().await.expect("smoke-internal runs")
}

async fn json_of(sim: &Deployment, panel: &Path) -> (Option<i32>, Value) {
    let out = smoke(sim, panel, &["--format", "json"]).await;
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

fn probe_json<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no probe {name} in {v}"))
}

fn photos(report: &RunReport) -> &ProbeReport {
    report
        .probes()
        .iter()
        .find(|p| p.name() == "photos-download")
        .unwrap_or_else(|| panic!("no photos-download in\n{}", describe(report)))
}

fn herodemo() -> std::path::PathBuf {
    common::herodemo_panel()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_photos_flow_lists_the_folder_then_downloads_the_first_photo_in_json() {
    let sim = Deployment::start().await.unwrap();
    let (code, v) = json_of(&sim, &herodemo()).await;
    assert_eq!(code, Some(0), "{v:#}");
    let p = probe_json(&v, "photos-download");
    assert_eq!(p["outcome"], "ok", "{p:#}");
    let steps = p["steps"].as_array().expect("a flow lists its steps");
    assert_eq!(steps.len(), 2, "{p:#}");
    assert_eq!(steps[0]["request"], LIST);
    assert_eq!(steps[0]["status"], 200);
    assert_eq!(steps[0]["captures"]["photo"], "harbour.jpg", "{p:#}");
    assert_eq!(steps[1]["request"], HARBOUR);
    assert_eq!(steps[1]["status"], 200);
    assert!(steps[1]["timings"]["total_ms"].is_number(), "{p:#}");
    let texts: Vec<&str> = steps[1]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&"header.content-type contains image/jpeg"));
    // A step that captures nothing says so by leaving the field out.
    assert!(steps[1].get("captures").is_none(), "{p:#}");
    // A probe of one request has no steps at all.
    assert!(probe_json(&v, "biz-persons").get("steps").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_photos_folder_fails_the_listing_step() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::PhotosEmpty);
    let report = tick(&sim).await;
    assert_only_fails(
        &report,
        &["photos-download"],
        Cause::Assertion,
        None,
        &[
            &format!("step 1 of 2 ({LIST}): "),
            "expected len(json) > 0, got 0",
        ],
    );
    // The download never ran: there was nothing to download.
    assert_eq!(photos(&report).steps().len(), 1, "{}", describe(&report));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_photo_that_is_gone_fails_the_download_step() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::PhotoMissing);
    let report = tick(&sim).await;
    assert_only_fails(
        &report,
        &["photos-download"],
        Cause::Http,
        None,
        &[&format!("step 2 of 2 ({HARBOUR}): "), "404"],
    );
    assert_eq!(photos(&report).status(), Some(404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_that_is_not_an_image_fails_the_download_step() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::PhotoNotImage);
    let report = tick(&sim).await;
    assert_only_fails(
        &report,
        &["photos-download"],
        Cause::Assertion,
        None,
        &[
            &format!("step 2 of 2 ({HARBOUR}): "),
            "expected header.content-type contains \"image/jpeg\", got \"text/html",
        ],
    );
}

/// A one-probe panel on `sim` (no health probes to depend on).
fn small_panel(sim: &Deployment, probes: &str) -> Panel {
    let text = format!(
        "[panel]\nname = \"flows\"\ntimeout = \"2s\"\n[internal]\nsocket_dir = \"{}\"\n[defaults]\nretries = 0\n{probes}",
        sim.socket_dir().display()
    );
    load_str(&text, Path::new("flows.toml"), &LoadOptions::default()).expect("the panel loads")
}

async fn run(panel: &Panel) -> RunReport {
    run_panel(panel, smoke_internal::side(panel).as_ref(), &[], 8).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_condition_may_accept_a_404_and_nothing_else_does() {
    let sim = Deployment::start().await.unwrap();
    let gone = "get = \"/api/files/geomind/Photos/gone.jpg\"";
    let panel = small_panel(
        &sim,
        &format!(
            "[[probe]]\nname = \"gone\"\ntarget = \"hero_foundry/rpc\"\n{gone}\nexpect = [\"status == 404\"]\n\
             [[probe]]\nname = \"said-in-a-body\"\ntarget = \"hero_foundry/rpc\"\n{gone}\nexpect = [\"body !contains 'status == 404'\"]\n\
             [[probe]]\nname = \"step\"\ntarget = \"hero_foundry/rpc\"\n\
             [[probe.step]]\n{gone}\nexpect = [\"status in [200, 404]\"]\n"
        ),
    );
    let report = run(&panel).await;
    let outcome = |name: &str| {
        let p = report.probes().iter().find(|p| p.name() == name).unwrap();
        (p.outcome(), p.cause())
    };
    // The probe's own status condition decides, in a probe and in a step...
    assert_eq!(
        outcome("gone"),
        (Outcome::Ok, None),
        "{}",
        describe(&report)
    );
    assert_eq!(
        outcome("step"),
        (Outcome::Ok, None),
        "{}",
        describe(&report)
    );
    // ...and text that only reads like one is not a status condition.
    assert_eq!(
        outcome("said-in-a-body"),
        (Outcome::Fail, Some(Cause::Http)),
        "{}",
        describe(&report)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_every_photo_leaves_the_flow_passing_where_a_fixed_name_fails() {
    let sim = Deployment::start().await.unwrap();
    sim.rename_photos(true);
    let report = tick(&sim).await;
    assert_eq!(report.outcome(), Outcome::Ok, "{}", describe(&report));
    let steps = &photos(&report).steps();
    assert_eq!(steps[0].captures()["photo"], RENAMED_PHOTO_NAMES[0]);
    // Space, `#` and `é` arrive percent-encoded: one path segment, no fragment.
    assert_eq!(
        steps[1].request(),
        "GET /api/files/geomind/Photos/2026-06%20Haven%20bij%20nacht%20%231.jpg"
    );
    assert_eq!(steps[1].status(), Some(200));
    // What the panel said before flows: the file it named is gone, a false alarm.
    let fixed = small_panel(
        &sim,
        "[[probe]]\nname = \"fixed\"\ntarget = \"hero_foundry/rpc\"\nget = \"/api/files/geomind/Photos/sunrise.jpg\"\nexpect = [\"status == 200\"]\n",
    );
    let report = run(&fixed).await;
    assert_eq!(
        report.probes()[0].outcome(),
        Outcome::Fail,
        "{}",
        describe(&report)
    );
}

/// herodemo's commented-out write path, on a panel of its own; `finally` on the delete or not.
fn write_flow(finally: bool) -> String {
    format!(
        r#"[[probe]]
name = "biz-write"
target = "hero_osis_business/rpc"
context = "geomind"

[[probe.step]]
rpc = "business.persons.set"
params = {{ name = "smoke-probe-{{random}}" }}
capture = {{ id = "result" }}

[[probe.step]]
rpc = "business.persons.get"
params = {{ id = "{{id}}" }}
expect = ["result.name contains smoke-probe-"]

[[probe.step]]
rpc = "business.persons.delete"
params = {{ id = "{{id}}" }}
finally = {finally}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_flow_creates_reads_back_and_deletes_in_the_named_context() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("write.toml");
    let panel = format!("[panel]\nname = \"write\"\n{}", write_flow(true));
    std::fs::write(&file, panel).unwrap();
    let (code, v) = json_of(&sim, &file).await;
    assert_eq!(code, Some(0), "{v:#}");
    let p = probe_json(&v, "biz-write");
    let steps = p["steps"].as_array().unwrap();
    let requests: Vec<&str> = steps
        .iter()
        .map(|s| s["request"].as_str().unwrap())
        .collect();
    assert_eq!(
        requests,
        [
            "rpc business.persons.set",
            "rpc business.persons.get",
            "rpc business.persons.delete"
        ]
    );
    // Written in the context the panel names, and read back there by the id it was given.
    let id = steps[0]["captures"]["id"].as_str().unwrap();
    assert!(id.starts_with("p-geomind-"), "{p:#}");
    let name = steps[1]["conditions"][0]["got"].as_str().unwrap();
    let word = name
        .trim_matches('"')
        .strip_prefix("smoke-probe-")
        .unwrap_or_else(|| panic!("{name}"));
    assert!(
        word.len() == 16 && word.bytes().all(|b| b.is_ascii_hexdigit()),
        "{{random}} is 16 hex digits: {name}"
    );
    assert_eq!(sim.persons_written("geomind"), 0, "the delete ran");
    assert_eq!(sim.persons_written("root"), 0, "never root");
    // A second run writes a person of another name: {random} is fresh per try.
    let (_, again) = json_of(&sim, &file).await;
    let again = probe_json(&again, "biz-write")["steps"][1]["conditions"][0]["got"].clone();
    assert_ne!(again.as_str(), Some(name));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_read_broken_the_write_flow_fails_at_step_2_and_still_deletes() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::BizGetBroken);
    let report = run(&small_panel(&sim, &write_flow(true))).await;
    let p = &report.probes()[0];
    assert_eq!(p.outcome(), Outcome::Fail, "{}", describe(&report));
    assert_eq!(p.cause(), Some(Cause::Rpc), "{}", describe(&report));
    let detail = p.detail().unwrap();
    assert!(
        detail.starts_with("step 2 of 3 (rpc business.persons.get): JSON-RPC error -32004"),
        "{detail}"
    );
    let cleanup = p.steps().last().unwrap();
    assert_eq!(cleanup.request(), "rpc business.persons.delete");
    assert_eq!(cleanup.status(), Some(200));
    assert_eq!(sim.persons_written("geomind"), 0, "{}", describe(&report));

    // The same flow without `finally`: the delete is skipped and the person stays, which is
    // what the count above would have seen.
    let report = run(&small_panel(&sim, &write_flow(false))).await;
    assert_eq!(report.probes()[0].steps().len(), 2, "{}", describe(&report));
    assert_eq!(sim.persons_written("geomind"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cleanup_step_still_runs_after_a_step_that_hangs_past_the_deadline() {
    let sim = Deployment::start().await.unwrap();
    // The second step asks another service, which accepts and never answers.
    sim.set(Fault::Hang("hero_foundry".into()));
    let flow = r#"[[probe]]
name = "biz-write"
target = "hero_osis_business/rpc"
context = "geomind"
timeout = "1s"

[[probe.step]]
rpc = "business.persons.set"
params = { name = "smoke-probe-{random}" }
capture = { id = "result" }

[[probe.step]]
target = "hero_foundry/rpc"
get = "/health"

[[probe.step]]
rpc = "business.persons.delete"
params = { id = "{id}" }
finally = true
"#;
    let started = std::time::Instant::now();
    let report = run(&small_panel(&sim, flow)).await;
    let p = &report.probes()[0];
    assert_eq!(p.cause(), Some(Cause::Timeout), "{}", describe(&report));
    assert!(
        p.detail()
            .unwrap()
            .starts_with("step 2 of 3 (GET /health): "),
        "{}",
        describe(&report)
    );
    assert_eq!(p.steps().last().unwrap().status(), Some(200), "{p:?}");
    assert_eq!(sim.persons_written("geomind"), 0, "the cleanup ran");
    // The deadline, then at most the cleanup's grace: wide margins, never a hang.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// The probe lines of a human report: one per probe, then the summary lines.
fn lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_human_report_is_one_line_per_probe_naming_the_failed_step_only() {
    let sim = Deployment::start().await.unwrap();
    // for_each probes count once per service, as they run.
    let probes = tick(&sim).await.probes().len();
    let healthy = lines(&smoke(&sim, &herodemo(), &[]).await);
    // Every probe line, the timing line and the totals; no line of its own for a step.
    assert_eq!(healthy.len(), probes + 2, "{healthy:#?}");
    assert!(healthy.iter().all(|l| !l.contains("step")), "{healthy:#?}");

    sim.set(Fault::PhotoMissing);
    let out = smoke(&sim, &herodemo(), &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let failing = lines(&out);
    assert_eq!(failing.len(), probes + 2, "{failing:#?}");
    let photos: Vec<&String> = failing.iter().filter(|l| l.contains("step")).collect();
    assert_eq!(photos.len(), 1, "{failing:#?}");
    assert!(
        photos[0].starts_with("FAIL photos-download"),
        "{failing:#?}"
    );
    assert!(
        photos[0].ends_with(&format!(
            "http: step 2 of 2 ({HARBOUR}): HTTP 404 Not Found"
        )),
        "{failing:#?}"
    );
}

/// `text` without the probe's name and its duration: what must not differ between a probe and
/// the same request written as a one-step flow.
fn without_name_and_time(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut kept = vec![words[0]];
    kept.extend(&words[3..]);
    kept.join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_step_flow_reports_as_the_same_probe_without_steps() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.toml");
    let request =
        "target = \"hero_foundry/rpc\"\nget = \"/health\"\nexpect = [\"json.status == ok\"]\n";
    let step = "[[probe.step]]\nget = \"/health\"\nexpect = [\"json.status == ok\"]\n";
    std::fs::write(
        &file,
        format!(
            "[panel]\nname = \"one\"\n[[probe]]\nname = \"plain\"\n{request}[[probe]]\nname = \"stepped\"\ntarget = \"hero_foundry/rpc\"\n{step}"
        ),
    )
    .unwrap();
    for fault in [None, Some(Fault::Health500("hero_foundry".into()))] {
        if let Some(f) = &fault {
            sim.set(f.clone());
        }
        let human = lines(&smoke(&sim, &file, &[]).await);
        assert_eq!(
            without_name_and_time(&human[0]),
            without_name_and_time(&human[1]),
            "{fault:?}: {human:#?}"
        );
        let (_, v) = json_of(&sim, &file).await;
        let mut plain = probe_json(&v, "plain").clone();
        let mut stepped = probe_json(&v, "stepped").clone();
        for p in [&mut plain, &mut stepped] {
            let p = p.as_object_mut().unwrap();
            for varies in ["name", "duration_ms", "timings"] {
                p.remove(varies);
            }
        }
        assert_eq!(plain, stepped, "{fault:?}");
        assert!(stepped.get("steps").is_none());
    }
}

/// A flow that writes a person named `name`, reads it back, and puts the `field` it read into
/// a path of hero_foundry, three times over: a `..` there would climb to the socket's root.
fn dotted_flow(name: &str, field: &str) -> String {
    format!(
        r#"[[probe]]
name = "dots"
target = "hero_osis_business/rpc"
context = "geomind"

[[probe.step]]
rpc = "business.persons.set"
params = {{ name = "{name}" }}
capture = {{ id = "result" }}

[[probe.step]]
rpc = "business.persons.get"
params = {{ id = "{{id}}" }}
capture = {{ up = "result.{field}" }}

[[probe.step]]
target = "hero_foundry/rpc"
get = "/api/files/geomind/{{up}}/{{up}}/{{up}}/health"

[[probe.step]]
rpc = "business.persons.delete"
params = {{ id = "{{id}}" }}
finally = true
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_dot_dot_dot_or_nothing_is_never_sent_as_a_path_segment() {
    let sim = Deployment::start().await.unwrap();
    // The service's `..` and `.` as a name, and its empty email.
    for (name, field, value) in [("..", "name", ".."), (".", "name", "."), ("x", "email", "")] {
        let panel = small_panel(&sim, &dotted_flow(name, field));
        let before = sim.requests_served();
        let report = run(&panel).await;
        let p = &report.probes()[0];
        assert_eq!(p.outcome(), Outcome::Fail, "{}", describe(&report));
        assert_eq!(p.cause(), Some(Cause::Assertion), "{}", describe(&report));
        let detail = p.detail().unwrap();
        assert_eq!(
            detail,
            format!("step 3 of 4: captured value \"{value}\" as the segment {{up}} of /api/files/geomind/{{up}}/{{up}}/{{up}}/health would leave the path (\".\", \"..\" and \"\" are refused as a whole segment)"),
        );
        // The write, the read and the cleanup reached the services; the third step never did.
        let requests: Vec<&str> = p.steps().iter().map(|s| s.request()).collect();
        assert_eq!(
            requests,
            [
                "rpc business.persons.set",
                "rpc business.persons.get",
                "rpc business.persons.delete"
            ],
            "{value:?}"
        );
        assert_eq!(sim.requests_served() - before, 3, "{value:?}");
        assert_eq!(sim.persons_written("geomind"), 0, "{value:?}");
    }
}
