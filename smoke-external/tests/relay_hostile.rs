//! `smoke-external relay` on a bad day: a forge that hangs, Alertmanager's copies out of order,
//! a flood of alerts for services the relay cannot know of, a flood of alerts not its own, and
//! a notification of a megabyte of names. Each is told once, bounded, and holds up no other
//! notification.

mod common;

use common::relay::{notification, Relay, WITHIN};
use std::time::Duration;

/// The relay's caps of new incidents for alerts the panel cannot confirm
/// (`relay::NEW_PER_NOTIFICATION`).
const NEW_PER_NOTIFICATION: usize = 5;

/// Issue 20, item 2: the forge answers after 30 s, past the sinks' 10 s deadline. Each
/// notification is still answered 200 (the relay answers 503 once it has waited 5 s for its
/// state), and each issue is made once when the forge answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_forge_holds_up_no_notification() {
    let relay = Relay::start().await;
    relay.forge.set_latency(Duration::from_secs(30));
    let probes = [
        "os-ui",
        "biz-persons",
        "photos-download",
        "contexts-distinct",
        "embedder-queue",
    ];
    for probe in probes {
        let (status, body) = relay
            .post(&notification("firing", probe, "2026-11-30T12:00:00Z"))
            .await;
        assert_eq!(status, 200, "{probe} while the forge hangs: {body}");
        // Spread over the forge's hang, as Alertmanager's groups come.
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    relay.forge.set_latency(Duration::ZERO);
    // The hung call times out (10 s), the next flush finds the forge back.
    relay
        .forge_settles_within(probes.len(), 0, 3 * WITHIN)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let issues = relay.forge.issues();
    assert_eq!(issues.len(), probes.len(), "each once: {issues:#?}");
    for probe in probes {
        assert!(
            issues.iter().any(|i| i.title.contains(probe)),
            "{probe}: {issues:#?}"
        );
    }
    assert!(relay.forge.violations().is_empty());
    // Whether a failure is said depends on which call hung: a GET that timed out did nothing
    // on the forge and is tried again at once (it then finds the forge back, and nothing is
    // owed), a POST that timed out waits for the next flush and is said. Either way nothing is
    // refused and nothing escapes raw.
    let log = relay.stop().await;
    assert!(!log.contains("refused a request"), "{log}");
    assert!(!log.contains('\u{1b}'), "{log}");
}

/// Issue 20, item 4, through the real relay: a resolution before its firing copy, and a newer
/// alert firing before the older one's resolution comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_out_of_order_leave_no_issue_open_and_close_none_early() {
    let relay = Relay::start().await;
    // One node's resolution, then the other node's late firing copy: no issue.
    let (t1, t2) = ("2026-11-30T12:00:00Z", "2026-11-30T13:00:00Z");
    assert_eq!(
        relay.post(&notification("resolved", "os-ui", t1)).await.0,
        200
    );
    assert_eq!(
        relay.post(&notification("firing", "os-ui", t1)).await.0,
        200
    );
    // T1 fires, then T2 (T1 ended, T2 began within a group interval), then T1's resolution:
    // the issue stays open until T2's.
    for (status, at) in [("firing", t1), ("firing", t2), ("resolved", t1)] {
        let (code, body) = relay.post(&notification(status, "biz-persons", at)).await;
        assert_eq!(code, 200, "{body}");
    }
    relay.forge_settles(1, 0).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let issues = relay.forge.issues();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(issues[0].title.contains("biz-persons"), "{issues:#?}");
    assert_eq!(issues[0].state, "open", "T2 still fires");
    assert_eq!(
        relay
            .post(&notification("resolved", "biz-persons", t2))
            .await
            .0,
        200
    );
    relay.forge_settles(0, 1).await;
    relay.stop().await;
}

/// `n` alerts of one status for services `health-s00000...`, in one notification.
fn services(status: &str, n: usize) -> Vec<u8> {
    let alerts: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "status": status,
                "labels": {"alertname": "SmokeProbeFailingQuorum", "panel": "herodemo",
                           "mode": "external", "probe": format!("health-s{i:05}"),
                           "severity": "critical"},
                "annotations": {"summary": "fails from 3 vantage points"},
                "startsAt": "2026-11-30T12:00:00Z",
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"version": "4", "alerts": alerts})).unwrap()
}

/// Issue 20, item 7: one notification of 1,000 `health-<any>` alerts opens a few issues and
/// one that lists the rest, which closes when they resolve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_unknown_services_are_a_few_issues_and_one_list() {
    let relay = Relay::start().await;
    let (status, body) = relay.post(&services("firing", 1000)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"overflowed\":995"), "{body}");
    let issues = NEW_PER_NOTIFICATION + 1;
    relay.forge_settles(issues, 0).await;
    // Give a wrongly opened issue time to show, then count.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let all = relay.forge.issues();
    assert_eq!(all.len(), issues, "{:#?}", all.len());
    let list = all
        .iter()
        .find(|i| i.title.contains("995 probes fail"))
        .unwrap_or_else(|| panic!("one issue lists the rest: {all:#?}"));
    assert!(list.body.contains("`health-s00005`"), "{}", list.body);
    let deadline = tokio::time::Instant::now() + WITHIN;
    while relay.slack.received().len() < issues {
        assert!(tokio::time::Instant::now() < deadline, "Slack was not told");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, body) = relay.post(&services("resolved", 1000)).await;
    assert_eq!(status, 200, "{body}");
    relay.forge_settles(0, issues).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(relay.slack.received().len(), 2 * issues);
    let log = relay.stop().await;
    assert!(
        log.contains("995 new alerts past the caps of new incidents"),
        "{log}"
    );
}

/// Issue 20, item 8: alerts not for the relay are logged as refusals are, at most 20 lines a
/// minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignored_alerts_are_logged_at_most_twenty_lines_a_minute() {
    let relay = Relay::start().await;
    for i in 0..45 {
        let n = notification("firing", &format!("nosuch-{i}"), "2026-11-30T12:00:00Z");
        assert_eq!(relay.post(&n).await.0, 200);
    }
    let log = relay.stop().await;
    let said = log
        .matches("relay: ignored 1 alerts not for this relay")
        .count();
    assert_eq!(said, 20, "{log}");
}

/// Issue 20, item 8: a group's list of a megabyte of names, against a panel of thousands of
/// probes, is read before the state is locked and in one pass, so a notification posted
/// meanwhile is answered and taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_megabyte_group_list_holds_up_no_other_notification() {
    let probes: String = (0..4000)
        .map(|i| format!("\n[[probe]]\nname = \"p{i:04}\"\ntarget = \"hero_os/ui\"\nget = \"/\"\n"))
        .collect();
    let relay = Relay::start_with(&probes).await;
    let mut names = String::new();
    let mut i = 0;
    while names.len() < 1_000_000 {
        names.push_str(&format!("zz-s{i:06} "));
        i += 1;
    }
    names.push_str("p0001 p0002");
    let big = serde_json::to_vec(&serde_json::json!({"version": "4", "alerts": [{
        "status": "firing",
        "labels": {"alertname": "SmokeGroupFailingQuorum", "panel": "herodemo",
                   "mode": "external", "group": "group:http-502", "cause": "http",
                   "signature": "HTTP 502 Bad Gateway", "severity": "critical"},
        "annotations": {"summary": "probes fail with HTTP 502", "probes": names},
        "startsAt": "2026-11-30T12:00:00Z",
    }]}))
    .unwrap();
    assert!(big.len() < 1024 * 1024, "within the relay's body limit");
    let (big, small) = tokio::join!(relay.post(&big), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        relay
            .post(&notification("firing", "os-ui", "2026-11-30T12:00:00Z"))
            .await
    });
    assert_eq!(big.0, 200, "{}", big.1);
    assert_eq!(small.0, 200, "{}", small.1);
    relay.forge_settles(2, 0).await;
    let titles: Vec<String> = relay.forge.issues().into_iter().map(|i| i.title).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("2 probes fail with HTTP 502")),
        "the panel's two of the list: {titles:?}"
    );
    relay.stop().await;
}
