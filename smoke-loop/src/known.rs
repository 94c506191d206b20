//! The panel's known-good baseline in the loop: read where `[panel] baseline` says, taken by
//! `baseline`, and each tick judged against it for drift (issue 24).

use smoke_core::engine::shape::{DriftMode, KnownGood, LatencyHistory, NotGood, SideBaseline};
use smoke_core::engine::{run_planned, Mode, Panel, PanelError, Side, Unreadable};
use smoke_core::prelude::RunReport;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most bytes of a baseline file read: one of a 1,000-probe panel is a few MiB, and the
/// file may have been edited by anyone.
pub const MAX_BASELINE_BYTES: u64 = 64 << 20;

/// The baseline `[panel] baseline` names, read with only the part of the side `mode` (the
/// other side's is read past, not kept); none when it names none. A file that is not there or
/// does not read is a broken panel, said with its path.
pub fn read(panel: &Panel, mode: Mode) -> Result<Option<Arc<KnownGood>>, PanelError> {
    let Some(path) = &panel.baseline else {
        return Ok(None);
    };
    let refuse = |why: String| {
        panel
            .text
            .whole(format!("[panel] baseline {}: {why}", path.display()))
    };
    let text = read_bounded(path).map_err(|e| match e {
        Unreadable::Io(e) if e.kind() == std::io::ErrorKind::NotFound => refuse(format!(
            "no such file: take one on a deployment known to be good with `baseline --panel {}`",
            panel.source.display()
        )),
        _ => refuse(e.to_string()),
    })?;
    let known = KnownGood::side_from_json(&text, mode.as_str()).map_err(refuse)?;
    Ok(Some(Arc::new(known)))
}

/// The file's text, if it is a regular file of at most [`MAX_BASELINE_BYTES`]: opened without
/// waiting, so a FIFO named as the baseline is refused at once instead of blocking the load,
/// as the panel file itself is.
fn read_bounded(path: &Path) -> Result<String, Unreadable> {
    smoke_core::engine::read_text(path, MAX_BASELINE_BYTES)
}

/// Where `baseline` writes unless told: beside the panel, `herodemo.toml` ->
/// `herodemo.baseline.json`.
pub fn default_path(panel: &Panel) -> PathBuf {
    let stem = panel
        .source
        .file_stem()
        .map_or_else(|| panel.name.clone(), |s| s.to_string_lossy().into_owned());
    panel.source.with_file_name(format!("{stem}.baseline.json"))
}

/// Judges `report` against `known` (the baseline of the side that ran it) by each probe's
/// `drift` setting (`drift_of`), keeping latencies in `history` and since when each probe
/// drifts in `since` (a probe that ran and did not drift leaves it).
pub fn judge(
    known: &SideBaseline,
    panel: &Panel,
    report: &mut RunReport,
    drift_of: impl Fn(&str) -> DriftMode,
    history: Option<&mut LatencyHistory>,
    since: &mut BTreeMap<String, jiff::Timestamp>,
) {
    known.judge(report, panel.latency_drift, history, drift_of);
    for p in report.probes() {
        if p.drift().is_empty() {
            since.remove(p.name());
        } else {
            since
                .entry(p.name().to_string())
                .or_insert(report.started_at());
        }
    }
}

/// Forgets what is kept of probes no longer in the panel or the baseline, once a tick has
/// planned every probe (`planned`).
pub fn forget_gone(
    known: &SideBaseline,
    planned: &std::collections::HashSet<String>,
    history: &mut LatencyHistory,
    since: &mut BTreeMap<String, jiff::Timestamp>,
) {
    let kept = |probe: &str| planned.contains(probe) && known.probes.contains_key(probe);
    history.retain(kept);
    since.retain(|probe, _| kept(probe));
}

/// What `baseline` found.
pub enum Taken {
    /// This side's baseline, and the file to write: `out` as it was, with this side's part
    /// replaced.
    Good { side: SideBaseline, file: KnownGood },
    /// Why none may be written: a tick in which a probe did not pass.
    Refused(NotGood),
}

/// Runs the panel `ticks` times, each probe's answers shaped, and makes this side's baseline
/// into the file at `out` (the other side's part of one already there is kept); refuses at the
/// first tick in which a probe did not pass. Each tick's outcome is said on stderr as it ends.
pub async fn take(
    panel: &Panel,
    side: &dyn Side,
    only: &[String],
    concurrency: usize,
    ticks: usize,
    out: &Path,
) -> Taken {
    let mut runs = Vec::with_capacity(ticks);
    for i in 1..=ticks {
        let mut plan = side.plan(panel, only).await;
        plan.record_shapes();
        let report = run_planned(panel, side, plan, concurrency).await;
        // The refusal is the one line a failing tick gets: no progress line before it.
        if let Some(refused) = NotGood::of(&report, i, ticks) {
            return Taken::Refused(refused);
        }
        smoke_core::say!(
            "baseline tick {i} of {ticks}: {} ({} probes)",
            report.outcome().as_str(),
            report.probes().len()
        );
        runs.push(report);
    }
    let known = match SideBaseline::of(&runs, &panel.vantage) {
        Ok(k) => k,
        Err(e) => return Taken::Refused(e),
    };
    let side_name = smoke_core::engine::Place::mode(side).as_str();
    // The other side's part stays; a file that does not read (another panel's, a hand-edited
    // one) is replaced, and said to be. One not there yet is simply made.
    let kept = match read_bounded(out).map(|t| KnownGood::from_json(&t)) {
        Ok(Ok(k)) if k.panel == panel.name => Some(k),
        Ok(Ok(k)) => {
            let (at, other) = (out.display(), &k.panel);
            smoke_core::say!("{at} was the baseline of panel \"{other}\": replaced");
            None
        }
        Ok(Err(why)) => {
            smoke_core::say!("{} did not read ({why}): replaced", out.display());
            None
        }
        Err(_) => None,
    };
    let mut file = kept.unwrap_or_else(|| KnownGood::new(&panel.name, side_name, known.clone()));
    file.sides.insert(side_name.to_string(), known.clone());
    Taken::Good { side: known, file }
}

/// The baseline of the side `mode`, if the panel has one and that side took its part.
pub fn for_side(known: Option<&Arc<KnownGood>>, mode: Mode) -> Option<&SideBaseline> {
    known?.side(mode.as_str())
}

/// One tick of the panel without a state folder (`run --no-notify`), judged for drift where
/// the side has a baseline: every rule but latency's, which needs the ticks before.
pub async fn run_panel(
    panel: &Panel,
    baseline: Option<&Arc<KnownGood>>,
    side: &dyn Side,
    only: &[String],
    concurrency: usize,
) -> RunReport {
    run_panel_with(panel, baseline, side, only, concurrency, None).await
}

/// [`run_panel`] with the latencies of the ticks before in `history` (and this one's added),
/// so that ticks back to back (`gate --ticks N`) judge latency drift too; without one, latency
/// is not judged.
pub async fn run_panel_with(
    panel: &Panel,
    baseline: Option<&Arc<KnownGood>>,
    side: &dyn Side,
    only: &[String],
    concurrency: usize,
    history: Option<&mut LatencyHistory>,
) -> RunReport {
    let mut plan = side.plan(panel, only).await;
    let known = for_side(baseline, side.mode());
    if known.is_some() {
        plan.record_shapes();
    }
    // Each probe's drift setting, by name: the plan goes to the run.
    let modes: HashMap<String, DriftMode> = match known {
        Some(_) => plan
            .probes()
            .iter()
            .map(|p| {
                let info = p.probe().info();
                (info.name.clone(), info.settings.drift)
            })
            .collect(),
        None => HashMap::new(),
    };
    let mut report = run_planned(panel, side, plan, concurrency).await;
    if let Some(known) = known {
        let mut since = BTreeMap::new();
        let drift_of = |name: &str| modes.get(name).copied().unwrap_or(DriftMode::Off);
        judge(known, panel, &mut report, drift_of, history, &mut since);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_or_a_folder_named_as_the_baseline_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.json");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_bounded(&fifo).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let e = read_bounded(dir.path()).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        std::fs::write(dir.path().join("b.json"), "{}").unwrap();
        assert_eq!(read_bounded(&dir.path().join("b.json")).unwrap(), "{}");
    }
}
