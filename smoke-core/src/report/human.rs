//! `--format human`: a line per probe (mark, name, time, the cause in words), then the count.

use crate::outcome::{Outcome, ProbeReport, RunReport};
use crate::text::{escape_controls, Escaped};
use crate::units::format_duration;
use std::fmt::Write;

/// Whether to colour the marks (only on a terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HumanStyle {
    /// Colour the marks.
    pub colour: bool,
}

/// The tick for a person to read, a line per probe.
pub fn human(report: &RunReport, style: HumanStyle) -> String {
    let width = report
        .probes
        .iter()
        .map(|p| escape_controls(&p.name).chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for p in &report.probes {
        let _ = writeln!(out, "{}", line(p, width, style));
        // The line names the first thing that moved; when more did, each gets a line.
        if p.drift.len() > 1 {
            for moved in &p.drift {
                let _ = writeln!(out, "    drift: {}", Escaped(moved));
            }
        }
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {}", Escaped(note));
    }
    let passed = report.count(Outcome::Ok);
    let failed = report.count(Outcome::Fail) + report.count(Outcome::Error);
    let degraded = report.count(Outcome::Degraded);
    let _ = writeln!(
        out,
        "{} {} in {}",
        Escaped(&report.panel),
        report.mode,
        format_duration(report.duration_ms)
    );
    let _ = write!(out, "{passed} passed, {failed} failed");
    if degraded > 0 {
        let _ = write!(out, ", {degraded} degraded");
    }
    out.push('\n');
    out
}

fn line(p: &ProbeReport, width: usize, style: HumanStyle) -> String {
    let (mark, colour) = match p.outcome {
        Outcome::Ok => ("ok  ", "32"),
        Outcome::Degraded => ("WARN", "33"),
        Outcome::Fail => ("FAIL", "31"),
        Outcome::Error => ("ERR ", "35"),
    };
    // Not yet passed here: the failure may be the probe's own, and it has paged no one.
    let mark = match p.proven {
        true => mark.to_string(),
        false => format!("{} (unproven)", mark.trim_end()),
    };
    let mark = if style.colour {
        format!("\x1b[{colour}m{mark}\x1b[0m")
    } else {
        mark
    };
    // A name can hold a service's (checked) name and a detail its words: a terminal gets
    // neither raw.
    let mut text = format!(
        "{mark} {:<width$} {:>6}",
        escape_controls(&p.name),
        format_duration(p.duration_ms)
    );
    // Which of the targets it tries in turn answered: the one to look at.
    if let Some(target) = &p.target {
        let _ = write!(text, "  via {}", Escaped(target));
    }
    if let Some(detail) = &p.detail {
        let cause = p.cause.map(|c| c.as_str()).unwrap_or("");
        let _ = write!(text, "  {cause}: {}", Escaped(detail));
        if p.attempts > 1 {
            let _ = write!(text, " ({} attempts)", p.attempts);
        }
    }
    if let Some(root) = &p.caused_by {
        let _ = write!(text, "  (caused by {})", Escaped(root));
    }
    if let Some(why) = &p.muted {
        let _ = write!(text, "  [quiet: {}]", Escaped(why));
    }
    // The page as the browser drew it, for the failure a response alone cannot show.
    if let Some(path) = &p.evidence {
        let _ = write!(text, "  [screenshot: {}]", Escaped(path));
    }
    text
}
