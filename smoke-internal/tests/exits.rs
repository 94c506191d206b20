//! What `run` exits with, and says, when the invocation, the panel or the state folder is wrong:
//! 3 for anything but a failed probe, always one line on why, and the report whatever becomes
//! of the state.

mod common;

use common::{herodemo_panel, smoke_command};
use smoke_sim::{Deployment, Fault};
use std::path::Path;
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn smoke(args: &[&str]) -> Output {
    // Each run its own state folder, so parallel tests never wait on one another's lock.
    let state = tempfile::tempdir().unwrap();
    let mut cmd = smoke_command();
    cmd.env("SMOKE_STATE_DIR", state.path()).args(args);
    cmd.output().await.unwrap()
}

#[tokio::test]
async fn usage_errors_exit_3_and_help_and_version_exit_0() {
    let panel = herodemo_panel();
    let panel = panel.to_str().unwrap();
    for args in [
        vec!["run", "--panel", panel, "--format", "bogus"],
        vec!["run", "--panel", panel, "--no-such-flag"],
        vec!["run", "--panel", panel, "--concurrency", "abc"],
        vec!["frobnicate"],
        vec![],
    ] {
        let out = smoke(&args).await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(
            err.contains("Usage:") || err.contains("--help"),
            "{args:?} says how: {err}"
        );
    }
    for args in [vec!["--help"], vec!["--version"], vec!["run", "--help"]] {
        let out = smoke(&args).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let help = text(&smoke(&["run", "--help"]).await.stdout);
    for format in ["human", "json", "prometheus", "nagios", "junit"] {
        assert!(help.contains(format), "{format} in\n{help}");
    }
}

#[tokio::test]
async fn only_with_no_match_exits_3_and_says_so_in_one_line() {
    let panel = herodemo_panel();
    let out = smoke(&[
        "run",
        "--panel",
        panel.to_str().unwrap(),
        "--only",
        "nosuch",
    ])
    .await;
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("smoke: --only nosuch: no probe of panel \"herodemo\""),
        "{err}"
    );
}

#[tokio::test]
async fn check_and_run_agree_on_an_empty_panel() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.toml");
    std::fs::write(&path, "[panel]\nname = \"empty\"\n").unwrap();
    let path = path.to_str().unwrap();
    let run = smoke(&["run", "--panel", path]).await;
    let check = smoke(&["check", "--panel", path]).await;
    for out in [&run, &check] {
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("no probe"), "{err}");
    }
    assert_eq!(run.stderr, check.stderr, "one reason, said alike");
}

/// `run` on the herodemo panel against `sim`, with the state folder `state` and `limit` bytes
/// of file size at most (a full disk, without root).
async fn run_with(sim: &Deployment, state: &Path, file_size: Option<u64>) -> Output {
    let mut cmd = smoke_command();
    cmd.args(["run", "--panel"])
        .arg(herodemo_panel())
        .arg("--state-dir")
        .arg(state)
        .args([
            "--set",
            &format!("internal.socket_dir={}", sim.socket_dir().display()),
        ]);
    if let Some(limit) = file_size {
        // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd.output().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_state_folder_still_prints_the_report() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A folder that cannot be made: its parent is a file.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let state = file.join("state");

    let out = run_with(&sim, &state, None).await;
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(stdout.contains("ok   biz-persons"), "{stdout}");
    assert!(
        stderr.contains("cannot create the state folder"),
        "{stderr}"
    );

    sim.set(Fault::UiSocketMissing);
    let out = run_with(&sim, &state, None).await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a failed probe is still the news"
    );
    assert!(stdout.contains("FAIL os-ui"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_still_prints_the_report_and_leaves_no_partial_line() {
    let sim = Deployment::start().await.unwrap();
    let state = tempfile::tempdir().unwrap();
    let log = state.path().join("results.jsonl");
    // A first run with room: one whole tick in the log.
    let out = run_with(&sim, state.path(), None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let before = std::fs::metadata(&log).unwrap().len();

    // Then the disk is full: a little more than the log already holds.
    sim.set(Fault::UiSocketMissing);
    let out = run_with(&sim, state.path(), Some(before + 300)).await;
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stdout.contains("FAIL os-ui"), "{stdout}");
    assert!(stderr.contains("results.jsonl"), "{stderr}");
    let text_log = std::fs::read_to_string(&log).unwrap();
    assert!(text_log.ends_with('\n'), "no partial line left");
    for line in text_log.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("only whole lines");
    }
    assert_eq!(std::fs::metadata(&log).unwrap().len(), before);

    // Then not even the state fits: all passed, but nothing could be kept.
    sim.clear(&Fault::UiSocketMissing);
    let out = run_with(&sim, state.path(), Some(100)).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "all passed but nothing could be saved: {}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("cannot save"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("ok   biz-persons"));
    let temps = std::fs::read_dir(state.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(temps, 0, "a failed save leaves no temp file");
}

#[test]
fn the_binary_names_itself_in_its_version() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
        .arg("--version")
        .output()
        .unwrap();
    // Its own name (not smoke-core's), the version and the commit it was built from.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        smoke_sim::checkout::expected_version_line("smoke-internal")
    );
}
