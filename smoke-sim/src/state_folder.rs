//! A state folder as a watch loop leaves it after days of ticks: the hourly rollup, the results
//! log's latest ticks, and a state with open and resolved incidents. For the status page's
//! tests (a day of a small panel, its screenshots) and its benchmark (a week of a thousand
//! probes: `smoke-sim status-bench`).

use crate::bench::{measure, Sample};
use jiff::{SignedDuration, Timestamp};
use smoke_core::engine::{Incident, State};
use smoke_core::prelude::{Cause, Failure, ProbeReport, RunReport, Severity};
use smoke_loop::loop_state::LoopState;
use smoke_loop::rollup::Rollup;
use smoke_loop::status::STRIP_CELLS;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Generate {
    /// The probes' names; each fails about one tick in `fail_one_in` (0: never).
    pub probes: Vec<String>,
    pub fail_one_in: u64,
    pub every: Duration,
    /// How far back the ticks reach.
    pub span: Duration,
    /// The last tick's start.
    pub last_tick: Timestamp,
    /// Open incidents: (probe, affected probes, detail, issue URL), failing since
    /// `failing_for` before the last tick.
    pub open: Vec<(String, Vec<String>, String, Option<String>)>,
    pub failing_for: Duration,
}

impl Generate {
    pub fn ticks(&self) -> u64 {
        self.span.as_secs() / self.every.as_secs().max(1)
    }

    fn failing(&self, probe: &str, at: Timestamp) -> Option<&str> {
        let since = self.last_tick - SignedDuration::try_from(self.failing_for).ok()?;
        (at >= since)
            .then(|| {
                self.open
                    .iter()
                    .find(|(root, affected, _, _)| {
                        root == probe || affected.iter().any(|a| a == probe)
                    })
                    .map(|(_, _, detail, _)| detail.as_str())
            })
            .flatten()
    }
}

/// Writes the folder: every tick into the rollup (and the last [`STRIP_CELLS`] into
/// `results.jsonl`), the state with its open incidents and three resolved ones. Returns how
/// many probe results the rollup summarises.
pub fn write(dir: &Path, g: &Generate) -> io::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let ticks = g.ticks();
    let mut rollup = Rollup::default();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let every = SignedDuration::try_from(g.every).map_err(io::Error::other)?;
    for t in (0..ticks).rev() {
        let at = g.last_tick - every * (t as i32);
        let probes = g.probes.iter().map(|name| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = seed >> 33;
            let mut p = ProbeReport::new(name.clone());
            // A latency with a daily swell and some noise.
            let hour = (at.as_second().rem_euclid(86_400) / 3600) as u64;
            p.set_duration(Duration::from_millis(20 + hour * 3 + r % 25));
            let failing = g.failing(name, at);
            if failing.is_some() || (g.fail_one_in > 0 && r.is_multiple_of(g.fail_one_in)) {
                let detail = failing.unwrap_or("status 502 Bad Gateway");
                p.fail(Failure::new(Cause::Http, detail));
            }
            p
        });
        let mut report = RunReport::made("generated", "internal", at, probes.collect());
        report.set_every(Some(g.every));
        report.set_duration(Duration::from_millis(40));
        rollup.record(&report, true);
        if t < STRIP_CELLS as u64 {
            smoke_loop::results_log::append(dir, &report, smoke_loop::results_log::MAX_BYTES)
                .map_err(io::Error::other)?;
        }
    }
    rollup.save(dir).map_err(io::Error::other)?;
    std::fs::write(
        dir.join("state.json"),
        // As the loop writes it: the incidents among the loop's own fields, empty here.
        serde_json::to_vec_pretty(&LoopState {
            core: state(g),
            ..LoopState::default()
        })
        .map_err(io::Error::other)?,
    )?;
    Ok(ticks * g.probes.len() as u64)
}

fn state(g: &Generate) -> State {
    let mut s = State::default();
    let since = g.last_tick - SignedDuration::try_from(g.failing_for).unwrap_or_default();
    for (n, (root, affected, detail, url)) in g.open.iter().enumerate() {
        let mut i = Incident::new(
            format!("generated/internal/{root}/{n}"),
            since,
            Severity::Critical,
            vec![root.clone()],
        );
        i.cause = Some(Cause::Http);
        i.detail = detail.clone();
        i.covers.affected = affected.clone();
        i.url = url.clone();
        s.incidents.insert(root.clone(), i);
    }
    for (n, probe) in g.probes.iter().take(3).enumerate() {
        let opened = g.last_tick - SignedDuration::from_hours(20 - 5 * n as i64);
        let mut past = Incident::new(
            format!("generated/internal/{probe}/past{n}"),
            opened,
            Severity::Critical,
            vec![probe.clone()],
        );
        past.cause = Some(Cause::Timeout);
        past.detail = "no answer within 5s".into();
        let resolved = opened + SignedDuration::from_mins(7 + 10 * n as i64);
        s.log_resolved(probe.clone(), &past, resolved);
    }
    s
}

/// What one render of the page from a generated folder cost.
#[derive(Debug, Clone)]
pub struct StatusBench {
    pub probes: usize,
    pub results: u64,
    pub generate: Duration,
    pub rollup_bytes: u64,
    pub page_bytes: u64,
    pub sample: Sample,
}

/// Generates a folder of `probes` probes ticking every `every` for `days`, then measures
/// `smoke-internal status --state-dir DIR --html FILE` on it, as cron would run it.
pub fn bench(exe: &Path, probes: usize, days: u64, every: Duration) -> io::Result<StatusBench> {
    let work = tempfile::tempdir()?;
    let dir = work.path().join("state");
    let g = Generate {
        probes: (0..probes).map(|i| format!("p{i:04}")).collect(),
        fail_one_in: 500,
        every,
        span: Duration::from_secs(days * 86_400),
        last_tick: Timestamp::now(),
        open: vec![(
            "p0001".into(),
            vec!["p0002".into()],
            "status 502 Bad Gateway".into(),
            None,
        )],
        failing_for: Duration::from_secs(1800),
    };
    let started = Instant::now();
    let results = write(&dir, &g)?;
    let generate = started.elapsed();
    let page: PathBuf = work.path().join("status.html");
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("status")
        .arg("--state-dir")
        .arg(&dir)
        .arg("--html")
        .arg(&page);
    let sample = measure(cmd)?;
    if sample.exit != 0 {
        return Err(io::Error::other(format!(
            "{} status exited {}",
            exe.display(),
            sample.exit
        )));
    }
    Ok(StatusBench {
        probes,
        results,
        generate,
        rollup_bytes: std::fs::metadata(dir.join(smoke_loop::rollup::FILE))?.len(),
        page_bytes: std::fs::metadata(&page)?.len(),
        sample,
    })
}

/// The figures, as a person reads them.
pub fn render(b: &StatusBench) -> String {
    format!(
        "{} probes, {} results summarised (generated in {:.1} s); rollup.json {:.1} MB\n\
         status --html: {:.0} ms wall, {:.0} ms CPU, peak RSS {:.1} MB, page {:.1} MB\n",
        b.probes,
        b.results,
        b.generate.as_secs_f64(),
        b.rollup_bytes as f64 / 1e6,
        b.sample.wall.as_secs_f64() * 1000.0,
        b.sample.cpu.as_secs_f64() * 1000.0,
        b.sample.max_rss_kib as f64 / 1024.0,
        b.page_bytes as f64 / 1e6,
    )
}
