//! A coverage run for a person (the matrix) and for CI (one JSON object). Every name that came
//! from the panel is shown escaped: a panel is as untrusted as a service.

use std::fmt::Write as _;

use serde_json::{json, Value};
use smoke_core::engine::{format_duration, Escaped, Mode};
use smoke_core::prelude::{Cause, Outcome};

use super::{side, Catch, Coverage, FaultResult};

/// The most probes a row of the matrix names; the JSON lists them all.
pub const PROBES_PER_ROW: usize = 4;

/// The matrix: a row per fault with the probes that caught it (side and cause), its historical
/// name under it, then `N of M failures caught` and the blind spots by name.
pub fn human(c: &Coverage) -> String {
    let mut out = format!(
        "smoke-sim coverage: panel {}, {} faults ({} services, {} layout), each run inside and outside\n\
         healthy: every probe ok inside and outside; drift judged against a baseline of {} healthy ticks\n\n",
        Escaped(&c.panel),
        c.total(),
        c.services.len(),
        c.layout,
        super::BASELINE_TICKS,
    );
    let width = c
        .faults
        .iter()
        .map(|f| f.fault.to_string().chars().count())
        .max()
        .unwrap_or(0)
        .max("fault".len());
    let _ = writeln!(out, "{:<width$}  caught by (side: cause)", "fault");
    for f in &c.faults {
        let _ = writeln!(out, "{:<width$}  {}", f.fault.to_string(), row(f));
        if let Some(seen) = f.seen {
            let _ = writeln!(out, "{:<width$}    = \"{seen}\"", "");
        }
    }
    let ignored = c.faults.iter().filter(|f| !f.ignored.is_empty()).count();
    let _ = writeln!(
        out,
        "\n{} of {} failures caught{} in {}",
        c.caught(),
        c.total(),
        match ignored {
            0 => String::new(),
            n => format!(" ({n} ignored by the panel)"),
        },
        format_duration(c.elapsed)
    );
    let blind: Vec<&FaultResult> = c.blind_spots().collect();
    if blind.is_empty() {
        out.push_str("no blind spots\n");
    } else {
        let _ = writeln!(
            out,
            "blind spots ({}): no probe of a side that sees them failed, and the panel does not ignore them there",
            blind.len()
        );
        for f in blind {
            let mut line = format!("  {}", f.fault);
            let sides = f.blind_on();
            // Said only when a side did catch it: a fault missed everywhere is missed, full stop.
            if sides.len() < f.fault.seen_from().len() {
                let _ = write!(line, " (missed {})", sides_text(&sides));
            }
            if let Some(seen) = f.seen {
                let _ = write!(line, " \"{seen}\"");
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// The probes that caught a fault, each once with its sides, then what a side that sees it
/// missed or ignores; else why it was not caught.
fn row(f: &FaultResult) -> String {
    if !f.caught() {
        return match (f.ignored_everywhere(), f.blind_on().is_empty()) {
            (true, _) => format!("ignored: {}", excuses(f)),
            (false, false) if f.ignored.is_empty() => "MISSED".to_string(),
            _ => format!(
                "MISSED {}; ignored: {}",
                sides_text(&f.blind_on()),
                excuses(f)
            ),
        };
    }
    // A probe that fails on both sides is one entry with both.
    let mut probes: Vec<(&str, Vec<&Catch>)> = Vec::new();
    for catch in &f.caught_by {
        match probes.iter_mut().find(|(p, _)| *p == catch.probe) {
            Some((_, sides)) => sides.push(catch),
            None => probes.push((&catch.probe, vec![catch])),
        }
    }
    let mut cells: Vec<String> = probes
        .iter()
        .take(PROBES_PER_ROW)
        .map(|(probe, catches)| {
            let sides: Vec<String> = catches
                .iter()
                .map(|c| format!("{}: {}", side(c.mode), verdict(c)))
                .collect();
            format!("{} ({})", Escaped(probe), sides.join(", "))
        })
        .collect();
    if probes.len() > PROBES_PER_ROW {
        cells.push(format!("+{} more", probes.len() - PROBES_PER_ROW));
    }
    let mut text = cells.join(", ");
    let blind = f.blind_on();
    if !blind.is_empty() {
        let _ = write!(text, " [MISSED {}]", sides_text(&blind));
    }
    let needless: Vec<Mode> = f
        .ignored
        .iter()
        .map(|(m, _)| *m)
        .filter(|m| f.caught_on(*m))
        .collect();
    if !needless.is_empty() {
        let sides = match needless.len() == f.fault.seen_from().len() {
            true => String::new(),
            false => format!(" {}", sides_text(&needless)),
        };
        let _ = write!(text, " [ignored{sides}, yet caught: the ignore can go]");
    }
    text
}

/// `inside`, `outside`, or `inside and outside`.
fn sides_text(sides: &[Mode]) -> String {
    sides
        .iter()
        .map(|m| side(*m))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Why the panel ignores a fault: its reason, or each side's when they differ.
fn excuses(f: &FaultResult) -> String {
    let first = f.ignored.first().map(|(_, why)| why);
    if f.ignored.iter().all(|(_, why)| Some(why) == first) && f.ignored_everywhere() {
        return first.map(|w| Escaped(w).to_string()).unwrap_or_default();
    }
    f.ignored
        .iter()
        .map(|(m, why)| format!("{} {}", side(*m), Escaped(why)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The cause, or the outcome when there is none; `warn` marks a degraded probe.
fn verdict(c: &Catch) -> String {
    let cause = c.cause.map_or(c.outcome.as_str(), |c| c.as_str());
    match c.outcome {
        // Drift says itself: it is no `warn` condition of the panel's.
        Outcome::Degraded if c.cause == Some(Cause::Drift) => cause.to_string(),
        Outcome::Degraded if c.cause.is_some() => format!("{cause} (warn)"),
        _ => cause.to_string(),
    }
}

/// One JSON object: every fault with the probes that caught it, the ignored ones with why,
/// the blind spots, and the counts.
pub fn json(c: &Coverage) -> Value {
    let faults: Vec<Value> = c
        .faults
        .iter()
        .map(|f| {
            json!({
                "fault": f.fault.to_string(),
                "service": f.fault.service_in(c.layout),
                "historical": f.seen,
                "caught": f.caught(),
                "caught_by": f.caught_by.iter().map(|c| json!({
                    "probe": c.probe,
                    "mode": c.mode.as_str(),
                    "outcome": c.outcome.as_str(),
                    "cause": c.cause.map(|c| c.as_str()),
                    "detail": c.detail,
                    "caused_by": c.caused_by,
                })).collect::<Vec<_>>(),
                "seen_from": modes(f.fault.seen_from()),
                // The one reason, when every side that sees it is excused by it.
                "ignored": f.ignored_everywhere().then(|| f.ignored.first().map(|(_, w)| w)).flatten(),
                "ignored_on": f.ignored.iter().map(|(m, why)| (m.as_str(), why)).collect::<std::collections::BTreeMap<_, _>>(),
                "blind_on": modes(&f.blind_on()),
            })
        })
        .collect();
    let ignored: Vec<Value> = c
        .faults
        .iter()
        .filter_map(|f| {
            let (_, why) = f.ignored.first()?;
            let sides: Vec<Mode> = f.ignored.iter().map(|(m, _)| *m).collect();
            Some(json!({"fault": f.fault.to_string(), "why": why, "sides": modes(&sides), "caught": f.caught()}))
        })
        .collect();
    let blind: Vec<Value> = c
        .blind_spots()
        .map(|f| json!({"fault": f.fault.to_string(), "historical": f.seen, "sides": modes(&f.blind_on())}))
        .collect();
    json!({
        "panel": c.panel,
        "layout": c.layout.name(),
        "services": c.services,
        "faults": faults,
        "ignored": ignored,
        "blind_spots": blind,
        "caught": c.caught(),
        "total": c.total(),
        "complete": c.complete(),
        "duration_ms": c.elapsed.as_millis() as u64,
    })
}

/// Sides as the JSON names them: `internal`, `external`.
fn modes(sides: &[Mode]) -> Vec<&'static str> {
    sides.iter().map(|m| m.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Fault;
    use crate::layout::Layout;
    use smoke_core::prelude::Cause;
    use std::time::Duration;

    fn catch(mode: Mode) -> Catch {
        Catch {
            probe: "health-svc".into(),
            mode,
            outcome: Outcome::Fail,
            cause: Some(Cause::Timeout),
            detail: None,
            caused_by: None,
        }
    }

    fn result(fault: Fault, caught_by: Vec<Catch>, ignored: Vec<(Mode, &str)>) -> FaultResult {
        FaultResult {
            fault,
            seen: None,
            caught_by,
            ignored: ignored
                .into_iter()
                .map(|(m, w)| (m, w.to_string()))
                .collect(),
        }
    }

    fn coverage(faults: Vec<FaultResult>) -> Coverage {
        Coverage {
            panel: "p".into(),
            layout: Layout::Herodemo,
            services: vec!["svc".into()],
            faults,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn a_fault_caught_outside_only_is_the_inside_s_blind_spot_unless_ignored_there() {
        let hang = || Fault::Hang("svc".into());
        let c = coverage(vec![result(hang(), vec![catch(Mode::External)], vec![])]);
        assert!(!c.complete());
        let text = human(&c);
        assert!(
            text.contains("health-svc (outside: timeout) [MISSED inside]"),
            "{text}"
        );
        assert!(text.contains("\n  hang:svc (missed inside)\n"), "{text}");
        let v = json(&c);
        assert_eq!(
            v["blind_spots"],
            json!([{"fault": "hang:svc", "historical": null, "sides": ["internal"]}])
        );
        assert_eq!(v["faults"][0]["blind_on"], json!(["internal"]));
        assert_eq!(v["faults"][0]["seen_from"], json!(["internal", "external"]));

        let excused = vec![(Mode::Internal, "no socket probe")];
        let c = coverage(vec![result(hang(), vec![catch(Mode::External)], excused)]);
        assert!(c.complete(), "{}", human(&c));
        assert!(human(&c).ends_with("no blind spots\n"));
        assert_eq!(json(&c)["faults"][0]["ignored"], Value::Null);
        assert_eq!(
            json(&c)["faults"][0]["ignored_on"],
            json!({"internal": "no socket probe"})
        );
    }

    #[test]
    fn a_gateway_fault_is_the_outside_s_alone_and_an_ignore_a_side_catches_can_go() {
        // Only the outside sees the gateway: the inside catching nothing is no blind spot.
        let c = coverage(vec![result(Fault::Gateway502, vec![], vec![])]);
        assert_eq!(c.faults[0].blind_on(), [Mode::External]);
        assert!(human(&c).contains("\n  gateway-502\n"), "{}", human(&c));
        let c = coverage(vec![result(
            Fault::Gateway502,
            vec![],
            vec![(Mode::External, "tested elsewhere")],
        )]);
        assert!(c.complete());
        assert!(
            human(&c).contains("ignored: tested elsewhere"),
            "{}",
            human(&c)
        );

        let both = vec![catch(Mode::Internal), catch(Mode::External)];
        let c = coverage(vec![result(
            Fault::Hang("svc".into()),
            both,
            vec![(Mode::Internal, "x")],
        )]);
        assert!(
            human(&c).contains("[ignored inside, yet caught: the ignore can go]"),
            "{}",
            human(&c)
        );
        // Missed on one side, ignored on the other.
        let c = coverage(vec![result(
            Fault::Hang("svc".into()),
            vec![],
            vec![(Mode::External, "x")],
        )]);
        assert!(
            human(&c).contains("MISSED inside; ignored: outside x"),
            "{}",
            human(&c)
        );
    }
}
