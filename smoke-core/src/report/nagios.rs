//! `--format nagios`: the monitoring-plugins convention. A first line `SMOKE STATE - summary |
//! perfdata` that Nagios, Icinga and their kin show and graph, then one line per probe that is
//! not ok (the plugin's "long output").

use crate::outcome::{Outcome, ProbeReport, RunReport};
use std::fmt::Write;

/// Longest detail quoted in the first line: it is read in a one-line alert, and the full
/// detail follows in the long output.
const SHORT_DETAIL: usize = 80;

fn state(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "OK",
        Outcome::Degraded => "WARNING",
        Outcome::Fail => "CRITICAL",
        Outcome::Error => "UNKNOWN",
    }
}

/// Plugin output is line-based and `|` starts the performance data, so neither a line break
/// nor a `|` from a service's answer may pass through.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '|' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(max - 3).collect();
        short.push_str("...");
        short
    }
}

/// `cause: detail`, or whichever of the two there is.
fn reason(p: &ProbeReport) -> String {
    let detail = p.detail.as_deref().map(clean);
    match (p.cause, detail) {
        (Some(c), Some(d)) => format!("{c}: {d}"),
        (Some(c), None) => c.to_string(),
        (None, Some(d)) => d,
        (None, None) => p.outcome.to_string(),
    }
}

/// The tick as a Nagios plugin's output: a summary line with perfdata, then a line per probe
/// that is not ok.
pub fn nagios(report: &RunReport) -> String {
    let total = report.probes.len();
    let failed = report.count(Outcome::Fail);
    let degraded = report.count(Outcome::Degraded);
    let errors = report.count(Outcome::Error);
    let summary = match report.outcome {
        Outcome::Ok => format!("{total} of {total} passed"),
        worst => {
            // The first line names the probes that set the state; the others are below.
            let verb = match worst {
                Outcome::Degraded => "degraded",
                Outcome::Fail => "failed",
                _ => "could not be checked",
            };
            let named: Vec<String> = report
                .probes
                .iter()
                .filter(|p| p.outcome == worst)
                .map(|p| format!("{} ({})", clean(&p.name), cut(&reason(p), SHORT_DETAIL)))
                .collect();
            format!("{} of {total} {verb}: {}", named.len(), named.join(", "))
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "SMOKE {} - {summary} | probes={total} failed={failed} degraded={degraded} errors={errors} duration={:.3}s",
        state(report.outcome),
        report.duration_ms.as_secs_f64()
    );
    for p in report.probes.iter().filter(|p| p.outcome != Outcome::Ok) {
        let _ = writeln!(
            out,
            "{} {} - {} ({}ms)",
            state(p.outcome),
            clean(&p.name),
            reason(p),
            p.duration_ms.as_millis()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Cause, Failure};
    use crate::report::fixture;

    #[test]
    fn each_state_and_its_lines() {
        let mut report = fixture::report();
        let text = nagios(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "SMOKE UNKNOWN - 1 of 4 could not be checked: photos (checker: cannot read the capture) | probes=4 failed=1 degraded=1 errors=1 duration=0.120s",
                "WARNING public-site - certificate expires in 12 days (80ms)",
                "CRITICAL biz-persons - assertion: expected len(result) > 0, got <empty> & \"nothing\" (9ms)",
                "UNKNOWN photos - checker: cannot read the capture (1ms)",
            ]
        );

        report.probes.pop();
        report.outcome = Outcome::Fail;
        report.probes[0].fail(Failure::new(Cause::Http, "status 502 | bad\ngateway"));
        let text = nagios(&report);
        assert!(
            text.starts_with("SMOKE CRITICAL - 2 of 3 failed: os-ui (http: status 502 / bad gateway), biz-persons (assertion: expected len(result) > 0, got <empty> & \"nothing\") | probes=3 failed=2 degraded=1 errors=0 duration=0.120s\n"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 4);

        report.probes.retain(|p| p.outcome == Outcome::Degraded);
        report.outcome = Outcome::Degraded;
        assert!(nagios(&report).starts_with(
            "SMOKE WARNING - 1 of 1 degraded: public-site (certificate expires in 12 days) | probes=1 failed=0"
        ));

        report.probes[0].outcome = Outcome::Ok;
        report.probes[0].detail = None;
        report.outcome = Outcome::Ok;
        assert_eq!(
            nagios(&report),
            "SMOKE OK - 1 of 1 passed | probes=1 failed=0 degraded=0 errors=0 duration=0.120s\n"
        );
    }

    #[test]
    fn a_long_detail_is_cut_in_the_first_line_only() {
        let mut report = fixture::report();
        report.probes.truncate(1);
        report.outcome = Outcome::Fail;
        report.probes[0].fail(Failure::new(Cause::Assertion, "x".repeat(200)));
        let text = nagios(&report);
        let first = text.lines().next().unwrap();
        assert!(first.contains(&format!(
            "(assertion: {}...)",
            "x".repeat(SHORT_DETAIL - 14)
        )));
        assert!(text.lines().nth(1).unwrap().contains(&"x".repeat(200)));
    }
}
