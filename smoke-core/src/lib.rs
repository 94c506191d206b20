//! smoke-core: the engine of smoke.
//!
//! Data flows one way: a panel file is loaded into a validated [`Panel`]; the runner asks
//! each [`Probe`] for one attempt; conditions turn what it observed into an
//! [`Outcome`]; [`advance`] turns outcomes into incident events; reports
//! render the tick. What keeps all this between runs (the state folder, the sinks, restarts,
//! the `watch` loop and the command line) is the smoke-loop crate, which this one never names.
//!
//! Another service checks itself in-process with the [`prelude`]: it implements [`Probe`] to say
//! what one attempt saw, wraps it in a [`Check`] with its conditions, and hands it to
//! a [`Runner`], which names, times, retries and judges it as it does the panel's probes.
//!
//! The [`engine`] is the rest of the face: what the smoke binaries build on.
//!
//! [`Panel`]: engine::Panel
//! [`advance`]: engine::advance
//! [`Outcome`]: prelude::Outcome
//! [`Probe`]: prelude::Probe
//! [`Check`]: prelude::Check
//! [`Runner`]: prelude::Runner

#![warn(missing_docs)]
// Every type a public signature shows is named in the prelude or the engine, so a user can
// write it down and the docs link it.
#![warn(unnameable_types)]

mod cert;
mod check;
mod condition;
mod deadline;
pub mod engine;
mod files;
mod incident;
mod kind;
mod observation;
mod outcome;
mod panel;
mod plan;
mod probe;
mod report;
mod runner;
mod shape;
mod text;
mod units;

#[cfg(feature = "http")]
mod http;

#[cfg(feature = "browser")]
mod browser;

/// What a probe author needs, in one `use smoke_core::prelude::*;`.
pub mod prelude {
    pub use crate::check::{Check, CheckError};
    pub use crate::deadline::Deadline;
    pub use crate::observation::{Observation, Timings};
    pub use crate::outcome::Severity;
    pub use crate::outcome::{
        Cause, Exit, Failure, Outcome, ProbeReport, RunReport, Screenshot, MAX_SCREENSHOT,
    };
    pub use crate::probe::{Attempt, Probe};
    pub use crate::report::{human, json, HumanStyle};
    pub use crate::runner::Runner;
    /// `#[async_trait]` on an `impl Probe`.
    pub use async_trait::async_trait;
}
