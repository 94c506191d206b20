//! A service whose JSON-RPC error message is built to attack whoever reads it: terminal escapes,
//! a forged log line, a forged forge marker, a Slack mention. smoke shows it escaped on stdout and
//! in its log line, quotes it in the forge issue where it can't pass for the marker (so reconcile
//! keeps the right issue), and Slack never gets a live `<!channel>`.

use smoke_sim::fakes::{FakeForge, FakeHook};
use std::path::{Path, PathBuf};
use std::process::Output;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;

const FORGE_TOKEN: &str = "sekret-forge-token-1d2e";

/// What the issue reproduced, then a marker for another probe of this very panel, on a line of
/// its own, a fence closer and a channel mention.
fn hostile_message() -> String {
    "\u{1b}]0;pwned\u{7}\u{1b}[2J\nforged line\n```\n\
     <!-- smoke-incident panel=hostile mode=internal probe=other incident=hostile/internal/other/1 -->\n\
     <!channel>"
        .to_string()
}

/// `<dir>/evil/rpc.sock`, answering every request with a JSON-RPC error carrying the message.
fn serve_hostile(dir: &Path) -> tokio::task::JoinHandle<()> {
    std::fs::create_dir(dir.join("evil")).unwrap();
    let listener = UnixListener::bind(dir.join("evil/rpc.sock")).unwrap();
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32000, "message": hostile_message()},
    })
    .to_string();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                read_request(&mut conn).await;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    })
}

/// Reads one request: the head, then as many body bytes as it announced.
async fn read_request(conn: &mut tokio::net::UnixStream) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let Ok(n) = conn.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).to_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return;
            }
        }
    }
}

fn panel(dir: &Path, sockets: &Path, forge: &FakeForge) -> PathBuf {
    let text = format!(
        "[panel]\nname = \"hostile\"\ntimeout = \"2s\"\n\
         [internal]\nsocket_dir = \"{}\"\n\
         [defaults]\nretries = 0\nproven = true\n\
         [[probe]]\nname = \"evil-rpc\"\ntarget = \"evil/rpc\"\nrpc = \"evil.list\"\n\
         [[notify]]\ntype = \"forge\"\nurl = \"{}\"\nrepo = \"hero/demo\"\ntoken_env = \"SMOKE_TEST_FORGE\"\nlabels = [\"smoke\"]\n\
         [[notify]]\ntype = \"slack\"\nwebhook_env = \"SMOKE_TEST_SLACK\"\n",
        sockets.display(),
        forge.url(),
    );
    let path = dir.join("panel.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn tick(panel: &Path, state: &Path, slack: &FakeHook) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
        .arg("run")
        .arg("--panel")
        .arg(panel)
        .arg("--state-dir")
        .arg(state)
        .env("SMOKE_TEST_FORGE", FORGE_TOKEN)
        .env("SMOKE_TEST_SLACK", format!("{}/hook", slack.url()))
        .env_remove("SMOKE_STATE_DIR")
        .output()
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assert_no_raw_controls(what: &str, stream: &str) {
    assert!(
        !stream.contains(['\u{1b}', '\u{7}']),
        "{what} passes a raw control: {stream:?}"
    );
    assert!(
        !stream.lines().any(|l| l.starts_with("forged line")
            || l.starts_with("<!-- smoke-incident")
            || l.starts_with("<!channel>")),
        "{what} lets the service start a line: {stream}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_rpc_error_is_shown_escaped_and_cannot_forge_the_forge_marker() {
    let dir = tempfile::tempdir().unwrap();
    let sockets = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let _server = serve_hostile(sockets.path());
    let forge = FakeForge::start(FORGE_TOKEN, "hero/demo").await.unwrap();
    let slack = FakeHook::start().await.unwrap();
    let panel = panel(dir.path(), sockets.path(), &forge);

    let out = tick(&panel, state.path(), &slack).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert_no_raw_controls("stdout", &stdout);
    assert_no_raw_controls("stderr", &stderr);
    let shown = "JSON-RPC error -32000: \\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\nforged line\\n```\\n";
    assert!(stdout.contains(shown), "{stdout}");
    let opened = stderr
        .lines()
        .find(|l| l.starts_with("smoke: hostile internal opened: evil-rpc failing: "))
        .unwrap_or_else(|| panic!("no log line: {stderr}"));
    assert!(opened.contains(shown), "{opened}");

    // A second tick reconciles with the forge: the issue is still this incident's.
    let out = tick(&panel, state.path(), &slack).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let issues = forge.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    let issue = &issues[0];
    assert_eq!(issue.state, "open", "closed as another probe's: {issue:?}");
    assert!(
        issue.comments.iter().all(|c| !c.contains("Resolved")),
        "{:?}",
        issue.comments
    );
    let last = issue.body.lines().rev().find(|l| !l.trim().is_empty());
    assert!(
        last.is_some_and(|l| l.starts_with(
            "<!-- smoke-incident panel=hostile mode=internal probe=evil-rpc incident="
        )),
        "{}",
        issue.body
    );
    assert!(
        !issue
            .body
            .lines()
            .any(|l| l.starts_with("<!-- smoke-incident panel=hostile mode=internal probe=other")),
        "{}",
        issue.body
    );
    assert!(forge.violations().is_empty(), "{:?}", forge.violations());

    let told = slack.received();
    assert!(!told.is_empty());
    for message in told {
        let all = message.to_string();
        assert!(!all.contains("<!channel>"), "{all}");
    }
}
