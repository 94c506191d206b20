//! The hourly rollup (`rollup.json` in the state folder): per probe, one bucket an hour of ticks,
//! ok, degraded and failed counts and the median latency (in microseconds: a probe answering in
//! 0.4 ms must not read 0), for [`KEEP_HOURS`]. The results log is rotated at a few megabytes
//! and the in-memory history is capped, so this is what the status page's uptime and latency
//! figures read: a week of one-minute ticks of a thousand probes (ten million results) is a few
//! megabytes here.
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
/// The format of `rollup.json`; a file of another version is set aside, not guessed at, except
/// [`VERSION_MS`], which is read on.
const VERSION: u32 = 2;
/// The format before latencies were kept in microseconds: the same fields, `p50_ms` and the
/// latency bins in milliseconds. Operators' state folders hold it, so it is read and converted
/// rather than started afresh.
const VERSION_MS: u32 = 1;
/// Latency bins per doubling: an hour's median is known to within 1/8 (about 9%).
const BINS_PER_DOUBLING: f64 = 4.0;
/// Latency bins, of microseconds: the last one holds everything from about an hour up, and
/// every bin's middle fits the `u32` of an hour's median.
const BINS: usize = 129;
/// The bins of [`VERSION_MS`]: of milliseconds, the last from about 4.6 hours up.
const BINS_MS: usize = 100;

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
    /// The hour's median duration, in microseconds (0 for an hour with no tick). Named
    /// `p50_ms` and in milliseconds in [`VERSION_MS`], converted as it is read.
    #[serde(alias = "p50_ms")]
    pub p50_us: Vec<u32>,
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
    pub p50_us: u32,
}

fn hour_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(HOUR)
}

fn bin_of(us: u64) -> u16 {
    if us == 0 {
        return 0;
    }
    let b = ((us as f64).log2() * BINS_PER_DOUBLING).floor() as usize + 1;
    b.min(BINS - 1) as u16
}

/// The middle of a bin, in its unit (microseconds; milliseconds in [`VERSION_MS`]).
fn bin_middle(bin: u16) -> f64 {
    if bin == 0 {
        return 0.0;
    }
    2f64.powf((f64::from(bin) - 0.5) / BINS_PER_DOUBLING)
}

/// The middle of a bin, in microseconds.
fn bin_value(bin: u16) -> u32 {
    bin_middle(bin).round().min(f64::from(u32::MAX)) as u32
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
            &mut self.p50_us,
        ]
    }

    fn add(&mut self, at: Timestamp, outcome: Outcome, quiet: bool, us: u64) {
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
            let bin = bin_of(us);
            match self.open.binary_search_by_key(&bin, |(b, _)| *b) {
                Ok(j) => self.open[j].1 = self.open[j].1.saturating_add(1),
                Err(j) => self.open.insert(j, (bin, 1)),
            }
            self.p50_us[i] = median(&self.open);
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
            p50_us: self.p50_us[i],
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

    /// The hourly medians of the `hours` hours up to the one of `end`, in microseconds, oldest
    /// first; `None` for an hour with no tick.
    pub fn p50_series(&self, end: Timestamp, hours: usize) -> Vec<Option<u32>> {
        let last = hour_of(end);
        ((last + 1 - hours as i64)..=last)
            .map(|h| {
                let x = self.hour(h);
                (x.ticks > 0).then_some(x.p50_us)
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
        let mut rollup =
            serde_json::from_str::<Rollup>(&text).map_err(|e| unreadable(e.to_string()))?;
        if rollup.version != VERSION && rollup.version != VERSION_MS {
            return Err(StateDirError::RollupVersion {
                path: file,
                found: rollup.version,
                reads: VERSION,
            });
        }
        rollup.check().map_err(|e| unreadable(e.to_string()))?;
        if rollup.version == VERSION_MS {
            rollup.convert_ms();
        }
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
        let bins = if self.version == VERSION_MS {
            BINS_MS
        } else {
            BINS
        };
        self.probes.values().try_for_each(|s| s.check(bins))
    }

    /// A [`VERSION_MS`] rollup in microseconds: each median times a thousand, each bin moved to
    /// the one its middle falls in (a median moves by 2.4% at most). A median or a bin of 0
    /// (under a millisecond, then) stays 0, as what it was is not known; bins past about an
    /// hour all meet in the last, as the medians do at `u32::MAX` microseconds.
    fn convert_ms(&mut self) {
        self.version = VERSION;
        for series in self.probes.values_mut() {
            for p50 in &mut series.p50_us {
                *p50 = p50.saturating_mul(1000);
            }
            let mut open: Vec<(u16, u32)> = Vec::with_capacity(series.open.len());
            for &(bin, n) in &series.open {
                let bin = if bin == 0 {
                    0
                } else {
                    bin_of((bin_middle(bin) * 1000.0) as u64)
                };
                // The mapping keeps the order, so bins that meet are neighbours.
                match open.last_mut() {
                    Some((last, m)) if *last == bin => *m = m.saturating_add(n),
                    _ => open.push((bin, n)),
                }
            }
            series.open = open;
        }
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
                u64::try_from(p.duration_ms().as_micros()).unwrap_or(u64::MAX),
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
    /// `bins`: how many latency bins its version has.
    fn check(&self, bins: usize) -> Result<(), Unwritten> {
        let n = self.ticks.len();
        let hours = hour_of(Timestamp::MIN)..=hour_of(Timestamp::MAX);
        if !hours.contains(&self.start) {
            return Err(Unwritten::StartHour(self.start));
        }
        if n > KEEP_HOURS {
            return Err(Unwritten::TooManyHours(n));
        }
        if ![&self.ok, &self.degraded, &self.fail, &self.p50_us]
            .iter()
            .all(|c| c.len() == n)
        {
            return Err(Unwritten::UnequalColumns);
        }
        if self.open.iter().any(|(b, _)| usize::from(*b) >= bins) {
            return Err(Unwritten::BinPastLast(bins));
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
    #[error("a probe's latency bin is past the last, {}", .0 - 1)]
    BinPastLast(usize),
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
mod tests;
