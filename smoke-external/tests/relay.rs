//! `smoke-external relay` as Alertmanager meets it: a real process on a loopback port, told by
//! the fake forge (held to the Forgejo API spec) and a fake Slack. The quorum alert opens one
//! issue however often it is sent (two Alertmanager nodes, the group interval's repeats), its
//! resolution closes it; malformed, oversized and unauthenticated requests get 4xx and a log
//! line and change nothing.

mod common;

use common::herodemo_panel;
use common::relay::{notification, Relay, RELAY_TOKEN, WITHIN};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quorum_alert_is_one_issue_opened_once_and_closed_once() {
    let relay = Relay::start().await;
    let firing = notification("firing", "os-ui", "2026-11-30T12:00:00.123Z");
    // Two nodes of a cluster and a repeat after the group interval: one incident.
    for _ in 0..3 {
        let (status, body) = relay.post(&firing).await;
        assert_eq!(status, 200, "{body}");
    }
    relay.forge_settles(1, 0).await;
    let issue = &relay.forge.issues()[0];
    assert!(issue.title.contains("os-ui"), "{issue:?}");
    assert!(
        issue.body.contains("fails from 3 vantage points"),
        "{issue:?}"
    );
    assert!(
        issue
            .body
            .contains("incident=herodemo/external/os-ui/1796040000123"),
        "the incident is named by the alert's start: {}",
        issue.body
    );
    let resolved = notification("resolved", "os-ui", "2026-11-30T12:00:00.123Z");
    for _ in 0..2 {
        assert_eq!(relay.post(&resolved).await.0, 200);
    }
    // A late firing copy of the resolved alert reopens nothing.
    assert_eq!(relay.post(&firing).await.0, 200);
    relay.forge_settles(0, 1).await;
    let deadline = tokio::time::Instant::now() + WITHIN;
    while relay.slack.received().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "Slack was not told");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a wrongly repeated word time to show, then count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(relay.forge.issues().len(), 1, "{:#?}", relay.forge.issues());
    assert_eq!(
        relay.slack.received().len(),
        2,
        "{:?}",
        relay.slack.received()
    );
    assert!(
        relay.forge.violations().is_empty(),
        "{:?}",
        relay.forge.violations()
    );
    let state = std::fs::read_to_string(relay.state.path().join("state.json")).unwrap();
    let log = relay.stop().await;
    assert!(
        log.contains("relaying SmokeProbeFailingQuorum and SmokeGroupFailingQuorum alerts"),
        "{log}"
    );
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["incidents"], serde_json::json!({}), "{state}");
    assert_eq!(state["log"].as_array().map(Vec::len), Some(1), "{state}");
}

/// What whoever can post to Alertmanager may write in a group's `signature`: a link, a mention,
/// a tag, a comment opener, a fence, a terminal escape, an issue reference, Slack's mention.
const HOSTILE: &str =
    "[x](https://evil.test) @admin <img src=x onerror=alert(1)> <!-- ``` \u{1b}[31m #1 <!channel>";

/// The lines of a Markdown text outside its fenced blocks, each block checked to end only
/// where its own fence comes back, after the one line it quotes.
fn outside_fences(markdown: &str) -> Vec<&str> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut outside = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i];
        if fence.len() >= 3 && fence.chars().all(|c| c == '`') {
            assert_eq!(
                lines.get(i + 2),
                Some(&fence),
                "the block ends early:\n{markdown}"
            );
            assert!(
                !lines[i + 1].starts_with(fence),
                "the block ends early:\n{markdown}"
            );
            i += 3;
        } else {
            outside.push(fence);
            i += 1;
        }
    }
    outside
}

/// Every string in a JSON value.
fn strings(v: &serde_json::Value) -> Vec<&str> {
    match v {
        serde_json::Value::String(s) => vec![s.as_str()],
        serde_json::Value::Array(a) => a.iter().flat_map(strings).collect(),
        serde_json::Value::Object(o) => o.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_group_signature_reaches_the_forge_and_slack_as_words() {
    let relay = Relay::start().await;
    let alert = serde_json::json!({
        "alerts": [{
            "status": "firing",
            "labels": {
                "alertname": "SmokeGroupFailingQuorum",
                "panel": "herodemo",
                "mode": "external",
                "group": "group:http-502",
                "signature": HOSTILE,
                "cause": "http",
                "severity": "critical",
            },
            "annotations": {"probes": "os-ui biz-persons", "summary": HOSTILE},
            "startsAt": "2026-11-30T12:00:00Z",
        }],
    });
    let (status, body) = relay.post(&serde_json::to_vec(&alert).unwrap()).await;
    assert_eq!(status, 200, "{body}");
    relay.forge_settles(1, 0).await;
    let issue = &relay.forge.issues()[0];

    // The title: one line, plain words; no mention, link, issue reference or tag.
    let title = &issue.title;
    assert!(
        title.starts_with("[smoke] 2 probes fail with [x](https:"),
        "{title}"
    );
    for live in ["@admin", "://", "#1", "<img", "<!--", "<!channel", "\u{1b}"] {
        assert!(!title.contains(live), "{live} in the title: {title}");
    }
    assert!(!title.contains(char::is_control), "{title:?}");

    // The body: the signature in the headline as words, what the alert said in a block of its
    // own, and the marker, smoke's, on the last line.
    let (above, marker) = issue.body.trim_end().rsplit_once('\n').unwrap();
    assert!(
        marker
            .starts_with("<!-- smoke-incident panel=herodemo mode=external probe=group:http-502 "),
        "{}",
        issue.body
    );
    let headline = above.lines().next().unwrap();
    assert!(
        headline.starts_with("**2 probes fail with \\[x\\](https:")
            && headline.contains("&lt;img src=x onerror=alert(1)&gt; &lt;!-- \\`\\`\\`"),
        "{headline}"
    );
    let words = outside_fences(above).join("\n");
    for live in ["<", "@admin", "://", "#1", "\u{1b}"] {
        assert!(!words.contains(live), "{live} outside a block: {words}");
    }
    let link = words
        .match_indices(['[', ']'])
        .find(|(at, _)| !words[..*at].ends_with('\\'));
    assert_eq!(link, None, "a link outside a block: {words}");
    assert!(
        issue.body.contains(&format!(
            "\n````\n{}\n````\n",
            HOSTILE.replace('\u{1b}', "\\u{1b}")
        )),
        "what the alert said is quoted whole: {}",
        issue.body
    );

    // Slack: no `<…>` link or mention, no raw control, no end of the quoting block.
    let deadline = tokio::time::Instant::now() + WITHIN;
    while relay.slack.received().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "Slack was not told");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let message = &relay.slack.received()[0];
    for text in strings(message) {
        let quoted = text
            .strip_prefix("```")
            .and_then(|t| t.strip_suffix("```"))
            .unwrap_or(text);
        assert!(
            !quoted.contains(['<', '>', '`', '\u{1b}']) && !quoted.contains("://"),
            "{text:?}"
        );
    }
    assert!(
        relay.forge.violations().is_empty(),
        "{:?}",
        relay.forge.violations()
    );
    relay.stop().await;
}

/// A request the relay must refuse, and what it must answer.
struct Bad<'a> {
    what: &'a str,
    auth: Option<&'a str>,
    body: Vec<u8>,
    status: u16,
    says: &'a str,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_4xx_a_log_line_and_change_nothing() {
    let relay = Relay::start().await;
    let firing = notification("firing", "os-ui", "2026-11-30T12:00:00Z");
    let wrong = format!("Bearer {RELAY_TOKEN}x");
    let right = format!("Bearer {RELAY_TOKEN}");
    let cases = [
        Bad {
            what: "no token",
            auth: None,
            body: firing.clone(),
            status: 401,
            says: "no bearer token",
        },
        Bad {
            what: "a wrong token",
            auth: Some(&wrong),
            body: firing.clone(),
            status: 401,
            says: "wrong bearer token",
        },
        Bad {
            what: "malformed JSON",
            auth: Some(&right),
            body: b"{\"alerts\": [{\"status\": \"firing\"".to_vec(),
            status: 400,
            says: "not an Alertmanager webhook notification",
        },
        Bad {
            what: "not a notification",
            auth: Some(&right),
            body: br#"{"alerts": "\u001b[2Jall of them"}"#.to_vec(),
            status: 400,
            says: "not an Alertmanager webhook notification",
        },
        Bad {
            what: "a deeply nested body",
            auth: Some(&right),
            // 100,000 deep, unfinished, in a field the relay does not read: skipped without
            // recursion, refused at its end.
            body: format!("{{\"groupLabels\": {}", "[".repeat(100_000)).into_bytes(),
            status: 400,
            says: "not an Alertmanager webhook notification",
        },
        Bad {
            what: "an oversized body",
            auth: Some(&right),
            body: vec![b' '; 2 * 1024 * 1024],
            status: 413,
            says: "the body is larger than the limit of 1048576 bytes",
        },
    ];
    for c in &cases {
        let headers: Vec<(&str, &str)> = c.auth.map(|a| ("Authorization", a)).into_iter().collect();
        let (status, body) = relay
            .request("POST", "/alertmanager", &headers, &c.body)
            .await;
        assert_eq!(status, c.status, "{}: {body}", c.what);
        assert!(body.contains(c.says), "{}: {body}", c.what);
    }
    let many: Vec<serde_json::Value> = (0..1001)
        .map(|_| serde_json::json!({"status": "firing", "labels": {}, "startsAt": "2026-11-30T12:00:00Z"}))
        .collect();
    let (status, body) = relay
        .post(&serde_json::to_vec(&serde_json::json!({"alerts": many})).unwrap())
        .await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("the limit is 1000"), "{body}");
    // Another panel's alert is taken (Alertmanager must not retry it) and ignored with a line.
    let other = String::from_utf8(firing.clone())
        .unwrap()
        .replace("\"herodemo\"", "\"staging\"");
    let (status, body) = relay.post(other.as_bytes()).await;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The forge was read (the start's reconciliation), never written.
    let writes: Vec<String> = relay
        .forge
        .requests()
        .into_iter()
        .filter(|r| !r.starts_with("GET "))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert!(relay.slack.received().is_empty());
    let log = relay.stop().await;
    for c in &cases {
        assert!(
            log.contains(&format!(
                "relay: refused a request ({}): {}",
                c.status, c.says
            )),
            "{} is logged: {log}",
            c.what
        );
    }
    assert!(
        log.contains("ignored 1 alerts not for this relay: panel \"staging\""),
        "{log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "the log holds no raw escape: {log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_with_nothing_to_tell_or_without_its_token_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let panel = dir.path().join("panel.toml");
    let base = std::fs::read_to_string(herodemo_panel()).unwrap();
    std::fs::write(&panel, &base).unwrap();
    let run = |env_token: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_smoke-external"));
        cmd.args(["relay", "--panel"])
            .arg(&panel)
            .args(["--listen", "127.0.0.1:0", "--state-dir"])
            .arg(dir.path().join("state"))
            .env_remove("SMOKE_TEST_RELAY_TOKEN");
        if env_token {
            cmd.env("SMOKE_TEST_RELAY_TOKEN", RELAY_TOKEN);
        }
        cmd.output().unwrap()
    };
    let out = run(true);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no [[notify]] entry has relay = true"),
        "{err}"
    );
    std::fs::write(
        &panel,
        format!("{base}\n[relay]\nbearer_token_env = \"SMOKE_TEST_RELAY_TOKEN\"\n[[notify]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\nrelay = true\n"),
    )
    .unwrap();
    let out = run(false);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "[relay] bearer_token: the environment variable SMOKE_TEST_RELAY_TOKEN is not set"
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_sender_holds_up_no_one_else() {
    let relay = Relay::start().await;
    // Headers whole, the body promised and never sent: its connection waits alone.
    let mut slow = tokio::net::TcpStream::connect(&relay.addr).await.unwrap();
    let head = format!(
        "POST /alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {RELAY_TOKEN}\r\nContent-Length: 100000\r\n\r\n{{\"alerts\": ["
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    // Answered (no status 0 after WITHIN) while the other body is still coming: nothing is
    // held while a body is read.
    let (status, body) = relay
        .post(&notification("firing", "os-ui", "2026-11-30T12:00:00Z"))
        .await;
    assert_eq!(status, 200, "{body}");
    relay.forge_settles(1, 0).await;
    drop(slow);
    relay.stop().await;
}

#[test]
fn check_warns_when_named_vantage_points_would_each_tell_the_forge() {
    let dir = tempfile::tempdir().unwrap();
    let panel = dir.path().join("panel.toml");
    let base = std::fs::read_to_string(herodemo_panel()).unwrap();
    let forge = "[[notify]]\ntype = \"forge\"\nurl = \"http://127.0.0.1:9\"\nrepo = \"hero/demo\"\ntoken_env = \"T\"\n";
    let check = |text: String, vantage: Option<&str>| {
        std::fs::write(&panel, text).unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_smoke-external"));
        cmd.args(["check", "--panel"]).arg(&panel);
        match vantage {
            Some(v) => cmd.env("SMOKE_VANTAGE", v),
            None => cmd.env_remove("SMOKE_VANTAGE"),
        };
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = check(format!("{base}\n{forge}"), Some("probe-eu-1"));
    assert!(
        err.contains(
            "warning: the panel names its vantage point (\"probe-eu-1\") and [[notify]] forge"
        ),
        "{err}"
    );
    assert!(err.contains("mark it relay = true"), "{err}");
    // One host, its vantage its host name: as before, no warning.
    assert_eq!(check(format!("{base}\n{forge}"), None), "");
    // The forge is the relay's: the hosts don't tell it.
    assert_eq!(
        check(format!("{base}\n{forge}relay = true\n"), Some("probe-eu-1")),
        ""
    );
}
