//! How values are read: each kind, quoting, lists and the typed comparisons between them.

use super::*;
use serde_json::json;

#[test]
fn numbers_may_be_negative_fractional_or_exponent() {
    let obs = Observation::from_json(
        json!({"neg": -3, "f": 0.25, "big": 1e3, "id": 9007199254740993u64}),
    );
    passes("json.neg == -3", &obs);
    passes("json.neg < -2.5", &obs);
    passes("json.f == .25", &obs);
    passes("json.f == 0.250", &obs);
    passes("json.big == 1000", &obs);
    passes("json.big == 1e3", &obs);
    // Integers stay exact beyond what a float can hold.
    passes("json.id == 9007199254740993", &obs);
    fails("json.id == 9007199254740992", &obs);
}

#[test]
fn quoted_strings_keep_spaces_escapes_and_look_alike_words() {
    let obs = Observation::from_json(json!({
        "s": "  padded  ",
        "q": "say \"hi\"",
        "a": "it's",
        "t": "200",
        "b": "true",
    }));
    passes("json.s == \"  padded  \"", &obs);
    passes("json.q == \"say \\\"hi\\\"\"", &obs);
    passes("json.q == 'say \"hi\"'", &obs);
    passes("json.a == 'it\\'s'", &obs);
    passes("json.a == \"it's\"", &obs);
    // Quotes force text: a JSON string "200" equals the text "200" ...
    passes("json.t == \"200\"", &obs);
    // ... and the number 200 too, since the string reads as that number.
    passes("json.t == 200", &obs);
    passes("json.b == \"true\"", &obs);
    fails("json.b == true", &obs);
    let num = Observation::from_json(json!({"n": 200}));
    fails("json.n == \"200\"", &num);
    passes("json.n == 200", &num);
}

#[test]
fn bare_values_run_to_the_end_of_the_line() {
    let obs = http("no results found for this query");
    passes("body contains results found", &obs);
    passes("body contains   results found   ", &obs);
    passes("body == no results found for this query", &obs);
    passes("header.content-type contains image/jpeg", &obs);
}

#[test]
fn durations_and_sizes_need_a_unit() {
    let obs = Observation::from_json(json!({"d": "1500ms", "s": "2KiB", "n": 2048, "five": 5}));
    passes("json.d == 1.5s", &obs);
    passes("json.d > 1s", &obs);
    passes("json.d < 2s", &obs);
    passes("json.s == 2048B", &obs);
    passes("json.s > 1KiB", &obs);
    passes("json.n == 2KiB", &obs);
    passes("json.n <= 2KiB", &obs);
    // `5` is a number, `5s` a duration: a JSON number carries no unit to compare with.
    passes("json.five == 5", &obs);
    fails("json.five == 5s", &obs);
    let timed = full();
    passes("time < 1m", &timed);
    passes("time > 250us", &timed);
    passes("bytes < 10KB", &timed);
}

#[test]
fn null_true_and_false_are_json_words() {
    let obs = Observation::from_json(json!({"ok": true, "bad": false, "gone": null}));
    passes("json.ok == true", &obs);
    passes("json.bad == false", &obs);
    passes("json.gone == null", &obs);
    fails("json.ok == null", &obs);
    passes("json.ok != false", &obs);
}

#[test]
fn lists_nest_and_mix_kinds() {
    let obs = Observation::from_json(json!({"m": [1, "a b", [true, null], "x,y"]}));
    passes("json.m == [1, \"a b\", [true, null], 'x,y']", &obs);
    passes("json.m == [ 1 ,a b,[true,null] , \"x,y\" ]", &obs);
    passes("json.m contains [true, null]", &obs);
    passes("json.m in [[], [1, a b, [true, null], \"x,y\"]]", &obs);
}

#[test]
fn text_subjects_compare_with_text_as_written() {
    let obs = Observation::http(
        200,
        vec![
            ("x-flag".into(), "true".into()),
            ("x-word".into(), "null".into()),
        ],
        b"5s and 1KiB".to_vec(),
    );
    passes("header.x-flag == true", &obs);
    passes("header.x-word == null", &obs);
    passes("body contains 5s", &obs);
    passes("body contains 1KiB", &obs);
    passes("body contains true", &http("true"));
}
