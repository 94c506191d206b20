//! What each operator means, including on missing values.

use super::*;
use serde_json::json;

fn doc() -> Observation {
    Observation::from_json(json!({
        "n": 5,
        "f": 2.5,
        "s": "hello world",
        "ns": "42",
        "list": [1, "two", null, [3]],
        "obj": {"key": 1},
        "null": null,
    }))
}

#[test]
fn equality_and_inequality() {
    let obs = doc();
    passes("json.n == 5", &obs);
    passes("json.n != 6", &obs);
    fails("json.n != 5", &obs);
    passes("json.f == 2.5", &obs);
    passes("json.s == 'hello world'", &obs);
    passes("json.s != hello", &obs);
    passes("json.null == null", &obs);
    passes("json.list == [1, two, null, [3]]", &obs);
    fails("json.list == [1, two, null]", &obs);
    passes("json.obj == {\"key\": 1.0}", &obs);
    passes("json.obj != {\"key\": 2}", &obs);
}

#[test]
fn orderings_on_numbers_text_durations_and_sizes() {
    let obs = doc();
    passes("json.n < 6", &obs);
    passes("json.n <= 5", &obs);
    passes("json.n > 4.5", &obs);
    passes("json.n >= 5", &obs);
    fails("json.n > 5", &obs);
    fails("json.n < 5", &obs);
    passes("json.s > hello", &obs);
    passes("json.s < i", &obs);
    passes("json.ns > 41", &obs);
    let timed = full();
    passes("time >= 450ms", &timed);
    passes("time <= 450ms", &timed);
    fails("time < 450ms", &timed);
    passes("bytes <= 1MiB", &timed);
}

#[test]
fn ordering_with_nothing_or_mismatched_types_fails() {
    let obs = doc();
    fails("json.missing < 5", &obs);
    fails("json.missing > 5", &obs);
    fails("json.missing != 5", &obs);
    fails("json.missing == null", &obs);
    fails("json.s > 5", &obs);
    fails("json.s < 5", &obs);
    fails("json.list > 1", &obs);
    fails("json.n > 1s", &obs);
    assert_eq!(got("json.missing < 5", &obs), "nothing");
}

#[test]
fn contains_on_text_arrays_and_objects() {
    let obs = doc();
    passes("json.s contains lo wo", &obs);
    passes("json.s !contains bye", &obs);
    passes("json.list contains two", &obs);
    passes("json.list contains 1", &obs);
    passes("json.list contains null", &obs);
    passes("json.list contains [3]", &obs);
    passes("json.list !contains three", &obs);
    passes("json.obj contains key", &obs);
    passes("json.obj !contains other", &obs);
    passes("body contains \"hello world\"", &obs);
    passes("body contains 42", &obs);
}

#[test]
fn contains_needs_something_to_look_in() {
    let obs = doc();
    fails("json.missing contains x", &obs);
    fails("json.missing !contains x", &obs);
    // Numbers are not containers, so neither answer holds.
    fails("json.n contains 5", &obs);
    fails("json.n !contains 6", &obs);
    fails("header.x-none !contains x", &http(""));
}

#[test]
fn matches_runs_a_regex_on_text_or_json_text() {
    let obs = doc();
    passes("json.s matches ^hello", &obs);
    passes("json.s matches \"w.rld$\"", &obs);
    fails("json.s matches ^world", &obs);
    passes("json.n matches ^5$", &obs);
    passes("json.obj matches '\"key\":1'", &obs);
    passes("status matches ^2\\d\\d$", &http(""));
    passes("header.content-type matches (?i)IMAGE/", &http(""));
    passes("body matches '\\d+'", &http("abc 123"));
    fails("json.missing matches .*", &obs);
}

#[test]
fn exists_and_not_exists() {
    let obs = doc();
    passes("json.n exists", &obs);
    passes("json.null exists", &obs);
    passes("json.missing !exists", &obs);
    fails("json.missing exists", &obs);
    fails("json.n !exists", &obs);
    assert_eq!(
        judge("json.queue_depth exists", &obs).message,
        "expected json.queue_depth exists, got nothing"
    );
}

#[test]
fn in_looks_for_the_value_among_the_list() {
    let ok = http("");
    passes("status in [200, 204]", &ok);
    fails("status in [301, 302]", &ok);
    passes("status in [200]", &ok);
    fails("status in []", &ok);
    passes("header.content-type in [image/png, image/jpeg]", &ok);
    passes("time in [450ms, 1s]", &full());
    let obs = doc();
    passes("json.s in ['hello world', other]", &obs);
    passes("json.ns in [41, 42]", &obs);
    passes("json.null in [1, null]", &obs);
    fails("json.missing in [1, null]", &obs);
}
