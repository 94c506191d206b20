//! A panel probe: the request a [`ProbeSpec`] describes, sent through a [`Connector`] and
//! judged by its conditions.

use super::request::{fetch, status_failure, Fetch};
use super::{Connector, Endpoint};
use crate::condition::Condition;
use crate::observation::Observation;
use crate::outcome::{Cause, Failure, ProbeReport};
use crate::panel::{HttpSpec, ProbeSpec};
use crate::plan::info_of;
use crate::probe::{judge_off_runtime, Checks, Probe, ProbeInfo};
use std::sync::Arc;
use tokio::time::Instant;

pub struct HttpProbe {
    info: ProbeInfo,
    spec: ProbeSpec,
    http: HttpSpec,
    endpoint: Endpoint,
    connector: Arc<dyn Connector>,
    /// The probe's own `status` conditions: a status they accept is not an `http` failure.
    status_checks: Vec<Condition>,
    /// Its `expect` and `warn`, handed to the thread that judges each answer.
    checks: Arc<Checks>,
}

impl HttpProbe {
    pub fn new(spec: ProbeSpec, endpoint: Endpoint, connector: Arc<dyn Connector>) -> Self {
        let info = info_of(&spec, endpoint.display.clone());
        let http = spec
            .http()
            .cloned()
            .expect("an HttpProbe is made of an HTTP probe spec");
        let status_checks = spec
            .expect
            .iter()
            .filter(|c| c.text().trim_start().starts_with("status "))
            .cloned()
            .collect();
        let checks = Arc::new(Checks {
            expect: spec.expect.clone(),
            warn: spec.warn.clone(),
        });
        HttpProbe {
            info,
            checks,
            spec,
            http,
            endpoint,
            connector,
            status_checks,
        }
    }

    pub fn spec(&self) -> &ProbeSpec {
        &self.spec
    }

    /// One exchange, with the transport, HTTP and JSON-RPC failures sorted out. A status outside
    /// 2xx is an `http` failure unless the probe's own `status` conditions accept it (a probe
    /// may expect a 404); a 2xx they reject is left to them, as an assertion.
    async fn observe(&self, context: Option<&str>) -> Result<Observation, Failure> {
        let how = Fetch {
            timeout: self.spec.timeout,
            context,
            any_status: true,
        };
        let obs = fetch(self.connector.as_ref(), &self.endpoint, &self.http, how).await?;
        let status = obs.status.unwrap_or(0);
        let accepted = !self.status_checks.is_empty()
            && self.status_checks.iter().all(|c| c.evaluate(&obs).passed);
        if !(200..300).contains(&status) && !accepted {
            return Err(status_failure(status).seen(obs.status, &obs.timings));
        }
        Ok(obs)
    }

    /// Judges `obs` off the runtime, by the attempt's `deadline`.
    async fn judged(&self, obs: Arc<Observation>, deadline: Instant) -> ProbeReport {
        let checks = self.checks.clone();
        judge_off_runtime(&self.spec.name, obs, checks, deadline, self.spec.timeout).await
    }
}

/// What two contexts are compared on: the JSON-RPC `result`, else the JSON body, else the bytes.
/// Parsing the body is left to a blocking thread, like judging it.
async fn answer(obs: Arc<Observation>) -> serde_json::Value {
    let read = move || match obs.json() {
        Some(v) => v.get("result").cloned().unwrap_or_else(|| v.clone()),
        None => serde_json::Value::String(obs.text().into_owned()),
    };
    tokio::task::spawn_blocking(read)
        .await
        .unwrap_or(serde_json::Value::Null)
}

#[async_trait::async_trait]
impl Probe for HttpProbe {
    fn info(&self) -> &ProbeInfo {
        &self.info
    }

    async fn attempt(&self) -> ProbeReport {
        // The same instant fetch bounds the exchange by, give or take the call.
        let deadline = Instant::now() + self.spec.timeout;
        let Some(contexts) = &self.http.contexts else {
            return match self.observe(self.http.context.as_deref()).await {
                Ok(obs) => self.judged(Arc::new(obs), deadline).await,
                Err(f) => {
                    let mut r = ProbeReport::new(&self.spec.name);
                    r.fail(f);
                    r
                }
            };
        };
        // The reference first in the list, then each context; all at once, each on its own
        // connection and deadline.
        let names: Vec<&str> = contexts
            .distinct_from
            .as_deref()
            .into_iter()
            .chain(contexts.contexts.iter().map(String::as_str))
            .collect();
        let observed =
            futures_util::future::join_all(names.iter().map(|ctx| self.observe(Some(ctx)))).await;
        let mut report = ProbeReport::new(&self.spec.name);
        let mut reference: Option<serde_json::Value> = None;
        for (i, (ctx, result)) in names.iter().zip(observed).enumerate() {
            let obs = match result {
                Ok(obs) => obs,
                Err(mut f) => {
                    f.detail = format!("context {ctx}: {}", f.detail);
                    report.fail(f);
                    return report;
                }
            };
            let obs = Arc::new(obs);
            let judged = self.judged(obs.clone(), deadline).await;
            if i == 0 || report.outcome < judged.outcome {
                let mut judged = judged;
                if let Some(d) = judged.detail.as_mut() {
                    *d = format!("context {ctx}: {d}");
                }
                report = judged;
            }
            let this = answer(obs).await;
            match (&reference, contexts.distinct_from.is_some() && i == 0) {
                (_, true) => reference = Some(this),
                (Some(r), false) if *r == this => {
                    let root = contexts.distinct_from.as_deref().unwrap_or_default();
                    report.fail(Failure::new(
                        Cause::Assertion,
                        format!(
                            "context {ctx} answered the same result as {root}: the context fell back to {root}"
                        ),
                    ));
                    return report;
                }
                _ => {}
            }
        }
        report
    }
}
