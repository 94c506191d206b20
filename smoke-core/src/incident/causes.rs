//! Caused-by: a failing probe whose dependency also fails is a symptom of that failure. Its
//! outcome stays as it is (monitoring is never hidden), but it is attributed to the highest
//! failing ancestor, so only the root opens an incident.

use crate::outcome::{Outcome, RunReport};
use std::collections::HashMap;

/// Sets `caused_by` on each failing probe of `report` that has a failing ancestor: the highest
/// one, by the first chain in `depends_on` order. `depends_on` maps a probe to its dependencies;
/// those that did not run in this report (another mode, `--only`) are ignored, so such a probe is
/// judged on its own.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn attribute(report: &mut RunReport, depends_on: &HashMap<String, Vec<String>>) {
    let failing: HashMap<&str, bool> = report
        .probes
        .iter()
        .map(|p| (p.name.as_str(), is_failing(p.outcome)))
        .collect();
    let mut roots: HashMap<String, Option<String>> = HashMap::new();
    let causes: Vec<Option<String>> = report
        .probes
        .iter()
        .map(|p| {
            if !is_failing(p.outcome) {
                return None;
            }
            failing_ancestor(&p.name, depends_on, &failing, &mut roots, &mut Vec::new())
        })
        .collect();
    for (p, cause) in report.probes.iter_mut().zip(causes) {
        p.caused_by = cause;
    }
}

fn is_failing(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Fail | Outcome::Error)
}

/// The highest failing ancestor of `name`, if any. `path` guards against a cycle the loader
/// would have refused, so a hand-built map can't loop.
fn failing_ancestor(
    name: &str,
    depends_on: &HashMap<String, Vec<String>>,
    failing: &HashMap<&str, bool>,
    memo: &mut HashMap<String, Option<String>>,
    path: &mut Vec<String>,
) -> Option<String> {
    if let Some(known) = memo.get(name) {
        return known.clone();
    }
    if path.iter().any(|p| p == name) {
        return None;
    }
    path.push(name.to_string());
    let mut found = None;
    for dep in depends_on.get(name).into_iter().flatten() {
        if dep == name || failing.get(dep.as_str()) != Some(&true) {
            continue;
        }
        // The dependency fails: its own highest failing ancestor is the root, else it is.
        found = Some(
            failing_ancestor(dep, depends_on, failing, memo, path).unwrap_or_else(|| dep.clone()),
        );
        break;
    }
    path.pop();
    memo.insert(name.to_string(), found.clone());
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Cause, Failure, ProbeReport};

    fn report(probes: &[(&str, bool)]) -> RunReport {
        RunReport {
            panel: "p".into(),
            mode: "external".into(),
            vantage: String::new(),
            every: None,
            started_at: jiff::Timestamp::UNIX_EPOCH,
            duration_ms: std::time::Duration::ZERO,
            outcome: Outcome::Fail,
            probes: probes
                .iter()
                .map(|(name, fails)| {
                    let mut r = ProbeReport::new(*name);
                    if *fails {
                        r.fail(Failure::new(Cause::Dns, "NXDOMAIN"));
                    }
                    r
                })
                .collect(),
            notes: Vec::new(),
        }
    }

    fn deps(edges: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
        edges
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    fn causes(r: &RunReport) -> Vec<(&str, Option<&str>)> {
        r.probes
            .iter()
            .map(|p| (p.name.as_str(), p.caused_by.as_deref()))
            .collect()
    }

    #[test]
    fn a_dns_outage_is_the_root_of_every_probe_behind_it_and_outcomes_stay() {
        let mut r = report(&[
            ("public-dns", true),
            ("public-tls", true),
            ("biz", true),
            ("ui", false),
        ]);
        attribute(
            &mut r,
            &deps(&[
                ("public-tls", &["public-dns"]),
                ("biz", &["public-tls"]),
                ("ui", &["public-tls"]),
            ]),
        );
        assert_eq!(
            causes(&r),
            [
                ("public-dns", None),
                ("public-tls", Some("public-dns")),
                ("biz", Some("public-dns")),
                ("ui", None)
            ]
        );
        assert_eq!(
            r.probes[2].outcome,
            Outcome::Fail,
            "monitoring is never hidden"
        );
    }

    #[test]
    fn the_first_failing_chain_in_order_wins_and_passing_or_absent_ancestors_do_not_count() {
        let mut r = report(&[
            ("health-a", false),
            ("tls", true),
            ("api-a", true),
            ("solo", true),
        ]);
        attribute(
            &mut r,
            &deps(&[
                ("api-a", &["health-a", "tls", "gone"]),
                ("solo", &["not-run"]),
                ("tls", &["tls"]),
            ]),
        );
        assert_eq!(
            causes(&r),
            [
                ("health-a", None),
                ("tls", None),
                ("api-a", Some("tls")),
                ("solo", None)
            ]
        );
    }

    #[test]
    fn a_hand_built_cycle_ends_instead_of_looping() {
        let mut r = report(&[("a", true), ("b", true)]);
        attribute(&mut r, &deps(&[("a", &["b"]), ("b", &["a"])]));
        assert!(r.probes.iter().any(|p| p.caused_by.is_some()));
    }
}
