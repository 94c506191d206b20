//! A known-good baseline merged from the shapes of healthy runs, and the drift of a new answer
//! from it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::{JsonTypes, MinMax, Shape, SortedMap};
use crate::text::Escaped;

/// How one key path looked over the baseline runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathStats {
    /// In how many runs it was present.
    pub runs: usize,
    /// How many keys and `[]` deep it is (`json` is 0).
    pub depth: usize,
    /// Every type it had.
    pub types: JsonTypes,
}

/// The shape of a probe's answers over several healthy runs. Every map is sorted, so a
/// baseline written as JSON diffs cleanly from the one before.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// How many runs it was merged from.
    pub runs: usize,
    /// Every HTTP status seen.
    pub statuses: BTreeSet<u16>,
    /// Every media type seen; an answer without one counts as the empty one.
    pub content_types: BTreeSet<String>,
    /// The body sizes, in bytes.
    pub size: Option<MinMax>,
    /// How long the answers took, over the timed runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
    /// Every JSON key path seen in any run.
    pub json: SortedMap<PathStats>,
    /// The lengths of the JSON lists, by path, over every run that had them.
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub lists: SortedMap<MinMax>,
    /// In how many runs the body was HTML.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub html_runs: usize,
    /// The HTML ids present in every run, with their counts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub html_ids: BTreeMap<String, MinMax>,
    /// The HTML tags present in every run, with their counts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub html_tags: BTreeMap<String, MinMax>,
}

impl Baseline {
    /// The baseline of `runs`, each the shape of one healthy answer.
    pub fn from_runs(runs: &[Shape]) -> Baseline {
        let mut base = Baseline {
            runs: runs.len(),
            ..Baseline::default()
        };
        let mut latencies = Vec::with_capacity(runs.len());
        // Merged by name here, kept as sorted lists once merged.
        let mut json: BTreeMap<&str, PathStats> = BTreeMap::new();
        let mut lists: BTreeMap<&str, MinMax> = BTreeMap::new();
        let mut ids: BTreeMap<&str, (usize, MinMax)> = BTreeMap::new();
        let mut tags: BTreeMap<&str, (usize, MinMax)> = BTreeMap::new();
        for shape in runs {
            base.statuses.extend(shape.status);
            base.content_types
                .insert(shape.content_type.clone().unwrap_or_default());
            MinMax::merge(&mut base.size, MinMax::one(shape.size));
            latencies.extend(shape.latency_us);
            for (path, seen) in &shape.json {
                let stats = json.entry(path).or_insert(PathStats {
                    runs: 0,
                    depth: seen.depth,
                    types: JsonTypes::default(),
                });
                stats.runs += 1;
                stats.types.extend(seen.types);
            }
            for (path, len) in &shape.lists {
                let slot = lists.entry(path).or_insert(*len);
                *slot = slot.widen(*len);
            }
            if let Some(html) = &shape.html {
                base.html_runs += 1;
                tally(&mut ids, &html.ids);
                tally(&mut tags, &html.tags);
            }
        }
        base.json = json.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        base.lists = lists.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        base.latency = Latency::of(latencies);
        base.html_ids = in_every_run(ids, base.runs);
        base.html_tags = in_every_run(tags, base.runs);
        base
    }

    /// What moved in `now` from this baseline, named exactly; values are never shown. An empty
    /// baseline knows nothing, so nothing drifts from it. Where `now` was cut short, nothing is
    /// said missing that the walk did not reach.
    pub fn drift(&self, now: &Shape) -> Vec<Drift> {
        let mut drift = Vec::new();
        if self.runs == 0 {
            return drift;
        }
        let status_known = match now.status {
            Some(s) => self.statuses.contains(&s),
            None => self.statuses.is_empty(),
        };
        if !status_known {
            drift.push(Drift::new(
                "status",
                DriftKind::Status {
                    was: self.statuses.clone(),
                    now: now.status,
                },
            ));
        }
        let media = now.content_type.clone().unwrap_or_default();
        if !self.content_types.contains(&media) {
            drift.push(Drift::new(
                "content type",
                DriftKind::ContentType {
                    was: self.content_types.clone(),
                    now: media,
                },
            ));
        }
        self.json_drift(now, &mut drift);
        for (path, was) in &self.lists {
            let Some(len) = now.lists.get(path) else {
                continue;
            };
            let shrunk = len.min.saturating_mul(2) < was.min || (len.min == 0 && was.min > 0);
            if shrunk {
                drift.push(Drift::new(
                    list_name(path),
                    DriftKind::Shrunk {
                        was: *was,
                        now: *len,
                    },
                ));
            }
        }
        #[cfg(feature = "html")]
        self.html_drift(now, &mut drift);
        drift
    }

    fn json_drift(&self, now: &Shape, drift: &mut Vec<Drift>) {
        // A path reported gone or changed speaks for every path under it.
        let mut reported: Vec<&str> = Vec::new();
        for (path, stats) in &self.json {
            match now.json.get(path) {
                Some(seen) => {
                    if seen.types.is_subset(&stats.types) {
                        continue;
                    }
                    drift.push(Drift::new(
                        path,
                        DriftKind::TypeChanged {
                            was: stats.types,
                            now: seen.types,
                        },
                    ));
                }
                None => {
                    let always = stats.runs == self.runs;
                    if !always
                        || !now.walked(stats.depth)
                        || reported.iter().any(|r| is_under(path, r))
                    {
                        continue;
                    }
                    drift.push(Drift::new(
                        path,
                        DriftKind::Missing {
                            present: stats.runs,
                            runs: self.runs,
                        },
                    ));
                }
            }
            reported.push(path);
        }
    }

    #[cfg(feature = "html")]
    fn html_drift(&self, now: &Shape, drift: &mut Vec<Drift>) {
        if self.html_runs < self.runs || now.truncated {
            return;
        }
        let missing = DriftKind::Missing {
            present: self.runs,
            runs: self.runs,
        };
        let Some(html) = &now.html else {
            drift.push(Drift::new("html", missing));
            return;
        };
        for id in self.html_ids.keys() {
            if !html.ids.contains_key(id) {
                drift.push(Drift::new(format!("html #{id}"), missing.clone()));
            }
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How long a probe's answers took over some runs, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    /// The median.
    pub p50_us: u64,
    /// The 95th percentile (nearest rank): of a few runs, the slowest but one or the slowest.
    pub p95_us: u64,
}

impl Latency {
    /// The percentiles of `samples`; none of none.
    pub fn of(mut samples: Vec<u64>) -> Option<Latency> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        Some(Latency {
            p50_us: rank(&samples, 50),
            p95_us: rank(&samples, 95),
        })
    }
}

/// The nearest-rank `pct`th percentile of sorted, non-empty `samples`.
fn rank(samples: &[u64], pct: usize) -> u64 {
    let at = (samples.len() * pct).div_ceil(100).max(1) - 1;
    samples[at.min(samples.len() - 1)]
}

/// Counts, per name, the runs it was in and its counts there.
fn tally<'a>(into: &mut BTreeMap<&'a str, (usize, MinMax)>, counts: &'a BTreeMap<String, u64>) {
    for (name, &n) in counts {
        let (runs, range) = into.entry(name.as_str()).or_insert((0, MinMax::one(n)));
        *runs += 1;
        *range = range.widen(MinMax::one(n));
    }
}

fn in_every_run(names: BTreeMap<&str, (usize, MinMax)>, runs: usize) -> BTreeMap<String, MinMax> {
    names
        .into_iter()
        .filter(|(_, (n, _))| *n == runs)
        .map(|(name, (_, range))| (name.to_string(), range))
        .collect()
}

/// Whether `path` lies under `parent`: it goes on from it with a key or `[]`. A plain key
/// never holds `.` or `[`, so no sibling (`json.ab` beside `json.a`) passes.
fn is_under(path: &str, parent: &str) -> bool {
    path.strip_prefix(parent)
        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// How a list is named in a length: as `len()` of smoke's condition language says it, with
/// `result` for a JSON-RPC answer's `json.result`.
fn list_name(path: &str) -> String {
    let subject = match path.strip_prefix("json.") {
        Some(rest) if rest == "result" || is_under(rest, "result") => rest,
        _ => path,
    };
    format!("len({subject})")
}

/// One thing that moved from the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// What moved: a key path (`json.result[].email`), a length (`len(result)`), an HTML id
    /// (`html #upload-button`), `content type` or `status`. The same every time it moves the
    /// same way, so it can key an incident.
    pub what: String,
    /// How it moved.
    pub kind: DriftKind,
}

impl Drift {
    fn new(what: impl Into<String>, kind: DriftKind) -> Drift {
        Drift {
            what: what.into(),
            kind,
        }
    }
}

/// How something moved from the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftKind {
    /// Present in every baseline run, missing now.
    Missing {
        /// In how many baseline runs it was present.
        present: usize,
        /// How many baseline runs there were.
        runs: usize,
    },
    /// A type never seen at baseline.
    TypeChanged {
        /// The types at baseline.
        was: JsonTypes,
        /// The types now.
        now: JsonTypes,
    },
    /// A list below half its baseline minimum, or empty when it never was.
    Shrunk {
        /// Its lengths at baseline.
        was: MinMax,
        /// Its lengths now.
        now: MinMax,
    },
    /// A media type never seen at baseline (empty: none at all).
    ContentType {
        /// The media types at baseline.
        was: BTreeSet<String>,
        /// The media type now.
        now: String,
    },
    /// A status never seen at baseline.
    Status {
        /// The statuses at baseline.
        was: BTreeSet<u16>,
        /// The status now, if an answer came.
        now: Option<u16>,
    },
}

/// `a or b or c`, or `none` for nothing.
fn either<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let words: Vec<String> = items.into_iter().map(|t| t.to_string()).collect();
    if words.is_empty() {
        "none".to_string()
    } else {
        words.join(" or ")
    }
}

fn media(m: &str) -> &str {
    if m.is_empty() {
        "none"
    } else {
        m
    }
}

impl fmt::Display for Drift {
    /// One line: the subject, the baseline, now. Names from the service are escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", Escaped(&self.what))?;
        let (was, now) = match &self.kind {
            DriftKind::Missing { present, runs } => {
                return write!(f, "in {present} of {runs} baseline runs, missing now")
            }
            DriftKind::TypeChanged { was, now } => (either(was.iter()), either(now.iter())),
            DriftKind::Shrunk { was, now } => (was.to_string(), now.to_string()),
            DriftKind::ContentType { was, now } => {
                (either(was.iter().map(|m| media(m))), media(now).to_string())
            }
            DriftKind::Status { was, now } => (either(was), either(now)),
        };
        write!(f, "{} at baseline, {} now", Escaped(&was), Escaped(&now))
    }
}
