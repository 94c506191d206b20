//! What judging one observation may cost. A watched service chooses its body, so every parse
//! and query on it is bounded by a named limit or by the probe's deadline, and hitting one is a
//! failure of the answer (`protocol`) or of the time (`timeout`), never a hang.

#[cfg(feature = "html")]
use std::cell::OnceCell;
use std::time::Instant;

use crate::observation::{JsonError, Observation};
use crate::outcome::Cause;

/// How deep an HTML body may nest elements: the depth at which browsers' own parsers stop
/// nesting. The tree builder scans its stack of open elements on most tags, so depth is what
/// turns a large body into a quadratic parse.
pub const MAX_HTML_DEPTH: usize = 512;

/// How many elements an HTML body may have; large real pages have a few tens of thousands.
pub const MAX_HTML_ELEMENTS: usize = 100_000;

/// How many JSON nodes a JSONPath query may yield. When it yields more than one, they are
/// copied into one list, and the values nested in each count too.
pub const MAX_QUERY_NODES: usize = 100_000;

/// A bound that judging an observation ran into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Limit {
    /// The body is not JSON, or nests too deep to read.
    #[error("{0}")]
    Json(JsonError),
    /// The HTML body nests deeper than [`MAX_HTML_DEPTH`].
    #[error("the body is HTML nested deeper than {} elements", MAX_HTML_DEPTH)]
    HtmlDepth,
    /// The HTML body has more than [`MAX_HTML_ELEMENTS`] elements.
    #[error("the body has more than {} HTML elements", MAX_HTML_ELEMENTS)]
    HtmlElements,
    /// A JSON query yields more than [`MAX_QUERY_NODES`] nodes.
    #[error(
        "the query of `{condition}` yields more than {max} JSON nodes: narrow the query",
        max = MAX_QUERY_NODES
    )]
    QueryNodes {
        /// The condition as written (the compiled query does not print back as written).
        condition: String,
    },
    /// The probe's deadline passed before the conditions were judged.
    #[error("the conditions were not judged by the probe's deadline")]
    Deadline,
}

impl Limit {
    /// A limit of the answer is the service's doing (`protocol`); running out of time is a
    /// `timeout`.
    pub fn cause(&self) -> Cause {
        match self {
            Limit::Deadline => Cause::Timeout,
            _ => Cause::Protocol,
        }
    }
}

/// One judging of one observation: the conditions of an attempt share it, so the body is
/// parsed as HTML at most once however many `html()` conditions there are (the JSON is cached
/// in the observation itself).
pub struct Evaluation<'a> {
    pub(crate) obs: &'a Observation,
    deadline: Option<Instant>,
    #[cfg(feature = "html")]
    html: OnceCell<Result<scraper::Html, Limit>>,
}

impl<'a> Evaluation<'a> {
    /// Judging without a deadline, for callers that bound the time themselves.
    pub fn new(obs: &'a Observation) -> Self {
        Evaluation {
            obs,
            deadline: None,
            #[cfg(feature = "html")]
            html: OnceCell::new(),
        }
    }

    /// Judging that gives up with [`Limit::Deadline`] once `deadline` has passed.
    pub fn until(obs: &'a Observation, deadline: Instant) -> Self {
        Evaluation {
            deadline: Some(deadline),
            ..Evaluation::new(obs)
        }
    }

    /// What is being judged.
    pub(crate) fn observation(&self) -> &'a Observation {
        self.obs
    }

    /// Fails once the deadline has passed; long loops call it every so often.
    pub(crate) fn in_time(&self) -> Result<(), Limit> {
        match self.deadline {
            Some(d) if Instant::now() >= d => Err(Limit::Deadline),
            _ => Ok(()),
        }
    }

    /// The body as an HTML document, parsed once within the limits.
    #[cfg(feature = "html")]
    pub(crate) fn html(&self) -> Result<&scraper::Html, Limit> {
        self.html
            .get_or_init(|| super::html::parse(&self.obs.text(), self))
            .as_ref()
            .map_err(Clone::clone)
    }
}
