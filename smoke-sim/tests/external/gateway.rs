//! The gateway: hero_router's routing through TLS, and what it answers when a service or the
//! gateway itself is broken.

use std::convert::Infallible;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use smoke_sim::{Fault, Options};
use tokio::net::UnixListener;

use crate::client::{external, external_with, get, open, request, rpc, send};

#[tokio::test]
async fn a_healthy_service_answers_through_tls() {
    let d = external().await;
    let health = get(&d, "/hero_foundry/rpc/health").await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.text());
    assert_eq!(health.headers["content-type"], "application/json");
    let body = health.json();
    assert_eq!(
        (body["status"].as_str(), body["service"].as_str()),
        (Some("ok"), Some("hero_foundry"))
    );

    let embedder = get(&d, "/hero_embedder/health").await;
    assert_eq!(embedder.status, StatusCode::OK);
    assert_eq!(embedder.json()["service"], "hero_embedder");
}

/// The hero as documented routes by the rule alone: the embedder's health is at the rule's
/// path, and the seed's `/hero_embedder/health` reaches no embedder (HERO.md, "the embedder").
#[tokio::test]
async fn the_hero_layout_serves_the_embedder_s_health_at_the_rule_s_path_only() {
    let d = external_with(Options {
        layout: smoke_sim::Layout::Hero,
        ..Options::default()
    })
    .await;
    let rule = get(&d, "/hero_embedder/rpc/health").await;
    assert_eq!(rule.status, StatusCode::OK);
    assert_eq!(rule.json()["service"], "hero_embedder");
    let seed = get(&d, "/hero_embedder/health").await;
    assert_eq!(seed.status, StatusCode::BAD_GATEWAY);
    let said = String::from_utf8_lossy(&seed.body);
    assert!(said.contains("hero_embedder/health.sock"), "{said}");
}

#[tokio::test]
async fn json_rpc_on_the_bare_socket_path_honours_the_context() {
    let d = external().await;
    let target = "/hero_osis_base/rpc";
    let root = rpc(&d, target, "base.configuration.list", None).await;
    let geomind = rpc(&d, target, "base.configuration.list", Some("geomind")).await;
    assert!(root["result"].is_array(), "{root}");
    assert!(geomind["result"].is_array(), "{geomind}");
    assert_ne!(root["result"], geomind["result"]);

    // The regression the header exists to catch is visible from outside too.
    d.set(Fault::ContextFallback);
    let fallen = rpc(&d, target, "base.configuration.list", Some("geomind")).await;
    assert_eq!(fallen["result"], root["result"]);
}

#[tokio::test]
async fn the_desktop_ui_and_its_missing_socket() {
    let d = external().await;
    let page = get(&d, "/hero_os/ui/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("id=\"hero-nav\""), "{}", page.text());
    assert_eq!(
        get(&d, "/hero_os/ui/islands/photos").await.status,
        StatusCode::OK
    );

    d.set(Fault::UiSocketMissing);
    let gone = get(&d, "/hero_os/ui/").await;
    assert_eq!(gone.status, StatusCode::BAD_GATEWAY);
    assert!(gone.text().contains("hero_os/ui.sock"), "{}", gone.text());
}

#[tokio::test]
async fn unroutable_paths_are_404() {
    let d = external().await;
    for path in ["/", "/hero_os", "/hero_os/"] {
        assert_eq!(get(&d, path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// A service that answers with what it received.
async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let target = req.uri().to_string();
    let headers: serde_json::Map<String, Value> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), Value::from(v.to_str().unwrap_or("?"))))
        .collect();
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let seen = json!({
        "method": method,
        "target": target,
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    Ok(Response::new(Full::new(Bytes::from(seen.to_string()))))
}

fn spawn_echo(socket: &Path) {
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(socket).unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(echo)),
            );
        }
    });
}

#[tokio::test]
async fn requests_are_forwarded_whole_with_the_prefix_stripped() {
    let d = external().await;
    spawn_echo(&d.socket_dir().join("echo_svc").join("rpc.sock"));
    spawn_echo(&d.socket_dir().join("echo_svc").join("web_panel.sock"));

    let mut req = request("PUT", "/echo_svc/rpc/a/b?x=1&y=2", b"{\"k\":1}");
    req.headers_mut()
        .insert("x-hero-context", "incubaid".parse().unwrap());
    let seen = send(&d, req).await.json();
    assert_eq!(seen["method"], "PUT");
    assert_eq!(seen["target"], "/a/b?x=1&y=2");
    assert_eq!(seen["body"], "{\"k\":1}");
    assert_eq!(seen["headers"]["x-hero-context"], "incubaid");
    assert_eq!(seen["headers"]["x-forwarded-prefix"], "/echo_svc/rpc");
    assert_eq!(seen["headers"]["host"], smoke_sim::PUBLIC_HOST);

    // No panel.sock, so the web socket serves /panel/.
    let seen = get(&d, "/echo_svc/panel/index.html").await.json();
    assert_eq!(seen["target"], "/index.html");
    assert_eq!(seen["headers"]["x-forwarded-prefix"], "/echo_svc/panel");
}

#[tokio::test]
async fn a_broken_service_is_502_and_a_hung_one_504() {
    let d = external_with(Options {
        gateway_timeout: Some(Duration::from_millis(300)),
        ..Options::default()
    })
    .await;
    d.set(Fault::EmptyReply("hero_proc".into()));
    d.set(Fault::Truncated("hero_embedder".into()));
    d.set(Fault::StaleSocket("hero_osis_business".into()));
    d.set(Fault::Hang("hero_foundry".into()));
    for (path, status, names) in [
        (
            "/hero_proc/rpc/health",
            StatusCode::BAD_GATEWAY,
            "hero_proc/rpc.sock",
        ),
        (
            "/hero_embedder/health",
            StatusCode::BAD_GATEWAY,
            "hero_embedder/rpc.sock",
        ),
        (
            "/hero_osis_business/rpc",
            StatusCode::BAD_GATEWAY,
            "hero_osis_business/rpc.sock",
        ),
        (
            "/hero_foundry/rpc/health",
            StatusCode::GATEWAY_TIMEOUT,
            "hero_foundry/rpc.sock",
        ),
        (
            "/no_such_service/rpc",
            StatusCode::BAD_GATEWAY,
            "no_such_service/rpc.sock",
        ),
    ] {
        let reply = get(&d, path).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
        assert!(reply.text().contains(names), "{path}: {}", reply.text());
    }
}

#[tokio::test]
async fn gateway_502_answers_every_request_itself() {
    let d = external().await;
    d.set(Fault::Gateway502);
    for path in ["/hero_foundry/rpc/health", "/hero_os/ui/", "/"] {
        assert_eq!(
            get(&d, path).await.status,
            StatusCode::BAD_GATEWAY,
            "{path}"
        );
    }
    let served = d.requests_served();
    d.clear(&Fault::Gateway502);
    assert_eq!(
        get(&d, "/hero_foundry/rpc/health").await.status,
        StatusCode::OK
    );
    assert_eq!(
        d.requests_served(),
        served + 1,
        "the 502s never reached a service"
    );
}

#[tokio::test]
async fn gateway_slow_shakes_hands_then_keeps_quiet() {
    let d = external().await;
    d.set(Fault::GatewaySlow);
    // `open` completes the TLS handshake, so only the answer is late.
    let mut sender = open(&d).await;
    let waiting = sender.send_request(request("GET", "/hero_foundry/rpc/health", b""));
    let late = tokio::time::timeout(Duration::from_secs(1), waiting).await;
    assert!(late.is_err(), "answered within 1 s: {late:?}");
}
