//! The gate (issue 24): whether the deployment is known to be good, before a snapshot or a
//! deploy is called done. Good is: no probe failed, none drifted from the known-good baseline,
//! no incident open, over every tick judged. The ticks are the gate's own, run back to back
//! (`--ticks N`), or the running loop's over a window of time, read from its state folder
//! (`--for DURATION`). This module judges what was gathered; `cli::gate` gathers and says.

use smoke_core::engine::{cut_detail, Escaped, JunitCase, JunitSuite};
use smoke_core::prelude::{Outcome, ProbeReport};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// The most drift lines a reason quotes; the attestation and the JUnit file keep them all.
const DRIFT_QUOTED: usize = 3;

/// One probe in one tick, as the gate reads it: from a report, or a line of the results log.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub outcome: Outcome,
    /// `assertion`, `drift`, ...: why it did not pass.
    pub cause: Option<String>,
    pub detail: Option<String>,
    pub phase: Option<String>,
    /// Each condition that did not hold: its text and what it got.
    pub failed_conditions: Vec<(String, String)>,
    /// What moved from the baseline, a line each.
    pub drift: Vec<String>,
    pub duration: Duration,
}

impl Sample {
    /// What a tick's report says of a probe.
    pub fn of(p: &ProbeReport) -> Sample {
        let case = JunitCase::of(p);
        Sample {
            outcome: case.outcome,
            cause: case.cause,
            detail: p.detail().map(str::to_string),
            phase: case.phase,
            failed_conditions: case.failed_conditions,
            drift: case.drift,
            duration: case.time,
        }
    }

    /// A failure of the probe's own expectations: not drift, which is said as drift.
    fn failed(&self) -> bool {
        self.outcome == Outcome::Fail && self.cause.as_deref() != Some("drift")
    }

    fn drifted(&self) -> bool {
        !self.drift.is_empty()
    }

    /// How bad it is, for the worst of a probe's ticks: a failure, the checker's fault, drift,
    /// a `warn`, a pass.
    fn rank(&self) -> u8 {
        match self.outcome {
            Outcome::Fail => 4,
            Outcome::Error => 3,
            _ if self.drifted() => 2,
            Outcome::Degraded => 1,
            Outcome::Ok => 0,
        }
    }

    /// `cause: detail`, escaped: a service's words.
    fn said(&self) -> String {
        let detail = self.detail.as_deref().unwrap_or("");
        match &self.cause {
            Some(cause) => format!("{cause}: {}", Escaped(detail)),
            None => Escaped(detail).to_string(),
        }
    }
}

/// In which ticks something happened to a probe: how many, and the first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Count {
    pub n: usize,
    /// The tick (from 1) and when it started.
    pub first: Option<(usize, jiff::Timestamp)>,
}

impl Count {
    fn add(&mut self, tick: usize, at: jiff::Timestamp) {
        self.n += 1;
        self.first.get_or_insert((tick, at));
    }
}

/// A probe over every tick judged.
#[derive(Debug, Clone)]
pub struct Probe {
    pub name: String,
    /// The ticks it ran in.
    pub ticks: usize,
    pub failed: Count,
    pub errored: Count,
    pub drifted: Count,
    /// Its worst tick (the latest of equals).
    pub worst: Sample,
    pub last_failure: Option<Sample>,
    pub last_error: Option<Sample>,
    /// What moved in the last tick it drifted.
    pub last_drift: Vec<String>,
}

/// Every probe over every tick judged, in the order they first ran.
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    /// The ticks judged.
    pub ticks: usize,
    pub probes: Vec<Probe>,
    index: HashMap<String, usize>,
}

impl Gathered {
    /// Starts the next tick; its probes follow with [`Gathered::add`]. Returns its number.
    pub fn tick(&mut self) -> usize {
        self.ticks += 1;
        self.ticks
    }

    /// What `probe` did in the current tick, which began `at`.
    pub fn add(&mut self, probe: &str, at: jiff::Timestamp, sample: Sample) {
        let tick = self.ticks.max(1);
        let i = *self.index.entry(probe.to_string()).or_insert_with(|| {
            self.probes.push(Probe {
                name: probe.to_string(),
                ticks: 0,
                failed: Count::default(),
                errored: Count::default(),
                drifted: Count::default(),
                worst: sample.clone(),
                last_failure: None,
                last_error: None,
                last_drift: Vec::new(),
            });
            self.probes.len() - 1
        });
        let p = &mut self.probes[i];
        p.ticks += 1;
        if sample.failed() {
            p.failed.add(tick, at);
            p.last_failure = Some(sample.clone());
        }
        if sample.outcome == Outcome::Error {
            p.errored.add(tick, at);
            p.last_error = Some(sample.clone());
        }
        if sample.drifted() {
            p.drifted.add(tick, at);
            p.last_drift = sample.drift.clone();
        }
        if sample.rank() >= p.worst.rank() {
            p.worst = sample;
        }
    }

    /// A tick's report, as one tick.
    pub fn add_report(&mut self, report: &smoke_core::prelude::RunReport) {
        self.tick();
        for p in report.probes() {
            self.add(p.name(), report.started_at(), Sample::of(p));
        }
    }
}

/// What the gate says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Good,
    NotGood,
    /// It cannot tell: the checker's own fault, a state folder it cannot read, a window it
    /// has no history of.
    Unknown,
}

impl Verdict {
    /// In the attestation.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Good => "good",
            Verdict::NotGood => "not good",
            Verdict::Unknown => "unknown",
        }
    }

    /// 0 good, 2 not good, 3 cannot tell.
    pub fn code(self) -> u8 {
        match self {
            Verdict::Good => 0,
            Verdict::NotGood => 2,
            Verdict::Unknown => 3,
        }
    }
}

/// Why the gate is not good, or cannot tell: a line each, escaped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reasons {
    pub not_good: Vec<String>,
    pub unknown: Vec<String>,
}

impl Reasons {
    /// Not good wins: a failure is known whatever else could not be told.
    pub fn verdict(&self) -> Verdict {
        match (self.not_good.is_empty(), self.unknown.is_empty()) {
            (false, _) => Verdict::NotGood,
            (true, false) => Verdict::Unknown,
            (true, true) => Verdict::Good,
        }
    }

    /// Every line, the known first.
    pub fn all(&self) -> Vec<String> {
        let unknown = self.unknown.iter().map(|u| format!("cannot tell: {u}"));
        self.not_good.iter().cloned().chain(unknown).collect()
    }

    /// What the probes gathered say against the state being good.
    pub fn of_probes(&mut self, gathered: &Gathered, window: bool) {
        if gathered.probes.is_empty() {
            self.unknown
                .push("no probe ran: nothing was checked".to_string());
        }
        let when = |count: &Count, of: usize| match (count.n, count.first, window) {
            (1, Some((_, at)), true) => format!("in the tick of {}", moment(at)),
            (1, Some((tick, _)), false) => format!("in tick {tick} of {of}"),
            (n, _, _) => format!("in {n} of {of} ticks"),
        };
        for p in &gathered.probes {
            let of = if window { p.ticks } else { gathered.ticks };
            if let Some(last) = &p.last_failure {
                let when = when(&p.failed, of);
                self.not_good
                    .push(format!("{} failed {when}: {}", p.name, last.said()));
            }
            if p.drifted.n > 0 {
                let when = when(&p.drifted, of);
                self.not_good.push(format!(
                    "{} drifted {when}: {}",
                    p.name,
                    quoted(&p.last_drift)
                ));
            }
            if let Some(last) = &p.last_error {
                let when = when(&p.errored, of);
                self.unknown.push(format!(
                    "{} could not be checked {when} (the checker's own fault): {}",
                    p.name,
                    last.said()
                ));
            }
        }
    }

    /// An open incident of the loop is not good, whatever the ticks say.
    pub fn of_incidents(&mut self, state: &smoke_core::engine::State) {
        for (key, incident) in &state.incidents {
            let what = match &incident.covers.group {
                Some(_) if !incident.covers.members.is_empty() => {
                    incident.covers.members.join(", ")
                }
                _ => key.clone(),
            };
            self.not_good.push(format!(
                "incident open since {} for {}: {}",
                moment(incident.opened_at),
                Escaped(&what),
                Escaped(&incident.detail)
            ));
        }
    }
}

/// A time in a reason, to the second.
pub fn moment(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `1 tick`, `3 ticks`.
pub fn ticks(n: usize) -> String {
    match n {
        1 => "1 tick".to_string(),
        n => format!("{n} ticks"),
    }
}

/// What moved, the first few lines, escaped.
fn quoted(lines: &[String]) -> String {
    let mut text = lines
        .iter()
        .take(DRIFT_QUOTED)
        .map(|l| Escaped(l).to_string())
        .collect::<Vec<_>>()
        .join("; ");
    if lines.len() > DRIFT_QUOTED {
        text.push_str(&format!(" (and {} more)", lines.len() - DRIFT_QUOTED));
    }
    text
}

/// Each probe's worst tick as a JUnit case: a drifted probe is a failure naming what moved.
pub fn junit(gathered: &Gathered, panel: &str, mode: &str, window: &Window) -> JunitSuite {
    let cases = gathered
        .probes
        .iter()
        .map(|p| {
            let w = &p.worst;
            let mut case = JunitCase {
                name: p.name.clone(),
                outcome: w.outcome,
                cause: w.cause.clone(),
                detail: w.detail.clone().unwrap_or_default(),
                phase: w.phase.clone(),
                failed_conditions: w.failed_conditions.clone(),
                drift: p.last_drift.clone(),
                time: w.duration,
            };
            if p.drifted.n > 0 && matches!(case.outcome, Outcome::Ok | Outcome::Degraded) {
                case.outcome = Outcome::Fail;
                case.cause = Some("drift".to_string());
            }
            case
        })
        .collect();
    JunitSuite {
        panel: panel.to_string(),
        mode: mode.to_string(),
        started_at: window.from,
        time: window
            .to
            .duration_since(window.from)
            .try_into()
            .unwrap_or_default(),
        cases,
    }
}

/// The time the gate judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub from: jiff::Timestamp,
    pub to: jiff::Timestamp,
}

/// Each probe as the attestation records it, by name.
pub fn probes_json(gathered: &Gathered) -> serde_json::Value {
    let probes = gathered
        .probes
        .iter()
        .map(|p| {
            let entry = serde_json::json!({
                "outcome": p.worst.outcome.as_str(),
                "ticks": p.ticks,
                "failed": p.failed.n,
                "errors": p.errored.n,
                "drifted": p.drifted.n,
                "drift": p.last_drift,
                "detail": p.worst.detail,
            });
            (p.name.clone(), entry)
        })
        .collect::<serde_json::Map<_, _>>();
    serde_json::Value::Object(probes)
}

/// The SHA-256 of a file's bytes, in hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf)? {
            0 => break,
            n => context.update(&buf[..n]),
        }
    }
    Ok(context
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The loop's history as the gate finds it in a state folder.
#[derive(Debug, Default)]
pub struct History {
    /// The ticks in the window, gathered.
    pub gathered: Gathered,
    /// The oldest tick the folder keeps (of this panel and side), in the window or not.
    pub oldest: Option<jiff::Timestamp>,
    /// The latest.
    pub latest: Option<jiff::Timestamp>,
    /// The longest stretch of the window with no tick running: from the end of a tick (the
    /// last one before the window, if the folder keeps it) to the start of the next, or to the
    /// window's end.
    pub longest_gap: Option<(jiff::Timestamp, jiff::Timestamp)>,
}

impl History {
    /// Why the window is not covered by the loop's ticks: a stretch in it longer than
    /// [`crate::status::STALE_PERIODS`] periods of `every` with no tick, as the status page
    /// calls a loop stale. What the gate saw before and after such a stretch says nothing of
    /// it.
    pub fn gap(&self, every: Duration) -> Option<String> {
        let (from, to) = self.longest_gap?;
        let allowed = every * crate::status::STALE_PERIODS as u32;
        let gap = Duration::from_secs(to.duration_since(from).as_secs().max(0) as u64);
        (gap > allowed).then(|| {
            format!(
                "no tick from {} to {} ({}, more than {} periods of {}): was the loop running?",
                moment(from),
                moment(to),
                smoke_core::engine::format_duration(gap),
                crate::status::STALE_PERIODS,
                smoke_core::engine::format_duration(every),
            )
        })
    }
}

/// Reads the results log of `dir` (its rotated files, oldest first), gathering the ticks of
/// `panel` on side `mode` that started within `window`; streamed, so its memory is the
/// probes', whatever the log's size. A line that does not parse is skipped, as the status
/// page skips it; a file that cannot be read is an error naming it.
pub fn read_history(
    dir: &Path,
    panel: &str,
    mode: &str,
    window: &Window,
) -> Result<History, crate::state_dir::StateDirError> {
    let mut history = History::default();
    let mut current: Option<jiff::Timestamp> = None;
    // When each tick up to the window's end started and ended (its slowest probe), for the
    // gaps between them: one entry a tick, however many probes.
    let mut ticks: std::collections::BTreeMap<jiff::Timestamp, jiff::Timestamp> =
        std::collections::BTreeMap::new();
    crate::results_log::each_line(dir, |bytes| {
        let Some((line, outcome)) = crate::results_log::parse_line(bytes) else {
            return;
        };
        let ours = line.panel.as_deref().is_none_or(|p| p == panel)
            && line.mode.as_deref().is_none_or(|m| m == mode);
        if !ours {
            return;
        }
        let at = line.tick;
        history.oldest = Some(history.oldest.map_or(at, |o| o.min(at)));
        history.latest = Some(history.latest.map_or(at, |l| l.max(at)));
        if at > window.to {
            return;
        }
        let end =
            smoke_core::engine::later(at, Duration::from_millis(line.duration_ms)).unwrap_or(at);
        let slot = ticks.entry(at).or_insert(end);
        *slot = (*slot).max(end);
        if at < window.from {
            return;
        }
        if current != Some(at) {
            current = Some(at);
            history.gathered.tick();
        }
        let sample = Sample {
            outcome,
            cause: line.cause.as_deref().map(cut_detail),
            detail: line.detail.as_deref().map(cut_detail),
            phase: line.phase,
            failed_conditions: line
                .conditions
                .into_iter()
                .filter(|c| !c.passed)
                .map(|c| (cut_detail(&c.text), cut_detail(&c.got)))
                .collect(),
            drift: line.drift.iter().map(|d| cut_detail(d)).collect(),
            duration: Duration::from_millis(line.duration_ms),
        };
        history.gathered.add(&line.name, at, sample);
    })?;
    history.longest_gap = longest_gap(&ticks, window);
    Ok(history)
}

/// The longest stretch of `window` between the end of a tick and the start of the next (or
/// the window's end), from the last tick started before the window on.
fn longest_gap(
    ticks: &std::collections::BTreeMap<jiff::Timestamp, jiff::Timestamp>,
    window: &Window,
) -> Option<(jiff::Timestamp, jiff::Timestamp)> {
    let first = ticks
        .range(..window.from)
        .next_back()
        .map_or(window.from, |(start, _)| *start);
    let mut longest: Option<(jiff::Timestamp, jiff::Timestamp)> = None;
    let mut idle = |from: Option<jiff::Timestamp>, to: jiff::Timestamp| {
        if let Some(from) = from.filter(|f| *f < to) {
            if longest.is_none_or(|(a, b)| to.duration_since(from) > b.duration_since(a)) {
                longest = Some((from, to));
            }
        }
    };
    // The latest end of the ticks so far: a long tick covers the starts of shorter ones.
    let mut ended: Option<jiff::Timestamp> = None;
    for (start, end) in ticks.range(first..) {
        idle(ended, *start);
        ended = Some(ended.map_or(*end, |e| e.max(*end)));
    }
    idle(ended, window.to);
    longest
}

#[cfg(test)]
mod tests;
