use super::*;
use serde_json::json;
use smoke_core::engine::{testing::fixture, Incident, ProbeState, State};
use smoke_core::prelude::{Cause, ProbeReport, Severity};
use std::time::Duration;

mod drift;
mod latency;

const ID: &str = "herodemo/internal/biz-persons/1";
const ISSUE: &str = "https://forge.test/ops/smoke/issues/7";

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap()
}

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
        at(fixture::STARTED - 600),
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
        tick.set_started_at(at(fixture::STARTED - i * 300));
        for p in tick.probes_mut() {
            if !(p.name() == "biz-persons" && i <= 2) {
                *p = ProbeReport::new(p.name().to_string());
            }
        }
        h.push(&tick);
    }
    h
}

fn links(id: &str) -> Option<String> {
    (id == ID).then(|| ISSUE.to_string())
}

fn no_links(_: &str) -> Option<String> {
    None
}

/// The sources of a page made right at the tick.
fn sources<'a>(
    report: Option<&'a RunReport>,
    history: &'a History,
    state: Option<&'a State>,
    rollup: Option<&'a Rollup>,
) -> Sources<'a> {
    Sources {
        report,
        history,
        state,
        proofs: None,
        unprobed: &[],
        rollup,
        links: &links,
        drifting: None,
        baseline: None,
        now: report.map_or(at(fixture::STARTED), |r| r.started_at()),
    }
}

/// The row of `probe` on the page.
fn row<'a>(html: &'a str, probe: &str) -> &'a str {
    let row = html
        .split(&format!("data-probe=\"{probe}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no row of {probe} in {html}"));
    row.split("</tr>").next().unwrap()
}

#[test]
fn a_row_per_probe_with_its_state_its_last_ticks_and_since() {
    let (report, history, state) = (fixture::report(), history(), state());
    let html = status_html(&sources(Some(&report), &history, Some(&state), None));
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("<header class=\"error\"><h1>herodemo internal: error</h1>"));
    assert!(html.contains("3 of 4 not ok"));
    assert!(html.contains("last tick 2025-06-15 15:06:40 UTC"));
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
    assert!(
        html.contains("since 2025-06-15 14:56:40 UTC (10m)"),
        "{html}"
    );
    // The last 90 ticks, each with its time and outcome to hover or tap.
    let os_ui = row(&html, "os-ui");
    assert_eq!(os_ui.matches("<span class=\"cell ").count(), STRIP_CELLS);
    assert!(os_ui
        .contains("<span class=\"cell ok\" tabindex=\"0\" title=\"2025-06-15 15:06:40 UTC ok\">"));
    let biz = row(&html, "biz-persons");
    assert!(biz.contains("title=\"2025-06-15 15:06:40 UTC fail: assertion: expected"));
    // What is broken comes first.
    let first = html.split("<tr data-probe=\"").nth(1).unwrap();
    assert!(!first.starts_with("os-ui"), "{first}");
    assert!(!html.contains("<script"));
}

#[test]
fn an_hour_of_one_second_ticks_shows_the_latest_cells_and_the_page_stays_small() {
    let mut h = History::new(2_000);
    for i in (1..=3_600).rev() {
        let mut tick = fixture::report();
        tick.set_started_at(at(fixture::STARTED - i));
        h.push(&tick);
    }
    let (report, state) = (fixture::report(), state());
    let src = sources(Some(&report), &h, Some(&state), None);
    let html = status_html(&src);
    for row in html.split("<tr data-probe=").skip(1) {
        let row = row.split("</tr>").next().unwrap();
        assert_eq!(row.matches("<span class=\"cell ").count(), STRIP_CELLS);
    }
    assert!(html.len() < 200_000, "{} bytes", html.len());
    for p in status_json(&src)["probes"].as_array().unwrap() {
        assert_eq!(p["history"].as_array().unwrap().len(), STRIP_CELLS);
    }
}

/// A day of ticks every minute, biz-persons failing one tick in a hundred and in maintenance
/// for an hour; its latency climbing through the day.
fn day_rollup() -> Rollup {
    let mut r = Rollup::default();
    let end = fixture::STARTED;
    for i in (0..24 * 60).rev() {
        let mut tick = fixture::report();
        tick.set_every(Some(Duration::from_secs(60)));
        tick.set_started_at(at(end - i * 60));
        for p in tick.probes_mut() {
            let name = p.name().to_string();
            *p = ProbeReport::new(name.clone());
            p.set_duration(Duration::from_millis(10 + (24 * 60 - i as u64) / 10));
            if name == "biz-persons" {
                if i % 100 == 0 {
                    p.set_outcome(Outcome::Fail);
                }
                // Quiet ticks count for nothing, failing or not.
                if (120..180).contains(&i) {
                    p.set_outcome(Outcome::Fail);
                    p.mute(Some("maintenance".into()));
                }
            }
        }
        r.record(&tick, true);
    }
    r
}

#[test]
fn a_last_tick_older_than_two_periods_is_said_to_be_stale() {
    let (history, state, rollup) = (history(), state(), day_rollup());
    let mut src = sources(None, &history, Some(&state), Some(&rollup));
    src.now = at(fixture::STARTED + 119);
    let html = status_html(&src);
    assert!(
        !html.contains("role=\"alert\""),
        "two periods are no sign yet"
    );
    assert_eq!(status_json(&src)["stale"], false);
    src.now = at(fixture::STARTED + 25 * 60);
    let html = status_html(&src);
    assert!(html.contains(
        "<p class=\"stale\" role=\"alert\">stale: the last tick ended 25m ago, more than 2 periods (1m each); is the loop running?</p>"
    ), "{html}");
    assert_eq!(status_json(&src)["stale"], true);
    assert!(status_text(&src).contains("STALE: THE LAST TICK ENDED 25M AGO"));
}

#[test]
fn a_long_tick_is_not_stale_once_it_ended() {
    let (history, state) = (history(), state());
    let mut report = fixture::report();
    report.set_every(Some(std::time::Duration::from_secs(60)));
    // Its retries outlasted three periods, and it ended a minute ago.
    report.set_started_at(at(fixture::STARTED));
    report.set_duration(std::time::Duration::from_secs(180));
    let mut src = sources(Some(&report), &history, Some(&state), None);
    src.now = at(fixture::STARTED + 240);
    assert_eq!(status_json(&src)["stale"], false, "{}", status_json(&src));
    src.now = at(fixture::STARTED + 180 + 121);
    assert_eq!(status_json(&src)["stale"], true);
}

#[test]
fn text_and_escape_sequences_of_a_service_show_as_text_and_an_incident_is_linked() {
    let mut report = fixture::report();
    report.probes_mut()[2].set_detail(Some("<script>alert(\"x\")</script>\u{1b}[2J".into()));
    let (history, state) = (History::new(10), state());
    let html = status_html(&sources(Some(&report), &history, Some(&state), None));
    assert!(!html.contains("<script>"));
    assert!(!html.contains('\u{1b}'));
    assert!(
        html.contains("assertion: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\\u{1b}[2J"),
        "{html}"
    );
    assert!(html.contains(&format!("<a href=\"{ISSUE}\">issue</a>")));
    // A link kept in the state comes first; not a web one, no link.
    let mut with_url = state.clone();
    with_url.incidents.get_mut("biz-persons").unwrap().url =
        Some("https://forge.test/ops/smoke/issues/9".into());
    let html = status_html(&sources(Some(&report), &history, Some(&with_url), None));
    assert!(html.contains("<a href=\"https://forge.test/ops/smoke/issues/9\">issue</a>"));
    let mut src = sources(Some(&report), &history, Some(&state), None);
    let js = |_: &str| Some("javascript:alert(1)".to_string());
    src.links = &js;
    assert!(!status_html(&src).contains("<a href"));
    let html = status_html(&sources(Some(&report), &history, None, None));
    assert!(html.contains("<h2>Open incidents</h2><p class=\"none\">None.</p>"));
}

#[test]
fn open_incidents_with_their_root_affected_probes_and_since_then_the_resolved() {
    let (report, history) = (fixture::report(), History::new(10));
    let mut state = state();
    state
        .incidents
        .get_mut("biz-persons")
        .unwrap()
        .covers
        .affected = vec!["photos".into(), "public-site".into()];
    for n in 0..25 {
        let opened = fixture::STARTED - 90_000 + n * 1000;
        let id = format!("herodemo/internal/os-ui/{n}");
        log_os_ui(
            &mut state,
            id,
            format!("status 502 ({n})"),
            opened,
            opened + 720,
        );
    }
    let src = sources(Some(&report), &history, Some(&state), None);
    let html = status_html(&src);
    let open = html
        .split("data-incident=\"herodemo/internal/biz-persons/1\"")
        .nth(1)
        .unwrap();
    let open = open.split("</div>").next().unwrap();
    assert!(open.contains("<h3>biz-persons</h3>"), "{open}");
    assert!(
        open.contains("since 2025-06-15 14:56:40 UTC (10m)"),
        "{open}"
    );
    assert!(open.contains("assertion: no persons"));
    assert!(open.contains("affected: photos, public-site"), "{open}");
    // Open ones before the probes, resolved ones after, newest first, 20 of them.
    let (open_at, probes_at, resolved_at) = (
        html.find("Open incidents").unwrap(),
        html.find("<h2>Probes").unwrap(),
        html.find("Resolved incidents").unwrap(),
    );
    assert!(open_at < probes_at && probes_at < resolved_at);
    let resolved = &html[resolved_at..];
    assert_eq!(
        resolved.matches("class=\"incident resolved\"").count(),
        RESOLVED_SHOWN
    );
    assert!(resolved.find("status 502 (24)").unwrap() < resolved.find("status 502 (23)").unwrap());
    assert!(!resolved.contains("status 502 (4)"));
    assert!(resolved.contains(", lasted 12m"));
    let json = status_json(&src);
    assert_eq!(
        json["resolved_incidents"].as_array().unwrap().len(),
        RESOLVED_SHOWN
    );
    assert_eq!(json["resolved_incidents"][0]["duration_s"], 720);
    assert_eq!(
        json["incidents"][0]["affected"],
        json!(["photos", "public-site"])
    );
}

#[test]
fn before_the_first_tick_the_history_speaks() {
    let history = history();
    let html = status_html(&sources(None, &history, None, None));
    assert!(html.contains("<h1>herodemo internal: fail</h1>"), "{html}");
    assert!(html.contains("<tr data-probe=\"biz-persons\" data-state=\"fail\">"));
    let empty = History::new(10);
    let html = status_html(&sources(None, &empty, None, None));
    assert!(html.contains("<h1>smoke: unknown</h1>") && html.contains("no tick yet"));
}

#[test]
fn the_json_twin() {
    let (report, history, state) = (fixture::report(), history(), state());
    let v = status_json(&sources(Some(&report), &history, Some(&state), None));
    assert_eq!(v["panel"], "herodemo");
    assert_eq!(v["mode"], "internal");
    assert_eq!(v["last_tick"], "2025-06-15T15:06:40Z");
    assert_eq!(v["outcome"], "error");
    assert_eq!(v["stale"], false);
    let probes = v["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 4);
    let biz = probes.iter().find(|p| p["name"] == "biz-persons").unwrap();
    assert_eq!(biz["outcome"], "fail");
    assert_eq!(biz["cause"], "assertion");
    assert_eq!(biz["since"], "2025-06-15T14:56:40Z");
    // No rollup yet: no figure rather than a made-up one.
    assert_eq!(biz["uptime_24h"], serde_json::Value::Null);
    let history = biz["history"].as_array().unwrap();
    assert_eq!(history.len(), STRIP_CELLS);
    assert_eq!(
        history.last().unwrap(),
        &json!({"at": "2025-06-15T15:06:40Z", "outcome": "fail"})
    );
    assert_eq!(
        v["incidents"],
        json!([{"probe": "biz-persons", "title": "biz-persons", "group": null,
                 "members": ["biz-persons"], "affected": [], "id": ID,
                 "opened_at": "2025-06-15T14:56:40Z",
                 "cause": "assertion", "detail": "no persons", "url": ISSUE}])
    );
}

/// The page, its JSON twin and the terminal summary, fed what a hostile service says, show it
/// without one raw control character.
#[test]
fn no_control_character_of_a_service_reaches_the_page() {
    const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\nforged line";
    let mut report = fixture::report();
    for p in report.probes_mut() {
        p.set_detail(Some(HOSTILE.into()));
        p.mute(Some(HOSTILE.into()));
    }
    let mut state = state();
    state.incidents.get_mut("biz-persons").unwrap().detail = HOSTILE.into();
    let history = History::new(10);
    let mut src = sources(Some(&report), &history, Some(&state), None);
    src.links = &no_links;
    for (name, text) in [
        ("status", status_html(&src)),
        ("status.json", status_json(&src).to_string()),
        ("status (terminal)", status_text(&src)),
    ] {
        for raw in ['\u{1b}', '\u{7}'] {
            assert!(!text.contains(raw), "{name} passes {raw:?} raw:\n{text}");
        }
        assert!(!text.contains("\nforged line"), "{name}:\n{text}");
    }
}

/// A state file written by anything but a tick may hold a detail of megabytes: every rendering
/// shows it cut as a tick cuts one, the open incident's and the resolved one's alike.
#[test]
fn a_stored_detail_of_megabytes_is_cut_in_every_rendering() {
    let huge = "x".repeat(2_000_000);
    let mut state = state();
    state.incidents.get_mut("biz-persons").unwrap().detail = huge.clone();
    let id = "herodemo/internal/os-ui/1".to_string();
    log_os_ui(
        &mut state,
        id,
        huge,
        fixture::STARTED - 3600,
        fixture::STARTED - 3000,
    );
    let (report, history) = (fixture::report(), History::new(10));
    let src = sources(Some(&report), &history, Some(&state), None);
    let v = status_json(&src);
    for detail in [
        &v["incidents"][0]["detail"],
        &v["resolved_incidents"][0]["detail"],
    ] {
        let detail = detail.as_str().unwrap();
        assert_eq!(detail.chars().count(), smoke_core::engine::DETAIL_LIMIT);
        assert!(detail.ends_with("x…"), "{detail}");
    }
    let whole = "x".repeat(smoke_core::engine::DETAIL_LIMIT);
    // The summary's resolved lines have no detail.
    for (name, text, cut) in [
        ("status", status_html(&src), 2),
        ("terminal", status_text(&src), 1),
    ] {
        assert!(text.len() < 100_000, "{name}: {} bytes", text.len());
        assert_eq!(text.matches("x…").count(), cut, "{name}");
        assert!(!text.contains(&whole), "{name}");
    }
}

#[test]
fn a_symptom_is_shown_under_its_root() {
    let mut report = fixture::report();
    let child = report.probes()[3].name().to_string();
    report.probes_mut().swap(0, 3);
    report.probes_mut()[0].set_caused_by(Some("biz-persons".into()));
    let history = History::new(10);
    let src = sources(Some(&report), &history, None, None);
    let html = status_html(&src);
    let order: Vec<&str> = html
        .split("<tr data-probe=\"")
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
        .collect();
    let root = order.iter().position(|n| *n == "biz-persons").unwrap();
    assert_eq!(order[root + 1], child, "{order:?}");
    assert!(html.contains(&format!(
        "<tr data-probe=\"{child}\" data-state=\"{}\" class=\"caused\">",
        report.probes()[0].outcome().as_str()
    )));
    assert!(html.contains("(caused by biz-persons)"));
    let json = status_json(&src);
    let probes = json["probes"].as_array().unwrap();
    assert_eq!(probes[root + 1]["caused_by"], "biz-persons");
    assert_eq!(probes[root]["caused_by"], serde_json::Value::Null);
}

#[test]
fn the_terminal_summary_names_the_broken_their_uptime_and_the_incidents() {
    let (report, history, state, rollup) = (fixture::report(), history(), state(), day_rollup());
    let text = status_text(&sources(
        Some(&report),
        &history,
        Some(&state),
        Some(&rollup),
    ));
    assert!(
        text.starts_with(
            "herodemo internal: error\n3 of 4 not ok, last tick 2025-06-15 15:06:40 UTC\n"
        ),
        "{text}"
    );
    assert!(text.contains("open incidents: 1\n  biz-persons  since 2025-06-15 14:56:40 UTC (10m)  assertion: no persons\n    https://forge.test/ops/smoke/issues/7\n"), "{text}");
    let biz = text
        .lines()
        .find(|l| l.starts_with("  fail ") && l.contains(" biz-persons "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(biz.contains("98.94%  98.91%"), "{biz}");
}

#[test]
fn a_probe_failing_unproven_is_grey_and_says_since_when_it_never_passed() {
    let (mut report, history, state) = (fixture::report(), history(), state());
    report.probes_mut()[2].mark_unproven();
    let since = at(fixture::STARTED - 600);
    let proofs = Proofs::from([(
        "biz-persons".to_string(),
        crate::proving::Proof {
            unproven_since: Some(since),
            ..Default::default()
        },
    )]);
    let src = Sources {
        proofs: Some(&proofs),
        ..sources(Some(&report), &history, Some(&state), None)
    };
    let html = status_html(&src);
    let biz = row(&html, "biz-persons");
    assert!(
        biz.contains("<span class=\"badge unproven\">fail (unproven)</span>"),
        "{biz}"
    );
    assert!(
        biz.contains("never passed here since 2025-06-15 14:56:40 UTC"),
        "{biz}"
    );
    assert!(!row(&html, "photos").contains("unproven"));
    let json = status_json(&src);
    let rows = json["probes"].as_array().unwrap();
    let biz = rows.iter().find(|r| r["name"] == "biz-persons").unwrap();
    assert_eq!(biz["proven"], json!(false));
    assert_eq!(biz["unproven_since"], json!("2025-06-15T14:56:40Z"));
    let photos = rows.iter().find(|r| r["name"] == "photos").unwrap();
    assert!(photos.get("proven").is_none(), "{photos}");
    let text = status_text(&src);
    assert!(
        text.contains("unproven, never passed here since 2025-06-15 14:56:40 UTC: assertion"),
        "{text}"
    );
}

/// `os-ui`'s incident `id` with `detail`, opened and resolved at those unix seconds, in the
/// state's log as a tick logs one.
fn log_os_ui(state: &mut State, id: String, detail: String, opened: i64, resolved: i64) {
    let mut incident = Incident::new(id, at(opened), Severity::Critical, vec!["os-ui".into()]);
    incident.cause = Some(Cause::Http);
    incident.detail = detail;
    state.log_resolved("os-ui".into(), &incident, at(resolved));
}

/// What the last tick did not probe shows in every rendering, as a list and never as a failure,
/// each line escaped and cut whatever the state file holds.
#[test]
fn what_was_not_probed_is_said_on_the_page_never_as_a_failure() {
    let report = fixture::report();
    let history = History::new(10);
    let lines = [
        "hero_proc_ui: supervised by hero_proc, serves no socket: no probe of its own".to_string(),
        format!("<script>x</script>\u{1b}[2J{}", "y".repeat(5000)),
    ];
    let src = Sources {
        unprobed: &lines,
        ..sources(Some(&report), &history, None, None)
    };
    let html = status_html(&src);
    assert!(html.contains("<h2>Not probed</h2>"), "{html}");
    assert!(html.contains(
        "<li>hero_proc_ui: supervised by hero_proc, serves no socket: no probe of its own</li>"
    ));
    assert!(!html.contains("<script>x") && !html.contains('\u{1b}'));
    let json = status_json(&src);
    assert_eq!(json["unprobed"][0], lines[0].as_str());
    assert_eq!(
        json["unprobed"][1].as_str().unwrap().chars().count(),
        smoke_core::engine::DETAIL_LIMIT
    );
    let text = status_text(&src);
    assert!(
        text.contains("\nnot probed:\n  hero_proc_ui: supervised"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "{text}");
    // Not a failure: the page's verdict and rows stay the probes'.
    let plain = status_json(&sources(Some(&report), &history, None, None));
    assert_eq!(json["outcome"], plain["outcome"]);
    assert_eq!(json["probes"], plain["probes"]);
}
