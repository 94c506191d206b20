//! What the relay's unit tests share: a panel, its scope, notifications as Alertmanager sends
//! them, and one notification applied at a fixed time.

use super::alerts::{read, Applied, Notification, Scope};
use super::incidents::apply;
use crate::loop_state::LoopState;
use smoke_core::engine::{Event, Mode, Panel};

pub const Q: &str = "SmokeProbeFailingQuorum";
pub const G: &str = "SmokeGroupFailingQuorum";

/// Two probes the panel names and one for each service.
pub fn panel() -> Panel {
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
    smoke_core::engine::load_str(text, std::path::Path::new("p.toml"), &Default::default())
        .expect("a valid panel")
}

pub fn scope(mode: Mode) -> Scope {
    Scope::new(&panel(), mode, Q, G)
}

/// (status, alertname, probe, startsAt in Unix seconds) per alert.
pub fn notification(alerts: &[(&str, &str, &str, i64)]) -> Notification {
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

/// The group `group:http-502`'s alert listing `probes`.
pub fn group(status: &str, probes: &str, at: i64) -> Notification {
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

/// The relay's clock in these tests.
pub const NOW: i64 = 2_000_000_000;

/// `n` read and applied at [`NOW`].
pub fn run(state: &mut LoopState, n: &Notification) -> (Vec<Event>, Applied) {
    run_at(state, n, NOW)
}

/// `n` read and applied at `now` (Unix seconds), with the outside's scope.
pub fn run_at(state: &mut LoopState, n: &Notification, now: i64) -> (Vec<Event>, Applied) {
    // Made once: the interleaving tests apply tens of thousands of notifications.
    static SCOPE: std::sync::LazyLock<Scope> = std::sync::LazyLock::new(|| scope(Mode::External));
    let (words, mut applied) = read(n, &SCOPE);
    let now = jiff::Timestamp::from_second(now).unwrap();
    let (events, _) = apply(state, words, &SCOPE, now, &mut applied);
    (events, applied)
}
