use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::*;

fn answer(content_type: &str, body: impl Into<Vec<u8>>) -> Observation {
    let headers = vec![("content-type".to_string(), content_type.to_string())];
    Observation::http(200, headers, body.into())
}

fn json_answer(value: &Value) -> Observation {
    answer("application/json; charset=utf-8", value.to_string())
}

fn shape(value: &Value) -> Shape {
    Shape::of(&json_answer(value))
}

fn types(shape: &Shape, path: &str) -> Vec<JsonType> {
    let seen = shape
        .json
        .get(path)
        .unwrap_or_else(|| panic!("no {path} in {:?}", shape.json.keys().collect::<Vec<_>>()));
    seen.types.iter().collect()
}

fn lines(drift: &[Drift]) -> Vec<String> {
    drift.iter().map(ToString::to_string).collect()
}

/// A JSON-RPC answer listing `n` users.
fn users(n: usize) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|i| json!({"id": i, "email": format!("u{i}@example.test"), "age": 30 + i}))
        .collect();
    json!({"jsonrpc": "2.0", "id": 1, "result": list})
}

/// The baseline of five healthy runs listing 42 to 46 users.
fn five_runs() -> Baseline {
    let runs: Vec<Shape> = (42..47).map(|n| shape(&users(n))).collect();
    Baseline::from_runs(&runs)
}

#[test]
fn a_nested_answer_has_its_paths_and_types_and_none_of_its_values() {
    let s = shape(&json!({
        "user": {"name": "Ada", "admin": true, "manager": null, "address": {"zip": "1000"}},
        "score": 4.5,
    }));
    assert_eq!(s.status, Some(200));
    assert_eq!(s.content_type.as_deref(), Some("application/json"));
    assert_eq!(types(&s, "json"), [JsonType::Object]);
    assert_eq!(types(&s, "json.user.name"), [JsonType::String]);
    assert_eq!(types(&s, "json.user.admin"), [JsonType::Bool]);
    assert_eq!(types(&s, "json.user.manager"), [JsonType::Null]);
    assert_eq!(types(&s, "json.user.address.zip"), [JsonType::String]);
    assert_eq!(types(&s, "json.score"), [JsonType::Number]);
    assert_eq!(s.json["json.user.address.zip"].depth, 3);
    assert!(!s.truncated);
    let written = serde_json::to_string(&s).unwrap();
    assert!(
        !written.contains("Ada") && !written.contains("1000"),
        "{written}"
    );
}

#[test]
fn list_elements_merge_under_brackets_with_their_lengths() {
    let s = shape(&json!({"result": [
        {"tags": ["a", "b", "c"], "n": 1},
        {"tags": [], "n": "two"},
        {"tags": ["d"]},
    ]}));
    assert_eq!(types(&s, "json.result[]"), [JsonType::Object]);
    assert_eq!(types(&s, "json.result[].tags[]"), [JsonType::String]);
    assert_eq!(
        types(&s, "json.result[].n"),
        [JsonType::Number, JsonType::String]
    );
    assert_eq!(s.lists["json.result"], MinMax::one(3));
    assert_eq!(s.lists["json.result[].tags"], MinMax { min: 0, max: 3 });
    assert!(!s
        .json
        .keys()
        .any(|p| p.contains("[0]") || p.contains("[1]")));
}

#[test]
fn a_key_with_odd_characters_is_quoted_and_plain_ones_are_not() {
    let s = shape(&json!({"a": {"we.ird": 1, "x-y_z9": 2, "": 3, "q\"t\n": 4}}));
    assert_eq!(types(&s, r#"json.a["we.ird"]"#), [JsonType::Number]);
    assert_eq!(types(&s, "json.a.x-y_z9"), [JsonType::Number]);
    assert_eq!(types(&s, r#"json.a[""]"#), [JsonType::Number]);
    assert_eq!(types(&s, r#"json.a["q\"t\n"]"#), [JsonType::Number]);
}

#[test]
fn a_100k_element_list_finishes_fast_and_says_truncated() {
    let list: Vec<Value> = (0..100_000).map(|i| json!({"i": i})).collect();
    let obs = json_answer(&json!({"result": list}));
    let started = Instant::now();
    let s = Shape::of(&obs);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(s.truncated);
    assert_eq!(s.lists["json.result"], MinMax::one(100_000));
    assert_eq!(types(&s, "json.result[]"), [JsonType::Object]);
    // The elements are one level below the list: that level was cut, the ones above are whole.
    assert_eq!(s.complete_depth, Some(1));
    assert!(s.walked(1) && !s.walked(2));
}

#[test]
fn a_10000_deep_nesting_finishes_fast_and_says_truncated() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let started = Instant::now();
    let s = Shape::of(&answer("application/json", deep));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(s.truncated);
    assert!(s.json.is_empty());

    // An in-process document skips the body's depth check: the walk stops by itself.
    let mut doc = json!(1);
    for _ in 0..1_000 {
        doc = json!({ "a": doc });
    }
    let s = Shape::of(&Observation::from_json(doc));
    assert!(s.truncated);
    assert_eq!(s.complete_depth, Some(MAX_SHAPE_DEPTH));
    assert!(s.json.values().all(|seen| seen.depth <= MAX_SHAPE_DEPTH));
    assert_eq!(s.json.len(), MAX_SHAPE_DEPTH + 1);
}

#[test]
fn a_huge_key_is_cut_and_a_flood_of_keys_is_capped() {
    let huge = "k".repeat(100_000);
    let s = shape(&json!({ huge.clone(): 1 }));
    let path = s.json.keys().find(|p| p.as_str() != "json").unwrap();
    assert!(path.chars().count() < MAX_NAME_CHARS + 10, "{}", path.len());
    assert!(path.ends_with("…\"]"), "{path}");

    // At the bound, as `cut_to` cuts a name: 200 chars kept whole, 201 cut.
    for (n, cut) in [(MAX_NAME_CHARS, false), (MAX_NAME_CHARS + 1, true)] {
        let key = "é".repeat(n);
        let s = shape(&json!({ key.clone(): 1 }));
        let path = s.json.keys().find(|p| p.as_str() != "json").unwrap();
        assert_eq!(
            *path,
            format!("json[{}]", json!(cut_to(&key, MAX_NAME_CHARS)))
        );
        assert_eq!(path.contains('…'), cut, "{n} chars");
    }
    // Two keys alike in the chars kept are one path, with the types of both.
    let (a, b) = (format!("{huge}a"), format!("{huge}b"));
    let s = shape(&json!({ a: 1, b: "two" }));
    assert_eq!(s.json.len(), 2, "{:?}", s.json.keys().collect::<Vec<_>>());
    let path = s.json.keys().find(|p| p.as_str() != "json").unwrap();
    assert_eq!(types(&s, path), [JsonType::Number, JsonType::String]);

    let many: serde_json::Map<String, Value> =
        (0..5_000).map(|i| (format!("k{i}"), json!(i))).collect();
    let s = shape(&Value::Object(many));
    assert_eq!(s.json.len(), MAX_SHAPE_PATHS);
    assert!(s.truncated);
}

#[cfg(feature = "html")]
#[test]
fn an_html_answer_counts_elements_by_id_and_by_tag() {
    let page = r#"<!doctype html><html><body>
        <nav id="hero-nav"><a href="/">home</a><a href="/x">x</a></nav>
        <button id="upload-button">Upload</button><p>text</p>
    </body></html>"#;
    for content_type in ["text/html; charset=utf-8", "application/octet-stream"] {
        let s = Shape::of(&answer(content_type, page));
        let html = s.html.as_ref().expect("an HTML shape");
        assert_eq!(html.ids["hero-nav"], 1);
        assert_eq!(html.ids["upload-button"], 1);
        assert_eq!(html.tags["a"], 2);
        assert_eq!(html.tags["button"], 1);
        assert!(s.json.is_empty() && !s.truncated);
    }
    assert!(Shape::of(&answer("text/plain", "plain words"))
        .html
        .is_none());
}

#[test]
fn a_baseline_of_five_runs_keeps_presence_types_and_length_ranges() {
    let base = five_runs();
    assert_eq!(base.runs, 5);
    assert_eq!(base.statuses, BTreeSet::from([200]));
    assert_eq!(
        base.content_types,
        BTreeSet::from(["application/json".to_string()])
    );
    assert_eq!(base.lists["json.result"], MinMax { min: 42, max: 46 });
    let email = &base.json["json.result[].email"];
    assert_eq!((email.runs, email.depth), (5, 3));
    assert_eq!(email.types.iter().collect::<Vec<_>>(), [JsonType::String]);
    let size = base.size.unwrap();
    assert!(size.min < size.max);
}

#[test]
fn each_drift_is_named_exactly() {
    let base = five_runs();
    let now = shape(&json!({"jsonrpc": "2.0", "id": 1, "result": [
        {"id": 1, "age": "31"}, {"id": 2, "age": "32"}, {"id": 3, "age": "33"},
    ]}));
    assert_eq!(
        lines(&base.drift(&now)),
        [
            "json.result[].age: a number at baseline, a string now",
            "json.result[].email: in 5 of 5 baseline runs, missing now",
            "len(result): 42 to 46 at baseline, 3 now",
        ]
    );

    let base = Baseline::from_runs(&vec![shape(&users(42)); 5]);
    assert_eq!(
        lines(&base.drift(&shape(&users(3)))),
        ["len(result): 42 at baseline, 3 now"]
    );
    assert_eq!(
        lines(&base.drift(&shape(&users(0)))),
        [
            "json.result[]: in 5 of 5 baseline runs, missing now",
            "len(result): 42 at baseline, 0 now"
        ]
    );

    let html = Shape::of(&answer("text/html", "<p>maintenance</p>"));
    let mut drifted = lines(&base.drift(&html));
    drifted.truncate(2);
    assert_eq!(
        drifted,
        [
            "content type: application/json at baseline, text/html now",
            "json: in 5 of 5 baseline runs, missing now",
        ]
    );

    let mut down = json_answer(&users(42));
    down.status = Some(503);
    assert_eq!(
        lines(&base.drift(&Shape::of(&down))),
        ["status: 200 at baseline, 503 now"]
    );
}

#[test]
fn a_list_shrinking_by_less_than_half_is_not_drift() {
    let base = Baseline::from_runs(&vec![shape(&users(42)); 5]);
    assert!(base.drift(&shape(&users(21))).is_empty());
    assert!(!base.drift(&shape(&users(20))).is_empty());
}

#[cfg(feature = "html")]
#[test]
fn an_html_id_gone_from_the_page_is_named() {
    let page = |extra: &str| {
        answer(
            "text/html",
            format!(r#"<nav id="hero-nav"></nav>{extra}<div class="x"></div>"#),
        )
    };
    let runs: Vec<Shape> = (0..5)
        .map(|i| {
            Shape::of(&page(&format!(
                r#"<button id="upload-button"></button><i id="r{i}"></i>"#
            )))
        })
        .collect();
    let base = Baseline::from_runs(&runs);
    assert_eq!(
        base.html_ids.keys().collect::<Vec<_>>(),
        ["hero-nav", "upload-button"],
        "an id in only some runs is no landmark"
    );
    assert_eq!(base.html_tags["button"], MinMax::one(1));
    assert_eq!(
        lines(&base.drift(&Shape::of(&page("")))),
        ["html #upload-button: in 5 of 5 baseline runs, missing now"]
    );
    assert!(base.drift(&runs[0]).is_empty());
}

#[test]
fn an_answer_like_a_baseline_run_does_not_drift() {
    let base = five_runs();
    for n in 42..47 {
        assert_eq!(base.drift(&shape(&users(n))), []);
    }
    assert!(
        base.drift(&shape(&users(60))).is_empty(),
        "growing is not drift"
    );
}

#[test]
fn a_gone_parent_speaks_for_what_was_under_it() {
    let was = json!({"user": {"name": "a", "address": {"zip": "1"}}, "ok": true});
    let base = Baseline::from_runs(&vec![shape(&was); 3]);
    assert_eq!(
        lines(&base.drift(&shape(&json!({"ok": true})))),
        ["json.user: in 3 of 3 baseline runs, missing now"]
    );
    assert_eq!(
        lines(&base.drift(&shape(&json!({"user": "a", "ok": true})))),
        ["json.user: an object at baseline, a string now"]
    );
}

#[test]
fn nothing_is_said_missing_past_where_the_walk_stopped() {
    let base = Baseline::from_runs(&vec![
        shape(&json!({"gone": 1, "result": [{"email": "a"}]}));
        5
    ]);
    let list: Vec<Value> = (0..20_000).map(|i| json!({"i": i})).collect();
    let now = shape(&json!({"result": list}));
    assert!(now.truncated);
    assert_eq!(
        lines(&base.drift(&now)),
        ["json.gone: in 5 of 5 baseline runs, missing now"],
        "the elements were not walked, so their email is not said missing"
    );

    let deep = Shape::of(&answer("application/json", "[".repeat(100)));
    assert_eq!(base.drift(&deep), []);
}

#[test]
fn a_baseline_survives_a_round_trip_through_its_file() {
    let base = five_runs();
    let written = serde_json::to_string_pretty(&base).unwrap();
    let read: Baseline = serde_json::from_str(&written).unwrap();
    assert_eq!(read, base);
    let file: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(
        file["json"]["json.result[].age"]["types"],
        json!(["number"])
    );
    let at = |key: &str| written.find(key).unwrap();
    assert!(
        at("\"json.id\"") < at("\"json.jsonrpc\"")
            && at("\"json.jsonrpc\"") < at("\"json.result\""),
        "paths are written sorted, so two baselines diff line by line"
    );
    assert!(serde_json::from_str::<Baseline>(r#"{"runs": 1, "surprise": 2}"#).is_err());
}

#[test]
fn what_a_service_named_is_shown_escaped() {
    let evil = "x\u{1b}[2J";
    let base = Baseline::from_runs(&vec![shape(&json!({ evil: 1 })); 2]);
    let now = Shape::of(&answer("text/plain\u{1b}]0;pwned", "{}"));
    let shown = lines(&base.drift(&now)).join("\n");
    assert!(!shown.contains('\u{1b}'), "{shown}");
    assert!(
        shown.contains("content type: application/json at baseline"),
        "{shown}"
    );
}

#[test]
fn a_set_of_types_is_written_as_the_sorted_list_of_their_names_and_read_back() {
    let set: JsonTypes = [JsonType::Object, JsonType::Null, JsonType::String]
        .into_iter()
        .collect();
    let text = serde_json::to_string(&set).unwrap();
    assert_eq!(text, r#"["null","string","object"]"#);
    assert_eq!(serde_json::from_str::<JsonTypes>(&text).unwrap(), set);
    assert!(serde_json::from_str::<JsonTypes>(r#"["thing"]"#).is_err());
    let one: JsonTypes = [JsonType::String].into_iter().collect();
    assert!(one.is_subset(&set) && !set.is_subset(&one));
}
