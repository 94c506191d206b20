//! The form reader on what clients send, byte for byte, and on the ways a body goes wrong.

use super::*;

/// A boundary the way reqwest makes one: four random 64-bit numbers in hex.
const BOUNDARY: &str = "5c0f2a1b9e3d4c7a-0b1c2d3e4f506172-8394a5b6c7d8e9f0-1a2b3c4d5e6f7081";

fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// reqwest's layout: no preamble, `--boundary` CRLF, the disposition and type lines, a blank
/// line, the bytes, CRLF, and `--boundary--` CRLF to close.
fn reqwest_body(content: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachment\"; \
         filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn fails(content_type: &str, body: &str) -> String {
    parse(content_type, body.as_bytes())
        .err()
        .unwrap_or_else(|| panic!("{content_type}\n{body}\nwas accepted"))
        .to_string()
}

#[test]
fn reqwest_file_parts_parse_with_their_bytes_intact() {
    // Content holding CRLFs, dashes, and the boundary text where it is not a delimiter.
    let png = [
        b"\x89PNG\r\n\x1a\n\r\n--not-it\r\n".as_slice(),
        format!("x--{BOUNDARY}\r\n--{BOUNDARY}x").as_bytes(),
        b"\0\xff",
    ]
    .concat();
    let parts = parse(&content_type(), &reqwest_body(&png)).unwrap();
    assert_eq!(
        parts,
        [FormPart {
            name: "attachment".to_owned(),
            filename: Some("x.png".to_owned()),
            content_type: Some("image/png".to_owned()),
            bytes: png,
        }]
    );
}

#[test]
fn quoted_boundaries_escaped_filenames_and_plain_fields_parse() {
    let body = "--a:b\r\n\
                content-disposition: FORM-DATA; name=note\r\n\r\n\
                hello\r\n\
                --a:b\r\n\
                Content-Disposition: form-data; name=\"f\"; filename=\"say \\\"hi\\\".txt\"\r\n\r\n\
                \r\n\
                --a:b--";
    let parts = parse(
        "Multipart/Form-Data; charset=utf-8; boundary=\"a:b\"",
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(
        (parts[0].name.as_str(), parts[0].filename.as_deref()),
        ("note", None)
    );
    assert_eq!(parts[0].bytes, b"hello");
    assert_eq!(parts[1].filename.as_deref(), Some("say \"hi\".txt"));
    assert!(parts[1].bytes.is_empty());
}

#[test]
fn the_boundary_followed_by_other_text_is_content() {
    let body =
        "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\none\r\n--bb\r\ntwo\r\n--b--\r\n";
    let parts = parse("multipart/form-data; boundary=b", body.as_bytes()).unwrap();
    assert_eq!(parts[0].bytes, b"one\r\n--bb\r\ntwo");
}

#[test]
fn an_empty_form_has_no_parts() {
    assert_eq!(
        parse("multipart/form-data; boundary=b", b"--b--\r\n"),
        Ok(Vec::new())
    );
}

#[test]
fn malformed_bodies_say_where() {
    let ct = "multipart/form-data; boundary=b";
    let disposition = "Content-Disposition: form-data; name=\"a\"";
    for (content_type, body, expected) in [
        ("multipart/form-data", "--b--\r\n", "no `boundary`"),
        ("multipart/form-data; boundary=", "--b--\r\n", "malformed"),
        ("multipart/form-data; boundary=\"b \"", "", "is not 1 to 70"),
        (
            "multipart/form-data; boundary=\"a]b\"",
            "",
            "is not 1 to 70",
        ),
        (ct, "", "does not start with the boundary line `--b`"),
        (ct, "preamble\r\n--b--\r\n", "does not start"),
        (ct, "--b\n", "followed by `\\n` instead of CRLF"),
        (ct, "--bx\r\n", "followed by `x\\r\\n`"),
        (
            ct,
            &format!("--b\r\n{disposition}\n\nx\r\n--b--\r\n"),
            "part 1: a header line ends in a bare LF",
        ),
        (
            ct,
            &format!("--b\r\n{disposition}\r\n\r\nx\n--b--\n"),
            "part 1 is not closed: the body ends before the closing boundary `--b--`",
        ),
        (
            ct,
            &format!("--b\r\n{disposition}\r\n\r\nx"),
            "part 1 is not closed",
        ),
        (
            ct,
            &format!("--b\r\n{disposition}"),
            "part 1: the body ends inside its headers",
        ),
        (
            ct,
            "--b\r\nContent-Type: image/png\r\n\r\nx\r\n--b--",
            "part 1 has no Content-Disposition",
        ),
        (
            ct,
            "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--",
            "must be `form-data`",
        ),
        (
            ct,
            "--b\r\nContent-Disposition: form-data; filename=\"a.png\"\r\n\r\nx\r\n--b--",
            "has no `name`",
        ),
        (
            ct,
            "--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--",
            "malformed parameters",
        ),
        (
            ct,
            "--b\r\nContent-Disposition form-data\r\n\r\nx\r\n--b--",
            "is not a `Name: value` header line",
        ),
        (
            ct,
            &format!("--b\r\n{disposition}\r\n folded\r\n\r\nx\r\n--b--"),
            "not a `Name: value`",
        ),
        (
            ct,
            &format!("--b\r\nX: {}\r\n\r\n", "y".repeat(MAX_HEADER_BYTES)),
            "headers run past",
        ),
    ] {
        let error = fails(content_type, body);
        assert!(error.contains(expected), "{body:?}: {error}");
    }
}

#[test]
fn parts_are_bounded() {
    let part = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
    let body = format!("{}--b--\r\n", part.repeat(MAX_PARTS + 1));
    assert!(fails("multipart/form-data; boundary=b", &body).contains("more than 64 parts"));
}
