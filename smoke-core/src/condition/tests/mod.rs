//! Scenarios for the condition language, grouped by concern: what each subject reads, what each
//! operator means, how values are read, how results are shown, and how mistakes are reported.

use std::time::Duration;

use super::{Condition, ConditionError, Judgement};
use crate::observation::{CertInfo, DnsInfo, Observation};

mod api;
mod errors;
mod limits;
mod operators;
mod page;
mod render;
mod subjects;
mod values;

/// An HTTP answer with a JPEG content type, as most scenarios need one.
fn http(body: &str) -> Observation {
    Observation::http(
        200,
        vec![("content-type".into(), "image/jpeg".into())],
        body.as_bytes().to_vec(),
    )
}

/// An external HTTPS check with every optional part filled in.
fn full() -> Observation {
    let mut obs = http("<html><body><nav id=\"hero-nav\"><a>1</a><a>2</a></nav></body></html>");
    obs.timings.dns = Some(Duration::from_millis(12));
    obs.timings.connect = Some(Duration::from_millis(30));
    obs.timings.tls = Some(Duration::from_millis(45));
    obs.timings.first_byte = Some(Duration::from_millis(120));
    obs.timings.total = Some(Duration::from_millis(450));
    obs.cert = Some(CertInfo {
        not_after: "2026-03-01T00:00:00Z".parse().unwrap(),
        days_left: 30,
        issuer: "CN=R11, O=Let's Encrypt".into(),
        subject: "CN=example.org".into(),
    });
    obs.dns = Some(DnsInfo {
        rcode: "NOERROR".into(),
        addresses: vec!["10.0.0.1".into(), "10.0.0.2".into()],
    });
    obs
}

fn judge(cond: &str, obs: &Observation) -> Judgement {
    Condition::parse(cond)
        .unwrap_or_else(|e| panic!("`{cond}` should parse: {e}"))
        .evaluate(obs)
}

#[track_caller]
fn passes(cond: &str, obs: &Observation) {
    let j = judge(cond, obs);
    assert!(j.passed, "`{cond}` should pass: {}", j.message);
}

#[track_caller]
fn fails(cond: &str, obs: &Observation) {
    let j = judge(cond, obs);
    assert!(!j.passed, "`{cond}` should fail: {}", j.message);
}

/// What a condition reports as the value it saw.
fn got(cond: &str, obs: &Observation) -> String {
    judge(cond, obs).got
}

fn error(cond: &str) -> ConditionError {
    match Condition::parse(cond) {
        Ok(_) => panic!("`{cond}` should not parse"),
        Err(e) => e,
    }
}

/// Asserts the error's column and that its message mentions `fragment`.
#[track_caller]
fn rejects(cond: &str, column: usize, fragment: &str) {
    let e = error(cond);
    assert_eq!(e.column, column, "column for `{cond}`: {e}");
    assert!(
        e.message.contains(fragment),
        "message for `{cond}` should mention {fragment:?}: {e}"
    );
}
