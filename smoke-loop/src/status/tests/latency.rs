//! Uptime and latency on the page, its summary and its JSON: all of it from the rollup.

use super::*;

#[test]
fn uptime_and_latency_come_from_the_rollup() {
    let (report, history, state, rollup) = (fixture::report(), history(), state(), day_rollup());
    let src = sources(Some(&report), &history, Some(&state), Some(&rollup));
    let html = status_html(&src);
    // The week: 15 of the 1,380 counted ticks failed (the 60 quiet ones are left out): 98.91%.
    // The day is the 24 hours up to the last tick's (the first 53 ticks, one fail
    // of them, fall out): 14 of 1,327.
    let biz = row(&html, "biz-persons");
    assert!(
        biz.contains("24 h <b>98.94%</b> · 7 d <b>98.91%</b>"),
        "{biz}"
    );
    assert!(row(&html, "os-ui").contains("24 h <b>100%</b>"));
    // The latency line, for 24 h and for 7 d.
    assert!(
        biz.contains("<svg class=\"spark day\" viewBox=\"0 0 100 20\""),
        "{biz}"
    );
    assert!(biz.contains("<svg class=\"spark week\""));
    assert!(biz.contains("p50 latency per hour, last 24 h: "));
    let json = status_json(&src);
    let biz = &json["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "biz-persons")
        .unwrap()
        .clone();
    let up = biz["uptime_7d"].as_f64().unwrap();
    assert!((up - 1365.0 / 1380.0).abs() < 1e-9, "{up}");
    let up = biz["uptime_24h"].as_f64().unwrap();
    assert!((up - 1313.0 / 1327.0).abs() < 1e-9, "{up}");
    let hours = biz["latency_p50_ms"].as_array().unwrap();
    assert_eq!(hours.len(), DAY_HOURS);
    let (first, last) = (hours[0].as_u64().unwrap(), hours[23].as_u64().unwrap());
    assert!(first < last, "latency climbed: {hours:?}");
    assert_eq!(
        biz["latency_p50_ms_7d"].as_array().unwrap().len(),
        WEEK_HOURS
    );
    assert_eq!(json["every_s"], 60);
}

/// The page's sources with os-ui answering in 0.4 ms, the others in 12 ms, for an hour.
fn fast_rollup() -> Rollup {
    let mut r = Rollup::default();
    for i in (0..60).rev() {
        let mut tick = fixture::report();
        tick.set_every(Some(Duration::from_secs(60)));
        tick.set_started_at(at(fixture::STARTED - i * 60));
        for p in tick.probes_mut() {
            p.set_duration(if p.name() == "os-ui" {
                Duration::from_micros(400)
            } else {
                Duration::from_millis(12)
            });
        }
        r.record(&tick, true);
    }
    r
}

#[test]
fn a_latency_under_a_millisecond_shows_as_such() {
    let (report, history, state, rollup) = (fixture::report(), history(), state(), fast_rollup());
    let src = sources(Some(&report), &history, Some(&state), Some(&rollup));
    let html = status_html(&src);
    let os_ui = row(&html, "os-ui");
    assert!(
        os_ui.contains("p50 latency per hour, last 24 h: 0.4 ms latest, 0.4 ms–0.4 ms"),
        "{os_ui}"
    );
    assert!(
        os_ui.contains("<span class=\"muted day\">0.4 ms</span>"),
        "{os_ui}"
    );
    // 12 ms is known as the middle of its bin, 12.6 ms: past 10 ms, whole milliseconds.
    assert!(row(&html, "biz-persons").contains("<span class=\"muted day\">13 ms</span>"));

    let text = status_text(&src);
    let line = text.lines().find(|l| l.contains(" os-ui ")).unwrap();
    assert!(line.contains(" 0.4 ms"), "{text}");
    let line = text.lines().find(|l| l.starts_with("  fail ")).unwrap();
    assert!(line.contains(" 13 ms"), "{text}");

    // The whole milliseconds as before; the microseconds beside them.
    let json = status_json(&src);
    let os_ui = json["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "os-ui")
        .unwrap();
    let last = |field: &str| os_ui[field].as_array().unwrap()[DAY_HOURS - 1].clone();
    assert_eq!(last("latency_p50_ms"), 0);
    let us = last("latency_p50_us").as_u64().unwrap();
    assert!((370..=440).contains(&us), "{us}");
    assert_eq!(
        os_ui["latency_p50_us_7d"].as_array().unwrap().len(),
        WEEK_HOURS
    );
}
