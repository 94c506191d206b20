//! One cause, one alarm, end to end: every probe of the herodemo panel (whose `[defaults]` make
//! each probe of a service depend on its health probe) against the simulated deployment, told
//! to a fake forge, a fake Slack and a webhook. Independent failures stay apart, one transport
//! failure on several services is one grouped incident whose services are each restarted, and a
//! symptom whose root heals opens its own incident on that very tick.

mod common;

use common::world::{one_issue_each, text, KillWaits, Setup, World, RPC_RESTART};
use smoke_sim::Fault;
use std::time::Duration;

/// Every probe runs; a restart, when there is one, settles fast.
async fn world(restart: bool) -> World {
    World::start(Setup {
        defaults: if restart {
            format!("{RPC_RESTART}\nrestart_settle = \"50ms\"")
        } else {
            String::new()
        },
        ..Setup::default()
    })
    .await
}

/// The text of every Slack message, in order.
fn slack_texts(w: &World) -> Vec<String> {
    w.slack
        .received()
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn told(w: &World, event: &str) -> Vec<String> {
    w.events()
        .into_iter()
        .filter(|e| e.0 == event)
        .map(|e| e.1)
        .collect()
}

fn assert_clean(w: &World) {
    assert!(
        w.forge.violations().is_empty(),
        "{:?}",
        w.forge.violations()
    );
    let state = w.state_json();
    assert_eq!(state["outbox"].as_array().unwrap().len(), 0, "{state}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_independent_failures_in_one_tick_are_two_incidents() {
    let w = world(false).await;
    w.sim.set(Fault::BizEmpty);
    w.sim.set(Fault::UiSocketMissing);
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let issues = w.forge.issues();
    let mut titles: Vec<&str> = issues.iter().map(|i| i.title.as_str()).collect();
    titles.sort();
    assert_eq!(issues.len(), 2, "{titles:?}");
    assert!(titles[0].contains("biz-persons"), "{titles:?}");
    assert!(titles[1].contains("os-ui"), "{titles:?}");
    let mut opened = told(&w, "opened");
    opened.sort();
    assert_eq!(opened, ["biz-persons", "os-ui"], "{:?}", w.events());
    assert_eq!(slack_texts(&w).len(), 2, "{:?}", slack_texts(&w));

    w.sim.clear(&Fault::BizEmpty);
    w.sim.clear(&Fault::UiSocketMissing);
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(w.forge.issues().iter().all(|i| i.state == "closed"));
    assert_eq!(told(&w, "resolved").len(), 2, "{:?}", w.events());
    assert_eq!(slack_texts(&w).len(), 4, "{:?}", slack_texts(&w));
    assert_clean(&w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_missing_sockets_are_one_grouped_incident_and_each_service_is_restarted() {
    let w = world(true).await;
    w.sim.set(Fault::SocketMissing("hero_embedder".into()));
    w.sim.set(Fault::SocketMissing("hero_foundry".into()));
    let out = w.tick(&[]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");

    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1, "one cause, one issue: {issues:?}");
    let issue = &issues[0];
    // Titled by the signature; the two health probes and the probe each of them causes fail.
    assert!(
        issue
            .title
            .contains("4 probes fail: connect: supervised by hero_proc but no socket"),
        "{}",
        issue.title
    );
    for listed in [
        "- `health-hero_embedder`\n",
        "- `health-hero_foundry`\n",
        "- `embedder-queue` (caused by",
        "- `photos-download` (caused by",
    ] {
        assert!(issue.body.contains(listed), "{listed}: {}", issue.body);
    }
    assert!(
        issue.body.contains("**4 probes affected**"),
        "{}",
        issue.body
    );
    let group = told(&w, "opened");
    assert_eq!(group.len(), 1, "{:?}", w.events());
    assert!(group[0].starts_with("group:"), "{group:?}");
    let slack = slack_texts(&w);
    assert_eq!(
        slack.len(),
        3,
        "opened, then a restart per service: {slack:?}"
    );

    // One restart per service of the group, each told to the group's incident.
    let mut restarted = w.sim.restarts();
    restarted.sort();
    assert_eq!(restarted, ["hero_embedder", "hero_foundry"], "{err}");
    for service in ["hero_embedder", "hero_foundry"] {
        let heard: Vec<_> = w
            .events()
            .into_iter()
            .filter(|e| e.0 == "restarted" && e.2.starts_with(&format!("restarted {service},")))
            .collect();
        assert_eq!(heard.len(), 1, "{service}: {:?}", w.events());
        assert_eq!(heard[0].1, group[0], "told to the group");
    }
    // A restart does not bring a socket file back: the group stays open, with no new issue.
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(w.forge.issues().len(), 1);
    assert_eq!(w.sim.restarts().len(), 2, "inside the cooldown");

    // One service recovers: it leaves the group, which stays open for the other.
    w.sim.clear(&Fault::SocketMissing("hero_embedder".into()));
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(told(&w, "resolved").is_empty(), "{:?}", w.events());
    let issue = &w.forge.issues()[0];
    assert_eq!(issue.state, "open");
    assert!(
        issue.body.contains("**2 probes affected**")
            && issue.body.contains("- `health-hero_foundry`\n")
            && !issue.body.contains("hero_embedder"),
        "the body follows who is in: {}",
        issue.body
    );
    // Both recovered: the group resolves, once.
    w.sim.clear(&Fault::SocketMissing("hero_foundry".into()));
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(told(&w, "resolved"), group, "{:?}", w.events());
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].state, "closed");
    assert_eq!(told(&w, "opened").len(), 1, "nothing else opened");
    assert_clean(&w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hung_services_are_one_group_each_restarted_and_it_resolves_when_both_recover() {
    let w = world(true).await;
    w.sim.set(Fault::Hang("hero_embedder".into()));
    w.sim.set(Fault::Hang("hero_foundry".into()));
    let out = w.tick(&[]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let mut restarted = w.sim.restarts();
    restarted.sort();
    assert_eq!(restarted, ["hero_embedder", "hero_foundry"], "{err}");
    let kinds: Vec<(String, String)> = w
        .events()
        .into_iter()
        .map(|e| (e.0, e.2.split(", ").next().unwrap_or_default().to_string()))
        .collect();
    let opened = told(&w, "opened");
    assert_eq!(opened.len(), 1, "{:?}", w.events());
    assert!(opened[0].starts_with("group:timeout-"), "{opened:?}");
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    assert_eq!(kinds[0].0, "opened");
    let mut restarts: Vec<&str> = kinds[1..3].iter().map(|k| k.1.as_str()).collect();
    restarts.sort();
    assert_eq!(
        restarts,
        ["restarted hero_embedder", "restarted hero_foundry"]
    );
    assert!(
        w.events()[1..3]
            .iter()
            .all(|e| e.0 == "restarted" && e.1 == opened[0] && e.2.contains("recovered after")),
        "{:?}",
        w.events()
    );
    assert_eq!(
        w.events()[3].0,
        "resolved",
        "both recovered: the group resolves"
    );
    assert_eq!(w.events()[3].1, opened[0]);
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].state, "closed");
    assert_clean(&w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_that_heals_while_its_child_fails_resolves_and_the_child_opens_in_that_tick() {
    let w = world(false).await;
    w.sim.set(Fault::Health500("hero_osis_business".into()));
    w.sim.set(Fault::BizEmpty);
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 1, "the symptom opens nothing: {issues:?}");
    assert!(
        issues[0].title.contains("health-hero_osis_business"),
        "{}",
        issues[0].title
    );
    assert!(
        issues[0]
            .body
            .contains("- `biz-persons` (caused by health-hero_osis_business)"),
        "{}",
        issues[0].body
    );
    let first_tick = w.events().len();

    w.sim.clear(&Fault::Health500("hero_osis_business".into()));
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let this_tick: Vec<(String, String)> = w.events()[first_tick..]
        .iter()
        .map(|e| (e.0.clone(), e.1.clone()))
        .collect();
    assert_eq!(
        this_tick,
        [
            (
                "resolved".to_string(),
                "health-hero_osis_business".to_string()
            ),
            ("opened".to_string(), "biz-persons".to_string()),
        ],
        "the root resolves and the child opens, in one tick"
    );
    let issues = w.forge.issues();
    assert_eq!(issues.len(), 2, "{issues:?}");
    assert_eq!(issues[0].state, "closed");
    assert_eq!(issues[1].state, "open");
    assert!(
        issues[1].title.contains("biz-persons"),
        "{}",
        issues[1].title
    );

    w.sim.clear(&Fault::BizEmpty);
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(w.forge.issues().iter().all(|i| i.state == "closed"));
    let slack = slack_texts(&w);
    assert_eq!(slack.len(), 4, "opened and resolved, twice: {slack:?}");
    assert_clean(&w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_kills_with_roots_children_and_a_group_leave_a_whole_state_and_one_issue_each() {
    let w = world(false).await;
    w.forge.set_latency(Duration::from_millis(15));
    let gone = [
        Fault::SocketMissing("hero_embedder".into()),
        Fault::SocketMissing("hero_foundry".into()),
    ];
    let health = Fault::Health500("hero_osis_business".into());
    // Kills land anywhere in a run, and some runs end: the waits start from the longest kind
    // of run, one that opens or resolves an incident at the slow forge.
    let mut longest = Duration::ZERO;
    for on in [true, false] {
        gone.iter().for_each(|f| match on {
            true => w.sim.set(f.clone()),
            false => w.sim.clear(f),
        });
        let started = std::time::Instant::now();
        w.tick(&[]).await;
        longest = longest.max(started.elapsed());
    }
    let mut waits = KillWaits::new(longest);
    let (mut killed, mut finished) = (0, 0);
    for i in 0..50 {
        // A group with caused-by children, then a root with a child that outlives it.
        match i % 12 {
            0 => gone.iter().for_each(|f| w.sim.set(f.clone())),
            4 => gone.iter().for_each(|f| w.sim.clear(f)),
            6 => {
                w.sim.set(health.clone());
                w.sim.set(Fault::BizEmpty);
            }
            8 => w.sim.clear(&health),
            10 => w.sim.clear(&Fault::BizEmpty),
            _ => {}
        }
        let was_killed = w.run_killed_after(waits.next()).await;
        waits.ran(was_killed);
        match was_killed {
            true => killed += 1,
            false => finished += 1,
        }
    }
    assert!(
        killed >= 5 && finished >= 5,
        "{killed} runs killed, {finished} finished, waits under {} ms",
        waits.span_ms()
    );
    w.sim.clear_all();
    w.forge.set_latency(Duration::ZERO);
    for _ in 0..2 {
        let out = w.tick(&[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let issues = w.forge.issues();
    let m = one_issue_each(&issues);
    assert!(
        m.iter().any(|m| m.contains("probe=group:")),
        "a group was opened along the way: {m:?}"
    );
    assert!(
        m.iter()
            .any(|m| m.contains("probe=health-hero_osis_business ")),
        "a root was opened along the way: {m:?}"
    );
    assert!(issues.iter().all(|i| i.state == "closed"), "{issues:?}");
    assert_clean(&w);
}
