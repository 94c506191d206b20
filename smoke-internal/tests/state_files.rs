//! The state folder's files as no smoke leaves them: a FIFO in the place of one, a file past the
//! size limit, a loop period no loop writes, a detail of megabytes. `run`, `watch` and `status`
//! refuse each at once with one line naming the file (exit 2 or 3, the report still printed),
//! never hang or panic, and `status` prints a stored detail cut as `run` cuts it.

mod common;

use common::world::text;
use common::{herodemo_panel, run_on, smoke_command};
use smoke_loop::state_dir::MAX_FILE_BYTES;
use smoke_sim::state_folder::{write, Generate};
use smoke_sim::Deployment;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// Far more than any command here takes: one that hangs fails the test instead of blocking it.
const HANG: Duration = Duration::from_secs(30);

async fn within(what: &str, cmd: &mut tokio::process::Command) -> Output {
    cmd.kill_on_drop(true);
    tokio::time::timeout(HANG, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{what} still running after {HANG:?}: it hung"))
        .unwrap()
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

fn watch_on(sim: &Deployment, state: &Path) -> tokio::process::Command {
    let mut cmd = smoke_command();
    cmd.args(["watch", "--panel"])
        .arg(herodemo_panel())
        .arg("--state-dir")
        .arg(state)
        .args([
            "--set",
            &format!("internal.socket_dir={}", sim.socket_dir().display()),
        ])
        .args(["--set", "panel.every=1s", "--set", "panel.timeout=1s"]);
    cmd
}

async fn status(state: &Path, extra: &[&str]) -> Output {
    within(
        "status",
        smoke_command()
            .arg("status")
            .arg("--state-dir")
            .arg(state)
            .args(extra),
    )
    .await
}

/// Exit 3 and stderr one line holding each of `words`.
fn refused(what: &str, out: &Output, words: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{what}: {err}");
    assert_eq!(err.lines().count(), 1, "{what}: one line: {err}");
    for w in words {
        assert!(err.contains(w), "{what}: {w:?} in {err}");
    }
}

/// A few hours of one-minute ticks of two probes, biz-persons failing with `detail` on the last
/// tick (its open incident holds it too).
fn folder(dir: &Path, detail: &str) -> PathBuf {
    let state = dir.join("state");
    write(
        &state,
        &Generate {
            probes: vec!["biz-persons".into(), "os-ui".into()],
            fail_one_in: 0,
            every: Duration::from_secs(60),
            span: Duration::from_secs(3 * 3600),
            last_tick: jiff::Timestamp::now(),
            open: vec![("biz-persons".into(), Vec::new(), detail.into(), None)],
            failing_for: Duration::ZERO,
        },
    )
    .unwrap();
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_in_the_state_folder_is_refused_at_once_by_run_watch_and_status() {
    let sim = Deployment::start().await.unwrap();
    for name in ["state.json", "rollup.json", "results.jsonl"] {
        let dir = tempfile::tempdir().unwrap();
        mkfifo(&dir.path().join(name));
        let words = [name, "is a FIFO, not a regular file"];

        let out = within("run", &mut run_on(&sim, &herodemo_panel(), dir.path())).await;
        // Every probe passed: the state alone makes it 3, and the report is still printed.
        refused(&format!("run, {name}"), &out, &words);
        assert!(
            text(&out.stdout).contains("ok   biz-persons"),
            "{}",
            text(&out.stdout)
        );

        let out = within("watch", &mut watch_on(&sim, dir.path())).await;
        refused(&format!("watch, {name}"), &out, &words);

        let out = status(dir.path(), &[]).await;
        refused(&format!("status, {name}"), &out, &words);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollup_with_numbers_no_loop_writes_is_exit_3_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let state = folder(dir.path(), "status 502 Bad Gateway");
    let file = state.join("rollup.json");
    let good: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let every_s = [
        serde_json::json!(0),
        serde_json::json!(-60),
        serde_json::json!(1e300),
        serde_json::json!("60"),
        serde_json::json!(u64::MAX),
        serde_json::json!(i64::MAX as u64 + 1),
    ];
    for bad in every_s {
        let mut v = good.clone();
        v["every_s"] = bad.clone();
        std::fs::write(&file, v.to_string()).unwrap();
        for format in [&[][..], &["--json"][..]] {
            let out = status(&state, format).await;
            refused(&format!("every_s {bad}"), &out, &["rollup.json"]);
            assert!(!text(&out.stderr).contains("panicked"));
        }
    }
    // An hour no clock reaches, where the hours' arithmetic would overflow.
    let mut v = good.clone();
    v["probes"]["biz-persons"]["start"] = serde_json::json!(i64::MAX);
    std::fs::write(&file, v.to_string()).unwrap();
    let out = status(&state, &[]).await;
    refused("start i64::MAX", &out, &["rollup.json", "start"]);

    std::fs::write(&file, good.to_string()).unwrap();
    let out = status(&state, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_file_past_the_size_limit_is_refused_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let state = folder(dir.path(), "status 502 Bad Gateway");
    let limit = smoke_core::engine::format_size(MAX_FILE_BYTES);
    for name in ["rollup.json", "results.jsonl", "state.json"] {
        let file = state.join(name);
        let kept = std::fs::read(&file).unwrap();
        // Sparse: one byte past the limit costs no disk.
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_len(MAX_FILE_BYTES + 1)
            .unwrap();
        let out = status(&state, &[]).await;
        refused(name, &out, &[name, &format!("larger than {limit}")]);
        std::fs::write(&file, kept).unwrap();
    }
    let out = status(&state, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_detail_of_megabytes_is_printed_cut_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    // 60 MB of one service's error, in the open incident (state.json) and in the last tick
    // (results.jsonl), with a terminal escape at its start.
    let huge = format!("\u{1b}[2J{}", "x".repeat(60_000_000));
    let state = folder(dir.path(), &huge);
    drop(huge);
    let cut = smoke_core::engine::DETAIL_LIMIT;
    // A run of x's as long as a whole detail: what only an uncut one holds.
    let whole = "x".repeat(cut);

    let out = status(&state, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.len() < 16 * cut, "{} bytes", summary.len());
    assert!(!summary.contains(&whole) && !summary.contains('\u{1b}'));
    assert!(summary.contains("\\u{1b}[2Jxxx"), "{summary}");
    assert!(summary.contains("x…"), "said to be cut: {summary}");

    let out = status(&state, &["--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let incident = v["incidents"][0]["detail"].as_str().unwrap();
    let biz = v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "biz-persons")
        .unwrap();
    let row = biz["detail"].as_str().unwrap();
    for detail in [incident, row] {
        assert_eq!(detail.chars().count(), cut, "{detail}");
        assert!(detail.starts_with("\u{1b}[2Jxxx") && detail.ends_with('…'));
    }

    let page = dir.path().join("status.html");
    let out = status(&state, &["--html", page.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
    assert!(!html.contains(&whole) && !html.contains('\u{1b}'));
    assert!(html.contains("\\u{1b}[2Jxxx") && html.contains("x…"));
}
