//! The page's summary for a terminal (`status`): the banner, the open incidents, each probe with
//! its uptime and latency, the last resolved incidents. Every line has its control characters
//! written out: a service's detail cannot move the cursor or set the title of the terminal.

use super::{headline, latency, page, past_headline, percent, reason, span, time, Sources};
use smoke_core::engine::Escaped;
use std::fmt::Write;

/// Resolved incidents the terminal summary lists (the page lists more).
const RESOLVED_LINES: usize = 5;

/// The summary, one line per fact.
pub fn status_text(src: &Sources) -> String {
    let page = page(src);
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", Escaped(&page.title()), page.outcome_str());
    let _ = writeln!(
        out,
        "{}, {}",
        page.verdict(),
        page.last_tick
            .map_or("no tick yet".to_string(), |t| format!(
                "last tick {}",
                time(t)
            ))
    );
    if let Some(warning) = page.stale_warning() {
        let _ = writeln!(out, "{}", warning.to_uppercase());
    }
    if let Some(taken) = page.baseline {
        let _ = writeln!(
            out,
            "judged against the known-good baseline of {}",
            time(taken)
        );
    }
    let _ = writeln!(out, "\nopen incidents: {}", page.open.len());
    for o in &page.open {
        let i = o.incident;
        let ago = page
            .last_tick
            .map(|t| format!(" ({})", span(t.duration_since(i.opened_at))))
            .unwrap_or_default();
        let why = reason(
            i.cause.map(|c| c.as_str()),
            (!o.detail.is_empty()).then_some(o.detail.as_str()),
        );
        let _ = writeln!(
            out,
            "  {}  since {}{ago}  {}",
            Escaped(&headline(o.key, i)),
            time(i.opened_at),
            Escaped(&why)
        );
        if !i.covers.affected.is_empty() {
            let names = smoke_core::engine::name_list(i.covers.affected.iter(), 20);
            let _ = writeln!(out, "    affected: {}", Escaped(&names));
        }
        if let Some(url) = &o.url {
            let _ = writeln!(out, "    {}", Escaped(url));
        }
    }
    let width = page.rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let _ = writeln!(
        out,
        "\nprobes (uptime 24 h, 7 d; p50 latency of the last hour):"
    );
    for r in &page.rows {
        let p50 = r
            .p50_day
            .iter()
            .rev()
            .flatten()
            .next()
            .map_or("-".to_string(), |us| latency(*us));
        let mut why = reason(r.cause.as_deref(), r.detail.as_deref());
        if let Some(since) = r.unproven_since {
            why = format!("unproven, never passed here since {}: {why}", time(since));
        }
        let line = format!(
            "  {:<8} {:<width$}  {:>7} {:>7}  {:>8}  {}",
            r.outcome.as_str(),
            Escaped(&r.name).to_string(),
            percent(r.uptime_24h),
            percent(r.uptime_7d),
            p50,
            Escaped(&why),
        );
        let _ = writeln!(out, "{}", line.trim_end());
        if !r.drift.is_empty() {
            let since = r
                .drift_since
                .map(|s| format!(" since {}", time(s)))
                .unwrap_or_default();
            let _ = writeln!(out, "    drift{since}:");
            for line in &r.drift {
                let _ = writeln!(out, "      {}", Escaped(line));
            }
        }
    }
    if !page.unprobed.is_empty() {
        let _ = writeln!(out, "\nnot probed:");
        for line in &page.unprobed {
            let _ = writeln!(out, "  {}", Escaped(line));
        }
    }
    if !page.resolved.is_empty() {
        let _ = writeln!(out, "\nresolved incidents (latest {}):", RESOLVED_LINES);
        for p in page.resolved.iter().take(RESOLVED_LINES) {
            let i = p.incident;
            let _ = writeln!(
                out,
                "  {}  {}, lasted {}",
                Escaped(&past_headline(i)),
                time(i.opened_at()),
                span(i.resolved_at().duration_since(i.opened_at()))
            );
        }
    }
    out
}
