//! Several vantage points, one alarm, on the real engines: three `smoke-external watch --listen`
//! processes with their own vantage names against the simulated gateway, a real Prometheus
//! scraping them and evaluating the shipped rules, a two-node Alertmanager cluster with the
//! shipped configuration, `smoke-external relay` as its webhook receiver, and the fake forge
//! counting what it is asked. The test copies of the shipped files differ only in their waits
//! (seconds instead of minutes) and their addresses.
//!
//! One vantage point's own failure (its resolver is dead) opens no issue; the gateway broken
//! for all (its certificate expired; then a 502 to every service, one group) opens exactly one
//! issue each time, which is closed once when it heals, although an Alertmanager node is
//! killed while the first is open.

mod common;

use common::{deployment, herodemo_panel, sets};
use smoke_sim::fakes::{Alertmanager, FakeForge, FakeHook, FakeIssue, Prometheus, PrometheusSetup};
use smoke_sim::Fault;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

const FORGE_TOKEN: &str = "sekret-forge-token-v3";
/// Wide: the machine may be building while this runs; on an idle one each wait is seconds.
const WITHIN: Duration = Duration::from_secs(120);
/// How long "nothing happened" is watched for: many rule evaluations, `for` and group waits.
const QUIET_FOR: Duration = Duration::from_secs(20);
const VANTAGES: [&str; 3] = ["eu-1", "us-1", "ap-1"];

fn free_port() -> u16 {
    smoke_sim::fakes::free_port().expect("a free loopback port")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// `text` with each `(from, to)` replaced; each `from` must be there, so a change to the
/// shipped file cannot leave the test running a copy with minutes-long waits.
fn replaced(text: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (from, to) in pairs {
        assert!(
            out.contains(from),
            "the shipped file no longer holds {from:?}"
        );
        out = out.replace(from, to);
    }
    out
}

/// Asks `check` again until it is `Ok`, for up to [`WITHIN`]; the last `Err` otherwise.
async fn until(mut check: impl FnMut() -> Result<(), String>) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        let last = match check() {
            Ok(()) => return Ok(()),
            Err(last) => last,
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(last);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until `check` holds of the forge's issues; panics with what the engines and the relay
/// say otherwise.
async fn forge_reaches(
    prometheus: &Prometheus,
    dir: &Path,
    what: &str,
    check: impl FnMut() -> Result<(), String>,
) {
    if let Err(last) = until(check).await {
        let why = diagnosis(prometheus, dir).await;
        panic!("{what}: not within {WITHIN:?}; issues: {last}\n{why}");
    }
}

/// What the engines and the relay say, for a failure's message.
async fn diagnosis(prometheus: &Prometheus, dir: &Path) -> String {
    let alerts = prometheus.alerts().await.map_or_else(
        |e| format!("(unavailable: {e})"),
        |a| serde_json::to_string(&a).unwrap(),
    );
    let success = prometheus
        .query("smoke_probe_success == 0")
        .await
        .map_or_else(|e| format!("(unavailable: {e})"), |v| v.to_string());
    let relay = std::fs::read_to_string(dir.join("relay.log")).unwrap_or_default();
    format!("Prometheus alerts: {alerts}\nfailing: {success}\nrelay said:\n{relay}")
}

async fn until_prometheus(prometheus: &Prometheus, what: &str, promql: &str) {
    prometheus
        .wait_for(promql, 1, WITHIN)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
}

fn issues_line(issues: &[FakeIssue]) -> String {
    issues
        .iter()
        .map(|i| format!("#{} {} [{}]", i.number, i.title, i.state))
        .collect::<Vec<_>>()
        .join("; ")
}

fn spawn(args: &[String], env: &[(&str, String)], log: &Path) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smoke-external"));
    cmd.args(args)
        .env_remove("SMOKE_STATE_DIR")
        .env_remove("SMOKE_PANEL")
        .env_remove("SMOKE_VANTAGE")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("smoke-external starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs prometheus (apt-get install prometheus prometheus-alertmanager)"]
async fn three_vantage_points_make_one_issue_per_incident_and_none_for_one_hosts_own_failure() {
    let sim = deployment().await;
    let forge = FakeForge::start(FORGE_TOKEN, "hero/demo").await.unwrap();
    let slack = FakeHook::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let relay_addr = format!("127.0.0.1:{}", free_port());

    // The shipped Alertmanager configuration, its waits in seconds, its relay and Slack here.
    let slack_url_file = dir.path().join("slack-webhook-url");
    std::fs::write(&slack_url_file, format!("{}/services/T/B/x", slack.url())).unwrap();
    let shipped =
        std::fs::read_to_string(examples().join("alertmanager/alertmanager.yml")).unwrap();
    let relay_url = format!("http://{relay_addr}/alertmanager");
    let am_config = replaced(
        &shipped,
        &[
            ("group_wait: 30s", "group_wait: 1s"),
            ("group_interval: 5m", "group_interval: 2s"),
            ("http://127.0.0.1:9201/alertmanager", relay_url.as_str()),
            (
                "/etc/alertmanager/slack-webhook-url",
                slack_url_file.to_str().unwrap(),
            ),
        ],
    );
    let mut alertmanagers = Alertmanager::cluster(2, &am_config).await.unwrap();
    let am_urls: Vec<String> = alertmanagers.iter().map(Alertmanager::url).collect();

    // One panel for every host and the relay: the hosts tell Alertmanager, the relay the forge.
    let panel = dir.path().join("herodemo.toml");
    let mut text = std::fs::read_to_string(herodemo_panel()).unwrap();
    text.push_str(&format!(
        "\n[[notify]]\ntype = \"alertmanager\"\nurls = [\"{}\", \"{}\"]\n\
         \n[[notify]]\ntype = \"forge\"\nurl = \"{}\"\nrepo = \"hero/demo\"\ntoken_env = \"SMOKE_TEST_FORGE\"\nrelay = true\n",
        am_urls[0],
        am_urls[1],
        forge.url()
    ));
    std::fs::write(&panel, text).unwrap();

    // The relay first, so that Alertmanager's first notification finds it.
    let relay_log = dir.path().join("relay.log");
    let _relay = spawn(
        &[
            "relay".into(),
            "--panel".into(),
            panel.display().to_string(),
            "--listen".into(),
            relay_addr.clone(),
            "--state-dir".into(),
            dir.path().join("relay-state").display().to_string(),
        ],
        &[("SMOKE_TEST_FORGE", FORGE_TOKEN.to_string())],
        &relay_log,
    );

    // ap-1's resolver is a socket that never answers: its own network is broken.
    let dead_dns = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dead_dns = dead_dns.local_addr().map(|a| (dead_dns, a)).unwrap();
    let mut targets = Vec::new();
    let mut hosts = Vec::new();
    for vantage in VANTAGES {
        let listen = format!("127.0.0.1:{}", free_port());
        let mut args: Vec<String> = vec![
            "watch".into(),
            "--panel".into(),
            panel.display().to_string(),
            "--listen".into(),
            listen.clone(),
            "--state-dir".into(),
            dir.path()
                .join(format!("state-{vantage}"))
                .display()
                .to_string(),
        ];
        for s in sets(&sim) {
            args.extend(["--set".into(), s]);
        }
        args.extend(["--set".into(), "panel.every=1s".into()]);
        if vantage == "ap-1" {
            args.extend([
                "--set".into(),
                format!("external.resolvers=[\"{}\"]", dead_dns.1),
            ]);
        }
        let log = dir.path().join(format!("watch-{vantage}.log"));
        hosts.push(spawn(
            &args,
            &[("SMOKE_VANTAGE", vantage.to_string())],
            &log,
        ));
        targets.push(listen);
    }

    // The shipped rules, the quorum's `for` in seconds.
    let rules_file = dir.path().join("smoke-rules.yml");
    let rules = std::fs::read_to_string(examples().join("prometheus/smoke-rules.yml")).unwrap();
    std::fs::write(&rules_file, replaced(&rules, &[("for: 2m", "for: 4s")])).unwrap();
    let prometheus = Prometheus::start_with(&PrometheusSetup {
        targets,
        scrape_interval: Duration::from_secs(1),
        evaluation_interval: Duration::from_secs(2),
        rule_files: vec![rules_file],
        alertmanagers: am_urls
            .iter()
            .map(|u| u.trim_start_matches("http://").to_string())
            .collect(),
    })
    .await
    .unwrap();

    // 1. Only ap-1 fails (public-dns, and every probe caused by it): no quorum, no issue.
    until_prometheus(
        &prometheus,
        "ap-1 sees its own failure",
        r#"smoke_probe_success{vantage="ap-1",probe="public-dns"} == 0"#,
    )
    .await;
    until_prometheus(
        &prometheus,
        "eu-1 and us-1 see all pass",
        r#"count(min by (vantage) (smoke_probe_success{vantage=~"eu-1|us-1"}) == 1) == 2"#,
    )
    .await;
    tokio::time::sleep(QUIET_FOR).await;
    let quorum = prometheus
        .query(r#"ALERTS{alertname="SmokeProbeFailingQuorum"}"#)
        .await
        .unwrap();
    assert_eq!(
        quorum,
        serde_json::json!([]),
        "no quorum for one host's failure"
    );
    assert!(
        forge.issues().is_empty(),
        "one vantage point's own failure opened {}",
        issues_line(&forge.issues())
    );

    // 2. The gateway's certificate expires: every vantage point that can resolve sees it.
    sim.set(Fault::CertExpired);
    forge_reaches(
        &prometheus,
        dir.path(),
        "one forge issue opens",
        || match forge.issues().as_slice() {
            [issue] if issue.state == "open" => Ok(()),
            issues => Err(issues_line(issues)),
        },
    )
    .await;
    let issue = forge.issues().remove(0);
    assert!(issue.title.contains("public-tls"), "{}", issue.title);
    assert!(
        issue.body.contains("fails from 2 vantage points"),
        "eu-1 and us-1, not ap-1 whose public-tls is caused by its DNS: {}",
        issue.body
    );

    // 3. One Alertmanager node dies mid-incident; the other carries the resolution.
    alertmanagers[0].kill().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    sim.clear(&Fault::CertExpired);
    forge_reaches(
        &prometheus,
        dir.path(),
        "the issue is closed",
        || match forge.issues().as_slice() {
            [issue] if issue.state == "closed" => Ok(()),
            issues => Err(issues_line(issues)),
        },
    )
    .await;
    // 4. The gateway answers 502 to every service: the hosts group the roots by their
    //    signature, and so does the quorum: one issue for the group, listing its probes.
    sim.set(Fault::Gateway502);
    forge_reaches(
        &prometheus,
        dir.path(),
        "the group's issue opens",
        || match forge.issues().as_slice() {
            [_, group] if group.state == "open" => Ok(()),
            issues => Err(issues_line(issues)),
        },
    )
    .await;
    let group = forge.issues().remove(1);
    assert!(
        group.title.contains("fail with HTTP 502 Bad Gateway"),
        "{}",
        group.title
    );
    assert!(
        group.body.contains("probe=group:http-502"),
        "{}",
        group.body
    );
    sim.clear(&Fault::Gateway502);
    forge_reaches(
        &prometheus,
        dir.path(),
        "the group's issue is closed",
        || match forge.issues().as_slice() {
            [a, b] if a.state == "closed" && b.state == "closed" => Ok(()),
            issues => Err(issues_line(issues)),
        },
    )
    .await;
    // Any repeat (a second node's copy, a late firing word) would show by now.
    tokio::time::sleep(QUIET_FOR).await;

    let issues = forge.issues();
    assert_eq!(issues.len(), 2, "{}", issues_line(&issues));
    let requests = forge.requests();
    let created = requests
        .iter()
        .filter(|r| *r == "POST /api/v1/repos/hero/demo/issues")
        .count();
    assert_eq!(created, 2, "each opened once: {requests:#?}");
    for issue in &issues {
        assert_eq!(issue.state, "closed");
        let resolved = issue
            .comments
            .iter()
            .filter(|c| c.starts_with("Resolved"))
            .count();
        assert_eq!(resolved, 1, "closed once: {:#?}", issue.comments);
    }
    assert!(forge.violations().is_empty(), "{:?}", forge.violations());
    let relay_said = std::fs::read_to_string(&relay_log).unwrap();
    assert!(
        !relay_said.contains("refused a request"),
        "Alertmanager's own requests are all taken: {relay_said}"
    );
    // The hosts had nothing to tell the forge, and said no warning about it.
    for vantage in VANTAGES {
        let log = std::fs::read_to_string(dir.path().join(format!("watch-{vantage}.log"))).unwrap();
        assert!(!log.contains("warning"), "{vantage}: {log}");
    }
    drop(hosts);
}
