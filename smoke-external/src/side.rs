//! The outside's plan for a tick: the public host's DNS and certificate (built in, on by
//! default), the panel's HTTP probes through the gateway, and its DNS and TLS probes.

use crate::{BaseUrl, Dns, DnsProbe, HttpsConnector, Tls, TlsProbe};
use smoke_core::http::{plan_http, Connector};
use smoke_core::panel::{DnsSpec, Mode, Panel, ProbeKind, ProbeSpec, RecordType, TlsSpec};
use smoke_core::plan::{Plan, Planned, Side};
use std::sync::Arc;

/// The names of the built-in checks; `--only builtin` selects both.
pub use smoke_core::panel::{PUBLIC_DNS, PUBLIC_TLS};

pub struct ExternalSide {
    base: Option<BaseUrl>,
    connector: Option<Arc<dyn Connector>>,
    dns: Arc<Dns>,
    tls: Arc<Tls>,
}

/// The outside view of `panel`, as the `smoke-external` binary makes it.
pub fn side(panel: &Panel) -> Result<Arc<dyn Side>, String> {
    Ok(Arc::new(ExternalSide::new(panel)?))
}

impl ExternalSide {
    pub fn new(panel: &Panel) -> Result<Self, String> {
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
                return Err(format!(
                    "{}: no [external] base_url for the HTTP probes: set it in the panel or give --set external.base_url=https://...",
                    panel.source.display()
                ))
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

    fn thresholds(panel: &Panel) -> (i64, i64) {
        (panel.external.tls_warn_days, panel.external.tls_fail_days)
    }

    /// The public host's own checks.
    fn builtin(&self, panel: &Panel) -> Vec<Planned> {
        let Some(base) = &self.base else {
            return Vec::new();
        };
        let ext = &panel.external;
        let mut tags = panel.defaults.settings.tags.clone();
        tags.push("builtin".to_string());
        let mut out = Vec::new();
        let is_ip = base
            .host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok();
        if ext.check_dns && !is_ip {
            let question = DnsSpec {
                name: base.host.clone(),
                record: RecordType::A,
            };
            let mut spec = ProbeSpec::with_defaults(
                PUBLIC_DNS,
                ProbeKind::Dns(question.clone()),
                &panel.defaults,
            );
            spec.settings.tags = tags.clone();
            spec.expect.extend(ext.expect_addresses.iter().cloned());
            out.push(self.dns_probe(spec, question));
        }
        if ext.check_tls && base.tls {
            let peer = TlsSpec {
                host: base.host.clone(),
                port: base.port,
            };
            let mut spec =
                ProbeSpec::with_defaults(PUBLIC_TLS, ProbeKind::Tls(peer.clone()), &panel.defaults);
            spec.settings.tags = tags;
            // No certificate is shown by a host whose name does not resolve.
            if ext.check_dns && !is_ip {
                spec.settings.depends_on.push(PUBLIC_DNS.to_string());
            }
            out.push(self.tls_probe(spec, peer, Self::thresholds(panel)));
        }
        out
    }

    /// What every probe through `base_url` depends on: the certificate check, or the name's
    /// when the certificate is not checked; nothing when neither is.
    fn base_dependency(builtin: &[Planned]) -> Option<String> {
        let names: Vec<&str> = builtin
            .iter()
            .map(|p| p.probe.info().name.as_str())
            .collect();
        [PUBLIC_TLS, PUBLIC_DNS]
            .into_iter()
            .find(|n| names.contains(n))
            .map(str::to_string)
    }

    fn dns_probe(&self, spec: ProbeSpec, question: DnsSpec) -> Planned {
        Planned {
            restart: None,
            stand_in: false,
            what: format!("dns {}", question.record.as_str()),
            place: question.name.clone(),
            probe: Arc::new(DnsProbe::check(spec, question, self.dns.clone())),
        }
    }

    fn tls_probe(&self, spec: ProbeSpec, peer: TlsSpec, thresholds: (i64, i64)) -> Planned {
        Planned {
            restart: None,
            stand_in: false,
            what: "tls".to_string(),
            place: format!("{}:{}", peer.host, peer.port),
            probe: Arc::new(TlsProbe::check(
                spec,
                peer,
                self.dns.clone(),
                self.tls.clone(),
                thresholds,
            )),
        }
    }
}

#[async_trait::async_trait]
impl Side for ExternalSide {
    fn own_checks(&self, panel: &Panel) -> Vec<String> {
        let mut names = Vec::new();
        for p in self.builtin(panel) {
            let info = p.probe.info();
            names.push(info.name.clone());
            names.extend(info.settings.tags.iter().cloned());
        }
        names
    }

    fn mode(&self) -> Mode {
        Mode::External
    }

    fn connector(&self) -> Option<Arc<dyn Connector>> {
        self.connector.clone()
    }

    async fn plan(&self, panel: &Panel, only: &[String]) -> Plan {
        let builtin = self.builtin(panel);
        // Decided before `--only`: a dependency that does not run is kept, and ignored.
        let base_dependency = Self::base_dependency(&builtin);
        let mut out: Vec<Planned> = builtin
            .into_iter()
            .filter(|p| {
                smoke_core::probe::Selector(only)
                    .picks(&p.probe.info().name, &p.probe.info().settings.tags)
            })
            .collect();
        let mut notes = Vec::new();
        if let Some(connector) = &self.connector {
            let mut http = plan_http(panel, connector, only).await;
            notes = std::mem::take(&mut http.notes);
            if let Some(on) = &base_dependency {
                for p in &mut http.probes {
                    let check = Arc::make_mut(&mut p.probe);
                    // The built-in one first: it is the furthest cause of the chain.
                    let deps = std::iter::once(on.clone())
                        .chain(check.info().settings.depends_on.iter().cloned())
                        .collect::<Vec<_>>();
                    *check = check.clone().depends_on(deps);
                }
            }
            out.extend(http.probes);
        }
        for spec in panel
            .probes
            .iter()
            .filter(|p| p.runs_in(Mode::External) && p.selected_by(only))
        {
            match &spec.kind {
                ProbeKind::Dns(q) => out.push(self.dns_probe(spec.clone(), q.clone())),
                ProbeKind::Tls(t) => {
                    out.push(self.tls_probe(spec.clone(), t.clone(), Self::thresholds(panel)))
                }
                ProbeKind::Http(_) => {}
            }
        }
        Plan { probes: out, notes }
    }
}
