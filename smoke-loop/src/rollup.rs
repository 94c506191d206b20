//! The hourly rollup (`rollup.json` in the state folder): per probe, one bucket an hour of ticks,
//! ok, degraded and failed counts and the median latency, for [`KEEP_HOURS`]. The results log is
//! rotated at a few megabytes and the in-memory history is capped, so this is what the status
//! page's uptime and latency figures read: a week of one-minute ticks of a thousand probes (ten
//! million results) is a few megabytes here.
//!
//! Its size is bounded by probes × [`KEEP_HOURS`]: older hours are dropped as new ones come, and
//! a tick that saw the whole panel drops the probes that left it. It is saved atomically after
//! every tick; a missing file starts an empty rollup, and so does an unreadable one in the loop
//! (it is a summary, never a reason to stop a tick), while `status` refuses it.

use crate::state_dir::StateDirError;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use smoke_core::prelude::{Outcome, RunReport};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

pub const FILE: &str = crate::state_dir::ROLLUP_FILE;
/// Hours kept per probe: 32 days, so "the last 30 days" always has whole days.
pub const KEEP_HOURS: usize = 32 * 24;
/// The format of `rollup.json`; a file of another version is set aside, not guessed at.
const VERSION: u32 = 1;
/// Latency bins per doubling: an hour's median is known to within 1/8 (about 9%).
const BINS_PER_DOUBLING: f64 = 4.0;
/// Latency bins: the last one holds everything from about 4.6 hours up.
const BINS: usize = 100;

const HOUR: i64 = 3600;

/// The rollup of one state folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rollup {
    pub version: u32,
    /// Panel and mode of the latest tick, to title a page with no loop running.
    #[serde(default)]
    pub panel: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    /// The loop period of the latest tick, in seconds: a page says the loop is stale after two.
    #[serde(default)]
    pub every_s: Option<u64>,
    /// When the latest tick started.
    #[serde(default)]
    pub last_tick: Option<Timestamp>,
    #[serde(default)]
    pub probes: BTreeMap<String, Series>,
}

/// One probe's hours, oldest first, dense from `start` (an hour with no tick is all zeros).
/// Columns rather than rows: the file stays about half as large.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The first hour held, in hours since the Unix epoch.
    pub start: i64,
    /// Every tick of the hour, quiet ones included.
    pub ticks: Vec<u32>,
    /// Ticks that were not quiet, by outcome; an error counts as failed.
    pub ok: Vec<u32>,
    pub degraded: Vec<u32>,
    pub fail: Vec<u32>,
    /// The hour's median duration, in milliseconds (0 for an hour with no tick).
    pub p50_ms: Vec<u32>,
    /// The latest hour's latencies as `[bin, count]`: what its median is kept up to date from.
    #[serde(default)]
    pub open: Vec<(u16, u32)>,
}

/// One hour of one probe, as the page reads it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Hour {
    pub ticks: u32,
    pub ok: u32,
    pub degraded: u32,
    pub fail: u32,
    pub p50_ms: u32,
}

fn hour_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(HOUR)
}

fn bin_of(ms: u64) -> u16 {
    if ms == 0 {
        return 0;
    }
    let b = ((ms as f64).log2() * BINS_PER_DOUBLING).floor() as usize + 1;
    b.min(BINS - 1) as u16
}

/// The middle of a bin, in milliseconds.
fn bin_value(bin: u16) -> u32 {
    if bin == 0 {
        return 0;
    }
    let exp = (f64::from(bin) - 0.5) / BINS_PER_DOUBLING;
    2f64.powf(exp).round().min(f64::from(u32::MAX)) as u32
}

fn median(bins: &[(u16, u32)]) -> u32 {
    let total: u64 = bins.iter().map(|(_, n)| u64::from(*n)).sum();
    let mut seen = 0u64;
    for (bin, n) in bins {
        seen += u64::from(*n);
        if seen * 2 >= total {
            return bin_value(*bin);
        }
    }
    0
}

impl Series {
    fn end(&self) -> i64 {
        self.start + self.ticks.len() as i64
    }

    /// The index of `hour`, growing the columns up to it and dropping what falls out of
    /// [`KEEP_HOURS`]; `None` for an hour already dropped (a clock set back a month).
    fn slot(&mut self, hour: i64) -> Option<usize> {
        if self.ticks.is_empty() {
            self.start = hour;
        }
        if hour < self.start {
            return None;
        }
        if hour >= self.end() {
            // A new latest hour: the latencies gathered are of an hour now closed.
            self.open.clear();
            let grow = (hour - self.end() + 1) as usize;
            // A probe silent for longer than the window starts over rather than filling zeros.
            if grow > KEEP_HOURS {
                *self = Series {
                    start: hour,
                    ..Series::default()
                };
                return self.slot(hour);
            }
            for col in self.columns() {
                col.extend(std::iter::repeat_n(0, grow));
            }
        }
        let over = self.ticks.len().saturating_sub(KEEP_HOURS);
        if over > 0 {
            for col in self.columns() {
                col.drain(..over);
            }
            self.start += over as i64;
        }
        Some((hour - self.start) as usize)
    }

    fn columns(&mut self) -> [&mut Vec<u32>; 5] {
        [
            &mut self.ticks,
            &mut self.ok,
            &mut self.degraded,
            &mut self.fail,
            &mut self.p50_ms,
        ]
    }

    fn add(&mut self, at: Timestamp, outcome: Outcome, quiet: bool, ms: u64) {
        let hour = hour_of(at);
        let Some(i) = self.slot(hour) else {
            return;
        };
        self.ticks[i] = self.ticks[i].saturating_add(1);
        if !quiet {
            let col = match outcome {
                Outcome::Ok => &mut self.ok,
                Outcome::Degraded => &mut self.degraded,
                Outcome::Fail | Outcome::Error => &mut self.fail,
            };
            col[i] = col[i].saturating_add(1);
        }
        // Only the latest hour's latencies are kept; a late tick of an older one (a clock set
        // back) is counted but leaves that hour's median as it was.
        if i + 1 == self.ticks.len() {
            let bin = bin_of(ms);
            match self.open.binary_search_by_key(&bin, |(b, _)| *b) {
                Ok(j) => self.open[j].1 = self.open[j].1.saturating_add(1),
                Err(j) => self.open.insert(j, (bin, 1)),
            }
            self.p50_ms[i] = median(&self.open);
        }
    }

    /// The hour `hour` (hours since the epoch), all zeros when not held.
    pub fn hour(&self, hour: i64) -> Hour {
        if hour < self.start || hour >= self.end() {
            return Hour::default();
        }
        let i = (hour - self.start) as usize;
        Hour {
            ticks: self.ticks[i],
            ok: self.ok[i],
            degraded: self.degraded[i],
            fail: self.fail[i],
            p50_ms: self.p50_ms[i],
        }
    }

    /// The share of the counted ticks of the `hours` hours up to and including the one of
    /// `end` that were up (ok or degraded); quiet ticks are left out. `None` when none counts.
    pub fn uptime(&self, end: Timestamp, hours: usize) -> Option<f64> {
        let last = hour_of(end);
        let (mut up, mut all) = (0u64, 0u64);
        for h in (last + 1 - hours as i64)..=last {
            let x = self.hour(h);
            up += u64::from(x.ok) + u64::from(x.degraded);
            all += u64::from(x.ok) + u64::from(x.degraded) + u64::from(x.fail);
        }
        (all > 0).then(|| up as f64 / all as f64)
    }

    /// The hourly medians of the `hours` hours up to the one of `end`, oldest first; `None` for
    /// an hour with no tick.
    pub fn p50_series(&self, end: Timestamp, hours: usize) -> Vec<Option<u32>> {
        let last = hour_of(end);
        ((last + 1 - hours as i64)..=last)
            .map(|h| {
                let x = self.hour(h);
                (x.ticks > 0).then_some(x.p50_ms)
            })
            .collect()
    }
}

impl Rollup {
    /// A rollup of no tick yet.
    pub fn empty() -> Rollup {
        Rollup {
            version: VERSION,
            ..Rollup::default()
        }
    }

    /// The rollup saved in the state folder `dir`; an empty one when there is none. A file
    /// that cannot be read, or that holds what no loop writes, is an error naming it: the loop
    /// says it and starts afresh (a summary is never a reason to stop a tick), `status` stops.
    pub fn load(dir: &Path) -> Result<Rollup, StateDirError> {
        let file = dir.join(FILE);
        let text = match crate::state_dir::read_in_state(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Rollup::empty()),
            Err(source) => return Err(StateDirError::CannotRead { path: file, source }),
        };
        let unreadable = |why: String| StateDirError::RollupUnreadable {
            path: file.clone(),
            why,
        };
        let rollup =
            serde_json::from_str::<Rollup>(&text).map_err(|e| unreadable(e.to_string()))?;
        if rollup.version != VERSION {
            return Err(StateDirError::RollupVersion {
                path: file,
                found: rollup.version,
                reads: VERSION,
            });
        }
        rollup.check().map_err(|e| unreadable(e.to_string()))?;
        Ok(rollup)
    }

    /// What no loop writes, and what the page's arithmetic must never meet: a period of
    /// nothing or of more than [`MAX_DURATION`](smoke_core::engine::MAX_DURATION), an hour no
    /// clock reaches, columns of unequal length.
    fn check(&self) -> Result<(), Unwritten> {
        let max = smoke_core::engine::MAX_DURATION.as_secs();
        if let Some(every) = self.every_s.filter(|s| !(1..=max).contains(s)) {
            return Err(Unwritten::Period { every, max });
        }
        self.probes.values().try_for_each(Series::check)
    }

    /// Adds a tick. `whole_panel`: the tick saw every probe of the panel, so a probe it did not
    /// see has left it and its hours are dropped.
    pub fn record(&mut self, report: &RunReport, whole_panel: bool) {
        self.version = VERSION;
        self.panel = Some(report.panel().to_string());
        self.mode = Some(report.mode().to_string());
        if let Some(every) = report.every() {
            self.every_s = Some(every.as_secs());
        }
        if self.last_tick.is_none_or(|t| t < report.started_at()) {
            self.last_tick = Some(report.started_at());
        }
        for p in report.probes() {
            let series = match self.probes.get_mut(p.name()) {
                Some(s) => s,
                None => self.probes.entry(p.name().to_string()).or_default(),
            };
            series.add(
                report.started_at(),
                p.outcome(),
                p.muted().is_some(),
                p.duration_ms().as_millis() as u64,
            );
        }
        if whole_panel && !report.probes().is_empty() {
            let seen: std::collections::HashSet<&str> =
                report.probes().iter().map(|p| p.name()).collect();
            self.probes.retain(|name, _| seen.contains(name.as_str()));
        }
    }

    /// Writes it into the state folder atomically.
    pub fn save(&self, dir: &Path) -> Result<(), StateDirError> {
        let bytes = serde_json::to_vec(self).expect("a rollup always serializes");
        crate::state_dir::write_atomic(dir, FILE, &bytes)
    }
}

impl Series {
    fn check(&self) -> Result<(), Unwritten> {
        let n = self.ticks.len();
        let hours = hour_of(Timestamp::MIN)..=hour_of(Timestamp::MAX);
        if !hours.contains(&self.start) {
            return Err(Unwritten::StartHour(self.start));
        }
        if n > KEEP_HOURS {
            return Err(Unwritten::TooManyHours(n));
        }
        if ![&self.ok, &self.degraded, &self.fail, &self.p50_ms]
            .iter()
            .all(|c| c.len() == n)
        {
            return Err(Unwritten::UnequalColumns);
        }
        if self.open.iter().any(|(b, _)| usize::from(*b) >= BINS) {
            return Err(Unwritten::BinPastLast);
        }
        Ok(())
    }
}

/// What a rollup file holds that no loop writes: said as why it is unreadable (the state
/// folder's error carries these words, as the folder imports nothing it holds).
#[derive(Debug, thiserror::Error)]
enum Unwritten {
    /// A loop period of nothing, or past the longest duration.
    #[error("every_s {every} is no loop period: 1 to {max} seconds")]
    Period { every: u64, max: u64 },
    #[error("a probe's start hour {0} is no hour a clock reaches")]
    StartHour(i64),
    #[error("a probe has {0} hours, more than {KEEP_HOURS}")]
    TooManyHours(usize),
    #[error("a probe's columns are of unequal length")]
    UnequalColumns,
    #[error("a probe's latency bin is past the last, {BINS}")]
    BinPastLast,
}

/// The rollup as a loop shares it with its status page.
pub type SharedRollup = Arc<RwLock<Rollup>>;

/// A loop's rollup between ticks: read from its state folder on first use (an unreadable one is
/// said and started afresh), recorded and saved after each tick.
pub struct Kept {
    dir: PathBuf,
    cell: OnceLock<SharedRollup>,
}

impl Kept {
    /// The rollup of the state folder `dir`, not read yet.
    pub fn of(dir: &Path) -> Kept {
        Kept {
            dir: dir.to_path_buf(),
            cell: OnceLock::new(),
        }
    }

    /// The rollup, read on first use.
    pub fn shared(&self) -> SharedRollup {
        self.cell
            .get_or_init(|| {
                let rollup = Rollup::load(&self.dir).unwrap_or_else(|e| {
                    eprintln!("smoke: {e}; the uptime history starts afresh");
                    Rollup::empty()
                });
                Arc::new(RwLock::new(rollup))
            })
            .clone()
    }

    /// Adds a tick and saves the rollup. `whole_panel`: the tick saw every probe.
    pub fn record(&self, report: &RunReport, whole_panel: bool) -> Result<(), StateDirError> {
        let shared = self.shared();
        let bytes = {
            let mut rollup = shared.write().unwrap_or_else(|e| e.into_inner());
            rollup.record(report, whole_panel);
            serde_json::to_vec(&*rollup).expect("a rollup always serializes")
        };
        // Written outside the lock: the status page reads on while the file is saved.
        crate::state_dir::write_atomic(&self.dir, FILE, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoke_core::prelude::ProbeReport;
    use std::time::Duration;

    const T0: i64 = 1_750_000_000 / HOUR * HOUR;

    fn tick(second: i64, probes: &[(&str, Outcome, u64, bool)]) -> RunReport {
        let mut r = RunReport::made(
            "herodemo",
            "internal",
            Timestamp::from_second(second).unwrap(),
            probes
                .iter()
                .map(|(name, outcome, ms, quiet)| {
                    let mut p = ProbeReport::new(*name);
                    p.set_outcome(*outcome);
                    p.set_duration(Duration::from_millis(*ms));
                    p.mute(quiet.then(|| "maintenance".to_string()));
                    p
                })
                .collect(),
        );
        r.set_every(Some(Duration::from_secs(60)));
        r.set_duration(Duration::from_millis(20));
        r
    }

    #[test]
    fn hours_count_outcomes_leave_quiet_ticks_out_and_keep_a_median() {
        let mut r = Rollup::default();
        // Hour 0: 4 ok at 10..40 ms, 1 degraded, 1 fail, 1 error, 2 quiet fails.
        for (i, (o, quiet)) in [
            (Outcome::Ok, false),
            (Outcome::Ok, false),
            (Outcome::Ok, false),
            (Outcome::Ok, false),
            (Outcome::Degraded, false),
            (Outcome::Fail, false),
            (Outcome::Error, false),
            (Outcome::Fail, true),
            (Outcome::Fail, true),
        ]
        .into_iter()
        .enumerate()
        {
            r.record(&tick(T0 + 60 * i as i64, &[("a", o, 100, quiet)]), true);
        }
        let a = &r.probes["a"];
        assert_eq!(
            a.hour(T0 / HOUR),
            Hour {
                ticks: 9,
                ok: 4,
                degraded: 1,
                fail: 2,
                p50_ms: a.hour(T0 / HOUR).p50_ms
            }
        );
        let p50 = a.hour(T0 / HOUR).p50_ms;
        assert!((92..=109).contains(&p50), "{p50}");
        let end = Timestamp::from_second(T0 + 3000).unwrap();
        let up = a.uptime(end, 24).unwrap();
        assert!((up - 5.0 / 7.0).abs() < 1e-9, "{up}");
        assert_eq!(r.every_s, Some(60));
        assert_eq!(r.panel.as_deref(), Some("herodemo"));
    }

    #[test]
    fn a_median_within_an_eighth_and_gaps_are_no_ticks() {
        let mut r = Rollup::default();
        for (i, ms) in [5u64, 7, 1200, 1300, 1250, 9000, 20]
            .into_iter()
            .enumerate()
        {
            r.record(&tick(T0 + i as i64, &[("a", Outcome::Ok, ms, false)]), true);
        }
        // Three hours later, one more tick.
        r.record(
            &tick(T0 + 3 * HOUR, &[("a", Outcome::Fail, 3, false)]),
            true,
        );
        let a = &r.probes["a"];
        let end = Timestamp::from_second(T0 + 3 * HOUR).unwrap();
        let series = a.p50_series(end, 5);
        assert_eq!(series.len(), 5);
        assert_eq!(series[0], None, "before the first hour");
        let first = series[1].unwrap();
        assert!((1090..=1380).contains(&first), "{first}");
        assert_eq!(&series[2..4], &[None, None]);
        assert!(series[4].unwrap() <= 4);
        assert_eq!(a.uptime(end, 1), Some(0.0));
        assert_eq!(a.uptime(end, 24), Some(7.0 / 8.0));
    }

    #[test]
    fn the_window_is_bounded_and_probes_that_left_are_dropped() {
        let mut r = Rollup::default();
        for h in 0..(KEEP_HOURS as i64 + 50) {
            r.record(
                &tick(
                    T0 + h * HOUR,
                    &[("a", Outcome::Ok, 10, false), ("b", Outcome::Ok, 10, false)],
                ),
                true,
            );
        }
        let a = &r.probes["a"];
        assert_eq!(a.ticks.len(), KEEP_HOURS);
        assert_eq!(a.start, T0 / HOUR + 50);
        // A tick with --only keeps b; a whole-panel tick without it drops it.
        let last = T0 + (KEEP_HOURS as i64 + 50) * HOUR;
        r.record(&tick(last, &[("a", Outcome::Ok, 10, false)]), false);
        assert!(r.probes.contains_key("b"));
        r.record(&tick(last + 60, &[("a", Outcome::Ok, 10, false)]), true);
        assert!(!r.probes.contains_key("b"));
        // Silent for two months, then back: it starts over instead of holding zeros.
        r.record(
            &tick(last + 60 * 24 * HOUR, &[("a", Outcome::Ok, 10, false)]),
            true,
        );
        assert_eq!(r.probes["a"].ticks.len(), 1);
    }

    #[test]
    fn saved_and_loaded_whole_and_a_broken_file_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Rollup::default();
        r.record(&tick(T0, &[("a", Outcome::Ok, 10, false)]), true);
        r.save(dir.path()).unwrap();
        assert_eq!(Rollup::load(dir.path()).unwrap(), r);
        std::fs::write(dir.path().join(FILE), "{\"version\":1,\"probes\":{\"a\":{\"start\":1,\"ticks\":[1],\"ok\":[],\"degraded\":[],\"fail\":[],\"p50_ms\":[]}}}").unwrap();
        let e = Rollup::load(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("rollup.json is unreadable (a probe's columns are of unequal length)"),
            "{e}"
        );
        std::fs::write(dir.path().join(FILE), "not json").unwrap();
        assert!(Rollup::load(dir.path())
            .unwrap_err()
            .to_string()
            .contains("is unreadable"));
        std::fs::write(dir.path().join(FILE), "{\"version\":7}").unwrap();
        assert!(Rollup::load(dir.path())
            .unwrap_err()
            .to_string()
            .contains("is version 7, this smoke reads 1"));
        let empty = Rollup::load(&dir.path().join("nowhere")).unwrap();
        assert!(empty.probes.is_empty());
    }

    #[test]
    fn numbers_no_loop_writes_are_refused_before_any_arithmetic() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Rollup::default();
        r.record(&tick(T0, &[("a", Outcome::Ok, 10, false)]), true);
        let good = serde_json::to_value(&r).unwrap();
        let max = smoke_core::engine::MAX_DURATION.as_secs();
        for every in [0, max + 1, u64::MAX] {
            let mut v = good.clone();
            v["every_s"] = every.into();
            std::fs::write(dir.path().join(FILE), v.to_string()).unwrap();
            let e = Rollup::load(dir.path()).unwrap_err().to_string();
            assert!(
                e.contains(&format!("every_s {every} is no loop period")),
                "{e}"
            );
        }
        for start in [i64::MAX, i64::MIN] {
            let mut v = good.clone();
            v["probes"]["a"]["start"] = start.into();
            std::fs::write(dir.path().join(FILE), v.to_string()).unwrap();
            let e = Rollup::load(dir.path()).unwrap_err().to_string();
            assert!(e.contains(&format!("start hour {start} is no hour")), "{e}");
        }
        let mut v = good.clone();
        v["every_s"] = max.into();
        std::fs::write(dir.path().join(FILE), v.to_string()).unwrap();
        assert_eq!(Rollup::load(dir.path()).unwrap().every_s, Some(max));
    }
}
