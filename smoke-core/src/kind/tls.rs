//! The TLS kind: `tls = "host:port"` makes a handshake from outside that must verify, with a
//! certificate that must not be close to its end (degraded under `[external] tls_warn_days`,
//! failed under `tls_fail_days`).

use super::{Kind, Reading};
use crate::panel::raw::RawProbe;
use crate::panel::{Mode, PanelError};

/// A `tls` probe: the host whose certificate is checked, and its port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSpec {
    /// The host, without brackets: also the name the certificate must hold.
    pub host: String,
    /// The port of the handshake.
    pub port: u16,
}

/// `host:port`, `[v6]:port`, or `host` alone: the host (without brackets) and the port if said.
pub(crate) fn host_port(text: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) => Some(p.parse().ok()?),
    };
    Some((host.to_string(), port))
}

impl Kind for TlsSpec {
    const KEY: Option<&'static str> = Some("tls");
    const NAME: &'static str = "tls";

    fn claims(p: &RawProbe) -> bool {
        p.tls.is_some()
    }

    fn read(p: &mut RawProbe, r: &Reading<'_>) -> Result<(Self, Option<Mode>), PanelError> {
        let Some(tls) = p.tls.take() else {
            return Err(r.at.here("a tls probe needs `tls`"));
        };
        let text = tls.get_ref();
        let (host, port) = host_port(text).ok_or_else(|| {
            r.at.err(
                tls.span(),
                format!("tls = \"{text}\" must be host:port, like herodemo.gent01.grid.tf:443"),
            )
        })?;
        let mode = crate::panel::spec::external_only(p, Self::NAME, r.at)?;
        let port = port.unwrap_or(443);
        Ok((TlsSpec { host, port }, mode))
    }

    #[cfg(feature = "http")]
    fn plan(&self, spec: &crate::panel::ProbeSpec, plan: &mut super::Planning<'_>) {
        let ext = &plan.panel.external;
        let probe = reach::TlsProbe {
            peer: self.clone(),
            place: plan.place.clone(),
            warn_days: ext.tls_warn_days,
            fail_days: ext.tls_fail_days,
        };
        let at = format!("{}:{}", self.host, self.port);
        plan.push(crate::plan::Planned {
            service: None,
            stand_in: false,
            what: "tls".to_string(),
            probe: std::sync::Arc::new(crate::plan::check_of(spec, format!("tls {at}"), probe)),
            definition: String::new(),
            place: at,
        });
    }
}

/// The probe: only with the HTTP engine, whose connections it makes.
#[cfg(feature = "http")]
mod reach {
    use super::*;
    use crate::outcome::{Cause, Failure, Outcome, Verdict};

    /// One handshake, made where the side makes it, and the certificate's days left.
    pub(super) struct TlsProbe {
        pub(super) peer: TlsSpec,
        pub(super) place: std::sync::Arc<dyn crate::kind::Place>,
        pub(super) warn_days: i64,
        pub(super) fail_days: i64,
    }

    #[async_trait::async_trait]
    impl crate::probe::Probe for TlsProbe {
        async fn attempt(
            &self,
            cx: &crate::probe::Attempt,
        ) -> Result<crate::observation::Observation, Failure> {
            let conn = self.place.handshake(&self.peer, cx.deadline()).await?;
            let mut obs = crate::observation::Observation::default();
            obs.timings = conn.timings;
            obs.cert = conn.cert;
            Ok(obs)
        }

        /// The conditions first, then the certificate's days left, which can only make it worse.
        async fn verdict(&self, cx: &crate::probe::Attempt) -> Verdict {
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
            let words = crate::cert::describe(c);
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
}
