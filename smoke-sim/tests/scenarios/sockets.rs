//! Socket faults: files that vanish or outlive their listener, and coming back from them.

use std::io::ErrorKind;

use serde_json::json;
use smoke_sim::{Deployment, Fault, Options};
use tokio::net::UnixStream;

use crate::client::{get, result};

async fn connect_error(path: &std::path::Path) -> ErrorKind {
    match UnixStream::connect(path).await {
        Ok(_) => panic!("{} still accepts connections", path.display()),
        Err(e) => e.kind(),
    }
}

async fn proc_state(d: &Deployment, service: &str) -> String {
    let status = result(
        &d.rpc_socket("hero_proc"),
        "service.status",
        json!({"name": service}),
        None,
    )
    .await;
    status["state"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn socket_missing_then_back() {
    let d = Deployment::start().await.unwrap();
    let sock = d.rpc_socket("hero_osis_base");
    d.set(Fault::SocketMissing("hero_osis_base".into()));
    assert!(!sock.exists());
    assert_eq!(connect_error(&sock).await, ErrorKind::NotFound);
    assert_eq!(proc_state(&d, "hero_osis_base").await, "failed");

    d.clear(&Fault::SocketMissing("hero_osis_base".into()));
    assert_eq!(get(&sock, "/health").await.status, 200);
    assert_eq!(proc_state(&d, "hero_osis_base").await, "running");
}

#[tokio::test]
async fn stale_socket_refuses_then_back() {
    let d = Deployment::start().await.unwrap();
    let sock = d.rpc_socket("hero_embedder");
    d.set(Fault::StaleSocket("hero_embedder".into()));
    assert!(sock.exists());
    assert_eq!(connect_error(&sock).await, ErrorKind::ConnectionRefused);
    assert_eq!(proc_state(&d, "hero_embedder").await, "failed");

    // Missing wins over stale while both are on; clearing it leaves the stale file.
    d.set(Fault::SocketMissing("hero_embedder".into()));
    assert_eq!(connect_error(&sock).await, ErrorKind::NotFound);
    d.clear(&Fault::SocketMissing("hero_embedder".into()));
    assert_eq!(connect_error(&sock).await, ErrorKind::ConnectionRefused);

    d.clear(&Fault::StaleSocket("hero_embedder".into()));
    assert_eq!(get(&sock, "/health").await.status, 200);
}

#[tokio::test]
async fn ui_socket_missing_leaves_rpc_alone() {
    let d = Deployment::start().await.unwrap();
    let ui = d.ui_socket();
    d.set(Fault::UiSocketMissing);
    assert!(!ui.exists());
    assert_eq!(connect_error(&ui).await, ErrorKind::NotFound);
    assert_eq!(get(&d.rpc_socket("hero_os"), "/health").await.status, 200);
    // The supervisor does not notice: that is why this one went unseen.
    assert_eq!(proc_state(&d, "hero_os").await, "running");
    d.clear_all();
    assert_eq!(get(&ui, "/").await.status, 200);
}

#[tokio::test]
async fn folders_are_cleaned_up() {
    let d = Deployment::start().await.unwrap();
    let temp = d.socket_dir().to_path_buf();
    assert!(temp.join("hero_foundry/rpc.sock").exists());
    drop(d);
    assert!(!temp.exists());

    let mine = tempfile::tempdir().unwrap();
    let dir = mine.path().join("deep/sockets");
    let d = Deployment::start_with(Options {
        dir: Some(dir.clone()),
        ..Options::default()
    })
    .await
    .unwrap();
    assert_eq!(d.socket_dir(), dir);
    let sock = dir.join("hero_os/rpc.sock");
    assert_eq!(get(&sock, "/health").await.status, 200);
    drop(d);
    assert!(dir.exists() && !sock.exists());
    assert_eq!(connect_error(&sock).await, ErrorKind::NotFound);
}
