//! The shape of an answer, never its values: what a known-good baseline records from healthy
//! runs, and what drift is measured against (issue 24).
//!
//! A [`Shape`] is one answer's status, media type, size, the key paths of a JSON body with
//! their types and list lengths, and the elements of an HTML body counted by id and by tag. A
//! [`Baseline`] merges the shapes of several healthy runs; [`Baseline::drift`] names what moved
//! from it.
//!
//! The service chooses its body, so the walk is bounded like the judging of conditions: at most
//! [`MAX_SHAPE_NODES`] JSON nodes, [`MAX_SHAPE_DEPTH`] levels, [`MAX_SHAPE_PATHS`] paths and
//! ids, each key or id cut to [`MAX_NAME_CHARS`]. A shape that ran into a bound says so
//! (`truncated`), and drift then says nothing about what the walk did not reach.

mod baseline;
#[cfg(feature = "html")]
mod html;
mod known;

#[cfg(test)]
mod known_tests;
#[cfg(test)]
mod tests;

pub use baseline::{Baseline, Drift, DriftKind, Latency, PathStats};
pub use known::{
    DriftMode, KnownGood, LatencyHistory, NotGood, ProbeBaseline, SideBaseline, BASELINE_FORMAT,
    LATENCY_DRIFT, LATENCY_FLOOR, LATENCY_WINDOW, SLOW_TICKS,
};

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde_json::Value;

use crate::condition::cut_to;
use crate::observation::{JsonError, Observation, MAX_JSON_DEPTH};

/// How many JSON nodes one shape visits. The walk goes level by level, so past it the upper
/// levels are still whole; a list of a few thousand small objects fits.
pub const MAX_SHAPE_NODES: usize = 10_000;

/// How deep a JSON shape goes: as deep as a JSON body may nest at all, since an in-process
/// probe's document does not pass through that check.
pub const MAX_SHAPE_DEPTH: usize = MAX_JSON_DEPTH;

/// How many distinct key paths, HTML ids or HTML tags one shape keeps, each. The names are the
/// service's; a body made of fresh keys would otherwise grow the baseline file without end.
pub const MAX_SHAPE_PATHS: usize = 2_000;

/// The most chars of one JSON key, HTML id or media type kept; a longer one is cut and ends
/// with `…`, the same way every run, so it still compares equal.
pub const MAX_NAME_CHARS: usize = 200;

/// The longest key path kept, in bytes: a path is at most [`MAX_SHAPE_DEPTH`] keys, and without
/// this the paths of a hostile body could each be that many cut keys long.
pub const MAX_PATH_BYTES: usize = 1_000;

/// What a JSON value is, as a shape records it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// Any number.
    Number,
    /// A string.
    String,
    /// An array.
    List,
    /// An object.
    Object,
}

impl JsonType {
    /// The type of `value`.
    pub fn of(value: &Value) -> JsonType {
        match value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Bool,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::List,
            Value::Object(_) => JsonType::Object,
        }
    }
}

impl JsonType {
    /// Every type, in their order.
    const ALL: [JsonType; 6] = [
        JsonType::Null,
        JsonType::Bool,
        JsonType::Number,
        JsonType::String,
        JsonType::List,
        JsonType::Object,
    ];
}

/// A set of [`JsonType`]s, kept as bits: one is held per key path of every shape and baseline,
/// and a set that allocates would be thousands of allocations a tick. Written as the sorted
/// list of their names (`["null", "string"]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct JsonTypes(u8);

impl JsonTypes {
    fn bit(t: JsonType) -> u8 {
        1 << (t as u8)
    }

    /// Adds `t`.
    pub fn insert(&mut self, t: JsonType) {
        self.0 |= Self::bit(t);
    }

    /// Adds every type of `other`.
    pub fn extend(&mut self, other: JsonTypes) {
        self.0 |= other.0;
    }

    /// Whether every type here is one of `other`'s.
    pub fn is_subset(&self, other: &JsonTypes) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether it holds `t`.
    pub fn contains(&self, t: JsonType) -> bool {
        self.0 & Self::bit(t) != 0
    }

    /// Its types, in order.
    pub fn iter(&self) -> impl Iterator<Item = JsonType> + '_ {
        JsonType::ALL.into_iter().filter(|t| self.contains(*t))
    }
}

impl FromIterator<JsonType> for JsonTypes {
    fn from_iter<I: IntoIterator<Item = JsonType>>(items: I) -> Self {
        let mut set = JsonTypes::default();
        for t in items {
            set.insert(t);
        }
        set
    }
}

impl serde::Serialize for JsonTypes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for JsonTypes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // At most six names: a longer list is as bounded as serde's reading of it.
        Ok(Vec::<JsonType>::deserialize(d)?.into_iter().collect())
    }
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonType::Null => "null",
            JsonType::Bool => "a bool",
            JsonType::Number => "a number",
            JsonType::String => "a string",
            JsonType::List => "a list",
            JsonType::Object => "an object",
        })
    }
}

/// The least and the most of a count (a list's length, a size, milliseconds) over what was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MinMax {
    /// The least seen.
    pub min: u64,
    /// The most seen.
    pub max: u64,
}

impl MinMax {
    /// One value seen.
    pub fn one(n: u64) -> MinMax {
        MinMax { min: n, max: n }
    }

    /// Both ends widened to take in `other`.
    pub fn widen(self, other: MinMax) -> MinMax {
        MinMax {
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }

    /// Widens `slot` to take in `other`, or fills it.
    fn merge(slot: &mut Option<MinMax>, other: MinMax) {
        *slot = Some(slot.map_or(other, |s| s.widen(other)));
    }
}

impl fmt::Display for MinMax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{} to {}", self.min, self.max)
        }
    }
}

/// Where a key path was seen in one answer and as what.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Seen {
    /// How many keys and `[]` deep the path is: `json` is 0, `json.result[]` is 2.
    pub depth: usize,
    /// The types of the values at the path; more than one when list elements differ.
    pub types: JsonTypes,
}

/// How an HTML answer is built: elements counted by `id` and by tag name.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HtmlShape {
    /// Elements by their `id` attribute (without `#`).
    pub ids: BTreeMap<String, u64>,
    /// Elements by their tag name, lower case.
    pub tags: BTreeMap<String, u64>,
}

/// The shape of one answer: everything about it but its values.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shape {
    /// The HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// The media type of `content-type`, lower case, without parameters.
    pub content_type: Option<String>,
    /// The body's size in bytes, as received.
    pub size: u64,
    /// How long the answer took, in microseconds, when it was timed: an answer over a Unix
    /// socket is often well under a millisecond.
    pub latency_us: Option<u64>,
    /// The key paths of a JSON body (`json.result[].email`), each with its depth and types.
    pub json: BTreeMap<String, Seen>,
    /// The lengths of the JSON lists by path; under `[]`, over every element walked.
    pub lists: BTreeMap<String, MinMax>,
    /// The elements of an HTML body.
    pub html: Option<HtmlShape>,
    /// The walk ran into a bound (or the body was cut or too deep to read): what is recorded
    /// is true, but something may be missing from it.
    pub truncated: bool,
    /// When a JSON walk was cut: the depth down to which every node was still walked.
    pub complete_depth: Option<usize>,
}

impl Shape {
    /// The shape of what `obs` saw, within the bounds of this module. Never fails: a body that
    /// is neither JSON nor HTML has a status, a media type and a size.
    pub fn of(obs: &Observation) -> Shape {
        let mut shape = Shape {
            status: obs.status(),
            content_type: obs.header("content-type").map(media_type),
            size: obs.body().len() as u64,
            latency_us: obs.timings.total.map(|d| d.as_micros() as u64),
            truncated: obs.body_truncated,
            ..Shape::default()
        };
        match obs.json_doc() {
            Ok(doc) => Walk::new(&mut shape).run(doc),
            // JSON we may not read: we know it is JSON and nothing more.
            Err(JsonError::TooDeep) => shape.truncated = true,
            Err(JsonError::NotJson) =>
            {
                #[cfg(feature = "html")]
                if shape.looks_html(obs.body()) {
                    html::count(obs, &mut shape);
                }
            }
        }
        shape
    }

    /// Whether the walk reached every node `depth` deep: what a "missing" may be said about.
    pub fn walked(&self, depth: usize) -> bool {
        !self.truncated || self.complete_depth.is_some_and(|d| depth <= d)
    }

    /// Marks the walk cut at `depth`: nodes there and below were not all seen.
    fn cut(&mut self, depth: usize) {
        self.truncated = true;
        let above = depth.saturating_sub(1);
        self.complete_depth = Some(self.complete_depth.map_or(above, |d| d.min(above)));
    }

    #[cfg(feature = "html")]
    fn looks_html(&self, body: &[u8]) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|t| t.contains("html"))
            || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
    }
}

/// `text/html; charset=utf-8` -> `text/html`.
fn media_type(value: &str) -> String {
    let media = value.split(';').next().unwrap_or("").trim();
    cut_to(&media.to_ascii_lowercase(), MAX_NAME_CHARS)
}

/// The path of `key` under `parent`: `.key` when it is plain, `["we.ird"]` (a JSON string,
/// which RFC 9535 reads too) otherwise.
fn key_path(parent: &str, key: &str) -> String {
    let key = cut_to(key, MAX_NAME_CHARS);
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!("{parent}.{key}")
    } else {
        let quoted = serde_json::to_string(&key).unwrap_or_default();
        format!("{parent}[{quoted}]")
    }
}

/// A breadth-first walk of a JSON document: a level is finished before the next begins, so a
/// cut leaves every level above it whole, and the queue never holds more than the budget.
struct Walk<'s> {
    shape: &'s mut Shape,
    /// Paths met so far, by index, so a queued node carries a number and not a string.
    paths: Vec<(String, Seen)>,
    index: HashMap<String, usize>,
    lists: HashMap<usize, MinMax>,
    budget: usize,
}

impl<'s> Walk<'s> {
    fn new(shape: &'s mut Shape) -> Self {
        Walk {
            shape,
            paths: Vec::new(),
            index: HashMap::new(),
            lists: HashMap::new(),
            budget: MAX_SHAPE_NODES,
        }
    }

    fn run(mut self, doc: &Value) {
        let mut level = Vec::new();
        if let Some(root) = self.path("json".to_string(), 0) {
            self.budget -= 1;
            level.push((doc, root));
        }
        let mut depth = 0;
        while !level.is_empty() {
            let mut next = Vec::new();
            for (value, at) in level {
                self.paths[at].1.types.insert(JsonType::of(value));
                match value {
                    Value::Array(items) => {
                        let len = MinMax::one(items.len() as u64);
                        let slot = self.lists.entry(at).or_insert(len);
                        *slot = slot.widen(len);
                        if items.is_empty() {
                            continue;
                        }
                        let child = format!("{}[]", self.paths[at].0);
                        let Some(child) = self.child(child, depth + 1) else {
                            continue;
                        };
                        for item in items {
                            if !self.spend(depth + 1) {
                                break;
                            }
                            next.push((item, child));
                        }
                    }
                    Value::Object(map) => {
                        for (key, item) in map {
                            if !self.spend(depth + 1) {
                                break;
                            }
                            let child = key_path(&self.paths[at].0, key);
                            if let Some(child) = self.child(child, depth + 1) {
                                next.push((item, child));
                            }
                        }
                    }
                    _ => {}
                }
            }
            level = next;
            depth += 1;
        }
        for (at, len) in self.lists {
            self.shape.lists.insert(self.paths[at].0.clone(), len);
        }
        self.shape.json = self.paths.into_iter().collect();
    }

    /// Takes one node from the budget, or cuts the walk at `depth` when none is left.
    fn spend(&mut self, depth: usize) -> bool {
        if self.budget == 0 {
            self.shape.cut(depth);
            return false;
        }
        self.budget -= 1;
        true
    }

    /// The index of the path of a node `depth` deep, or `None` (and the walk cut there) when a
    /// bound keeps it out.
    fn child(&mut self, path: String, depth: usize) -> Option<usize> {
        let kept = (depth <= MAX_SHAPE_DEPTH && path.len() <= MAX_PATH_BYTES)
            .then(|| self.path(path, depth))
            .flatten();
        if kept.is_none() {
            self.shape.cut(depth);
        }
        kept
    }

    fn path(&mut self, path: String, depth: usize) -> Option<usize> {
        if let Some(&at) = self.index.get(&path) {
            return Some(at);
        }
        if self.paths.len() >= MAX_SHAPE_PATHS {
            return None;
        }
        let at = self.paths.len();
        self.index.insert(path.clone(), at);
        self.paths.push((
            path,
            Seen {
                depth,
                types: JsonTypes::default(),
            },
        ));
        Some(at)
    }
}
