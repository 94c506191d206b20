//! A side's plan for a tick: every probe of the panel it runs, ready for the runner, with what
//! `list` says of it. A binary is one [`Side`]: the inside (Unix sockets) or the outside (public
//! URL, DNS, TLS).

use crate::check::Check;
use crate::observation::Observation;
use crate::outcome::Failure;
use crate::panel::ProbeSpec;
use crate::probe::{Attempt, Checks, Probe, ProbeInfo};
#[cfg(feature = "http")]
use crate::{outcome::RunReport, panel::Panel};
use std::sync::Arc;

/// One probe ready to run.
pub struct Planned {
    /// The check to run.
    pub(crate) probe: Arc<Check>,
    /// The question in a few words: `GET /health`, `rpc business.persons.list`, `dns A name`.
    pub(crate) what: String,
    /// Where it goes: a socket path, a URL, `host:port`; or why it goes nowhere.
    pub(crate) place: String,
    /// What else it asks, as stable text, where `what` does not say it all (an HTTP probe's
    /// params, body, headers, contexts, and each step of a flow with its conditions): with
    /// `what` and `place`, what the probe proves when it passes. Empty when `what` says it all.
    pub(crate) definition: String,
    /// The service behind it, which its settings' `restart` restarts (a probe of a service).
    pub(crate) service: Option<String>,
    /// It stands in for probes that could not be planned (the services of a `for_each` could
    /// not be listed): a tick with it has not seen every probe of the side.
    pub(crate) stand_in: bool,
}

/// A planned probe made by hand, for the tests of what reads one (feature `test-support`):
/// otherwise only a side's plan makes one.
#[cfg(any(test, feature = "test-support"))]
impl Planned {
    /// `check`, asking `what` at `place`, of `service`.
    pub fn made(check: Check, what: &str, place: &str, service: Option<&str>) -> Planned {
        Planned {
            probe: Arc::new(check),
            what: what.to_string(),
            place: place.to_string(),
            definition: String::new(),
            service: service.map(str::to_string),
            stand_in: false,
        }
    }

    /// The planned probe with `definition` as what else it asks.
    pub fn set_definition(mut self, definition: &str) -> Planned {
        self.definition = definition.to_string();
        self
    }
}

impl Planned {
    /// A probe of `spec` that goes nowhere from this side and fails with `why` every tick,
    /// never silently skipped; `list` shows it at `(nowhere: <why>)`.
    #[cfg(feature = "http")]
    pub(crate) fn nowhere(
        spec: &ProbeSpec,
        what: String,
        definition: String,
        why: Failure,
    ) -> Planned {
        Planned {
            what,
            service: None,
            place: format!("(nowhere: {})", why.detail),
            definition,
            probe: Arc::new(Unplaced::check(spec, why)),
            stand_in: false,
        }
    }

    /// Why a side without a [`crate::http::Connector`] plans no probe that asks over HTTP.
    #[cfg(feature = "http")]
    pub(crate) fn no_connector() -> Failure {
        Failure::new(
            crate::outcome::Cause::Checker,
            "this side has no way to send HTTP requests",
        )
    }

    /// The probe, depending first on `way_in` (the outside's public certificate) when the side
    /// has one: every request through it fails with it, and is one alarm with it.
    #[cfg(feature = "http")]
    pub(crate) fn through(mut self, way_in: Option<&str>) -> Planned {
        if let Some(on) = way_in {
            let check = Arc::make_mut(&mut self.probe);
            let deps = std::iter::once(on.to_string())
                .chain(check.info().settings.depends_on.iter().cloned())
                .collect::<Vec<_>>();
            *check = check.clone().depends_on(deps);
        }
        self
    }

    /// The check to run.
    pub fn probe(&self) -> &Arc<Check> {
        &self.probe
    }

    /// The question in a few words: `GET /health`, `rpc business.persons.list`, `dns A name`.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Where it goes: a socket path, a URL, `host:port`; or why it goes nowhere.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// What else it asks beyond [`Planned::what`], as stable text (an HTTP probe's params,
    /// body, headers, contexts, a flow's steps); empty when `what` says it all.
    pub fn definition(&self) -> &str {
        &self.definition
    }

    /// The service behind it, which its settings' `restart` restarts (a probe of a service).
    pub fn service(&self) -> Option<&str> {
        self.service.as_deref()
    }

    /// It stands in for probes that could not be planned (the services of a `for_each` could
    /// not be listed): a tick with it has not seen every probe of the side.
    pub fn stand_in(&self) -> bool {
        self.stand_in
    }
}

/// A side's probes for a tick, and what it has to say of how they were found (a service list
/// the cap cut): said once a tick, on stderr and in the report.
pub struct Plan {
    /// Its probes, in panel order.
    pub(crate) probes: Vec<Planned>,
    /// What it has to say of how they were found.
    pub(crate) notes: Vec<String>,
    /// Each service a `for_each` template was not expanded for, and why
    /// ([`Connector::unserved`](crate::http::Connector::unserved)): no failure, `list` says it.
    pub(crate) unprobed: Vec<String>,
}

impl Plan {
    /// Its probes, in panel order, taken out of it.
    pub fn into_probes(self) -> Vec<Planned> {
        self.probes
    }

    /// Drops what it has to say: a second plan in one tick (a restart's check) says nothing
    /// the tick's own plan said.
    pub fn clear_notes(&mut self) {
        self.notes.clear();
    }

    /// Each probe's answers also give their shape to its report: for a baseline, or for drift
    /// from one.
    pub fn record_shapes(&mut self) {
        for p in &mut self.probes {
            Arc::make_mut(&mut p.probe).record_shapes();
        }
    }

    /// Its probes, in panel order.
    pub fn probes(&self) -> &[Planned] {
        &self.probes
    }

    /// Leaves out the probes `keep` refuses, saying `note` once in the tick's report: a loop's
    /// probes that are not due this tick.
    pub fn leave_out(&mut self, keep: impl FnMut(&Planned) -> bool, note: String) {
        self.probes.retain(keep);
        self.notes.push(note);
    }

    /// What it has to say of how they were found.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Each service a `for_each` template was not expanded for, and why
    /// ([`Connector::unserved`](crate::http::Connector::unserved)): no failure, `list` says it.
    pub fn unprobed(&self) -> &[String] {
        &self.unprobed
    }
}

/// Why a side could not be made for a panel: a resolver, a CA file or a base URL that does not
/// work, in the words of the side that tried. Each side has its own error; the loop only says it.
pub type SideError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Makes a binary's side for a loaded panel: what each command that probes is given.
#[cfg(feature = "http")]
pub type MakeSide = fn(&Panel) -> Result<Arc<dyn Side>, SideError>;

/// One side of the watch: a [`Place`](crate::kind::Place) (every place is one), planned as a
/// whole. Its mode and its way to the services (for a restart's RPC) are its place's.
#[cfg(feature = "http")]
#[async_trait::async_trait]
pub trait Side: crate::kind::Place {
    /// The panel's probes this side runs, `--only` applied, in panel order.
    async fn plan(&self, panel: &Panel, only: &[String]) -> Plan;

    /// The names and tags of the checks this side adds of its own, beyond the panel's probes
    /// (the outside view's public DNS and TLS checks): what a mute may name besides the panel.
    fn own_checks(&self, _panel: &Panel) -> Vec<String> {
        Vec::new()
    }

    /// What earlier ticks saw of the deployment, handed to the side's connector before it
    /// plans ([`Connector::recall`](crate::http::Connector::recall)).
    fn recall(&self, seen: &[String]) {
        if let Some(connector) = self.connector() {
            connector.recall(seen);
        }
    }

    /// What this side has seen that a later tick must know, for the state folder
    /// ([`Connector::seen`](crate::http::Connector::seen)).
    fn seen(&self) -> Vec<String> {
        self.connector().map(|c| c.seen()).unwrap_or_default()
    }
}

/// A probe that could not be placed (no service found for a `for_each`, a target this side can't
/// reach): every attempt reports why, so it shows as a failure and never as a silent pass.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) struct Unplaced {
    failure: Failure,
}

#[cfg_attr(not(feature = "http"), allow(dead_code))]
impl Unplaced {
    /// The check of `spec` that fails with `failure`, once, without judging anything.
    pub(crate) fn check(spec: &ProbeSpec, failure: Failure) -> Check {
        let mut info = info_of(spec, "");
        // Nothing to try again: the reason does not change within a tick.
        info.settings.retries = 0;
        Check::of(info, Checks::default(), Arc::new(Unplaced { failure }))
    }
}

#[async_trait::async_trait]
impl Probe for Unplaced {
    async fn attempt(&self, _cx: &Attempt) -> Result<Observation, Failure> {
        Err(self.failure.clone())
    }
}

/// The check of a panel probe: its settings and conditions, `probe` to attempt it.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn check_of(
    spec: &ProbeSpec,
    target: impl Into<String>,
    probe: impl Probe + 'static,
) -> Check {
    let checks = Checks {
        expect: spec.expect.clone(),
        warn: spec.warn.clone(),
    };
    Check::of(info_of(spec, target), checks, Arc::new(probe))
}

/// The info the runner needs, from a panel probe.
fn info_of(spec: &ProbeSpec, target: impl Into<String>) -> ProbeInfo {
    ProbeInfo {
        name: spec.name.clone(),
        target: target.into(),
        settings: spec.settings.clone(),
    }
}

/// One tick of `panel` from this side.
#[cfg(feature = "http")]
pub async fn run_panel(
    panel: &Panel,
    side: &dyn Side,
    only: &[String],
    concurrency: usize,
) -> RunReport {
    let planned = side.plan(panel, only).await;
    run_planned(panel, side, planned, concurrency).await
}

/// Runs probes already planned; the plan's notes are said on stderr and kept in the report.
#[cfg(feature = "http")]
pub async fn run_planned(
    panel: &Panel,
    side: &dyn Side,
    plan: Plan,
    concurrency: usize,
) -> RunReport {
    let Plan {
        probes: planned,
        notes,
        ..
    } = plan;
    for note in &notes {
        crate::say!("{note}");
    }
    let mode = crate::kind::Place::mode(side);
    let depends_on: std::collections::HashMap<String, Vec<String>> = planned
        .iter()
        .map(|p| {
            (
                p.probe.info().name.clone(),
                p.probe.info().settings.depends_on.clone(),
            )
        })
        .collect();
    let probes = planned.into_iter().map(|p| p.probe).collect();
    let mut report = crate::runner::Runner::new(&panel.name)
        .mode(mode)
        .concurrency(concurrency)
        .run(probes)
        .await;
    report.vantage = panel.vantage.clone();
    report.every = Some(panel.every);
    report.notes = notes;
    if report.probes.is_empty() {
        // A run that checked nothing is not a pass.
        report.outcome = crate::outcome::Outcome::Error;
    }
    crate::incident::attribute(&mut report, &depends_on);
    report
}
