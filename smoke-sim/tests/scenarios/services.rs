//! The healthy deployment: what every service answers when nothing is wrong.

use serde_json::{json, Value};
use smoke_sim::context::CONTEXTS;
use smoke_sim::{Deployment, Layout, Options, UiSocket, LAYOUTS, PHOTO_NAMES};

use crate::client::{get, get_in, post, result, rpc};

const HERODEMO: [&str; 6] = [
    "hero_embedder",
    "hero_foundry",
    "hero_os",
    "hero_osis_base",
    "hero_osis_business",
    "hero_proc",
];

#[tokio::test]
async fn every_service_answers_healthy() {
    let d = Deployment::start().await.unwrap();
    assert_eq!(d.services(), HERODEMO);
    for name in d.services() {
        let sock = d.rpc_socket(&name);
        let health = get(&sock, "/health").await;
        assert_eq!(health.status, 200, "{name}");
        assert_eq!(health.header("content-type"), Some("application/json"));
        let body = health.json();
        assert_eq!(body["status"], "ok", "{name}");
        assert_eq!(body["service"], name.as_str());
        assert!(body["version"].as_str().unwrap().split('.').count() == 3);

        let doc = get(&sock, "/openrpc.json").await.json();
        assert_eq!(doc["openrpc"], "1.2.6");
        assert_eq!(doc["info"]["title"], name.as_str());
        let methods: Vec<&str> = doc["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert!(
            methods.contains(&"rpc.discover") && methods.len() > 2,
            "{methods:?}"
        );
        assert_eq!(result(&sock, "rpc.discover", json!([]), None).await, doc);
        assert_eq!(result(&sock, "rpc.health", json!({}), None).await, body);

        let manifest = get(&sock, "/.well-known/heroservice.json").await.json();
        assert_eq!(manifest["name"], name.as_str());
        assert_eq!(manifest["rpc"], "/rpc");

        assert_eq!(get(&sock, "/nope").await.status, 404);
    }
}

#[tokio::test]
async fn json_rpc_framing() {
    let d = Deployment::start().await.unwrap();
    let sock = d.rpc_socket("hero_osis_base");
    let unknown = rpc(&sock, "no.such.method", json!({}), None).await;
    assert_eq!(unknown["error"]["code"], -32601);
    assert_eq!(unknown["id"], 1);

    let bad = post(&sock, "/rpc", b"{oops").await;
    assert_eq!(bad.status, 200);
    assert_eq!(bad.json()["error"]["code"], -32700);

    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "base.context.list"},
        {"jsonrpc": "2.0", "method": "base.context.list"},
        {"jsonrpc": "2.0", "id": 2, "method": "nope"},
    ]);
    let answers = post(&sock, "/rpc", batch.to_string().as_bytes())
        .await
        .json();
    assert_eq!(answers.as_array().unwrap().len(), 2, "{answers}");
    assert_eq!(answers[0]["result"], json!(CONTEXTS));
    assert_eq!(answers[1]["error"]["code"], -32601);

    let note = json!({"jsonrpc": "2.0", "method": "base.context.list"});
    let reply = post(&sock, "/rpc", note.to_string().as_bytes()).await;
    assert_eq!((reply.status, reply.body.len()), (204, 0));

    let at_root = json!({"jsonrpc": "2.0", "id": 9, "method": "rpc.health"});
    let reply = post(&sock, "/", at_root.to_string().as_bytes()).await;
    assert_eq!(reply.json()["result"]["status"], "ok");

    assert_eq!(get(&sock, "/rpc").await.status, 405);
}

#[tokio::test]
async fn contexts_hold_different_data() {
    let d = Deployment::start().await.unwrap();
    let base = d.rpc_socket("hero_osis_base");
    let biz = d.rpc_socket("hero_osis_business");
    let mut seen: Vec<Value> = Vec::new();
    for ctx in CONTEXTS {
        let configs = result(&base, "base.configuration.list", json!({}), Some(ctx)).await;
        assert!(configs.to_string().contains(ctx), "{ctx}: {configs}");
        assert!(!seen.contains(&configs), "{ctx} repeats another context");
        seen.push(configs);
        let persons = result(&biz, "business.persons.list", json!({}), Some(ctx)).await;
        assert_eq!(persons.as_array().unwrap().len(), 5);
        assert!(persons[0]["email"].as_str().unwrap().contains('@'));
    }
    let root = &seen[0];
    let missing = result(&base, "base.configuration.list", json!({}), None).await;
    let unknown = result(&base, "base.configuration.list", json!({}), Some("nowhere")).await;
    assert_eq!((&missing, &unknown), (root, root));
}

#[tokio::test]
async fn foundry_serves_real_photos() {
    let d = Deployment::start().await.unwrap();
    let sock = d.rpc_socket("hero_foundry");
    for ctx in CONTEXTS {
        for name in PHOTO_NAMES {
            let photo = get(&sock, &format!("/api/files/{ctx}/Photos/{name}")).await;
            assert_eq!(photo.status, 200);
            assert_eq!(photo.header("content-type"), Some("image/jpeg"));
            assert_eq!(&photo.body[..3], &[0xFF, 0xD8, 0xFF]);
            assert_eq!(&photo.body[photo.body.len() - 2..], &[0xFF, 0xD9]);
        }
    }
    assert_eq!(
        get(&sock, "/api/files/root/Photos/missing.jpg")
            .await
            .status,
        404
    );
    assert_eq!(
        get(&sock, "/api/files/nowhere/Photos/sunrise.jpg")
            .await
            .status,
        404
    );
    let names = result(
        &sock,
        "files.list",
        json!({"path": "/Photos"}),
        Some("geomind"),
    )
    .await;
    assert_eq!(names, json!(PHOTO_NAMES));
    let none = rpc(&sock, "files.list", json!({"path": "/Music"}), None).await;
    assert!(none["error"]["code"].is_i64());
}

#[tokio::test]
async fn hero_os_web_ui() {
    let d = Deployment::start().await.unwrap();
    let ui = d.ui_socket();
    assert!(ui.ends_with("hero_os/ui.sock"));
    let page = get_in(&ui, "/", "geomind").await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let html = page.text();
    assert!(html.contains(r#"<nav id="hero-nav" class="hero-nav">"#));
    for island in ["Contexts", "Photos", "Business"] {
        assert!(html.contains(&format!(">{island}</a>")), "{island}");
    }
    assert!(html.contains("<title>Hero OS</title>") && html.contains("geomind"));
    assert_eq!(get(&ui, "/islands/photos").await.status, 200);
    assert_eq!(get(&ui, "/nope").await.status, 404);
    let admin = Deployment::start_with(Options {
        ui_socket: UiSocket::Admin,
        ..Options::default()
    })
    .await
    .unwrap();
    assert!(admin.ui_socket().ends_with("hero_os/admin.sock"));
    assert!(!admin.socket_dir().join("hero_os/ui.sock").exists());
    assert_eq!(get(&admin.ui_socket(), "/").await.status, 200);
}

/// In both layouts the page loads its bundle from beside it: a module script and a wasm, both
/// named relative to the page, served as JavaScript and as `application/wasm` with the magic.
/// Only the seed's layout draws its navigation on the server.
#[tokio::test]
async fn hero_os_ui_is_a_loader_page_in_both_layouts() {
    for layout in LAYOUTS {
        let d = Deployment::start_with(Options {
            layout,
            ..Options::default()
        })
        .await
        .unwrap();
        assert_eq!(d.layout(), layout);
        let ui = d.ui_socket();
        let html = get(&ui, "/").await.text();
        assert!(
            html.contains(r#"<script type="module" src="hero_os.js"></script>"#),
            "{layout}: {html}"
        );
        assert!(
            html.contains(r#"href="hero_os_bg.wasm""#),
            "{layout}: {html}"
        );
        let drawn = html.contains(r#"<nav id="hero-nav""#);
        assert_eq!(drawn, layout == Layout::Herodemo, "{layout}: {html}");
        if layout == Layout::Hero {
            assert!(html.contains(r#"<div id="main"></div>"#), "{html}");
        }
        let island = get(&ui, "/islands/photos").await.text();
        assert!(
            island.contains(r#"src="../hero_os.js""#),
            "{layout}: {island}"
        );
        let script = get(&ui, "/hero_os.js").await;
        assert_eq!(script.status, 200);
        assert!(script
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript"));
        assert!(script
            .text()
            .contains("\"hero_os_bg.wasm\", import.meta.url"));
        let wasm = get(&ui, "/hero_os_bg.wasm").await;
        assert_eq!(wasm.status, 200);
        assert_eq!(wasm.header("content-type"), Some("application/wasm"));
        assert!(wasm.body.starts_with(b"\0asm\x01\0\0\0"), "{:?}", wasm.body);
    }
}

#[tokio::test]
async fn embedder_and_proc() {
    let d = Deployment::start().await.unwrap();
    let health = get(&d.rpc_socket("hero_embedder"), "/health").await.json();
    assert_eq!(health["queue_depth"], 3);
    let proc = d.rpc_socket("hero_proc");
    let list = result(&proc, "service.list", json!({}), None).await;
    let states: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states.len(), HERODEMO.len());
    assert!(
        states.iter().all(|(_, state)| *state == "running"),
        "{states:?}"
    );
    let one = result(&proc, "service.status", json!({"name": "hero_os"}), None).await;
    assert_eq!(one["state"], "running");
    let unknown = rpc(&proc, "service.status", json!({"name": "nope"}), None).await;
    assert!(unknown["error"].is_object());
}

#[tokio::test]
async fn extra_services_and_request_count() {
    let d = Deployment::start_with(Options {
        extra_services: 100,
        ..Options::default()
    })
    .await
    .unwrap();
    let names = d.services();
    assert_eq!(names.len(), 106);
    let extra: Vec<&String> = names.iter().filter(|n| n.starts_with("svc_")).collect();
    assert_eq!(
        (extra[0].as_str(), extra[99].as_str()),
        ("svc_000", "svc_099")
    );
    let before = d.requests_served();
    let mut calls = tokio::task::JoinSet::new();
    for name in &extra {
        let sock = d.rpc_socket(name);
        calls.spawn(async move {
            assert!(sock.exists());
            let health = get(&sock, "/health").await.json();
            assert_eq!(health["status"], "ok");
            result(&sock, "echo", json!({"n": 7}), None).await
        });
    }
    while let Some(echoed) = calls.join_next().await {
        assert_eq!(echoed.unwrap(), json!({"n": 7}));
    }
    assert_eq!(d.requests_served() - before, 200);
    let proc = d.rpc_socket("hero_proc");
    let list = result(&proc, "service.list", json!({}), None).await;
    assert_eq!(list.as_array().unwrap().len(), 106);
    let n = d.requests_served();
    get(&proc, "/health").await;
    assert_eq!(d.requests_served(), n + 1);
}
