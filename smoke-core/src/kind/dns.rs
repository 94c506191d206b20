//! The DNS kind: `dns = "name"` (with `record`, A by default) asks a question from outside.
//! The answer must be NOERROR with at least one record, unless the probe's own conditions judge
//! `dns.rcode` or `dns.addresses`.

use super::{Kind, Reading};
use crate::observation::DnsInfo;
use crate::outcome::{Cause, Failure, Phase};
use crate::panel::raw::RawProbe;
use crate::panel::{Mode, PanelError};
use std::time::Duration;

/// A `dns` probe: the name it asks about and the record type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsSpec {
    /// The name asked about.
    pub name: String,
    /// The record type asked for.
    pub record: RecordType,
}

/// The DNS record types a `dns` probe asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordType {
    /// IPv4 addresses.
    A,
    /// IPv6 addresses.
    Aaaa,
    /// The canonical name of an alias.
    Cname,
    /// Mail exchangers.
    Mx,
    /// Name servers.
    Ns,
    /// Text records.
    Txt,
}

impl RecordType {
    /// The type as DNS writes it: `A`, `AAAA`, ...
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Cname => "CNAME",
            RecordType::Mx => "MX",
            RecordType::Ns => "NS",
            RecordType::Txt => "TXT",
        }
    }
}

/// What a DNS question got: the server's answer (any rcode), or a failure to get one.
pub struct DnsAnswer {
    /// The answer, or why there was none.
    pub result: Result<DnsInfo, Failure>,
    /// How long the question took.
    pub took: Duration,
}

impl DnsAnswer {
    /// No question was asked: `failure` says why.
    pub fn failed(failure: Failure) -> Self {
        DnsAnswer {
            result: Err(failure),
            took: Duration::ZERO,
        }
    }
}

/// Why an answer is not a usable one: an rcode other than NOERROR, or no record.
pub fn answer_failure(name: &str, record: RecordType, info: &DnsInfo) -> Option<Failure> {
    let detail = match info.rcode.as_str() {
        "NOERROR" if info.addresses.is_empty() => {
            format!("no answer: {name} has no {} record", record.as_str())
        }
        "NOERROR" => return None,
        "NXDOMAIN" => format!("NXDOMAIN: {name} does not exist"),
        "SERVFAIL" => format!("SERVFAIL: the resolver could not answer for {name}"),
        "REFUSED" => format!("REFUSED: the resolver refused to answer for {name}"),
        other => format!("{other} for {name}"),
    };
    Some(Failure::at(Cause::Dns, Phase::Dns, detail))
}

impl Kind for DnsSpec {
    const KEY: Option<&'static str> = Some("dns");
    const NAME: &'static str = "dns";

    fn claims(p: &RawProbe) -> bool {
        p.dns.is_some()
    }

    fn stray(p: &RawProbe) -> Option<&'static str> {
        p.record.is_some().then_some("record")
    }

    fn read(p: &mut RawProbe, r: &Reading<'_>) -> Result<(Self, Option<Mode>), PanelError> {
        let Some(dns) = p.dns.take() else {
            return Err(r.at.here("a dns probe needs `dns`"));
        };
        let name = dns.get_ref().trim_end_matches('.').to_string();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(r.at.err(
                dns.span(),
                format!("dns = \"{}\" is not a name", dns.get_ref()),
            ));
        }
        let record = p.record.unwrap_or(RecordType::A);
        let mode = crate::panel::spec::external_only(p, Self::NAME, r.at)?;
        Ok((DnsSpec { name, record }, mode))
    }

    #[cfg(feature = "http")]
    fn plan(&self, spec: &crate::panel::ProbeSpec, plan: &mut super::Planning<'_>) {
        let probe = DnsProbe {
            question: self.clone(),
            place: plan.place.clone(),
            judges_answer: spec.reads(|s| matches!(s, crate::condition::Subject::Dns(_))),
        };
        plan.push(crate::plan::Planned {
            service: None,
            stand_in: false,
            what: format!("dns {}", self.record.as_str()),
            definition: String::new(),
            place: self.name.clone(),
            probe: std::sync::Arc::new(crate::plan::check_of(
                spec,
                format!("dns {} {}", self.record.as_str(), self.name),
                probe,
            )),
        });
    }
}

/// One DNS question, asked where the side asks it.
#[cfg(feature = "http")]
struct DnsProbe {
    question: DnsSpec,
    place: std::sync::Arc<dyn super::Place>,
    /// The probe's own conditions read the answer (`dns.rcode`, `len(dns.addresses)`): then
    /// they judge it, not the default.
    judges_answer: bool,
}

#[cfg(feature = "http")]
#[async_trait::async_trait]
impl crate::probe::Probe for DnsProbe {
    async fn attempt(
        &self,
        cx: &crate::probe::Attempt,
    ) -> Result<crate::observation::Observation, Failure> {
        use crate::observation::{Observation, Timings};
        let q = &self.question;
        let answer = self.place.ask(q, cx.deadline()).await;
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
            if let Some(f) = answer_failure(&q.name, q.record, &info) {
                return Err(seen(f));
            }
        }
        let mut obs = Observation::default();
        obs.dns = Some(info);
        obs.timings = timings;
        Ok(obs)
    }
}
