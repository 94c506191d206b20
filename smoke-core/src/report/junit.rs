//! `--format junit`: the tick as JUnit XML, so a CI system shows each probe as a test case.
//! One suite per tick (`<panel> <mode>`), one case per probe: `fail` is a `<failure>`, `error`
//! (the checker's fault) an `<error>`, and a degraded probe passes with its detail in
//! `<system-out>`.

use super::escape;
use crate::outcome::{Outcome, ProbeReport, RunReport};
use std::fmt::Write;

fn seconds(d: std::time::Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// The tick as JUnit XML, for CI.
pub fn junit(report: &RunReport) -> String {
    let failures = report.count(Outcome::Fail);
    let errors = report.count(Outcome::Error);
    let tests = report.probes.len();
    let time = seconds(report.duration_ms);
    let suite = escape(&format!("{} {}", report.panel, report.mode));
    let class = escape(&format!("{}.{}", report.panel, report.mode));
    // The JUnit schema's timestamp has no zone; it is UTC here.
    let timestamp = report.started_at.strftime("%Y-%m-%dT%H:%M:%S");

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"smoke\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"{time}\" timestamp=\"{timestamp}\">"
    );
    for p in &report.probes {
        case(&mut out, p, &class);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn case(out: &mut String, p: &ProbeReport, class: &str) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{class}\" time=\"{}\"",
        escape(&p.name),
        seconds(p.duration_ms)
    );
    let detail = p.detail.as_deref().unwrap_or("");
    let element = match p.outcome {
        Outcome::Ok => {
            out.push_str("/>\n");
            return;
        }
        Outcome::Degraded => {
            let _ = writeln!(
                out,
                ">\n      <system-out>degraded: {}</system-out>\n    </testcase>",
                escape(detail)
            );
            return;
        }
        Outcome::Fail => "failure",
        Outcome::Error => "error",
    };
    let cause = p.cause.map(|c| c.as_str()).unwrap_or(p.outcome.as_str());
    // The body says more than the message: the phase and each condition that did not hold.
    let mut body = detail.to_string();
    if let Some(phase) = p.phase {
        let _ = write!(body, "\nphase: {phase}");
    }
    for c in p.conditions.iter().filter(|c| !c.passed) {
        let _ = write!(body, "\ncondition: {} (got {})", c.text, c.got);
    }
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
