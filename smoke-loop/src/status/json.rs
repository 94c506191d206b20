//! `/status.json`: the page's figures for scripts. Strings are JSON-escaped by serde, so a
//! control character a service sent arrives as `\u001b`, never raw.

use super::{headline, page, past_headline, Sources};
use jiff::Timestamp;
use serde_json::json;
use smoke_core::prelude::Outcome;

/// A probe failing unproven says so (`"proven": false` and since when); the others as before.
fn unproven(since: Option<Timestamp>, mut row: serde_json::Value) -> serde_json::Value {
    if let (Some(since), Some(fields)) = (since, row.as_object_mut()) {
        fields.insert("proven".into(), false.into());
        fields.insert("unproven_since".into(), since.to_string().into());
    }
    row
}

/// Medians in microseconds as the whole milliseconds `latency_p50_ms` has always held, rounded
/// to the nearest.
fn whole_ms(us: &[Option<u32>]) -> Vec<Option<u32>> {
    us.iter()
        .map(|h| h.map(|us| us.saturating_add(500) / 1000))
        .collect()
}

/// The same figures as [`super::status_html`].
pub fn status_json(src: &Sources) -> serde_json::Value {
    let page = page(src);
    let ts = |t: Option<Timestamp>| t.map(|t| t.to_string());
    json!({
        "panel": page.panel,
        "mode": page.mode,
        "last_tick": ts(page.last_tick),
        "outcome": page.outcome.map(Outcome::as_str),
        "every_s": page.every.map(|e| e.as_secs()),
        "stale": page.stale.is_some(),
        "stale_warning": page.stale_warning(),
        "baseline": ts(page.baseline),
        "probes": page.rows.iter().map(|r| unproven(r.unproven_since, json!({
            "name": r.name,
            "outcome": r.outcome.as_str(),
            "cause": r.cause,
            "detail": r.detail,
            "since": ts(r.since),
            "caused_by": r.caused_by,
            "screenshot": r.screenshot,
            "drift": r.drift,
            "drift_since": ts(r.drift_since),
            "uptime_24h": r.uptime_24h,
            "uptime_7d": r.uptime_7d,
            // Oldest first, one per hour up to the last tick's; null for an hour with no tick.
            // The whole milliseconds as before, and beside them the microseconds a probe
            // answering under a millisecond needs.
            "latency_p50_ms": whole_ms(&r.p50_day),
            "latency_p50_ms_7d": whole_ms(&r.p50_week),
            "latency_p50_us": r.p50_day,
            "latency_p50_us_7d": r.p50_week,
            "history": r.ticks.iter().map(|e| json!({
                "at": e.at.to_string(),
                "outcome": e.outcome.as_str(),
            })).collect::<Vec<_>>(),
        }))).collect::<Vec<_>>(),
        "incidents": page.open.iter().map(|o| {
            let i = o.incident;
            json!({
                "probe": o.key,
                "title": headline(o.key, i),
                "group": i.covers.group,
                "members": i.covers.members,
                "affected": i.covers.affected,
                "id": i.id,
                "opened_at": i.opened_at.to_string(),
                "cause": i.cause.map(|c| c.as_str()),
                "detail": o.detail,
                "url": o.url,
            })
        }).collect::<Vec<_>>(),
        "unprobed": page.unprobed,
        "resolved_incidents": page.resolved.iter().map(|p| {
            let i = p.incident;
            json!({
                "key": i.key(),
                "title": past_headline(i),
                "group": i.group(),
                "probes": i.probes(),
                "covered": i.covered(),
                "id": i.id(),
                "opened_at": i.opened_at().to_string(),
                "resolved_at": i.resolved_at().to_string(),
                "duration_s": i.resolved_at().duration_since(i.opened_at()).as_secs(),
                "cause": i.cause().map(|c| c.as_str()),
                "detail": p.detail,
                "url": i.url().map(str::to_string).and_then(super::web_link),
            })
        }).collect::<Vec<_>>(),
    })
}
