//! A hostile service on a Unix socket: bodies made to be slow to parse or query, and failures
//! that arrive after a status line. Each ends in a bounded outcome whose cause and words name
//! what was wrong, by the probe's deadline, with the runtime free to do everything else.

use smoke_core::engine::{load_str, run_panel, LoadOptions};
use smoke_core::prelude::{Cause, Outcome, ProbeReport, RunReport};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;

/// Far above any deadline in these tests: a run past it hung, it was not slow.
const HUNG: Duration = Duration::from_secs(20);

/// Sockets in a folder of their own, one service per subfolder as in the VM.
struct Hostile {
    dir: tempfile::TempDir,
}

/// What a service answers to every request.
#[derive(Clone)]
struct Reply {
    bytes: Vec<u8>,
    /// Keep the connection open after writing, saying nothing more.
    hang: bool,
}

fn http(status: &str, content_type: &str, body: &[u8]) -> Reply {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    Reply { bytes, hang: false }
}

impl Hostile {
    fn new() -> Self {
        Hostile {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Answers `reply` on `<dir>/<service>/rpc.sock`, to every connection, until the test ends.
    fn serve(&self, service: &str, reply: Reply) {
        let folder = self.dir.path().join(service);
        std::fs::create_dir_all(&folder).unwrap();
        let listener = UnixListener::bind(folder.join("rpc.sock")).unwrap();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let reply = reply.clone();
                tokio::spawn(async move {
                    read_request(&mut conn).await;
                    let _ = conn.write_all(&reply.bytes).await;
                    if reply.hang {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    let _ = conn.shutdown().await;
                    let mut rest = Vec::new();
                    let _ = tokio::time::timeout(HUNG, conn.read_to_end(&mut rest)).await;
                });
            }
        });
    }

    /// A panel of `probes` (TOML of `[[probe]]` tables) on these sockets.
    fn panel(&self, timeout: &str, probes: &str) -> String {
        format!(
            "[panel]\nname = \"hostile\"\ntimeout = \"{timeout}\"\n\n[internal]\nsocket_dir = \"{}\"\n\n[defaults]\nretries = 0\n\n{probes}",
            self.socket_dir().display()
        )
    }

    async fn run(&self, timeout: &str, probes: &str) -> RunReport {
        let text = self.panel(timeout, probes);
        let panel = load_str(&text, Path::new("hostile.toml"), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        run_panel(&panel, smoke_internal::side(&panel).as_ref(), &[], 32).await
    }
}

/// Reads the request head and its body, so the answer never races an unread request.
async fn read_request(conn: &mut tokio::net::UnixStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 1 << 16 {
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut have = buf.len() - head_end;
    while have < length {
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
    }
}

fn probe(name: &str, service: &str, expect: &str) -> String {
    format!(
        "[[probe]]\nname = \"{name}\"\ntarget = \"{service}/rpc\"\nget = \"/\"\nexpect = [{expect:?}]\n\n"
    )
}

fn only(report: &RunReport) -> &ProbeReport {
    assert_eq!(report.probes().len(), 1, "{report:?}");
    &report.probes()[0]
}

/// Asserts the probe failed with `cause` and each of `words` in its detail.
fn failed_with(p: &ProbeReport, cause: Cause, words: &[&str]) {
    let detail = p.detail().unwrap_or("");
    assert_eq!(p.outcome(), Outcome::Fail, "{}: {detail}", p.name());
    assert_eq!(p.cause(), Some(cause), "{}: {detail}", p.name());
    for w in words {
        assert!(detail.contains(w), "{}: {detail:?} lacks {w:?}", p.name());
    }
}

/// `<div>` n deep, closed again: the body from the report (n = 80k is 640 KB).
fn nested_divs(n: usize) -> Vec<u8> {
    format!("{}{}", "<div>".repeat(n), "</div>".repeat(n)).into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_html_is_a_protocol_failure_naming_the_depth_limit() {
    let s = Hostile::new();
    s.serve("deep", http("200 OK", "text/html", &nested_divs(80_000)));
    let started = Instant::now();
    let report = s
        // Time to judge under a loaded CI runner: the depth limit, not the clock, must stop it.
        .run("5s", &probe("deep-html", "deep", "html(p) >= 1"))
        .await;
    assert!(started.elapsed() < HUNG, "took {:?}", started.elapsed());
    let limit = format!("nested deeper than {}", smoke_core::engine::MAX_HTML_DEPTH);
    failed_with(only(&report), Cause::Protocol, &[&limit]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_with_too_many_elements_is_a_protocol_failure_naming_the_count() {
    let s = Hostile::new();
    // Each <p> closes the one before: flat, but more elements than any page has.
    let body = "<p>x".repeat(smoke_core::engine::MAX_HTML_ELEMENTS + 50_000);
    s.serve("wide", http("200 OK", "text/html", body.as_bytes()));
    let report = s
        .run("5s", &probe("wide-html", "wide", "html(p) >= 1"))
        .await;
    let limit = format!(
        "more than {} HTML elements",
        smoke_core::engine::MAX_HTML_ELEMENTS
    );
    failed_with(only(&report), Cause::Protocol, &[&limit]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordinary_page_still_passes_and_each_html_condition_is_judged() {
    let s = Hostile::new();
    let page = b"<html><body><nav id=hero-nav><a href=/>home</a><a href=/x>x</a></nav><p>hi</p></body></html>";
    s.serve("page", http("200 OK", "text/html", page));
    let expect = r#"expect = ["html(nav#hero-nav a) == 2", "html(p) >= 1", "html(table) == 0"]"#;
    let probes =
        format!("[[probe]]\nname = \"page\"\ntarget = \"page/rpc\"\nget = \"/\"\n{expect}\n");
    let report = s.run("2s", &probes).await;
    let p = only(&report);
    assert_eq!(p.outcome(), Outcome::Ok, "{:?}", p);
    assert_eq!(p.conditions().len(), 3);
}

/// The runtime keeps its timers while the body of several probes is judged: on the one worker
/// of a current-thread runtime, a parse on the worker itself would stop the clock.
#[tokio::test(flavor = "current_thread")]
async fn judging_hostile_html_leaves_the_runtime_free() {
    let s = Hostile::new();
    // 4 MB: the report's "still running after 90 s" body.
    let body = nested_divs(370_000);
    let mut probes = String::new();
    for i in 0..4 {
        s.serve(&format!("deep{i}"), http("200 OK", "text/html", &body));
        probes.push_str(&probe(
            &format!("deep-{i}"),
            &format!("deep{i}"),
            "html(p) >= 1",
        ));
    }
    let worst_ms = Arc::new(AtomicU64::new(0));
    let ticker = tokio::spawn({
        let worst_ms = worst_ms.clone();
        async move {
            let mut last = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                worst_ms.fetch_max(last.elapsed().as_millis() as u64, Ordering::Relaxed);
                last = Instant::now();
            }
        }
    });
    let started = Instant::now();
    let report = s.run("3s", &probes).await;
    let took = started.elapsed();
    ticker.abort();
    let worst = Duration::from_millis(worst_ms.load(Ordering::Relaxed));
    // A 20 ms timer; a parse on the worker would hold it for the whole parse.
    assert!(
        worst < Duration::from_secs(2),
        "the timer stalled for {worst:?}"
    );
    assert!(took < HUNG, "the tick took {took:?}");
    for p in report.probes() {
        assert!(
            matches!(p.cause(), Some(Cause::Protocol | Cause::Timeout)),
            "{}: {:?} {:?}",
            p.name(),
            p.cause(),
            p.detail()
        );
    }
}

/// Within every limit but slow to parse (elements 500 deep, as many as allowed): the deadline
/// ends the judging, as a timeout that names the probe's timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_that_is_slow_within_the_limits_times_out_at_the_deadline() {
    let s = Hostile::new();
    let depth = smoke_core::engine::MAX_HTML_DEPTH - 12;
    let block = format!("{}{}", "<div>".repeat(depth), "</div>".repeat(depth));
    let blocks = smoke_core::engine::MAX_HTML_ELEMENTS / depth - 1;
    s.serve(
        "slow",
        http("200 OK", "text/html", block.repeat(blocks).as_bytes()),
    );
    let started = Instant::now();
    let expect = "html(div div div div div div p) >= 1";
    let report = s.run("300ms", &probe("slow-html", "slow", expect)).await;
    assert!(started.elapsed() < HUNG, "took {:?}", started.elapsed());
    let p = only(&report);
    failed_with(p, Cause::Timeout, &["300ms"]);
    assert_eq!(p.status(), Some(200), "what arrived is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_nested_past_the_limit_is_named_not_called_not_json() {
    let s = Hostile::new();
    s.serve(
        "deep",
        http("200 OK", "application/json", "[".repeat(100_000).as_bytes()),
    );
    let report = s
        .run("2s", &probe("deep-json", "deep", "json.x exists"))
        .await;
    let limit = format!("nested deeper than {}", smoke_core::engine::MAX_JSON_DEPTH);
    let p = only(&report);
    failed_with(p, Cause::Protocol, &[&limit]);
    assert!(!p.detail().unwrap().contains("not JSON"));
}

/// The report's body: 4 MB of arrays each nested 120 deep, under a recursive query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recursive_query_on_deep_json_is_refused_for_its_depth() {
    let s = Hostile::new();
    let one = format!("{}{}", "[".repeat(120), "]".repeat(120));
    let body = format!("[{}]", vec![one; 16_528].join(","));
    s.serve("deep", http("200 OK", "application/json", body.as_bytes()));
    let started = Instant::now();
    let report = s
        .run("3s", &probe("recursive", "deep", "$..* exists"))
        .await;
    assert!(started.elapsed() < HUNG, "took {:?}", started.elapsed());
    let limit = format!("nested deeper than {}", smoke_core::engine::MAX_JSON_DEPTH);
    failed_with(only(&report), Cause::Protocol, &[&limit]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_yielding_too_many_nodes_is_a_protocol_failure_naming_the_cap() {
    let s = Hostile::new();
    let cap = smoke_core::engine::MAX_QUERY_NODES;
    // Flat, so within the depth limit: one node per element.
    let wide = format!("[{}]", vec!["0"; cap + 1000].join(","));
    s.serve("wide", http("200 OK", "application/json", wide.as_bytes()));
    // Few nodes, each holding a big list: copying them all is what the cap counts.
    let big = format!("[{}]", vec!["1"; cap / 2].join(","));
    let heavy = format!(r#"{{"a": {big}, "b": {big}, "c": {big}}}"#);
    s.serve(
        "heavy",
        http("200 OK", "application/json", heavy.as_bytes()),
    );
    let probes = format!(
        "{}{}",
        probe("wide", "wide", "$..* exists"),
        probe("heavy", "heavy", "$.* exists")
    );
    let report = s.run("5s", &probes).await;
    let limit = format!("yields more than {cap} JSON nodes");
    failed_with(
        &report.probes()[0],
        Cause::Protocol,
        &["`$..* exists`", &limit],
    );
    failed_with(
        &report.probes()[1],
        Cause::Protocol,
        &["`$.* exists`", &limit],
    );
    // Under the cap, a query over the same shapes still works.
    let report = s
        .run("5s", &probe("one", "heavy", "len(json.a) > 1000"))
        .await;
    assert_eq!(only(&report).outcome(), Outcome::Ok, "{report:?}");
}

/// The JSON record of a probe, as `--format json` prints it.
fn record(p: &ProbeReport) -> serde_json::Value {
    serde_json::to_value(p).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_keep_the_status_and_timings_that_arrived() {
    let s = Hostile::new();
    s.serve(
        "err",
        http("500 Internal Server Error", "text/plain", b"boom"),
    );
    s.serve("moved", http("302 Found", "text/plain", b""));
    let rpc_error = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"locked"}}"#;
    s.serve("rpcerr", http("200 OK", "application/json", rpc_error));
    let mut cut = http("200 OK", "text/plain", &[b'x'; 1000]);
    cut.bytes.truncate(cut.bytes.len() - 500);
    s.serve("cut", cut.clone());
    s.serve("slow", Reply { hang: true, ..cut });
    let probes = format!(
        "{}{}{}{}{}",
        probe("err", "err", "status == 200"),
        probe("moved", "moved", "status == 200"),
        "[[probe]]\nname = \"rpcerr\"\ntarget = \"rpcerr/rpc\"\nrpc = \"x.list\"\n\n",
        probe("cut", "cut", "status == 200"),
        probe("slow", "slow", "status == 200"),
    );
    let report = s.run("1s", &probes).await;
    let by = |name: &str| report.probes().iter().find(|p| p.name() == name).unwrap();
    let expected = [
        ("err", Cause::Http, 500),
        ("moved", Cause::Http, 302),
        ("rpcerr", Cause::Rpc, 200),
        ("cut", Cause::Protocol, 200),
        ("slow", Cause::Timeout, 200),
    ];
    for (name, cause, status) in expected {
        let p = by(name);
        assert_eq!(p.cause(), Some(cause), "{name}: {:?}", p.detail());
        let r = record(p);
        assert_eq!(r["status"], status, "{name}: {r}");
        for phase in ["connect_ms", "first_byte_ms", "total_ms"] {
            assert!(r["timings"][phase].is_number(), "{name} lacks {phase}: {r}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regular_file_named_rpc_sock_is_not_a_socket() {
    let s = Hostile::new();
    let folder = s.socket_dir().join("plain");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("rpc.sock"), b"not a socket").unwrap();
    let report = s.run("1s", &probe("plain", "plain", "status == 200")).await;
    let p = only(&report);
    failed_with(
        p,
        Cause::Connect,
        &["not a socket", "plain/rpc.sock", "regular file"],
    );
    assert!(!p.detail().unwrap().contains("stale"));
}

/// `GET path` on the loop's listener: the status, or `None` when nothing answered in time.
async fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let ask = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(request.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.ok()?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string());
        Some((status, body.unwrap_or_default()))
    };
    tokio::time::timeout(Duration::from_secs(3), ask)
        .await
        .ok()?
}

/// `watch --listen` while every tick judges four 4 MB bodies made to hang an HTML parser: the
/// loop keeps answering `/healthz`, records the failures, and stops on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_keeps_answering_while_it_judges_hostile_html() {
    let s = Hostile::new();
    let body = nested_divs(370_000);
    let mut probes = String::new();
    for i in 0..4 {
        s.serve(&format!("deep{i}"), http("200 OK", "text/html", &body));
        probes.push_str(&probe(
            &format!("deep-{i}"),
            &format!("deep{i}"),
            "html(p) >= 1",
        ));
    }
    let state = tempfile::tempdir().unwrap();
    let panel = state.path().join("hostile.toml");
    let text = s
        .panel("3s", &probes)
        .replace("[panel]\n", "[panel]\nevery = \"1s\"\n");
    std::fs::write(&panel, text).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
        .args(["watch", "--panel"])
        .arg(&panel)
        .arg("--state-dir")
        .arg(state.path())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    // Every probe failed for its body, while /healthz answered each time it was asked.
    let started = Instant::now();
    let mut judged = false;
    while !judged {
        assert!(started.elapsed() < HUNG, "no tick was recorded");
        tokio::time::sleep(Duration::from_millis(250)).await;
        let Some((200, _)) = get(port, "/healthz").await else {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "/healthz stopped answering"
            );
            continue;
        };
        let Some((200, status)) = get(port, "/status.json").await else {
            continue;
        };
        let v: serde_json::Value = serde_json::from_str(&status).unwrap_or_default();
        let probes = v["probes"].as_array().cloned().unwrap_or_default();
        judged = probes.len() == 4 && probes.iter().all(|p| p["outcome"] == "fail");
        if judged {
            for p in &probes {
                assert!(p["cause"] == "protocol" || p["cause"] == "timeout", "{p}");
            }
        }
    }
    for _ in 0..8 {
        let answered = get(port, "/healthz").await;
        assert!(matches!(answered, Some((200, _))), "/healthz: {answered:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stops on SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}
