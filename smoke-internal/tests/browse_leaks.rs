//! A browse probe never leaks a browser: not after a hundred ticks, not when smoke is killed
//! with SIGKILL in the middle of one. Its own test binary, so no other test's browser counts.

use smoke_core::engine::{load_str, run_panel, LoadOptions};
use smoke_core::prelude::Outcome;
use smoke_sim::browse_bench::browsers;
use smoke_sim::{Deployment, Fault};
use std::path::Path;
use std::time::{Duration, Instant};

/// The folders a browse probe's browser left in `dir`: smoke's profiles, and Chromium's own
/// (its singleton socket's), which a browser that is killed never removes itself.
fn profiles(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.starts_with("smoke-browser-") || name.starts_with("org.chromium.")
                })
                .count()
        })
        .unwrap_or(0)
}

#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_ticks_leave_no_browser_and_no_profile() {
    let sim = Deployment::start().await.unwrap();
    let panel = load_str(
        "[panel]\nname = \"b\"\n\n[[probe]]\nname = \"health-page\"\ntarget = \"hero_foundry/rpc\"\nbrowse = \"/health\"\nexpect = [\"console.errors == 0\"]\n",
        Path::new("b.toml"),
        &LoadOptions {
            sets: vec![
                format!("internal.socket_dir={}", sim.socket_dir().display()),
                "panel.timeout=15s".to_string(),
            ],
            ..Default::default()
        },
    )
    .unwrap();
    let tmp = std::env::temp_dir();
    let marker = format!("--user-data-dir={}/smoke-browser-", tmp.display());
    let before = profiles(&tmp);
    let side = smoke_internal::side(&panel);
    for tick in 0..100 {
        let report = run_panel(&panel, side.as_ref(), &[], 4).await;
        let probe = &report.probes()[0];
        assert_eq!(
            probe.outcome(),
            Outcome::Ok,
            "tick {tick}: {:?}",
            probe.detail()
        );
    }
    assert_eq!(
        browsers(&marker),
        Vec::<u32>::new(),
        "a browser outlived its tick"
    );
    assert_eq!(profiles(&tmp), before, "a profile folder outlived its tick");
}

/// `smoke-internal run` of `panel` on `sim`'s sockets, its temporary files in `tmp`, quiet.
fn run(panel: &Path, state: &Path, sim: &Deployment, tmp: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"));
    cmd.arg("run")
        .arg("--panel")
        .arg(panel)
        .arg("--state-dir")
        .arg(state)
        .args([
            "--set",
            &format!("internal.socket_dir={}", sim.socket_dir().display()),
        ])
        .env("TMPDIR", tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    cmd
}

#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smoke_killed_mid_probe_leaves_no_browser() {
    let sim = Deployment::start().await.unwrap();
    // The page never draws what the probe waits for: the probe would wait its whole timeout.
    sim.set(Fault::UiBootError);
    let dir = tempfile::tempdir().unwrap();
    let panel = dir.path().join("b.toml");
    std::fs::write(
        &panel,
        "[panel]\nname = \"b\"\ntimeout = \"60s\"\n\n[[probe]]\nname = \"os-ui-rendered\"\ntarget = \"hero_os/ui\"\nbrowse = \"/\"\nwait_for = \"#hero-dashboard\"\n",
    )
    .unwrap();
    // The browser's profile goes under this folder: its path tells this test's browser apart.
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let marker = format!("--user-data-dir={}/smoke-browser-", tmp.display());
    let mut smoke = run(&panel, &dir.path().join("state"), &sim, &tmp)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while browsers(&marker).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the browser never started"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Mid-probe: the page is open and its selector never comes.
    tokio::time::sleep(Duration::from_secs(1)).await;
    smoke.start_kill().unwrap();
    smoke.wait().await.unwrap();
    let killed = Instant::now();
    while !browsers(&marker).is_empty() {
        assert!(
            killed.elapsed() < Duration::from_secs(5),
            "browser processes outlived smoke: {:?}",
            browsers(&marker)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The killed smoke could not remove its browser's profile; the next one that starts a
    // browser does.
    assert_eq!(profiles(&tmp), 1);
    sim.clear(&Fault::UiBootError);
    let status = run(&panel, &dir.path().join("state"), &sim, &tmp)
        .status()
        .await
        .unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(profiles(&tmp), 0, "the killed smoke's profile is swept");
}
