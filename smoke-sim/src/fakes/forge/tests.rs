//! The fake over HTTP: attaching a file to an issue the way smoke's forge sink does, with
//! reqwest's multipart encoding written out byte for byte.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

use super::routes::MAX_BODY;
use super::spec::spec;
use super::{FakeAttachment, FakeForge};

const TOKEN: &str = "s3cret-token";
/// As reqwest makes one: four random 64-bit numbers in hex.
const BOUNDARY: &str = "9f86d081884c7d65-9a2feaa0c55ad015-a3bf4f1b2b0b822c-d15d6c15b0f00a08";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

async fn start() -> FakeForge {
    FakeForge::start(TOKEN, "ops/alerts").await.unwrap()
}

/// One authenticated request to the repository `ops/alerts` on a fresh connection; the
/// status and the body read as JSON.
async fn send(
    forge: &FakeForge,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let url: http::Uri = format!("{}/api/v1/repos/ops/alerts{path}", forge.url())
        .parse()
        .unwrap();
    let authority = url.authority().unwrap().to_string();
    let stream = TcpStream::connect(&authority).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(url.path_and_query().unwrap().as_str())
        .header("host", authority)
        .header("authorization", format!("token {TOKEN}"));
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let request = request.body(Full::new(Bytes::from(body))).unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
    (status, value)
}

async fn create_issue(forge: &FakeForge, title: &str) {
    let body = json!({ "title": title }).to_string().into_bytes();
    let (status, _) = send(
        forge,
        Method::POST,
        "/issues",
        Some("application/json"),
        body,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

/// What reqwest sends for `Form::new().part("attachment",
/// Part::bytes(bytes).file_name(filename).mime_str("image/png"))`.
fn reqwest_form(filename: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachment\"; \
         filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

async fn upload(
    forge: &FakeForge,
    path: &str,
    filename: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let (content_type, body) = reqwest_form(filename, bytes);
    send(forge, Method::POST, path, Some(&content_type), body).await
}

#[tokio::test]
async fn a_screenshot_attached_to_an_issue_is_kept_and_answered_as_forgejo_does() {
    let forge = start().await;
    create_issue(&forge, "photos probe failing").await;

    let (status, first) = upload(&forge, "/issues/1/assets", "shot.png", PNG).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    spec().check_answer(&first, "Attachment").unwrap();
    let uuid = first["uuid"].as_str().unwrap().to_owned();
    assert_eq!(uuid.len(), 36, "{uuid}");
    assert_eq!(first["name"], "shot.png");
    assert_eq!(first["size"], PNG.len());
    assert_eq!(first["download_count"], 0);
    assert_eq!(first["type"], "attachment");
    assert_eq!(
        first["browser_download_url"],
        format!("{}/attachments/{uuid}", forge.url())
    );

    let path = "/issues/1/assets?name=after.png&updated_at=2026-12-01T10%3A00%3A00Z";
    let (status, second) = upload(&forge, path, "dir/before.png", b"second").await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["name"], "after.png");
    assert_eq!(second["created_at"], "2026-12-01T10:00:00Z");
    assert_ne!(second["uuid"], first["uuid"]);

    let (_, issue) = send(&forge, Method::GET, "/issues/1", None, Vec::new()).await;
    assert_eq!(issue["assets"], json!([first, second]));
    assert_eq!(issue["updated_at"], "2026-12-01T10:00:00Z");

    let issues = forge.issues();
    assert_eq!(
        issues[0].attachments,
        [
            FakeAttachment {
                name: "shot.png".to_owned(),
                filename: "shot.png".to_owned(),
                content_type: Some("image/png".to_owned()),
                bytes: PNG.to_vec(),
                uuid,
            },
            FakeAttachment {
                name: "after.png".to_owned(),
                filename: "dir/before.png".to_owned(),
                content_type: Some("image/png".to_owned()),
                bytes: b"second".to_vec(),
                uuid: second["uuid"].as_str().unwrap().to_owned(),
            },
        ]
    );
    assert!(forge.violations().is_empty(), "{:?}", forge.violations());
}

#[tokio::test]
async fn an_upload_to_a_missing_issue_is_not_found_and_breaks_no_rule() {
    let forge = start().await;
    let (status, body) = upload(&forge, "/issues/4/assets", "shot.png", PNG).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(forge.violations().is_empty(), "{:?}", forge.violations());
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_as_over_quota_not_held_as_a_violation() {
    let forge = start().await;
    create_issue(&forge, "big").await;
    let (status, body) = upload(&forge, "/issues/1/assets", "huge.png", &vec![0; MAX_BODY]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        json!({ "message": "quota exceeded", "user_id": 1, "username": "ops" })
    );
    assert!(forge.issues()[0].attachments.is_empty());
    assert!(forge.violations().is_empty(), "{:?}", forge.violations());
    assert_eq!(
        forge.requests().last().unwrap(),
        "POST /api/v1/repos/ops/alerts/issues/1/assets"
    );
}

#[tokio::test]
async fn a_json_upload_is_a_violation() {
    let forge = start().await;
    create_issue(&forge, "x").await;
    let body = json!({ "attachment": "iVBORw0KGgo=" })
        .to_string()
        .into_bytes();
    let path = "/issues/1/assets";
    let (status, answer) = send(&forge, Method::POST, path, Some("application/json"), body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("must be sent as multipart/form-data"));
    assert_eq!(
        forge.violations(),
        [
            "POST /api/v1/repos/ops/alerts/issues/1/assets: the body of \
             issueCreateIssueAttachment must be sent as multipart/form-data, not \
             `application/json`"
        ]
    );
}
