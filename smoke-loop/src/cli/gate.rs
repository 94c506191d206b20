//! `gate`: whether this state of the deployment is good (issue 24). It runs the panel N times
//! back to back (`--ticks`, like `run --no-notify`: no state written, no sink told), or runs
//! nothing and reads the running loop's ticks over a window (`--for`); either way it reads the
//! loop's state folder for open incidents, without its lock, as `status` does.
//!
//! What it says goes to stdout: one `good: ...` line (exit 0), a `gate: ...` line per reason
//! (exit 2), or one `gate: cannot tell: ...` line (exit 3). Each tick's outcome as it ends, and
//! a file it could not write, go to stderr as `smoke: ...`.

use super::args::GATE_TICKS;
use super::{state_dir, CliError, GateArgs};
use crate::config::LoopConfig;
use crate::gate::{self, Gathered, Reasons, Verdict, Window};
use smoke_core::engine::shape::LatencyHistory;
use smoke_core::engine::{Mode, Panel, Side};
use std::path::Path;

pub async fn gate(
    panel: &Panel,
    config: &LoopConfig,
    side: &dyn Side,
    mode: Mode,
    args: &GateArgs,
) -> Result<u8, CliError> {
    let dir = state_dir(panel, mode, args.state_dir.as_deref());
    let mut reasons = Reasons::default();
    // Hashed first: the attestation names the files as they were when the gate began.
    let panel_file = hashed(&panel.source, "the panel", &mut reasons);
    let baseline_file = panel
        .baseline
        .as_deref()
        .map(|b| hashed(b, "the baseline", &mut reasons));
    let (gathered, window) = match args.duration {
        None => run_ticks(panel, config, side, args, &mut reasons).await,
        Some(d) => read_window(panel, mode, &dir, d, &mut reasons),
    };
    // After the ticks: an incident the loop resolved meanwhile is no reason.
    match crate::state_dir::read_state(&dir) {
        Ok(state) => reasons.of_incidents(&state.core),
        Err(e) => reasons
            .unknown
            .push(format!("the state folder's incidents: {e}")),
    }
    let verdict = reasons.verdict();
    let judged_drift = crate::known::for_side(config.baseline.as_ref(), mode);
    say(
        panel,
        mode,
        args,
        verdict,
        &reasons,
        &gathered,
        judged_drift.is_some(),
    );

    let mut written = Ok(());
    if let Some(file) = &args.attest {
        let baseline = baseline_file.map(|(path, sha)| {
            serde_json::json!({
                "path": path,
                "sha256": sha,
                "taken": judged_drift.map(|k| k.taken.to_string()),
            })
        });
        let record = serde_json::json!({
            "verdict": verdict.as_str(),
            "smoke": {"version": env!("CARGO_PKG_VERSION"), "commit": env!("SMOKE_COMMIT")},
            "panel": {
                "path": panel_file.0,
                "sha256": panel_file.1,
                "name": panel.name,
                "set": args.panel.set,
            },
            "baseline": baseline,
            "side": mode.as_str(),
            "vantage": panel.vantage,
            "state_dir": absolute(&dir),
            "window": {"from": window.from.to_string(), "to": window.to.to_string()},
            "ticks": gathered.ticks,
            "probes": gate::probes_json(&gathered),
            "reasons": reasons.all(),
        });
        let text = format!("{record:#}\n");
        written = written.and(super::write_file(file, "--attest", text.as_bytes(), 0o644));
    }
    if let Some(file) = &args.junit {
        let suite = gate::junit(&gathered, &panel.name, mode.as_str(), &window);
        let text = smoke_core::engine::junit_suite(&suite);
        written = written.and(super::write_file(file, "--junit", text.as_bytes(), 0o644));
    }
    match written {
        Ok(()) => Ok(verdict.code()),
        Err(e) => {
            eprintln!("smoke: {e}");
            // Not good is still the news; a good gate whose record is lost is no pass.
            Ok(match verdict {
                Verdict::NotGood => 2,
                _ => 3,
            })
        }
    }
}

/// The file's absolute path and its SHA-256; a file that cannot be read is a reason the gate
/// cannot tell (the record would not say what was judged).
fn hashed(path: &Path, what: &str, reasons: &mut Reasons) -> (String, Option<String>) {
    let sha = gate::sha256_file(path)
        .inspect_err(|e| {
            reasons
                .unknown
                .push(format!("{what} {}: {e}", path.display()))
        })
        .ok();
    (absolute(path), sha)
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// `--ticks N`: the panel N times back to back, drift judged with one latency history across
/// them, so a slower service shows in 3 of the last 5.
async fn run_ticks(
    panel: &Panel,
    config: &LoopConfig,
    side: &dyn Side,
    args: &GateArgs,
    reasons: &mut Reasons,
) -> (Gathered, Window) {
    let n = args.ticks.unwrap_or(GATE_TICKS) as usize;
    let mut history = LatencyHistory::default();
    let mut gathered = Gathered::default();
    let mut from = None;
    for i in 1..=n {
        let report = crate::known::run_panel_with(
            panel,
            config.baseline.as_ref(),
            side,
            &args.panel.only,
            args.concurrency,
            Some(&mut history),
        )
        .await;
        from.get_or_insert(report.started_at());
        smoke_core::say!(
            "gate tick {i} of {n}: {} ({} probes)",
            report.outcome().as_str(),
            report.probes().len()
        );
        gathered.add_report(&report);
    }
    reasons.of_probes(&gathered, false);
    let to = jiff::Timestamp::now();
    (
        gathered,
        Window {
            from: from.unwrap_or(to),
            to,
        },
    )
}

/// `--for DURATION`: the loop's ticks of the window, from its results log. The folder must
/// keep a tick older than the window's start (else the window is not covered), one in it, and
/// no stretch of it without a tick for longer than the status page calls a loop stale.
fn read_window(
    panel: &Panel,
    mode: Mode,
    dir: &Path,
    duration: std::time::Duration,
    reasons: &mut Reasons,
) -> (Gathered, Window) {
    let to = jiff::Timestamp::now();
    let from = jiff::SignedDuration::try_from(duration)
        .ok()
        .and_then(|d| to.checked_sub(d).ok())
        .unwrap_or(jiff::Timestamp::MIN);
    let window = Window { from, to };
    let asked = smoke_core::engine::format_duration(duration);
    if !dir.is_dir() {
        reasons.unknown.push(format!(
            "no state folder at {}: no loop has run there (give the loop's --state-dir)",
            dir.display()
        ));
        return (Gathered::default(), window);
    }
    let history = match gate::read_history(dir, &panel.name, mode.as_str(), &window) {
        Ok(h) => h,
        Err(e) => {
            reasons.unknown.push(e.to_string());
            return (Gathered::default(), window);
        }
    };
    let Some(oldest) = history.oldest else {
        reasons.unknown.push(format!(
            "no tick of panel \"{}\" ({}) in {}: the loop has not run there yet",
            panel.name,
            mode.as_str(),
            dir.display()
        ));
        return (history.gathered, window);
    };
    if oldest >= from {
        let kept =
            std::time::Duration::from_secs(to.duration_since(oldest).as_secs().max(0) as u64);
        let shorter = match kept.is_zero() {
            true => String::new(),
            false => format!(
                ", or give --for {} at most",
                smoke_core::engine::format_duration(kept)
            ),
        };
        reasons.unknown.push(format!(
            "the loop's history in {} begins at {}, after the start of the last {asked}: \
             wait until it covers them{shorter}",
            dir.display(),
            gate::moment(oldest),
        ));
    }
    if history.gathered.ticks == 0 {
        let last = history.latest.map(gate::moment).unwrap_or_default();
        reasons.unknown.push(format!(
            "no tick in the last {asked} (the last at {last}): is the loop running?"
        ));
    } else {
        reasons.unknown.extend(history.gap(panel.every));
        reasons.of_probes(&history.gathered, true);
    }
    (history.gathered, window)
}

/// The verdict on stdout: one line when good or when it cannot tell, a line per reason when
/// not good.
fn say(
    panel: &Panel,
    mode: Mode,
    args: &GateArgs,
    verdict: Verdict,
    reasons: &Reasons,
    gathered: &Gathered,
    judged_drift: bool,
) {
    let span = match args.duration {
        Some(d) => format!(" in the last {}", smoke_core::engine::format_duration(d)),
        None => String::new(),
    };
    let drift = match (judged_drift, &panel.baseline) {
        (true, _) => "",
        (false, None) => "; no baseline: drift not judged",
        (false, Some(_)) => "; the baseline has no part for this side: drift not judged",
    };
    match verdict {
        Verdict::Good => println!(
            "good: {} probes clean over {}{span} ({}, vantage {}{drift})",
            gathered.probes.len(),
            gate::ticks(gathered.ticks),
            mode.as_str(),
            smoke_core::engine::Escaped(&panel.vantage)
        ),
        Verdict::NotGood => {
            for line in reasons.all() {
                println!("gate: {line}");
            }
        }
        Verdict::Unknown => {
            let more = match reasons.unknown.len() {
                0 | 1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            let first = reasons.unknown.first().map_or("", String::as_str);
            println!("gate: cannot tell: {first}{more}");
        }
    }
}
