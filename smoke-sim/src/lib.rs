//! smoke-sim: a simulated hero deployment for smoke's tests, benchmarks and demo.
//!
//! [`Deployment::start`] puts the herodemo services on Unix sockets under a temporary
//! folder (`<dir>/<service>/rpc.sock`, plus hero_os's web UI socket). Each speaks HTTP/1.1
//! with JSON-RPC 2.0 on `POST /rpc`, like the real ones, and can be switched into the
//! [`Fault`]s that broke (or could break) the real deployment, one at a time or together.

pub mod bench;
mod connection;
pub mod context;
mod deployment;
mod fault;
mod head;
mod jsonrpc;
mod listener;
mod photo;
mod prefixed;
mod router;
mod services;
mod world;

pub use deployment::{Deployment, Options, UiSocket};
pub use fault::{Fault, ParseFaultError};
pub use photo::PHOTO_NAMES;
