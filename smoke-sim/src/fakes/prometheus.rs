//! A real Prometheus server (the Debian package's binary) on a loopback port, scraping one
//! target, for tests that must see what Prometheus itself makes of the metrics smoke exposes.

use std::io;
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

const READY_WITHIN: Duration = Duration::from_secs(15);
/// How often [`Prometheus::wait_for`] asks again: a scrape is a second apart at best.
const QUERY_EVERY: Duration = Duration::from_millis(200);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A running Prometheus; dropping it kills the process and removes its files.
pub struct Prometheus {
    /// Before the folder, so that the process is gone when the folder is removed.
    _process: Process,
    url: String,
    _dir: TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `target` (`"127.0.0.1:PORT"`) at `/metrics` every
    /// `scrape_interval`, as job `smoke`, with its database in a temporary folder, and waits
    /// until it reports ready. The first scrape comes about 5 s after that, not one interval:
    /// Prometheus hands discovered targets (static ones too) to its scrapers on a 5-second
    /// tick. Use [`wait_for`](Self::wait_for) rather than sleeping.
    pub async fn start(target: &str, scrape_interval: Duration) -> io::Result<Prometheus> {
        let binary = PROMETHEUS.find()?;
        let dir = tempfile::Builder::new()
            .prefix("smoke-prometheus-")
            .tempdir()?;
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, config_text(target, scrape_interval)?)?;
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
                    .arg("--storage.tsdb.retention.time=1d");
                command
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

/// One job, `smoke`, scraping `target` and nothing else: no rules, no Alertmanager, no
/// remote write, so Prometheus talks to no one but the target and the test.
fn config_text(target: &str, scrape_interval: Duration) -> io::Result<String> {
    let interval = scrape_interval.as_millis();
    if interval == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("scrape interval {scrape_interval:?}: Prometheus counts in milliseconds"),
        ));
    }
    let timeout = scrape_interval.min(MAX_SCRAPE_TIMEOUT).as_millis();
    // A JSON string is a YAML string, quotes and escapes included.
    let target = Value::from(target);
    Ok(format!(
        "global:\n  \
           scrape_interval: {interval}ms\n  \
           scrape_timeout: {timeout}ms\n  \
           evaluation_interval: {interval}ms\n\
         scrape_configs:\n  \
           - job_name: smoke\n    \
             metrics_path: /metrics\n    \
             static_configs:\n      \
               - targets: [{target}]\n"
    ))
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

    #[test]
    fn config_quotes_the_target_and_caps_the_timeout() {
        let text = config_text("127.0.0.1:9100", Duration::from_secs(30)).unwrap();
        assert!(text.contains("scrape_interval: 30000ms\n"), "{text}");
        assert!(text.contains("scrape_timeout: 10000ms\n"), "{text}");
        assert!(text.contains("- targets: [\"127.0.0.1:9100\"]\n"), "{text}");
        assert!(config_text("x:1", Duration::from_micros(10)).is_err());
    }

    #[test]
    fn promql_is_percent_encoded() {
        assert_eq!(
            percent_encode(r#"sum(up{job="smoke"}) > 0"#),
            "sum%28up%7Bjob%3D%22smoke%22%7D%29%20%3E%200"
        );
    }
}
