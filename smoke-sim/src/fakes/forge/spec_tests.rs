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

const ASSETS: &str = "/api/v1/repos/o/r/issues/7/assets";
const BOUNDARY: &str = "0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef";

/// A form laid out as reqwest writes one; each part is its Content-Disposition parameters,
/// its Content-Type if any, and its bytes. Returns the request's Content-Type and body.
fn form(parts: &[(&str, Option<&str>, &str)]) -> (String, Vec<u8>) {
    let mut body = String::new();
    for (disposition, content_type, bytes) in parts {
        body += &format!("--{BOUNDARY}\r\nContent-Disposition: form-data; {disposition}");
        if let Some(content_type) = content_type {
            body += &format!("\r\nContent-Type: {content_type}");
        }
        body += &format!("\r\n\r\n{bytes}\r\n");
    }
    body += &format!("--{BOUNDARY}--\r\n");
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    (content_type, body.into_bytes())
}

const PNG_PART: (&str, Option<&str>, &str) = (
    r#"name="attachment"; filename="x.png""#,
    Some("image/png"),
    "\u{89}PNG",
);

fn upload(path: &str, content_type: Option<&str>, body: &[u8]) -> Result<Call, String> {
    spec()
        .check("POST", path, &[], content_type, body)
        .map_err(|e| e.to_string())
}

#[test]
fn a_reqwest_upload_fits_issue_create_issue_attachment() {
    let (content_type, body) = form(&[PNG_PART]);
    let query = parse_query("name=shot.png&updated_at=2026-12-01T10%3A00%3A00Z");
    let call = spec()
        .check("POST", ASSETS, &query, Some(&content_type), &body)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(call.operation, "issueCreateIssueAttachment");
    assert_eq!(call.path_params["index"], "7");
    assert_eq!(call.body, None);
    assert_eq!(
        call.form,
        [FormPart {
            name: "attachment".to_owned(),
            filename: Some("x.png".to_owned()),
            content_type: Some("image/png".to_owned()),
            bytes: "\u{89}PNG".as_bytes().to_vec(),
        }]
    );
}

#[test]
fn form_violations_say_what_is_wrong() {
    let (multipart, _) = form(&[]);
    let upload_of = |parts: &[(&str, Option<&str>, &str)]| {
        let (content_type, body) = form(parts);
        upload(ASSETS, Some(&content_type), &body)
    };
    let bare_lf = format!(
        "--{BOUNDARY}\nContent-Disposition: form-data; name=\"attachment\"; \
         filename=\"x.png\"\n\nx\n--{BOUNDARY}--\n"
    );
    let unclosed = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachment\"; \
         filename=\"x.png\"\r\n\r\nx"
    );
    let cases = [
        (
            upload(ASSETS, Some("application/json"), br#"{"attachment":"x"}"#),
            "the body of issueCreateIssueAttachment must be sent as multipart/form-data, not \
             `application/json`",
        ),
        (
            upload(ASSETS, None, b""),
            "must be sent as multipart/form-data",
        ),
        (
            upload(ASSETS, Some("multipart/form-data"), b"--x--\r\n"),
            "the multipart body of issueCreateIssueAttachment is malformed: its Content-Type \
             has no `boundary` parameter",
        ),
        (
            upload(ASSETS, Some(&multipart), bare_lf.as_bytes()),
            "is malformed: a boundary line is followed by `\\nContent-Dis` instead of CRLF",
        ),
        (
            upload(ASSETS, Some(&multipart), unclosed.as_bytes()),
            "is malformed: part 1 is not closed",
        ),
        (
            upload_of(&[]),
            "required form field `attachment` of issueCreateIssueAttachment is missing",
        ),
        (
            upload_of(&[PNG_PART, (r#"name="comment""#, None, "hi")]),
            "form field `comment` is not declared for issueCreateIssueAttachment \
             (declared: attachment)",
        ),
        (
            upload_of(&[(r#"name="attachment""#, Some("image/png"), "x")]),
            "form field `attachment` of issueCreateIssueAttachment is a file: its \
             Content-Disposition needs a non-empty filename",
        ),
        (
            upload_of(&[(r#"name="attachment"; filename="""#, None, "x")]),
            "needs a non-empty filename",
        ),
        (upload_of(&[PNG_PART, PNG_PART]), "is sent 2 times"),
        (
            {
                let (content_type, body) = form(&[(
                    r#"name="external_url"; filename="u.txt""#,
                    None,
                    "https://example.org",
                )]);
                upload(
                    "/api/v1/repos/o/r/releases/1/assets",
                    Some(&content_type),
                    &body,
                )
            },
            "form field `external_url` of repoCreateReleaseAttachment is not a file",
        ),
        (
            {
                let (content_type, body) = form(&[PNG_PART]);
                upload("/api/v1/repos/o/r/issues", Some(&content_type), &body)
            },
            "the body of issueCreateIssue must be sent as application/json, not \
             `multipart/form-data`",
        ),
        (
            {
                let (content_type, body) = form(&[PNG_PART]);
                upload("/api/v1/repos/o/r/issues/7/pin", Some(&content_type), &body)
            },
            "takes no request body",
        ),
    ];
    for (result, expected) in cases {
        let error = result.err().unwrap_or_else(|| panic!("passed: {expected}"));
        assert!(error.contains(expected), "{error}\nexpected: {expected}");
    }
}
