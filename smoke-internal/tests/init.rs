//! `smoke-internal init PATH` as an operator runs it on the VM: a starting panel from the socket
//! folder that checks and runs green, never written over a file without `--force`, and never
//! held up by a hung service.

use smoke_sim::{Deployment, Fault};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

async fn smoke(args: &[&str]) -> Output {
    let state = tempfile::tempdir().unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
        .env("SMOKE_STATE_DIR", state.path())
        .env_remove("SMOKE_PANEL")
        .env_remove("PATH_SOCKET")
        .env_remove("HERO_SOCKET_DIR")
        .args(args)
        .output()
        .await
        .expect("smoke-internal runs")
}

async fn init(sim: &Deployment, path: &Path, extra: &[&str]) -> Output {
    let dir = format!("internal.socket_dir={}", sim.socket_dir().display());
    let mut args = vec!["init", path.to_str().unwrap(), "--set", &dir];
    args.extend(extra);
    smoke(&args).await
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn said(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// The panel with every suggested probe uncommented, as an operator who wants them all would.
fn uncommented(panel: &str) -> String {
    panel
        .lines()
        .map(|l| {
            let probe_line = [
                "# [[probe]]",
                "# name = ",
                "# target = ",
                "# rpc = ",
                "# params = ",
                "# expect = ",
            ];
            if probe_line.iter().any(|p| l.starts_with(p)) {
                &l[2..]
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_writes_a_panel_that_checks_and_runs_green_with_list_calls_suggested() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    let out = init(&sim, &path, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(
        text(&out.stdout).contains("panel \"mine\", a health probe over 6 services"),
        "{}",
        said(&out)
    );
    let panel = std::fs::read_to_string(&path).unwrap();
    for line in [
        "[panel]",
        "name = \"mine\"",
        "[internal]",
        &format!("socket_dir = \"{}\"", sim.socket_dir().display()),
        "for_each = \"service\"",
        "get = \"/health\"",
        // Suggested, commented out: the operator decides where an empty list is a broken path.
        "# rpc = \"business.persons.list\"",
        "# rpc = \"service.list\"",
        "# rpc = \"files.list\"",
        "# params = { path = \"\" }   # fill in",
        "# expect = [\"len(result) > 0\"]",
    ] {
        assert!(
            panel.lines().any(|l| l.starts_with(line)),
            "no `{line}` in\n{panel}"
        );
    }
    assert!(!panel.lines().any(|l| l.starts_with("rpc =")), "{panel}");

    // The panel stands on its own: no --set, the socket folder is in it.
    let file = path.to_str().unwrap();
    let out = smoke(&["check", "--panel", file]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = smoke(&["run", "--panel", file]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(
        stdout.contains("ok   health-hero_osis_business"),
        "{stdout}"
    );
    assert!(stdout.ends_with("6 passed, 0 failed\n"), "{stdout}");

    // Each suggestion is a whole probe: uncommented, the panel is still valid.
    let all = dir.path().join("all.toml");
    std::fs::write(&all, uncommented(&panel)).unwrap();
    let out = smoke(&["check", "--panel", all.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let suggested = panel.lines().filter(|l| *l == "# [[probe]]").count();
    assert!(suggested >= 5, "{panel}");
    assert!(
        text(&out.stdout).contains(&format!("is valid: {} probes", suggested + 1)),
        "{}",
        said(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_never_overwrites_a_file_unless_forced() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    let out = init(&sim, &path, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    // An operator's edits since: what a second init must not lose.
    let edited = format!(
        "{}\n# my own note\n",
        std::fs::read_to_string(&path).unwrap()
    );
    std::fs::write(&path, &edited).unwrap();

    let out = init(&sim, &path, &[]).await;
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("{} already exists", path.display()))
            && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);

    let out = init(&sim, &path, &["--force", "--name", "theirs"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let rewritten = std::fs::read_to_string(&path).unwrap();
    assert!(!rewritten.contains("my own note"), "{rewritten}");
    assert!(rewritten.contains("name = \"theirs\""), "{rewritten}");
    // Written through a temp file and a rename: nothing else is left in the folder.
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["mine.toml"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_services_and_a_hung_supervisor_still_let_init_finish() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::Hang("hero_foundry".into()));
    sim.set(Fault::Hang("hero_proc".into()));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hung.toml");
    let started = Instant::now();
    let out = init(&sim, &path, &["--timeout", "1s"]).await;
    // Each question is bounded by 1s; 60s is only there to fail rather than hang.
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let panel = std::fs::read_to_string(&path).unwrap();
    assert!(
        panel.contains("# hero_foundry: no OpenRPC document (rpc.discover: timeout)"),
        "{panel}"
    );
    assert!(
        panel.contains("# rpc = \"business.persons.list\""),
        "{panel}"
    );
    assert!(panel.contains("timeout = \"1s\""), "{panel}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_with_no_service_found_writes_nothing_and_says_where_it_looked() {
    let empty = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    let set = format!("internal.socket_dir={}", empty.path().display());
    let out = smoke(&[
        "init",
        path.to_str().unwrap(),
        "--set",
        &set,
        "--timeout",
        "1s",
    ])
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("found no service in {}", empty.path().display()))
            && stderr.contains("--set internal.socket_dir="),
        "{stderr}"
    );
    assert!(!path.exists());
}

/// A service of our own on `<socket_dir>/evil_svc/rpc.sock` that answers every request (its
/// `/health`, its `rpc.discover`) with an OpenRPC document whose names try to break out of the
/// panel init writes.
async fn serve_hostile(socket: std::path::PathBuf) {
    let long = format!("{}.list", "a".repeat(10_000));
    serve_methods(
        socket,
        serde_json::json!([
            {"name": "x.list\"\n[panel]\nname = \"pwned"},
            {"name": "title.list\u{1b}]0;pwned\u{7}"},
            {"name": "spaced.list # pwned"},
            {"name": long},
            {"name": "param.list", "params": [{"name": "p\"]\n[pwned", "required": true}]},
            {"name": "evil.items.list", "summary": "\u{1b}[2J pwned\n[panel]"},
        ]),
    )
    .await;
}

/// A service of our own on `socket` that answers every request with an OpenRPC document of
/// these `methods`.
async fn serve_methods(socket: std::path::PathBuf, methods: serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    let doc = serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {"methods": methods}});
    let body = doc.to_string();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                while !complete(&request) {
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
}

/// Whether the head and the body its content-length announces have arrived.
fn complete(request: &[u8]) -> bool {
    let text = String::from_utf8_lossy(request);
    let Some(end) = text.find("\r\n\r\n") else {
        return false;
    };
    let length = text[..end]
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    request.len() >= end + 4 + length
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_from_the_deployment_never_reach_the_panel_as_written() {
    let sim = Deployment::start().await.unwrap();
    serve_hostile(sim.socket_dir().join("evil_svc").join("rpc.sock")).await;
    // A folder that is no service name: skipped, as a run skips it.
    let odd = sim.socket_dir().join("--help");
    std::fs::create_dir(&odd).unwrap();
    std::fs::write(odd.join("rpc.sock"), b"").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    let out = init(&sim, &path, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let panel = std::fs::read_to_string(&path).unwrap();
    assert!(panel.contains("# rpc = \"evil.items.list\""), "{panel}");
    assert!(!panel.contains("pwned"), "{panel}");
    assert!(!panel.contains("--help"), "{panel}");
    assert!(
        !panel.chars().any(|c| c.is_control() && c != '\n'),
        "{panel}"
    );
    assert!(
        panel.contains("# Left out as no service name: 1 of the names the deployment gave."),
        "{panel}"
    );
    // Only the one clean list call of evil_svc is suggested.
    assert_eq!(
        panel.matches("target = \"evil_svc/rpc\"").count(),
        1,
        "{panel}"
    );
    let out = smoke(&["check", "--panel", path.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_deployment_is_asked_up_to_the_cap_and_all_of_it_gets_the_health_probe() {
    let sim = Deployment::start_with(smoke_sim::Options {
        extra_services: 120,
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.toml");
    let out = init(&sim, &path, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(
        text(&out.stdout).contains("a health probe over 126 services"),
        "{}",
        said(&out)
    );
    let panel = std::fs::read_to_string(&path).unwrap();
    assert!(
        panel.contains("# 26 more services were not asked for list calls (init asks at most 100, those with an rpc socket first)"),
        "{panel}"
    );
    let out = smoke(&["list", "--panel", path.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_eq!(text(&out.stdout).lines().count(), 126, "{}", said(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggestions_that_read_alike_still_load_when_all_are_uncommented() {
    let sim = Deployment::start().await.unwrap();
    let socket = |service: &str| sim.socket_dir().join(service).join("rpc.sock");
    let required = |names: &[&str]| -> Vec<serde_json::Value> {
        names
            .iter()
            .map(|n| serde_json::json!({"name": n, "required": true}))
            .collect()
    };
    // `col` + `a.b.list` and `col-a` + `b.list` are both col-a-b-list; `a.list` comes twice and
    // asks for `p` twice; `health` + `x.list` would be the health probe of a service `x-list`.
    serve_methods(
        socket("col"),
        serde_json::json!([
            {"name": "a.b.list"},
            {"name": "a.list", "params": required(&["p", "p"])},
            {"name": "a.list"},
        ]),
    )
    .await;
    serve_methods(socket("col-a"), serde_json::json!([{"name": "b.list"}])).await;
    serve_methods(socket("health"), serde_json::json!([{"name": "x.list"}])).await;
    serve_methods(socket("x-list"), serde_json::json!([])).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    let out = init(&sim, &path, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let panel = std::fs::read_to_string(&path).unwrap();
    for line in [
        "# name = \"col-a-b-list\"",
        "# name = \"col-a-b-list-2\"",
        "# name = \"col-a-list\"",
        "# params = { p = \"\" }   # fill in",
        "# name = \"list-health-x-list\"",
    ] {
        assert!(panel.lines().any(|l| l == line), "no `{line}` in\n{panel}");
    }
    assert!(!panel.contains("# name = \"health-"), "{panel}");

    let all = dir.path().join("all.toml");
    std::fs::write(&all, uncommented(&panel)).unwrap();
    let out = smoke(&["check", "--panel", all.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let suggested = panel.lines().filter(|l| *l == "# [[probe]]").count();
    assert!(
        text(&out.stdout).contains(&format!("is valid: {} probes", suggested + 1)),
        "{}",
        said(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_listed_names_without_a_socket_leaves_the_real_services_asked_first() {
    let sim = Deployment::start().await.unwrap();
    // Sorted by name, every one of them comes before the real services.
    let fakes: Vec<String> = (0..500).map(|i| format!("aaa-fake-{i:04}")).collect();
    sim.also_list(&fakes.iter().map(String::as_str).collect::<Vec<_>>());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    let out = init(&sim, &path, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(
        text(&out.stdout).contains("a health probe over 506 services"),
        "{}",
        said(&out)
    );
    let panel = std::fs::read_to_string(&path).unwrap();
    for line in [
        "# hero_osis_business: a list call from its rpc.discover",
        "# rpc = \"business.persons.list\"",
        "# rpc = \"files.list\"",
        "# 406 more services were not asked for list calls (init asks at most 100, those with an rpc socket first); the health probe covers them.",
    ] {
        assert!(
            panel.lines().any(|l| l.starts_with(line)),
            "no `{line}` in\n{panel}"
        );
    }
    // The room left after the six real services went to 94 of the names.
    assert_eq!(
        panel
            .matches(": no OpenRPC document (rpc.discover: connect)")
            .count(),
        94,
        "{panel}"
    );
    let out = smoke(&["check", "--panel", path.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
}

/// The hero as documented (hero_proc listing actions, the UI a loader page): the panel `init`
/// writes checks, runs with every probe passing, and proves each on its first run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_meets_the_hero_layout_and_its_panel_is_proven_on_its_first_run() {
    let sim = Deployment::start_as(smoke_sim::Layout::Hero).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    let out = init(&sim, &path, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(
        text(&out.stderr).contains("hero_proc_ui: supervised by hero_proc, serves no socket"),
        "{}",
        said(&out)
    );
    let file = path.to_str().unwrap();
    let out = smoke(&["check", "--panel", file]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let state = dir.path().join("state");
    let out = smoke(&[
        "run",
        "--panel",
        file,
        "--state-dir",
        state.to_str().unwrap(),
    ])
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    // One hero_osis in place of the seed's two OSIS sockets: five services.
    assert!(stdout.ends_with("5 passed, 0 failed\n"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("state.json")).unwrap()).unwrap();
    let proofs = json["proofs"].as_object().expect("proofs kept");
    assert_eq!(proofs.len(), 5, "{json:#}");
    assert!(
        proofs.values().all(|p| p["passed"].is_string()),
        "every probe proven: {json:#}"
    );
    // What went unprobed is on the status page, not among the probes.
    let out = smoke(&["status", "--state-dir", state.to_str().unwrap(), "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unprobed = status["unprobed"].as_array().unwrap();
    assert!(
        unprobed.iter().any(|l| l
            .as_str()
            .unwrap()
            .starts_with("hero_proc_ui: supervised by hero_proc, serves no socket")),
        "{status:#}"
    );
}
