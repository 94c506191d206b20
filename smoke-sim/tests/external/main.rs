//! Scenario tests of the outside view: the TLS gateway and the DNS server of a deployment
//! started with `external: true`, reached on loopback the way smoke-external reaches herodemo.

mod certs;
mod client;
mod dns;
mod faults;
mod gateway;
