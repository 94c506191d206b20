//! smoke-core: the engine of smoke.
//!
//! Data flows one way: a panel file is loaded into a validated [`panel::Panel`]; the runner asks
//! each [`probe::Probe`] for one attempt; conditions turn what it observed into an
//! [`outcome::Outcome`]; [`incident::advance`] turns outcomes into incident events; reports
//! render the tick. What keeps all this between runs (the state folder, the sinks, restarts,
//! the `watch` loop and the command line) is the smoke-loop crate, which this one never names.
//!
//! Another service checks itself in-process with the [`prelude`]: it implements [`Probe`] to say
//! what one attempt saw, wraps it in a [`Check`] with its conditions, and hands it to
//! a [`Runner`], which names, times, retries and judges it as it does the panel's probes.
//!
//! [`Probe`]: probe::Probe
//! [`Check`]: check::Check
//! [`Runner`]: runner::Runner

#![warn(missing_docs)]

pub mod cert;
pub mod check;
pub mod condition;
pub mod deadline;
pub mod incident;
pub mod kind;
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

/// What a probe author needs, in one `use smoke_core::prelude::*;`.
pub mod prelude {
    pub use crate::check::{Check, CheckError};
    pub use crate::deadline::Deadline;
    pub use crate::observation::{Observation, Timings};
    pub use crate::outcome::Severity;
    pub use crate::outcome::{Cause, Exit, Failure, Outcome, ProbeReport, RunReport};
    pub use crate::probe::{Attempt, Probe};
    pub use crate::report::{human, json, HumanStyle};
    pub use crate::runner::Runner;
    /// `#[async_trait]` on an `impl Probe`.
    pub use async_trait::async_trait;
}
