//! The status page (`/status`) and its JSON twin (`/status.json`): where each probe stands, since
//! when, its last day of ticks, and the open incidents.
//!
//! The page is one self-contained document (inline CSS, no script, no external asset) so it
//! loads from a loop on a box with no internet, and reads on a phone.

use crate::history::{run_began, Entry, History};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use smoke_core::incident::{group_headline, name_list, Incident, State};
use smoke_core::outcome::{Outcome, RunReport};
use smoke_core::report::escape;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// How far back the strip of ticks reaches.
const STRIP: SignedDuration = SignedDuration::from_hours(24);
/// The most cells a strip shows (24 h of 5-minute ticks): with faster ticks the page shows the
/// latest ones, so its size does not grow with the tick rate.
pub const STRIP_CELLS: usize = 288;

/// What both renderings show, gathered once.
struct Page<'a> {
    panel: Option<String>,
    mode: Option<String>,
    last_tick: Option<Timestamp>,
    outcome: Option<Outcome>,
    rows: Vec<Row>,
    incidents: Vec<(&'a str, &'a Incident)>,
}

struct Row {
    name: String,
    outcome: Outcome,
    cause: Option<String>,
    detail: Option<String>,
    since: Option<Timestamp>,
    /// The failing probe this one's failure is a symptom of, this tick.
    caused_by: Option<String>,
    /// The ticks of the strip, oldest first.
    ticks: Vec<Entry>,
}

fn page<'a>(report: Option<&RunReport>, history: &History, state: Option<&'a State>) -> Page<'a> {
    // Each probe's ticks, oldest first. A report the history does not hold yet (the caller
    // renders before pushing it) is added, so the page never lags a tick behind its header.
    let mut probes: Vec<(String, Vec<Entry>)> = match report {
        Some(r) => r
            .probes
            .iter()
            .map(|p| {
                let mut ticks: Vec<Entry> = history
                    .entries(&p.name)
                    .map(|e| e.iter().cloned().collect())
                    .unwrap_or_default();
                if ticks.last().is_none_or(|e| e.at < r.started_at) {
                    ticks.push(Entry::from_probe(p, r.started_at));
                }
                (p.name.clone(), ticks)
            })
            .collect(),
        // Before the first tick of this process: the probes as the log last saw them.
        None => history
            .probes()
            .map(|(name, e)| (name.to_string(), e.iter().cloned().collect()))
            .collect(),
    };
    probes.retain(|(_, ticks)| !ticks.is_empty());
    let last_tick = report.map(|r| r.started_at).or_else(|| {
        probes
            .iter()
            .filter_map(|(_, t)| t.last())
            .map(|e| e.at)
            .max()
    });
    let causes: HashMap<&str, &str> = report
        .map(|r| {
            r.probes
                .iter()
                .filter_map(|p| Some((p.name.as_str(), p.caused_by.as_deref()?)))
                .collect()
        })
        .unwrap_or_default();
    let rows: Vec<Row> = probes
        .into_iter()
        .map(|(name, mut ticks)| {
            let latest = ticks.last().expect("empty histories were dropped").clone();
            let since = run_began(ticks.iter(), latest.outcome);
            if let Some(end) = last_tick {
                let start = end.checked_sub(STRIP).unwrap_or(Timestamp::MIN);
                ticks.retain(|e| e.at > start);
            }
            let over = ticks.len().saturating_sub(STRIP_CELLS);
            ticks.drain(..over);
            Row {
                caused_by: causes.get(name.as_str()).map(|r| r.to_string()),
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
    Page {
        panel: report
            .map(|r| r.panel.clone())
            .or_else(|| source.map(|s| s.0.to_string())),
        mode: report
            .map(|r| r.mode.clone())
            .or_else(|| source.map(|s| s.1.to_string())),
        last_tick,
        outcome: report
            .map(|r| r.outcome)
            .or_else(|| rows.iter().map(|r| r.outcome).max()),
        rows,
        incidents: state
            .map(|s| s.incidents.iter().map(|(k, i)| (k.as_str(), i)).collect())
            .unwrap_or_default(),
    }
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
    let mut out = Vec::with_capacity(names.len());
    for r in roots {
        let mine = by_root.remove(&r.name).unwrap_or_default();
        out.push(r);
        out.extend(mine);
    }
    out
}

fn time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A duration in the two largest units a person reads: `3h 12m`, `2d 1h`, `40s`.
fn span(d: SignedDuration) -> String {
    smoke_core::units::format_span(d.as_secs().max(0).unsigned_abs(), false)
}

fn reason(cause: Option<&str>, detail: Option<&str>) -> String {
    match (cause, detail) {
        (Some(c), Some(d)) => format!("{c}: {d}"),
        (Some(c), None) => c.to_string(),
        (None, Some(d)) => d.to_string(),
        (None, None) => String::new(),
    }
}

const STYLE: &str = "\
body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}\
header{padding:.8em 1em;color:#fff;background:#555}\
header.ok{background:#2e7d32}header.degraded{background:#b26a00}\
header.fail{background:#c62828}header.error{background:#6a1b9a}\
h1{font-size:1.3em;margin:0}h2{font-size:1.1em;margin:1.2em 0 .4em}\
main{padding:0 1em 1em}table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #ddd;vertical-align:top}\
td.detail{word-break:break-word}tr.caused td:first-child{padding-left:1.6em;color:#555}\
.badge{display:inline-block;padding:0 .4em;border-radius:3px;color:#fff;font-size:.85em}\
.ok{background:#2e7d32}.degraded{background:#e0a000}.fail{background:#c62828}.error{background:#6a1b9a}\
.strip{display:flex;justify-content:flex-end;overflow:hidden;height:1.2em;min-width:8em}\
.cell{flex:0 1 .5em;min-width:1px;margin-left:1px}\
@media (max-width:40em){thead{display:none}tr,td{display:block}td{border:0;padding:.15em .5em}\
tr{border-bottom:1px solid #ccc;padding:.4em 0}}";

/// The status page. `links` gives the URL of an incident (its forge issue), if any; only
/// http(s) URLs are linked.
pub fn status_html(
    report: Option<&RunReport>,
    history: &History,
    state: Option<&State>,
    links: &dyn Fn(&str) -> Option<String>,
) -> String {
    let page = page(report, history, state);
    let outcome = page.outcome.map(Outcome::as_str).unwrap_or("unknown");
    let title = format!(
        "{} {}",
        page.panel.as_deref().unwrap_or("smoke"),
        page.mode.as_deref().unwrap_or("")
    );
    let title = escape(title.trim());
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}: {outcome}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header class=\"{outcome}\"><h1>{title}: {outcome}</h1><p>"
    );
    match page.last_tick {
        Some(t) => {
            let failing = page
                .rows
                .iter()
                .filter(|r| r.outcome != Outcome::Ok)
                .count();
            let _ = write!(
                out,
                "last tick {}, {failing} of {} not ok",
                time(t),
                page.rows.len()
            );
        }
        None => out.push_str("no tick yet"),
    }
    out.push_str("</p></header>\n<main>\n<h2>Probes</h2>\n<table>\n<thead><tr><th>probe</th><th>state</th><th>cause</th><th>since</th><th>recent ticks</th></tr></thead>\n<tbody>\n");
    for r in &page.rows {
        let state = r.outcome.as_str();
        let mut why = reason(r.cause.as_deref(), r.detail.as_deref());
        let class = match &r.caused_by {
            Some(root) => {
                why = format!("(caused by {root}) {why}");
                " class=\"caused\""
            }
            None => "",
        };
        let _ = write!(
            out,
            "<tr data-probe=\"{name}\" data-state=\"{state}\"{class}><td>{name}</td>\
             <td><span class=\"badge {state}\">{state}</span></td><td class=\"detail\">{}</td><td>",
            escape(&why),
            name = escape(&r.name),
        );
        if let (Some(since), Some(now)) = (r.since, page.last_tick) {
            let _ = write!(out, "{} ({})", time(since), span(now.duration_since(since)));
        }
        out.push_str("</td><td><div class=\"strip\">");
        for e in &r.ticks {
            let what = match reason(e.cause.as_deref(), e.detail.as_deref()) {
                w if w.is_empty() => e.outcome.to_string(),
                w => w,
            };
            let _ = write!(
                out,
                "<span class=\"cell {}\" title=\"{}\"></span>",
                e.outcome,
                escape(&format!("{}: {what}", time(e.at)))
            );
        }
        out.push_str("</div></td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n<h2>Open incidents</h2>\n");
    if page.incidents.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str("<table>\n<thead><tr><th>incident</th><th>opened</th><th>cause</th><th>probes</th><th>issue</th></tr></thead>\n<tbody>\n");
        for (key, i) in &page.incidents {
            let cause = i.cause.map(|c| c.as_str());
            let detail = (!i.detail.is_empty()).then_some(i.detail.as_str());
            let _ = write!(
                out,
                "<tr data-incident=\"{}\"><td>{}</td><td>{}</td><td class=\"detail\">{}</td><td>{}</td><td>",
                escape(&i.id),
                escape(&headline(key, i)),
                time(i.opened_at),
                escape(&reason(cause, detail)),
                escape(&name_list(i.covers.members.iter().chain(&i.covers.affected), 20)),
            );
            // Only web links: a `javascript:` URL from a misconfigured sink must not become
            // a clickable script.
            match links(&i.id).filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
                Some(url) => {
                    let _ = write!(out, "<a href=\"{}\">issue</a>", escape(&url));
                }
                None => out.push('-'),
            }
            out.push_str("</td></tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// "biz-persons", or a group's "6 probes fail with HTTP 502 Bad Gateway".
fn headline(key: &str, i: &Incident) -> String {
    match &i.covers.group {
        Some(g) => group_headline(g, i.cause, i.covers.members.len() + i.covers.affected.len()),
        None => key.to_string(),
    }
}

/// The same as [`status_html`], for scripts and other pages.
pub fn status_json(
    report: Option<&RunReport>,
    history: &History,
    state: Option<&State>,
) -> serde_json::Value {
    let page = page(report, history, state);
    let ts = |t: Option<Timestamp>| t.map(|t| t.to_string());
    json!({
        "panel": page.panel,
        "mode": page.mode,
        "last_tick": ts(page.last_tick),
        "outcome": page.outcome.map(Outcome::as_str),
        "probes": page.rows.iter().map(|r| json!({
            "name": r.name,
            "outcome": r.outcome.as_str(),
            "cause": r.cause,
            "detail": r.detail,
            "since": ts(r.since),
            "caused_by": r.caused_by,
            "history": r.ticks.iter().map(|e| json!({
                "at": e.at.to_string(),
                "outcome": e.outcome.as_str(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "incidents": page.incidents.iter().map(|(key, i)| json!({
            "probe": key,
            "title": headline(key, i),
            "group": i.covers.group,
            "members": i.covers.members,
            "affected": i.covers.affected,
            "id": i.id,
            "opened_at": i.opened_at.to_string(),
            "cause": i.cause.map(|c| c.as_str()),
            "detail": i.detail,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoke_core::incident::ProbeState;
    use smoke_core::outcome::Cause;
    use smoke_core::report::fixture;

    const ID: &str = "herodemo/internal/biz-persons/1";

    fn state() -> State {
        let mut s = State::default();
        s.probes.insert(
            "biz-persons".into(),
            ProbeState {
                failures: 2,
                successes: 0,
            },
        );
        let mut incident = Incident::new(
            ID.into(),
            Timestamp::from_second(fixture::STARTED - 600).unwrap(),
            Default::default(),
            vec!["biz-persons".into()],
        );
        incident.cause = Some(Cause::Assertion);
        incident.detail = "no persons".into();
        s.incidents.insert("biz-persons".into(), incident);
        s.probes.insert("os-ui".into(), ProbeState::default());
        s
    }

    /// Ticks every 5 minutes for 25 hours before the fixture's, biz-persons failing for the
    /// last 10 minutes of them.
    fn history() -> History {
        let mut h = History::new(1000);
        for i in (1..=300).rev() {
            let mut tick = fixture::report();
            tick.started_at = Timestamp::from_second(fixture::STARTED - i * 300).unwrap();
            for p in &mut tick.probes {
                if !(p.name == "biz-persons" && i <= 2) {
                    *p = smoke_core::outcome::ProbeReport::new(p.name.clone());
                }
            }
            h.push(&tick);
        }
        h
    }

    fn links(id: &str) -> Option<String> {
        (id == ID).then(|| "https://forge.test/ops/smoke/issues/7".to_string())
    }

    #[test]
    fn a_row_per_probe_with_its_state_strip_and_since() {
        let report = fixture::report();
        let html = status_html(Some(&report), &history(), Some(&state()), &links);
        assert!(html.contains("<meta name=\"viewport\""));
        assert!(html.contains("<header class=\"error\"><h1>herodemo internal: error</h1>"));
        assert!(html.contains("last tick 2025-06-15 15:06:40 UTC, 3 of 4 not ok"));
        for (probe, state) in [
            ("os-ui", "ok"),
            ("public-site", "degraded"),
            ("biz-persons", "fail"),
            ("photos", "error"),
        ] {
            assert!(
                html.contains(&format!(
                    "<tr data-probe=\"{probe}\" data-state=\"{state}\">"
                )),
                "{probe}"
            );
        }
        // biz-persons failed the two ticks before this one too: since 10 minutes.
        assert!(html.contains("2025-06-15 14:56:40 UTC (10m)"), "{html}");
        // 24 h of ticks every 5 minutes (287 of the history, then this one), no older.
        let row = html.split("data-probe=\"os-ui\"").nth(1).unwrap();
        let row = row.split("</tr>").next().unwrap();
        assert_eq!(row.matches("<span class=\"cell ").count(), 288);
        assert!(row.contains("<span class=\"cell ok\" title=\"2025-06-15 15:06:40 UTC: ok\">"));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn an_hour_of_one_second_ticks_shows_the_latest_cells_and_the_page_stays_small() {
        let mut h = History::new(2_000);
        for i in (1..=3_600).rev() {
            let mut tick = fixture::report();
            tick.started_at = Timestamp::from_second(fixture::STARTED - i).unwrap();
            h.push(&tick);
        }
        let report = fixture::report();
        let html = status_html(Some(&report), &h, Some(&state()), &links);
        for row in html.split("<tr data-probe=").skip(1) {
            let row = row.split("</tr>").next().unwrap();
            assert_eq!(row.matches("<span class=\"cell ").count(), STRIP_CELLS);
        }
        assert!(html.len() < 200_000, "{} bytes", html.len());
        let json = status_json(Some(&report), &h, Some(&state()));
        for p in json["probes"].as_array().unwrap() {
            assert_eq!(p["history"].as_array().unwrap().len(), STRIP_CELLS);
        }
    }

    #[test]
    fn text_is_escaped_and_an_open_incident_is_linked() {
        let mut report = fixture::report();
        report.probes[2].detail = Some("<script>alert(\"x\")</script>".into());
        let html = status_html(Some(&report), &History::new(10), Some(&state()), &links);
        assert!(!html.contains("<script>"));
        assert!(html.contains("assertion: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
        assert!(html.contains(
            "<tr data-incident=\"herodemo/internal/biz-persons/1\"><td>biz-persons</td><td>2025-06-15 14:56:40 UTC</td><td class=\"detail\">assertion: no persons</td><td>biz-persons</td><td><a href=\"https://forge.test/ops/smoke/issues/7\">issue</a></td></tr>"
        ), "{html}");
        // No URL, or not a web one: no link.
        let html = status_html(Some(&report), &History::new(10), Some(&state()), &|_| {
            Some("javascript:alert(1)".into())
        });
        assert!(!html.contains("<a href"));
        let html = status_html(Some(&report), &History::new(10), None, &links);
        assert!(html.contains("<h2>Open incidents</h2>\n<p>None.</p>"));
    }

    #[test]
    fn before_the_first_tick_the_history_speaks() {
        let html = status_html(None, &history(), None, &links);
        assert!(html.contains("<h1>herodemo internal: fail</h1>"), "{html}");
        assert!(html.contains("<tr data-probe=\"biz-persons\" data-state=\"fail\">"));
        let empty = status_html(None, &History::new(10), None, &links);
        assert!(empty.contains("<h1>smoke: unknown</h1>") && empty.contains("no tick yet"));
    }

    #[test]
    fn the_json_twin() {
        let v = status_json(Some(&fixture::report()), &history(), Some(&state()));
        assert_eq!(v["panel"], "herodemo");
        assert_eq!(v["mode"], "internal");
        assert_eq!(v["last_tick"], "2025-06-15T15:06:40Z");
        assert_eq!(v["outcome"], "error");
        let probes = v["probes"].as_array().unwrap();
        assert_eq!(probes.len(), 4);
        let biz = &probes[2];
        assert_eq!(biz["name"], "biz-persons");
        assert_eq!(biz["outcome"], "fail");
        assert_eq!(biz["cause"], "assertion");
        assert_eq!(biz["since"], "2025-06-15T14:56:40Z");
        let history = biz["history"].as_array().unwrap();
        assert_eq!(history.len(), 288);
        assert_eq!(
            history.last().unwrap(),
            &json!({"at": "2025-06-15T15:06:40Z", "outcome": "fail"})
        );
        assert_eq!(probes[0]["cause"], serde_json::Value::Null);
        assert_eq!(
            v["incidents"],
            json!([{"probe": "biz-persons", "title": "biz-persons", "group": null,
                     "members": ["biz-persons"], "affected": [], "id": ID,
                     "opened_at": "2025-06-15T14:56:40Z",
                     "cause": "assertion", "detail": "no persons"}])
        );
    }

    /// The page and its JSON twin, fed what a hostile service says, show it without one raw
    /// control character.
    #[test]
    fn no_control_character_of_a_service_reaches_the_page() {
        const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\nforged line";
        let mut report = fixture::report();
        for p in &mut report.probes {
            p.detail = Some(HOSTILE.into());
            p.muted = Some(HOSTILE.into());
        }
        let history = History::new(10);
        for (name, text) in [
            (
                "status",
                status_html(Some(&report), &history, None, &|_| None),
            ),
            (
                "status.json",
                status_json(Some(&report), &history, None).to_string(),
            ),
        ] {
            for raw in ['\u{1b}', '\u{7}'] {
                assert!(!text.contains(raw), "{name} passes {raw:?} raw:\n{text}");
            }
            assert!(!text.contains("\nforged line"), "{name}:\n{text}");
        }
    }

    #[test]
    fn a_symptom_is_shown_under_its_root() {
        let mut report = fixture::report();
        let child = report.probes[3].name.clone();
        report.probes.swap(0, 3);
        report.probes[0].caused_by = Some("biz-persons".into());
        let html = status_html(Some(&report), &History::new(10), None, &|_| None);
        let order: Vec<&str> = html
            .split("<tr data-probe=\"")
            .skip(1)
            .map(|r| r.split('"').next().unwrap())
            .collect();
        let root = order.iter().position(|n| *n == "biz-persons").unwrap();
        assert_eq!(order[root + 1], child, "{order:?}");
        assert!(html.contains(&format!(
            "<tr data-probe=\"{child}\" data-state=\"{}\" class=\"caused\">",
            report.probes[0].outcome.as_str()
        )));
        assert!(html.contains("(caused by biz-persons)"));
        let json = status_json(Some(&report), &History::new(10), None);
        let probes = json["probes"].as_array().unwrap();
        assert_eq!(probes[root + 1]["caused_by"], "biz-persons");
        assert_eq!(probes[root]["caused_by"], serde_json::Value::Null);
    }
}
