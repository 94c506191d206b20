//! The page itself: maud templates (every value escaped by construction), inline CSS with a
//! light and a dark palette, inline SVG for the latency lines. No script.

use super::{cell_title, headline, latency, page, past_headline, percent, reason, span, time};
use super::{Page, Row};
use super::{Sources, DAY_HOURS, WEEK_HOURS};
use maud::{html, Markup, PreEscaped, Render, DOCTYPE};
use smoke_core::engine::escape_controls;

/// Text from outside (a service's detail, a probe's name) as a person may see it: control
/// characters written out (`\u{1b}`), then HTML-escaped by maud.
struct Shown<'a>(&'a str);

impl Render for Shown<'_> {
    fn render_to(&self, buffer: &mut String) {
        escape_controls(self.0).as_ref().render_to(buffer);
    }
}

const STYLE: &str = "\
:root{--bg:#fafafa;--fg:#1d1d1f;--muted:#5f6368;--line:#dadce0;--card:#fff;\
--ok:#1e8e3e;--degraded:#e8a100;--fail:#d93025;--error:#8e24aa;--none:#c4c7c5;\
--tip:#202124;--tipfg:#fff;--spark:#1a73e8;--onbadge:#fff;color-scheme:light dark}\
@media (prefers-color-scheme:dark){:root{--bg:#131314;--fg:#e3e3e3;--muted:#9aa0a6;\
--line:#3c4043;--card:#1e1f20;--ok:#34a853;--degraded:#fbbc04;--fail:#f28b82;--error:#c58af9;\
--none:#5f6368;--tip:#e3e3e3;--tipfg:#131314;--spark:#8ab4f8;--onbadge:#131314}}\
*{box-sizing:border-box}\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:var(--fg);background:var(--bg)}\
header{padding:.9em 1em;color:#fff;background:#5f6368}\
header.ok{background:#1e7e34}header.degraded{background:#b06d00}\
header.fail{background:#c5221f}header.error{background:#7b1fa2}\
h1{font-size:1.35em;margin:0}h2{font-size:1.1em;margin:1.4em 0 .5em}\
header p{margin:.2em 0 0}.verdict{font-size:1.1em;font-weight:600}\
.stale{margin:.6em 0 0;padding:.5em .7em;border-radius:6px;background:#fff3cd;color:#5c4400;font-weight:600}\
main{padding:0 1em 2em;max-width:90em;margin:0 auto}\
a{color:var(--spark)}\
.muted{color:var(--muted);font-size:.88em}\
.drift ul{margin:.2em 0 0 1.2em;padding:0}\
.badge{display:inline-block;padding:0 .45em;border-radius:4px;color:var(--onbadge);font-size:.85em;font-weight:600}\
.badge.ok{background:var(--ok)}.badge.degraded{background:var(--degraded);color:#000}\
.badge.fail{background:var(--fail)}.badge.error{background:var(--error)}\
.badge.unproven{background:var(--none);color:var(--fg)}\
.incident{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--fail);\
border-radius:6px;padding:.6em .8em;margin:.5em 0}\
.incident.warning{border-left-color:var(--degraded)}.incident.resolved{border-left-color:var(--ok)}\
.incident h3{font-size:1em;margin:0 0 .2em;word-break:break-word}\
.incident p{margin:.15em 0;word-break:break-word}\
table{border-collapse:collapse;width:100%;background:var(--card)}\
th,td{text-align:left;padding:.4em .5em;border-bottom:1px solid var(--line);vertical-align:top}\
th{font-size:.85em;color:var(--muted);font-weight:600}\
td.detail{word-break:break-word;max-width:28em}\
tr.caused td.name{padding-left:1.6em}\
.name b{overflow-wrap:anywhere}\
.up{white-space:nowrap}.up b{font-variant-numeric:tabular-nums}\
.strip{display:flex;gap:1px;height:1.5em;min-width:14em;position:relative}\
.cell{flex:1 1 0;min-width:1px;border-radius:1px;background:var(--none)}\
.cell.ok{background:var(--ok)}.cell.degraded{background:var(--degraded)}\
.cell.fail{background:var(--fail)}.cell.error{background:var(--error)}\
.cell:focus{outline:2px solid var(--fg);outline-offset:1px}\
.cell:focus::after{content:attr(title);position:absolute;left:0;right:0;top:1.9em;z-index:2;\
background:var(--tip);color:var(--tipfg);padding:.35em .55em;border-radius:5px;font-size:.85em;\
white-space:normal;word-break:break-word}\
td.lat{min-width:11em}.spark{display:block;width:100%;height:2em;overflow:visible}\
.spark line{stroke:var(--line);stroke-width:1}.spark path{fill:none;stroke:var(--spark);stroke-width:1.6;stroke-linecap:round;stroke-linejoin:round}\
.week{display:none}\
@media (min-width:70em){.week{display:block}.day{display:none}}\
@media (max-width:47em){thead{display:none}tr,td{display:block}\
td{border:0;padding:.15em .6em}td.detail{max-width:none}.strip{min-width:0}\
tr{border-bottom:1px solid var(--line);padding:.5em 0}tr.caused td.name{padding-left:1.6em}\
.spark{height:2.2em}}";

/// The status page.
pub fn status_html(src: &Sources) -> String {
    let page = page(src);
    let outcome = page.outcome_str();
    let title = page.title();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (Shown(&title)) ": " (outcome) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (banner(&page, &title))
                main {
                    (open_incidents(&page))
                    h2 { "Probes" }
                    (probes(&page))
                    (unprobed(&page))
                    (resolved(&page))
                }
            }
        }
    }
    .into_string()
}

fn banner(page: &Page, title: &str) -> Markup {
    let outcome = page.outcome_str();
    html! {
        header class=(outcome) {
            h1 { (Shown(title)) ": " (outcome) }
            p.verdict { (page.verdict()) }
            p {
                @match page.last_tick {
                    Some(t) => { "last tick " (time(t)) }
                    None => { "no tick yet" }
                }
                @if let Some(taken) = page.baseline {
                    " · judged against the known-good baseline of " (time(taken))
                }
            }
            @if let Some(warning) = page.stale_warning() {
                p.stale role="alert" { (warning) }
            }
        }
    }
}

fn open_incidents(page: &Page) -> Markup {
    html! {
        h2 { "Open incidents" }
        @if page.open.is_empty() {
            p.none { "None." }
        }
        @for o in &page.open {
            @let i = o.incident;
            @let severity = match i.severity { smoke_core::prelude::Severity::Warning => "warning", _ => "critical" };
            div class={ "incident " (severity) } data-incident=(Shown(&i.id)) {
                h3 { (Shown(&headline(o.key, i))) }
                p {
                    "since " (time(i.opened_at))
                    @if let Some(last) = page.last_tick {
                        " (" (span(last.duration_since(i.opened_at))) ")"
                    }
                }
                @let why = reason(i.cause.map(|c| c.as_str()), (!o.detail.is_empty()).then_some(o.detail.as_str()));
                @if !why.is_empty() {
                    p.detail { (Shown(&why)) }
                }
                @if i.covers.group.is_some() {
                    p.muted { "probes: " (Shown(&smoke_core::engine::name_list(i.covers.members.iter(), 20))) }
                }
                @if !i.covers.affected.is_empty() {
                    p.muted { "affected: " (Shown(&smoke_core::engine::name_list(i.covers.affected.iter(), 20))) }
                }
                @if let Some(url) = &o.url {
                    p { a href=(Shown(url)) { "issue" } }
                }
            }
        }
    }
}

fn probes(page: &Page) -> Markup {
    html! {
        table {
            thead { tr {
                th { "probe" } th { "state" } th { "uptime" } th { "last " (super::STRIP_CELLS) " ticks" }
                th { "p50 latency" } th { "cause" }
            } }
            tbody {
                @for r in &page.rows { (row(page, r)) }
            }
        }
    }
}

fn row(page: &Page, r: &Row) -> Markup {
    let state = r.outcome.as_str();
    let why = reason(r.cause.as_deref(), r.detail.as_deref());
    html! {
        tr data-probe=(Shown(&r.name)) data-state=(state) class=[r.caused_by.as_ref().map(|_| "caused")] {
            td.name {
                b { (Shown(&r.name)) }
                @if let Some(root) = &r.caused_by {
                    br; span.muted { "(caused by " (Shown(root)) ")" }
                }
            }
            td {
                @if let Some(since) = r.unproven_since {
                    span.badge.unproven { (state) " (unproven)" }
                    br; span.muted { "never passed here since " (time(since)) }
                } @else {
                    span class={ "badge " (state) } { (state) }
                }
                @if let (None, Some(since), Some(now)) = (r.unproven_since, r.since, page.last_tick) {
                    br; span.muted { "since " (time(since)) " (" (span(now.duration_since(since))) ")" }
                }
            }
            td.up {
                "24 h " b { (percent(r.uptime_24h)) } " · 7 d " b { (percent(r.uptime_7d)) }
            }
            td { div.strip {
                @for e in &r.ticks {
                    span class={ "cell " (e.outcome) } tabindex="0" title=(Shown(&cell_title(e))) {}
                }
            } }
            td.lat {
                (sparkline(&r.p50_day, "day", DAY_HOURS))
                (sparkline(&r.p50_week, "week", WEEK_HOURS))
            }
            td.detail {
                (Shown(&why))
                @if let Some(link) = &r.screenshot {
                    br; a.shot href=(link) { "screenshot of the page" }
                }
                @if !r.drift.is_empty() {
                    div.drift {
                        span.muted {
                            "drift from the baseline"
                            @if let (Some(since), Some(now)) = (r.drift_since, page.last_tick) {
                                " since " (time(since)) " (" (span(now.duration_since(since))) ")"
                            }
                            ":"
                        }
                        ul { @for line in &r.drift { li { (Shown(line)) } } }
                    }
                }
            }
        }
    }
}

/// The hourly medians as a line: gaps (hours with no tick) break it; a lone hour is a dot.
fn sparkline(values: &[Option<u32>], class: &str, hours: usize) -> Markup {
    let known: Vec<u32> = values.iter().flatten().copied().collect();
    let (Some(&min), Some(&max)) = (known.iter().min(), known.iter().max()) else {
        return html! { span class={ "spark " (class) } { span.muted { "no latency yet" } } };
    };
    const W: f64 = 100.0;
    const H: f64 = 20.0;
    let step = W / (values.len().max(2) - 1) as f64;
    let y = |v: u32| {
        if max == min {
            H / 2.0
        } else {
            H - 1.0 - f64::from(v - min) / f64::from(max - min) * (H - 2.0)
        }
    };
    let mut d = String::new();
    let mut drawing = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let (px, py) = (i as f64 * step, y(*v));
                let lone = !drawing && values.get(i + 1).is_none_or(Option::is_none);
                d.push_str(&format!(
                    "{}{px:.1} {py:.1}{}",
                    if drawing { " L" } else { " M" },
                    if lone { " l0.01 0" } else { "" }
                ));
                drawing = true;
            }
            None => drawing = false,
        }
    }
    let latest = known.last().copied().unwrap_or_default();
    let label = format!(
        "p50 latency per hour, last {}: {} latest, {}–{}",
        if hours == DAY_HOURS { "24 h" } else { "7 d" },
        latency(latest),
        latency(min),
        latency(max)
    );
    html! {
        svg class={ "spark " (class) } viewBox={ "0 0 " (W) " " (H) } preserveAspectRatio="none"
            role="img" aria-label=(label) {
            title { (label) }
            // The whole span's baseline: where the line is missing, there was no tick.
            line x1="0" y1=(H - 0.5) x2=(W) y2=(H - 0.5) vector-effect="non-scaling-stroke" {}
            path d=(d.trim()) vector-effect="non-scaling-stroke" {}
        }
        span class={ "muted " (class) } { (latency(latest)) }
    }
}

/// Names the deployment has that no probe covers, each with why: never a failure.
fn unprobed(page: &Page) -> Markup {
    html! {
        @if !page.unprobed.is_empty() {
            h2 { "Not probed" }
            ul.unprobed {
                @for line in &page.unprobed {
                    li { (Shown(line)) }
                }
            }
        }
    }
}

fn resolved(page: &Page) -> Markup {
    html! {
        h2 { "Resolved incidents" }
        @if page.resolved.is_empty() {
            p.none { "None yet." }
        } @else {
            @for p in &page.resolved {
                @let i = p.incident;
                @let lasted = i.resolved_at().duration_since(i.opened_at());
                div.incident.resolved data-incident=(Shown(i.id())) {
                    h3 { (Shown(&past_headline(i))) }
                    p { (time(i.opened_at())) ", lasted " (span(lasted)) }
                    @let why = reason(i.cause().map(|c| c.as_str()), (!p.detail.is_empty()).then_some(p.detail.as_str()));
                    @if !why.is_empty() { p.detail { (Shown(&why)) } }
                    @if let Some(url) = i.url().map(str::to_string).and_then(super::web_link) {
                        p { a href=(Shown(&url)) { "issue" } }
                    }
                }
            }
        }
    }
}
