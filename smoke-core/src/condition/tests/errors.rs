//! Every way a condition can be refused, and where the error points.

use super::*;

#[test]
fn empty_conditions() {
    rejects("", 1, "empty condition");
    rejects("   \t ", 1, "empty condition");
}

#[test]
fn unknown_subjects_suggest_the_closest_one() {
    rejects(
        "stauts == 200",
        1,
        "unknown subject `stauts`: did you mean `status`?",
    );
    rejects("  stats == 200", 3, "did you mean `status`?");
    rejects("tiem < 1s", 1, "did you mean `time`?");
    rejects("time.frist_byte < 1s", 1, "did you mean `time.first_byte`?");
    rejects("time.ttfb < 1s", 1, "did you mean `time.first_byte`?");
    rejects("cert.day_left > 3", 1, "did you mean `cert.days_left`?");
    rejects(
        "dns.adresses contains x",
        1,
        "did you mean `dns.addresses`?",
    );
    rejects("headers.x-id exists", 1, "did you mean `header.x-id`?");
    rejects("jsn.a == 1", 1, "did you mean `json.a`?");
    rejects("lenght(result) > 0", 1, "did you mean `len(result)`?");
    rejects("count(nav a) > 0", 1, "did you mean `html(nav a)`?");
    rejects("latency < 1s", 1, "did you mean `time`?");
    rejects("zzzzzz == 1", 1, "use status, body, bytes");
    rejects("exists", 1, "missing subject before `exists`");
}

#[test]
fn header_names_must_be_present_and_valid() {
    rejects("header == x", 1, "header needs a name");
    rejects("header. == x", 8, "header needs a name");
    rejects("header.a,b == x", 9, "`,` can't appear in a header name");
}

#[test]
fn missing_or_unknown_operators() {
    rejects("status", 7, "missing operator after `status`");
    rejects("status   ", 7, "missing operator");
    rejects(
        "status = 200",
        8,
        "unknown operator `=`: did you mean `==`?",
    );
    rejects("status === 200", 8, "did you mean `==`?");
    rejects("status <> 200", 8, "did you mean `!=`?");
    rejects("status => 200", 8, "did you mean `>=`?");
    rejects("body contain x", 6, "did you mean `contains`?");
    rejects("body !contain x", 6, "did you mean `!contains`?");
    rejects("body match x", 6, "did you mean `matches`?");
    rejects("body =~ x", 6, "did you mean `matches`?");
    rejects("json.a exist", 8, "did you mean `exists`?");
    rejects("json.a !exist", 8, "did you mean `!exists`?");
    rejects("body frobs x", 6, "unknown operator `frobs`: use ==, !=");
    rejects("status 200", 8, "missing operator before `200`");
}

#[test]
fn operators_need_spaces_around_them() {
    rejects("status==200", 7, "write spaces around the operator");
    rejects("len(result)>0", 12, "write spaces around the operator");
    rejects("json.a!=1", 7, "write spaces around the operator");
    rejects("== 200", 1, "missing subject");
    rejects(
        "status ==200",
        10,
        "write a space between `==` and the value",
    );
    rejects("time <800ms", 7, "write a space between `<` and the value");
}

#[test]
fn missing_values() {
    rejects("status ==", 10, "missing value after `==`");
    rejects("status == ", 10, "missing value after `==`");
    rejects("body contains", 14, "missing value after `contains`");
    rejects("status in", 10, "give a list");
    rejects("body matches", 13, "give a regex");
}

#[test]
fn unterminated_quotes_brackets_and_parens() {
    rejects("body == \"abc", 9, "unterminated quote");
    rejects("body == 'abc", 9, "unterminated quote");
    rejects("body == 'abc\\'", 9, "unterminated quote");
    rejects("status in [200, 204", 11, "unclosed `[`");
    rejects("status in [200, [1]", 11, "unclosed `[`");
    rejects("len(result > 0", 4, "unclosed `(`");
    rejects("json.items[0 == 1", 11, "unclosed `[`");
    rejects("$.a[?@.b == 'x] exists", 13, "unterminated quote");
    rejects(
        "html(a[href) > 0",
        12,
        "found `)` where `]` was expected, to close the `[` at column 7",
    );
    rejects("json.a) == 1", 7, "`)` closes nothing");
}

#[test]
fn stray_text_around_values_and_lists() {
    rejects("body == \"a\" b", 13, "unexpected text after the value");
    rejects("status in [200] x", 17, "unexpected text after the value");
    rejects("status in [200,,204]", 16, "empty list element");
    rejects("status in [,]", 12, "empty list element");
    rejects(
        "json.x in [\"a\" b]",
        16,
        "expected `,` or `]` in the list, found `b`",
    );
    rejects("len(result)x > 0", 12, "unexpected `x` after `len(...)`");
    rejects("json.items[0]x == 1", 14, "expected `.` or `[` in the path");
    rejects("json.a..b == 1", 8, "empty name in the path");
    rejects("json. == 1", 6, "empty name in the path");
}

#[test]
fn bad_jsonpath_points_into_the_path() {
    let e = error("$.a[?@.b === 1] exists");
    assert!(
        e.message.starts_with("bad JSONPath `$.a[?@.b === 1]`"),
        "{e}"
    );
    assert!((5..=14).contains(&e.column), "{e}");
    rejects("$.a. == 1", 5, "bad JSONPath");
    rejects("$a == 1", 2, "bad JSONPath");
    // A translated path reports at the author's char, not the query's.
    let e = error("json.items[0.5] == 1");
    assert!(e.message.starts_with("bad JSONPath `$.items[0.5]`"), "{e}");
    assert!((11..=15).contains(&e.column), "{e}");
}

// It uses html(), which needs the `html` feature.
#[cfg(feature = "html")]
#[test]
fn bad_css_selectors_point_at_the_selector() {
    rejects("html(nav#) > 0", 6, "bad CSS selector `nav#`");
    rejects("html( <> ) > 0", 7, "bad CSS selector `<>`");
    rejects("html() > 0", 6, "html() needs a CSS selector");
    let e = error("html(<>) > 0");
    assert!(!e.message.contains('\n'), "one line: {e}");
}

#[test]
fn bad_regexes_point_into_the_pattern() {
    rejects("body matches (", 14, "bad regex: unclosed group");
    rejects("body matches ab(c", 16, "bad regex: unclosed group");
    rejects("body matches 'ab(c'", 17, "bad regex: unclosed group");
    rejects(
        "body matches a{2,1}",
        15,
        "bad regex: invalid repetition count range",
    );
    rejects(
        "body matches \"x\" y",
        18,
        "unexpected text after the quoted regex",
    );
}

// It uses html(), which needs the `html` feature.
#[cfg(feature = "html")]
#[test]
fn exists_takes_no_value_and_needs_a_subject_that_can_be_missing() {
    rejects("json.a exists 1", 15, "`exists` takes no value");
    rejects("json.a !exists yes", 16, "`!exists` takes no value");
    rejects("body exists", 6, "body always has a value");
    rejects("bytes !exists", 7, "always has a value");
    rejects("html(a) exists", 9, "write html(...) >= 1");
    rejects("len(body) exists", 11, "always has a value");
}

#[test]
fn in_needs_a_list_of_fitting_values() {
    rejects("status in 200", 11, "`in` needs a list, like [200, 204]");
    rejects("status in \"200\"", 11, "`in` needs a list");
    rejects(
        "status in [200, ok]",
        17,
        "status compares with a number, like 200",
    );
    rejects("time in [1s, 2]", 14, "time compares with a duration");
    rejects("dns.addresses in [a, b]", 15, "use contains");
}

// It uses html(), which needs the `html` feature.
#[cfg(feature = "html")]
#[test]
fn typed_subjects_refuse_values_of_the_wrong_type() {
    rejects("time < 5", 8, "time compares with a duration, like 800ms");
    rejects("time.dns > 1KiB", 12, "time.dns compares with a duration");
    rejects("time < -5s", 8, "time compares with a duration");
    rejects(
        "time < 99999999999999999999999d",
        8,
        "time compares with a duration",
    );
    rejects(
        "status == \"200\"",
        11,
        "status compares with a number, like 200",
    );
    rejects("status == 2s", 11, "status compares with a number");
    rejects(
        "cert.days_left < 2w",
        18,
        "cert.days_left compares with a number, like 14",
    );
    rejects(
        "html(a) >= one",
        12,
        "html(a) compares with a number, like 1",
    );
    rejects("len(result) > many", 15, "compares with a number, like 0");
    rejects("bytes > 5s", 9, "bytes compares with a size");
    rejects(
        "cert.not_after < soon",
        18,
        "cert.not_after compares with a date",
    );
    rejects(
        "dns.addresses == 10.0.0.1",
        18,
        "dns.addresses compares with a list",
    );
    rejects("dns.addresses > 3", 15, "can't be ordered");
    rejects("header.x == [1, 2]", 13, "header.x is text");
    rejects("body contains [a]", 15, "one value at a time");
    rejects("json.x > null", 10, "not null");
    rejects("header.x >= true", 13, "not true");
}

// It uses html(), which needs the `html` feature.
#[cfg(feature = "html")]
#[test]
fn operators_that_do_not_apply_to_the_subject_type() {
    rejects(
        "status contains 2",
        8,
        "`contains` works on text, lists and objects, but status is a number",
    );
    rejects("time !contains 2", 6, "but time is a duration");
    rejects("bytes contains 2", 7, "but bytes is a size");
    rejects(
        "time matches ^1",
        6,
        "`matches` works on text, but time is a duration",
    );
    rejects(
        "len(status) > 0",
        5,
        "len() measures text, lists and objects, but status is a number",
    );
    rejects("len(time) > 0", 5, "but time is a duration");
    rejects("len(html(a)) > 0", 5, "but html(a) is a number");
    rejects("len() > 0", 5, "len() needs a subject");
    rejects("len(stauts) > 0", 5, "did you mean `status`?");
}

#[test]
fn columns_count_chars_not_bytes() {
    // "é" is two bytes; the error is still at the 6th char.
    rejects("json.é-x== 1", 9, "write spaces around the operator");
    rejects("héader.x == 1", 1, "unknown subject");
    rejects("body == \"ü", 9, "unterminated quote");
    rejects("json.ü = 1", 8, "did you mean `==`?");
}

#[test]
fn bad_json_objects() {
    rejects("json == {\"a\": }", 15, "bad JSON object");
}
