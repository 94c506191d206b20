//! The probes only the outside can make: a DNS question and a TLS certificate.

use crate::connector::dial;
use crate::{cert, dns, Dns, Tls};
use smoke_core::check::Check;
use smoke_core::condition::Subject;
use smoke_core::observation::{Observation, Timings};
use smoke_core::outcome::{Cause, Failure, Outcome, Verdict};
use smoke_core::panel::{DnsSpec, ProbeSpec, TlsSpec};
use smoke_core::plan::check_of;
use smoke_core::probe::{Attempt, Probe};
use std::sync::Arc;

/// Whether the probe's own conditions read the DNS answer (`dns.rcode`, `len(dns.addresses)`):
/// then they judge it, not the default.
fn judges_dns_answer(spec: &ProbeSpec) -> bool {
    spec.expect
        .iter()
        .chain(&spec.warn)
        .any(|c| matches!(c.subject().read(), Subject::Dns(_)))
}

/// `dns = "name"`: the answer must be NOERROR with at least one record, unless the probe's
/// conditions judge `dns.rcode` or `dns.addresses` themselves.
pub struct DnsProbe {
    question: DnsSpec,
    dns: Arc<Dns>,
    judges_answer: bool,
}

impl DnsProbe {
    pub fn check(spec: ProbeSpec, question: DnsSpec, dns: Arc<Dns>) -> Check {
        let target = format!("dns {} {}", question.record.as_str(), question.name);
        let judges_answer = judges_dns_answer(&spec);
        let probe = DnsProbe {
            question,
            dns,
            judges_answer,
        };
        check_of(&spec, target, probe)
    }
}

#[async_trait::async_trait]
impl Probe for DnsProbe {
    async fn attempt(&self, cx: &Attempt) -> Result<Observation, Failure> {
        let q = &self.question;
        let answer = self
            .dns
            .ask(&q.name, q.record, cx.deadline().budget())
            .await;
        // The question is the whole attempt: its time is the attempt's, failed or not.
        let timings = Timings {
            dns: Some(answer.took),
            total: Some(answer.took),
            ..Timings::default()
        };
        let seen = |f: Failure| {
            if f.timings == Timings::default() {
                f.seen(None, &timings)
            } else {
                f
            }
        };
        let info = answer.result.map_err(seen)?;
        if !self.judges_answer {
            if let Some(f) = dns::answer_failure(&q.name, q.record, &info) {
                return Err(seen(f));
            }
        }
        let mut obs = Observation::default();
        obs.dns = Some(info);
        obs.timings = timings;
        Ok(obs)
    }
}

/// `tls = "host:port"`: a handshake that must verify, and a certificate that must not be close
/// to its end (degraded under `tls_warn_days`, failed under `tls_fail_days`).
pub struct TlsProbe {
    peer: TlsSpec,
    dns: Arc<Dns>,
    tls: Arc<Tls>,
    warn_days: i64,
    fail_days: i64,
}

impl TlsProbe {
    pub fn check(
        spec: ProbeSpec,
        peer: TlsSpec,
        dns: Arc<Dns>,
        tls: Arc<Tls>,
        (warn_days, fail_days): (i64, i64),
    ) -> Check {
        let target = format!("tls {}:{}", peer.host, peer.port);
        let probe = TlsProbe {
            peer,
            dns,
            tls,
            warn_days,
            fail_days,
        };
        check_of(&spec, target, probe)
    }
}

#[async_trait::async_trait]
impl Probe for TlsProbe {
    async fn attempt(&self, cx: &Attempt) -> Result<Observation, Failure> {
        let peer = &self.peer;
        let conn = dial(
            &self.dns,
            Some(&self.tls),
            &peer.host,
            peer.port,
            cx.deadline(),
        )
        .await?;
        let mut obs = Observation::default();
        obs.timings = conn.timings;
        obs.cert = conn.cert;
        Ok(obs)
    }

    /// The conditions first, then the certificate's days left, which can only make it worse.
    async fn verdict(&self, cx: &Attempt) -> Verdict {
        let obs = match self.attempt(cx).await {
            Ok(obs) => obs,
            Err(f) => return Verdict::failed(f),
        };
        let cert = obs.cert.clone();
        let mut verdict = cx.judge(obs).await;
        let Some(c) = &cert else {
            verdict.fail(Failure::new(
                Cause::Tls,
                "the server showed no certificate smoke could read",
            ));
            return verdict;
        };
        if verdict.outcome == Outcome::Fail {
            return verdict;
        }
        let words = cert::describe(c);
        if c.days_left < self.fail_days {
            verdict.fail(Failure::new(
                Cause::Tls,
                format!("{words}: under the {} days to fail at", self.fail_days),
            ));
        } else if c.days_left < self.warn_days {
            verdict.degrade(
                Cause::Tls,
                format!("{words}: under the {} days to warn at", self.warn_days),
            );
        }
        verdict
    }
}
