//! The DNS server for `smoke.test.`: raw queries over UDP (and TCP), answers and faults.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use smoke_sim::{Deployment, Fault};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use crate::client::{external, PATIENCE};

fn query(name: &str, rtype: RecordType) -> Vec<u8> {
    let mut msg = Message::query();
    msg.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
    msg.metadata.recursion_desired = true;
    msg.to_vec().unwrap()
}

async fn ask_udp(server: SocketAddr, name: &str, rtype: RecordType) -> Message {
    let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let sent = query(name, rtype);
    sock.send_to(&sent, server).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let (n, _) = tokio::time::timeout(PATIENCE, sock.recv_from(&mut buf))
        .await
        .expect("a DNS answer in time")
        .unwrap();
    let reply = Message::from_vec(&buf[..n]).unwrap();
    assert_eq!(
        reply.metadata.id,
        Message::from_vec(&sent).unwrap().metadata.id
    );
    reply
}

async fn ask_tcp(server: SocketAddr, name: &str, rtype: RecordType) -> Message {
    let mut stream = TcpStream::connect(server).await.unwrap();
    let sent = query(name, rtype);
    stream.write_u16(sent.len() as u16).await.unwrap();
    stream.write_all(&sent).await.unwrap();
    tokio::time::timeout(PATIENCE, async {
        let len = stream.read_u16().await.unwrap();
        let mut buf = vec![0u8; len as usize];
        stream.read_exact(&mut buf).await.unwrap();
        Message::from_vec(&buf).unwrap()
    })
    .await
    .expect("a DNS answer in time")
}

fn addresses(reply: &Message) -> Vec<IpAddr> {
    reply
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect()
}

fn dns(d: &Deployment) -> SocketAddr {
    d.dns_addr().expect("started with external: true")
}

#[tokio::test]
async fn the_public_host_resolves_to_loopback() {
    let d = external().await;
    assert_eq!(dns(&d).ip(), Ipv4Addr::LOCALHOST);
    let reply = ask_udp(dns(&d), "herodemo.smoke.test.", RecordType::A).await;
    assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
    assert!(reply.metadata.authoritative);
    assert_eq!(addresses(&reply), [IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    assert!(reply.answers.iter().all(|r| r.ttl <= 5));

    let v6 = ask_udp(dns(&d), "herodemo.smoke.test.", RecordType::AAAA).await;
    assert_eq!(addresses(&v6), [IpAddr::V6(Ipv6Addr::LOCALHOST)]);
    let other = ask_udp(dns(&d), "other.smoke.test.", RecordType::A).await;
    assert_eq!(addresses(&other), [IpAddr::V4(Ipv4Addr::LOCALHOST)]);

    let tcp = ask_tcp(dns(&d), "herodemo.smoke.test.", RecordType::A).await;
    assert_eq!(addresses(&tcp), [IpAddr::V4(Ipv4Addr::LOCALHOST)]);
}

#[tokio::test]
async fn unknown_names_in_the_zone_do_not_exist() {
    let d = external().await;
    let reply = ask_udp(dns(&d), "nope.smoke.test.", RecordType::A).await;
    assert_eq!(reply.metadata.response_code, ResponseCode::NXDomain);
    assert!(reply.answers.is_empty());
    // A known name without that record type exists, with no answer.
    let reply = ask_udp(dns(&d), "other.smoke.test.", RecordType::AAAA).await;
    assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
    assert!(reply.answers.is_empty());
    // Names outside the zone are not ours to answer.
    let reply = ask_udp(dns(&d), "example.com.", RecordType::A).await;
    assert_eq!(reply.metadata.response_code, ResponseCode::Refused);
}

#[tokio::test]
async fn nxdomain_hides_only_the_public_host() {
    let d = external().await;
    d.set(Fault::DnsNxdomain);
    let reply = ask_udp(dns(&d), "herodemo.smoke.test.", RecordType::A).await;
    assert_eq!(reply.metadata.response_code, ResponseCode::NXDomain);
    assert!(addresses(&reply).is_empty());
    let other = ask_udp(dns(&d), "other.smoke.test.", RecordType::A).await;
    assert_eq!(other.metadata.response_code, ResponseCode::NoError);
    d.clear(&Fault::DnsNxdomain);
    let back = ask_udp(dns(&d), "herodemo.smoke.test.", RecordType::A).await;
    assert_eq!(addresses(&back), [IpAddr::V4(Ipv4Addr::LOCALHOST)]);
}

#[tokio::test]
async fn servfail_fails_every_query() {
    let d = external().await;
    d.set(Fault::DnsServfail);
    for name in ["herodemo.smoke.test.", "nope.smoke.test.", "example.com."] {
        let reply = ask_udp(dns(&d), name, RecordType::A).await;
        assert_eq!(
            reply.metadata.response_code,
            ResponseCode::ServFail,
            "{name}"
        );
    }
    let tcp = ask_tcp(dns(&d), "herodemo.smoke.test.", RecordType::A).await;
    assert_eq!(tcp.metadata.response_code, ResponseCode::ServFail);
}
