//! A panel's known-good baseline: what `baseline` writes beside the panel from healthy ticks,
//! what `[panel] baseline` reads back, and the drift of a tick's reports from it.
//!
//! The file holds shapes and counts only ([`Baseline`]), never a value from an answer, so it
//! may be reviewed and kept in the panel's repository.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::Duration;

use super::{Baseline, Latency, Shape, SortedMap};
use crate::outcome::{Cause, Failure, Outcome, ProbeReport, RunReport};

/// The version of the baseline file this smoke writes and reads.
pub const BASELINE_FORMAT: u32 = 1;

/// How many times its baseline p95 a latency must be to count as slow, unless the panel says
/// otherwise (`[panel] latency_drift`).
pub const LATENCY_DRIFT: f64 = 3.0;

/// How many of a probe's latest ticks latency drift looks at.
pub const LATENCY_WINDOW: usize = 5;

/// How many of those must be slow for latency to drift: one slow tick is noise (a busy
/// machine, a garbage collection), three of five is a slower service.
pub const SLOW_TICKS: usize = 3;

/// How much over its baseline p95 a latency must also be to count as slow: an answer over a
/// Unix socket that takes 0.3 ms at baseline and 1.2 ms once is four times slower and still
/// nothing a user feels.
pub const LATENCY_FLOOR: Duration = Duration::from_millis(5);

/// What drift makes of a probe (`drift = ...` on a probe or in `[defaults]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftMode {
    /// The probe is degraded, naming what moved: shown, logged, and no incident.
    #[default]
    Degraded,
    /// The probe fails with cause `drift`, and the incident rules apply.
    Fail,
    /// Drift is not judged for it.
    Off,
}

/// The known-good baseline of a panel: of each side that took one. One file for both, as the
/// panel is one file for both; each side's part is replaced when that side takes it again.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownGood {
    /// [`BASELINE_FORMAT`] when it was written.
    pub format: u32,
    /// The panel's name.
    pub panel: String,
    /// Each side's baseline, by side: `internal`, `external`.
    pub sides: BTreeMap<String, SideBaseline>,
}

/// A panel's baseline as one side saw it over some healthy ticks.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SideBaseline {
    /// The version of smoke that took it.
    pub smoke: String,
    /// The vantage point that ran the ticks.
    pub vantage: String,
    /// When the first of its ticks started.
    pub taken: jiff::Timestamp,
    /// How many ticks it was made of.
    pub ticks: usize,
    /// Each probe's baseline, by name.
    pub probes: SortedMap<ProbeBaseline>,
}

/// One probe's baseline: of its answer, or of each step of a probe of several.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeBaseline {
    /// Of its one answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Baseline>,
    /// Of each step, by `step N` (from 1): the request itself may hold a captured value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub steps: BTreeMap<String, Baseline>,
}

/// Why no baseline was made: a tick in which a probe did not pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotGood {
    /// No tick ran, or none of the ticks had a probe.
    #[error("no probe ran: a baseline of nothing knows nothing")]
    Nothing,
    /// A probe failed: the deployment is not known to be good.
    #[error("tick {tick} of {ticks}: {probe} {outcome}{detail}")]
    Failed {
        /// Which tick, from 1.
        tick: usize,
        /// Of how many.
        ticks: usize,
        /// The probe that did not pass.
        probe: String,
        /// Its outcome.
        outcome: &'static str,
        /// `: ` and why, when it says.
        detail: String,
    },
}

impl NotGood {
    /// Why `report`, tick `tick` of `ticks`, cannot be part of a baseline: its first probe
    /// that did not pass (degraded passes). `None` when every probe passed.
    pub fn of(report: &RunReport, tick: usize, ticks: usize) -> Option<NotGood> {
        let p = report
            .probes()
            .iter()
            .find(|p| !matches!(p.outcome, Outcome::Ok | Outcome::Degraded))?;
        Some(NotGood::Failed {
            tick,
            ticks,
            probe: p.name.clone(),
            outcome: p.outcome.as_str(),
            detail: p
                .detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default(),
        })
    }
}

/// Reads a baseline file keeping one side's part ([`KnownGood::side_from_json`]), with the
/// same fields, and refusals of unknown ones, as the derived reading.
struct OneSide<'s>(&'s str);

impl<'de> serde::de::DeserializeSeed<'de> for OneSide<'_> {
    type Value = KnownGood;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<KnownGood, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for OneSide<'_> {
    type Value = KnownGood;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a baseline: format, panel and sides")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<KnownGood, A::Error> {
        use serde::de::Error;
        const FIELDS: &[&str] = &["format", "panel", "sides"];
        let (mut format, mut panel, mut sides) = (None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => format = Some(map.next_value()?),
                "panel" => panel = Some(map.next_value()?),
                "sides" => sides = Some(map.next_value_seed(Sides(self.0))?),
                other => return Err(A::Error::unknown_field(other, FIELDS)),
            }
        }
        Ok(KnownGood {
            format: format.ok_or_else(|| A::Error::missing_field("format"))?,
            panel: panel.ok_or_else(|| A::Error::missing_field("panel"))?,
            sides: sides.ok_or_else(|| A::Error::missing_field("sides"))?,
        })
    }
}

/// The `sides` of a baseline file with only the named one built.
struct Sides<'s>(&'s str);

impl<'de> serde::de::DeserializeSeed<'de> for Sides<'_> {
    type Value = BTreeMap<String, SideBaseline>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Sides<'_> {
    type Value = BTreeMap<String, SideBaseline>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("each side's baseline, by side")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut sides = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == self.0 {
                let side: SideBaseline = map.next_value()?;
                sides.insert(key, side);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(sides)
    }
}

/// A probe's shapes over some ticks: of its answer, and of each step by key.
type Shapes = (Vec<Shape>, BTreeMap<String, Vec<Shape>>);

/// The key of step `i` (from 0) in a baseline.
fn step_key(i: usize) -> String {
    format!("step {}", i + 1)
}

/// Each shape of a probe's report, by its key in [`ProbeBaseline`]: `None` for the answer.
fn shapes(p: &ProbeReport) -> impl Iterator<Item = (Option<String>, &Shape)> {
    let answer = p.shape.as_deref().map(|s| (None, s));
    let steps = p
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((Some(step_key(i)), s.shape.as_deref()?)));
    answer.into_iter().chain(steps)
}

impl KnownGood {
    /// A baseline of one side.
    pub fn new(panel: &str, side: &str, baseline: SideBaseline) -> KnownGood {
        KnownGood {
            format: BASELINE_FORMAT,
            panel: panel.to_string(),
            sides: [(side.to_string(), baseline)].into(),
        }
    }

    /// The baseline as a reviewer reads it: JSON, two-space indented, every map sorted, and
    /// each key path's figures on one line.
    pub fn to_json(&self) -> String {
        super::lines::one_line_leaves(&serde_json::to_string(self).unwrap_or_default())
    }

    /// A baseline read back from `text`; the error says where and what, as serde_json does.
    pub fn from_json(text: &str) -> Result<KnownGood, String> {
        let known: KnownGood = serde_json::from_str(text).map_err(|e| e.to_string())?;
        known.of_this_format()
    }

    /// [`KnownGood::from_json`] with only `side`'s part: the other side's is read past, not
    /// built, so a side that judges holds (and a `run` pays for) its own part alone.
    pub fn side_from_json(text: &str, side: &str) -> Result<KnownGood, String> {
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_str(text);
        let known = OneSide(side)
            .deserialize(&mut de)
            .and_then(|k| de.end().map(|()| k))
            .map_err(|e| e.to_string())?;
        known.of_this_format()
    }

    fn of_this_format(self) -> Result<KnownGood, String> {
        let known = self;
        if known.format != BASELINE_FORMAT {
            return Err(format!(
                "format {} is not the {BASELINE_FORMAT} this smoke reads: take the baseline again",
                known.format
            ));
        }
        Ok(known)
    }

    /// The baseline of `side`, if it took one.
    pub fn side(&self, side: &str) -> Option<&SideBaseline> {
        self.sides.get(side)
    }
}

impl SideBaseline {
    /// The baseline of `ticks`, each a run of the panel with shapes recorded; refused when any
    /// probe of any tick did not pass (degraded passes: a `warn` is known and accepted).
    pub fn of(ticks: &[RunReport], vantage: &str) -> Result<SideBaseline, NotGood> {
        let first = ticks.first().ok_or(NotGood::Nothing)?;
        let mut runs: BTreeMap<&str, Shapes> = BTreeMap::new();
        for (i, tick) in ticks.iter().enumerate() {
            if let Some(refused) = NotGood::of(tick, i + 1, ticks.len()) {
                return Err(refused);
            }
            for p in tick.probes() {
                let (answers, steps) = runs.entry(p.name.as_str()).or_default();
                for (key, shape) in shapes(p) {
                    match key {
                        None => answers.push(shape.clone()),
                        Some(k) => steps.entry(k).or_default().push(shape.clone()),
                    }
                }
            }
        }
        if runs.is_empty() {
            return Err(NotGood::Nothing);
        }
        let probes = runs
            .into_iter()
            .map(|(name, (answers, steps))| {
                let base = ProbeBaseline {
                    answer: (!answers.is_empty()).then(|| Baseline::from_runs(&answers)),
                    steps: steps
                        .into_iter()
                        .map(|(k, shapes)| (k, Baseline::from_runs(&shapes)))
                        .collect(),
                };
                (name.to_string(), base)
            })
            .collect();
        Ok(SideBaseline {
            smoke: env!("CARGO_PKG_VERSION").to_string(),
            vantage: vantage.to_string(),
            taken: first.started_at,
            ticks: ticks.len(),
            probes,
        })
    }

    /// Judges each probe of `report` against its baseline: a probe whose answer passed its
    /// own conditions but moved is degraded (or failed, by its `drift` setting, from `mode`),
    /// with what moved in its `drift`. A failing probe is left as it is: its failure is the
    /// news. A probe the baseline does not know is not judged. `history` keeps the latest
    /// latencies between ticks, for the M of N rule; without one (a tick alone, `run`) latency
    /// is not judged, since one tick never makes M of N.
    pub fn judge(
        &self,
        report: &mut RunReport,
        factor: f64,
        mut history: Option<&mut LatencyHistory>,
        mode: impl Fn(&str) -> DriftMode,
    ) {
        for p in report.probes_mut() {
            let drift_mode = mode(&p.name);
            if drift_mode == DriftMode::Off || !matches!(p.outcome, Outcome::Ok | Outcome::Degraded)
            {
                continue;
            }
            let Some(base) = self.probes.get(&p.name) else {
                continue;
            };
            let mut lines = Vec::new();
            for (key, shape) in shapes(p) {
                let was = match &key {
                    None => base.answer.as_ref(),
                    Some(k) => base.steps.get(k),
                };
                let Some(was) = was else { continue };
                let at = |line: String| match &key {
                    None => line,
                    Some(k) => format!("{k}: {line}"),
                };
                lines.extend(was.drift(shape).iter().map(|d| at(d.to_string())));
                if let (Some(latency), Some(now), Some(history)) =
                    (was.latency, shape.latency_us, history.as_deref_mut())
                {
                    if let Some(line) =
                        history.record(&p.name, key.as_deref(), now, latency, factor)
                    {
                        lines.push(at(line));
                    }
                }
            }
            report_drift(p, lines, drift_mode);
        }
        report.settle();
    }
}

/// Puts what moved on the probe's report, and the probe's outcome as its setting says.
fn report_drift(p: &mut ProbeReport, lines: Vec<String>, mode: DriftMode) {
    let Some(first) = lines.first() else { return };
    let more = match lines.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    let detail = format!("{first}{more}");
    match mode {
        DriftMode::Fail => p.fail(Failure::new(Cause::Drift, detail)),
        DriftMode::Degraded => p.degrade(Cause::Drift, detail),
        DriftMode::Off => {}
    }
    p.drift = lines;
}

/// The latest latencies of each probe (and step) judged for drift that has been slow lately,
/// kept between ticks (in the loop's state): at most [`LATENCY_WINDOW`] each, from its first
/// slow one. The ticks before were fast, and fast ticks never make M of N: a probe is kept
/// from its first slow tick until its window is all fast again, so a healthy panel of a
/// thousand probes keeps nothing and costs nothing here.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct LatencyHistory(BTreeMap<String, VecDeque<u64>>);

impl LatencyHistory {
    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Forgets the probes `keep` refuses: those gone from the panel or the baseline.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.0.retain(|k, _| {
            let probe = k.split(" / ").next().unwrap_or(k);
            keep(probe)
        });
    }

    /// Adds `now_us` to the window of a probe (or one of its steps), and says the drift when
    /// enough of it is slow.
    fn record(
        &mut self,
        probe: &str,
        step: Option<&str>,
        now_us: u64,
        was: Latency,
        factor: f64,
    ) -> Option<String> {
        let key = match step {
            None => std::borrow::Cow::Borrowed(probe),
            Some(s) => std::borrow::Cow::Owned(format!("{probe} / {s}")),
        };
        let floor = LATENCY_FLOOR.as_micros() as u64;
        let slow = |us: u64| us as f64 > was.p95_us as f64 * factor && us >= was.p95_us + floor;
        let window = match self.0.get_mut(key.as_ref()) {
            Some(window) => window,
            None if !slow(now_us) => return None,
            None => self.0.entry(key.clone().into_owned()).or_default(),
        };
        window.push_back(now_us);
        while window.len() > LATENCY_WINDOW {
            window.pop_front();
        }
        let n = window.iter().filter(|&&us| slow(us)).count();
        if n == 0 {
            self.0.remove(key.as_ref());
            return None;
        }
        if n < SLOW_TICKS {
            return None;
        }
        let now = Latency::of(window.iter().copied().collect())?;
        Some(format!(
            "latency: p95 {} vs {} at baseline (over {}× in {n} of the last {} ticks)",
            micros(now.p95_us),
            micros(was.p95_us),
            Factor(factor),
            window.len()
        ))
    }
}

/// Microseconds as the status page says a latency: `0.4 ms`, `22 ms`, `1.2 s`.
fn micros(us: u64) -> String {
    crate::units::format_latency(Duration::from_micros(us))
}

/// `3` for 3.0, `2.5` for 2.5.
struct Factor(f64);

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:.2}", self.0);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        f.write_str(text)
    }
}
