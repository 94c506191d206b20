//! The subcommands of the `smoke-sim` binary, one module each.

pub mod serve;
