//! Coverage: does a panel still catch every failure the simulation can make? The panel runs
//! against the healthy deployment (it must pass), then once with each known fault switched on,
//! from inside and outside at once. A side catches a fault when one of its probes is not `ok`;
//! each side that can see a fault ([`Fault::seen_from`]) must catch it, or the panel must
//! ignore it there with a reason: the outside catching what the inside missed still leaves the
//! VM's own run blind to it.
//!
//! Before any fault, each side takes a baseline of the healthy deployment ([`drift`]), and each
//! fault's ticks are judged against it: a probe degraded by drift (a list shorter than it was,
//! a field gone, a slower service) catches a fault all its own expectations pass. A fault no
//! side that sees it has caught gets more ticks, up to the [`SLOW_TICKS`] latency drift needs.
//!
//! Every probe's timeout is cut to [`TIMEOUT`] and its retries to none, so a hung service costs
//! one second per fault and a whole run of herodemo stays well under a minute.

mod drift;
mod report;

pub use drift::BASELINE_TICKS;

pub use report::{human, json};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use smoke_core::engine::shape::{LatencyHistory, SLOW_TICKS};
use smoke_core::engine::{format_duration, Escaped, Mode, Panel, Side};
use smoke_core::prelude::{Cause, Outcome, RunReport};

use crate::deployment::Deployment;
use crate::fault::{Fault, ParseFaultError};
use crate::layout::Layout;

/// How long any phase of a probe may take against the simulation: it answers in milliseconds,
/// so only a fault makes a probe wait this long.
pub const TIMEOUT: Duration = Duration::from_secs(1);

/// `--set` overrides that point a panel at `sim` (its sockets, and its gateway, DNS server and
/// CA when it has an outside), with [`TIMEOUT`] and no retries: a fault shows on the first try.
pub fn overrides(sim: &Deployment) -> Vec<String> {
    let mut sets = vec![
        format!("internal.socket_dir={}", sim.socket_dir().display()),
        format!("panel.timeout={}", format_duration(TIMEOUT)),
        "defaults.retries=0".to_string(),
    ];
    if let (Some(url), Some(dns), Some(ca)) = (sim.public_url(), sim.dns_addr(), sim.ca_file()) {
        sets.push(format!("external.base_url={url}"));
        sets.push(format!("external.resolvers=[\"{dns}\"]"));
        sets.push(format!("external.ca_file={}", ca.display()));
    }
    sets
}

/// Why a coverage run could not judge the panel (the command's exit 3).
#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    #[error("the panel does not pass on the healthy simulated deployment, so no fault can be judged: {0}")]
    Unhealthy(String),
    #[error("{}:{line}: [coverage] ignore: {why}", file.display())]
    UnknownIgnore {
        file: std::path::PathBuf,
        line: usize,
        #[source]
        why: IgnoreError,
    },
    #[error("the outside view cannot run this panel: {0}")]
    Outside(#[from] smoke_external::SetupError),
    /// The simulated deployment did not start.
    #[error("cannot start the simulated deployment: {0}")]
    Start(#[source] std::io::Error),
    /// The panel does not load (at its file, line and column).
    #[error(transparent)]
    Panel(#[from] smoke_core::engine::PanelError),
}

/// Why a `[coverage] ignore` entry names no fault of the run: a typo must never hide a gap.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    /// Not a fault's name.
    #[error(transparent)]
    NotAFault(#[from] ParseFaultError),
    /// A fault this run never switches on (`fault` escaped; `services`: where the per-service
    /// faults run, or "none").
    #[error(
        "\"{fault}\" names no fault this run switches on (per-service faults run on: {services})"
    )]
    NotSwitchedOn { fault: String, services: String },
}

/// One probe that was not `ok` while a fault was on.
#[derive(Debug, Clone, PartialEq)]
pub struct Catch {
    pub probe: String,
    pub mode: Mode,
    pub outcome: Outcome,
    pub cause: Option<Cause>,
    /// What it saw, as the service said it (capped at [`DETAIL_CHARS`]; not escaped).
    pub detail: Option<String>,
    /// The failing probe it is a symptom of, when it is one.
    pub caused_by: Option<String>,
}

/// The most of a probe's detail a [`Catch`] keeps: enough to read the cause, never a whole body.
pub const DETAIL_CHARS: usize = 200;

/// One fault and what saw it.
#[derive(Debug, Clone)]
pub struct FaultResult {
    pub fault: Fault,
    /// What people saw when it happened for real ([`crate::history`]).
    pub seen: Option<&'static str>,
    /// Every probe not `ok` with the fault on: the probes that fail for its own sake first.
    pub caught_by: Vec<Catch>,
    /// Why the panel accepts a side not catching it (`[coverage] ignore`), per side.
    pub ignored: Vec<(Mode, String)>,
}

impl FaultResult {
    /// Whether any side caught it.
    pub fn caught(&self) -> bool {
        !self.caught_by.is_empty()
    }

    /// Whether a probe of `side` caught it.
    pub fn caught_on(&self, side: Mode) -> bool {
        self.caught_by.iter().any(|c| c.mode == side)
    }

    /// Why the panel accepts `side` not catching it, when it does.
    pub fn ignored_on(&self, side: Mode) -> Option<&str> {
        self.ignored
            .iter()
            .find(|(m, _)| *m == side)
            .map(|(_, why)| why.as_str())
    }

    /// The sides that can see it, caught nothing and are not excused: its blind spots.
    pub fn blind_on(&self) -> Vec<Mode> {
        self.fault
            .seen_from()
            .iter()
            .copied()
            .filter(|m| !self.caught_on(*m) && self.ignored_on(*m).is_none())
            .collect()
    }

    /// Whether the panel excuses every side that can see it.
    pub fn ignored_everywhere(&self) -> bool {
        self.fault
            .seen_from()
            .iter()
            .all(|m| self.ignored_on(*m).is_some())
    }
}

/// A whole coverage run.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub panel: String,
    /// The layout of the simulated deployment it ran against.
    pub layout: Layout,
    /// The services the per-service faults were switched on for.
    pub services: Vec<String>,
    pub faults: Vec<FaultResult>,
    pub elapsed: Duration,
}

impl Coverage {
    pub fn caught(&self) -> usize {
        self.faults.iter().filter(|f| f.caught()).count()
    }

    pub fn total(&self) -> usize {
        self.faults.len()
    }

    /// The faults a side that can see them did not catch, with no `ignore` for that side.
    pub fn blind_spots(&self) -> impl Iterator<Item = &FaultResult> {
        self.faults.iter().filter(|f| !f.blind_on().is_empty())
    }

    /// Whether every fault is caught or knowingly ignored.
    pub fn complete(&self) -> bool {
        self.blind_spots().next().is_none()
    }
}

/// Runs the coverage of `panel` (already pointed at `sim` by [`overrides`]) over every fault
/// the simulation knows, the per-service ones for each service the panel reaches.
pub async fn run(panel: &Panel, sim: &Deployment) -> Result<Coverage, CoverageError> {
    let started = Instant::now();
    let panel = bounded(panel);
    let services = targeted(&panel, &sim.services());
    let mut faults = Fault::every(&services);
    faults.retain(|f| f.applies_in(sim.layout()));
    let ignored = ignores(&panel, &faults, &services)?;
    let inside = smoke_internal::side(&panel);
    let outside: Arc<dyn Side> = smoke_external::side(&panel).map_err(CoverageError::Outside)?;

    sim.clear_all();
    let [mut inside, mut outside] = baselines(&panel, inside, outside).await?;
    let mut results = Vec::with_capacity(faults.len());
    for fault in faults {
        sim.set(fault.clone());
        // A fault's ticks start with no latency kept: only its own slow ticks count.
        inside.history = LatencyHistory::default();
        outside.history = LatencyHistory::default();
        // Latency drifts only once SLOW_TICKS of the last ticks are slow: a fault a side that
        // sees it has not caught gets ticks up to that many.
        let mut reports = tick(&panel, &mut inside, &mut outside).await;
        for _ in 1..SLOW_TICKS {
            let catches = caught(&reports);
            let seen = fault.seen_from();
            if seen.iter().all(|m| catches.iter().any(|c| c.mode == *m)) {
                break;
            }
            reports = tick(&panel, &mut inside, &mut outside).await;
        }
        sim.clear(&fault);
        results.push(FaultResult {
            seen: crate::history::seen(&fault),
            caught_by: caught(&reports),
            ignored: ignored.get(&fault).cloned().unwrap_or_default(),
            fault,
        });
    }
    Ok(Coverage {
        panel: panel.name.clone(),
        layout: sim.layout(),
        services,
        faults: results,
        elapsed: started.elapsed(),
    })
}

/// The panel with every probe held to [`TIMEOUT`] and no retries, whatever it says: a probe's
/// own `timeout = "30s"` would otherwise make each hang fault cost thirty seconds.
fn bounded(panel: &Panel) -> Panel {
    let mut panel = panel.clone();
    panel.defaults.settings.timeout = panel.defaults.settings.timeout.min(TIMEOUT);
    panel.defaults.settings.retries = 0;
    for probe in &mut panel.probes {
        probe.settings.timeout = probe.settings.timeout.min(TIMEOUT);
        probe.settings.retries = 0;
    }
    panel
}

/// The services a per-service fault is switched on for: all of the simulation's when a probe
/// runs for each service (it reaches every one), else those the probes' targets name.
fn targeted(panel: &Panel, running: &[String]) -> Vec<String> {
    if panel.probes.iter().any(|p| p.for_each_service) {
        return running.to_vec();
    }
    running
        .iter()
        .filter(|s| {
            panel
                .probes
                .iter()
                .filter_map(|p| p.http())
                .flat_map(|h| std::iter::once(&h.target).chain(&h.alternatives))
                .any(|t| &t.service == *s)
        })
        .cloned()
        .collect()
}

/// What a `[coverage] ignore` entry names: one fault, or a fault on every service.
enum Pattern {
    One(Fault),
    Everywhere(String),
}

impl Pattern {
    fn parse(text: &str) -> Result<Pattern, ParseFaultError> {
        match text.parse::<Fault>() {
            Ok(fault) => Ok(Pattern::One(fault)),
            Err(ParseFaultError::MissingService(name)) => Ok(Pattern::Everywhere(name)),
            Err(e) => Err(e),
        }
    }

    fn matches(&self, fault: &Fault) -> bool {
        match self {
            Pattern::One(f) => f == fault,
            Pattern::Everywhere(name) => fault.name() == name,
        }
    }
}

/// Each fault of the run an `ignore` names, with its reason on each side it names (both when it
/// names none); an entry that names no fault of the run is an error, so a typo never hides a
/// gap.
fn ignores(
    panel: &Panel,
    faults: &[Fault],
    services: &[String],
) -> Result<HashMap<Fault, Vec<(Mode, String)>>, CoverageError> {
    let mut ignored = HashMap::new();
    for entry in &panel.coverage.ignore {
        let wrong = |why: IgnoreError| CoverageError::UnknownIgnore {
            file: panel.source.clone(),
            line: entry.line,
            why,
        };
        let pattern = Pattern::parse(&entry.fault).map_err(|e| wrong(e.into()))?;
        let hits: Vec<&Fault> = faults.iter().filter(|f| pattern.matches(f)).collect();
        if hits.is_empty() {
            return Err(wrong(IgnoreError::NotSwitchedOn {
                fault: Escaped(&entry.fault).to_string(),
                services: if services.is_empty() {
                    "none".to_string()
                } else {
                    services.join(", ")
                },
            }));
        }
        let sides = match entry.side {
            Some(side) => vec![side],
            None => vec![Mode::Internal, Mode::External],
        };
        for fault in hits {
            let why: &mut Vec<(Mode, String)> = ignored.entry(fault.clone()).or_default();
            for side in &sides {
                // The first entry for a side wins: `hang` after `hang:hero_os` adds no reason
                // for hero_os.
                if !why.iter().any(|(m, _)| m == side) {
                    why.push((*side, entry.why.clone()));
                }
            }
        }
    }
    Ok(ignored)
}

/// Each side's baseline of [`drift::BASELINE_TICKS`] healthy ticks, both sides at the same
/// time; every probe must be `ok` on each, or no fault can be judged.
async fn baselines(
    panel: &Panel,
    inside: Arc<dyn Side>,
    outside: Arc<dyn Side>,
) -> Result<[drift::Judged; 2], CoverageError> {
    let mut runs: [Vec<RunReport>; 2] = Default::default();
    for _ in 0..drift::BASELINE_TICKS {
        let (i, o) = tokio::join!(
            drift::shaped(panel, inside.as_ref()),
            drift::shaped(panel, outside.as_ref())
        );
        let reports = [i.0, o.0];
        let healthy = caught(&reports);
        if !healthy.is_empty() {
            return Err(CoverageError::Unhealthy(unhealthy(&healthy)));
        }
        let [i, o] = reports;
        runs[0].push(i);
        runs[1].push(o);
    }
    let known = |ticks: &[RunReport]| {
        drift::baseline(ticks, panel).map_err(|e| CoverageError::Unhealthy(e.to_string()))
    };
    Ok([
        drift::Judged {
            known: known(&runs[0])?,
            side: inside,
            history: LatencyHistory::default(),
        },
        drift::Judged {
            known: known(&runs[1])?,
            side: outside,
            history: LatencyHistory::default(),
        },
    ])
}

/// One tick from each side at the same time, each judged for drift against its baseline.
async fn tick(
    panel: &Panel,
    inside: &mut drift::Judged,
    outside: &mut drift::Judged,
) -> [RunReport; 2] {
    let (i, o) = tokio::join!(inside.tick(panel), outside.tick(panel));
    [i, o]
}

/// Every probe not `ok` on either side, the probes that fail for their own sake first.
fn caught(reports: &[RunReport; 2]) -> Vec<Catch> {
    let mut catches: Vec<Catch> = reports
        .iter()
        .zip([Mode::Internal, Mode::External])
        .flat_map(|(report, mode)| {
            report
                .probes()
                .iter()
                .filter(|p| p.outcome() != Outcome::Ok)
                .map(move |p| Catch {
                    probe: p.name().to_string(),
                    mode,
                    outcome: p.outcome(),
                    cause: p.cause(),
                    detail: p
                        .detail()
                        .as_ref()
                        .map(|d| d.chars().take(DETAIL_CHARS).collect()),
                    caused_by: p.caused_by().map(str::to_string),
                })
        })
        .collect();
    catches.sort_by_key(|c| c.caused_by.is_some());
    catches
}

/// The probes that fail on the healthy deployment, with their causes, for one line.
fn unhealthy(catches: &[Catch]) -> String {
    const SHOWN: usize = 5;
    let mut parts: Vec<String> = catches
        .iter()
        .take(SHOWN)
        .map(|c| {
            let mut part = format!("{} {} {}", Escaped(&c.probe), side(c.mode), c.outcome);
            if let Some(cause) = c.cause {
                part.push_str(&format!(" ({cause}"));
                if let Some(detail) = &c.detail {
                    part.push_str(&format!(": {}", Escaped(detail)));
                }
                part.push(')');
            }
            part
        })
        .collect();
    if catches.len() > SHOWN {
        parts.push(format!("and {} more", catches.len() - SHOWN));
    }
    parts.join(", ")
}

/// How the matrix names a side: the words the demo and the reports use.
fn side(mode: Mode) -> &'static str {
    match mode {
        Mode::Internal => "inside",
        Mode::External => "outside",
    }
}
