//! Measures `smoke-internal run` as cron would run it: process start to exit, with its CPU time
//! and peak memory taken from the kernel's accounting of that one child (wait4).

use crate::{Deployment, Options};
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The smoke-internal binary.
    pub exe: PathBuf,
    /// The herodemo panel file.
    pub herodemo: PathBuf,
    /// Measured runs per scenario (after one warm-up run).
    pub runs: usize,
    /// Probes in the generated panel.
    pub probes: usize,
    /// Sockets (services) the generated panel spreads over.
    pub sockets: usize,
    /// Stale sockets for the failing scenario, one failing probe each, all of one signature: one
    /// grouped incident of them all (0: none).
    pub failing: usize,
}

/// One run of the binary.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    /// User + system CPU time of the child.
    pub cpu: Duration,
    /// Peak resident set size of the child, in KiB.
    pub max_rss_kib: u64,
    /// The tick as the report measured it (probes only, no process start).
    pub tick: Duration,
    pub exit: i32,
}

/// All runs of one scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub probes: usize,
    pub sockets: usize,
    pub samples: Vec<Sample>,
}

/// Runs the scenarios: the herodemo panel on the simulated herodemo, a generated panel of
/// `probes` probes over `sockets` generic services, and `failing` probes that all fail at once.
pub async fn run(opts: &BenchOptions) -> io::Result<Vec<Scenario>> {
    let work = tempfile::tempdir()?;
    let herodemo = Deployment::start().await?;
    let hero = scenario("herodemo", &opts.exe, &opts.herodemo, &herodemo, opts.runs).await?;
    drop(herodemo);

    let wide = Deployment::start_with(Options {
        extra_services: opts.sockets,
        ..Options::default()
    })
    .await?;
    let panel = work.path().join("generated.toml");
    std::fs::write(&panel, generated_panel(opts.probes, opts.sockets))?;
    // The same panel judged for drift against a baseline of itself: what drift costs. The two
    // take turns, run by run, so a machine that speeds up or slows down weighs on both alike.
    let judged = with_baseline(&opts.exe, &panel, &wide).await?;
    let runs = [("generated", panel.as_path()), ("drift", judged.as_path())];
    let mut scenarios = vec![hero];
    scenarios.extend(scenarios_in_turn(&runs, &opts.exe, &wide, opts.runs).await?);
    if opts.failing > 0 {
        scenarios.push(failing(opts, work.path()).await?);
    }
    Ok(scenarios)
}

/// `panel` with a known-good baseline of itself, taken on `sim` (5 ticks): a panel file beside
/// it whose `[panel] baseline` names it.
async fn with_baseline(exe: &Path, panel: &Path, sim: &Deployment) -> io::Result<PathBuf> {
    let baseline = panel.with_extension("baseline.json");
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("baseline")
        .arg("--panel")
        .arg(panel)
        .arg("--set")
        .arg(format!(
            "internal.socket_dir={}",
            sim.socket_dir().display()
        ))
        .arg("--out")
        .arg(&baseline)
        .env_remove("PATH_SOCKET")
        .env_remove("HERO_SOCKET_DIR")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let took = tokio::task::spawn_blocking(move || cmd.status())
        .await
        .map_err(io::Error::other)??;
    if !took.success() {
        return Err(io::Error::other(format!(
            "drift: `smoke-internal baseline` of a healthy deployment exited {took}"
        )));
    }
    let text = std::fs::read_to_string(panel)?;
    let judged = panel.with_file_name("judged.toml");
    let name = baseline.file_name().unwrap_or_default().to_string_lossy();
    std::fs::write(
        &judged,
        text.replacen("[panel]\n", &format!("[panel]\nbaseline = \"{name}\"\n"), 1),
    )?;
    Ok(judged)
}

/// Every probe fails at connect, all with one signature, so they open one grouped incident of
/// thousands of members that the log sink tells: the cost of a bad day, when the loop must stay
/// fast. Each run starts from an empty state folder, so each opens it.
async fn failing(opts: &BenchOptions, work: &Path) -> io::Result<Scenario> {
    let most = smoke_core::engine::limits::MAX_SERVICES;
    if opts.failing > most {
        return Err(io::Error::other(format!(
            "--failing {}: at most {most}, the most services a panel takes from a list ([panel] max_services)",
            opts.failing
        )));
    }
    let sockets = work.join("stale");
    stale_sockets(&sockets, opts.failing)?;
    let panel = work.join("failing.toml");
    std::fs::write(&panel, failing_panel(opts.failing))?;
    let mut samples = Vec::new();
    for i in 0..=opts.runs.min(FAILING_RUNS) {
        let (sample, report) = run_once(&opts.exe, &panel, &sockets).await?;
        let failed = report["probes"].as_array().map_or(0, Vec::len);
        if sample.exit != 2 || failed != opts.failing {
            return Err(io::Error::other(format!(
                "failing: smoke-internal exited {} with {failed} probes, not 2 with {}",
                sample.exit, opts.failing
            )));
        }
        if i > 0 {
            samples.push(sample);
        }
    }
    Ok(Scenario {
        name: "failing".to_string(),
        probes: opts.failing,
        sockets: opts.failing,
        samples,
    })
}

/// Runs of the failing scenario at most: each is a second or so.
const FAILING_RUNS: usize = 5;

/// A probe of each of the `services` stale sockets, every one taken from the folder.
fn failing_panel(services: usize) -> String {
    format!(
        "[panel]\nname = \"failing\"\ntimeout = \"5s\"\nmax_services = {}\n\n[defaults]\n\
         retries = 0\n\n[[probe]]\nname = \"health-{{service}}\"\nfor_each = \"service\"\n\
         target = \"{{service}}/rpc\"\nget = \"/health\"\nexpect = [\"status == 200\"]\n",
        services.max(1)
    )
}

/// `n` services whose `rpc.sock` nobody listens on (bound, then closed: the file stays).
pub fn stale_sockets(dir: &Path, n: usize) -> io::Result<()> {
    for i in 0..n {
        let service = dir.join(format!("svc{i:05}"));
        std::fs::create_dir_all(&service)?;
        drop(std::os::unix::net::UnixListener::bind(
            service.join("rpc.sock"),
        )?);
    }
    Ok(())
}

async fn scenario(
    name: &str,
    exe: &Path,
    panel: &Path,
    sim: &Deployment,
    runs: usize,
) -> io::Result<Scenario> {
    let mut all = scenarios_in_turn(&[(name, panel)], exe, sim, runs).await?;
    Ok(all.remove(0))
}

/// `runs` runs of each panel, one of each in turn, on `sim`: a scenario per panel.
async fn scenarios_in_turn(
    panels: &[(&str, &Path)],
    exe: &Path,
    sim: &Deployment,
    runs: usize,
) -> io::Result<Vec<Scenario>> {
    let mut scenarios: Vec<Scenario> = panels
        .iter()
        .map(|(name, _)| Scenario {
            name: name.to_string(),
            probes: 0,
            sockets: sim.services().len(),
            samples: Vec::with_capacity(runs),
        })
        .collect();
    for i in 0..=runs {
        for ((name, panel), s) in panels.iter().zip(&mut scenarios) {
            let (sample, report) = run_once(exe, panel, sim.socket_dir()).await?;
            s.probes = report["probes"].as_array().map_or(0, Vec::len);
            if sample.exit != 0 {
                return Err(io::Error::other(format!(
                    "{name}: smoke-internal exited {} on a healthy deployment: {report}",
                    sample.exit
                )));
            }
            // The first run warms the page cache and is not counted.
            if i > 0 {
                s.samples.push(sample);
            }
        }
    }
    Ok(scenarios)
}

/// What `b` costs over `a`, run by run in turn (the nth of each): the median of the CPU
/// ratios of the pairs, and the peak memory. One line, or none without both.
pub fn paired_cost(scenarios: &[Scenario], a: &str, b: &str) -> Option<String> {
    let find = |name: &str| scenarios.iter().find(|s| s.name == name);
    let (a, b) = (find(a)?, find(b)?);
    let mut ratios: Vec<f64> = a
        .samples
        .iter()
        .zip(&b.samples)
        .filter(|(x, _)| !x.cpu.is_zero())
        .map(|(x, y)| y.cpu.as_secs_f64() / x.cpu.as_secs_f64())
        .collect();
    if ratios.is_empty() {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let at = |p: usize| (ratios[(ratios.len() - 1) * p / 100] - 1.0) * 100.0;
    let rss = |s: &Scenario| s.samples.iter().map(|x| x.max_rss_kib).max().unwrap_or(0) as f64;
    Some(format!(
        "{} over {}, run by run in turn: CPU {:+.1}% (median of {} pairs; quartiles {:+.1}% to {:+.1}%), peak RSS {:+.1}MB",
        b.name,
        a.name,
        at(50),
        ratios.len(),
        at(25),
        at(75),
        (rss(b) - rss(a)) / 1024.0
    ))
}

async fn run_once(
    exe: &Path,
    panel: &Path,
    socket_dir: &Path,
) -> io::Result<(Sample, serde_json::Value)> {
    let out = tempfile::NamedTempFile::new()?;
    // A state folder per run, as a first run on a fresh host has: counted in the figures.
    let state = tempfile::tempdir()?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("run")
        .arg("--format")
        .arg("json")
        .arg("--panel")
        .arg(panel)
        .arg("--set")
        .arg(format!("internal.socket_dir={}", socket_dir.display()))
        .env("SMOKE_STATE_DIR", state.path())
        .env_remove("PATH_SOCKET")
        .env_remove("HERO_SOCKET_DIR")
        .stdout(out.reopen()?)
        // The report says what failed; thousands of incident lines would drown the table.
        .stderr(std::process::Stdio::null());
    // wait4 blocks: keep it off the runtime that serves the simulated sockets.
    let sample = tokio::task::spawn_blocking(move || measure(cmd))
        .await
        .map_err(io::Error::other)??;
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(out.path())?)
        .map_err(|e| io::Error::other(format!("smoke-internal printed no JSON report: {e}")))?;
    let tick = Duration::from_millis(report["duration_ms"].as_u64().unwrap_or(0));
    Ok((Sample { tick, ..sample }, report))
}

/// Runs `cmd` to its end: its wall and CPU time and peak memory, from the kernel's accounting
/// of that one child.
pub(crate) fn measure(mut cmd: std::process::Command) -> io::Result<Sample> {
    let started = Instant::now();
    let child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for the kernel to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet reaped (Child::wait was never called), and both
    // out-pointers point to live locals.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok(Sample {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss as u64,
        tick: Duration::ZERO,
        exit: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
    })
}

/// A panel of `probes` probes spread evenly over `sockets` generic services: half health checks,
/// half JSON-RPC calls whose answer is checked, so both paths of the engine are measured.
pub fn generated_panel(probes: usize, sockets: usize) -> String {
    let sockets = sockets.max(1);
    let mut text = String::from(
        "[panel]\nname = \"generated\"\ntimeout = \"5s\"\n\n[defaults]\nretries = 0\n",
    );
    for i in 0..probes {
        let service = format!("svc_{:03}", i % sockets);
        if i % 2 == 0 {
            let _ = write!(
                text,
                "\n[[probe]]\nname = \"p{i:04}\"\ntarget = \"{service}/rpc\"\nget = \"/health\"\nexpect = [\"json.status == ok\"]\n"
            );
        } else {
            let _ = write!(
                text,
                "\n[[probe]]\nname = \"p{i:04}\"\ntarget = \"{service}/rpc\"\nrpc = \"echo\"\nparams = {{ n = {i} }}\nexpect = [\"result.n == {i}\"]\n"
            );
        }
    }
    text
}

/// The figures, as a table a person reads.
pub fn render(scenarios: &[Scenario]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<10} {:>6} {:>7} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9}",
        "scenario",
        "probes",
        "sockets",
        "runs",
        "wall p50",
        "wall p90",
        "wall max",
        "tick p50",
        "cpu/run",
        "cpu/probe",
        "peak RSS"
    );
    for s in scenarios {
        let mut walls: Vec<Duration> = s.samples.iter().map(|x| x.wall).collect();
        let mut ticks: Vec<Duration> = s.samples.iter().map(|x| x.tick).collect();
        walls.sort();
        ticks.sort();
        let n = s.samples.len().max(1) as u32;
        let cpu: Duration = s.samples.iter().map(|x| x.cpu).sum::<Duration>() / n;
        let per_probe = cpu / (s.probes.max(1) as u32);
        let rss = s.samples.iter().map(|x| x.max_rss_kib).max().unwrap_or(0);
        let _ = writeln!(
            out,
            "{:<10} {:>6} {:>7} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9}",
            s.name,
            s.probes,
            s.sockets,
            s.samples.len(),
            ms(percentile(&walls, 50)),
            ms(percentile(&walls, 90)),
            ms(walls.last().copied().unwrap_or_default()),
            ms(percentile(&ticks, 50)),
            ms(cpu),
            format!("{:.1}us", per_probe.as_secs_f64() * 1e6),
            format!("{:.1}MB", rss as f64 / 1024.0),
        );
    }
    if let Some(line) = paired_cost(scenarios, "generated", "drift") {
        let _ = writeln!(out, "{line}");
    }
    out
}

pub(crate) fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_panel_spreads_probes_over_sockets() {
        let text = generated_panel(10, 3);
        assert_eq!(text.matches("[[probe]]").count(), 10);
        assert!(text.contains("svc_002/rpc") && !text.contains("svc_003"));
        assert!(text.contains("rpc = \"echo\"") && text.contains("get = \"/health\""));
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let d: Vec<Duration> = (1..=10).map(Duration::from_millis).collect();
        assert_eq!(percentile(&d, 50), Duration::from_millis(5));
        assert_eq!(percentile(&d, 90), Duration::from_millis(9));
        assert_eq!(percentile(&[], 90), Duration::ZERO);
    }
}
