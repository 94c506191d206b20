//! What each subject reads from an observation.

use super::*;
use serde_json::json;

#[test]
fn status_is_the_http_status_and_nothing_without_one() {
    passes("status == 200", &http(""));
    fails("status == 502", &http(""));
    let no_status = Observation::from_json(json!({}));
    fails("status == 200", &no_status);
    assert_eq!(got("status == 200", &no_status), "nothing");
    passes("status !exists", &no_status);
    passes("status exists", &http(""));
}

#[test]
fn body_is_the_text_and_bytes_its_size() {
    let obs = http("hello world");
    passes("body contains world", &obs);
    passes("body == \"hello world\"", &obs);
    passes("bytes == 11", &obs);
    passes("bytes < 1KiB", &obs);
    passes("bytes >= 11B", &obs);
    fails("bytes > 11", &obs);
    assert_eq!(got("bytes > 0", &obs), "11B");
    assert_eq!(got("bytes > 0", &http(&"x".repeat(2048))), "2KiB");
}

#[test]
fn time_reads_each_phase_and_missing_phases_are_nothing() {
    let obs = full();
    passes("time < 800ms", &obs);
    passes("time.total == 450ms", &obs);
    passes("time.dns < 20ms", &obs);
    passes("time.connect == 30ms", &obs);
    passes("time.tls > 40ms", &obs);
    passes("time.first_byte <= 120ms", &obs);
    passes("time < 1s", &obs);
    fails("time > 0.5s", &obs);
    assert_eq!(got("time < 1s", &obs), "450ms");

    let bare = http("");
    fails("time < 800ms", &bare);
    assert_eq!(got("time.tls < 800ms", &bare), "nothing");
    passes("time.tls !exists", &bare);
    passes("time.tls exists", &obs);
}

#[test]
fn headers_are_found_by_any_case_of_their_name() {
    let obs = http("");
    passes("header.content-type == image/jpeg", &obs);
    passes("header.Content-Type contains jpeg", &obs);
    passes("header.CONTENT-TYPE exists", &obs);
    passes("header.x-missing !exists", &obs);
    fails("header.x-missing == anything", &obs);
    assert_eq!(got("header.x-missing exists", &obs), "nothing");
}

#[test]
fn numeric_headers_compare_as_numbers() {
    let obs = Observation::http(
        200,
        vec![
            ("content-length".into(), "512".into()),
            ("x-took".into(), "250ms".into()),
        ],
        vec![],
    );
    passes("header.content-length == 512", &obs);
    passes("header.content-length > 100", &obs);
    passes("header.content-length < 1KiB", &obs);
    passes("header.x-took < 1s", &obs);
    passes("header.x-took == 250ms", &obs);
    fails("header.x-took > 1s", &obs);
}

#[test]
fn json_paths_select_values_from_the_body() {
    let obs = Observation::from_json(json!({
        "ok": true,
        "queue_depth": 3,
        "items": [{"name": "a", "tags": ["x"]}, {"name": "b"}],
        "odd-key": {"with space": 1},
        "nested": {"deep": {"er": "yes"}},
    }));
    passes("json.ok == true", &obs);
    passes("json.queue_depth < 10", &obs);
    passes("json.items[0].name == a", &obs);
    passes("json.items[1].name == \"b\"", &obs);
    passes("json.items[-1].name == b", &obs);
    passes("json.items[0].tags contains x", &obs);
    passes("json.nested.deep.er == yes", &obs);
    passes("json.odd-key exists", &obs);
    passes("json.odd-key.\"with space\" == 1", &obs);
    passes("json[\"odd-key\"]['with space'] == 1", &obs);
    passes("json.items.* exists", &obs);
    passes("len(json.items.*) == 2", &obs);
    passes("json exists", &obs);
    passes("len(json) == 5", &obs);
    fails("json.queue_depth !exists", &obs);
    passes("json.absent !exists", &obs);
}

#[test]
fn raw_jsonpath_may_contain_spaces_in_filters() {
    let obs =
        Observation::from_json(json!({"result": [{"name": "x", "n": 1}, {"name": "y", "n": 2}]}));
    passes("$.result[?@.name == 'x'] exists", &obs);
    passes("$.result[?@.name == 'x'].n == 1", &obs);
    passes("$.result[?@.name == 'z'] !exists", &obs);
    passes("$.result[?(@.n > 0 && @.n < 3)].name == [x, y]", &obs);
    passes("$..name contains y", &obs);
}

#[test]
fn several_nodes_make_a_list_and_none_make_nothing() {
    let obs = Observation::from_json(json!({"a": [{"v": 1}, {"v": 2}, {"v": 3}]}));
    assert_eq!(got("$.a[*].v exists", &obs), "[1,2,3]");
    passes("$.a[*].v == [1, 2, 3]", &obs);
    passes("$.a[*].v contains 2", &obs);
    passes("len($.a[*]) == 3", &obs);
    assert_eq!(got("$.a[*].w exists", &obs), "nothing");
    assert_eq!(got("$.a[0].v exists", &obs), "1");
}

#[test]
fn result_reads_the_json_rpc_result_member() {
    let obs =
        Observation::from_json(json!({"jsonrpc": "2.0", "id": 1, "result": {"items": [1, 2]}}));
    passes("result exists", &obs);
    passes("result.items contains 2", &obs);
    passes("len(result.items) == 2", &obs);
    passes("result[\"items\"][0] == 1", &obs);
    let error = Observation::from_json(json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -1}}));
    passes("result !exists", &error);
    fails("len(result) > 0", &error);
    assert_eq!(
        judge("len(result) > 0", &error).message,
        "expected len(result) > 0, got nothing"
    );
}

#[test]
fn a_body_that_is_not_json_yields_nothing_and_says_why() {
    let obs = http("<html>");
    fails("json exists", &obs);
    passes("json.a !exists", &obs);
    assert_eq!(got("json.a exists", &obs), "nothing (the body is not JSON)");
}

#[test]
fn len_measures_strings_lists_objects_and_body_bytes() {
    let obs = Observation::from_json(json!({"s": "héllo", "l": [1, 2, 3], "o": {"a": 1}, "n": 5}));
    passes("len(json.s) == 5", &obs);
    passes("len(json.l) == 3", &obs);
    passes("len(json.o) == 1", &obs);
    fails("len(json.n) >= 0", &obs);
    assert_eq!(
        got("len(json.n) > 0", &obs),
        "nothing (not a string, list or object)"
    );
    fails("len(json.missing) >= 0", &obs);
    passes("len(json.missing) !exists", &obs);
    // The body counts bytes, where a header or other text counts chars.
    let text = http("héllo");
    passes("len(body) == 6", &text);
    passes("len(header.content-type) == 10", &text);
    passes("len(  body  ) == 6", &text);
}

// It uses html(), which needs the `html` feature.
#[cfg(feature = "html")]
#[test]
fn html_counts_elements_matching_a_selector() {
    let obs = full();
    passes("html(nav#hero-nav) >= 1", &obs);
    passes("html(nav#hero-nav a) == 2", &obs);
    passes("html(nav > a:nth-child(2)) == 1", &obs);
    passes("html(a[href=\"x y\"]) == 0", &obs);
    passes("html(footer) == 0", &obs);
    assert_eq!(got("html(a) > 0", &obs), "2");
}

#[test]
fn cert_fields_come_from_the_peer_certificate() {
    let obs = full();
    passes("cert.days_left > 14", &obs);
    passes("cert.days_left == 30", &obs);
    passes("cert.issuer contains Let's Encrypt", &obs);
    passes("cert.subject == CN=example.org", &obs);
    passes("cert.not_after > 2026-01-01", &obs);
    passes("cert.not_after == 2026-03-01T00:00:00Z", &obs);
    passes("cert.not_after < \"2026-03-02\"", &obs);
    passes("cert.not_after contains 2026-03", &obs);
    passes("cert.not_after matches ^2026-", &obs);
    assert_eq!(
        got("cert.not_after exists", &obs),
        "\"2026-03-01T00:00:00Z\""
    );

    let plain = http("");
    fails("cert.days_left > 14", &plain);
    passes("cert.issuer !exists", &plain);
    assert_eq!(got("cert.days_left > 14", &plain), "nothing");
}

#[test]
fn dns_fields_come_from_the_answer() {
    let obs = full();
    passes("dns.rcode == NOERROR", &obs);
    passes("dns.rcode in [NOERROR, NXDOMAIN]", &obs);
    passes("dns.addresses contains 10.0.0.2", &obs);
    passes("dns.addresses !contains 10.0.0.3", &obs);
    passes("dns.addresses == [10.0.0.1, \"10.0.0.2\"]", &obs);
    passes("len(dns.addresses) == 2", &obs);
    passes("dns.addresses matches 10\\.0\\.0\\.2", &obs);
    assert_eq!(
        got("dns.addresses exists", &obs),
        "[\"10.0.0.1\",\"10.0.0.2\"]"
    );
    passes("dns.rcode !exists", &http(""));
    fails("dns.addresses !contains 10.0.0.3", &http(""));
}

#[test]
fn banner_is_a_tcp_peers_first_line_and_nothing_elsewhere() {
    let mut obs = Observation::default();
    obs.banner = Some("SSH-2.0-OpenSSH_9.6 \u{1b}[31m".into());
    passes("banner contains SSH-2.0", &obs);
    passes("banner matches '^SSH-2\\.0-'", &obs);
    passes("len(banner) == 25", &obs);
    fails("banner == +PONG", &obs);
    assert!(
        !got("banner == +PONG", &obs).contains('\u{1b}'),
        "what a peer says is shown without its control characters"
    );
    let http = http("SSH-2.0 in a body");
    fails("banner contains SSH-2.0", &http);
    assert_eq!(got("banner contains SSH-2.0", &http), "nothing");
    passes("banner !exists", &http);
}
