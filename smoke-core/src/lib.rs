//! smoke-core: the engine of smoke.
//!
//! Data flows one way: a panel file is loaded into a validated [`panel::Panel`]; the runner asks
//! each [`probe::Probe`] for one attempt; conditions turn what it observed into an
//! [`outcome::Outcome`]; reports render the tick.

pub mod condition;
pub mod history;
pub mod incident;
#[cfg(feature = "notify")]
pub mod notify;
pub mod observation;
pub mod outcome;
pub mod panel;
pub mod plan;
pub mod probe;
pub mod process;
#[cfg(feature = "http")]
pub mod remedy;
pub mod report;
pub mod results_log;
pub mod runner;
pub mod text;
pub mod units;

#[cfg(feature = "http")]
pub mod http;

#[cfg(feature = "cli")]
pub mod cli;
