//! First contact: a probe is *unproven* on a deployment (a state folder) until it passes there
//! once, and again whenever its definition changes. Until then its failure may be the probe's
//! own (an expectation guessed from a seed, a deployment no one could see), so it runs, shows and
//! counts, but opens no incident, tells no sink and restarts nothing; the loop says it on stderr
//! at most once a day. `proven = true` in the panel alarms at once.
//!
//! What is kept, per probe name (a `for_each` probe's per service), in `state.json`: the hash
//! of the definition it last passed with, and since when it has been failing unproven.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use smoke_core::engine::{http::UNLISTED, Planned, ProbeInfo};
use smoke_core::prelude::{Outcome, RunReport};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Per probe name, what this deployment has seen it prove.
pub type Proofs = BTreeMap<String, Proof>;

/// How long between two lines about one unproven probe.
const SAY_EVERY: SignedDuration = SignedDuration::from_hours(24);

/// What one probe has proved here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Proof {
    /// The hash of the definition it last passed with ([`fingerprint`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<String>,
    /// Since when it has been failing without having passed with its definition of now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unproven_since: Option<Timestamp>,
    /// When that was last said on stderr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub said_at: Option<Timestamp>,
}

/// What a planned probe proves when it passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Definition {
    /// Its resolved definition, hashed ([`fingerprint`]); and where smoke before 0.1's second
    /// hash left out part of it (an HTTP probe's params, body, headers, contexts, a flow's
    /// steps), that shorter hash too ([`earlier_fingerprint`]): a proof of it is carried over
    /// once, so an upgrade makes no proven probe unproven.
    Hash {
        /// The hash of now.
        now: String,
        /// The hash an earlier smoke kept for the same definition, when it differs.
        earlier: Option<String>,
    },
    /// It stands in for the probes of a `for_each` whose services could not be listed: it
    /// never passes, and is proven where one of those probes passed (the list was read here).
    StandIn,
}

impl Definition {
    /// The definition of a planned probe.
    pub fn of(planned: &Planned) -> Definition {
        match planned.stand_in() {
            true => Definition::StandIn,
            false => Definition::Hash {
                now: fingerprint(planned),
                earlier: (!planned.definition().is_empty()).then(|| earlier_fingerprint(planned)),
            },
        }
    }
}

/// The hash of a planned probe's resolved definition: what it asks (its kind and request, with
/// its params, body, headers, contexts and a flow's steps), where (its target, a `for_each`
/// probe's service filled in), its conditions as written and its timeout. FNV-1a 64 of a fixed
/// text, so it is the same on every run and every build.
pub fn fingerprint(planned: &Planned) -> String {
    let mut text = definition_text(planned);
    for line in planned.definition().lines() {
        let _ = writeln!(text, "asks\t{line}");
    }
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// The hash the first smoke with proofs kept: [`fingerprint`] without what
/// [`Planned::definition`] adds. Read, never written.
fn earlier_fingerprint(planned: &Planned) -> String {
    format!("{:016x}", fnv1a(definition_text(planned).as_bytes()))
}

/// Name, request, place, conditions and timeout, one a line.
fn definition_text(planned: &Planned) -> String {
    let check = &planned.probe();
    let mut text = String::new();
    let _ = writeln!(text, "name\t{}", check.info().name);
    let _ = writeln!(text, "what\t{}", planned.what());
    let _ = writeln!(text, "place\t{}", planned.place());
    for c in &check.conditions().expect {
        let _ = writeln!(text, "expect\t{c}");
    }
    for c in &check.conditions().warn {
        let _ = writeln!(text, "warn\t{c}");
    }
    let _ = writeln!(
        text,
        "timeout_ms\t{}",
        check.info().settings.timeout.as_millis()
    );
    text
}

/// FNV-1a, 64 bits: small, fixed, and the same on every platform (std's hasher is none of those).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Counts a tick's report into `proofs` and marks the report's unproven probes (`proven:
/// false`): a probe that passed (or is degraded) proves its definition of now; one that fails
/// is unproven unless it passed with that definition or its panel says `proven = true`.
/// `definitions` are the tick's by name; `seen_everything` drops what is known of probes the
/// panel no longer has, but for the proofs they made. Returns the lines to say, each unproven
/// probe at most once a day.
pub fn prove(
    proofs: &mut Proofs,
    report: &mut RunReport,
    definitions: &HashMap<String, Definition>,
    infos: &HashMap<String, ProbeInfo>,
    seen_everything: bool,
) -> Vec<String> {
    let now = report.started_at();
    let mut lines = Vec::new();
    for p in report.probes_mut() {
        let Some(definition) = definitions.get(p.name()) else {
            continue;
        };
        let passing = !matches!(p.outcome(), Outcome::Fail | Outcome::Error);
        if let (true, Definition::Hash { now: hash, .. }) = (passing, definition) {
            proofs.insert(
                p.name().to_string(),
                Proof {
                    passed: Some(hash.clone()),
                    ..Proof::default()
                },
            );
            continue;
        }
        carry_over(proofs, p.name(), definition);
        let said_proven = infos.get(p.name()).is_some_and(|i| i.settings.proven);
        if passing || said_proven || proved(proofs, p.name(), definition) {
            // Nothing to say of it any more.
            if let Some(proof) = proofs.get_mut(p.name()) {
                proof.unproven_since = None;
                proof.said_at = None;
            }
            continue;
        }
        p.mark_unproven();
        let proof = proofs.entry(p.name().to_string()).or_default();
        let since = *proof.unproven_since.get_or_insert(now);
        if proof
            .said_at
            .is_none_or(|at| now.duration_since(at) >= SAY_EVERY)
        {
            proof.said_at = Some(now);
            lines.push(format!(
                "probe {} has never passed here since {}: the probe or the deployment is wrong",
                p.name(),
                date(since)
            ));
        }
    }
    if seen_everything {
        // A proof outlives its probe's absence (a service gone for a while comes back proven);
        // what is said of a failing probe that left the panel goes with it.
        proofs.retain(|name, proof| {
            if !definitions.contains_key(name) {
                proof.unproven_since = None;
                proof.said_at = None;
            }
            proof.passed.is_some() || proof.unproven_since.is_some()
        });
    }
    lines
}

/// Whether `name` passed here with `definition`; a stand-in, whether one of the probes it
/// stands in for did (`health-*` for `health-hero_os`, `health-hero_proc`, ...).
fn proved(proofs: &Proofs, name: &str, definition: &Definition) -> bool {
    match definition {
        Definition::Hash { now, earlier } => {
            let passed = proofs.get(name).and_then(|p| p.passed.as_ref());
            passed.is_some_and(|p| p == now || earlier.as_ref() == Some(p))
        }
        Definition::StandIn => {
            let (before, after) = name.split_once(UNLISTED).unwrap_or((name, ""));
            proofs.iter().any(|(n, p)| {
                p.passed.is_some()
                    && n.len() > before.len() + after.len()
                    && n.starts_with(before)
                    && n.ends_with(after)
            })
        }
    }
}

/// A proof an earlier smoke kept of `definition` ([`Definition::Hash`]'s `earlier`), kept
/// from now on under the hash of now.
fn carry_over(proofs: &mut Proofs, name: &str, definition: &Definition) {
    let Definition::Hash {
        now,
        earlier: Some(earlier),
    } = definition
    else {
        return;
    };
    if let Some(proof) = proofs.get_mut(name) {
        if proof.passed.as_ref() == Some(earlier) {
            proof.passed = Some(now.clone());
        }
    }
}

/// What `list` says of a planned probe that has not proved itself here, given what the
/// deployment's probes proved; nothing for one that has (or whose panel says `proven = true`).
pub fn listed(proofs: &Proofs, planned: &Planned) -> Option<String> {
    let info = planned.probe().info();
    let proof = proofs.get(&info.name);
    if info.settings.proven || proved(proofs, &info.name, &Definition::of(planned)) {
        return None;
    }
    Some(match proof {
        Some(Proof {
            unproven_since: Some(since),
            ..
        }) => format!("unproven: never passed here since {}", date(*since)),
        Some(Proof {
            passed: Some(_), ..
        }) => "unproven: changed since it last passed here".to_string(),
        _ => "unproven: not passed here yet".to_string(),
    })
}

/// The probes failing unproven, with since when: what the status page says.
pub fn unproven(proofs: &Proofs) -> impl Iterator<Item = (&str, Timestamp)> {
    proofs
        .iter()
        .filter_map(|(name, p)| Some((name.as_str(), p.unproven_since?)))
}

/// A date as the loop says one.
pub fn date(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests;
