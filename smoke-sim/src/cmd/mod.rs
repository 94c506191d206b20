//! The subcommands of the `smoke-sim` binary, one module each.

pub mod bench;
pub mod demo;
pub mod proc;
pub mod serve;
pub mod soak;
