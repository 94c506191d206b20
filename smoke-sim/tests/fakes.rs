//! The alerting fakes seen from a client: the fake Forgejo's API and its spec checks, the
//! webhook receiver, and the real Alertmanager harness.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use smoke_sim::fakes::{Alertmanager, FakeForge, FakeHook};
use tokio::net::TcpStream;

const TOKEN: &str = "s3cret-token";
const AUTH: (&str, &str) = ("authorization", "token s3cret-token");

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `rel="next"` target of the `Link` header, if any.
    fn next_link(&self) -> Option<String> {
        self.header("link")?.split(',').find_map(|link| {
            let (target, rel) = link.split_once(';')?;
            (rel.trim() == "rel=\"next\"").then(|| {
                target
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
        })
    }
}

/// One request on a fresh connection: the smallest client that speaks real HTTP/1.1.
async fn send(method: Method, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer {
    let uri: http::Uri = url.parse().unwrap();
    let authority = uri.authority().unwrap().to_string();
    let stream = TcpStream::connect(&authority).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(uri.path_and_query().unwrap().as_str())
        .header("host", authority);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or("").to_owned())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

/// An authenticated call to the fake repository `ops/alerts`.
async fn repo(forge: &FakeForge, method: Method, path: &str, body: Option<Value>) -> Answer {
    let url = format!("{}/api/v1/repos/ops/alerts{path}", forge.url());
    send(
        method,
        &url,
        &[AUTH],
        body.map(|b| b.to_string()).as_deref(),
    )
    .await
}

async fn start_forge() -> FakeForge {
    FakeForge::start(TOKEN, "ops/alerts").await.unwrap()
}

fn numbers(issues: &Value) -> Vec<i64> {
    issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn forge_labels_issues_pages_comments_and_state_like_forgejo() {
    let forge = start_forge().await;

    let smoke = repo(
        &forge,
        Method::POST,
        "/labels",
        Some(json!({"name": "smoke", "color": "#E11D21"})),
    )
    .await;
    assert_eq!(smoke.status, StatusCode::CREATED);
    let smoke = smoke.json();
    assert_eq!(
        (smoke["name"].as_str(), smoke["color"].as_str()),
        (Some("smoke"), Some("e11d21"))
    );
    let smoke_id = smoke["id"].as_i64().unwrap();
    let other = repo(
        &forge,
        Method::POST,
        "/labels",
        Some(json!({"name": "other", "color": "0f0"})),
    )
    .await;
    let other_id = other.json()["id"].as_i64().unwrap();

    let labels = repo(&forge, Method::GET, "/labels", None).await;
    assert_eq!(labels.status, StatusCode::OK);
    assert_eq!(labels.header("x-total-count"), Some("2"));
    let names: Vec<Value> = labels
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].clone())
        .collect();
    assert_eq!(names, [json!("other"), json!("smoke")]);

    for n in 1..=12 {
        let body = json!({"title": format!("probe {n} failing"), "body": "details", "labels": [smoke_id], "assignees": ["ops"]});
        let created = repo(&forge, Method::POST, "/issues", Some(body)).await;
        assert_eq!(created.status, StatusCode::CREATED);
        let issue = created.json();
        assert_eq!(issue["number"], n);
        assert_eq!(issue["state"], "open");
        assert_eq!(issue["labels"][0]["name"], "smoke");
        assert_eq!(issue["closed_at"], Value::Null);
    }
    for title in ["unrelated 1", "unrelated 2"] {
        let created = repo(
            &forge,
            Method::POST,
            "/issues",
            Some(json!({"title": title})),
        )
        .await;
        assert_eq!(created.status, StatusCode::CREATED);
    }

    // Five a page, newest first, followed by `Link: rel="next"` to the end.
    let mut url = format!(
        "{}/api/v1/repos/ops/alerts/issues?state=open&labels=smoke&type=issues&limit=5",
        forge.url()
    );
    let mut pages = Vec::new();
    loop {
        let page = send(Method::GET, &url, &[AUTH], None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.header("x-total-count"), Some("12"));
        pages.push(numbers(&page.json()));
        match page.next_link() {
            Some(next) => url = next,
            None => break,
        }
    }
    assert_eq!(
        pages,
        [vec![12, 11, 10, 9, 8], vec![7, 6, 5, 4, 3], vec![2, 1]]
    );

    let comment = repo(
        &forge,
        Method::POST,
        "/issues/3/comments",
        Some(json!({"body": "still failing"})),
    )
    .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    let comment = comment.json();
    assert_eq!(comment["body"], "still failing");
    let html = format!(
        "{}/ops/alerts/issues/3#issuecomment-{}",
        forge.url(),
        comment["id"]
    );
    assert_eq!(comment["html_url"], html.as_str());
    assert!(comment["created_at"].as_str().unwrap().ends_with('Z'));
    let comments = repo(&forge, Method::GET, "/issues/3/comments", None)
        .await
        .json();
    assert_eq!(comments.as_array().unwrap().len(), 1);

    let closed = repo(
        &forge,
        Method::PATCH,
        "/issues/3",
        Some(json!({"state": "closed"})),
    )
    .await;
    assert_eq!(closed.status, StatusCode::CREATED);
    assert_eq!(closed.json()["state"], "closed");
    assert!(closed.json()["closed_at"].is_string());
    let open = repo(&forge, Method::GET, "/issues?labels=smoke", None).await;
    assert_eq!(open.header("x-total-count"), Some("11"));
    let closed_list = repo(&forge, Method::GET, "/issues?state=closed", None).await;
    assert_eq!(numbers(&closed_list.json()), [3]);

    let reopened = repo(
        &forge,
        Method::PATCH,
        "/issues/3",
        Some(json!({"state": "open", "title": "probe 3 failing again"})),
    )
    .await;
    assert_eq!(reopened.status, StatusCode::CREATED);
    assert_eq!(reopened.json()["state"], "open");
    assert_eq!(reopened.json()["closed_at"], Value::Null);

    let labelled = repo(
        &forge,
        Method::POST,
        "/issues/3/labels",
        Some(json!({"labels": [other_id, 99999]})),
    )
    .await;
    assert_eq!(labelled.status, StatusCode::OK);
    let names: Vec<Value> = labelled
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].clone())
        .collect();
    assert_eq!(names, [json!("smoke"), json!("other")]);

    let issue = repo(&forge, Method::GET, "/issues/3", None).await;
    assert_eq!(issue.status, StatusCode::OK);
    let issue = issue.json();
    assert_eq!(
        issue["html_url"],
        format!("{}/ops/alerts/issues/3", forge.url()).as_str()
    );
    assert_eq!(issue["comments"], 1);
    assert_eq!(issue["title"], "probe 3 failing again");
    assert_eq!(issue["assignees"][0]["login"], "ops");
    assert_ne!(issue["id"], issue["number"]);

    let seen = forge.issues();
    assert_eq!(seen.len(), 14);
    let third = &seen[2];
    assert_eq!(third.number, 3);
    assert_eq!(third.state, "open");
    assert_eq!(third.labels, ["smoke", "other"]);
    assert_eq!(third.comments, ["still failing"]);
    assert_eq!(forge.labels(), ["smoke", "other"]);
    assert!(forge
        .requests()
        .contains(&"POST /api/v1/repos/ops/alerts/issues".to_owned()));
    assert!(forge.violations().is_empty(), "{:?}", forge.violations());
}

#[tokio::test]
async fn forge_limits_pages_to_fifty_and_links_back() {
    let forge = start_forge().await;
    for n in 0..52 {
        repo(
            &forge,
            Method::POST,
            "/issues",
            Some(json!({"title": format!("i{n}")})),
        )
        .await;
    }
    let first = repo(&forge, Method::GET, "/issues?limit=100", None).await;
    assert_eq!(first.json().as_array().unwrap().len(), 50);
    assert_eq!(first.header("x-total-count"), Some("52"));
    let default = repo(&forge, Method::GET, "/issues?page=2", None).await;
    assert_eq!(default.json().as_array().unwrap().len(), 22);
    let link = default.header("link").unwrap();
    assert!(link.contains("page=1>; rel=\"first\""), "{link}");
    assert!(link.contains("page=1>; rel=\"prev\""), "{link}");
    assert!(default.next_link().is_none());
    assert!(forge.violations().is_empty(), "{:?}", forge.violations());
}

#[tokio::test]
async fn forge_lists_every_issue_for_a_label_it_does_not_have_as_forgejo_does() {
    let forge = start_forge().await;
    repo(&forge, Method::POST, "/issues", Some(json!({"title": "a"}))).await;
    let listed = repo(&forge, Method::GET, "/issues?labels=never-created", None).await;
    assert_eq!(numbers(&listed.json()), [1]);
}

#[tokio::test]
async fn a_hand_closed_issue_is_closed_for_the_client() {
    let forge = start_forge().await;
    repo(&forge, Method::POST, "/issues", Some(json!({"title": "a"}))).await;
    forge.close_by_hand(1);
    assert_eq!(
        repo(&forge, Method::GET, "/issues/1", None).await.json()["state"],
        "closed"
    );
    assert!(repo(&forge, Method::GET, "/issues", None)
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(forge.issues()[0].state, "closed");
}

#[tokio::test]
async fn forge_wants_the_token_in_the_authorization_header() {
    let forge = start_forge().await;
    let url = format!("{}/api/v1/repos/ops/alerts/issues", forge.url());
    for headers in [
        vec![],
        vec![("authorization", "token wrong")],
        vec![("authorization", "Bearer s3cret-token")],
    ] {
        let answer = send(Method::GET, &url, &headers, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{headers:?}");
        assert!(answer.json()["message"].is_string());
    }
    assert_eq!(forge.requests().len(), 3);
    assert!(forge.violations().is_empty());
}

#[tokio::test]
async fn forge_refuses_and_records_a_body_field_the_spec_does_not_have() {
    let forge = start_forge().await;
    let answer = repo(
        &forge,
        Method::POST,
        "/issues",
        Some(json!({"title": "t", "labelz": [1]})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.json()["message"]
        .as_str()
        .unwrap()
        .contains("labelz"));
    let violations = forge.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].starts_with("POST /api/v1/repos/ops/alerts/issues: "),
        "{violations:?}"
    );
    assert!(
        violations[0].contains("CreateIssueOption has no property `labelz`"),
        "{violations:?}"
    );
    assert!(forge.issues().is_empty());

    // Label names where ids belong, and a missing required field, are violations too.
    repo(
        &forge,
        Method::POST,
        "/issues",
        Some(json!({"title": "t", "labels": ["smoke"]})),
    )
    .await;
    repo(
        &forge,
        Method::POST,
        "/labels",
        Some(json!({"name": "smoke"})),
    )
    .await;
    let violations = forge.violations();
    assert!(
        violations[1].contains("`body.labels[0]` must be an integer"),
        "{violations:?}"
    );
    assert!(
        violations[2].contains("`body.color` is required"),
        "{violations:?}"
    );
}

#[tokio::test]
async fn forge_refuses_and_records_a_query_parameter_the_spec_does_not_have() {
    let forge = start_forge().await;
    let answer = repo(&forge, Method::GET, "/issues?state=open&per_page=50", None).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let violations = forge.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].contains("query parameter `per_page` is not declared for issueListIssues"),
        "{violations:?}"
    );
}

#[tokio::test]
async fn forge_holds_paths_and_methods_to_the_spec_and_says_what_it_lacks() {
    let forge = start_forge().await;
    let answer = repo(&forge, Method::DELETE, "/labels", None).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(forge.violations().len(), 1);
    // In the spec, but not something the fake serves: no violation, just 501.
    let answer = repo(&forge, Method::GET, "/issues/1/labels", None).await;
    assert_eq!(answer.status, StatusCode::NOT_IMPLEMENTED);
    // Another repository, a missing issue: Forgejo's 404.
    let url = format!("{}/api/v1/repos/ops/elsewhere/issues", forge.url());
    assert_eq!(
        send(Method::GET, &url, &[AUTH], None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        repo(&forge, Method::GET, "/issues/9", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(forge.violations().len(), 1, "{:?}", forge.violations());
}

#[tokio::test]
async fn a_down_forge_answers_503_until_it_is_back() {
    let forge = start_forge().await;
    forge.set_down(true);
    assert_eq!(
        repo(&forge, Method::GET, "/issues", None).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let url = format!("{}/api/v1/repos/ops/alerts/issues?nonsense=1", forge.url());
    assert_eq!(
        send(Method::GET, &url, &[], None).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    forge.set_down(false);
    assert_eq!(
        repo(&forge, Method::GET, "/issues", None).await.status,
        StatusCode::OK
    );
    assert!(forge.violations().is_empty());
    assert_eq!(forge.requests().len(), 3);
}

#[tokio::test]
async fn a_slow_forge_answers_late() {
    let forge = start_forge().await;
    forge.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(
        repo(&forge, Method::GET, "/labels", None).await.status,
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_dropped_forge_stops_listening() {
    let forge = start_forge().await;
    let address = forge.url().trim_start_matches("http://").to_owned();
    drop(forge);
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(&address).await.is_ok() {
        assert!(Instant::now() < deadline, "still listening on {address}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_hook_records_json_answers_ok_and_can_go_down() {
    let hook = FakeHook::start().await.unwrap();
    let url = format!("{}/services/T000/B000/XXXX", hook.url());
    let first = json!({"text": "probe failing", "blocks": []});
    let answer = send(
        Method::POST,
        &url,
        &[("user-agent", "smoke")],
        Some(&first.to_string()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(&answer.body[..], b"ok");

    hook.set_down(true);
    let answer = send(Method::POST, &url, &[], Some(r#"{"text":"lost"}"#)).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    hook.set_down(false);

    let second = json!({"alert": "resolved"});
    send(
        Method::POST,
        &format!("{}/generic", hook.url()),
        &[],
        Some(&second.to_string()),
    )
    .await;
    assert_eq!(
        send(Method::POST, &url, &[], Some("not json")).await.status,
        StatusCode::BAD_REQUEST
    );

    assert_eq!(hook.received(), [first, second]);
    let requests = hook.requests();
    assert_eq!(requests[0].path, "/services/T000/B000/XXXX");
    assert!(requests[0]
        .headers
        .contains(&("user-agent".to_owned(), "smoke".to_owned())));
    assert_eq!(requests[1].path, "/generic");
    assert_eq!(hook.attempts(), 4);
}

fn alert(starts_at: &str, ends_at: Option<&str>) -> String {
    let mut alert = json!({
        "labels": {"alertname": "SmokeProbeFailing", "panel": "hero", "probe": "os-ui"},
        "annotations": {"summary": "os-ui is failing"},
        "startsAt": starts_at,
    });
    if let Some(ends_at) = ends_at {
        alert["endsAt"] = json!(ends_at);
    }
    json!([alert]).to_string()
}

#[ignore = "needs prometheus-alertmanager (apt-get install prometheus-alertmanager)"]
#[tokio::test]
async fn alertmanager_takes_an_alert_and_its_resolution() {
    let alertmanager = Alertmanager::start().await.unwrap();
    let alerts_url = format!("{}/api/v2/alerts", alertmanager.url());
    let now = jiff::Timestamp::now();
    let started = (now - jiff::SignedDuration::from_secs(300)).to_string();

    let posted = send(Method::POST, &alerts_url, &[], Some(&alert(&started, None))).await;
    assert_eq!(posted.status, StatusCode::OK, "{:?}", posted.body);
    let alerts = alertmanager.alerts().await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["labels"]["probe"], "os-ui");
    assert_eq!(alerts[0]["status"]["state"], "active");

    let ended = (now - jiff::SignedDuration::from_secs(1)).to_string();
    let resolved = send(
        Method::POST,
        &alerts_url,
        &[],
        Some(&alert(&started, Some(&ended))),
    )
    .await;
    assert_eq!(resolved.status, StatusCode::OK, "{:?}", resolved.body);
    let active = send(Method::GET, &format!("{alerts_url}?active=true"), &[], None).await;
    assert_eq!(active.json(), json!([]));
    assert!(alertmanager.alerts().await.unwrap().is_empty());
}
