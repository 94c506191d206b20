//! The command line given a hostile panel or flag: a clear refusal naming the limit, never a
//! panic or a hang.

mod common;

use common::herodemo_panel;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

async fn smoke(args: &[&str]) -> Output {
    let state = tempfile::tempdir().unwrap();
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
        .env("SMOKE_STATE_DIR", state.path())
        .env_remove("SMOKE_PANEL")
        .args(args)
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("smoke-internal answers, it does not hang")
        .expect("smoke-internal runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The herodemo panel with a weekly window whose end is past what a timestamp can hold, and
/// the line of its `duration`.
fn overflowing_panel(dir: &Path) -> (PathBuf, usize) {
    let original = std::fs::read_to_string(herodemo_panel()).unwrap();
    let path = dir.join("panel.toml");
    std::fs::write(
        &path,
        format!("{original}\n[[maintenance]]\nevery = \"monday 00:00\"\nduration = \"9999999d\"\n"),
    )
    .unwrap();
    (path, original.lines().count() + 4)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_with_a_maintenance_window_past_ten_years_is_a_panel_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (panel, line) = overflowing_panel(dir.path());
    let sockets = dir.path().join("sockets");
    let set = format!("internal.socket_dir={}", sockets.display());
    for command in ["check", "run"] {
        let out = smoke(&[command, "--panel", panel.to_str().unwrap(), "--set", &set]).await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{command}: {err}");
        assert!(!err.contains("panicked"), "{command}: {err}");
        assert!(
            err.contains(&format!("panel.toml:{line}:12")) && err.contains("at most 3650d"),
            "{command}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mute_for_is_more_than_nothing_and_at_most_ten_years() {
    let panel = herodemo_panel();
    let panel = panel.to_str().unwrap();
    let out = smoke(&["mute", "--panel", panel, "biz-persons", "--for", "3000000d"]).await;
    let err = text(&out.stderr);
    assert!(!out.status.success() && !err.contains("panicked"), "{err}");
    assert!(err.contains("at most 3650d"), "{err}");
    let out = smoke(&["mute", "--panel", panel, "biz-persons", "--for", "0s"]).await;
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("mutes for no time"), "{err}");
    let out = smoke(&["mute", "--panel", panel, "biz-persons", "--for", "3650d"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let until_year = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .year()
        + 9;
    let said = text(&out.stdout);
    assert!(said.starts_with("muted biz-persons until "), "{said}");
    let year: i16 = said["muted biz-persons until ".len()..][..4]
        .parse()
        .unwrap();
    assert!(year >= until_year, "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panel_that_is_a_device_or_a_fifo_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("panel.toml");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for panel in [Path::new("/dev/zero"), fifo.as_path()] {
        let out = smoke(&["check", "--panel", panel.to_str().unwrap()]).await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains("not a regular file"), "{err}");
    }
}
