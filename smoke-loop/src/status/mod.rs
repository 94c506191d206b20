//! The status page (`/status`), its JSON twin (`/status.json`) and its terminal summary
//! (`status`): what is broken, since when, and was it like this before. Per probe its latest
//! outcome, its uptime over a day and a week and its latency (from the hourly [`Rollup`]), its
//! last ticks (from the [`History`]); the open incidents first, then the last resolved ones; an
//! overall banner that says when the loop has stopped ticking.
//!
//! The page is one self-contained document (inline CSS and SVG, no script, no external asset)
//! so it loads from a loop on a box with no internet, and reads on a phone. It is written with
//! maud, which escapes every value by construction; text from a service has its control
//! characters written out first ([`smoke_core::engine::escape_controls`]), and a detail read back
//! from the state folder is cut as a tick cuts it ([`smoke_core::engine::cut_detail`]).

mod html;
mod json;
#[cfg(test)]
mod tests;
mod text;

pub use html::status_html;
pub use json::status_json;
pub use text::status_text;

use crate::history::{run_began, Entry, History};
use crate::proving::Proofs;
use crate::rollup::{Rollup, Series};
use jiff::{SignedDuration, Timestamp};
use smoke_core::engine::{group_headline, Incident, PastIncident, State};
use smoke_core::{
    engine::cut_detail,
    prelude::{Outcome, RunReport},
};
use std::collections::{HashMap, HashSet};

/// The last ticks a probe's strip shows, as coloured cells.
pub const STRIP_CELLS: usize = 90;
/// Resolved incidents the page lists, newest first.
pub const RESOLVED_SHOWN: usize = 20;
/// Hours of the short latency line (every screen) and of the long one (wide screens).
pub const DAY_HOURS: usize = 24;
pub const WEEK_HOURS: usize = 7 * 24;
/// The page says the loop is stale when its last tick ended longer ago than this many periods.
pub const STALE_PERIODS: i32 = 2;
/// The most chars of a cause shown in a cell's tooltip: a thousand cells of full details would
/// make a page of megabytes.
const CELL_REASON_CHARS: usize = 160;

/// What a page is made from.
pub struct Sources<'a> {
    /// The latest tick of this process, if it has made one.
    pub report: Option<&'a RunReport>,
    pub history: &'a History,
    pub state: Option<&'a State>,
    /// What each probe proved here: a probe failing unproven is shown as such.
    pub proofs: Option<&'a Proofs>,
    /// What the last whole tick did not probe, and why: no failure, but the page says it.
    pub unprobed: &'a [String],
    pub rollup: Option<&'a Rollup>,
    /// The link of an incident by id, for one whose state holds none (made before links were
    /// kept).
    pub links: &'a dyn Fn(&str) -> Option<String>,
    /// Since when each probe has drifted from the known-good baseline.
    pub drifting: Option<&'a std::collections::BTreeMap<String, Timestamp>>,
    /// When the known-good baseline the probes are judged against was taken, if they are.
    pub baseline: Option<Timestamp>,
    /// The time the page is made: staleness is measured to it.
    pub now: Timestamp,
}

/// What every rendering shows, gathered once.
struct Page<'a> {
    panel: Option<String>,
    mode: Option<String>,
    last_tick: Option<Timestamp>,
    outcome: Option<Outcome>,
    /// The loop period, when known.
    every: Option<SignedDuration>,
    /// How long ago the last tick ended, when that is more than [`STALE_PERIODS`] periods.
    stale: Option<SignedDuration>,
    rows: Vec<Row>,
    open: Vec<Open<'a>>,
    /// Newest first.
    resolved: Vec<Past<'a>>,
    /// What was not probed, and why ([`Sources::unprobed`]), each cut as a detail is: the
    /// state file may hold anything.
    unprobed: Vec<String>,
    /// When the known-good baseline was taken, when the probes are judged against one.
    baseline: Option<Timestamp>,
}

struct Row {
    name: String,
    outcome: Outcome,
    cause: Option<String>,
    detail: Option<String>,
    since: Option<Timestamp>,
    /// The failing probe this one's failure is a symptom of, this tick.
    caused_by: Option<String>,
    /// Since when it has been failing without ever passing here (with its definition of now):
    /// it opened no incident.
    unproven_since: Option<Timestamp>,
    /// The screenshot of its latest tick, when that failed and kept one: a link relative to
    /// the page (`evidence/<probe>/<file>`), as the loop's server serves it.
    screenshot: Option<String>,
    /// What moved from the known-good baseline in its latest tick; empty when nothing did.
    drift: Vec<String>,
    /// Since when it has drifted, when it does.
    drift_since: Option<Timestamp>,
    /// The ticks of the strip, oldest first.
    ticks: Vec<Entry>,
    uptime_24h: Option<f64>,
    uptime_7d: Option<f64>,
    /// Hourly medians in microseconds, oldest first, `None` for an hour with no tick.
    p50_day: Vec<Option<u32>>,
    p50_week: Vec<Option<u32>>,
}

struct Open<'a> {
    key: &'a str,
    incident: &'a Incident,
    /// The incident's detail cut as a tick cuts one: the state file may hold anything.
    detail: String,
    url: Option<String>,
}

struct Past<'a> {
    incident: &'a PastIncident,
    /// Cut as [`Open::detail`].
    detail: String,
}

fn web_link(url: String) -> Option<String> {
    // Only web links: a `javascript:` URL from a misconfigured sink must not become a
    // clickable script.
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

fn page<'a>(src: &Sources<'a>) -> Page<'a> {
    let history = src.history;
    // Each probe's ticks, oldest first. A report the history does not hold yet (the caller
    // renders before pushing it) is added, so the page never lags a tick behind its header.
    let mut probes: Vec<(String, Vec<Entry>)> = match src.report {
        Some(r) => r
            .probes()
            .iter()
            .map(|p| {
                let mut ticks: Vec<Entry> = history
                    .entries(p.name())
                    .map(|e| e.iter().cloned().collect())
                    .unwrap_or_default();
                if ticks.last().is_none_or(|e| e.at < r.started_at()) {
                    ticks.push(Entry::from_probe(p, r.started_at()));
                }
                (p.name().to_string(), ticks)
            })
            .collect(),
        // Before the first tick of this process: the probes as the log last saw them.
        None => history
            .probes()
            .map(|(name, e)| (name.to_string(), e.iter().cloned().collect()))
            .collect(),
    };
    probes.retain(|(_, ticks)| !ticks.is_empty());
    let rollup = src.rollup;
    let last_tick = src.report.map(|r| r.started_at()).or_else(|| {
        probes
            .iter()
            .filter_map(|(_, t)| t.last())
            .map(|e| e.at)
            .chain(rollup.and_then(|r| r.last_tick))
            .max()
    });
    let every = src
        .report
        .and_then(|r| r.every())
        .map(|e| e.as_secs())
        .or_else(|| rollup.and_then(|r| r.every_s))
        .filter(|s| *s > 0)
        .map(|s| SignedDuration::from_secs(s.min(i64::MAX as u64) as i64));
    // Counted from the end of the last tick, not its start: a tick whose retries outlast two
    // periods is slow, not stopped.
    let last_end = match src.report {
        Some(r) => Some(ended(r.started_at(), r.duration_ms())),
        None => probes
            .iter()
            .filter_map(|(_, t)| t.last())
            .map(|e| ended(e.at, std::time::Duration::from_millis(e.duration_ms)))
            .chain(rollup.and_then(|r| r.last_tick))
            .max(),
    };
    let stale = match (last_end, every) {
        (Some(end), Some(every)) => {
            let age = src.now.duration_since(end);
            (age > every * STALE_PERIODS).then_some(age)
        }
        _ => None,
    };
    let causes: HashMap<&str, &str> = src
        .report
        .map(|r| {
            r.probes()
                .iter()
                .filter_map(|p| Some((p.name(), p.caused_by()?)))
                .collect()
        })
        .unwrap_or_default();
    let unproven: HashMap<&str, Timestamp> = src
        .proofs
        .map(|p| crate::proving::unproven(p).collect())
        .unwrap_or_default();
    let end = last_tick.unwrap_or(src.now);
    let empty = Series::default();
    let rows: Vec<Row> = probes
        .into_iter()
        .map(|(name, mut ticks)| {
            let latest = ticks.last().expect("empty histories were dropped").clone();
            let since = run_began(ticks.iter(), latest.outcome);
            let over = ticks.len().saturating_sub(STRIP_CELLS);
            ticks.drain(..over);
            let series = rollup.and_then(|r| r.probes.get(&name)).unwrap_or(&empty);
            Row {
                caused_by: causes.get(name.as_str()).map(|r| r.to_string()),
                unproven_since: unproven.get(name.as_str()).copied(),
                uptime_24h: series.uptime(end, DAY_HOURS),
                uptime_7d: series.uptime(end, WEEK_HOURS),
                p50_day: series.p50_series(end, DAY_HOURS),
                p50_week: series.p50_series(end, WEEK_HOURS),
                screenshot: latest
                    .evidence
                    .as_deref()
                    .map(|file| crate::evidence::link(&name, file)),
                drift_since: (!latest.drift.is_empty())
                    .then(|| src.drifting.and_then(|d| d.get(&name)).copied())
                    .flatten(),
                drift: latest.drift,
                name,
                outcome: latest.outcome,
                cause: latest.cause,
                detail: latest.detail,
                since,
                ticks,
            }
        })
        .collect();
    let rows = under_roots(rows);
    let source = history.source();
    let open = src
        .state
        .map(|s| {
            s.incidents
                .iter()
                .map(|(key, incident)| Open {
                    key,
                    incident,
                    detail: cut_detail(&incident.detail),
                    url: incident
                        .url
                        .clone()
                        .or_else(|| (src.links)(&incident.id))
                        .and_then(web_link),
                })
                .collect()
        })
        .unwrap_or_default();
    let resolved = src
        .state
        .map(|s| {
            s.log
                .iter()
                .rev()
                .take(RESOLVED_SHOWN)
                .map(|incident| Past {
                    incident,
                    detail: cut_detail(incident.detail()),
                })
                .collect()
        })
        .unwrap_or_default();
    Page {
        panel: src
            .report
            .map(|r| r.panel().to_string())
            .or_else(|| source.map(|s| s.0.to_string()))
            .or_else(|| rollup.and_then(|r| r.panel.clone())),
        mode: src
            .report
            .map(|r| r.mode().to_string())
            .or_else(|| source.map(|s| s.1.to_string()))
            .or_else(|| rollup.and_then(|r| r.mode.clone())),
        last_tick,
        outcome: src
            .report
            .map(|r| r.outcome())
            .or_else(|| rows.iter().map(|r| r.outcome).max()),
        every,
        stale,
        rows,
        open,
        resolved,
        unprobed: src
            .unprobed
            .iter()
            .take(crate::loop_state::UNPROBED_KEPT)
            .map(|l| cut_detail(l))
            .collect(),
        baseline: src.baseline,
    }
}

/// When a tick that started `at` and took `took` ended; `at` where that would pass the end of
/// time.
fn ended(at: Timestamp, took: std::time::Duration) -> Timestamp {
    smoke_core::engine::later(at, took).unwrap_or(at)
}

/// Each caused-by row right after its root's, so a page of one outage reads as one block.
fn under_roots(rows: Vec<Row>) -> Vec<Row> {
    let names: HashSet<String> = rows.iter().map(|r| r.name.clone()).collect();
    let (children, roots): (Vec<Row>, Vec<Row>) = rows
        .into_iter()
        .partition(|r| r.caused_by.as_ref().is_some_and(|c| names.contains(c)));
    let mut by_root: HashMap<String, Vec<Row>> = HashMap::new();
    for c in children {
        let root = c.caused_by.clone().unwrap_or_default();
        by_root.entry(root).or_default().push(c);
    }
    // What is broken first: on a phone it is what shows without scrolling.
    let (broken, fine): (Vec<Row>, Vec<Row>) =
        roots.into_iter().partition(|r| r.outcome != Outcome::Ok);
    let mut out = Vec::with_capacity(names.len());
    for r in broken.into_iter().chain(fine) {
        let mine = by_root.remove(&r.name).unwrap_or_default();
        out.push(r);
        out.extend(mine);
    }
    out
}

impl Page<'_> {
    fn title(&self) -> String {
        let title = format!(
            "{} {}",
            self.panel.as_deref().unwrap_or("smoke"),
            self.mode.as_deref().unwrap_or("")
        );
        title.trim().to_string()
    }

    fn outcome_str(&self) -> &'static str {
        self.outcome.map(Outcome::as_str).unwrap_or("unknown")
    }

    /// "3 of 40 probes not ok", or "all 40 probes ok".
    fn verdict(&self) -> String {
        let bad = self
            .rows
            .iter()
            .filter(|r| r.outcome != Outcome::Ok)
            .count();
        match (bad, self.rows.len()) {
            (_, 0) => "no probe seen yet".to_string(),
            (0, 1) => "the probe is ok".to_string(),
            (0, n) => format!("all {n} probes ok"),
            (bad, n) => format!("{bad} of {n} not ok"),
        }
    }

    /// "the last tick ended 25m ago, more than 2 periods (1m each); is the loop running?"
    fn stale_warning(&self) -> Option<String> {
        let age = self.stale?;
        Some(format!(
            "stale: the last tick ended {} ago, more than {STALE_PERIODS} periods ({} each); is the loop running?",
            span(age),
            span(self.every.unwrap_or_default())
        ))
    }
}

/// A median of the rollup as a person reads it: `0.4 ms`, `12 ms`, `1.2 s`.
fn latency(us: u32) -> String {
    smoke_core::engine::format_latency(std::time::Duration::from_micros(u64::from(us)))
}

fn time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A duration in the two largest units a person reads: `3h 12m`, `2d 1h`, `40s`.
fn span(d: SignedDuration) -> String {
    smoke_core::engine::format_span(d.as_secs().max(0).unsigned_abs(), false)
}

fn reason(cause: Option<&str>, detail: Option<&str>) -> String {
    match (cause, detail) {
        (Some(c), Some(d)) => format!("{c}: {d}"),
        (Some(c), None) => c.to_string(),
        (None, Some(d)) => d.to_string(),
        (None, None) => String::new(),
    }
}

/// "99.95%": two decimals, rounded down so a failure is never rounded away (99.999% shows as
/// 99.99%, only no failure as 100%); "-" for no counted tick.
fn percent(share: Option<f64>) -> String {
    match share {
        None => "-".to_string(),
        Some(s) if s >= 1.0 => "100%".to_string(),
        Some(s) => format!("{:.2}%", (s * 10_000.0).floor() / 100.0),
    }
}

/// A cell's tooltip: its time, outcome and cause, the cause cut to [`CELL_REASON_CHARS`].
fn cell_title(e: &Entry) -> String {
    let full = reason(e.cause.as_deref(), e.detail.as_deref());
    let mut why: String = full.chars().take(CELL_REASON_CHARS).collect();
    if why.len() < full.len() {
        why.push('…');
    }
    if why.is_empty() {
        format!("{} {}", time(e.at), e.outcome)
    } else {
        format!("{} {}: {why}", time(e.at), e.outcome)
    }
}

/// "biz-persons", or a group's "6 probes fail with HTTP 502 Bad Gateway".
fn headline(key: &str, i: &Incident) -> String {
    match &i.covers.group {
        Some(g) => group_headline(g, i.cause, i.covers.members.len() + i.covers.affected.len()),
        None => key.to_string(),
    }
}

fn past_headline(p: &PastIncident) -> String {
    match &p.group() {
        Some(g) => group_headline(g, p.cause(), p.covered()),
        None => p.key().to_string(),
    }
}
