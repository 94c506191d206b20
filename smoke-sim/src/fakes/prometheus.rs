//! A real Prometheus server (the Debian package's binary) on a loopback port, scraping
//! loopback targets and, when given rules and Alertmanagers, evaluating the rules and sending
//! what fires: for tests that must see what Prometheus itself makes of what smoke exposes.

use std::io;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;

use super::client;
use super::process::{Process, Program};

const PROMETHEUS: Program = Program {
    name: "Prometheus",
    debian_binary: "/usr/bin/prometheus",
    names_on_path: &["prometheus"],
    install_hint: "install prometheus (apt-get install prometheus)",
    log_noise: &[],
};

const PROMTOOL: Program = Program {
    name: "promtool",
    debian_binary: "/usr/bin/promtool",
    names_on_path: &["promtool"],
    install_hint: "install prometheus (apt-get install prometheus)",
    log_noise: &[],
};

/// Prometheus's `promtool`, which checks and unit-tests rule files: where the Debian package
/// puts it, else on `PATH`.
pub fn promtool() -> io::Result<std::path::PathBuf> {
    PROMTOOL.find()
}

/// Prometheus refuses a scrape timeout longer than the interval; its own default is 10 s.
const MAX_SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);

/// How soon Prometheus sends a firing alert again (its default is 1 m). Each send also tells
/// Alertmanager the alert ends in 4 × the longer of this and the evaluation interval unless
/// sent again, so a second here keeps the alert alive through a few missed evaluations while
/// a test's resolutions still arrive within seconds.
const ALERT_RESEND_DELAY: &str = "1s";

const READY_WITHIN: Duration = Duration::from_secs(15);
/// How often [`Prometheus::wait_for`] asks again: a scrape is a second apart at best.
const QUERY_EVERY: Duration = Duration::from_millis(200);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What a [`Prometheus`] scrapes, evaluates and alerts to.
#[derive(Debug, Clone)]
pub struct PrometheusSetup {
    /// `"127.0.0.1:PORT"` each, scraped at `/metrics` as job `smoke`.
    pub targets: Vec<String>,
    pub scrape_interval: Duration,
    /// How often the rules are evaluated.
    pub evaluation_interval: Duration,
    /// Rule files, loaded as they are (check them with [`promtool`] first for a clear error).
    pub rule_files: Vec<PathBuf>,
    /// `"127.0.0.1:PORT"` each: every one is sent every alert (API v2), as Prometheus does for
    /// an Alertmanager cluster, whose members then agree who notifies.
    pub alertmanagers: Vec<String>,
}

impl Default for PrometheusSetup {
    /// No targets, rules or Alertmanagers; scrape and evaluate every second.
    fn default() -> PrometheusSetup {
        PrometheusSetup {
            targets: Vec::new(),
            scrape_interval: Duration::from_secs(1),
            evaluation_interval: Duration::from_secs(1),
            rule_files: Vec::new(),
            alertmanagers: Vec::new(),
        }
    }
}

/// A running Prometheus; dropping it kills the process and removes its files.
pub struct Prometheus {
    /// Before the folder, so that the process is gone when the folder is removed.
    _process: Process,
    url: String,
    _dir: TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `target` (`"127.0.0.1:PORT"`) every `scrape_interval`, with
    /// no rules and no Alertmanager: [`start_with`](Self::start_with) with just that.
    pub async fn start(target: &str, scrape_interval: Duration) -> io::Result<Prometheus> {
        Prometheus::start_with(&PrometheusSetup {
            targets: vec![target.to_owned()],
            scrape_interval,
            evaluation_interval: scrape_interval,
            ..PrometheusSetup::default()
        })
        .await
    }

    /// Starts Prometheus as `setup` says, with its database in a temporary folder, and waits
    /// until it reports ready. The first scrape comes about 5 s after that, not one interval,
    /// and so does the first alert sent: Prometheus hands discovered targets and Alertmanagers
    /// (static ones too) out on a 5-second tick. Use [`wait_for`](Self::wait_for) rather than
    /// sleeping.
    pub async fn start_with(setup: &PrometheusSetup) -> io::Result<Prometheus> {
        let binary = PROMETHEUS.find()?;
        let dir = tempfile::Builder::new()
            .prefix("smoke-prometheus-")
            .tempdir()?;
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, config_text(setup)?)?;
        let data = dir.path().join("data");
        let log = dir.path().join("prometheus.log");

        let (process, url) = PROMETHEUS
            .serve(&log, READY_WITHIN, |port| {
                let mut command = Command::new(&binary);
                command
                    .arg(format!("--config.file={}", config.display()))
                    .arg(format!("--storage.tsdb.path={}", data.display()))
                    .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                    // Otherwise its links are built from the machine's host name.
                    .arg(format!("--web.external-url=http://127.0.0.1:{port}/"))
                    // A test's database lives for minutes; setting it also spares the log a
                    // note about the 15-day default.
                    .arg("--storage.tsdb.retention.time=1d")
                    .arg(format!("--rules.alert.resend-delay={ALERT_RESEND_DELAY}"));
                Ok(command)
            })
            .await?;
        Ok(Prometheus {
            _process: process,
            url,
            _dir: dir,
        })
    }

    /// `http://127.0.0.1:<port>`, the base of its API (`/api/v1/...`) and web UI.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Evaluates `promql` now (`GET /api/v1/query`) and returns `data.result`: for a vector,
    /// an array of `{"metric": {labels}, "value": [time, "value"]}`. A query Prometheus
    /// rejects is an error carrying its message.
    pub async fn query(&self, promql: &str) -> io::Result<Value> {
        let (_, result) = self.evaluate(promql).await?;
        Ok(result)
    }

    /// Asks [`query`](Self::query) again until the result has at least `at_least` series,
    /// and returns that result; times out after `within`. Only for queries that give a vector
    /// or matrix: a scalar or string has no series to count.
    pub async fn wait_for(
        &self,
        promql: &str,
        at_least: usize,
        within: Duration,
    ) -> io::Result<Value> {
        let deadline = Instant::now() + within;
        loop {
            let (kind, result) = self.evaluate(promql).await?;
            if kind != "vector" && kind != "matrix" {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{promql} gives a {kind}, which has no series to count"),
                ));
            }
            let found = result.as_array().map_or(0, Vec::len);
            if found >= at_least {
                return Ok(result);
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "{promql}: {found} series after {within:?}, wanted {at_least}; \
                         last result: {result}; scrape targets: {}",
                        self.targets().await
                    ),
                ));
            }
            tokio::time::sleep(QUERY_EVERY).await;
        }
    }

    /// `data.resultType` and `data.result` of an instant query.
    async fn evaluate(&self, promql: &str) -> io::Result<(String, Value)> {
        let url = format!("{}/api/v1/query?query={}", self.url, percent_encode(promql));
        let (status, body) = client::request(Method::GET, &url, None, REQUEST_TIMEOUT).await?;
        let text = String::from_utf8_lossy(&body);
        let mut answer: Value = serde_json::from_slice(&body).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("GET {url}: {status}: {e}: {text}"),
            )
        })?;
        if status != StatusCode::OK || answer["status"] != "success" {
            let kind = if status == StatusCode::BAD_REQUEST {
                io::ErrorKind::InvalidInput
            } else {
                io::ErrorKind::Other
            };
            return Err(io::Error::new(
                kind,
                format!("query {promql:?}: {status}: {text}"),
            ));
        }
        let kind = answer["data"]["resultType"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Ok((kind, answer["data"]["result"].take()))
    }

    /// The alerts its rules hold now, pending or firing (`GET /api/v1/alerts`, `data.alerts`):
    /// each `{"labels", "annotations", "state", "activeAt", "value"}`. For a test's failure
    /// message, which then says whether a rule fired at all.
    pub async fn alerts(&self) -> io::Result<Vec<Value>> {
        let url = format!("{}/api/v1/alerts", self.url);
        let (status, body) = client::request(Method::GET, &url, None, REQUEST_TIMEOUT).await?;
        let mut answer: Value = serde_json::from_slice(&body).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "GET {url}: {status}: {e}: {}",
                    String::from_utf8_lossy(&body)
                ),
            )
        })?;
        match answer["data"]["alerts"].take() {
            Value::Array(alerts) if status == StatusCode::OK => Ok(alerts),
            _ => Err(io::Error::other(format!(
                "GET {url}: {status}: {}",
                String::from_utf8_lossy(&body)
            ))),
        }
    }

    /// The state of the scrape targets, for a timeout's message: the usual reason nothing
    /// arrives is a failing scrape, and Prometheus says why here.
    async fn targets(&self) -> String {
        let url = format!("{}/api/v1/targets", self.url);
        match client::request(Method::GET, &url, None, REQUEST_TIMEOUT).await {
            Ok((_, body)) => {
                let answer: Value = serde_json::from_slice(&body).unwrap_or_default();
                let targets: Vec<Value> = answer["data"]["activeTargets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| {
                        serde_json::json!({
                            "scrapeUrl": t["scrapeUrl"],
                            "health": t["health"],
                            "lastError": t["lastError"],
                        })
                    })
                    .collect();
                Value::from(targets).to_string()
            }
            Err(e) => format!("(unavailable: {e})"),
        }
    }
}

/// One job, `smoke`, scraping the targets, plus the rule files and Alertmanagers if any: no
/// remote write, so Prometheus talks to no one but those and the test.
fn config_text(setup: &PrometheusSetup) -> io::Result<String> {
    let interval = millis("scrape interval", setup.scrape_interval)?;
    let evaluation = millis("evaluation interval", setup.evaluation_interval)?;
    let timeout = setup.scrape_interval.min(MAX_SCRAPE_TIMEOUT).as_millis();
    let targets = yaml_list(setup.targets.iter().map(String::as_str));
    let mut text = format!(
        "global:\n  \
           scrape_interval: {interval}ms\n  \
           scrape_timeout: {timeout}ms\n  \
           evaluation_interval: {evaluation}ms\n\
         scrape_configs:\n  \
           - job_name: smoke\n    \
             metrics_path: /metrics\n    \
             static_configs:\n      \
               - targets: {targets}\n"
    );
    if !setup.rule_files.is_empty() {
        let files: Vec<String> = setup
            .rule_files
            .iter()
            .map(|file| file.display().to_string())
            .collect();
        let files = yaml_list(files.iter().map(String::as_str));
        text.push_str(&format!("rule_files: {files}\n"));
    }
    if !setup.alertmanagers.is_empty() {
        let targets = yaml_list(setup.alertmanagers.iter().map(String::as_str));
        text.push_str(&format!(
            "alerting:\n  \
               alertmanagers:\n    \
                 - api_version: v2\n      \
                   static_configs:\n        \
                     - targets: {targets}\n"
        ));
    }
    Ok(text)
}

fn millis(what: &str, interval: Duration) -> io::Result<u128> {
    match interval.as_millis() {
        0 => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what} {interval:?}: Prometheus counts in milliseconds"),
        )),
        millis => Ok(millis),
    }
}

/// A flow-style YAML list of strings: a JSON array is one, quotes and escapes included.
fn yaml_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    Value::from(items.collect::<Vec<_>>()).to_string()
}

/// Everything but RFC 3986's unreserved characters, so PromQL's braces, quotes, spaces and
/// operators survive the query string.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scraping(target: &str, interval: Duration) -> PrometheusSetup {
        PrometheusSetup {
            targets: vec![target.to_owned()],
            scrape_interval: interval,
            ..PrometheusSetup::default()
        }
    }

    #[test]
    fn config_quotes_the_target_and_caps_the_timeout() {
        let text = config_text(&scraping("127.0.0.1:9100", Duration::from_secs(30))).unwrap();
        assert!(text.contains("scrape_interval: 30000ms\n"), "{text}");
        assert!(text.contains("scrape_timeout: 10000ms\n"), "{text}");
        assert!(text.contains("- targets: [\"127.0.0.1:9100\"]\n"), "{text}");
        assert!(!text.contains("rule_files"), "{text}");
        assert!(!text.contains("alerting"), "{text}");
        assert!(config_text(&scraping("x:1", Duration::from_micros(10))).is_err());
        let setup = PrometheusSetup {
            evaluation_interval: Duration::ZERO,
            ..scraping("x:1", Duration::from_secs(1))
        };
        assert!(config_text(&setup).is_err());
    }

    #[test]
    fn config_lists_rules_and_alertmanagers() {
        let setup = PrometheusSetup {
            targets: vec!["127.0.0.1:1".into(), "127.0.0.1:2".into()],
            evaluation_interval: Duration::from_secs(2),
            rule_files: vec![PathBuf::from("/tmp/a rules.yml")],
            alertmanagers: vec!["127.0.0.1:3".into(), "127.0.0.1:4".into()],
            ..PrometheusSetup::default()
        };
        let text = config_text(&setup).unwrap();
        assert!(text.contains("evaluation_interval: 2000ms\n"), "{text}");
        assert!(
            text.contains("- targets: [\"127.0.0.1:1\",\"127.0.0.1:2\"]\n"),
            "{text}"
        );
        assert!(
            text.contains("rule_files: [\"/tmp/a rules.yml\"]\n"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "alerting:\n  alertmanagers:\n    - api_version: v2\n      static_configs:\n        \
                 - targets: [\"127.0.0.1:3\",\"127.0.0.1:4\"]\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn promql_is_percent_encoded() {
        assert_eq!(
            percent_encode(r#"sum(up{job="smoke"}) > 0"#),
            "sum%28up%7Bjob%3D%22smoke%22%7D%29%20%3E%200"
        );
    }
}
