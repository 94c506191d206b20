//! Behaviour faults: the service is there, but answers wrong or not at all.

use std::time::Duration;

use serde_json::json;
use smoke_sim::context::CONTEXTS;
use smoke_sim::{Deployment, Fault};

use crate::client::{exchange, get, open, parse, read_for, request, result, rpc, PATIENCE};

/// The spec's bar for "hangs": not a byte within this.
const HANG_WINDOW: Duration = Duration::from_millis(300);

fn health_request() -> Vec<u8> {
    request("GET", "/health", None, b"")
}

#[tokio::test]
async fn hang_holds_its_connections_but_clearing_serves_new_ones() {
    let d = Deployment::start().await.unwrap();
    let sock = d.rpc_socket("hero_foundry");
    d.set(Fault::Hang("hero_foundry".into()));
    let mut hung = open(&sock, &health_request()).await.unwrap();
    let got = read_for(&mut hung, HANG_WINDOW).await.unwrap();
    assert!(got.bytes.is_empty() && !got.closed, "{got:?}");
    // Other services are unaffected.
    assert_eq!(get(&d.rpc_socket("hero_os"), "/health").await.status, 200);

    d.clear(&Fault::Hang("hero_foundry".into()));
    assert_eq!(get(&sock, "/health").await.status, 200);
    let still = read_for(&mut hung, Duration::from_millis(100))
        .await
        .unwrap();
    assert!(still.bytes.is_empty() && !still.closed, "{still:?}");
}

#[tokio::test]
async fn empty_reply_closes_without_a_byte() {
    let d = Deployment::start().await.unwrap();
    d.set(Fault::EmptyReply("hero_osis_base".into()));
    let got = exchange(&d.rpc_socket("hero_osis_base"), &health_request(), PATIENCE)
        .await
        .unwrap();
    assert!(got.closed && got.bytes.is_empty(), "{got:?}");
    // A POST with a body gets the same (its body is read first, so no reset).
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"rpc.health"}"#;
    let post = request("POST", "/rpc", None, body);
    let got = exchange(&d.rpc_socket("hero_osis_base"), &post, PATIENCE)
        .await
        .unwrap();
    assert!(got.closed && got.bytes.is_empty(), "{got:?}");
}

#[tokio::test]
async fn malformed_and_truncated_replies() {
    let d = Deployment::start().await.unwrap();
    d.set(Fault::Malformed("hero_proc".into()));
    d.set(Fault::Truncated("hero_embedder".into()));
    let got = exchange(&d.rpc_socket("hero_proc"), &health_request(), PATIENCE)
        .await
        .unwrap();
    assert!(got.closed);
    assert_eq!(got.bytes, b"garbage\r\n\r\n");

    let got = exchange(&d.rpc_socket("hero_embedder"), &health_request(), PATIENCE)
        .await
        .unwrap();
    assert!(got.closed);
    let reply = parse(&got.bytes).unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-length"), Some("1000"));
    assert_eq!(reply.body.len(), 10);
}

#[tokio::test]
async fn health_500_and_rpc_errors() {
    let d = Deployment::start().await.unwrap();
    let base = d.rpc_socket("hero_osis_base");
    d.set(Fault::Health500("hero_osis_base".into()));
    let health = get(&base, "/health").await;
    assert_eq!(health.status, 500);
    assert_eq!(health.json()["status"], "error");
    // Its RPC still works; hero_proc sees it as degraded.
    result(&base, "base.configuration.list", json!({}), None).await;
    let status = result(
        &d.rpc_socket("hero_proc"),
        "service.status",
        json!({"name": "hero_osis_base"}),
        None,
    )
    .await;
    assert_eq!(status["state"], "degraded");

    d.set(Fault::RpcError("hero_osis_business".into()));
    let biz = d.rpc_socket("hero_osis_business");
    let answer = rpc(&biz, "business.persons.list", json!({}), None).await;
    assert_eq!(answer["error"]["code"], -32603);
    assert_eq!(
        answer["error"]["message"],
        "internal error: database locked"
    );
    assert_eq!(answer["id"], 1);
    assert_eq!(get(&biz, "/health").await.status, 200);

    d.clear_all();
    assert_eq!(get(&base, "/health").await.status, 200);
    assert!(rpc(&biz, "business.persons.list", json!({}), None).await["result"].is_array());
}

#[tokio::test]
async fn photos_broken_keeps_health_green() {
    let d = Deployment::start().await.unwrap();
    let sock = d.rpc_socket("hero_foundry");
    d.set(Fault::PhotosBroken);
    assert_eq!(get(&sock, "/health").await.json()["status"], "ok");
    let photo = request("GET", "/api/files/root/Photos/sunrise.jpg", None, b"");
    let got = exchange(&sock, &photo, PATIENCE).await.unwrap();
    assert!(got.closed && got.bytes.is_empty(), "{got:?}");

    // A keep-alive client that checked health first gets the same empty end.
    let two = b"GET /health HTTP/1.1\r\nhost: sim\r\n\r\n\
                GET /api/files/root/Photos/sunrise.jpg HTTP/1.1\r\nhost: sim\r\n\r\n";
    let got = exchange(&sock, two, PATIENCE).await.unwrap();
    assert!(got.closed);
    let text = String::from_utf8_lossy(&got.bytes);
    assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "{text}");
    assert!(text.contains("\"status\":\"ok\""));

    d.clear(&Fault::PhotosBroken);
    assert_eq!(
        get(&sock, "/api/files/root/Photos/sunrise.jpg")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn data_faults() {
    let d = Deployment::start().await.unwrap();
    let base = d.rpc_socket("hero_osis_base");
    let biz = d.rpc_socket("hero_osis_business");
    d.set(Fault::ContextFallback);
    d.set(Fault::BizEmpty);
    d.set(Fault::QueueBacklog);
    assert_eq!(
        d.active(),
        [Fault::ContextFallback, Fault::BizEmpty, Fault::QueueBacklog]
    );
    let root = result(&base, "base.configuration.list", json!({}), None).await;
    for ctx in CONTEXTS {
        let got = result(&base, "base.configuration.list", json!({}), Some(ctx)).await;
        assert_eq!(got, root, "{ctx} answers root's data");
        let persons = result(&biz, "business.persons.list", json!({}), Some(ctx)).await;
        assert_eq!(persons, json!([]));
    }
    let health = get(&d.rpc_socket("hero_embedder"), "/health").await.json();
    assert_eq!(
        (health["status"].as_str(), health["queue_depth"].as_u64()),
        (Some("ok"), Some(5000))
    );

    d.clear(&Fault::ContextFallback);
    let geomind = result(&base, "base.configuration.list", json!({}), Some("geomind")).await;
    assert_ne!(geomind, root);
    d.clear_all();
    assert!(d.active().is_empty());
    let persons = result(&biz, "business.persons.list", json!({}), None).await;
    assert_eq!(persons.as_array().unwrap().len(), 5);
}

/// The UI's faults, each as a browser would meet it: the bundle gone, the wasm mistyped, the
/// bundle named under `/pkg/` (there on the socket, outside `/hero_os/ui/` behind the gateway),
/// the socket file left with nobody listening.
#[tokio::test]
async fn the_ui_faults_break_the_bundle_or_the_socket() {
    let d = Deployment::start().await.unwrap();
    let ui = d.ui_socket();
    d.set(Fault::UiBundleMissing);
    assert_eq!(get(&ui, "/").await.status, 200);
    assert_eq!(get(&ui, "/hero_os.js").await.status, 404);
    assert_eq!(get(&ui, "/hero_os_bg.wasm").await.status, 404);
    d.clear(&Fault::UiBundleMissing);

    d.set(Fault::UiWasmWrongType);
    let wasm = get(&ui, "/hero_os_bg.wasm").await;
    assert_eq!(
        wasm.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(wasm.body.starts_with(b"\0asm"));
    d.clear(&Fault::UiWasmWrongType);

    d.set(Fault::UiWrongPrefix);
    let html = get(&ui, "/").await.text();
    assert!(html.contains(r#"src="/pkg/hero_os.js""#), "{html}");
    assert!(html.contains(r#"href="/pkg/hero_os_bg.wasm""#), "{html}");
    assert_eq!(get(&ui, "/pkg/hero_os.js").await.status, 200);
    assert_eq!(get(&ui, "/hero_os.js").await.status, 404);
    d.clear(&Fault::UiWrongPrefix);

    d.set(Fault::UiProcessDead);
    assert!(ui.exists(), "the socket file is left behind");
    assert!(tokio::net::UnixStream::connect(&ui).await.is_err());
    assert_eq!(get(&d.rpc_socket("hero_os"), "/health").await.status, 200);
    d.clear(&Fault::UiProcessDead);
    assert_eq!(get(&ui, "/hero_os.js").await.status, 200);
}

#[test]
fn fault_names_round_trip() {
    let all = [
        Fault::ContextFallback,
        Fault::PhotosBroken,
        Fault::BizEmpty,
        Fault::UiSocketMissing,
        Fault::UiProcessDead,
        Fault::UiBundleMissing,
        Fault::UiWasmWrongType,
        Fault::UiWrongPrefix,
        Fault::QueueBacklog,
        Fault::Hang("hero_foundry".into()),
        Fault::EmptyReply("svc".into()),
        Fault::Malformed("svc".into()),
        Fault::Truncated("svc".into()),
        Fault::Health500("svc".into()),
        Fault::RpcError("svc".into()),
        Fault::SocketMissing("svc".into()),
        Fault::StaleSocket("svc".into()),
        Fault::BizOnePerson,
        Fault::BizFieldGone,
        Fault::UiElementGone,
        Fault::ContentTypeChanged("svc".into()),
        Fault::Slow("hero_os".into()),
    ];
    for fault in all {
        let text = fault.to_string();
        assert_eq!(text.parse::<Fault>(), Ok(fault.clone()), "{text}");
    }
    assert_eq!(
        "hang:hero_foundry".parse(),
        Ok(Fault::Hang("hero_foundry".into()))
    );
    assert_eq!(
        "health-500:svc_001".to_string(),
        Fault::Health500("svc_001".into()).to_string()
    );
    assert_eq!("context-fallback".parse(), Ok(Fault::ContextFallback));
    assert!("hang".parse::<Fault>().is_err());
    assert!("biz-empty:hero_os".parse::<Fault>().is_err());
    assert!("melt".parse::<Fault>().is_err());
    let historical = Fault::all_historical();
    assert_eq!(historical.len(), 5);
    assert!(historical.contains(&Fault::Hang("hero_foundry".into())));
}

/// The seed's "seed-data drift" (issue 24's examples): each fault moves what only a baseline
/// knows, and leaves what the herodemo panel checks as it was.
#[tokio::test]
async fn drift_faults_move_only_what_a_baseline_knows() {
    let d = Deployment::start().await.unwrap();
    let biz = d.rpc_socket("hero_osis_business");
    let persons = result(&biz, "business.persons.list", json!([]), None).await;
    let seed = persons.as_array().unwrap().len();
    assert_eq!(seed, 5, "{persons}");
    assert!(persons[0]["email"].is_string(), "{persons}");

    d.set(Fault::BizOnePerson);
    let one = result(&biz, "business.persons.list", json!([]), None).await;
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    d.clear(&Fault::BizOnePerson);

    d.set(Fault::BizFieldGone);
    let gone = result(&biz, "business.persons.list", json!([]), None).await;
    let gone = gone.as_array().unwrap();
    assert_eq!(gone.len(), seed);
    assert!(gone
        .iter()
        .all(|p| p.get("email").is_none() && p["name"].is_string()));
    d.clear(&Fault::BizFieldGone);

    let ui = d.ui_socket();
    let page = get(&ui, "/").await.text();
    assert!(page.contains("id=\"hero-nav\"") && page.contains("id=\"main\""));
    d.set(Fault::UiElementGone);
    let page = get(&ui, "/").await;
    assert_eq!(page.status, 200);
    let page = page.text();
    assert!(!page.contains("hero-nav"), "{page}");
    assert!(
        page.contains("<div id=\"main\">") && page.contains("hero_os.js"),
        "{page}"
    );
    d.clear(&Fault::UiElementGone);

    let foundry = d.rpc_socket("hero_foundry");
    let healthy = get(&foundry, "/health").await;
    d.set(Fault::ContentTypeChanged("hero_foundry".into()));
    let typed = get(&foundry, "/health").await;
    assert_eq!(typed.status, 200);
    assert_eq!(typed.body, healthy.body);
    assert_eq!(healthy.header("content-type"), Some("application/json"));
    assert_eq!(
        typed.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    d.clear(&Fault::ContentTypeChanged("hero_foundry".into()));

    d.set(Fault::Slow("hero_foundry".into()));
    let started = std::time::Instant::now();
    let slow = get(&foundry, "/health").await;
    assert!(started.elapsed() >= smoke_sim::SLOW_DELAY);
    assert_eq!(slow.body, healthy.body);
    // Other services answer at their pace.
    let started = std::time::Instant::now();
    assert_eq!(get(&biz, "/health").await.status, 200);
    assert!(started.elapsed() < smoke_sim::SLOW_DELAY);
}
