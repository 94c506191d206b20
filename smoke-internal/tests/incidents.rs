//! Incidents end to end: `smoke-internal run` ticks against the simulated deployment, telling a
//! fake Slack, a fake forge (held to the Forgejo API spec), a fake webhook and a real
//! Alertmanager. Nothing is lost or told twice, whatever is down or killed.

mod common;

use common::world::{one_issue_each, text, KillWaits, Setup, World, FORGE_TOKEN};
use smoke_sim::Fault;
use std::time::Duration;

#[ignore = "needs prometheus-alertmanager (apt-get install prometheus-alertmanager)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_held_for_five_ticks_is_one_issue_one_message_one_alert_and_healing_closes_it() {
    let w = World::new(true).await;
    w.sim.set(Fault::BizEmpty);
    let mut stdout = String::new();
    for _ in 0..5 {
        let out = w.tick(&[]).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        stdout.push_str(&text(&out.stdout));
    }
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    let issue = &issues[0];
    assert_eq!(issue.state, "open");
    assert!(
        issue.title.contains("biz-persons") && issue.title.contains("assertion"),
        "{}",
        issue.title
    );
    assert!(
        issue.body.contains("expected len(result) > 0, got 0"),
        "{}",
        issue.body
    );
    assert!(
        issue.body.contains("`len(result) > 0` got:\n\n```\n0\n```"),
        "{}",
        issue.body
    );
    assert!(issue.body.contains("timings: connect_ms"), "{}", issue.body);
    assert!(issue
        .body
        .contains("<!-- smoke-incident panel=herodemo mode=internal probe=biz-persons incident="));
    assert_eq!(
        issue.labels,
        ["smoke", "incident"],
        "labels were made by name"
    );
    assert!(
        issue.comments.is_empty(),
        "no reminder inside remind_every: {:?}",
        issue.comments
    );
    assert_eq!(w.slack.received().len(), 1);
    assert_eq!(w.hook.received().len(), 1);
    assert_eq!(w.hook.received()[0]["event"], "opened");
    let am = w.alerts.as_ref().unwrap();
    let firing = am.alerts().await.unwrap();
    assert_eq!(firing.len(), 1, "{firing:?}");
    assert_eq!(firing[0]["labels"]["probe"], "biz-persons");
    assert_eq!(firing[0]["labels"]["alertname"], "SmokeProbeFailing");

    w.sim.clear(&Fault::BizEmpty);
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let issue = &w.forge.issues()[0];
    assert_eq!(issue.state, "closed");
    let last = issue.comments.last().unwrap();
    assert!(last.starts_with("Resolved: passing again after "), "{last}");
    let slack = w.slack.received();
    assert_eq!(slack.len(), 2);
    assert_eq!(
        slack[1]["attachments"][0]["color"], "#2eb67d",
        "green when it heals"
    );
    assert!(slack[1]["text"]
        .as_str()
        .unwrap()
        .contains("biz-persons recovered after"));
    assert_eq!(w.hook.received()[1]["event"], "resolved");
    assert!(w.hook.received()[1]["duration_s"].as_i64().unwrap() >= 0);
    let after = am.alerts().await.unwrap();
    let still_active = after
        .iter()
        .filter(|a| a["status"]["state"] == "active")
        .count();
    assert_eq!(still_active, 0, "{after:?}");
    assert!(
        w.forge.violations().is_empty(),
        "{:?}",
        w.forge.violations()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_are_comments_on_the_one_issue() {
    let w = World::new(false).await;
    w.sim.set(Fault::BizEmpty);
    for _ in 0..3 {
        w.tick(&["--set", "panel.remind_every=1ms"]).await;
    }
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].comments.len(), 2, "{:?}", issues[0].comments);
    assert!(issues[0]
        .comments
        .iter()
        .all(|c| c.starts_with("biz-persons still failing: assertion")));
    assert!(
        w.forge.violations().is_empty(),
        "{:?}",
        w.forge.violations()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forge_down_for_three_ticks_gets_the_issue_once_late_with_the_events_in_order() {
    let w = World::new(false).await;
    w.sim.set(Fault::BizEmpty);
    w.forge.set_down(true);
    for _ in 0..3 {
        let out = w.tick(&["--set", "panel.remind_every=1ms"]).await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "a dead sink never changes the verdict"
        );
        assert!(
            text(&out.stderr).contains("kept for the next tick"),
            "{}",
            text(&out.stderr)
        );
    }
    assert!(w.forge.issues().is_empty());
    assert_eq!(
        w.slack.received().len(),
        3,
        "the other sinks were not held up"
    );
    w.forge.set_down(false);
    w.tick(&["--set", "panel.remind_every=1ms"]).await;
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(
        issues[0].comments.len(),
        3,
        "the reminders owed, in order: {:?}",
        issues[0].comments
    );
    assert_eq!(w.state_json()["outbox"].as_array().unwrap().len(), 0);
    assert!(
        w.forge.violations().is_empty(),
        "{:?}",
        w.forge.violations()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_made_just_before_a_crash_is_adopted_not_made_again() {
    let w = World::new(false).await;
    w.sim.set(Fault::BizEmpty);
    w.forge.set_down(true);
    w.tick(&[]).await;
    // The state as it is on disk between "the forge made the issue" and "its number was saved".
    let before_the_save = std::fs::read(w.state.path().join("state.json")).unwrap();
    w.forge.set_down(false);
    w.tick(&[]).await;
    assert_eq!(w.forge.issues().len(), 1);
    std::fs::write(w.state.path().join("state.json"), before_the_save).unwrap();
    w.tick(&[]).await;
    assert_eq!(w.forge.issues().len(), 1, "adopted, not duplicated");
    let handles = &w.state_json()["handles"]["forge"];
    assert_eq!(handles.as_object().unwrap().values().next().unwrap(), 1);
    w.sim.clear(&Fault::BizEmpty);
    w.tick(&[]).await;
    assert_eq!(w.forge.issues()[0].state, "closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolve_cut_short_still_closes_the_issue() {
    let w = World::new(false).await;
    w.sim.set(Fault::BizEmpty);
    w.tick(&[]).await;
    w.sim.clear(&Fault::BizEmpty);
    w.forge.set_down(true);
    w.tick(&[]).await; // resolved in the state; the close is owed
    assert_eq!(w.forge.issues()[0].state, "open");
    w.forge.set_down(false);
    w.tick(&[]).await;
    let issue = &w.forge.issues()[0];
    assert_eq!(issue.state, "closed");
    assert_eq!(
        issue
            .comments
            .iter()
            .filter(|c| c.starts_with("Resolved"))
            .count(),
        1,
        "{:?}",
        issue.comments
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_closed_by_hand_while_still_failing_is_reopened_with_a_comment() {
    let w = World::new(false).await;
    w.sim.set(Fault::BizEmpty);
    w.tick(&[]).await;
    w.forge.close_by_hand(1);
    w.tick(&[]).await;
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].state, "open");
    assert!(issues[0]
        .comments
        .last()
        .unwrap()
        .starts_with("Reopened by smoke: biz-persons is still failing"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_any_output_or_file() {
    let w = World::new(false).await;
    w.sim.set(Fault::BizEmpty);
    let mut seen = String::new();
    for down in [false, true, true, false] {
        w.forge.set_down(down);
        w.slack.set_down(down);
        let out = w.tick(&["--set", "panel.remind_every=1ms"]).await;
        seen.push_str(&text(&out.stdout));
        seen.push_str(&text(&out.stderr));
    }
    for entry in std::fs::read_dir(w.state.path()).unwrap() {
        seen.push_str(&String::from_utf8_lossy(
            &std::fs::read(entry.unwrap().path()).unwrap(),
        ));
    }
    assert!(seen.contains("HTTP 503"), "the failures were said: {seen}");
    assert!(!seen.contains(FORGE_TOKEN), "the forge token leaked");
    assert!(
        !seen.contains("sekret-slack-path"),
        "the Slack webhook leaked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_kills_at_random_points_leave_a_whole_state_and_one_issue_per_incident() {
    let w = World::new(false).await;
    w.forge.set_latency(Duration::from_millis(15));
    // Kills land anywhere in a run, and some runs end: the waits start from the longer kind of
    // run (opening or resolving at the slow forge) and follow how this machine runs them now.
    let mut longest = Duration::ZERO;
    for on in [true, false] {
        match on {
            true => w.sim.set(Fault::BizEmpty),
            false => w.sim.clear(&Fault::BizEmpty),
        }
        let started = std::time::Instant::now();
        w.tick(&[]).await;
        longest = longest.max(started.elapsed());
    }
    let mut waits = KillWaits::new(longest);
    for i in 0..50 {
        // The fault flips every few runs, so incidents open and heal along the way.
        if i % 6 == 0 {
            w.sim.set(Fault::BizEmpty);
        } else if i % 6 == 3 {
            w.sim.clear(&Fault::BizEmpty);
        }
        let killed = w.run_killed_after(waits.next()).await;
        waits.ran(killed);
    }
    // Let it settle: healthy, nothing killed.
    w.sim.clear(&Fault::BizEmpty);
    w.forge.set_latency(Duration::ZERO);
    for _ in 0..2 {
        let out = w.tick(&[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let state = w.state_json();
    assert_eq!(state["outbox"].as_array().unwrap().len(), 0, "{state}");
    let issues = w.forge.issues();
    let m = one_issue_each(&issues);
    assert!(
        m.len() >= 4,
        "the measuring runs made one incident, the killed runs several more: {m:?}"
    );
    assert!(issues.iter().all(|i| i.state == "closed"), "{issues:?}");
    assert!(
        w.forge.violations().is_empty(),
        "{:?}",
        w.forge.violations()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_that_opened_while_quiet_gets_its_issue_when_it_is_next_told() {
    let w = World::new(false).await;
    let mute = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
        .args(["mute", "--panel"])
        .arg(&w.panel)
        .arg("--state-dir")
        .arg(w.state.path())
        .args(["biz-persons", "--for", "1h"])
        .output()
        .await
        .unwrap();
    assert!(mute.status.success(), "{}", text(&mute.stderr));
    w.sim.set(Fault::BizEmpty);
    w.tick(&[]).await;
    assert!(w.forge.issues().is_empty(), "quiet: no issue");
    let unmute = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
        .args(["unmute", "--panel"])
        .arg(&w.panel)
        .arg("--state-dir")
        .arg(w.state.path())
        .arg("biz-persons")
        .output()
        .await
        .unwrap();
    assert!(unmute.status.success());
    w.tick(&["--set", "panel.remind_every=1ms"]).await;
    let issues = w.forge.issues();
    assert_eq!(
        issues.len(),
        1,
        "the reminder opens the issue it never had: {issues:?}"
    );
    assert!(
        issues[0].comments[0].starts_with("biz-persons still failing"),
        "{:?}",
        issues[0].comments
    );
    w.sim.clear(&Fault::BizEmpty);
    w.tick(&[]).await;
    assert_eq!(w.forge.issues()[0].state, "closed");
    assert_eq!(
        w.state_json()["outbox"].as_array().unwrap().len(),
        0,
        "nothing stuck in the outbox"
    );
}

/// The state as smoke before grouping wrote it (version 1): each probe's incident inside its
/// counters.
fn as_version_1(state: &serde_json::Value) -> serde_json::Value {
    let mut old = state.clone();
    let incidents = old["incidents"].take();
    for (name, incident) in incidents.as_object().unwrap() {
        let mut incident = incident.clone();
        let fields = incident.as_object_mut().unwrap();
        for new in ["group", "members", "affected"] {
            fields.remove(new);
        }
        old["probes"][name]["incident"] = incident;
    }
    let fields = old.as_object_mut().unwrap();
    fields.remove("incidents");
    fields.remove("log");
    fields.insert("version".into(), 1.into());
    old
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_folder_of_version_1_is_carried_on_with_its_incident_and_its_issue() {
    let w = World::new(false).await;
    w.sim.set(Fault::BizEmpty);
    w.tick(&[]).await;
    let id = w.state_json()["incidents"]["biz-persons"]["id"].clone();
    let old = as_version_1(&w.state_json());
    assert!(old["probes"]["biz-persons"]["incident"]["id"] == id);
    std::fs::write(
        w.state.path().join("state.json"),
        serde_json::to_vec_pretty(&old).unwrap(),
    )
    .unwrap();
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let state = w.state_json();
    assert_eq!(state["version"], 2, "saved in the new format");
    assert_eq!(
        state["incidents"]["biz-persons"]["id"], id,
        "the same incident, still open"
    );
    assert_eq!(w.forge.issues().len(), 1, "no second issue");
    assert_eq!(w.slack.received().len(), 1, "no second 'opened'");
    w.sim.clear(&Fault::BizEmpty);
    w.tick(&[]).await;
    let issues = w.forge.issues();
    assert_eq!((issues.len(), issues[0].state.as_str()), (1, "closed"));
    assert_eq!(
        w.state_json()["log"][0]["id"],
        id,
        "and logged once resolved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_is_one_issue_whose_list_is_edited_as_services_join_it() {
    let w = World::start(Setup::default()).await;
    let gone = |s: &str| Fault::SocketMissing(s.to_string());
    let tick = || async {
        let out = w.tick(&[]).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        out
    };
    w.sim.set(gone("hero_embedder"));
    w.sim.set(gone("hero_foundry"));
    let out = tick().await;
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("(caused by health-hero_foundry)"),
        "{stdout}"
    );
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert!(
        issues[0]
            .title
            .contains("4 probes fail: connect: supervised by hero_proc but no socket: …"),
        "{}",
        issues[0].title
    );
    for probe in [
        "health-hero_embedder",
        "health-hero_foundry",
        "embedder-queue",
        "photos-download",
    ] {
        assert!(
            issues[0].body.contains(&format!("`{probe}`")),
            "{}",
            issues[0].body
        );
    }
    assert!(!issues[0].body.contains("biz-persons"));
    // A third service goes the same way: it joins the group, whose list is edited in place.
    w.sim.set(gone("hero_osis_business"));
    tick().await;
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert!(
        issues[0]
            .body
            .contains("`biz-persons` (caused by a member)"),
        "{}",
        issues[0].body
    );
    assert!(issues[0].body.contains("`health-hero_osis_business`"));
    assert!(issues[0].comments.is_empty(), "{:?}", issues[0].comments);
    assert_eq!(w.slack.received().len(), 1, "a list edit is no message");
    let state = w.state_json();
    let incidents = state["incidents"].as_object().unwrap();
    assert_eq!(incidents.len(), 1, "{state}");
    let (key, group) = incidents.iter().next().unwrap();
    assert!(key.starts_with("group:connect-"), "{key}");
    assert_eq!(group["members"].as_array().unwrap().len(), 3, "{state}");
    for s in ["hero_embedder", "hero_foundry", "hero_osis_business"] {
        w.sim.clear(&gone(s));
    }
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let issues = w.forge.issues();
    assert_eq!((issues.len(), issues[0].state.as_str()), (1, "closed"));
    assert_eq!(w.slack.received().len(), 2, "opened, resolved");
    assert!(
        w.forge.violations().is_empty(),
        "{:?}",
        w.forge.violations()
    );
}
