//! Drift in a coverage run: a baseline of the healthy simulated deployment, taken in memory
//! before any fault, and each fault's ticks judged against it, as a loop with `[panel]
//! baseline` judges each tick. Some faults move only what a baseline knows (a list shorter
//! than it was, a field gone, a slower service) while every probe's own expectations pass: a
//! probe degraded with cause `drift` catches them. The baseline is the simulation's, never
//! written anywhere: the one a panel runs with must be taken on the real deployment.

use std::collections::HashMap;
use std::sync::Arc;

use smoke_core::engine::shape::{DriftMode, LatencyHistory, NotGood, SideBaseline};
use smoke_core::engine::{run_planned, Panel, Side, DEFAULT_CONCURRENCY};
use smoke_core::prelude::RunReport;

/// How many healthy ticks the baseline is taken from: as many as `baseline` takes by default.
pub const BASELINE_TICKS: usize = 5;

/// One tick of `side` with each answer's shape recorded, and each probe's drift setting.
pub async fn shaped(panel: &Panel, side: &dyn Side) -> (RunReport, HashMap<String, DriftMode>) {
    let mut plan = side.plan(panel, &[]).await;
    plan.record_shapes();
    let modes = plan
        .probes()
        .iter()
        .map(|p| {
            let info = p.probe().info();
            (info.name.clone(), info.settings.drift)
        })
        .collect();
    (
        run_planned(panel, side, plan, DEFAULT_CONCURRENCY).await,
        modes,
    )
}

/// A side's baseline over `ticks`, each already known to have passed.
pub fn baseline(ticks: &[RunReport], panel: &Panel) -> Result<SideBaseline, NotGood> {
    SideBaseline::of(ticks, &panel.vantage)
}

/// One side with its baseline and the latencies kept over one fault's ticks.
pub struct Judged {
    pub side: Arc<dyn Side>,
    pub known: SideBaseline,
    pub history: LatencyHistory,
}

impl Judged {
    /// One tick of the side, judged for drift by each probe's `drift` setting.
    pub async fn tick(&mut self, panel: &Panel) -> RunReport {
        let (mut report, modes) = shaped(panel, self.side.as_ref()).await;
        self.known.judge(
            &mut report,
            panel.latency_drift,
            Some(&mut self.history),
            |name| modes.get(name).copied().unwrap_or(DriftMode::Off),
        );
        report
    }
}
