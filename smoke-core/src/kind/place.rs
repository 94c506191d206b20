//! [`Place`]: how a side reaches a target from where it runs. The one trait a side answers;
//! [`plan`] turns a panel into the side's probes through it, one kind at a time.

use super::dns::{DnsAnswer, DnsSpec};
use super::tcp::TcpTarget;
use super::tls::TlsSpec;
use crate::deadline::Deadline;
use crate::http::{Connection, Connector};
use crate::outcome::{Cause, Failure};
use crate::panel::{Mode, Panel, ProbeSpec};
use crate::plan::{Plan, Planned, Side};
use std::sync::Arc;

/// How a side reaches a target: a service's socket or the gateway for HTTP, a stream for TCP,
/// a resolver for DNS, a handshake for TLS. What a side cannot reach it says so as a failure,
/// so a probe it cannot run fails with the reason, never silently.
#[async_trait::async_trait]
pub trait Place: Send + Sync {
    /// Which side it plans for: internal or external.
    fn mode(&self) -> Mode;

    /// How HTTP requests go from here; `None` when this side has none (outside, no base URL).
    fn connector(&self) -> Option<Arc<dyn Connector>>;

    /// A byte stream to `target`, and what opening it cost (`dns`, `connect`). By default a
    /// host is resolved by the system and a socket path is out of reach.
    async fn stream(&self, target: &TcpTarget, deadline: Deadline) -> Result<Connection, Failure> {
        match target {
            TcpTarget::Host { host, port } => super::tcp::dial_host(host, *port, deadline).await,
            TcpTarget::Socket(_) => super::tcp::out_of_reach(target),
        }
    }

    /// Where `target` is from here, as a person reads it (`list`, a report's target): by
    /// default as written.
    fn locate(&self, target: &TcpTarget) -> String {
        target.to_string()
    }

    /// A DNS question asked from here.
    async fn ask(&self, question: &DnsSpec, _deadline: Deadline) -> DnsAnswer {
        DnsAnswer::failed(Failure::new(
            Cause::Checker,
            format!(
                "dns {}: DNS questions are asked from outside only",
                question.name
            ),
        ))
    }

    /// A TLS handshake with `peer`, and the certificate it showed.
    async fn handshake(&self, peer: &TlsSpec, _deadline: Deadline) -> Result<Connection, Failure> {
        Err(Failure::new(
            Cause::Checker,
            format!(
                "tls {}:{}: certificates are checked from outside only",
                peer.host, peer.port
            ),
        ))
    }

    /// What a client that resolves and verifies on its own (a browser) must be told so it
    /// reaches `host:port` as this side's probes do: the address this side's resolvers give
    /// and, over TLS, the key of the certificate this side verified against its roots. By
    /// default nothing: the client's system resolver and CAs are this side's too. A name that
    /// does not resolve, or a certificate that does not verify, fails as an HTTP probe's would.
    async fn pin(
        &self,
        _host: &str,
        _port: u16,
        _tls: bool,
        _deadline: Deadline,
    ) -> Result<Pin, Failure> {
        Ok(Pin::default())
    }

    /// The checks this side makes of its own, beside the panel's (the outside's public DNS and
    /// TLS): planned first, named by a mute or a `depends_on` like any probe.
    fn own_probes(&self, _panel: &Panel) -> Vec<ProbeSpec> {
        Vec::new()
    }

    /// The check every request through [`Place::connector`] depends on, by name (the public
    /// certificate outside), among `own`, this side's [`Place::own_probes`]: a broken way in is
    /// one alarm, not one per probe.
    fn way_in(&self, _own: &[ProbeSpec]) -> Option<String> {
        None
    }
}

/// What [`Place::pin`] found for one host: each part `None` where the system's own
/// resolver or CAs decide, as this side's do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pin {
    /// The address the side's resolvers gave, that accepted a connection.
    pub address: Option<std::net::IpAddr>,
    /// SHA-256 of the SubjectPublicKeyInfo of the certificate the host showed, verified
    /// against the side's roots (a private CA's, `[external] ca_file`).
    pub key_sha256: Option<[u8; 32]>,
}

/// A tick's planning on one side: what each kind's [`super::Kind::plan`] is handed.
pub(crate) struct Planning<'a> {
    pub(crate) panel: &'a Panel,
    pub(crate) place: Arc<dyn Place>,
    pub(crate) only: &'a [String],
    /// The services a `for_each` template expands over: listed once a tick, when the panel
    /// has a template on this side.
    pub(crate) services: Result<Vec<String>, Failure>,
    /// Why the supervisor could not list them, when the names came from elsewhere.
    pub(crate) supervisor_failed: Option<Failure>,
    pub(crate) way_in: Option<String>,
    /// The tick's browsers, shared by its browse probes: one start per tick, not per page.
    #[cfg(feature = "browser")]
    pub(crate) browsers: Arc<crate::browser::Browsers>,
    pub(crate) out: Plan,
}

impl Planning<'_> {
    /// Adds a planned probe.
    pub(crate) fn push(&mut self, planned: Planned) {
        self.out.probes.push(planned);
    }
}

/// The probes of `panel` that run on `place`'s side, its own first, `--only` applied, in panel
/// order; a `for_each` template stands where it is written, expanded.
pub async fn plan(panel: &Panel, place: Arc<dyn Place>, only: &[String]) -> Plan {
    let mode = place.mode();
    let own = place.own_probes(panel);
    let probes: Vec<&ProbeSpec> = own
        .iter()
        .chain(panel.probes.iter().filter(|p| p.runs_in(mode)))
        .collect();
    let mut notes = Vec::new();
    let mut unprobed = Vec::new();
    let mut supervisor_failed = None;
    let services = match place.connector() {
        Some(connector) if probes.iter().any(|p| p.for_each_service) => connector
            .services(panel.defaults.settings.timeout)
            .await
            .map(|list| {
                notes = list.cuts;
                supervisor_failed = list.supervisor_failed;
                unprobed = list.unprobed;
                crate::http::service_names(list.names)
            }),
        _ => Ok(Vec::new()),
    };
    let mut planning = Planning {
        panel,
        way_in: place.way_in(&own),
        place,
        only,
        services,
        supervisor_failed,
        #[cfg(feature = "browser")]
        browsers: Arc::default(),
        out: Plan {
            probes: Vec::new(),
            notes,
            unprobed,
        },
    };
    for spec in probes {
        // A template is picked by its expansions' names too: its kind decides.
        if spec.for_each_service || spec.selected_by(only) {
            spec.kind.plan(spec, &mut planning);
        }
    }
    planning.out
}

/// Every place is a side: the loop plans, lists and mutes through this.
#[async_trait::async_trait]
impl<P: Place + Clone + 'static> Side for P {
    async fn plan(&self, panel: &Panel, only: &[String]) -> Plan {
        plan(panel, Arc::new(self.clone()), only).await
    }

    fn own_checks(&self, panel: &Panel) -> Vec<String> {
        let mut names = Vec::new();
        for p in self.own_probes(panel) {
            names.push(p.name);
            names.extend(p.settings.tags);
        }
        names
    }
}
