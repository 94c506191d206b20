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

/// A panel of browse probes of hero_foundry's health page on `sim`, one per suffix of its
/// name, with a deadline that lets a cold browser start on a busy machine.
fn health_pages(sim: &Deployment, suffixes: &[&str]) -> smoke_core::engine::Panel {
    let mut text = "[panel]\nname = \"b\"\n".to_string();
    for suffix in suffixes {
        text.push_str(&format!(
            "\n[[probe]]\nname = \"health-page{suffix}\"\ntarget = \"hero_foundry/rpc\"\nbrowse = \"/health\"\nexpect = [\"console.errors == 0\"]\n"
        ));
    }
    load_str(
        &text,
        Path::new("b.toml"),
        &LoadOptions {
            sets: vec![
                format!("internal.socket_dir={}", sim.socket_dir().display()),
                "panel.timeout=15s".to_string(),
            ],
            ..Default::default()
        },
    )
    .unwrap()
}

/// The in-process tests count the browsers of this process: one at a time.
static IN_PROCESS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_ticks_leave_no_browser_and_no_profile() {
    let _alone = IN_PROCESS.lock().await;
    let sim = Deployment::start().await.unwrap();
    let panel = health_pages(&sim, &[""]);
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
        // No browser idles between ticks.
        assert_eq!(browsers(&marker), Vec::<u32>::new(), "after tick {tick}");
    }
    assert_eq!(
        browsers(&marker),
        Vec::<u32>::new(),
        "a browser outlived its tick"
    );
    assert_eq!(profiles(&tmp), before, "a profile folder outlived its tick");
}

/// The browsers running now: the distinct profiles of the processes whose command line holds
/// `marker` (every process of a browser names its profile).
fn running_browsers(marker: &str) -> usize {
    let mut profiles: Vec<String> = browsers(marker)
        .into_iter()
        .filter_map(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).ok())
        .filter_map(|cmdline| {
            cmdline
                .split(|b| *b == 0)
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .find(|arg| arg.starts_with(marker))
        })
        .collect();
    profiles.sort();
    profiles.dedup();
    profiles.len()
}

/// The browse probes of a tick share one browser, each in its own context, and it is gone
/// when the tick ends.
#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browse_probes_of_a_tick_share_one_browser_that_ends_with_it() {
    let _alone = IN_PROCESS.lock().await;
    let sim = Deployment::start().await.unwrap();
    let panel = health_pages(&sim, &["-0", "-1", "-2"]);
    let marker = format!(
        "--user-data-dir={}/smoke-browser-{}-",
        std::env::temp_dir().display(),
        std::process::id()
    );
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watching = {
        let (done, marker) = (done.clone(), marker.clone());
        tokio::spawn(async move {
            let mut most = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                most = most.max(running_browsers(&marker));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            most
        })
    };
    let side = smoke_internal::side(&panel);
    let report = run_panel(&panel, side.as_ref(), &[], 4).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let most = watching.await.unwrap();
    for probe in report.probes() {
        assert_eq!(probe.outcome(), Outcome::Ok, "{:?}", probe.detail());
    }
    assert_eq!(most, 1, "one browser for the tick's three visits");
    assert_eq!(
        running_browsers(&marker),
        0,
        "the browser ends with its tick"
    );
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
