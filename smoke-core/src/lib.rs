//! smoke-core: the engine of smoke.
//!
//! Data flows one way: a panel file is loaded into a validated [`panel::Panel`]; the runner asks
//! each [`probe::Probe`] for one attempt; conditions turn what it observed into an
//! [`outcome::Outcome`]; [`incident::advance`] turns outcomes into incident events; reports
//! render the tick. What keeps all this between runs (the state folder, the sinks, restarts,
//! the `watch` loop and the command line) is the smoke-loop crate, which this one never names.

pub mod condition;
pub mod incident;
pub mod observation;
pub mod outcome;
pub mod panel;
pub mod plan;
pub mod probe;
pub mod report;
pub mod runner;
pub mod text;
pub mod units;

#[cfg(feature = "http")]
pub mod http;
