//! Alertmanager API v2: teams that already route alerts keep their routing. A firing alert is
//! sent every tick (Alertmanager forgets an alert nobody repeats), a resolved one with `endsAt`.

use super::entry::{base_url, keys_as, need, Setup, SinkConfig, SinkType};
use super::http::send;
use super::Sink;
use serde_json::json;
use smoke_core::incident::{Event, EventKind};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub struct Alertmanager {
    pub name: String,
    pub client: reqwest::Client,
    pub url: String,
    /// The loop period: a firing alert is kept alive for a few of them.
    pub every: Duration,
}

pub const ALERTNAME: &str = "SmokeProbeFailing";

/// The alert for an event; its labels never change over an incident, so Alertmanager sees one
/// alert from opened to resolved.
pub fn alert(e: &Event, every: Duration) -> serde_json::Value {
    let ends = match e.event {
        EventKind::Resolved => e.at,
        _ => {
            e.at + jiff::SignedDuration::try_from(every * 3)
                .unwrap_or(jiff::SignedDuration::from_hours(1))
        }
    };
    json!({
        "labels": {
            "alertname": ALERTNAME,
            "panel": e.panel,
            "probe": e.probe,
            "mode": e.mode,
            "severity": format!("{:?}", e.severity).to_lowercase(),
        },
        "annotations": {
            "summary": e.summary(),
            "cause": e.cause.map(|c| c.as_str()).unwrap_or(""),
            "detail": e.detail,
            // Every probe the incident covers: its causes' children get no alert of their own.
            "affected": smoke_core::incident::name_list(e.all_affected(), 100),
        },
        "startsAt": e.opened_at.to_string(),
        "endsAt": ends.to_string(),
    })
}

#[async_trait::async_trait]
impl Sink for Alertmanager {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self, kind: EventKind) -> bool {
        matches!(
            kind,
            EventKind::Opened | EventKind::Firing | EventKind::CauseChanged | EventKind::Resolved
        )
    }

    async fn deliver(&self, event: &Event, _: &mut BTreeMap<String, u64>) -> Result<(), String> {
        let req = self
            .client
            .post(format!("{}/api/v2/alerts", self.url))
            .json(&[alert(event, self.every)]);
        send(&format!("Alertmanager at {}", self.url), req)
            .await
            .map(|_| ())
    }
}

pub(super) const TYPE: SinkType = SinkType {
    name: "alertmanager",
    keys: &["url"],
    read,
};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    url: Option<String>,
}

/// `type = "alertmanager"`: its base URL.
#[derive(Debug)]
pub struct Config {
    pub url: String,
}

fn read(table: toml::Table) -> Result<Box<dyn SinkConfig>, String> {
    let k: Keys = keys_as(table)?;
    Ok(Box::new(Config {
        url: base_url(need(k.url, "alertmanager", "url")?)?,
    }))
}

impl SinkConfig for Config {
    fn sink(&self, name: &str, setup: &Setup) -> Result<Arc<dyn Sink>, String> {
        Ok(Arc::new(Alertmanager {
            name: name.to_string(),
            client: setup.client(),
            url: self.url.clone(),
            every: setup.every,
        }))
    }
}
