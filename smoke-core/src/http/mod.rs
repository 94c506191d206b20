//! The HTTP engine: one fresh HTTP/1.1 exchange over any stream, with a deadline on every phase.
//!
//! A [`Connector`] only makes the stream (a Unix socket inside the VM, DNS + TCP + TLS from
//! outside); everything after that is shared, so both sides judge the same bytes the same way.

mod exchange;
mod flow;
mod in_turn;
mod probe;
mod request;
mod services;
mod supervisor;

pub use crate::kind::http::UNLISTED;
pub(crate) use exchange::{exchange, Limits};
pub(crate) use flow::FlowProbe;
pub(crate) use in_turn::Candidate;
pub(crate) use probe::HttpProbe;
pub use request::call_rpc;
pub(crate) use request::read_rpc;
pub(crate) use services::service_names;
pub use services::{FirstByName, ServiceList};
pub use supervisor::{supervised_services, supervisor, Listed};

use crate::deadline::Deadline;
use crate::observation::{CertInfo, Observation, Timings};
use crate::outcome::Failure;
use crate::panel::{HttpSpec, Mode};
use tokio::io::{AsyncRead, AsyncWrite};

/// The header that picks the data context.
pub(crate) const CONTEXT_HEADER: &str = "x-hero-context";
pub(crate) const USER_AGENT: &str = concat!("smoke/", env!("CARGO_PKG_VERSION"));

/// Any byte stream a connector can hand over.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// Where one probe's request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// What the connector dials: a socket path, or `host:port`.
    pub address: String,
    /// The `Host` header.
    pub authority: String,
    /// Path and query of the request.
    pub path: String,
    /// How a person reads it: the socket path plus path, or the URL.
    pub display: String,
}

/// A fresh, unpooled connection and what making it cost.
pub struct Connection {
    /// The open stream, ready for the request.
    pub stream: Box<dyn Stream>,
    /// The phases up to here (`dns`, `connect`, `tls`).
    pub timings: Timings,
    /// The peer certificate, when TLS was spoken.
    pub cert: Option<CertInfo>,
}

/// Makes connections for one side (internal or external).
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    /// Which side it connects from: internal or external.
    fn mode(&self) -> Mode;

    /// Where an HTTP probe goes from this side, or why it can go nowhere (a `checker` failure:
    /// the probe is reported failing with it, never silently skipped).
    fn endpoint(&self, spec: &HttpSpec) -> Result<Endpoint, Failure>;

    /// Whether `endpoint` is known not to be there on this side without asking it (inside: no
    /// socket file): a probe trying targets in turn (`target = [..]`) passes over it for the
    /// next. Never said of the last target, which is always asked.
    fn absent(&self, _endpoint: &Endpoint) -> bool {
        false
    }

    /// Why `answer` says its route leads to no service (outside: the gateway's 404, or its 502
    /// for a socket it cannot find), if it does: a probe trying targets in turn passes over
    /// it for the next. A service that is there and broken is no such answer.
    fn unrouted(&self, _answer: &Observation) -> Option<String> {
        None
    }

    /// Opens a fresh connection, giving up at `deadline` with a timeout failure of its phase.
    async fn connect(&self, endpoint: &Endpoint, deadline: Deadline)
        -> Result<Connection, Failure>;

    /// The services a `for_each = "service"` probe expands over, sorted, at most the panel's
    /// `max_services` of each list, and what that cap cut. `timeout` bounds the asking, where
    /// asking means a request (the supervisor).
    async fn services(&self, timeout: std::time::Duration) -> Result<ServiceList, Failure>;

    /// Why a `for_each` template is not expanded for `target`'s service here, if it is not:
    /// the service is seen to serve other sockets but not this one (inside, a folder with
    /// `admin.sock` and no `rpc.sock`). A service with no socket at all is probed, and fails.
    fn unserved(&self, _target: &crate::panel::Target) -> Option<String> {
        None
    }

    /// The name the supervisor runs `target`'s socket under, when its list said which sockets
    /// each name serves (`hero_os/ui.sock`: `hero_os_ui`): what a restart of the probe's
    /// service asks it to restart. `None`: the target's service, by its folder's name.
    fn supervised_as(&self, _target: &crate::panel::Target) -> Option<String> {
        None
    }

    /// What earlier ticks saw of the deployment ([`Connector::seen`]), handed back before this
    /// one plans: a socket seen on an earlier tick and gone now is a failure, not a service
    /// that never served it. Whoever runs the ticks keeps it between processes.
    fn recall(&self, _seen: &[String]) {}

    /// What this connector has seen of the deployment that a later tick must know (inside: the
    /// sockets that were there), bounded by the connector.
    fn seen(&self) -> Vec<String> {
        Vec::new()
    }
}
