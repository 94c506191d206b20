//! What a hostile body or panel costs: each bound is met with its cause and its limit named.

use smoke_core::engine::{
    load_str,
    testing::{judge_off_runtime, JUDGE_IN_PLACE_BYTES},
    Checks, Condition, Evaluation, Limit, LoadOptions, MAX_HTML_DEPTH,
};
use smoke_core::prelude::Deadline;
use smoke_core::prelude::{Cause, Outcome};
use smoke_core::{engine::MAX_JSON_DEPTH, prelude::Observation};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn a_duplicate_key_is_named() {
    let text = "[panel]\nname = \"demo\"\n\n[[probe]]\nname = \"a\"\ntarget = \"x/rpc\"\nget = \"/\"\nget = \"/other\"\n";
    let err = load_str(text, Path::new("dup.toml"), &LoadOptions::default()).unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("duplicate key `get`"), "{shown}");
    assert_eq!((err.line(), err.column()), (8, 1), "{shown}");
}

fn conditions(texts: &[&str]) -> Vec<Condition> {
    texts.iter().map(|t| Condition::parse(t).unwrap()).collect()
}

fn html(body: &str) -> Observation {
    Observation::http(200, vec![], body.as_bytes().to_vec())
}

#[test]
fn a_limit_fails_the_condition_and_is_named_in_what_was_got() {
    let deep = "<div>".repeat(MAX_HTML_DEPTH + 10);
    let j = Condition::parse("html(p) >= 1")
        .unwrap()
        .evaluate(&html(&deep));
    assert!(!j.passed);
    let limit = format!("nested deeper than {MAX_HTML_DEPTH}");
    assert!(j.got.contains(&limit), "{}", j.got);

    let deep = "{\"a\":".repeat(MAX_JSON_DEPTH + 1);
    let j = Condition::parse("json.a exists")
        .unwrap()
        .evaluate(&html(&deep));
    assert!(!j.passed);
    let limit = format!("nested deeper than {MAX_JSON_DEPTH}");
    assert!(j.got.contains(&limit), "{}", j.got);
}

#[test]
fn conditions_judged_together_share_one_parse_and_each_gets_its_answer() {
    let obs = html("<nav><a>1</a><a>2</a></nav><p>x</p>");
    let ev = Evaluation::new(&obs);
    let got: Vec<bool> = conditions(&["html(nav a) == 2", "html(p) == 1", "html(table) >= 1"])
        .iter()
        .map(|c| c.judge(&ev).unwrap().passed)
        .collect();
    assert_eq!(got, [true, true, false]);
}

#[test]
fn judging_past_its_deadline_stops_with_the_deadline() {
    let obs = html("<p>x</p>");
    let ev = Evaluation::until(&obs, std::time::Instant::now());
    let c = Condition::parse("html(p) == 1").unwrap();
    assert_eq!(c.judge(&ev), Err(Limit::Deadline));
    assert_eq!(Limit::Deadline.cause(), Cause::Timeout);
    assert_eq!(Limit::HtmlDepth.cause(), Cause::Protocol);
}

#[tokio::test(flavor = "current_thread")]
async fn judging_off_the_runtime_or_in_place_reports_a_passed_deadline_as_a_timeout_and_keeps_the_status(
) {
    // One body judged in place (small), one on a blocking thread (past JUDGE_IN_PLACE_BYTES):
    // both say the same.
    let large = format!("<p>x</p>{}", " ".repeat(JUDGE_IN_PLACE_BYTES));
    for body in ["<p>x</p>".to_string(), large] {
        let mut obs = html(&body);
        obs.timings.total = Some(Duration::from_millis(3));
        let checks = Arc::new(Checks {
            expect: conditions(&["html(p) == 1"]),
            warn: vec![],
        });
        // A 2 s budget that ran out a second ago.
        let late = Deadline::from(
            tokio::time::Instant::now() - Duration::from_secs(3),
            Duration::from_secs(2),
        );
        let report = judge_off_runtime("late", Arc::new(obs), checks.clone(), late).await;
        assert_eq!(report.outcome(), Outcome::Fail, "{} bytes", body.len());
        assert_eq!(report.cause(), Some(Cause::Timeout));
        assert_eq!(
            report.detail(),
            Some("conditions not judged within the 2s timeout")
        );
        assert_eq!(report.status(), Some(200));
        assert_eq!(report.timings().total, Some(Duration::from_millis(3)));

        let in_time = Deadline::after(Duration::from_secs(60));
        let report = judge_off_runtime("fine", Arc::new(html(&body)), checks, in_time).await;
        assert_eq!(report.outcome(), Outcome::Ok, "{:?}", report.detail());
        assert_eq!(report.conditions().len(), 1);
    }
}
