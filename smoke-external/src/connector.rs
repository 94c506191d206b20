//! Connections to the public host: DNS (timed), TCP (timed), TLS (timed, certificate kept).
//! Every HTTP probe of the panel goes through here to `<base_url>/<service>/<socket>/...`.

use crate::{Dns, SetupError, Tls};
use smoke_core::engine::{
    http::{supervised_services, Connection, Connector, Endpoint, FirstByName, ServiceList},
    tcp::connect,
    HttpSpec, Mode, Request,
};
use smoke_core::prelude::Deadline;
use smoke_core::prelude::Timings;
use smoke_core::{
    engine::Phase,
    prelude::{Failure, Observation},
};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::time::Instant;

/// `https://host[:port][/prefix]`, taken apart once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// A path the gateway is mounted under (usually empty), without a trailing `/`.
    pub prefix: String,
}

impl BaseUrl {
    pub fn parse(url: &str) -> Result<BaseUrl, SetupError> {
        let bad = |why: &'static str| SetupError::BaseUrl {
            url: url.to_string(),
            why,
        };
        let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(bad("must start with https:// (or http://)"));
        };
        let (authority, prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let default = if tls { 443 } else { 80 };
        // `[v6]:port` keeps its brackets; anything else splits at its last colon.
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (ip, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
                (&authority[..ip.len() + 2], after.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        let port = match port {
            None => default,
            Some(p) => p.parse().map_err(|_| bad("the port is not a number"))?,
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(BaseUrl {
            tls,
            host: host.to_string(),
            port,
            prefix: prefix.to_string(),
        })
    }

    /// `host` or `host:port` when the port is not the scheme's own.
    pub fn authority(&self) -> String {
        let default = if self.tls { 443 } else { 80 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    pub fn origin(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.authority())
    }
}

/// The HTTP probes' way to the gateway.
pub struct HttpsConnector {
    base: BaseUrl,
    dns: Arc<Dns>,
    tls: Arc<Tls>,
    /// The most services taken from hero_proc's list (`[panel] max_services`).
    max_services: usize,
}

impl HttpsConnector {
    pub fn new(base: BaseUrl, dns: Arc<Dns>, tls: Arc<Tls>, max_services: usize) -> Self {
        HttpsConnector {
            base,
            dns,
            tls,
            max_services,
        }
    }
}

/// The path on the gateway: the rule `/<service>/<socket><path>`, or the probe's own.
fn gateway_path(base: &BaseUrl, spec: &HttpSpec) -> String {
    let path = match &spec.external_path {
        Some(p) => p.clone(),
        None => {
            let rest = match &spec.request {
                Request::Get { path } | Request::Post { path, .. } => path.as_str(),
                // JSON-RPC goes to the socket's root through the gateway: POST /<service>/rpc.
                Request::Rpc { path, .. } => path.as_deref().unwrap_or(""),
            };
            let rest = if rest == "/" { "/" } else { rest };
            format!("{}{rest}", spec.target.gateway_prefix())
        }
    };
    format!("{}{path}", base.prefix)
}

#[async_trait::async_trait]
impl Connector for HttpsConnector {
    fn mode(&self) -> Mode {
        Mode::External
    }

    fn endpoint(&self, spec: &HttpSpec) -> Result<Endpoint, Failure> {
        let path = gateway_path(&self.base, spec);
        Ok(Endpoint {
            address: format!("{}:{}", self.base.host, self.base.port),
            authority: self.base.authority(),
            display: format!("{}{path}", self.base.origin()),
            path,
        })
    }

    fn unrouted(&self, answer: &Observation) -> Option<String> {
        no_such_service(answer)
    }

    async fn connect(
        &self,
        _endpoint: &Endpoint,
        deadline: Deadline,
    ) -> Result<Connection, Failure> {
        dial(
            &self.dns,
            self.base.tls.then_some(&*self.tls),
            &self.base.host,
            self.base.port,
            deadline,
        )
        .await
    }

    /// Outside the VM there is no socket folder to scan: the supervisor's `service.list`,
    /// through the gateway, says which services run.
    async fn services(&self, timeout: std::time::Duration) -> Result<ServiceList, Failure> {
        let mut listed = FirstByName::new(self.max_services);
        // Names that are no service of their own (an action served by another folder's
        // socket, or by none), said by `list`: at most as many as the services kept.
        let mut unprobed = Vec::new();
        supervised_services(self, timeout, |entry| {
            for service in entry.services() {
                listed.offer(service);
            }
            if let Some(line) = entry.not_probed() {
                if unprobed.len() < self.max_services {
                    unprobed.push(line);
                }
            }
        })
        .await?;
        Ok(ServiceList {
            cuts: listed
                .cut("hero_proc's service.list", self.max_services)
                .into_iter()
                .collect(),
            names: listed.into_names().collect(),
            unprobed,
            ..ServiceList::default()
        })
    }
}

/// The gateway's own "no such service": a 404 for the route, or a 502 that says the socket is
/// not found (hero_router discovers services by their sockets: HERO.md, "The gateway"). A 502
/// for a socket that refused or broke is the service's failure, judged as such.
fn no_such_service(answer: &Observation) -> Option<String> {
    match answer.status()? {
        404 => Some("the gateway answered 404".to_string()),
        502 if says_not_found(answer.body()) => {
            Some("the gateway answered 502: no such socket".to_string())
        }
        _ => None,
    }
}

/// How much of a 502's body is read for why: a gateway says it in its first line.
const WHY_BYTES: usize = 512;

/// Whether a gateway's error body says the route's socket or service does not exist.
fn says_not_found(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(WHY_BYTES)]).to_lowercase();
    ["not found", "no such", "unknown service"]
        .iter()
        .any(|words| head.contains(words))
}

/// DNS, TCP and (when `tls` is given) TLS to `host:port`, each phase timed and bounded by
/// `deadline`.
pub async fn dial(
    dns: &Dns,
    tls: Option<&Tls>,
    host: &str,
    port: u16,
    deadline: Deadline,
) -> Result<Connection, Failure> {
    let mut timings = Timings::default();
    let (ips, took) = dns.addresses(host, deadline.remaining()).await;
    if !took.is_zero() {
        timings.dns = Some(took);
    }
    let ips = ips?;
    let (started, left) = (Instant::now(), deadline.remaining());
    let tcp = deadline
        .bound(connect(&addresses(&ips, port)))
        .await
        .map_err(|_| Failure::timeout(Phase::Connect, left))??;
    timings.connect = Some(started.elapsed());
    let Some(tls) = tls else {
        return Ok(Connection {
            stream: Box::new(tcp),
            timings,
            cert: None,
        });
    };
    let (started, left) = (Instant::now(), deadline.remaining());
    let (stream, cert) = deadline
        .bound(tls.handshake(tcp, host))
        .await
        .map_err(|_| Failure::timeout(Phase::Tls, left))??;
    timings.tls = Some(started.elapsed());
    Ok(Connection {
        stream: Box::new(stream),
        timings,
        cert,
    })
}

pub(crate) fn addresses(ips: &[IpAddr], port: u16) -> Vec<SocketAddr> {
    ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoke_core::engine::{Body, Target};

    /// Only the gateway's own "no such service" passes a target over; a hostile body costs
    /// its first [`WHY_BYTES`] bytes at most.
    #[test]
    fn only_a_404_or_a_502_that_says_not_found_is_no_such_service() {
        for (status, body, passed) in [
            (404_u16, &b""[..], true),
            (502, b"socket hero_osis_base/rpc.sock not found", true),
            (502, b"No such service: hero_osis_base", true),
            (
                502,
                b"socket hero_osis_base/rpc.sock refused the connection",
                false,
            ),
            (503, b"not found", false),
            (200, b"not found", false),
            (500, b"", false),
        ] {
            let answer = Observation::http(status, Vec::new(), body.to_vec());
            assert_eq!(
                no_such_service(&answer).is_some(),
                passed,
                "{status} {body:?}"
            );
        }
        let mut late = vec![b'x'; WHY_BYTES];
        late.extend_from_slice(b"not found");
        assert!(no_such_service(&Observation::http(502, Vec::new(), late)).is_none());
    }

    fn spec(target: &str, request: Request, external_path: Option<&str>) -> HttpSpec {
        HttpSpec {
            alternatives: Vec::new(),
            target: Target::parse(target).unwrap(),
            request,
            headers: vec![],
            context: None,
            contexts: None,
            external_path: external_path.map(str::to_string),
            max_body: 1,
            steps: Vec::new(),
        }
    }

    #[test]
    fn base_urls_come_apart() {
        let b = BaseUrl::parse("https://herodemo.gent01.grid.tf").unwrap();
        assert_eq!(
            (b.tls, b.host.as_str(), b.port, b.prefix.as_str()),
            (true, "herodemo.gent01.grid.tf", 443, "")
        );
        assert_eq!(b.authority(), "herodemo.gent01.grid.tf");
        let b = BaseUrl::parse("https://herodemo.smoke.test:8443/demo/").unwrap();
        assert_eq!((b.port, b.prefix.as_str()), (8443, "/demo"));
        assert_eq!(b.origin(), "https://herodemo.smoke.test:8443");
        assert_eq!(BaseUrl::parse("http://127.0.0.1:9988").unwrap().port, 9988);
        assert!(BaseUrl::parse("ftp://x").is_err());
        assert!(BaseUrl::parse("https://x:port").is_err());
    }

    #[test]
    fn paths_follow_the_gateway_rule_unless_told_otherwise() {
        let base = BaseUrl::parse("https://h").unwrap();
        let get = |p: &str| Request::Get {
            path: p.to_string(),
        };
        assert_eq!(
            gateway_path(
                &base,
                &spec("hero_foundry/rpc", get("/api/files/x.jpg"), None)
            ),
            "/hero_foundry/rpc/api/files/x.jpg"
        );
        assert_eq!(
            gateway_path(&base, &spec("hero_os/ui", get("/"), None)),
            "/hero_os/ui/"
        );
        let rpc = Request::Rpc {
            method: "m".into(),
            params: None,
            path: None,
        };
        assert_eq!(
            gateway_path(&base, &spec("hero_osis_business/rpc", rpc, None)),
            "/hero_osis_business/rpc"
        );
        assert_eq!(
            gateway_path(
                &base,
                &spec(
                    "hero_embedder/rpc",
                    get("/health"),
                    Some("/hero_embedder/health")
                )
            ),
            "/hero_embedder/health"
        );
        let post = Request::Post {
            path: "/q".into(),
            body: Body::Empty,
        };
        let base = BaseUrl::parse("https://h/demo").unwrap();
        assert_eq!(
            gateway_path(&base, &spec("s/rpc", post, None)),
            "/demo/s/rpc/q"
        );
    }
}
