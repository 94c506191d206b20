//! The outside's [`Place`]: HTTP through the gateway at `base_url`, DNS through the panel's
//! resolvers, TCP and TLS to `host:port`, a browser held to those resolvers and the panel's
//! CA (`pin`); and its own checks of the public host's DNS and certificate (built in, on by
//! default).

use crate::connector::dial;
use crate::{BaseUrl, Dns, HttpsConnector, SetupError, Tls};
use smoke_core::engine::{
    dns::DnsAnswer,
    http::{Connection, Connector},
    DnsSpec, Mode, Panel, Pin, Place, ProbeKind, ProbeSpec, RecordType, Side, TcpTarget, TlsSpec,
};
use smoke_core::prelude::Deadline;
use smoke_core::prelude::Failure;
use std::sync::Arc;

/// The names of the built-in checks; `--only builtin` selects both.
pub use smoke_core::engine::{PUBLIC_DNS, PUBLIC_TLS};

#[derive(Clone)]
pub struct ExternalSide {
    base: Option<BaseUrl>,
    connector: Option<Arc<dyn Connector>>,
    dns: Arc<Dns>,
    tls: Arc<Tls>,
}

/// The outside view of `panel`, as the `smoke-external` binary makes it.
pub fn side(panel: &Panel) -> Result<Arc<dyn Side>, SetupError> {
    Ok(Arc::new(ExternalSide::new(panel)?))
}

impl ExternalSide {
    pub fn new(panel: &Panel) -> Result<Self, SetupError> {
        let ext = &panel.external;
        let dns = Arc::new(Dns::new(&ext.resolvers)?);
        let tls = Arc::new(Tls::new(ext.ca_file.as_deref())?);
        let needs_base = panel
            .probes
            .iter()
            .any(|p| p.runs_in(Mode::External) && p.http().is_some());
        let base = match &ext.base_url {
            Some(url) => Some(BaseUrl::parse(url)?),
            None if needs_base => {
                return Err(SetupError::NoBaseUrl {
                    panel: panel.source.clone(),
                })
            }
            None => None,
        };
        let connector = base.clone().map(|b| -> Arc<dyn Connector> {
            Arc::new(HttpsConnector::new(
                b,
                dns.clone(),
                tls.clone(),
                panel.max_services,
            ))
        });
        Ok(ExternalSide {
            base,
            connector,
            dns,
            tls,
        })
    }

    /// Whether the public host is named by an address: then it has no name to resolve.
    fn host_is_ip(base: &BaseUrl) -> bool {
        base.host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok()
    }
}

#[async_trait::async_trait]
impl Place for ExternalSide {
    fn mode(&self) -> Mode {
        Mode::External
    }

    fn connector(&self) -> Option<Arc<dyn Connector>> {
        self.connector.clone()
    }

    async fn stream(&self, target: &TcpTarget, deadline: Deadline) -> Result<Connection, Failure> {
        match target {
            // Names resolve through the panel's resolvers, as the gateway's does.
            TcpTarget::Host { host, port } => dial(&self.dns, None, host, *port, deadline).await,
            TcpTarget::Socket(_) => smoke_core::engine::tcp::out_of_reach(target),
        }
    }

    async fn ask(&self, question: &DnsSpec, deadline: Deadline) -> DnsAnswer {
        self.dns
            .ask(&question.name, question.record, deadline.remaining())
            .await
    }

    async fn handshake(&self, peer: &TlsSpec, deadline: Deadline) -> Result<Connection, Failure> {
        dial(&self.dns, Some(&self.tls), &peer.host, peer.port, deadline).await
    }

    async fn pin(
        &self,
        host: &str,
        port: u16,
        tls: bool,
        deadline: Deadline,
    ) -> Result<Pin, Failure> {
        crate::pin::pin(&self.dns, &self.tls, host, port, tls, deadline).await
    }

    /// The public host's own checks: its name (unless `check_dns = false` or it is an
    /// address) and its certificate (unless `check_tls = false` or it is plain HTTP).
    fn own_probes(&self, panel: &Panel) -> Vec<ProbeSpec> {
        let Some(base) = &self.base else {
            return Vec::new();
        };
        let ext = &panel.external;
        let mut tags = panel.defaults.settings.tags.clone();
        tags.push("builtin".to_string());
        let mut out = Vec::new();
        let checks_dns = ext.check_dns && !Self::host_is_ip(base);
        if checks_dns {
            let question = DnsSpec {
                name: base.host.clone(),
                record: RecordType::A,
            };
            let mut spec = ProbeSpec::with_defaults(
                PUBLIC_DNS,
                ProbeKind::Dns(Box::new(question)),
                &panel.defaults,
            );
            spec.settings.tags = tags.clone();
            spec.expect.extend(ext.expect_addresses.iter().cloned());
            out.push(spec);
        }
        if ext.check_tls && base.tls {
            let peer = TlsSpec {
                host: base.host.clone(),
                port: base.port,
            };
            let mut spec = ProbeSpec::with_defaults(
                PUBLIC_TLS,
                ProbeKind::Tls(Box::new(peer)),
                &panel.defaults,
            );
            spec.settings.tags = tags;
            // No certificate is shown by a host whose name does not resolve.
            if checks_dns {
                spec.settings.depends_on.push(PUBLIC_DNS.to_string());
            }
            out.push(spec);
        }
        out
    }

    /// Every request through `base_url` depends on the certificate check, or the name's when
    /// the certificate is not checked; on nothing when neither is. Decided before `--only`: a
    /// dependency that does not run is kept, and ignored.
    fn way_in(&self, own: &[ProbeSpec]) -> Option<String> {
        [PUBLIC_TLS, PUBLIC_DNS]
            .into_iter()
            .find(|n| own.iter().any(|o| o.name == *n))
            .map(str::to_string)
    }
}
