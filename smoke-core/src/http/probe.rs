//! A panel probe: the request a [`ProbeSpec`] describes, sent through a [`Connector`] and
//! judged by its conditions.

use super::in_turn::{explain, first_there, Candidate, Reached};
use super::request::{unexpected_status, Fetch};
use super::Connector;
use crate::check::Check;
use crate::condition::Condition;
use crate::observation::Observation;
use crate::outcome::{Cause, Failure, Verdict};
use crate::panel::{HttpSpec, ProbeSpec};
use crate::plan::check_of;
use crate::probe::{Attempt, Probe};
use std::sync::Arc;

pub(crate) struct HttpProbe {
    http: HttpSpec,
    /// Its target and where it goes, then each target tried in turn after it (`target = [..]`).
    candidates: Vec<Candidate>,
    connector: Arc<dyn Connector>,
    /// Its `status` conditions among these decide whether a status outside 2xx fails it.
    expect: Vec<Condition>,
}

impl HttpProbe {
    /// The check of an HTTP probe of the panel, sent to the first of `candidates` that is there
    /// through `connector`; `place` says where, as `list` shows it.
    pub(crate) fn check(
        spec: ProbeSpec,
        place: String,
        candidates: Vec<Candidate>,
        connector: Arc<dyn Connector>,
    ) -> Check {
        let http = spec
            .http()
            .cloned()
            .expect("an HttpProbe is made of an HTTP probe spec");
        let probe = HttpProbe {
            http,
            candidates,
            connector,
            expect: spec.expect.clone(),
        };
        check_of(&spec, place, probe)
    }

    /// One exchange, with the transport, HTTP and JSON-RPC failures sorted out. A status outside
    /// 2xx is an `http` failure unless the probe's own `status` conditions accept it (a probe
    /// may expect a 404); a 2xx they reject is left to them, as an assertion. With targets
    /// tried in turn, also the one that answered, which the report names.
    async fn observe(
        &self,
        cx: &Attempt,
        context: Option<&str>,
    ) -> (Result<Observation, Failure>, Option<&str>) {
        let how = Fetch {
            deadline: cx.deadline(),
            context,
            any_status: true,
        };
        let Reached {
            result,
            used,
            passed_over,
        } = first_there(self.connector.as_ref(), &self.candidates, &self.http, how).await;
        let result = result
            .and_then(|obs| match unexpected_status(&self.expect, &obs) {
                Some(failure) => Err(failure),
                None => Ok(obs),
            })
            .map_err(|mut f| {
                f.detail = explain(&passed_over, used, &f.detail);
                f
            });
        // Named only when there was a choice: a probe of one target is where `list` says.
        let used = (self.candidates.len() > 1)
            .then(|| self.candidates.get(used).map(|c| c.label.as_str()))
            .flatten();
        (result, used)
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
    async fn attempt(&self, cx: &Attempt) -> Result<Observation, Failure> {
        self.observe(cx, self.http.context.as_deref()).await.0
    }

    /// With `contexts`, one exchange per context, each judged, the worst reported; and a context
    /// that answers what its reference did has fallen back to it.
    async fn verdict(&self, cx: &Attempt) -> Verdict {
        let Some(contexts) = &self.http.contexts else {
            let (result, used) = self.observe(cx, self.http.context.as_deref()).await;
            let mut verdict = cx.verdict(result).await;
            verdict.target = used.map(str::to_string);
            return verdict;
        };
        // The reference first in the list, then each context; all at once, each on its own
        // connection, all by the attempt's deadline.
        let names: Vec<&str> = contexts
            .distinct_from
            .as_deref()
            .into_iter()
            .chain(contexts.contexts.iter().map(String::as_str))
            .collect();
        let observed =
            futures_util::future::join_all(names.iter().map(|ctx| self.observe(cx, Some(ctx))))
                .await;
        let mut verdict = Verdict::default();
        let mut reference: Option<serde_json::Value> = None;
        for (i, (ctx, (result, used))) in names.iter().zip(observed).enumerate() {
            verdict.target = used.map(str::to_string);
            let obs = match result {
                Ok(obs) => obs,
                Err(mut f) => {
                    f.detail = format!("context {ctx}: {}", f.detail);
                    verdict.fail(f);
                    return verdict;
                }
            };
            let obs = Arc::new(obs);
            let judged = cx.judge(obs.clone()).await;
            if i == 0 || verdict.outcome < judged.outcome {
                let mut judged = judged;
                judged.target = used.map(str::to_string);
                if let Some(d) = judged.detail.as_mut() {
                    *d = format!("context {ctx}: {d}");
                }
                verdict = judged;
            }
            let this = answer(obs).await;
            match (&reference, contexts.distinct_from.is_some() && i == 0) {
                (_, true) => reference = Some(this),
                (Some(r), false) if *r == this => {
                    let root = contexts.distinct_from.as_deref().unwrap_or_default();
                    verdict.fail(Failure::new(
                        Cause::Assertion,
                        format!(
                            "context {ctx} answered the same result as {root}: the context fell back to {root}"
                        ),
                    ));
                    return verdict;
                }
                _ => {}
            }
        }
        verdict
    }
}
