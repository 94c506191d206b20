//! `--format junit`: the tick as JUnit XML, so a CI system shows each probe as a test case.
//! One suite per tick (`<panel> <mode>`), one case per probe: `fail` is a `<failure>`, `error`
//! (the checker's fault) an `<error>`, and a degraded probe passes with its detail in
//! `<system-out>`.

use super::escape;
use crate::outcome::{Outcome, ProbeReport, RunReport};
use std::fmt::Write;
use std::time::Duration;

fn seconds(d: std::time::Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// A JUnit file's one suite, as [`junit_suite`] writes it: a tick's (`junit`), or a gate's,
/// each probe as its worst tick of several.
#[derive(Debug, Clone)]
pub struct JunitSuite {
    /// The panel's name.
    pub panel: String,
    /// The side: `internal` or `external`.
    pub mode: String,
    /// When it started (written in UTC without a zone, as the schema's timestamp is).
    pub started_at: jiff::Timestamp,
    /// How long it took.
    pub time: Duration,
    /// A case per probe, in order.
    pub cases: Vec<JunitCase>,
}

/// One test case: a probe's report, read as JUnit reads it.
#[derive(Debug, Clone)]
pub struct JunitCase {
    /// The probe's name.
    pub name: String,
    /// `fail` is a `<failure>`, `error` an `<error>`; `ok` and `degraded` pass (degraded with
    /// its detail in `<system-out>`).
    pub outcome: Outcome,
    /// Its cause, the failure's `type` (`assertion`, `drift`, ...); the outcome's name if none.
    pub cause: Option<String>,
    /// The failure in one line.
    pub detail: String,
    /// Where in the exchange it failed, when known.
    pub phase: Option<String>,
    /// Each condition that did not hold: its text, and what it got.
    pub failed_conditions: Vec<(String, String)>,
    /// What moved from the known-good baseline, a line each.
    pub drift: Vec<String>,
    /// How long it took.
    pub time: Duration,
}

impl JunitCase {
    /// The case of a probe's report.
    pub fn of(p: &ProbeReport) -> JunitCase {
        JunitCase {
            name: p.name.clone(),
            outcome: p.outcome,
            cause: p.cause.map(|c| c.as_str().to_string()),
            detail: p.detail.clone().unwrap_or_default(),
            phase: p.phase.map(|ph| ph.as_str().to_string()),
            failed_conditions: p
                .conditions
                .iter()
                .filter(|c| !c.passed)
                .map(|c| (c.text.clone(), c.got.clone()))
                .collect(),
            drift: p.drift.clone(),
            time: p.duration_ms,
        }
    }
}

/// The tick as JUnit XML, for CI.
pub fn junit(report: &RunReport) -> String {
    junit_suite(&JunitSuite {
        panel: report.panel.clone(),
        mode: report.mode.clone(),
        started_at: report.started_at,
        time: report.duration_ms,
        cases: report.probes.iter().map(JunitCase::of).collect(),
    })
}

/// A suite as JUnit XML: what [`junit`] writes of a tick, and a gate of its probes' worst ticks.
pub fn junit_suite(suite: &JunitSuite) -> String {
    let count = |o: Outcome| suite.cases.iter().filter(|c| c.outcome == o).count();
    let failures = count(Outcome::Fail);
    let errors = count(Outcome::Error);
    let tests = suite.cases.len();
    let time = seconds(suite.time);
    let name = escape(&format!("{} {}", suite.panel, suite.mode));
    let class = escape(&format!("{}.{}", suite.panel, suite.mode));
    // The JUnit schema's timestamp has no zone; it is UTC here.
    let timestamp = suite.started_at.strftime("%Y-%m-%dT%H:%M:%S");

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"smoke\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"{time}\" timestamp=\"{timestamp}\">"
    );
    for c in &suite.cases {
        case(&mut out, c, &class);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn case(out: &mut String, c: &JunitCase, class: &str) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{class}\" time=\"{}\"",
        escape(&c.name),
        seconds(c.time)
    );
    let detail = c.detail.as_str();
    // What moved, a line each: beside a degraded probe's detail, and in a failure's body.
    let drift: String = c.drift.iter().map(|d| format!("\ndrift: {d}")).collect();
    let element = match c.outcome {
        Outcome::Ok if drift.is_empty() => {
            out.push_str("/>\n");
            return;
        }
        Outcome::Ok | Outcome::Degraded => {
            let _ = writeln!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                escape(&format!("{}: {detail}{drift}", c.outcome.as_str()))
            );
            return;
        }
        Outcome::Fail => "failure",
        Outcome::Error => "error",
    };
    let cause = c.cause.as_deref().unwrap_or(c.outcome.as_str());
    // The body says more than the message: the phase, each condition that did not hold, and
    // what drifted.
    let mut body = detail.to_string();
    if let Some(phase) = &c.phase {
        let _ = write!(body, "\nphase: {phase}");
    }
    for (text, got) in &c.failed_conditions {
        let _ = write!(body, "\ncondition: {text} (got {got})");
    }
    body.push_str(&drift);
    let _ = writeln!(
        out,
        ">\n      <{element} message=\"{}\" type=\"{}\">{}</{element}>\n    </testcase>",
        escape(&format!("{cause}: {detail}")),
        escape(cause),
        escape(&body)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn suite_cases_and_escaping() {
        let text = junit(&fixture::report());
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        assert_eq!(lines[0], "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        assert_eq!(
            lines[1],
            "<testsuites name=\"smoke\" tests=\"4\" failures=\"1\" errors=\"1\" time=\"0.120\">"
        );
        assert_eq!(
            lines[2],
            "<testsuite name=\"herodemo internal\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"0\" time=\"0.120\" timestamp=\"2025-06-15T15:06:40\">"
        );
        assert_eq!(
            lines[3],
            "<testcase name=\"os-ui\" classname=\"herodemo.internal\" time=\"0.004\"/>"
        );
        assert!(text.contains("<system-out>degraded: certificate expires in 12 days</system-out>"));
        // `<`, `&` and `"` from a detail are escaped in the attribute and in the body.
        assert!(text.contains(
            "<failure message=\"assertion: expected len(result) &gt; 0, got &lt;empty&gt; &amp; &quot;nothing&quot;\" type=\"assertion\">expected len(result) &gt; 0, got &lt;empty&gt; &amp; &quot;nothing&quot;&#10;phase: body&#10;condition: len(result) &gt; 0 (got 0)</failure>"
        ), "{text}");
        assert!(text.contains(
            "<error message=\"checker: cannot read the capture\" type=\"checker\">cannot read the capture</error>"
        ));
        assert!(text.ends_with("</testsuite>\n</testsuites>\n"));
    }

    #[test]
    fn drift_is_named_beside_a_degraded_probe_and_in_a_failure() {
        let mut report = fixture::report();
        let p = &mut report.probes[1];
        p.detail = Some("len(result): 5 at baseline, 1 now (and 1 more)".into());
        p.cause = Some(crate::outcome::Cause::Drift);
        p.drift = vec![
            "len(result): 5 at baseline, 1 now".into(),
            "json.result[].email: gone".into(),
        ];
        let text = junit(&report);
        assert!(text.contains(
            "<system-out>degraded: len(result): 5 at baseline, 1 now (and 1 more)&#10;drift: len(result): 5 at baseline, 1 now&#10;drift: json.result[].email: gone</system-out>"
        ), "{text}");
        // A gate reads drift as a failure: the case says so, the renderer names what moved.
        let mut case = JunitCase::of(&report.probes[1]);
        case.outcome = Outcome::Fail;
        let suite = JunitSuite {
            panel: "p".into(),
            mode: "internal".into(),
            started_at: report.started_at,
            time: std::time::Duration::from_secs(3),
            cases: vec![case],
        };
        let text = junit_suite(&suite);
        assert!(
            text.contains("tests=\"1\" failures=\"1\" errors=\"0\""),
            "{text}"
        );
        assert!(text.contains(
            "<failure message=\"drift: len(result): 5 at baseline, 1 now (and 1 more)\" type=\"drift\">len(result): 5 at baseline, 1 now (and 1 more)&#10;drift: len(result): 5 at baseline, 1 now&#10;drift: json.result[].email: gone</failure>"
        ), "{text}");
    }

    #[test]
    fn names_are_escaped_too() {
        let mut report = fixture::report();
        report.panel = "a<b>&\"c\"".into();
        report.probes[0].name = "x\"<y>".into();
        let text = junit(&report);
        assert!(text.contains("<testsuite name=\"a&lt;b&gt;&amp;&quot;c&quot; internal\""));
        assert!(text.contains(
            "<testcase name=\"x&quot;&lt;y&gt;\" classname=\"a&lt;b&gt;&amp;&quot;c&quot;.internal\""
        ));
        assert!(!text.contains("\"c\""));
    }
}
