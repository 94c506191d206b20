//! `watch`: the loop. A tick at start, then every `panel.every` with ±10% jitter; a tick that
//! overruns skips the slots it missed rather than bunching them; SIGHUP reloads the panel (a
//! broken file keeps the old one and says why); SIGTERM or SIGINT stop within 5 s with the state
//! saved. The state folder stays locked for the loop's life, so a second loop is refused.

use super::serve::{router, Live, SharedLive};
use super::{
    load, state_dir, tick_options, tick_with_state, CliError, MakeSide, TickError, TickFault,
    WatchArgs,
};
use crate::config::LoopConfig;
use crate::history::History;
use crate::loop_state::LoopState;
use crate::notify::{Notifier, NotifierError};
use crate::server::serve;
use crate::state_dir::StateDir;
use futures_util::FutureExt;
use smoke_core::engine::{Mode, Panel, Side};
use smoke_core::{engine::render, prelude::HumanStyle};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::time::Instant;

/// How long SIGTERM waits for a tick in progress before leaving it (its state is saved at
/// every step, so leaving is safe).
const STOP_WAIT: Duration = Duration::from_secs(4);

pub async fn watch(
    mut panel: Panel,
    mut config: LoopConfig,
    mut side: Arc<dyn Side>,
    mode: Mode,
    make: MakeSide,
    args: WatchArgs,
) -> Result<u8, CliError> {
    if args.run.verbose {
        super::say_where(&panel, mode);
    }
    let dir = StateDir::open(&state_dir(&panel, mode, args.run.state_dir.as_deref()))?;
    let mut notifier = notifier_for(&panel, &config, mode, args.run.no_notify)?;
    if let Some(warning) = super::several_forges(&panel, &config) {
        eprintln!("smoke: warning: {warning}");
    }
    let rollup = crate::rollup::Kept::of(dir.path());
    let loaded = dir.load()?;
    let live: SharedLive = Arc::new(RwLock::new(Live {
        report: None,
        state: loaded.core,
        proofs: loaded.proofs,
        unprobed: loaded.unprobed,
        history: History::load(dir.path(), window(&panel)).unwrap_or_else(|e| {
            eprintln!("smoke: {e}; the status page starts with no past ticks");
            History::new(window(&panel))
        }),
        rollup: Some(rollup.shared()),
        links: BTreeMap::new(),
        last_tick: None,
        started: std::time::Instant::now(),
        stale_after: panel.every * 3,
        state_dir: dir.path().to_path_buf(),
        drifting: loaded.drifting,
        baseline: loaded.baseline_taken,
    }));
    if let Some(addr) = args.listen {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| CliError::Listen { addr, source })?;
        eprintln!("smoke: serving /metrics, /status, /status.json and /healthz on http://{addr}");
        // Its own task, never awaited by a tick: whatever a client does to it, the loop goes on.
        tokio::spawn(serve(listener, router(live.clone())));
    }
    let on = |kind: SignalKind, name: &'static str| {
        signal(kind).map_err(|source| CliError::Signal { name, source })
    };
    let mut hup = on(SignalKind::hangup(), "SIGHUP")?;
    let mut term = on(SignalKind::terminate(), "SIGTERM")?;
    let mut int = on(SignalKind::interrupt(), "SIGINT")?;
    let mut seed = u64::from(std::process::id()) ^ jiff::Timestamp::now().as_nanosecond() as u64;
    let mut next = Instant::now();
    eprintln!(
        "smoke: watching panel \"{}\" ({} side) every {}",
        panel.name,
        mode.as_str(),
        smoke_core::engine::format_duration(panel.every)
    );
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {
                let opts = tick_options(&args.run);
                let tick = async {
                    if args.run.no_notify {
                        // A look only, as with run: no incident moves, nothing is owed.
                        let r = smoke_core::engine::run_panel(&panel, side.as_ref(), opts.only, opts.concurrency).await;
                        dir.load().map(|s| (r, s)).map_err(TickError::from)
                    } else {
                        tick_with_state(&panel, &config, side.as_ref(), &opts, &notifier, &dir, &rollup).await
                    }
                };
                // A panic in a tick is a bug, but it must not silence the monitor: the tick
                // counts as failed and the loop goes on.
                let tick = std::panic::AssertUnwindSafe(tick).catch_unwind().map(|r| {
                    r.unwrap_or_else(|p| {
                        let why = smoke_core::engine::panic_message(&*p).to_string();
                        Err(TickError { report: None, error: TickFault::Panicked(why) })
                    })
                });
                tokio::pin!(tick);
                let done = tokio::select! {
                    r = &mut tick => Some(r),
                    _ = term.recv() => None,
                    _ = int.recv() => None,
                };
                let Some(result) = done else {
                    let _ = tokio::time::timeout(STOP_WAIT, tick).await;
                    eprintln!("smoke: stopped");
                    return Ok(0);
                };
                match result {
                    Ok((report, state)) => publish(&live, &config, &args, report, state),
                    Err(e) => smoke_core::say!("tick failed: {e}"),
                }
                next = schedule(next, panel.every, &mut seed);
            }
            _ = hup.recv() => {
                let reload = || {
                    load(&args.run.panel, mode).and_then(|(p, c)| {
                        let s = make(&p).map_err(CliError::Side)?;
                        let n = notifier_for(&p, &c, mode, args.run.no_notify)?;
                        Ok((p, c, s, n))
                    })
                };
                // A reload that panics is a reload that failed: the old panel stays.
                let reloaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(reload))
                    .unwrap_or_else(|p| Err(CliError::ReloadPanicked(smoke_core::engine::panic_message(&*p).to_string())));
                match reloaded {
                    Ok((p, c, s, n)) => {
                        eprintln!("smoke: reloaded {} ({} probes)", p.source.display(), p.probes.len());
                        (panel, config, side, notifier) = (p, c, s, n);
                        let mut l = live.write().unwrap_or_else(|e| e.into_inner());
                        l.stale_after = panel.every * 3;
                    }
                    Err(e) => eprintln!("smoke: reload failed, the old panel stays: {e}"),
                }
            }
            _ = term.recv() => { eprintln!("smoke: stopped"); return Ok(0); }
            _ = int.recv() => { eprintln!("smoke: stopped"); return Ok(0); }
        }
    }
}

fn notifier_for(
    panel: &Panel,
    config: &LoopConfig,
    mode: Mode,
    quiet: bool,
) -> Result<Notifier, NotifierError> {
    if quiet {
        Ok(Notifier::log_only())
    } else {
        Notifier::from_config(panel, config, mode)
    }
}

/// Ticks in 24 hours: the status page's strip.
fn window(panel: &Panel) -> usize {
    let per_day = 86_400 / panel.every.as_secs().max(1);
    (per_day as usize).clamp(12, 2_000)
}

/// The next slot: one period (±10%) after the last; slots already past are skipped, never
/// run back to back.
fn schedule(last: Instant, every: Duration, seed: &mut u64) -> Instant {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let jitter = ((*seed >> 33) % 2001) as f64 / 1000.0 - 1.0; // -1.0 ..= 1.0
    let period = every.mul_f64(1.0 + 0.1 * jitter);
    let mut next = last + period;
    let now = Instant::now();
    while next <= now {
        next += every;
    }
    next
}

fn publish(
    live: &SharedLive,
    config: &LoopConfig,
    args: &WatchArgs,
    report: smoke_core::prelude::RunReport,
    state: LoopState,
) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(render(&report, args.run.format, HumanStyle::default()).as_bytes());
    let _ = out.flush();
    let links = links(config, &state);
    let mut l = live.write().unwrap_or_else(|e| e.into_inner());
    l.history.push(&report);
    l.report = Some(report);
    l.state = state.core;
    l.proofs = state.proofs;
    l.unprobed = state.unprobed;
    l.drifting = state.drifting;
    l.baseline = state.baseline_taken;
    l.links = links;
    l.last_tick = Some(std::time::Instant::now());
}

/// Where a person follows each open incident (its forge issue), for the status page.
fn links(config: &LoopConfig, state: &LoopState) -> BTreeMap<String, String> {
    let mut links = BTreeMap::new();
    for n in &config.notify {
        for (incident, handle) in state.handles.get(&n.name).into_iter().flatten() {
            if let Some(link) = n.config.link(*handle) {
                links.insert(incident.clone(), link);
            }
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_keep_their_period_with_jitter_and_skip_what_was_missed() {
        let mut seed = 7;
        let every = Duration::from_secs(600);
        let start = Instant::now();
        for _ in 0..50 {
            let next = schedule(start, every, &mut seed);
            let gap = next - start;
            assert!(
                gap >= Duration::from_secs(540) && gap <= Duration::from_secs(660),
                "{gap:?}"
            );
        }
        let long_ago = Instant::now() - Duration::from_secs(3600);
        let next = schedule(long_ago, every, &mut seed);
        assert!(
            next > Instant::now(),
            "missed slots are skipped, not run back to back"
        );
    }
}
