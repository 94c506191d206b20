//! [`Place::pin`](smoke_core::engine::Place::pin) outside: the browser goes where the panel's
//! resolvers say, and accepts the key smoke verified against the panel's `ca_file`. Asked for
//! only what differs from the system's: no resolvers of the panel's own and no `ca_file` is
//! nothing to pin, and nothing is asked.

use crate::connector::addresses;
use crate::{cert, Dns, Tls};
use smoke_core::engine::{tcp::connect, Phase, Pin};
use smoke_core::prelude::{Cause, Deadline, Failure};
use std::net::IpAddr;

/// Resolves `host` with `dns` (unless the system's resolver is the panel's too), connects to
/// the first address that accepts, as an HTTP probe does, and over TLS with a private CA
/// verifies the certificate it shows with `tls`: that address and that key are the pin.
pub(crate) async fn pin(
    dns: &Dns,
    tls: &Tls,
    host: &str,
    port: u16,
    over_tls: bool,
    deadline: Deadline,
) -> Result<Pin, Failure> {
    let named = host.trim_matches(['[', ']']).parse::<IpAddr>().is_err();
    let resolves = named && !dns.is_system();
    let verifies = over_tls && tls.has_private_roots();
    if !resolves && !verifies {
        return Ok(Pin::default());
    }
    let (ips, _) = dns.addresses(host, deadline.remaining()).await;
    let ips = ips?;
    let left = deadline.remaining();
    let tcp = deadline
        .bound(connect(&addresses(&ips, port)))
        .await
        .map_err(|_| Failure::timeout(Phase::Connect, left))??;
    let address = match resolves {
        true => Some(tcp.peer_addr().map_err(|e| {
            Failure::at(
                Cause::Connect,
                Phase::Connect,
                format!("the connection to {host} closed at once: {e}"),
            )
        })?),
        false => None,
    };
    let mut key_sha256 = None;
    if verifies {
        let left = deadline.remaining();
        let (stream, _) = deadline
            .bound(tls.handshake(tcp, host))
            .await
            .map_err(|_| Failure::timeout(Phase::Tls, left))??;
        let leaf = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first());
        let Some(key) = leaf.and_then(cert::key_sha256) else {
            return Err(Failure::at(
                Cause::Tls,
                Phase::Tls,
                format!("the certificate of {host} verified, but its key could not be read"),
            ));
        };
        key_sha256 = Some(key);
    }
    Ok(Pin {
        address: address.map(|a| a.ip()),
        key_sha256,
    })
}
