//! What the relay makes of Alertmanager's webhook: the quorum alert of each probe opens one
//! incident, and its resolution closes it. Alertmanager repeats itself (every node of a cluster
//! may send, and every group interval sends again), so each word is taken once: the alert's
//! `startsAt` names its incident, a firing alert of an incident already resolved is stale, and
//! a resolution of another incident than the open one is ignored.

use serde::Deserialize;
use smoke_core::http::UNLISTED;
use smoke_core::incident::{incident_id, Event, EventKind, Incident, State, GROUP_PREFIX};
use smoke_core::outcome::{Cause, Severity, DETAIL_LIMIT};
use smoke_core::panel::{
    is_service_name, Mode, Panel, ProbeSpec, PUBLIC_DNS, PUBLIC_TLS, SERVICE_PLACEHOLDER,
};
use std::collections::BTreeMap;

/// The most probes a relayed group names; past it the rest are not listed.
pub const MAX_MEMBERS: usize = 1000;
/// The longest group key (after `group:`) and signature taken from an alert.
const MAX_GROUP_KEY: usize = 200;
const SIGNATURE_CHARS: usize = 200;

/// The most alerts one notification may carry: a group of one probe's quorum alert holds one;
/// a route that groups more than this many is misconfigured, and its requests are refused.
pub const MAX_ALERTS: usize = 1000;

/// Alertmanager's webhook body (version 4), the parts the relay reads; the rest is ignored.
#[derive(Debug, Deserialize)]
pub struct Notification {
    pub alerts: Vec<Alert>,
}

#[derive(Debug, Deserialize)]
pub struct Alert {
    pub status: AlertStatus,
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    pub starts_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

/// Which alerts are this relay's: the panel's, of its side, named `alertname` (one probe's
/// quorum) or `group_alertname` (a group's).
pub struct Scope<'a> {
    pub panel: &'a Panel,
    pub mode: Mode,
    pub alertname: &'a str,
    pub group_alertname: &'a str,
}

/// What one notification changed, for the answer and the log.
#[derive(Debug, Default, serde::Serialize)]
pub struct Applied {
    pub opened: Vec<String>,
    pub resolved: Vec<String>,
    /// Alerts taken already (a repeat, another node's copy, a stale word): nothing to do.
    pub repeated: usize,
    /// Alerts that are not this relay's, each with why (the first few)...
    pub ignored: Vec<String>,
    /// ...and how many there were.
    pub ignored_count: usize,
}

/// Ignored alerts named in an answer; the rest are counted.
const IGNORED_SHOWN: usize = 5;

impl Applied {
    fn ignore(&mut self, why: String) {
        self.ignored_count += 1;
        if self.ignored.len() < IGNORED_SHOWN {
            self.ignored.push(why);
        }
    }
}

/// What an alert is about: its incident's key, the probes it covers, and how it is told.
struct Subject {
    /// A probe's name, or `group:<slug>` for a group.
    key: String,
    severity: Severity,
    /// The group's signature and cause, for a group.
    group: Option<(String, Option<Cause>)>,
    members: Vec<String>,
}

/// Applies a notification to the relay's state and returns the events it makes.
pub fn apply(
    state: &mut State,
    notification: &Notification,
    scope: &Scope<'_>,
    now: jiff::Timestamp,
) -> (Vec<Event>, Applied) {
    let mut applied = Applied::default();
    let mut events = Vec::new();
    let (panel, mode) = (scope.panel.name.as_str(), scope.mode.as_str());
    for alert in &notification.alerts {
        let subject = match subject(alert, scope) {
            Ok(s) => s,
            Err(why) => {
                applied.ignore(why);
                continue;
            }
        };
        let key = subject.key.clone();
        match alert.status {
            AlertStatus::Firing => {
                if let Some(open) = state.incidents.get_mut(&key) {
                    // A group's probes as the rule sees them now: the issue's list follows.
                    let moved = subject.group.is_some()
                        && !subject.members.is_empty()
                        && open.covers.members != subject.members;
                    if moved {
                        open.covers.members = subject.members;
                        events.push(Event::about(
                            EventKind::Affected,
                            (panel, mode),
                            &key,
                            open,
                            now,
                        ));
                    } else {
                        applied.repeated += 1;
                    }
                    continue;
                }
                let stale = state
                    .log
                    .iter()
                    .any(|p| p.key == key && p.opened_at == alert.starts_at);
                if stale {
                    applied.repeated += 1;
                    continue;
                }
                let id = incident_id(panel, mode, &key, alert.starts_at);
                let mut incident =
                    Incident::new(id, alert.starts_at, subject.severity, subject.members);
                incident.last_told = now;
                incident.detail = detail(alert);
                if let Some((signature, cause)) = subject.group {
                    incident.covers.group = Some(signature);
                    incident.cause = cause;
                }
                events.push(Event::about(
                    EventKind::Opened,
                    (panel, mode),
                    &key,
                    &incident,
                    now,
                ));
                state.incidents.insert(key.clone(), incident);
                applied.opened.push(key);
            }
            AlertStatus::Resolved => {
                // Only the open incident's own alert, or a later one, closes it: a late word
                // about an earlier incident must not close this one.
                let closes = state
                    .incidents
                    .get(&key)
                    .is_some_and(|i| alert.starts_at >= i.opened_at);
                if !closes {
                    applied.repeated += 1;
                    continue;
                }
                let incident = state.incidents.remove(&key).expect("just found");
                let mut event =
                    Event::about(EventKind::Resolved, (panel, mode), &key, &incident, now);
                event.detail = "fewer vantage points than the quorum see it fail".to_string();
                events.push(event);
                state.log_resolved(key.clone(), &incident, now);
                applied.resolved.push(key);
            }
        }
    }
    (events, applied)
}

/// What `alert` is about, or why it is not this relay's.
fn subject(alert: &Alert, scope: &Scope<'_>) -> Result<Subject, String> {
    let label = |k: &str| alert.labels.get(k).map(String::as_str).unwrap_or("");
    let name = label("alertname");
    let is_group = name == scope.group_alertname;
    if name != scope.alertname && !is_group {
        return Err(format!(
            "alertname \"{}\" is neither {} nor {}",
            cut(name),
            scope.alertname,
            scope.group_alertname
        ));
    }
    let (panel, mode) = (scope.panel.name.as_str(), scope.mode.as_str());
    if label("panel") != panel || label("mode") != mode {
        return Err(format!(
            "panel \"{}\" mode \"{}\" is not {panel}/{mode}",
            cut(label("panel")),
            cut(label("mode"))
        ));
    }
    let with_label = |default: Severity| {
        alert
            .labels
            .get("severity")
            .map_or(default, |s| severity(s, default))
    };
    if !is_group {
        // Only a probe of the panel: its name is already known to be safe in a folder, a
        // marker and a metric.
        let probe = label("probe");
        let severity = severity_of(scope, probe)
            .ok_or_else(|| format!("no probe \"{}\" in the panel", cut(probe)))?;
        return Ok(Subject {
            key: probe.to_string(),
            severity: with_label(severity),
            group: None,
            members: vec![probe.to_string()],
        });
    }
    let key = label("group");
    if !is_group_key(key) {
        return Err(format!("\"{}\" is not a group's key", cut(key)));
    }
    let signature = label("signature");
    if signature.is_empty() {
        return Err(format!("the group {key} has no signature"));
    }
    let cause = serde_json::from_value(serde_json::Value::from(label("cause"))).ok();
    // The rule lists the group's probes; only the panel's are kept, each once.
    let mut members: Vec<String> = alert
        .annotations
        .get("probes")
        .map(String::as_str)
        .unwrap_or("")
        .split_whitespace()
        .filter(|p| severity_of(scope, p).is_some())
        .map(str::to_string)
        .collect();
    members.sort();
    members.dedup();
    members.truncate(MAX_MEMBERS);
    Ok(Subject {
        key: key.to_string(),
        severity: with_label(scope.panel.defaults.severity),
        group: Some((signature.chars().take(SIGNATURE_CHARS).collect(), cause)),
        members,
    })
}

/// `group:` and a slug, as smoke makes them (`group:http-502`): it becomes a forge marker and a
/// state key.
fn is_group_key(key: &str) -> bool {
    key.strip_prefix(GROUP_PREFIX).is_some_and(|slug| {
        !slug.is_empty()
            && slug.len() <= MAX_GROUP_KEY
            && slug
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    })
}

/// The severity of the probe that runs under `name` on the relay's side, if one does: the
/// outside's own `public-dns` and `public-tls` (with the panel's default), or a probe of the
/// panel.
fn severity_of(scope: &Scope<'_>, name: &str) -> Option<Severity> {
    let builtin = scope.mode == Mode::External && (name == PUBLIC_DNS || name == PUBLIC_TLS);
    if builtin {
        return Some(scope.panel.defaults.severity);
    }
    probe_named(scope.panel, name).map(|p| p.severity)
}

/// The panel's probe that runs under `name`: its own name, or a `for_each = "service"` probe's
/// name with a service name (or the stand-in for services not listed) for `{service}`.
fn probe_named<'p>(panel: &'p Panel, name: &str) -> Option<&'p ProbeSpec> {
    panel.probes.iter().find(|p| {
        if p.name == name {
            return true;
        }
        let Some((before, after)) = p
            .for_each_service
            .then(|| p.name.split_once(SERVICE_PLACEHOLDER))
            .flatten()
        else {
            return false;
        };
        // `*` stands for the services where they could not be listed.
        name.strip_prefix(before)
            .and_then(|rest| rest.strip_suffix(after))
            .is_some_and(|s| is_service_name(s) || s == UNLISTED)
    })
}

/// The events for open incidents whose last word is `remind_every` old.
pub fn reminders(
    state: &mut State,
    (panel, mode): (&str, &str),
    remind_every: std::time::Duration,
    now: jiff::Timestamp,
) -> Vec<Event> {
    let mut events = Vec::new();
    for (key, incident) in &mut state.incidents {
        if incident.reminder_due(now, remind_every) {
            incident.last_told = now;
            events.push(Event::about(
                EventKind::Reminder,
                (panel, mode),
                key,
                incident,
                now,
            ));
        }
    }
    events
}

/// What the alert says of itself (its summary, else its description), bounded like a probe's
/// detail: the annotations are Prometheus's rule text, but whoever posts can write anything.
fn detail(alert: &Alert) -> String {
    let text = ["summary", "description"]
        .iter()
        .find_map(|k| alert.annotations.get(*k).filter(|v| !v.is_empty()))
        .map_or("failing from the quorum of vantage points", String::as_str);
    text.chars().take(DETAIL_LIMIT).collect()
}

fn severity(label: &str, probe: Severity) -> Severity {
    match label {
        "critical" => Severity::Critical,
        "warning" => Severity::Warning,
        _ => probe,
    }
}

/// A label as an ignored alert's reason quotes it: short, its controls escaped.
fn cut(text: &str) -> String {
    let short: String = text.chars().take(80).collect();
    smoke_core::text::escape_controls(&short).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel() -> Panel {
        let text = r#"
[panel]
name = "herodemo"
[external]
base_url = "https://hero.example"
[[probe]]
name = "home"
target = "hero_os/ui"
get = "/"
[[probe]]
name = "login"
target = "hero_os/ui"
get = "/login"
severity = "warning"
[[probe]]
name = "health-{service}"
for_each = "service"
target = "{service}/rpc"
get = "/health"
"#;
        smoke_core::panel::load_str(text, std::path::Path::new("p.toml"), &Default::default())
            .expect("a valid panel")
    }

    fn notification(alerts: &[(&str, &str, &str, i64)]) -> Notification {
        let alerts: Vec<serde_json::Value> = alerts
            .iter()
            .map(|(status, alertname, probe, at)| {
                serde_json::json!({
                    "status": status,
                    "labels": {"alertname": alertname, "panel": "herodemo", "mode": "external",
                               "probe": probe, "severity": "critical"},
                    "annotations": {"summary": format!("{probe} fails from 3 vantage points")},
                    "startsAt": jiff::Timestamp::from_second(*at).unwrap().to_string(),
                    "endsAt": "0001-01-01T00:00:00Z",
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({"version": "4", "alerts": alerts})).unwrap()
    }

    const Q: &str = "SmokeProbeFailingQuorum";
    const G: &str = "SmokeGroupFailingQuorum";

    fn run(state: &mut State, panel: &Panel, n: &Notification) -> (Vec<Event>, Applied) {
        let scope = Scope {
            panel,
            mode: Mode::External,
            alertname: Q,
            group_alertname: G,
        };
        apply(
            state,
            n,
            &scope,
            jiff::Timestamp::from_second(2_000_000_000).unwrap(),
        )
    }

    #[test]
    fn one_incident_per_alert_however_often_it_is_said() {
        let p = panel();
        let mut state = State::default();
        let firing = notification(&[("firing", Q, "home", 1_900_000_000)]);
        let (events, applied) = run(&mut state, &p, &firing);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, EventKind::Opened);
        assert_eq!(
            events[0].incident, "herodemo/external/home/1900000000000",
            "the id is the alert's start: the same whichever node or relay sees it"
        );
        assert_eq!(events[0].detail, "home fails from 3 vantage points");
        assert_eq!(applied.opened, ["home"]);
        // The other node's copy, and the group interval's repeat.
        for _ in 0..2 {
            let (events, applied) = run(&mut state, &p, &firing);
            assert!(events.is_empty());
            assert_eq!(applied.repeated, 1);
        }
        let resolved = notification(&[("resolved", Q, "home", 1_900_000_000)]);
        let (events, _) = run(&mut state, &p, &resolved);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, EventKind::Resolved);
        assert!(state.incidents.is_empty());
        assert_eq!(state.log.len(), 1);
        // A late firing copy of the same alert reopens nothing; the resolution is not said twice.
        for n in [&firing, &resolved] {
            let (events, applied) = run(&mut state, &p, n);
            assert!(events.is_empty(), "{events:?}");
            assert_eq!(applied.repeated, 1);
        }
        // A new alert (a new start) is a new incident.
        let again = notification(&[("firing", Q, "home", 1_900_003_600)]);
        let (events, _) = run(&mut state, &p, &again);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].incident, "herodemo/external/home/1900003600000");
    }

    #[test]
    fn an_older_resolution_does_not_close_a_newer_incident() {
        let p = panel();
        let mut state = State::default();
        run(
            &mut state,
            &p,
            &notification(&[("firing", Q, "home", 1_900_003_600)]),
        );
        let (events, applied) = run(
            &mut state,
            &p,
            &notification(&[("resolved", Q, "home", 1_900_000_000)]),
        );
        assert!(events.is_empty());
        assert_eq!(applied.repeated, 1);
        assert!(state.incidents.contains_key("home"));
    }

    #[test]
    fn other_alerts_panels_and_unknown_probes_are_ignored_with_why() {
        let p = panel();
        let mut state = State::default();
        let n = notification(&[
            ("firing", "SmokeProbeFailing", "home", 1),
            ("firing", Q, "nosuch\u{1b}[2J", 1),
        ]);
        let (events, applied) = run(&mut state, &p, &n);
        assert!(events.is_empty());
        assert!(state.incidents.is_empty());
        assert_eq!((applied.ignored.len(), applied.ignored_count), (2, 2));
        assert!(applied.ignored[0].contains("is neither SmokeProbeFailingQuorum nor"));
        assert!(
            applied.ignored[1].contains("no probe \"nosuch\\u{1b}[2J\""),
            "{:?}",
            applied.ignored
        );
        let mut other: Notification = notification(&[("firing", Q, "home", 1)]);
        other.alerts[0]
            .labels
            .insert("panel".into(), "staging".into());
        let (events, applied) = run(&mut state, &p, &other);
        assert!(events.is_empty());
        assert!(applied.ignored[0].contains("is not herodemo/external"));
    }

    #[test]
    fn a_probe_for_each_service_matches_its_services_names() {
        let p = panel();
        assert!(probe_named(&p, "health-hero_os").is_some());
        assert!(probe_named(&p, "health-*").is_some(), "services not listed");
        for not_one in ["health-", "health-../x", "health", "x-hero_os", "nosuch"] {
            assert!(probe_named(&p, not_one).is_none(), "{not_one}");
        }
    }

    #[test]
    fn the_outsides_own_probes_are_known_on_the_outside_only() {
        let p = panel();
        let mut state = State::default();
        let n = notification(&[("firing", Q, "public-tls", 1)]);
        let (events, _) = run(&mut state, &p, &n);
        assert_eq!(events.len(), 1);
        let scope = Scope {
            panel: &p,
            mode: Mode::Internal,
            alertname: Q,
            group_alertname: G,
        };
        assert_eq!(severity_of(&scope, "public-tls"), None);
    }

    fn group(status: &str, probes: &str, at: i64) -> Notification {
        serde_json::from_value(serde_json::json!({"alerts": [{
            "status": status,
            "labels": {"alertname": G, "panel": "herodemo", "mode": "external",
                       "group": "group:http-502", "cause": "http",
                       "signature": "HTTP 502 Bad Gateway", "severity": "critical"},
            "annotations": {"summary": "probes fail with HTTP 502 Bad Gateway from 3 vantage points",
                            "probes": probes},
            "startsAt": jiff::Timestamp::from_second(at).unwrap().to_string(),
        }]}))
        .unwrap()
    }

    #[test]
    fn a_group_is_one_incident_its_list_kept_up_to_date() {
        let p = panel();
        let mut state = State::default();
        let (events, _) = run(
            &mut state,
            &p,
            &group("firing", "login home nosuch home ", 1),
        );
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(
            (e.event, e.probe.as_str()),
            (EventKind::Opened, "group:http-502")
        );
        assert_eq!(e.incident, "herodemo/external/group:http-502/1000");
        assert_eq!(e.covers.group.as_deref(), Some("HTTP 502 Bad Gateway"));
        assert_eq!(
            e.covers.members,
            ["home", "login"],
            "the panel's, sorted, once"
        );
        assert_eq!(e.cause, Some(Cause::Http));
        assert_eq!(e.headline(), "2 probes fail with HTTP 502 Bad Gateway");
        // Repeated as it was: nothing; with another probe: the list is told.
        let (events, applied) = run(&mut state, &p, &group("firing", "home login", 1));
        assert!(events.is_empty());
        assert_eq!(applied.repeated, 1);
        let (events, _) = run(
            &mut state,
            &p,
            &group("firing", "home login health-hero_os", 1),
        );
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, EventKind::Affected);
        assert_eq!(events[0].covers.members.len(), 3);
        let (events, _) = run(&mut state, &p, &group("resolved", "", 1));
        assert_eq!(events[0].event, EventKind::Resolved);
        assert_eq!(state.log[0].key, "group:http-502");
    }

    #[test]
    fn a_group_key_must_look_like_smokes() {
        let p = panel();
        for bad in [
            "http-502",
            "group:",
            "group:a b",
            "group:../x",
            "group:\u{1b}[2J",
        ] {
            let mut n = group("firing", "home", 1);
            n.alerts[0].labels.insert("group".into(), bad.into());
            let mut state = State::default();
            let (events, applied) = run(&mut state, &p, &n);
            assert!(events.is_empty(), "{bad}");
            assert!(applied.ignored[0].contains("is not a group's key"), "{bad}");
            assert!(!applied.ignored[0].contains('\u{1b}'));
        }
    }

    #[test]
    fn severity_comes_from_the_alert_else_the_probe() {
        let p = panel();
        let mut state = State::default();
        let mut n = notification(&[("firing", Q, "login", 1)]);
        n.alerts[0].labels.remove("severity");
        let (events, _) = run(&mut state, &p, &n);
        assert_eq!(events[0].severity, Severity::Warning);
    }

    #[test]
    fn a_reminder_comes_once_per_period() {
        let p = panel();
        let mut state = State::default();
        run(
            &mut state,
            &p,
            &notification(&[("firing", Q, "home", 1_900_000_000)]),
        );
        let told = jiff::Timestamp::from_second(2_000_000_000).unwrap();
        let hour = std::time::Duration::from_secs(3600);
        let at = |s: i64| told + jiff::SignedDuration::from_secs(s);
        assert!(reminders(&mut state, ("herodemo", "external"), hour, at(3599)).is_empty());
        let events = reminders(&mut state, ("herodemo", "external"), hour, at(3600));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, EventKind::Reminder);
        assert!(reminders(&mut state, ("herodemo", "external"), hour, at(3601)).is_empty());
    }
}
