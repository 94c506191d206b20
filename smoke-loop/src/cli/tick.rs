//! One tick with its consequences, in the order that loses nothing: the state folder locked and
//! read, the probes that are due run, their screenshots kept, unproven and quiet ones marked,
//! the results logged, incidents advanced, restarts decided, made and verified, every event
//! saved into the outbox, then delivered. Each stage is a step of [`tick_with_state`], taking
//! what the one before made.

use crate::config::LoopConfig;
use crate::loop_state::{LoopState, UNPROBED_KEPT};
use crate::notify::Notifier;
use crate::proving;
use crate::quiet::{Mutes, Quiet};
use crate::remedy::{self, Decision, Verdict};
use crate::results_log;
use crate::state_dir::{StateDir, StateDirError};
use smoke_core::engine::{
    advance, run_planned, shape::DriftMode, Event, EventKind, Panel, Policy, ProbeInfo, Resolve,
    Restart, Seen, Side, State,
};
use smoke_core::prelude::{Outcome, RunReport};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

/// What a tick is told besides the panel.
pub struct TickOptions<'a> {
    /// `--only`: names or tags.
    pub only: &'a [String],
    pub concurrency: usize,
    /// Why no restart may happen now (`--no-remedy`), if so.
    pub hold_remedy: Option<String>,
}

/// A tick that could not read or save its state, with its report when the probes had run:
/// what they found is still worth printing.
#[derive(Debug)]
pub struct TickError {
    /// Boxed: a report is large, and most errors have none.
    pub report: Option<Box<RunReport>>,
    pub error: TickFault,
}

/// What stopped a tick.
#[derive(Debug, thiserror::Error)]
pub enum TickFault {
    /// The state folder refused, or its state could not be read or saved.
    #[error(transparent)]
    StateDir(#[from] StateDirError),
    /// The tick panicked (its message): a bug, which must not silence the monitor.
    #[error("the tick panicked ({0})")]
    Panicked(String),
}

impl From<StateDirError> for TickError {
    fn from(error: StateDirError) -> Self {
        TickError {
            report: None,
            error: error.into(),
        }
    }
}

impl std::fmt::Display for TickError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

/// An error met once the probes have run keeps their report.
fn after(report: &RunReport) -> impl FnOnce(StateDirError) -> TickError + '_ {
    |error| TickError {
        report: Some(Box::new(report.clone())),
        error: error.into(),
    }
}

/// One tick; returns its report and the state after it. Its stages in order, each taking what
/// the one before made: run, prove, quiet, log, incidents, repair (and verify), tell.
pub async fn tick_with_state(
    panel: &Panel,
    config: &LoopConfig,
    side: &dyn Side,
    opts: &TickOptions<'_>,
    notifier: &Notifier,
    dir: &StateDir,
    rollup: &crate::rollup::Kept,
) -> Result<(RunReport, LoopState), TickError> {
    let tick = Tick {
        panel,
        config,
        side,
        opts,
        dir,
    };
    let mut state = dir.load()?;
    side.recall(&state.seen);
    let mut ran = tick.run(&state).await;
    // Before anything reads the outcomes: drift degrades (or fails) a passing probe.
    let known = crate::known::for_side(config.baseline.as_ref(), side.mode());
    state.baseline_taken = known.map(|k| k.taken);
    if known.is_none() {
        state.drifting.clear();
        state.latency = Default::default();
    }
    if let Some(known) = known {
        crate::known::judge(
            known,
            panel,
            &mut ran.report,
            |name| {
                ran.infos
                    .get(name)
                    .map_or(DriftMode::Off, |i| i.settings.drift)
            },
            Some(&mut state.latency),
            &mut state.drifting,
        );
        if let Some(planned) = &ran.planned {
            crate::known::forget_gone(known, planned, &mut state.latency, &mut state.drifting);
        }
    }
    crate::schedule::ran(
        &mut state.last_run,
        ran.report.probes().iter().map(|p| p.name()),
        &ran.with_every,
        ran.planned.as_ref(),
        ran.report.started_at(),
    );
    // Before anything names them: the log, the report and the events carry the file.
    crate::evidence::keep(dir.path(), &mut ran.report);
    state.seen = side.seen();
    if ran.seen == Seen::Everything {
        // A tick of some probes (--only) knows only some of what went unprobed.
        state.unprobed = ran.unprobed.iter().take(UNPROBED_KEPT).cloned().collect();
    }
    ran.prove(&mut state);
    tick.quiet(&mut ran);
    tick.log(&ran, rollup);
    let policy = ran.policy(config);
    let events = advance(&mut state.core, &ran.report, &policy);
    let events = tick
        .repair(&mut state, &ran, &policy, notifier, events)
        .await
        .map_err(after(&ran.report))?;
    tick.tell(&mut state, &ran, notifier, events)
        .await
        .map_err(after(&ran.report))?;
    Ok((ran.report, state))
}

/// What a tick works with besides its state.
struct Tick<'a> {
    panel: &'a Panel,
    config: &'a LoopConfig,
    side: &'a dyn Side,
    opts: &'a TickOptions<'a>,
    dir: &'a StateDir,
}

/// The probes a tick ran, and what it knows of them that the report does not carry.
struct Ran {
    report: RunReport,
    /// The probes' settings, for incidents and quiet: reports carry results only.
    infos: HashMap<String, ProbeInfo>,
    /// Per probe with a `restart`: its service and how it is restarted.
    remedies: BTreeMap<String, (String, Restart)>,
    /// Each probe's definition: what it proves when it passes.
    definitions: HashMap<String, proving::Definition>,
    seen: Seen,
    /// What the plan did not probe, and why (`list` says the same).
    unprobed: Vec<String>,
    /// Every probe the tick planned, due or not, when it planned them all.
    planned: Option<HashSet<String>>,
    /// Those of them with an `every` of their own.
    with_every: HashSet<String>,
}

/// A probe still failing, or in an open incident: it runs every tick whatever its `every`.
fn failing(core: &State, name: &str) -> bool {
    core.probes.get(name).is_some_and(|p| p.failures > 0)
        || core.incidents.contains_key(name)
        || core
            .incidents
            .values()
            .any(|i| i.covers.members.iter().any(|m| m == name))
}

impl Ran {
    fn policy<'a>(&'a self, config: &LoopConfig) -> Policy<'a> {
        Policy {
            probes: &self.infos,
            remind_every: config.remind_every,
            seen: self.seen,
            resolve: Resolve::AfterThreshold,
        }
    }

    /// Marks this tick's unproven probes.
    fn prove(&mut self, state: &mut LoopState) {
        let Ran {
            report,
            infos,
            definitions,
            seen,
            ..
        } = self;
        prove(state, report, definitions, infos, *seen);
    }
}

impl Tick<'_> {
    /// Plans the side's probes and runs those that are due.
    async fn run(&self, state: &LoopState) -> Ran {
        let mut plan = self.side.plan(self.panel, self.opts.only).await;
        let names = |pick: fn(&smoke_core::engine::Planned) -> bool| -> HashSet<String> {
            plan.probes()
                .iter()
                .filter(|p| pick(p))
                .map(|p| p.probe().info().name.clone())
                .collect()
        };
        // Only a plan of every probe says which are gone from the panel.
        let whole = self.opts.only.is_empty() && !plan.probes().iter().any(|p| p.stand_in());
        let planned = whole.then(|| names(|_| true));
        let with_every = names(|p| p.probe().info().settings.every.is_some());
        // A probe asked for by name (`--only`) runs now, whatever its period.
        let now = jiff::Timestamp::now();
        let waiting = match self.opts.only.is_empty() {
            true => crate::schedule::waiting(
                &plan,
                &state.last_run,
                |name| failing(&state.core, name),
                self.panel.every,
                now,
            ),
            false => Vec::new(),
        };
        crate::schedule::leave_out(&mut plan, &waiting, now);
        if crate::known::for_side(self.config.baseline.as_ref(), self.side.mode()).is_some() {
            plan.record_shapes();
        }
        let remedies = plan
            .probes()
            .iter()
            .filter_map(|p| {
                let restart = p.probe().info().settings.restart.as_deref()?.clone();
                Some((
                    p.probe().info().name.clone(),
                    (p.service()?.to_string(), restart),
                ))
            })
            .collect();
        let definitions = plan
            .probes()
            .iter()
            .map(|p| (p.probe().info().name.clone(), proving::Definition::of(p)))
            .collect();
        let infos = plan
            .probes()
            .iter()
            .map(|p| (p.probe().info().name.clone(), p.probe().info().clone()))
            .collect();
        // Only a tick that saw every probe may resolve the incidents of probes it did not see:
        // not with --only, and not when the services could not be listed this time.
        let seen = if whole && waiting.is_empty() {
            Seen::Everything
        } else {
            Seen::Some
        };
        let unprobed = plan.unprobed().to_vec();
        let report = run_planned(self.panel, self.side, plan, self.opts.concurrency).await;
        Ran {
            report,
            infos,
            remedies,
            definitions,
            seen,
            unprobed,
            planned,
            with_every,
        }
    }

    /// Marks the probes a maintenance window or a mute keeps quiet.
    fn quiet(&self, ran: &mut Ran) {
        let quiet = Quiet::at(
            jiff::Timestamp::now(),
            &self.config.maintenance,
            &Mutes::load(self.dir.path()).unwrap_or_else(|e| {
                eprintln!("smoke: {e}; no mute applies this tick");
                Mutes::default()
            }),
        );
        for p in ran.report.probes_mut() {
            let tags = ran
                .infos
                .get(p.name())
                .map_or(&[][..], |i| &i.settings.tags[..]);
            p.mute(quiet.reason(p.name(), tags).map(str::to_string));
        }
    }

    /// The results log and the rollup: what the status page and `status` read.
    fn log(&self, ran: &Ran, rollup: &crate::rollup::Kept) {
        log_results(self.dir, &ran.report);
        if let Err(e) = rollup.record(&ran.report, ran.seen == Seen::Everything) {
            eprintln!("smoke: {e}");
        }
    }

    /// The restarts the incidents call for, made and verified: `events` with what they said.
    async fn repair(
        &self,
        state: &mut LoopState,
        ran: &Ran,
        policy: &Policy<'_>,
        notifier: &Notifier,
        mut events: Vec<Event>,
    ) -> Result<Vec<Event>, StateDirError> {
        let report = &ran.report;
        let hold = self.opts.hold_remedy.as_deref();
        let mut decisions = remedy::decide(report, state, &ran.remedies, hold);
        let quiet_now = muted(report);
        for d in &mut decisions {
            let why = d
                .probes
                .iter()
                .find_map(|p| quiet_now.get(p.as_str()).copied());
            if let (Some(why), Verdict::Go) = (why, &d.verdict) {
                d.verdict = Verdict::Skip(format!("quiet: {why}"));
            }
        }
        if decisions.is_empty() {
            return Ok(events);
        }
        // What the tick found is owed before anything is restarted: a crash mid-restart loses
        // no word of it.
        notifier.enqueue(state, &hush(report, std::mem::take(&mut events)));
        self.dir.save(state)?;
        restart_and_verify(self, ran, policy, state, &decisions).await
    }

    /// Saves the events into the outbox, then tells the sinks and beats the heartbeat.
    async fn tell(
        &self,
        state: &mut LoopState,
        ran: &Ran,
        notifier: &Notifier,
        events: Vec<Event>,
    ) -> Result<(), StateDirError> {
        notifier.enqueue(state, &hush(&ran.report, events));
        // Saved before anything is sent: a kill from here on loses no event, and the next run
        // delivers what this one could not.
        self.dir.save(state)?;
        for e in notifier.flush(self.dir, state).await {
            smoke_core::say!("{e}");
        }
        notifier.beat(ran.report.outcome()).await;
        Ok(())
    }
}

/// Counts `report` (a tick's, or a re-check's after a restart) into what the probes proved
/// here, marks its unproven probes and says them: their failures open no incident.
fn prove(
    state: &mut LoopState,
    report: &mut RunReport,
    definitions: &HashMap<String, proving::Definition>,
    infos: &HashMap<String, ProbeInfo>,
    seen: Seen,
) {
    let lines = proving::prove(
        &mut state.proofs,
        report,
        definitions,
        infos,
        seen == Seen::Everything,
    );
    for line in lines {
        smoke_core::say!("{line}");
    }
}

/// Why each quiet probe of the report is quiet: a map, so a tick of thousands stays linear.
fn muted(report: &RunReport) -> HashMap<&str, &str> {
    report
        .probes()
        .iter()
        .filter_map(|p| Some((p.name(), p.muted()?)))
        .collect()
}

/// The events of quiet probes are said on stderr and told to no sink; a group's, when every
/// member is quiet.
fn hush(report: &RunReport, events: Vec<Event>) -> Vec<Event> {
    let quiet = muted(report);
    let why = |e: &Event| -> Option<&str> {
        if e.covers.members.is_empty() {
            return quiet.get(e.probe.as_str()).copied();
        }
        let mut reasons = e
            .covers
            .members
            .iter()
            .map(|m| quiet.get(m.as_str()).copied());
        let first = reasons.next().flatten()?;
        reasons.all(|r| r.is_some()).then_some(first)
    };
    events
        .into_iter()
        .filter(|e| match why(e) {
            Some(why) if e.event != EventKind::Firing => {
                smoke_core::say!("quiet ({why}), not told: {}", e.summary());
                false
            }
            Some(_) => false,
            None => true,
        })
        .collect()
}

fn log_results(dir: &StateDir, report: &RunReport) {
    if let Err(e) = results_log::append(dir.path(), report, results_log::MAX_BYTES) {
        eprintln!("smoke: {e}");
    }
}

/// Restarts the services the decisions allow, then probes them again: each incident hears
/// "restarted X, recovered after Ns" or "restarted X, still failing: ...", and a recovered
/// service's incidents resolve at once.
async fn restart_and_verify(
    tick: &Tick<'_>,
    ran: &Ran,
    policy: &Policy<'_>,
    state: &mut LoopState,
    decisions: &[Decision],
) -> Result<Vec<Event>, StateDirError> {
    let Tick {
        panel,
        side,
        opts,
        dir,
        ..
    } = *tick;
    let connector = side.connector();
    let mut started = Vec::new();
    for d in decisions {
        match &d.verdict {
            Verdict::Skip(why) => smoke_core::say!("restart of {} skipped: {why}", d.service),
            Verdict::Go => {
                // Counted before it runs: the limits hold even if this process dies mid-restart.
                remedy::record(state, &d.service, jiff::Timestamp::now());
                dir.save(state)?;
                started.push(d);
            }
        }
    }
    if started.is_empty() {
        return Ok(Vec::new());
    }
    let results = futures_util::future::join_all(started.iter().map(|d| {
        remedy::restart(
            &d.restart.remedy,
            &d.service,
            d.restart.timeout,
            connector.as_deref(),
        )
    }))
    .await;
    let restarted_at = Instant::now();
    let settle = started
        .iter()
        .map(|d| d.restart.settle)
        .max()
        .unwrap_or_default();
    let ok: Vec<&&Decision> = started
        .iter()
        .zip(&results)
        .filter_map(|(d, r)| r.is_ok().then_some(d))
        .collect();
    if !ok.is_empty() {
        tokio::time::sleep(settle).await;
    }
    let names: Vec<String> = ok.iter().flat_map(|d| d.probes.clone()).collect();
    let check = if names.is_empty() {
        None
    } else {
        let mut plan = side.plan(panel, &names).await;
        // Said once a tick: the tick's own plan said what the cap cut.
        plan.clear_notes();
        let mut report = run_planned(panel, side, plan, opts.concurrency).await;
        prove(state, &mut report, &ran.definitions, &ran.infos, Seen::Some);
        log_results(dir, &report);
        Some(report)
    };
    let mut events = Vec::new();
    for (d, result) in started.iter().zip(&results) {
        let detail = match (result, &check) {
            (Err(e), _) => format!("restart of {} failed: {e}", d.service),
            (Ok(_), Some(check)) => {
                let mine: Vec<_> = check
                    .probes()
                    .iter()
                    .filter(|p| d.probes.iter().any(|n| n == p.name()))
                    .collect();
                match mine
                    .iter()
                    .find(|p| matches!(p.outcome(), Outcome::Fail | Outcome::Error))
                {
                    None => format!(
                        "restarted {}, recovered after {}",
                        d.service,
                        smoke_core::engine::format_duration(restarted_at.elapsed().max(settle))
                    ),
                    Some(p) => format!(
                        "restarted {}, still failing: {}: {}",
                        d.service,
                        p.cause().map(|c| c.as_str()).unwrap_or("?"),
                        p.detail().map(str::to_string).unwrap_or_default()
                    ),
                }
            }
            (Ok(_), None) => format!("restarted {}", d.service),
        };
        smoke_core::say!("{detail}");
        events.extend(restarted_events(
            &state.core,
            &panel.name,
            side.mode().as_str(),
            &d.probes,
            &detail,
        ));
    }
    if let Some(check) = check {
        // A recovered service resolves at once, whatever the probe's success threshold.
        let now = Policy {
            seen: Seen::Some,
            resolve: Resolve::Now,
            ..*policy
        };
        events.extend(advance(&mut state.core, &check, &now));
    }
    Ok(events)
}

/// A `restarted` event for each open incident of the restarted service's failing probes: one
/// per incident, however many of its members the service has.
fn restarted_events(
    state: &State,
    panel: &str,
    mode: &str,
    probes: &[String],
    detail: &str,
) -> Vec<Event> {
    let mut told = std::collections::HashSet::new();
    probes
        .iter()
        .filter_map(|name| {
            let (key, incident) = state.incident_of(name)?;
            told.insert(key.as_str()).then(|| Event {
                detail: detail.to_string(),
                ..Event::about(
                    EventKind::Restarted,
                    (panel, mode),
                    key,
                    incident,
                    jiff::Timestamp::now(),
                )
            })
        })
        .collect()
}
