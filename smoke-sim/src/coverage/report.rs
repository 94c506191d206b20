//! A coverage run for a person (the matrix) and for CI (one JSON object). Every name that came
//! from the panel is shown escaped: a panel is as untrusted as a service.

use std::fmt::Write as _;

use serde_json::{json, Value};
use smoke_core::engine::{format_duration, Escaped};
use smoke_core::prelude::Outcome;

use super::{side, Catch, Coverage, FaultResult};

/// The most probes a row of the matrix names; the JSON lists them all.
pub const PROBES_PER_ROW: usize = 4;

/// The matrix: a row per fault with the probes that caught it (side and cause), its historical
/// name under it, then `N of M failures caught` and the blind spots by name.
pub fn human(c: &Coverage) -> String {
    let mut out = format!(
        "smoke-sim coverage: panel {}, {} faults ({} services, {} layout), each run inside and outside\n\
         healthy: every probe ok inside and outside\n\n",
        Escaped(&c.panel),
        c.total(),
        c.services.len(),
        c.layout,
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
    let ignored = c.faults.iter().filter(|f| f.ignored.is_some()).count();
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
            "blind spots ({}): no probe failed and the panel does not ignore them",
            blind.len()
        );
        for f in blind {
            let _ = match f.seen {
                Some(seen) => writeln!(out, "  {} \"{seen}\"", f.fault),
                None => writeln!(out, "  {}", f.fault),
            };
        }
    }
    out
}

/// The probes that caught a fault, each once with its sides; else why it was not caught.
fn row(f: &FaultResult) -> String {
    if !f.caught() {
        return match &f.ignored {
            Some(why) => format!("ignored: {}", Escaped(why)),
            None => "MISSED".to_string(),
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
    if f.ignored.is_some() {
        text.push_str(" [ignored, yet caught: the ignore can go]");
    }
    text
}

/// The cause, or the outcome when there is none; `warn` marks a degraded probe.
fn verdict(c: &Catch) -> String {
    let cause = c.cause.map_or(c.outcome.as_str(), |c| c.as_str());
    match c.outcome {
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
                "service": f.fault.service(),
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
                "ignored": f.ignored,
            })
        })
        .collect();
    let ignored: Vec<Value> = c
        .faults
        .iter()
        .filter_map(|f| {
            let why = f.ignored.as_ref()?;
            Some(json!({"fault": f.fault.to_string(), "why": why, "caught": f.caught()}))
        })
        .collect();
    let blind: Vec<Value> = c
        .blind_spots()
        .map(|f| json!({"fault": f.fault.to_string(), "historical": f.seen}))
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
