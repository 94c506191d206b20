//! DNS through hickory, asked of the panel's resolvers: `"system"` (resolv.conf) or
//! `ip[:port]` servers, so the check does not depend on what the OS caches.

use crate::SetupError;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType as HRecordType};
use hickory_resolver::TokioResolver;
use smoke_core::engine::{
    dns::{answer_failure, DnsAnswer},
    DnsInfo, RecordType,
};
use smoke_core::{
    engine::Phase,
    prelude::{Cause, Failure},
};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// A resolver for one panel.
pub struct Dns {
    resolver: TokioResolver,
    /// It asks the servers of resolv.conf, as everything else on the host does.
    system: bool,
}

impl Dns {
    /// A resolver that asks `resolvers` (`["system"]` or `["1.1.1.1", "127.0.0.1:5353"]`).
    pub fn new(resolvers: &[String]) -> Result<Dns, SetupError> {
        let system = resolvers.is_empty() || resolvers.iter().any(|r| r == "system");
        let mut builder = if system {
            TokioResolver::builder_tokio().map_err(|e| SetupError::SystemDns(e.to_string()))?
        } else {
            let servers = resolvers
                .iter()
                .map(|r| name_server(r))
                .collect::<Result<Vec<_>, _>>()?;
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(servers),
                TokioRuntimeProvider::default(),
            )
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        // Each probe asks afresh: a cached answer would hide a record that just broke.
        opts.cache_size = 0;
        opts.attempts = 1;
        opts.use_hosts_file = hickory_resolver::config::ResolveHosts::Never;
        let resolver = builder
            .build()
            .map_err(|e| SetupError::DnsSetup(e.to_string()))?;
        Ok(Dns { resolver, system })
    }

    /// Whether it asks the system's servers (`resolvers = ["system"]`, or none given) rather
    /// than the panel's own.
    pub fn is_system(&self) -> bool {
        self.system
    }

    /// Asks for `record` of `name`, giving up after `timeout`.
    pub async fn ask(&self, name: &str, record: RecordType, timeout: Duration) -> DnsAnswer {
        let started = Instant::now();
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let lookup = self.resolver.lookup(fqdn.as_str(), hrecord(record));
        let result = match tokio::time::timeout(timeout, lookup).await {
            Err(_) => Err(Failure::at(
                Cause::Dns,
                Phase::Dns,
                format!(
                    "no DNS answer for {name} within {}",
                    smoke_core::engine::format_duration(timeout)
                ),
            )),
            Ok(Ok(lookup)) => {
                let addresses: Vec<String> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| render(&r.data))
                    .collect();
                Ok(DnsInfo {
                    rcode: "NOERROR".to_string(),
                    addresses,
                })
            }
            Ok(Err(e)) => answer_of(name, &e),
        };
        DnsAnswer {
            result,
            took: started.elapsed(),
        }
    }

    /// The addresses to connect to for `host` (A, then AAAA), for the HTTP and TLS probes.
    pub async fn addresses(
        &self,
        host: &str,
        timeout: Duration,
    ) -> (Result<Vec<IpAddr>, Failure>, Duration) {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return (Ok(vec![ip]), Duration::ZERO);
        }
        let started = Instant::now();
        for record in [RecordType::A, RecordType::Aaaa] {
            let left = timeout.saturating_sub(started.elapsed());
            let info = match self.ask(host, record, left).await.result {
                Ok(info) => info,
                Err(f) => return (Err(f), started.elapsed()),
            };
            if let Some(f) = answer_failure(host, record, &info) {
                // NOERROR with no record of this type: the other type may still answer.
                if info.rcode != "NOERROR" {
                    return (Err(f), started.elapsed());
                }
                continue;
            }
            let ips = info
                .addresses
                .iter()
                .filter_map(|a| a.parse().ok())
                .collect();
            return (Ok(ips), started.elapsed());
        }
        let failure = Failure::at(
            Cause::Dns,
            Phase::Dns,
            format!("no address for {host}: no A or AAAA record"),
        );
        (Err(failure), started.elapsed())
    }
}

fn name_server(text: &str) -> Result<NameServerConfig, SetupError> {
    let addr: SocketAddr = text
        .parse()
        .or_else(|_| text.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| SetupError::Resolver(text.to_string()))?;
    let mut server = NameServerConfig::udp_and_tcp(addr.ip());
    for c in &mut server.connections {
        c.port = addr.port();
    }
    Ok(server)
}

fn hrecord(r: RecordType) -> HRecordType {
    match r {
        RecordType::A => HRecordType::A,
        RecordType::Aaaa => HRecordType::AAAA,
        RecordType::Cname => HRecordType::CNAME,
        RecordType::Mx => HRecordType::MX,
        RecordType::Ns => HRecordType::NS,
        RecordType::Txt => HRecordType::TXT,
    }
}

/// An answer record as the `dns.addresses` subject shows it.
fn render(data: &RData) -> Option<String> {
    Some(match data {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(a) => a.0.to_string(),
        RData::CNAME(c) => c.0.to_string(),
        RData::NS(n) => n.0.to_string(),
        RData::MX(m) => m.exchange.to_string(),
        RData::TXT(t) => t.to_string(),
        _ => return None,
    })
}

/// The server's answer as the `dns.*` subjects see it; only a failure to get any answer (a
/// timeout, no server reachable) is a `Failure`.
fn answer_of(name: &str, e: &NetError) -> Result<DnsInfo, Failure> {
    let rcode = match e {
        NetError::Dns(DnsError::NoRecordsFound(nr)) => nr.response_code,
        NetError::Dns(DnsError::ResponseCode(code)) => *code,
        NetError::Timeout => {
            return Err(Failure::at(
                Cause::Dns,
                Phase::Dns,
                format!("no DNS answer for {name}: timed out"),
            ))
        }
        other => {
            return Err(Failure::at(
                Cause::Dns,
                Phase::Dns,
                format!("DNS lookup of {name} failed: {other}"),
            ))
        }
    };
    Ok(DnsInfo {
        rcode: rcode_name(rcode),
        addresses: Vec::new(),
    })
}

fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".to_string(),
        ResponseCode::NXDomain => "NXDOMAIN".to_string(),
        ResponseCode::ServFail => "SERVFAIL".to_string(),
        ResponseCode::Refused => "REFUSED".to_string(),
        ResponseCode::FormErr => "FORMERR".to_string(),
        ResponseCode::NotImp => "NOTIMP".to_string(),
        other => format!("{other:?}").to_uppercase(),
    }
}
