//! The real alerting engines together, as an end-to-end test uses them: a two-member
//! Alertmanager cluster on loopback that notifies a webhook once and outlives a member, and a
//! Prometheus that evaluates a rule file and sends what fires to Alertmanager.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use smoke_sim::fakes::{promtool, Alertmanager, FakeHook, Prometheus, PrometheusSetup};

/// Wide on purpose: the machine may be busy building; on an idle one each wait below takes
/// a few seconds.
const WITHIN: Duration = Duration::from_secs(60);
const POLL_EVERY: Duration = Duration::from_millis(200);

/// Asks `check` again until it gives `Some`, for up to [`WITHIN`]; panics with `what` and
/// the last `Err` it gave otherwise.
async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + WITHIN;
    loop {
        let last = match check().await {
            Ok(found) => return found,
            Err(last) => last,
        };
        assert!(
            Instant::now() < deadline,
            "{what}: not within {WITHIN:?}; last: {last}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

fn names(alerts: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = alerts
        .iter()
        .filter_map(|a| a["labels"]["alertname"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// The alert names of each webhook notification received, in order.
fn notified(hook: &FakeHook) -> Vec<Vec<String>> {
    hook.received()
        .iter()
        .map(|body| names(body["alerts"].as_array().map_or(&[], Vec::as_slice)))
        .collect()
}

fn firing(name: &str) -> Value {
    let started = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60);
    json!([{
        "labels": {"alertname": name, "probe": "os-ui"},
        "annotations": {"summary": "os-ui is failing"},
        "startsAt": started.to_string(),
    }])
}

#[ignore = "needs prometheus-alertmanager (apt-get install prometheus-alertmanager)"]
#[tokio::test]
async fn alertmanager_cluster_notifies_once_and_outlives_a_member() {
    let hook = FakeHook::start().await.unwrap();
    let config = format!(
        "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  \
         group_interval: 1m\n  repeat_interval: 1h\n\
         receivers:\n  - name: hook\n    webhook_configs:\n      - url: \"{}/alertmanager\"\n",
        hook.url()
    );
    let started = Instant::now();
    let mut members = Alertmanager::cluster(2, &config).await.unwrap();
    eprintln!("cluster of 2 formed in {:?}", started.elapsed());
    for member in &members {
        let status = member.status().await.unwrap();
        assert_eq!(status["cluster"]["status"], "ready", "{status}");
        assert_eq!(status["cluster"]["peers"].as_array().unwrap().len(), 2);
    }
    assert_ne!(members[0].cluster_address(), members[1].cluster_address());

    // Members gossip silences (and who notified), not alerts: a silence made on one shows up
    // on the other.
    let now = jiff::Timestamp::now();
    let silence = json!({
        "matchers": [{"name": "alertname", "value": "Muted", "isRegex": false}],
        "startsAt": now.to_string(),
        "endsAt": (now + jiff::SignedDuration::from_secs(3600)).to_string(),
        "createdBy": "smoke-sim", "comment": "gossip check",
    });
    let id = members[0].post("/api/v2/silences", &silence).await.unwrap()["silenceID"]
        .as_str()
        .unwrap()
        .to_owned();
    let gossiped = Instant::now();
    until("the silence reaches the second member", || async {
        let silences = members[1]
            .get("/api/v2/silences")
            .await
            .map_err(|e| e.to_string())?;
        let ids: Vec<&Value> = silences
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| &s["id"])
            .collect();
        ids.contains(&&json!(id))
            .then_some(())
            .ok_or_else(|| silences.to_string())
    })
    .await;
    eprintln!("silence gossiped in {:?}", gossiped.elapsed());

    // Every member gets the alert, as from Prometheus; the hook hears of it once.
    let sent = Instant::now();
    for member in &members {
        member.post_alerts(&firing("Both")).await.unwrap();
    }
    until("a notification for Both", || async {
        let seen = notified(&hook);
        (!seen.is_empty())
            .then_some(())
            .ok_or_else(|| format!("{seen:?}"))
    })
    .await;
    eprintln!("notified in {:?}", sent.elapsed());
    // The later member notifies after PEER_TIMEOUT unless the log says it's done: wait well past it.
    tokio::time::sleep(Alertmanager::PEER_TIMEOUT * 3).await;
    assert_eq!(notified(&hook), [["Both"]], "{:?}", hook.received());
    for member in &members {
        assert_eq!(names(&member.alerts().await.unwrap()), ["Both"]);
    }

    // A member dies mid-incident: the other still answers, holds the alert, and notifies.
    members[0].kill().unwrap();
    assert!(
        members[0].status().await.is_err(),
        "the killed member still answers"
    );
    let survivor = &members[1];
    assert_eq!(names(&survivor.alerts().await.unwrap()), ["Both"]);
    let killed = Instant::now();
    survivor.post_alerts(&firing("AfterKill")).await.unwrap();
    until("a notification for AfterKill from the survivor", || async {
        let seen = notified(&hook);
        (seen.len() >= 2)
            .then_some(())
            .ok_or_else(|| format!("{seen:?}"))
    })
    .await;
    eprintln!("survivor notified in {:?}", killed.elapsed());
    assert_eq!(notified(&hook), [["Both"], ["AfterKill"]]);
    let status = survivor.status().await.unwrap();
    assert_eq!(status["cluster"]["status"], "ready", "{status}");
}

const RULES: &str = "\
groups:
  - name: engines
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        for: 0s
        labels:
          severity: test
        annotations:
          summary: fires as soon as it is evaluated
";

#[ignore = "needs prometheus (apt-get install prometheus)"]
#[tokio::test]
async fn prometheus_sends_a_firing_rule_to_every_alertmanager() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yml");
    std::fs::write(&rules, RULES).unwrap();
    let checked = std::process::Command::new(promtool().unwrap())
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(checked.status.success(), "{checked:?}");

    // Two members serve /metrics too, so they are the two scrape targets as well.
    let members =
        Alertmanager::cluster(2, "route:\n  receiver: none\nreceivers:\n  - name: none\n")
            .await
            .expect("Alertmanager runs (apt-get install prometheus-alertmanager)");
    let addresses: Vec<String> = members
        .iter()
        .map(|m| m.url().trim_start_matches("http://").to_owned())
        .collect();
    let started = Instant::now();
    let prometheus = Prometheus::start_with(&PrometheusSetup {
        targets: addresses.clone(),
        rule_files: vec![rules],
        alertmanagers: addresses,
        ..PrometheusSetup::default()
    })
    .await
    .unwrap();

    for member in &members {
        until("AlwaysFiring reaches every Alertmanager", || async {
            let held = member.alerts().await.map_err(|e| e.to_string())?;
            if names(&held) == ["AlwaysFiring"] {
                return Ok(held);
            }
            Err(format!(
                "{} holds {held:?}; Prometheus's alerts: {:?}",
                member.url(),
                prometheus.alerts().await
            ))
        })
        .await;
    }
    eprintln!(
        "alert at both Alertmanagers {:?} after Prometheus started",
        started.elapsed()
    );
    let alert = &members[1].alerts().await.unwrap()[0];
    assert_eq!(alert["labels"]["severity"], "test", "{alert}");
    let own = prometheus.alerts().await.unwrap();
    assert_eq!(names(&own), ["AlwaysFiring"], "{own:?}");
    assert_eq!(own[0]["state"], "firing", "{own:?}");
    let up = prometheus
        .wait_for("up == 1", 2, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(up.as_array().unwrap().len(), 2, "{up}");
}
