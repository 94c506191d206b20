//! smoke-sim: a simulated hero deployment for smoke's tests, benchmarks and demo.
//!
//! [`Deployment::start`] puts the herodemo services on Unix sockets under a temporary
//! folder (`<dir>/<service>/rpc.sock`, plus hero_os's web UI socket). Each speaks HTTP/1.1
//! with JSON-RPC 2.0 on `POST /rpc`, like the real ones, and can be switched into the
//! [`Fault`]s that broke (or could break) the real deployment, one at a time or together.
//!
//! [`Options::layout`] picks which hero it stands for: the seed's herodemo, or the hero projects
//! as documented today ([`Layout`]); only where those differ does the simulation change.
//!
//! With [`Options::external`] it also shows the outside view: a TLS gateway routing like
//! hero_router on a loopback port, certificates from a test CA, and a DNS server for
//! [`PUBLIC_HOST`], each with faults of its own.

pub mod bench;
pub mod browse_bench;
mod certs;
pub mod checkout;
pub mod cli;
pub mod cmd;
mod connection;
pub mod context;
pub mod coverage;
mod deployment;
mod dns;
mod external;
pub mod fakes;
mod fault;
mod gateway;
mod head;
pub mod history;
mod jsonrpc;
mod layout;
mod listener;
mod photo;
mod prefixed;
pub mod relay_bench;
mod router;
mod services;
pub mod soak;
pub mod state_folder;
mod world;

pub use certs::PUBLIC_HOST;
pub use deployment::{Deployment, Options, UiSocket};
pub use fault::{Fault, ParseFaultError, SLOW_DELAY};
pub use gateway::{DEFAULT_TIMEOUT as DEFAULT_GATEWAY_TIMEOUT, SLOW_DELAY as GATEWAY_SLOW_DELAY};
pub use layout::{Layout, ParseLayoutError, LAYOUTS};
pub use photo::{PHOTO_NAMES, RENAMED_PHOTO_NAMES};
