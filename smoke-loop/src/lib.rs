//! smoke-loop: the loop around smoke-core's engine.
//!
//! smoke-core turns a panel into outcomes and incident events; this crate keeps them: the state
//! folder ([`state_dir`]) with its `state.json` ([`loop_state`]: the core's incidents, the
//! outbox, the restarts), results log and history, the sinks that tell incidents ([`notify`]),
//! the restarts that repair them ([`remedy`]), quiet times ([`quiet`]), the `watch` loop with its
//! HTTP server and status page, the known-good baseline and the gate that judges against it
//! ([`known`], [`gate`]), and the command line that `smoke-internal` and `smoke-external`
//! share ([`cli`]). Data flows one way: nothing in smoke-core knows this crate.

pub mod cli;
pub mod config;
pub mod evidence;
pub mod gate;
pub mod history;
pub mod init;
pub mod known;
pub mod loop_state;
pub mod maintenance;
pub mod notify;
pub mod process;
pub mod proving;
pub mod quiet;
pub mod relay;
pub mod remedy;
pub mod results_log;
pub mod rollup;
pub mod schedule;
pub mod secret;
pub mod server;
pub mod state_dir;
pub mod status;
