//! What a browse probe costs: `smoke-internal run` of a panel of [`VISITS`] probes that open the
//! simulated hero_os app one after the other, run after run. Each run starts one browser, so
//! its first visit is cold (the browser's start included) and the others warm (a fresh
//! incognito context in the running browser). Per run, the wall time of the run and of each
//! visit, smoke's own peak RSS, and the peak of the browser tree's memory as the sum of its
//! processes' PSS (a page shared by several processes counted once, split among them); after
//! all runs, the browser processes and the folders left.

use crate::Deployment;
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The visits of a run: the first cold, the rest warm.
pub const VISITS: usize = 4;

/// The probe measured, [`VISITS`] times: the app drawn, as herodemo.toml's os-ui-rendered asks.
fn panel_text() -> String {
    let mut text = "[panel]\nname = \"browse-bench\"\ntimeout = \"30s\"\n".to_string();
    for i in 0..VISITS {
        text.push_str(&format!(
            r##"
[[probe]]
name = "os-ui-rendered-{i}"
target = "hero_os/ui"
browse = "/"
wait_for = "#hero-dashboard"
expect = ["element(nav a) >= 3", "images.broken == 0", "console.errors == 0", "requests.failed == 0"]
"##
        ));
    }
    text
}

/// How often a run's processes are looked at.
const SAMPLE: Duration = Duration::from_millis(20);

/// One run's figures.
pub struct Run {
    pub wall: Duration,
    /// The first visit: the browser's start and the page.
    pub cold: Duration,
    /// The visits after it, in the browser the first started.
    pub warm: Vec<Duration>,
    /// Every visit passed.
    pub passed: bool,
    /// smoke's peak RSS (VmHWM), in KiB.
    pub smoke_kib: u64,
    /// The browser tree's peak PSS, in KiB.
    pub browser_kib: u64,
}

/// All runs, and what was left after them.
pub struct Figures {
    pub runs: Vec<Run>,
    pub processes_left: usize,
    pub folders_left: usize,
}

/// Runs the probe `runs` times with `exe` on a fresh simulated deployment.
pub async fn bench(exe: &Path, runs: usize) -> anyhow::Result<Figures> {
    let sim = Deployment::start().await?;
    let dir = tempfile::tempdir()?;
    let panel = dir.path().join("browse.toml");
    std::fs::write(&panel, panel_text())?;
    // The browser's files go here: its path tells this benchmark's browsers apart.
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp)?;
    let marker = format!("--user-data-dir={}/smoke-browser-", tmp.display());
    let mut all = Vec::with_capacity(runs);
    for _ in 0..runs {
        all.push(one(exe, &panel, &dir.path().join("state"), &sim, &tmp, &marker).await?);
    }
    Ok(Figures {
        runs: all,
        processes_left: browsers(&marker).len(),
        folders_left: std::fs::read_dir(&tmp)?.count(),
    })
}

async fn one(
    exe: &Path,
    panel: &Path,
    state: &Path,
    sim: &Deployment,
    tmp: &Path,
    marker: &str,
) -> anyhow::Result<Run> {
    let started = Instant::now();
    let mut smoke = tokio::process::Command::new(exe)
        .arg("run")
        .arg("--panel")
        .arg(panel)
        .arg("--state-dir")
        .arg(state)
        .args(["--format", "json", "--concurrency", "1"])
        .args([
            "--set",
            &format!("internal.socket_dir={}", sim.socket_dir().display()),
        ])
        .env("TMPDIR", tmp)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let pid = smoke.id().unwrap_or(0);
    let mut stdout = smoke.stdout.take().context("smoke's output")?;
    let reading = tokio::spawn(async move {
        let mut out = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut stdout, &mut out).await;
        out
    });
    let (mut smoke_kib, mut browser_kib) = (0, 0);
    let status = loop {
        if let Some(status) = smoke.try_wait()? {
            break status;
        }
        smoke_kib = smoke_kib.max(status_kib(pid, "VmHWM:"));
        let tree: u64 = browsers(marker).into_iter().map(pss_kib).sum();
        browser_kib = browser_kib.max(tree);
        tokio::time::sleep(SAMPLE).await;
    };
    let wall = started.elapsed();
    let out = reading.await?;
    let report: serde_json::Value = serde_json::from_slice(&out)
        .with_context(|| format!("smoke's report ({status}) is not JSON"))?;
    let probes = report["probes"].as_array().cloned().unwrap_or_default();
    let took =
        |p: &serde_json::Value| Duration::from_millis(p["duration_ms"].as_u64().unwrap_or(0));
    Ok(Run {
        wall,
        cold: probes.first().map(took).unwrap_or_default(),
        warm: probes.iter().skip(1).map(took).collect(),
        passed: probes.len() == VISITS && probes.iter().all(|p| p["outcome"] == "ok"),
        smoke_kib,
        browser_kib,
    })
}

/// The processes whose command line holds `marker` (a browser's `--user-data-dir=<folder>`),
/// zombies aside, as they have none: what a test or a benchmark counts as left.
pub fn browsers(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
        })
        .collect()
}

/// A `/proc/<pid>/status` line's value in KiB (`VmHWM:`), 0 once the process is gone.
fn status_kib(pid: u32, field: &str) -> u64 {
    kib_of(&PathBuf::from(format!("/proc/{pid}/status")), field)
}

/// A process's proportional set size, in KiB.
fn pss_kib(pid: u32) -> u64 {
    kib_of(&PathBuf::from(format!("/proc/{pid}/smaps_rollup")), "Pss:")
}

fn kib_of(file: &Path, field: &str) -> u64 {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// The figures as the benchmark prints them: the median and the worst of each.
pub fn render(f: &Figures) -> String {
    use std::fmt::Write;
    let median_max = |mut v: Vec<u64>| -> (u64, u64) {
        v.sort_unstable();
        (
            v.get(v.len() / 2).copied().unwrap_or(0),
            v.last().copied().unwrap_or(0),
        )
    };
    let ms = |d: Duration| d.as_millis() as u64;
    let (wall, wall_max) = median_max(f.runs.iter().map(|r| ms(r.wall)).collect());
    let (cold, cold_max) = median_max(f.runs.iter().map(|r| ms(r.cold)).collect());
    let (warm, warm_max) = median_max(
        f.runs
            .iter()
            .flat_map(|r| r.warm.iter().map(|d| ms(*d)))
            .collect(),
    );
    let (smoke, smoke_max) = median_max(f.runs.iter().map(|r| r.smoke_kib).collect());
    let (tree, tree_max) = median_max(f.runs.iter().map(|r| r.browser_kib).collect());
    let passed = f.runs.iter().filter(|r| r.passed).count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "runs: {} ({passed} passed), each {VISITS} visits in one browser",
        f.runs.len()
    );
    let _ = writeln!(out, "run wall:       p50 {wall} ms, max {wall_max} ms");
    let _ = writeln!(out, "probe, cold:    p50 {cold} ms, max {cold_max} ms");
    let _ = writeln!(out, "probe, warm:    p50 {warm} ms, max {warm_max} ms");
    let _ = writeln!(
        out,
        "smoke peak RSS: p50 {:.1} MB, max {:.1} MB",
        smoke as f64 / 1024.0,
        smoke_max as f64 / 1024.0
    );
    let _ = writeln!(
        out,
        "browser tree peak PSS: p50 {:.0} MB, max {:.0} MB",
        tree as f64 / 1024.0,
        tree_max as f64 / 1024.0
    );
    let _ = writeln!(
        out,
        "left after the runs: {} browser processes, {} folders",
        f.processes_left, f.folders_left
    );
    out
}
