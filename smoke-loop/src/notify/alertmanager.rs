//! Alertmanager API v2: teams that already route alerts keep their routing. A firing alert is
//! sent every tick (Alertmanager forgets an alert nobody repeats), a resolved one with `endsAt`.
//! Like Prometheus, every alert goes to each Alertmanager of the list: a cluster deduplicates by
//! gossip, and a node that is down loses nothing the others took.

use super::http::send;
use super::setup::{base_url, keys_as, Setup, SinkConfig, SinkType};
use super::{SetupError, Sink, SinkError};
use serde_json::json;
use smoke_core::engine::{escape_controls, Event, EventKind};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The most Alertmanagers one entry may list: a cluster is a handful of nodes.
pub const MAX_URLS: usize = 16;

/// The most deliveries remembered as half done (some URLs took them): past it the memory is
/// forgotten and a retry sends to every URL again, which Alertmanager takes as a repeat.
const MAX_HALF_DONE: usize = 1024;

pub struct Alertmanager {
    pub name: String,
    pub client: reqwest::Client,
    pub urls: Vec<String>,
    /// The loop period: a firing alert is kept alive for a few of them.
    pub every: Duration,
    /// The vantage point, a label of every alert: Prometheus rules and routes can tell hosts apart.
    pub vantage: String,
    /// For each event some URLs took and others did not, which took it: a retry goes to the
    /// others only. In memory: after a restart a retry goes to all, a harmless repeat.
    took: Mutex<HashMap<String, Vec<bool>>>,
}

pub const ALERTNAME: &str = "SmokeProbeFailing";

/// The alert for an event; its labels never change over an incident, so Alertmanager sees one
/// alert from opened to resolved.
pub fn alert(e: &Event, every: Duration, vantage: &str) -> serde_json::Value {
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
            "vantage": vantage,
            "severity": format!("{:?}", e.severity).to_lowercase(),
        },
        // Text for people, on one line as in every other sink.
        "annotations": {
            "summary": escape_controls(&e.summary()),
            "cause": e.cause.map(|c| c.as_str()).unwrap_or(""),
            "detail": escape_controls(&e.detail),
            // Every probe the incident covers: its causes' children get no alert of their own.
            "affected": escape_controls(&smoke_core::engine::name_list(e.all_affected(), 100)),
        },
        "startsAt": e.opened_at.to_string(),
        "endsAt": ends.to_string(),
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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

    /// Done when every Alertmanager took the alert; a failure names the ones that did not,
    /// and the retry goes to those alone.
    async fn deliver(&self, event: &Event, _: &mut BTreeMap<String, u64>) -> Result<(), SinkError> {
        let key = format!("{} {:?} {}", event.incident, event.event, event.at);
        let before = lock(&self.took)
            .get(&key)
            .cloned()
            .unwrap_or_else(|| vec![false; self.urls.len()]);
        let body = [alert(event, self.every, &self.vantage)];
        let sends = self
            .urls
            .iter()
            .zip(&before)
            .filter(|(_, took)| !**took)
            .map(|(url, _)| {
                let req = self.client.post(format!("{url}/api/v2/alerts")).json(&body);
                async move { (url, send(&format!("Alertmanager at {url}"), req).await) }
            });
        let results = futures_util::future::join_all(sends).await;
        let mut took = before;
        let mut errors = Vec::new();
        for (url, result) in results {
            match result {
                Ok(_) => {
                    if let Some(i) = self.urls.iter().position(|u| u == url) {
                        took[i] = true;
                    }
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        let mut memory = lock(&self.took);
        if errors.is_empty() {
            memory.remove(&key);
            return Ok(());
        }
        if memory.len() >= MAX_HALF_DONE {
            memory.clear();
        }
        memory.insert(key, took);
        // The same alert posted again is the same alert: always tried again at once.
        Err(SinkError::Transient(errors.join("; ")))
    }
}

pub(super) const TYPE: SinkType = SinkType {
    name: "alertmanager",
    keys: &["url", "urls"],
    read,
};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    url: Option<String>,
    urls: Option<Vec<String>>,
}

/// `type = "alertmanager"`: the base URL of each Alertmanager (`url`, or `urls` for a cluster).
#[derive(Debug)]
pub struct Config {
    pub urls: Vec<String>,
}

/// Why `url` or `urls` names no Alertmanager to post to.
#[derive(Debug, thiserror::Error)]
enum UrlsError {
    #[error("type = \"alertmanager\" takes `url` or `urls`, not both")]
    Both,
    #[error("type = \"alertmanager\" needs `url`, or `urls` for a cluster")]
    Neither,
    #[error("type = \"alertmanager\": `urls` must list non-empty URLs")]
    Empty,
    #[error("type = \"alertmanager\" lists {0} URLs; the limit is {MAX_URLS}")]
    TooMany(usize),
    /// The same Alertmanager twice (escaped for a terminal).
    #[error("type = \"alertmanager\" lists `{0}` twice")]
    Twice(String),
}

fn read(table: toml::Table) -> Result<Box<dyn SinkConfig>, SetupError> {
    let k: Keys = keys_as(table)?;
    let urls = match (k.url, k.urls) {
        (Some(u), None) => vec![u],
        (None, Some(us)) => us,
        (Some(_), Some(_)) => return Err(SetupError::sink(UrlsError::Both)),
        (None, None) => return Err(SetupError::sink(UrlsError::Neither)),
    };
    if urls.is_empty() || urls.iter().any(String::is_empty) {
        return Err(SetupError::sink(UrlsError::Empty));
    }
    if urls.len() > MAX_URLS {
        return Err(SetupError::sink(UrlsError::TooMany(urls.len())));
    }
    let urls = urls
        .into_iter()
        .map(base_url)
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(twice) = urls
        .iter()
        .enumerate()
        .find_map(|(i, u)| urls[..i].contains(u).then_some(u))
    {
        return Err(SetupError::sink(UrlsError::Twice(
            escape_controls(twice).into_owned(),
        )));
    }
    Ok(Box::new(Config { urls }))
}

impl SinkConfig for Config {
    fn sink(&self, name: &str, setup: &Setup) -> Result<Arc<dyn Sink>, SetupError> {
        Ok(Arc::new(Alertmanager {
            name: name.to_string(),
            client: setup.client(),
            urls: self.urls.clone(),
            every: setup.every,
            vantage: setup.vantage.clone(),
            took: Mutex::default(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_toml(text: &str) -> Result<Vec<String>, String> {
        let table: toml::Table = toml::from_str(text).unwrap();
        let config = read(table).map_err(|e| e.to_string())?;
        Ok(format!("{config:?}")
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect())
    }

    #[test]
    fn one_url_or_a_list() {
        assert_eq!(
            read_toml(r#"url = "http://a:9093/""#).unwrap(),
            ["http://a:9093"]
        );
        assert_eq!(
            read_toml(r#"urls = ["http://a:9093", "https://b:9093"]"#).unwrap(),
            ["http://a:9093", "https://b:9093"]
        );
        for (bad, says) in [
            (
                r#"url = "http://a"
urls = ["http://b"]"#,
                "not both",
            ),
            ("", "needs `url`"),
            ("urls = []", "non-empty"),
            (r#"urls = ["http://a", "http://a/"]"#, "twice"),
            (r#"urls = ["ftp://a"]"#, "http://"),
        ] {
            let e = read_toml(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let many: Vec<String> = (0..=MAX_URLS).map(|i| format!("\"http://h{i}\"")).collect();
        let e = read_toml(&format!("urls = [{}]", many.join(","))).unwrap_err();
        assert!(e.contains("the limit is 16"), "{e}");
    }
}
