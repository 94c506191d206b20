//! The probes only the outside can make: a DNS question and a TLS certificate.

use crate::connector::dial;
use crate::{cert, dns, Dns, Tls};
use smoke_core::observation::{Observation, Timings};
use smoke_core::outcome::{Cause, Failure, Outcome, ProbeReport};
use smoke_core::panel::{DnsSpec, ProbeSpec, TlsSpec};
use smoke_core::plan::info_of;
use smoke_core::probe::{judge, Probe, ProbeInfo};
use std::sync::Arc;
use tokio::time::Instant;

/// Whether the probe's own conditions speak of `prefix`: then they judge it, not the default.
fn speaks_of(spec: &ProbeSpec, prefix: &str) -> bool {
    spec.expect
        .iter()
        .chain(&spec.warn)
        .any(|c| c.text().trim_start().starts_with(prefix))
}

/// `dns = "name"`: the answer must be NOERROR with at least one record, unless the probe's
/// conditions judge `dns.rcode` or `dns.addresses` themselves.
pub struct DnsProbe {
    info: ProbeInfo,
    spec: ProbeSpec,
    question: DnsSpec,
    dns: Arc<Dns>,
    judges_answer: bool,
}

impl DnsProbe {
    pub fn new(spec: ProbeSpec, question: DnsSpec, dns: Arc<Dns>) -> Self {
        let info = info_of(
            &spec,
            format!("dns {} {}", question.record.as_str(), question.name),
        );
        let judges_answer = speaks_of(&spec, "dns.");
        DnsProbe {
            info,
            spec,
            question,
            dns,
            judges_answer,
        }
    }
}

#[async_trait::async_trait]
impl Probe for DnsProbe {
    fn info(&self) -> &ProbeInfo {
        &self.info
    }

    async fn attempt(&self) -> ProbeReport {
        let mut report = ProbeReport::new(&self.spec.name);
        let q = &self.question;
        let answer = self.dns.ask(&q.name, q.record, self.spec.timeout).await;
        report.timings.dns = Some(answer.took);
        report.timings.total = Some(answer.took);
        let info = match answer.result {
            Ok(info) => info,
            Err(f) => {
                report.fail(f);
                return report;
            }
        };
        if !self.judges_answer {
            if let Some(f) = dns::answer_failure(&q.name, q.record, &info) {
                report.fail(f);
                return report;
            }
        }
        let mut obs = Observation::default();
        obs.dns = Some(info);
        obs.timings = report.timings.clone();
        judge(&mut report, &obs, &self.spec.expect, &self.spec.warn);
        report
    }
}

/// `tls = "host:port"`: a handshake that must verify, and a certificate that must not be close
/// to its end (degraded under `tls_warn_days`, failed under `tls_fail_days`).
pub struct TlsProbe {
    info: ProbeInfo,
    spec: ProbeSpec,
    peer: TlsSpec,
    dns: Arc<Dns>,
    tls: Arc<Tls>,
    warn_days: i64,
    fail_days: i64,
}

impl TlsProbe {
    pub fn new(
        spec: ProbeSpec,
        peer: TlsSpec,
        dns: Arc<Dns>,
        tls: Arc<Tls>,
        (warn_days, fail_days): (i64, i64),
    ) -> Self {
        let info = info_of(&spec, format!("tls {}:{}", peer.host, peer.port));
        TlsProbe {
            info,
            spec,
            peer,
            dns,
            tls,
            warn_days,
            fail_days,
        }
    }
}

#[async_trait::async_trait]
impl Probe for TlsProbe {
    fn info(&self) -> &ProbeInfo {
        &self.info
    }

    async fn attempt(&self) -> ProbeReport {
        let mut report = ProbeReport::new(&self.spec.name);
        let started = Instant::now();
        let deadline = started + self.spec.timeout;
        let conn = match dial(
            &self.dns,
            Some(&self.tls),
            &self.peer.host,
            self.peer.port,
            deadline,
        )
        .await
        {
            Ok(c) => c,
            Err(f) => {
                report.fail(f);
                return report;
            }
        };
        let mut obs = Observation::default();
        obs.timings = Timings {
            total: Some(started.elapsed()),
            ..conn.timings
        };
        obs.cert = conn.cert;
        drop(conn.stream);
        judge(&mut report, &obs, &self.spec.expect, &self.spec.warn);
        let Some(c) = &obs.cert else {
            report.fail(Failure::new(
                Cause::Tls,
                "the server showed no certificate smoke could read",
            ));
            return report;
        };
        if report.outcome == Outcome::Fail {
            return report;
        }
        let words = cert::describe(c);
        if c.days_left < self.fail_days {
            report.fail(Failure::new(
                Cause::Tls,
                format!("{words}: under the {} days to fail at", self.fail_days),
            ));
        } else if c.days_left < self.warn_days && report.outcome == Outcome::Ok {
            report.outcome = Outcome::Degraded;
            report.cause = Some(Cause::Tls);
            report.detail = Some(format!(
                "{words}: under the {} days to warn at",
                self.warn_days
            ));
        }
        report
    }
}
