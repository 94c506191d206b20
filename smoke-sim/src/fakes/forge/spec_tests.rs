//! The spec checks on requests an alerting client might get wrong.

use super::super::url::parse_query;
use super::*;

fn check(method: &str, path: &str, query: &str, body: &str) -> Result<Call, String> {
    let query = parse_query(query);
    spec()
        .check(
            method,
            path,
            &query,
            Some("application/json"),
            body.as_bytes(),
        )
        .map_err(|e| e.to_string())
}

#[test]
fn the_alerting_subset_is_in_the_spec() {
    for (method, path, operation) in [
        ("GET", "/api/v1/repos/o/r/labels", "issueListLabels"),
        ("POST", "/api/v1/repos/o/r/labels", "issueCreateLabel"),
        ("GET", "/api/v1/repos/o/r/issues", "issueListIssues"),
        ("POST", "/api/v1/repos/o/r/issues", "issueCreateIssue"),
        ("GET", "/api/v1/repos/o/r/issues/7", "issueGetIssue"),
        ("PATCH", "/api/v1/repos/o/r/issues/7", "issueEditIssue"),
        (
            "GET",
            "/api/v1/repos/o/r/issues/7/comments",
            "issueGetComments",
        ),
        (
            "POST",
            "/api/v1/repos/o/r/issues/7/comments",
            "issueCreateComment",
        ),
        ("POST", "/api/v1/repos/o/r/issues/7/labels", "issueAddLabel"),
    ] {
        let body = match method {
            "POST" if operation == "issueCreateLabel" => r##"{"name":"a","color":"#00aabb"}"##,
            "POST" if operation == "issueCreateIssue" => r#"{"title":"t"}"#,
            "POST" if operation == "issueCreateComment" => r#"{"body":"b"}"#,
            "POST" | "PATCH" => "{}",
            _ => "",
        };
        let call = check(method, path, "", body).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert_eq!(call.operation, operation);
    }
}

#[test]
fn literal_segments_win_over_parameters() {
    let call = check("GET", "/api/v1/repos/o/r/issues/pinned", "", "").unwrap();
    assert_eq!(call.operation, "repoListPinnedIssues");
    let call = check("GET", "/api/v1/repos/o/r/issues/12", "", "").unwrap();
    assert_eq!(call.path_params["index"], "12");
    assert_eq!(call.path_params["owner"], "o");
}

#[test]
fn mixed_segments_split_at_their_literals() {
    let call = check("GET", "/api/v1/repos/o/r/pulls/3.diff", "", "").unwrap();
    assert_eq!(call.path_params["index"], "3");
    assert_eq!(call.path_params["diffType"], "diff");
}

#[test]
fn violations_say_what_is_wrong() {
    let cases = [
        (
            "GET",
            "/api/v2/repos/o/r/issues",
            "",
            "",
            "outside the API base path",
        ),
        (
            "GET",
            "/api/v1/repos/o/r/nonsense",
            "",
            "",
            "no path of the spec",
        ),
        ("PUT", "/api/v1/repos/o/r/issues", "", "", "no PUT"),
        (
            "GET",
            "/api/v1/repos/o/r/issues/x",
            "",
            "",
            "`index` must be an integer",
        ),
        (
            "GET",
            "/api/v1/repos/o/r/issues",
            "per_page=5",
            "",
            "`per_page` is not declared",
        ),
        (
            "GET",
            "/api/v1/repos/o/r/issues",
            "state=opened",
            "",
            "must be one of",
        ),
        (
            "GET",
            "/api/v1/repos/o/r/issues",
            "page=two",
            "",
            "must be an integer",
        ),
        (
            "GET",
            "/api/v1/repos/o/r/issues",
            "since=yesterday",
            "",
            "RFC 3339",
        ),
        (
            "GET",
            "/api/v1/repos/o/r/issues",
            "",
            "{}",
            "takes no request body",
        ),
        (
            "POST",
            "/api/v1/repos/o/r/issues",
            "",
            r#"{"title":"t","label":[1]}"#,
            "unknown field `body.label`",
        ),
        (
            "POST",
            "/api/v1/repos/o/r/issues",
            "",
            r#"{"body":"b"}"#,
            "`body.title` is required",
        ),
        (
            "POST",
            "/api/v1/repos/o/r/issues",
            "",
            r#"{"title":5}"#,
            "must be a string",
        ),
        (
            "POST",
            "/api/v1/repos/o/r/issues",
            "",
            r#"{"title":"t","labels":["bug"]}"#,
            "`body.labels[0]` must be an integer",
        ),
        (
            "POST",
            "/api/v1/repos/o/r/issues",
            "",
            r#"{"title":"t","body":null}"#,
            "null",
        ),
        (
            "POST",
            "/api/v1/repos/o/r/issues",
            "",
            "[1]",
            "must be an object",
        ),
        ("POST", "/api/v1/repos/o/r/issues", "", "{", "not JSON"),
        (
            "PATCH",
            "/api/v1/repos/o/r/issues/1",
            "",
            r#"{"due_date":"soon"}"#,
            "RFC 3339",
        ),
    ];
    for (method, path, query, body, expected) in cases {
        let error = check(method, path, query, body)
            .err()
            .unwrap_or_else(|| panic!("{method} {path}?{query} {body} passed"));
        assert!(
            error.contains(expected),
            "{method} {path}?{query} {body}: {error}"
        );
    }
}

#[test]
fn a_body_must_be_declared_json() {
    let error = spec()
        .check(
            "POST",
            "/api/v1/repos/o/r/issues",
            &[],
            Some("text/plain"),
            br#"{"title":"t"}"#,
        )
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("application/json"), "{error}");
}

#[test]
fn label_ids_or_names_both_fit_issue_labels_option() {
    check(
        "POST",
        "/api/v1/repos/o/r/issues/1/labels",
        "",
        r#"{"labels":[1,"bug"]}"#,
    )
    .unwrap();
}
