//! A probe's targets tried in turn (`target = ["hero_osis_base/rpc", "hero_osis/rpc"]`): the first
//! that is there on this side answers it, so one panel probes a deployment before and after a
//! service moves (HERO.md, "OSIS": the per-domain sockets are legacy, one `hero_osis` RPC
//! routes by method prefix). "There" is the side's to say ([`Connector::absent`] before
//! asking, [`Connector::unrouted`] from the answer); a target that is there and broken is
//! judged as it is, never passed over.

use super::request::{fetch, Fetch};
use super::{Connector, Endpoint};
use crate::observation::Observation;
use crate::outcome::{Cause, Failure};
use crate::panel::HttpSpec;

/// One target of a probe and where it goes from this side.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// The target as the panel wrote it (`hero_osis/rpc`): what the report names.
    pub(crate) label: String,
    pub(crate) endpoint: Endpoint,
}

/// What trying the targets in turn came to.
pub(crate) struct Reached {
    /// The answer of the target used, or why it gave none.
    pub(crate) result: Result<Observation, Failure>,
    /// Which candidate that was.
    pub(crate) used: usize,
    /// The ones passed over before it, each with why (`hero_osis_base/rpc (no socket file)`).
    pub(crate) passed_over: Vec<String>,
}

/// `detail` of the target `used`, with the targets `passed_over` said too, so the one line
/// tells every place the probe looked: those before it, or, when none was there and the first
/// answers for all, the others.
pub(crate) fn explain(passed_over: &[String], used: usize, detail: &str) -> String {
    match (passed_over.is_empty(), used) {
        (true, _) => detail.to_string(),
        (false, 0) => format!(
            "{detail}; nor is another target there: {}",
            passed_over.join(", ")
        ),
        (false, _) => format!("not there: {}; then {detail}", passed_over.join(", ")),
    }
}

/// The candidates in turn: one that is not there is passed over for the next, and the first
/// that is there answers. With none there, the first answers for all (the panel's first
/// choice is the one to name), the others said beside it. Every try shares `how`'s deadline.
pub(crate) async fn first_there(
    connector: &dyn Connector,
    candidates: &[Candidate],
    spec: &HttpSpec,
    how: Fetch<'_>,
) -> Reached {
    let mut passed_over = Vec::new();
    // The answer of the first target asked and found to lead nowhere (outside), kept to be the
    // probe's when no other is there.
    let mut first_answer = None;
    for (used, c) in candidates.iter().enumerate() {
        if candidates.len() > 1 && connector.absent(&c.endpoint) {
            passed_over.push((used, format!("{} (no socket file)", c.label)));
            continue;
        }
        let result = fetch(connector, &c.endpoint, spec, how).await;
        if candidates.len() > 1 {
            if let Some(why) = result.as_ref().ok().and_then(|o| connector.unrouted(o)) {
                passed_over.push((used, format!("{} ({why})", c.label)));
                first_answer = first_answer.or(Some((used, result)));
                continue;
            }
        }
        return Reached {
            result,
            used,
            passed_over: passed_over.into_iter().map(|(_, why)| why).collect(),
        };
    }
    let (used, result) = match first_answer {
        Some(answered) => answered,
        None => match candidates.first() {
            Some(c) => (0, fetch(connector, &c.endpoint, spec, how).await),
            None => (
                0,
                Err(Failure::new(Cause::Checker, "the probe has no target")),
            ),
        },
    };
    Reached {
        result,
        used,
        passed_over: passed_over
            .into_iter()
            .filter(|(i, _)| *i != used)
            .map(|(_, why)| why)
            .collect(),
    }
}
