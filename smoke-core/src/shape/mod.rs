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
mod lines;
mod sorted;

#[cfg(test)]
mod known_tests;
#[cfg(test)]
mod tests;

pub use baseline::{Baseline, Drift, DriftKind, Latency, PathStats};
pub use known::{
    DriftMode, KnownGood, LatencyHistory, NotGood, ProbeBaseline, SideBaseline, BASELINE_FORMAT,
    LATENCY_DRIFT, LATENCY_FLOOR, LATENCY_WINDOW, SLOW_TICKS,
};
pub use sorted::SortedMap;

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
        // Read name by name into the bits: one is read per key path of a baseline, and a
        // list for each would be thousands of allocations a load.
        struct Names;
        impl<'de> serde::de::Visitor<'de> for Names {
            type Value = JsonTypes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of JSON type names")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<JsonTypes, A::Error> {
                let mut set = JsonTypes::default();
                while let Some(t) = seq.next_element::<JsonType>()? {
                    set.insert(t);
                }
                Ok(set)
            }
        }
        d.deserialize_seq(Names)
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
    pub json: SortedMap<Seen>,
    /// The lengths of the JSON lists by path; under `[]`, over every element walked.
    pub lists: SortedMap<MinMax>,
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
    let media = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    // At most as many chars as bytes: a short one is kept as it is, without a copy.
    if media.len() <= MAX_NAME_CHARS {
        return media;
    }
    cut_to(&media, MAX_NAME_CHARS)
}

/// How a node is reached from its parent: by a key (its first [`MAX_NAME_CHARS`] chars, and
/// whether it was longer) or as an element of a list. Two keys cut to the same chars are one
/// path, as they are written.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Step<'d> {
    Key(&'d str, bool),
    Items,
}

impl<'d> Step<'d> {
    fn key(key: &'d str) -> Step<'d> {
        // A char is at least a byte: a key of at most MAX_NAME_CHARS bytes is never cut.
        if key.len() <= MAX_NAME_CHARS {
            return Step::Key(key, false);
        }
        // Cut as `cut_to` cuts: the first MAX_NAME_CHARS - 1 chars, when there are more than
        // MAX_NAME_CHARS.
        let mut starts = key.char_indices().skip(MAX_NAME_CHARS - 1).map(|(i, _)| i);
        match (starts.next(), starts.next()) {
            (Some(end), Some(_)) => Step::Key(&key[..end], true),
            _ => Step::Key(key, false),
        }
    }

    /// The path this step makes under `parent`: `.key` when the key is plain, `["we.ird"]` (a
    /// JSON string, which RFC 9535 reads too) otherwise, `[]` for a list's elements.
    fn path(self, parent: &str) -> String {
        let mut path = String::with_capacity(parent.len() + 8);
        path.push_str(parent);
        match self {
            Step::Items => path.push_str("[]"),
            Step::Key(key, cut) => {
                let plain = !cut
                    && !key.is_empty()
                    && key
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
                if plain {
                    path.push('.');
                    path.push_str(key);
                } else {
                    let key = if cut {
                        format!("{key}…")
                    } else {
                        key.to_string()
                    };
                    path.push('[');
                    path.push_str(&serde_json::to_string(&key).unwrap_or_default());
                    path.push(']');
                }
            }
        }
        path
    }
}

/// One key path met by the walk.
struct Node {
    path: String,
    seen: Seen,
    /// Its lengths, when it was a list.
    len: Option<MinMax>,
    /// Whether it lies under a list's elements, and so may be met more than once.
    repeats: bool,
}

/// A breadth-first walk of a JSON document: a level is finished before the next begins, so a
/// cut leaves every level above it whole, and the queue never holds more than the budget.
/// Each path's string is made once, when it is first met. Only a path under a list's
/// elements is met again (an object's keys differ, but for keys cut alike): those are found
/// by their parent and step, and nothing else is hashed.
struct Walk<'s, 'd> {
    shape: &'s mut Shape,
    nodes: Vec<Node>,
    index: HashMap<(usize, Step<'d>), usize>,
    budget: usize,
}

impl<'s, 'd> Walk<'s, 'd> {
    fn new(shape: &'s mut Shape) -> Self {
        Walk {
            shape,
            // Most answers have a handful of paths: room for them without growing.
            nodes: Vec::with_capacity(8),
            index: HashMap::new(),
            budget: MAX_SHAPE_NODES,
        }
    }

    fn run(mut self, doc: &'d Value) {
        self.nodes.push(Node {
            path: "json".to_string(),
            seen: Seen::default(),
            len: None,
            repeats: false,
        });
        self.budget -= 1;
        // One queue: each level is the stretch pushed while the one before was walked. It
        // holds at most the budget, as a queue per level would.
        let mut queue = Vec::with_capacity(16);
        queue.push((doc, 0));
        let mut level = 0..queue.len();
        let mut depth = 0;
        while !level.is_empty() {
            for i in level.clone() {
                let (value, at) = queue[i];
                self.nodes[at].seen.types.insert(JsonType::of(value));
                match value {
                    Value::Array(items) => {
                        let len = MinMax::one(items.len() as u64);
                        MinMax::merge(&mut self.nodes[at].len, len);
                        if items.is_empty() {
                            continue;
                        }
                        let Some(child) = self.child(at, Step::Items, depth + 1) else {
                            continue;
                        };
                        for item in items {
                            if !self.spend(depth + 1) {
                                break;
                            }
                            queue.push((item, child));
                        }
                    }
                    Value::Object(map) => {
                        for (key, item) in map {
                            if !self.spend(depth + 1) {
                                break;
                            }
                            if let Some(child) = self.child(at, Step::key(key), depth + 1) {
                                queue.push((item, child));
                            }
                        }
                    }
                    _ => {}
                }
            }
            level = level.end..queue.len();
            depth += 1;
        }
        self.shape.lists = self
            .nodes
            .iter()
            .filter_map(|n| Some((n.path.clone(), n.len?)))
            .collect();
        self.shape.json = self.nodes.into_iter().map(|n| (n.path, n.seen)).collect();
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

    /// The index of the path `step` leads to from the node at `parent`, `depth` deep, or
    /// `None` (and the walk cut there) when a bound keeps it out.
    fn child(&mut self, parent: usize, step: Step<'d>, depth: usize) -> Option<usize> {
        let repeats = self.nodes[parent].repeats;
        let indexed = repeats || matches!(step, Step::Key(_, true));
        if indexed {
            if let Some(&at) = self.index.get(&(parent, step)) {
                return Some(at);
            }
        }
        let path = step.path(&self.nodes[parent].path);
        if depth > MAX_SHAPE_DEPTH || path.len() > MAX_PATH_BYTES || self.full() {
            self.shape.cut(depth);
            return None;
        }
        let at = self.nodes.len();
        if indexed {
            self.index.insert((parent, step), at);
        }
        self.nodes.push(Node {
            path,
            seen: Seen {
                depth,
                types: JsonTypes::default(),
            },
            len: None,
            repeats: repeats || step == Step::Items,
        });
        Some(at)
    }

    fn full(&self) -> bool {
        self.nodes.len() >= MAX_SHAPE_PATHS
    }
}
