//! How judged values and messages read.

use super::*;
use serde_json::json;

#[test]
fn messages_name_the_condition_and_what_was_seen() {
    let bad = Observation::http(
        502,
        vec![("content-type".into(), "text/html".into())],
        vec![],
    );
    let j = judge("status == 200", &bad);
    assert!(!j.passed);
    assert_eq!(j.got, "502");
    assert_eq!(j.message, "expected status == 200, got 502");
    assert_eq!(
        judge("header.content-type contains image/jpeg", &bad).message,
        "expected header.content-type contains \"image/jpeg\", got \"text/html\""
    );
    let empty = Observation::from_json(json!({"result": []}));
    assert_eq!(
        judge("len(result) > 0", &empty).message,
        "expected len(result) > 0, got 0"
    );
}

#[test]
fn messages_normalize_whitespace_but_keep_the_authors_spelling() {
    let obs = full();
    let j = judge("  time   <\t60s  ", &obs);
    assert_eq!(j.message, "expected time < 60s, got 450ms");
    assert_eq!(
        judge("status  in  [200,204]", &obs).message,
        "expected status in [200, 204], got 200"
    );
    assert!(judge("body matches  ^<html>", &obs)
        .message
        .starts_with("expected body matches ^<html>, got \"<html>"));
    assert_eq!(
        judge("json.x == 'a b'", &obs).message,
        "expected json.x == \"a b\", got nothing (the body is not JSON)"
    );
}

#[test]
fn passing_judgements_read_the_same_way() {
    let j = judge("status == 200", &http(""));
    assert!(j.passed);
    assert_eq!(j.message, "expected status == 200, got 200");
}

#[test]
fn values_render_by_type() {
    let obs = Observation::from_json(json!({
        "n": 42, "f": 1.5, "s": "line\n\"two\"", "b": false, "z": null,
        "o": {"a": [1, 2]},
    }));
    assert_eq!(got("json.n exists", &obs), "42");
    assert_eq!(got("json.f exists", &obs), "1.5");
    assert_eq!(got("json.s exists", &obs), "\"line\\n\\\"two\\\"\"");
    assert_eq!(got("json.b exists", &obs), "false");
    assert_eq!(got("json.z exists", &obs), "null");
    assert_eq!(got("json.o exists", &obs), "{\"a\":[1,2]}");
    assert_eq!(got("json.none exists", &obs), "nothing");
    let timed = full();
    assert_eq!(got("time.first_byte exists", &timed), "120ms");
    assert_eq!(got("cert.days_left > 0", &timed), "30");
    assert_eq!(got("dns.rcode exists", &timed), "\"NOERROR\"");
}

#[test]
fn long_values_are_cut_to_120_chars() {
    let long = "x".repeat(500);
    let obs = http(&long);
    let shown = got("body contains y", &obs);
    assert_eq!(shown.chars().count(), 120);
    assert!(shown.starts_with("\"xxx"));
    assert!(shown.ends_with('…'));

    let doc = Observation::from_json(json!({"items": (0..200).collect::<Vec<_>>()}));
    let shown = got("json.items exists", &doc);
    assert_eq!(shown.chars().count(), 120);
    assert!(shown.starts_with("[0,1,2,"));
    assert!(shown.ends_with('…'));

    // Multi-byte text is cut on char boundaries.
    let wide = http(&"é".repeat(300));
    let shown = got(
        "json.s exists",
        &Observation::from_json(json!({"s": "é".repeat(300)})),
    );
    assert_eq!(shown.chars().count(), 120);
    assert_eq!(got("bytes > 0", &wide), "600B");
}

#[test]
fn values_at_the_limit_are_not_cut() {
    // 118 chars plus two quotes is exactly 120.
    let obs = http(&"y".repeat(118));
    let shown = got("body contains z", &obs);
    assert_eq!(shown.chars().count(), 120);
    assert!(shown.ends_with("y\""));
    let over = http(&"y".repeat(119));
    assert!(got("body contains z", &over).ends_with('…'));
}
