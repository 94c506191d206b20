//! A flow: the steps of a probe, sent one after the other within the probe's deadline, each
//! judged by its own conditions, the values they capture put into the steps after them. The
//! first step that fails ends the flow and is named in the failure; cleanup steps
//! (`finally = true`) run anyway.

use super::request::{fetch, unexpected_status, Fetch};
use super::Connector;
use crate::check::Check;
use crate::condition::Evaluation;
use crate::deadline::Deadline;
use crate::observation::Observation;
use crate::outcome::{Cause, Failure, Outcome, Step, Verdict};
use crate::panel::{is_capture_name, names_in, Body, HttpSpec, ProbeSpec, Request, StepSpec};
use crate::plan::check_of;
use crate::probe::{Attempt, Checks, Probe};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The most bytes a captured value may hold: it comes from the service and goes into the next
/// requests' paths, headers and bodies.
pub(crate) const MAX_CAPTURE_BYTES: usize = 1024;

/// How long a cleanup step may run once the probe's deadline has passed.
pub(crate) const FINALLY_GRACE: Duration = Duration::from_secs(2);

pub(crate) struct FlowProbe {
    steps: Vec<(StepSpec, Arc<Checks>)>,
    connector: Arc<dyn Connector>,
}

impl FlowProbe {
    /// The check of a flow of the panel; `target` is where it goes, as reports name it.
    pub(crate) fn check(spec: ProbeSpec, target: String, connector: Arc<dyn Connector>) -> Check {
        let steps = spec
            .http()
            .map(|h| h.steps.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                let checks = Arc::new(Checks {
                    expect: s.expect.clone(),
                    warn: s.warn.clone(),
                });
                (s, checks)
            })
            .collect();
        check_of(&spec, target, FlowProbe { steps, connector })
    }

    /// One step: sent by `deadline`, its status sorted out as a one-request probe's is, judged.
    async fn step(
        &self,
        cx: &Attempt,
        http: &HttpSpec,
        checks: &Arc<Checks>,
        deadline: Deadline,
    ) -> (Verdict, Option<Arc<Observation>>) {
        let endpoint = match self.connector.endpoint(http) {
            Ok(e) => e,
            Err(f) => return (Verdict::failed(f), None),
        };
        let how = Fetch {
            deadline,
            context: http.context.as_deref(),
            any_status: true,
        };
        let obs = match fetch(self.connector.as_ref(), &endpoint, http, how).await {
            Ok(obs) => Arc::new(obs),
            Err(f) => return (Verdict::failed(f), None),
        };
        if let Some(f) = unexpected_status(&checks.expect, &obs) {
            return (Verdict::failed(f), Some(obs));
        }
        (
            cx.judge_until(obs.clone(), checks.clone(), deadline).await,
            Some(obs),
        )
    }
}

#[async_trait::async_trait]
impl Probe for FlowProbe {
    /// A flow is judged step by step in [`Probe::verdict`]; one answer alone says nothing.
    async fn attempt(&self, _cx: &Attempt) -> Result<Observation, Failure> {
        Err(Failure::new(
            Cause::Checker,
            "a flow is judged step by step, not by one answer",
        ))
    }

    fn grace(&self) -> Duration {
        let cleanups = self.steps.iter().filter(|(s, _)| s.finally).count();
        FINALLY_GRACE * cleanups as u32
    }

    async fn verdict(&self, cx: &Attempt) -> Verdict {
        let started = Instant::now();
        let n = self.steps.len();
        let mut values: BTreeMap<String, Value> =
            [(RANDOM.to_string(), Value::String(random_word()))].into();
        let mut failed: Option<Verdict> = None;
        let mut degraded: Option<Verdict> = None;
        let mut last = Verdict::default();
        let mut steps = Vec::with_capacity(n);
        let mut conditions = Vec::new();
        for (i, (spec, checks)) in self.steps.iter().enumerate() {
            if failed.is_some() && !spec.finally {
                continue;
            }
            let http = match fill(&spec.http, &values) {
                Ok(http) => http,
                // A cleanup of what an earlier step never made has nothing to clean.
                Err(Unfilled::Missing(_)) if spec.finally => continue,
                Err(e) => {
                    failed.get_or_insert(Verdict::failed(Failure::new(
                        Cause::Assertion,
                        format!("step {} of {n}: {e}", i + 1),
                    )));
                    continue;
                }
            };
            let what = http.request.describe();
            let deadline = if spec.finally {
                cx.deadline().or_grace(FINALLY_GRACE)
            } else {
                cx.deadline()
            };
            let (mut verdict, obs) = self.step(cx, &http, checks, deadline).await;
            let mut taken = BTreeMap::new();
            if let (Some(obs), true) = (&obs, verdict.outcome != Outcome::Fail) {
                match capture(spec, obs.clone(), deadline).await {
                    Ok(v) => taken = v,
                    Err(f) => verdict.fail(f),
                }
            }
            steps.push(Step::of(what.clone(), &verdict).with_captures(taken.clone()));
            conditions.extend(verdict.conditions.iter().cloned());
            values.extend(taken);
            let named = |v: &mut Verdict| {
                let detail = v.detail.take().unwrap_or_default();
                v.detail = Some(step_detail(i, n, &what, &detail));
            };
            match verdict.outcome {
                Outcome::Fail | Outcome::Error => {
                    if failed.is_none() {
                        named(&mut verdict);
                        failed = Some(verdict);
                    }
                }
                Outcome::Degraded if degraded.is_none() => {
                    named(&mut verdict);
                    degraded = Some(verdict.clone());
                    last = verdict;
                }
                _ => last = verdict,
            }
        }
        let mut verdict = failed.or(degraded).unwrap_or(last);
        verdict.timings.total = Some(started.elapsed());
        verdict.conditions = conditions;
        // One step is one request: reported as the same probe written without steps.
        if n > 1 {
            verdict.steps = steps;
            // Each step's shape is its own: the last one's is not the flow's.
            verdict.shape = None;
        }
        verdict
    }
}

/// The detail of a failed or degraded step, naming it (`step 2 of 3 (GET /x): …`) when the flow
/// has more than one.
fn step_detail(i: usize, n: usize, what: &str, detail: &str) -> String {
    if n > 1 {
        format!("step {} of {n} ({what}): {detail}", i + 1)
    } else {
        detail.to_string()
    }
}

/// The values a step captures, taken off the runtime (a body may be large) and by its deadline.
async fn capture(
    spec: &StepSpec,
    obs: Arc<Observation>,
    deadline: Deadline,
) -> Result<BTreeMap<String, Value>, Failure> {
    if spec.captures.is_empty() {
        return Ok(BTreeMap::new());
    }
    let captures = spec.captures.clone();
    let take = move || {
        let ev = Evaluation::until(&obs, deadline.at().into_std());
        let mut out = BTreeMap::new();
        for (name, capture) in &captures {
            let what = format!("capture {name}: `{}`", capture.text());
            let value = match capture.take(&ev) {
                Ok(Some(v)) => v,
                Ok(None) => {
                    return Err(Failure::new(Cause::Assertion, format!("{what} is missing")))
                }
                Err(limit) => return Err(Failure::new(limit.cause(), format!("{what}: {limit}"))),
            };
            let size = text_of(&value).len();
            if size > MAX_CAPTURE_BYTES {
                return Err(Failure::new(
                    Cause::Assertion,
                    format!("{what} is {size} bytes, more than the {MAX_CAPTURE_BYTES} a capture may hold"),
                ));
            }
            out.insert(name.clone(), value);
        }
        Ok(out)
    };
    match deadline.bound(tokio::task::spawn_blocking(take)).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(Failure::new(
            Cause::Checker,
            format!("capturing failed: {e}"),
        )),
        Err(_) => Err(Failure::new(
            Cause::Timeout,
            "captures not taken by the deadline",
        )),
    }
}

/// `{random}`: a fresh word per try, so a record a flow makes is its own (`smoke-probe-{random}`).
pub(crate) const RANDOM: &str = "random";

/// 16 hex digits, from the process's random hash keys and the clock: unique enough to name a
/// record, and no dependency for it.
fn random_word() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    format!("{:016x}", h.finish())
}

/// Why a step could not be filled in.
#[derive(Debug)]
enum Unfilled {
    /// A capture it uses was never taken (its step did not run).
    Missing(String),
    /// A value that can't go where it is used (a line break in a header).
    Unfit(String),
}

impl std::fmt::Display for Unfilled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unfilled::Missing(name) => write!(f, "capture {name} was not taken"),
            Unfilled::Unfit(why) => f.write_str(why),
        }
    }
}

/// The value as text: a string as it is, anything else as JSON.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The step's request with the captured values where `{name}` is written: percent-encoded in a
/// path, the value itself where a JSON string is exactly `{name}`, as text elsewhere.
fn fill(http: &HttpSpec, values: &BTreeMap<String, Value>) -> Result<HttpSpec, Unfilled> {
    let mut out = http.clone();
    let path = |p: &str| fill_path(p, values);
    match &mut out.request {
        Request::Get { path: p } => *p = path(p)?,
        Request::Post { path: p, body } => {
            *p = path(p)?;
            match body {
                Body::Text(t) => *t = replace(t, values, str::to_string)?,
                Body::Json(v) => fill_json(v, values)?,
                Body::Empty => {}
            }
        }
        Request::Rpc {
            params, path: p, ..
        } => {
            if let Some(p) = p {
                *p = path(p)?;
            }
            if let Some(v) = params {
                fill_json(v, values)?;
            }
        }
    }
    if let Some(p) = &mut out.external_path {
        *p = path(p)?;
    }
    for (name, value) in &mut out.headers {
        *value = header_value(name, value, values)?;
    }
    if let Some(c) = &mut out.context {
        *c = header_value("context", c, values)?;
    }
    Ok(out)
}

fn header_value(
    name: &str,
    value: &str,
    values: &BTreeMap<String, Value>,
) -> Result<String, Unfilled> {
    let filled = replace(value, values, str::to_string)?;
    if filled.chars().any(char::is_control) {
        return Err(Unfilled::Unfit(format!(
            "a captured value has a control character and can't go into the header {name}"
        )));
    }
    Ok(filled)
}

fn fill_json(v: &mut Value, values: &BTreeMap<String, Value>) -> Result<(), Unfilled> {
    match v {
        Value::String(s) => {
            let whole = s
                .strip_prefix('{')
                .and_then(|r| r.strip_suffix('}'))
                .and_then(|name| values.get(name).filter(|_| names_in(s).count() == 1));
            *v = match whole {
                Some(value) => value.clone(),
                None => Value::String(replace(s, values, str::to_string)?),
            };
        }
        Value::Array(items) => {
            for i in items {
                fill_json(i, values)?;
            }
        }
        Value::Object(map) => {
            for i in map.values_mut() {
                fill_json(i, values)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `path` with the captured values percent-encoded into it. A value that makes a whole segment
/// `.`, `..` or empty is refused rather than encoded: a server, or the gateway before it, takes
/// such a segment as a step up or as another resource (`/api/{x}/..` leaves the service's
/// prefix), and many decode `%2E%2E` back to `..` first, so encoding is no guard.
fn fill_path(path: &str, values: &BTreeMap<String, Value>) -> Result<String, Unfilled> {
    // A value is percent-encoded whole, so every `/`, `?` and `#` of the result is the panel's.
    let end = path.find(['?', '#']).unwrap_or(path.len());
    let (segments, rest) = path.split_at(end);
    let mut out = String::with_capacity(path.len());
    for (i, segment) in segments.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let filled = replace(segment, values, percent_encode)?;
        if matches!(filled.as_str(), "" | "." | "..")
            && names_in(segment).any(|name| name != "service")
        {
            return Err(Unfilled::Unfit(format!(
                "captured value \"{filled}\" as the segment {segment} of {path} would leave the path (\".\", \"..\" and \"\" are refused as a whole segment)"
            )));
        }
        out.push_str(&filled);
    }
    out.push_str(&replace(rest, values, percent_encode)?);
    Ok(out)
}

/// `text` with each `{name}` of a capture replaced by `encode(value)`; `{service}` and braces
/// around anything else stay.
fn replace(
    text: &str,
    values: &BTreeMap<String, Value>,
    encode: fn(&str) -> String,
) -> Result<String, Unfilled> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let name = rest[1..]
            .split_once('}')
            .map(|(name, _)| name)
            .filter(|name| is_capture_name(name));
        match name {
            Some(name) if name != "service" => {
                let value = values
                    .get(name)
                    .ok_or_else(|| Unfilled::Missing(name.to_string()))?;
                out.push_str(&encode(&text_of(value)));
                rest = &rest[name.len() + 2..];
            }
            _ => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Every byte but the unreserved ones of RFC 3986 as `%XX`: a captured name can't add a path
/// segment, a query or a fragment.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values() -> BTreeMap<String, Value> {
        [
            ("photo".to_string(), json!("a b/../c.jpg")),
            ("id".to_string(), json!(42)),
        ]
        .into()
    }

    #[test]
    fn a_captured_value_is_percent_encoded_in_a_path_and_kept_whole_in_json() {
        assert_eq!(
            replace("/Photos/{photo}", &values(), percent_encode).unwrap(),
            "/Photos/a%20b%2F..%2Fc.jpg"
        );
        let mut params =
            json!({"id": "{id}", "note": "made by {id}", "raw": "{x", "svc": "{service}"});
        fill_json(&mut params, &values()).unwrap();
        assert_eq!(
            params,
            json!({"id": 42, "note": "made by 42", "raw": "{x", "svc": "{service}"})
        );
        assert!(matches!(
            replace("/{missing}", &values(), percent_encode),
            Err(Unfilled::Missing(n)) if n == "missing"
        ));
    }

    #[test]
    fn a_captured_dot_dot_dot_or_nothing_never_becomes_a_segment_of_the_path() {
        for value in ["..", ".", ""] {
            let v: BTreeMap<String, Value> = [("x".to_string(), json!(value))].into();
            for path in ["/api/{x}/health", "/api/{x}", "/api/{x}?q=1", "/{x}#top"] {
                let e = fill_path(path, &v).expect_err(path).to_string();
                assert!(
                    e.starts_with(&format!("captured value \"{value}\" as the segment ")),
                    "{path}: {e}"
                );
                assert!(e.contains("would leave the path"), "{e}");
            }
            // Part of a segment, or in the query, it stays where it was put.
            assert!(fill_path("/api/v{x}/a?q={x}#{x}", &v).is_ok(), "{value:?}");
        }
        let halves: BTreeMap<String, Value> =
            [("a".to_string(), json!(".")), ("b".to_string(), json!("."))].into();
        assert!(fill_path("/api/{a}{b}/x", &halves).is_err());
        // What the panel writes itself, and {service}, are its own.
        assert_eq!(
            fill_path("/a/../{service}/", &values()).unwrap(),
            "/a/../{service}/"
        );
        assert_eq!(
            fill_path("/p/{photo}?n={id}", &values()).unwrap(),
            "/p/a%20b%2F..%2Fc.jpg?n=42"
        );
    }

    #[test]
    fn a_failed_step_is_named_only_in_a_flow_of_several() {
        assert_eq!(
            step_detail(1, 3, "GET /x", "HTTP 404 Not Found"),
            "step 2 of 3 (GET /x): HTTP 404 Not Found"
        );
        assert_eq!(
            step_detail(0, 1, "GET /x", "HTTP 404 Not Found"),
            "HTTP 404 Not Found"
        );
    }

    #[test]
    fn a_line_break_from_the_service_never_reaches_a_header() {
        let v: BTreeMap<String, Value> = [("t".to_string(), json!("ok\r\nX-Evil: 1"))].into();
        assert!(matches!(
            header_value("authorization", "Bearer {t}", &v),
            Err(Unfilled::Unfit(_))
        ));
    }
}
