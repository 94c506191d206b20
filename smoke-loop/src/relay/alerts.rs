//! What the relay reads in Alertmanager's webhook: which alerts are its own (the panel's quorum
//! alerts of its side, about a probe of the panel or a group) and what each is about. Read
//! before the state is touched, in time linear in the notification: the panel's probe names are
//! indexed once, at start.

use serde::Deserialize;
use smoke_core::engine::{
    http::UNLISTED, is_service_name, limits::MAX_NAME_CHARS, Mode, Panel, GROUP_PREFIX, PUBLIC_DNS,
    PUBLIC_TLS, SERVICE_PLACEHOLDER,
};
use smoke_core::{
    engine::DETAIL_LIMIT,
    prelude::{Cause, Severity},
};
use std::collections::{BTreeMap, HashMap, HashSet};

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
/// quorum) or `group_alertname` (a group's), about a probe that runs on its side.
pub struct Scope {
    pub panel: String,
    pub mode: Mode,
    pub alertname: String,
    pub group_alertname: String,
    /// The panel's default severity: a group's, and the outside's own probes'.
    severity: Severity,
    /// Probes that run under their own name, with their severity.
    named: HashMap<String, Severity>,
    /// `for_each = "service"` probes: their name before and after `{service}`.
    for_each: Vec<(String, String, Severity)>,
}

/// A probe that runs under a name an alert gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Known {
    pub severity: Severity,
    /// The panel names it (or it is the outside's own): not a `for_each` probe's name with a
    /// service the relay cannot know of, nor a group.
    pub confirmed: bool,
}

impl Scope {
    /// The panel's probes, indexed once: each name an alert gives is then looked up, not
    /// compared with every probe.
    pub fn new(panel: &Panel, mode: Mode, alertname: &str, group_alertname: &str) -> Scope {
        let mut named = HashMap::new();
        let mut for_each = Vec::new();
        for p in &panel.probes {
            match p
                .for_each_service
                .then(|| p.name.split_once(SERVICE_PLACEHOLDER))
                .flatten()
            {
                Some((before, after)) => {
                    for_each.push((before.to_string(), after.to_string(), p.settings.severity))
                }
                None => {
                    named.entry(p.name.clone()).or_insert(p.settings.severity);
                }
            }
        }
        if mode == Mode::External {
            for builtin in [PUBLIC_DNS, PUBLIC_TLS] {
                named
                    .entry(builtin.to_string())
                    .or_insert(panel.defaults.settings.severity);
            }
        }
        Scope {
            panel: panel.name.clone(),
            mode,
            alertname: alertname.to_string(),
            group_alertname: group_alertname.to_string(),
            severity: panel.defaults.settings.severity,
            named,
            for_each,
        }
    }

    /// The probe that runs under `name` on the relay's side, if one does: a probe of the panel
    /// (a `for_each = "service"` probe's name with a service name, or the stand-in for services
    /// not listed), or the outside's own `public-dns` and `public-tls`.
    pub fn probe(&self, name: &str) -> Option<Known> {
        if name.len() > MAX_NAME_CHARS {
            return None;
        }
        if let Some(severity) = self.named.get(name) {
            return Some(Known {
                severity: *severity,
                confirmed: true,
            });
        }
        self.for_each.iter().find_map(|(before, after, severity)| {
            name.strip_prefix(before.as_str())
                .and_then(|rest| rest.strip_suffix(after.as_str()))
                .filter(|s| is_service_name(s) || *s == UNLISTED)
                .map(|_| Known {
                    severity: *severity,
                    confirmed: false,
                })
        })
    }

    /// Whether `key` is a probe the panel names, whose incidents no cap holds back.
    pub fn confirms(&self, key: &str) -> bool {
        self.named.contains_key(key)
    }
}

/// What one notification changed, for the answer and the log.
#[derive(Debug, Default, serde::Serialize)]
pub struct Applied {
    pub opened: Vec<String>,
    pub resolved: Vec<String>,
    /// Alerts taken already (a repeat, another node's copy, a stale word): nothing to do.
    pub repeated: usize,
    /// New alerts past the caps of new incidents, told in the one overflow incident.
    pub overflowed: usize,
    /// Alerts that are not this relay's, each with why (the first few)...
    pub ignored: Vec<String>,
    /// ...and how many there were.
    pub ignored_count: usize,
}

/// Ignored alerts named in an answer; the rest are counted.
const IGNORED_SHOWN: usize = 5;

impl Applied {
    pub(super) fn ignore(&mut self, why: String) {
        self.ignored_count += 1;
        if self.ignored.len() < IGNORED_SHOWN {
            self.ignored.push(why);
        }
    }
}

/// One alert of a notification as the relay takes it.
pub struct Word {
    pub status: AlertStatus,
    pub starts_at: jiff::Timestamp,
    pub subject: Subject,
    /// What the alert says of itself, bounded.
    pub detail: String,
}

/// What an alert is about: its incident's key, the probes it covers, and how it is told.
pub struct Subject {
    /// A probe's name, or `group:<slug>` for a group.
    pub key: String,
    pub severity: Severity,
    /// The group's signature and cause, for a group.
    pub group: Option<(String, Option<Cause>)>,
    pub members: Vec<String>,
    /// A probe the panel names: its incidents are bounded by the panel, not by a cap.
    pub confirmed: bool,
}

/// The notification's alerts that are this relay's, in order, and the others counted as
/// ignored, each with why.
pub fn read(notification: &Notification, scope: &Scope) -> (Vec<Word>, Applied) {
    let mut applied = Applied::default();
    let mut words = Vec::new();
    for alert in &notification.alerts {
        match subject(alert, scope) {
            Ok(subject) => words.push(Word {
                status: alert.status,
                starts_at: alert.starts_at,
                subject,
                detail: detail(alert),
            }),
            Err(why) => applied.ignore(why.to_string()),
        }
    }
    (words, applied)
}

/// The key of the one incident that tells the new alerts past the caps (`relay::incidents`):
/// a group key no alert may give.
pub const OVERFLOW: &str = "group:relay-overflow";

/// Why an alert is not this relay's: counted and shown in the answer's `ignored`, never an
/// incident. What came from the alert is cut (by [`cut`]) before it is kept here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ignored {
    /// Its alertname is neither of the relay's two.
    #[error("alertname \"{name}\" is neither {alertname} nor {group_alertname}")]
    OtherAlertname {
        name: String,
        alertname: String,
        group_alertname: String,
    },
    /// It is about another panel or side (`ours`: this relay's `panel/mode`).
    #[error("panel \"{panel}\" mode \"{mode}\" is not {ours}")]
    OtherPanel {
        panel: String,
        mode: String,
        ours: String,
    },
    /// A probe's alert naming no probe of the panel.
    #[error("no probe \"{0}\" in the panel")]
    UnknownProbe(String),
    /// A group's alert whose key is not one smoke makes.
    #[error("\"{0}\" is not a group's key")]
    NotAGroupKey(String),
    /// A group's alert with the key of the relay's own overflow incident.
    #[error("{OVERFLOW} is the relay's own incident")]
    Overflow,
    /// A group's alert (its key) without a signature.
    #[error("the group {0} has no signature")]
    NoSignature(String),
}

/// What `alert` is about, or why it is not this relay's.
fn subject(alert: &Alert, scope: &Scope) -> Result<Subject, Ignored> {
    let label = |k: &str| alert.labels.get(k).map(String::as_str).unwrap_or("");
    let name = label("alertname");
    let is_group = name == scope.group_alertname;
    if name != scope.alertname && !is_group {
        return Err(Ignored::OtherAlertname {
            name: cut(name),
            alertname: scope.alertname.clone(),
            group_alertname: scope.group_alertname.clone(),
        });
    }
    let (panel, mode) = (scope.panel.as_str(), scope.mode.as_str());
    if label("panel") != panel || label("mode") != mode {
        return Err(Ignored::OtherPanel {
            panel: cut(label("panel")),
            mode: cut(label("mode")),
            ours: format!("{panel}/{mode}"),
        });
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
        let known = scope
            .probe(probe)
            .ok_or_else(|| Ignored::UnknownProbe(cut(probe)))?;
        return Ok(Subject {
            key: probe.to_string(),
            severity: with_label(known.severity),
            group: None,
            members: vec![probe.to_string()],
            confirmed: known.confirmed,
        });
    }
    let key = label("group");
    if !is_group_key(key) {
        return Err(Ignored::NotAGroupKey(cut(key)));
    }
    if key == OVERFLOW {
        return Err(Ignored::Overflow);
    }
    let signature = label("signature");
    if signature.is_empty() {
        return Err(Ignored::NoSignature(key.to_string()));
    }
    let cause = serde_json::from_value(serde_json::Value::from(label("cause"))).ok();
    Ok(Subject {
        key: key.to_string(),
        severity: with_label(scope.severity),
        group: Some((signature.chars().take(SIGNATURE_CHARS).collect(), cause)),
        members: members(
            alert.annotations.get("probes").map_or("", String::as_str),
            scope,
        ),
        confirmed: false,
    })
}

/// The probes a group's rule lists that are the panel's, each once, sorted, the first
/// [`MAX_MEMBERS`]: each name looked up once, whatever the list's length.
fn members(listed: &str, scope: &Scope) -> Vec<String> {
    let mut names: Vec<&str> = listed
        .split_whitespace()
        .collect::<HashSet<&str>>()
        .into_iter()
        .filter(|p| scope.probe(p).is_some())
        .collect();
    if names.len() > MAX_MEMBERS {
        names.select_nth_unstable(MAX_MEMBERS);
        names.truncate(MAX_MEMBERS);
    }
    names.sort_unstable();
    names.into_iter().map(str::to_string).collect()
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
    smoke_core::engine::escape_controls(&short).into_owned()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{group, notification, scope, G, Q};
    use super::*;

    #[test]
    fn other_alerts_panels_and_unknown_probes_are_ignored_with_why() {
        let scope = scope(Mode::External);
        let n = notification(&[
            ("firing", "SmokeProbeFailing", "home", 1),
            ("firing", Q, "nosuch\u{1b}[2J", 1),
        ]);
        let (words, applied) = read(&n, &scope);
        assert!(words.is_empty());
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
        assert!(
            matches!(
                subject(&other.alerts[0], &scope),
                Err(Ignored::OtherPanel { ref panel, .. }) if panel == "staging"
            ),
            "the other panel is the reason"
        );
        let (words, applied) = read(&other, &scope);
        assert!(words.is_empty());
        assert!(applied.ignored[0].contains("is not herodemo/external"));
    }

    #[test]
    fn a_probe_for_each_service_matches_its_services_names() {
        let scope = scope(Mode::External);
        let known = |name: &str| scope.probe(name);
        assert_eq!(
            known("home"),
            Some(Known {
                severity: Severity::Critical,
                confirmed: true
            })
        );
        assert_eq!(known("health-hero_os").map(|k| k.confirmed), Some(false));
        assert!(known("health-*").is_some(), "services not listed");
        let long = format!("health-{}", "a".repeat(MAX_NAME_CHARS));
        for not_one in [
            "health-",
            "health-../x",
            "health",
            "x-hero_os",
            "nosuch",
            "health-{service}",
            &long,
        ] {
            assert!(known(not_one).is_none(), "{not_one}");
        }
    }

    #[test]
    fn the_outsides_own_probes_are_known_on_the_outside_only() {
        assert!(scope(Mode::External).confirms("public-tls"));
        assert_eq!(scope(Mode::Internal).probe("public-tls"), None);
    }

    #[test]
    fn a_groups_list_is_the_panels_probes_once_sorted_and_bounded() {
        let scope = scope(Mode::External);
        let (words, _) = read(&group("firing", "login home nosuch home ", 1), &scope);
        let subject = &words[0].subject;
        assert_eq!(subject.key, "group:http-502");
        assert_eq!(
            subject.members,
            ["home", "login"],
            "the panel's, sorted, once"
        );
        assert!(!subject.confirmed, "a group's key is not the panel's");
        // A list far past the bound: the first MAX_MEMBERS names in order, each once.
        let names: Vec<String> = (0..3 * MAX_MEMBERS)
            .rev()
            .map(|i| format!("health-s{i:05} nosuch{i}"))
            .collect();
        let listed = format!("{} {}", names.join(" "), names.join(" "));
        let (words, _) = read(&group("firing", &listed, 1), &scope);
        let members = &words[0].subject.members;
        assert_eq!(members.len(), MAX_MEMBERS);
        assert_eq!(members[0], "health-s00000");
        assert_eq!(
            members[MAX_MEMBERS - 1],
            format!("health-s{:05}", MAX_MEMBERS - 1)
        );
    }

    #[test]
    fn a_group_key_must_look_like_smokes() {
        let scope = scope(Mode::External);
        for bad in [
            "http-502",
            "group:",
            "group:a b",
            "group:../x",
            "group:\u{1b}[2J",
            OVERFLOW,
        ] {
            let mut n = group("firing", "home", 1);
            n.alerts[0].labels.insert("group".into(), bad.into());
            let (words, applied) = read(&n, &scope);
            assert!(words.is_empty(), "{bad}");
            assert!(
                applied.ignored[0].contains("is not a group's key")
                    || applied.ignored[0].contains("is the relay's own incident"),
                "{bad}: {:?}",
                applied.ignored
            );
            assert!(!applied.ignored[0].contains('\u{1b}'));
        }
        let mut n = group("firing", "home", 1);
        n.alerts[0].labels.insert("alertname".into(), G.into());
        assert_eq!(read(&n, &scope).0.len(), 1);
    }

    #[test]
    fn severity_comes_from_the_alert_else_the_probe() {
        let scope = scope(Mode::External);
        let mut n = notification(&[("firing", Q, "login", 1), ("firing", Q, "login", 1)]);
        n.alerts[0].labels.remove("severity");
        let (words, _) = read(&n, &scope);
        assert_eq!(words[0].subject.severity, Severity::Warning);
        assert_eq!(words[1].subject.severity, Severity::Critical);
    }
}
