//! A probe drifting from the known-good baseline: what moved and since when, on the page, in
//! the summary and in the JSON, with the baseline's date; text from the service escaped.

use super::*;

const MOVED: [&str; 2] = [
    "len(result): 42 at baseline, 3 now",
    "json.result[].email: in 5 of 5 baseline runs, missing now",
];

/// The fixture's tick with biz-persons passing but drifted, since 20 minutes before it.
fn drifted() -> (RunReport, BTreeMap<String, Timestamp>) {
    let mut report = fixture::report();
    for p in report.probes_mut() {
        if p.name() == "biz-persons" {
            *p = ProbeReport::new("biz-persons");
            p.degrade(Cause::Drift, MOVED[0]);
            let mut lines: Vec<String> = MOVED.iter().map(|l| l.to_string()).collect();
            lines.push("json[\"\u{1b}[2Jx\"]: in 5 of 5 baseline runs, missing now".to_string());
            p.set_drift(lines);
        }
    }
    let since = [("biz-persons".to_string(), at(fixture::STARTED - 1200))].into();
    (report, since)
}

use std::collections::BTreeMap;

#[test]
fn a_drifting_probe_shows_what_moved_and_since_when_beside_the_baseline_date() {
    let (report, since) = drifted();
    let history = History::new(10);
    let taken = at(fixture::STARTED - 86_400);
    let src = Sources {
        drifting: Some(&since),
        baseline: Some(taken),
        ..sources(Some(&report), &history, None, None)
    };
    let html = status_html(&src);
    assert!(
        html.contains("judged against the known-good baseline of 2025-06-14 15:06:40 UTC"),
        "{html}"
    );
    let biz = row(&html, "biz-persons");
    assert!(
        biz.contains("drift from the baseline since 2025-06-15 14:46:40 UTC (20m)"),
        "{biz}"
    );
    for line in MOVED {
        assert!(biz.contains(&format!("<li>{line}</li>")), "{biz}");
    }
    assert!(!biz.contains('\u{1b}'), "{biz}");
    assert!(!row(&html, "os-ui").contains("drift"));

    let text = status_text(&src);
    assert!(text.contains("judged against the known-good baseline of 2025-06-14 15:06:40 UTC"));
    assert!(
        text.contains(
            "    drift since 2025-06-15 14:46:40 UTC:\n      len(result): 42 at baseline, 3 now\n"
        ),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "{text}");

    let json = status_json(&src);
    assert_eq!(json["baseline"], json!("2025-06-14T15:06:40Z"));
    let biz = json["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "biz-persons")
        .unwrap();
    assert_eq!(biz["drift"][0], json!(MOVED[0]));
    assert_eq!(biz["drift_since"], json!("2025-06-15T14:46:40Z"));
    assert_eq!(biz["outcome"], json!("degraded"));
}

#[test]
fn without_a_baseline_the_page_says_nothing_of_one() {
    let report = fixture::report();
    let history = History::new(10);
    let src = sources(Some(&report), &history, None, None);
    assert!(!status_html(&src).contains("baseline"));
    assert!(!status_text(&src).contains("baseline"));
    assert_eq!(status_json(&src)["baseline"], json!(null));
}

#[test]
fn a_drift_read_back_from_the_results_log_keeps_at_most_its_lines_each_cut() {
    let (report, _) = drifted();
    let mut many = report.clone();
    for p in many.probes_mut() {
        if p.name() == "biz-persons" {
            p.set_drift(
                (0..50)
                    .map(|i| format!("{i}: {}", "x".repeat(5000)))
                    .collect(),
            );
        }
    }
    let mut history = History::new(10);
    history.push(&many);
    let entry = history.entries("biz-persons").unwrap().back().unwrap();
    assert_eq!(entry.drift.len(), crate::history::DRIFT_LINES);
    assert!(entry
        .drift
        .iter()
        .all(|l| l.chars().count() <= smoke_core::engine::DETAIL_LIMIT));
}
