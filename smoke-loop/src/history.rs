//! The recent ticks of each probe, read back from the state folder's `results.jsonl` (and its
//! rotated files) and kept up to date by the loop, for the status page and "failing since".
//!
//! Memory is bounded whatever the size of the log: each probe keeps a fixed window of its
//! latest entries, and the log is streamed line by line, never read whole.

use smoke_core::{
    engine::cut_detail,
    prelude::{Outcome, ProbeReport, RunReport},
};
use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

/// One tick of one probe.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// When the tick started (every probe of a tick shares it).
    pub at: jiff::Timestamp,
    pub outcome: Outcome,
    pub cause: Option<String>,
    pub detail: Option<String>,
    pub duration_ms: u64,
    /// The file name of the screenshot the tick kept of it (a failing browse probe's), in
    /// its evidence folder.
    pub evidence: Option<String>,
    /// What moved from the known-good baseline, at most [`DRIFT_LINES`] lines, each cut as a
    /// detail is; empty when nothing did.
    pub drift: Vec<String>,
}

/// The most lines of drift an entry keeps: the page shows what moved, not a diff of a body.
pub const DRIFT_LINES: usize = 10;

/// `lines` as an entry keeps them.
fn kept_drift<'a>(lines: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    lines
        .into_iter()
        .take(DRIFT_LINES)
        .map(|l| cut_detail(l))
        .collect()
}

impl Entry {
    /// The entry a probe's report makes in a tick that started `at`.
    pub fn from_probe(p: &ProbeReport, at: jiff::Timestamp) -> Entry {
        Entry {
            at,
            outcome: p.outcome(),
            cause: p.cause().map(|c| c.as_str().to_string()),
            detail: p.detail().map(str::to_string),
            duration_ms: p.duration_ms().as_millis() as u64,
            evidence: p.evidence().and_then(shot_of),
            drift: kept_drift(p.drift()),
        }
    }
}

/// Per probe, its latest `window` entries, oldest first.
#[derive(Debug, Clone)]
pub struct History {
    window: usize,
    probes: BTreeMap<String, VecDeque<Entry>>,
    /// Panel and mode of the latest tick seen, so a page can be titled before the first tick.
    source: Option<(String, String)>,
}

/// A screenshot's file name from the path a report names, when it is one smoke keeps.
fn shot_of(path: &str) -> Option<String> {
    crate::evidence::named(path).map(str::to_string)
}

impl History {
    /// An empty history keeping `window` entries per probe (at least one).
    pub fn new(window: usize) -> History {
        History {
            window: window.max(1),
            probes: BTreeMap::new(),
            source: None,
        }
    }

    /// Reads the results log of the state folder `dir`, oldest file first. A missing folder or
    /// log is an empty history; a line that does not parse (the cut last line a kill leaves,
    /// or a line from an unknown future outcome) is skipped. A file that cannot be read (not
    /// a regular file, past [`crate::state_dir::MAX_FILE_BYTES`]) is an error naming it: the
    /// loop says it and goes on, `status` stops.
    pub fn load(dir: &Path, window: usize) -> Result<History, crate::state_dir::StateDirError> {
        let mut history = History::new(window);
        crate::results_log::each_line(dir, |line| history.take_line(line))?;
        Ok(history)
    }

    fn take_line(&mut self, bytes: &[u8]) {
        let Some((line, outcome)) = crate::results_log::parse_line(bytes) else {
            return;
        };
        if let (Some(panel), Some(mode)) = (line.panel, line.mode) {
            self.source = Some((panel, mode));
        }
        // Cut as a tick cuts them: a line written by anything but a tick may hold megabytes.
        self.add(
            line.name,
            Entry {
                at: line.tick,
                outcome,
                cause: line.cause.as_deref().map(cut_detail),
                detail: line.detail.as_deref().map(cut_detail),
                duration_ms: line.duration_ms,
                evidence: line.evidence.as_deref().and_then(shot_of),
                drift: kept_drift(&line.drift),
            },
        );
    }

    fn add(&mut self, name: String, entry: Entry) {
        let entries = self.probes.entry(name).or_default();
        entries.push_back(entry);
        while entries.len() > self.window {
            entries.pop_front();
        }
    }

    /// Adds a tick, as the loop does after appending it to the log.
    pub fn push(&mut self, report: &RunReport) {
        self.source = Some((report.panel().to_string(), report.mode().to_string()));
        for p in report.probes() {
            self.add(
                p.name().to_string(),
                Entry::from_probe(p, report.started_at()),
            );
        }
    }

    /// Entries kept per probe.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Panel and mode of the latest tick seen.
    pub fn source(&self) -> Option<(&str, &str)> {
        self.source
            .as_ref()
            .map(|(panel, mode)| (panel.as_str(), mode.as_str()))
    }

    /// Every probe seen, by name, with its entries oldest first.
    pub fn probes(&self) -> impl Iterator<Item = (&str, &VecDeque<Entry>)> {
        self.probes.iter().map(|(name, e)| (name.as_str(), e))
    }

    /// One probe's entries, oldest first.
    pub fn entries(&self, probe: &str) -> Option<&VecDeque<Entry>> {
        self.probes.get(probe)
    }

    /// When the probe's current run of `outcome` began: `None` when its latest entry is of
    /// another outcome (or it has none). A run as long as the window began at least then.
    pub fn since(&self, probe: &str, outcome: Outcome) -> Option<jiff::Timestamp> {
        run_began(self.probes.get(probe)?.iter(), outcome)
    }
}

/// The start of the trailing run of `outcome` in `entries` (oldest first).
pub(crate) fn run_began<'a>(
    entries: impl DoubleEndedIterator<Item = &'a Entry>,
    outcome: Outcome,
) -> Option<jiff::Timestamp> {
    entries
        .rev()
        .take_while(|e| e.outcome == outcome)
        .last()
        .map(|e| e.at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results_log;
    use smoke_core::prelude::{Cause, Failure};
    use std::time::Duration;

    fn tick(second: i64, outcomes: &[(&str, Outcome)]) -> RunReport {
        let probes = outcomes
            .iter()
            .map(|(name, outcome)| {
                let mut p = ProbeReport::new(*name);
                match outcome {
                    Outcome::Ok => {}
                    Outcome::Degraded => {
                        p.set_outcome(Outcome::Degraded);
                        p.set_detail(Some("slow".into()));
                    }
                    Outcome::Fail => p.fail(Failure::new(Cause::Http, "status 502")),
                    Outcome::Error => p.fail(Failure::new(Cause::Checker, "unreadable")),
                }
                p.set_duration(Duration::from_millis(12));
                p
            })
            .collect();
        let mut r = RunReport::made(
            "herodemo",
            "internal",
            jiff::Timestamp::from_second(second).unwrap(),
            probes,
        );
        r.set_duration(Duration::from_millis(20));
        r
    }

    #[test]
    fn loads_rotated_files_oldest_first_and_skips_a_cut_last_line() {
        let dir = tempfile::tempdir().unwrap();
        // The oldest tick lands in results.2.jsonl, the next in results.1.jsonl.
        results_log::append(dir.path(), &tick(100, &[("a", Outcome::Fail)]), 1 << 20).unwrap();
        std::fs::rename(
            dir.path().join(results_log::FILE),
            dir.path().join("results.2.jsonl"),
        )
        .unwrap();
        results_log::append(dir.path(), &tick(200, &[("a", Outcome::Fail)]), 1 << 20).unwrap();
        std::fs::rename(
            dir.path().join(results_log::FILE),
            dir.path().join("results.1.jsonl"),
        )
        .unwrap();
        results_log::append(
            dir.path(),
            &tick(300, &[("a", Outcome::Ok), ("b", Outcome::Degraded)]),
            1 << 20,
        )
        .unwrap();
        // A kill in the middle of the next write, cut inside a multi-byte character.
        let mut log = std::fs::read(dir.path().join(results_log::FILE)).unwrap();
        log.extend_from_slice("{\"name\":\"a\",\"outcome\":\"fail\",\"detail\":\"é".as_bytes());
        log.pop();
        std::fs::write(dir.path().join(results_log::FILE), log).unwrap();

        let h = History::load(dir.path(), 10).unwrap();
        let a = h.entries("a").unwrap();
        let seconds: Vec<i64> = a.iter().map(|e| e.at.as_second()).collect();
        assert_eq!(seconds, [100, 200, 300]);
        assert_eq!(a[0].cause.as_deref(), Some("http"));
        assert_eq!(a[0].detail.as_deref(), Some("status 502"));
        assert_eq!(a[0].duration_ms, 12);
        assert_eq!(a[2].outcome, Outcome::Ok);
        assert_eq!(h.entries("b").unwrap().len(), 1);
        assert_eq!(h.source(), Some(("herodemo", "internal")));
        assert_eq!(h.probes().count(), 2);
    }

    #[test]
    fn unknown_fields_are_ignored_and_a_missing_folder_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(results_log::FILE),
            "{\"name\":\"a\",\"outcome\":\"ok\",\"tick\":\"2025-01-01T00:00:00Z\",\"new_field\":[1]}\n\
             {\"name\":\"a\",\"outcome\":\"exploded\",\"tick\":\"2025-01-01T00:01:00Z\"}\n\
             not json\n",
        )
        .unwrap();
        let h = History::load(dir.path(), 10).unwrap();
        assert_eq!(h.entries("a").unwrap().len(), 1);
        let none = History::load(&dir.path().join("nowhere"), 10).unwrap();
        assert_eq!(none.probes().count(), 0);
    }

    #[test]
    fn the_window_is_capped_on_load_and_on_push() {
        let dir = tempfile::tempdir().unwrap();
        for s in 0..20 {
            results_log::append(dir.path(), &tick(s, &[("a", Outcome::Ok)]), 1 << 20).unwrap();
        }
        let mut h = History::load(dir.path(), 5).unwrap();
        let a = h.entries("a").unwrap();
        assert_eq!(a.len(), 5);
        assert_eq!(a.front().unwrap().at.as_second(), 15);
        h.push(&tick(20, &[("a", Outcome::Fail)]));
        let a = h.entries("a").unwrap();
        assert_eq!(a.len(), 5);
        assert_eq!(a.back().unwrap().at.as_second(), 20);
        assert_eq!(a.front().unwrap().at.as_second(), 16);
    }

    #[test]
    fn since_is_the_start_of_the_current_run() {
        let mut h = History::new(10);
        h.push(&tick(100, &[("a", Outcome::Fail)]));
        h.push(&tick(200, &[("a", Outcome::Ok)]));
        h.push(&tick(300, &[("a", Outcome::Fail)]));
        h.push(&tick(400, &[("a", Outcome::Fail)]));
        assert_eq!(h.since("a", Outcome::Fail).unwrap().as_second(), 300);
        assert_eq!(h.since("a", Outcome::Ok), None);
        assert_eq!(h.since("nobody", Outcome::Ok), None);
    }
}
