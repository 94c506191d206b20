//! Scenario tests: a real deployment on real sockets, driven by a raw HTTP client so that
//! broken replies are seen byte for byte.

mod client;
mod faults;
mod flows;
mod services;
mod sockets;
