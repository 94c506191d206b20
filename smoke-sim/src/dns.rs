//! The deployment's DNS: an authoritative server for `smoke.test.` on a loopback port, so a
//! client can resolve the public host without touching the machine's resolver.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Edns, Header, HeaderCounts, LowerQuery, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, SOA};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};
use hickory_server::net::runtime::Time;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use hickory_server::Server;
use tokio::net::{TcpListener, UdpSocket};

use crate::certs::{OTHER_HOST, PUBLIC_HOST};
use crate::fault::Fault;
use crate::world::World;

/// The zone the server is authoritative for.
pub const ZONE: &str = "smoke.test.";
/// Short, so a client that caches sees a fault switched on within seconds.
pub const TTL: u32 = 5;
/// A TCP client that sends nothing is dropped after this.
const TCP_IDLE: Duration = Duration::from_secs(5);
/// Responses queued per TCP connection.
const TCP_RESPONSE_BUFFER: usize = 16;

/// A running DNS server; dropping it stops it.
pub struct Dns {
    addr: SocketAddr,
    // Its tasks live in the server's join set and are aborted when it is dropped.
    _server: Server<Zone>,
}

/// Ports tried for a UDP and TCP pair before settling for UDP alone.
const BIND_ATTEMPTS: usize = 16;

impl Dns {
    /// Binds UDP on an ephemeral loopback port and TCP on the same port. Another process may
    /// hold the TCP side of the port the kernel picked for UDP: a few other ports are tried
    /// before the server settles for UDP alone (what clients use first).
    pub async fn start(world: Arc<World>) -> io::Result<Dns> {
        let mut server = Server::new(Zone::new(world)?);
        for _ in 0..BIND_ATTEMPTS {
            let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
            let addr = udp.local_addr()?;
            if let Ok(tcp) = TcpListener::bind(addr).await {
                server.register_socket(udp);
                server.register_listener(tcp, TCP_IDLE, TCP_RESPONSE_BUFFER);
                return Ok(Dns {
                    addr,
                    _server: server,
                });
            }
        }
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = udp.local_addr()?;
        tracing::debug!(%addr, "DNS over TCP not available: no free TCP port beside a UDP one");
        server.register_socket(udp);
        Ok(Dns {
            addr,
            _server: server,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// What the zone holds, and the faults that can bend its answers.
pub struct Zone {
    world: Arc<World>,
    origin: LowerName,
    public: LowerName,
    soa: Record,
    records: Vec<Record>,
}

/// The reply to one question.
#[derive(Debug)]
struct Answer<'a> {
    code: ResponseCode,
    authoritative: bool,
    answers: Vec<&'a Record>,
    authority: Vec<&'a Record>,
}

impl Answer<'_> {
    fn bare(code: ResponseCode) -> Self {
        Answer {
            code,
            authoritative: false,
            answers: Vec::new(),
            authority: Vec::new(),
        }
    }
}

fn name(text: &str) -> io::Result<Name> {
    Name::from_str(text).map_err(io::Error::other)
}

impl Zone {
    fn new(world: Arc<World>) -> io::Result<Zone> {
        let origin = name(ZONE)?;
        let public = name(&format!("{PUBLIC_HOST}."))?;
        let other = name(&format!("{OTHER_HOST}."))?;
        let soa = SOA::new(
            name(&format!("ns.{ZONE}"))?,
            name(&format!("hostmaster.{ZONE}"))?,
            1,
            3600,
            600,
            86400,
            TTL,
        );
        let soa = Record::from_rdata(origin.clone(), TTL, RData::SOA(soa));
        let records = vec![
            Record::from_rdata(public.clone(), TTL, RData::A(A(Ipv4Addr::LOCALHOST))),
            Record::from_rdata(public.clone(), TTL, RData::AAAA(AAAA(Ipv6Addr::LOCALHOST))),
            Record::from_rdata(other, TTL, RData::A(A(Ipv4Addr::LOCALHOST))),
        ];
        Ok(Zone {
            world,
            origin: LowerName::new(&origin),
            public: LowerName::new(&public),
            soa,
            records,
        })
    }

    fn answer(&self, query: &LowerQuery) -> Answer<'_> {
        if self.world.has(&Fault::DnsServfail) {
            return Answer::bare(ResponseCode::ServFail);
        }
        let qname = query.name();
        if !self.origin.zone_of(qname) {
            // Not ours, and we do not recurse.
            return Answer::bare(ResponseCode::Refused);
        }
        let hidden = *qname == self.public && self.world.has(&Fault::DnsNxdomain);
        let at_name: Vec<&Record> = if *qname == self.origin {
            vec![&self.soa]
        } else if hidden {
            Vec::new()
        } else {
            self.records
                .iter()
                .filter(|r| LowerName::new(&r.name) == *qname)
                .collect()
        };
        let negative = |code| Answer {
            code,
            authoritative: true,
            answers: Vec::new(),
            // The SOA tells a resolver how long it may cache the negative answer.
            authority: vec![&self.soa],
        };
        if at_name.is_empty() {
            return negative(ResponseCode::NXDomain);
        }
        let qtype = query.query_type();
        let answers: Vec<&Record> = at_name
            .into_iter()
            .filter(|r| qtype == RecordType::ANY || r.record_type() == qtype)
            .collect();
        if answers.is_empty() {
            return negative(ResponseCode::NoError);
        }
        Answer {
            code: ResponseCode::NoError,
            authoritative: true,
            answers,
            authority: Vec::new(),
        }
    }
}

#[async_trait::async_trait]
impl RequestHandler for Zone {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        // A client that speaks EDNS expects it back, with the payload size it can take.
        let edns = request.edns.as_ref().map(|asked| {
            let mut edns = Edns::new();
            edns.set_max_payload(asked.max_payload().max(512));
            edns
        });
        let answer = match (request.metadata.op_code, request.queries.queries()) {
            (OpCode::Query, [query]) => self.answer(query),
            (OpCode::Query, _) => Answer::bare(ResponseCode::FormErr),
            _ => Answer::bare(ResponseCode::NotImp),
        };
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.response_code = answer.code;
        metadata.authoritative = answer.authoritative;
        let mut builder = MessageResponseBuilder::from_message_request(request);
        if let Some(edns) = &edns {
            builder.edns(edns);
        }
        let response = builder.build(
            metadata,
            answer.answers,
            answer.authority,
            std::iter::empty(),
            std::iter::empty(),
        );
        match response_handle.send_response(response).await {
            Ok(info) => info,
            Err(e) => {
                tracing::debug!(error = %e, "DNS response not sent");
                // What the server reports for a request it could not answer.
                let mut metadata = Metadata::response_from_request(&request.metadata);
                metadata.response_code = ResponseCode::ServFail;
                Header {
                    metadata,
                    counts: HeaderCounts::default(),
                }
                .into()
            }
        }
    }
}
