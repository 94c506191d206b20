//! Renders a tick. One module per output format.

mod human;
mod json;
mod junit;
mod nagios;
#[cfg(feature = "prometheus")]
mod prometheus;

pub use human::{human, HumanStyle};
pub use json::json;
pub use junit::{junit, junit_suite, JunitCase, JunitSuite};
pub use nagios::nagios;
#[cfg(feature = "prometheus")]
pub use prometheus::{prometheus, CONTENT_TYPE as PROMETHEUS_CONTENT_TYPE};

use crate::outcome::RunReport;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For a person.
    Human,
    /// JSON, for scripts.
    Json,
    /// The Prometheus text format.
    #[cfg(feature = "prometheus")]
    Prometheus,
    /// A Nagios plugin's output line.
    Nagios,
    /// JUnit XML, for CI.
    Junit,
}

impl Format {
    /// Every format, by the name `--format` takes.
    #[cfg(feature = "prometheus")]
    pub const ALL: [(&'static str, Format); 5] = [
        ("human", Format::Human),
        ("json", Format::Json),
        ("prometheus", Format::Prometheus),
        ("nagios", Format::Nagios),
        ("junit", Format::Junit),
    ];

    /// Every format this build renders: without the `prometheus` feature, not that one.
    #[cfg(not(feature = "prometheus"))]
    pub const ALL: [(&'static str, Format); 4] = [
        ("human", Format::Human),
        ("json", Format::Json),
        ("nagios", Format::Nagios),
        ("junit", Format::Junit),
    ];
}

/// A `--format` this build does not render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}`: {known}", known = Format::ALL.map(|(n, _)| n).join(", "))]
pub struct UnknownFormat(pub String);

impl std::str::FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        Format::ALL
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, f)| *f)
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// The report in `format`, ending with a newline. The Prometheus text of a one-shot run has no
/// incident state: [`prometheus`] takes one where the caller holds it.
pub fn render(report: &RunReport, format: Format, style: HumanStyle) -> String {
    match format {
        Format::Human => human(report, style),
        Format::Json => json(report),
        #[cfg(feature = "prometheus")]
        Format::Prometheus => prometheus(report, None),
        Format::Nagios => nagios(report),
        Format::Junit => junit(report),
    }
}

/// Escapes text for XML and HTML, in content and in quoted attributes alike. Characters that
/// XML 1.0 cannot carry at all (most C0 controls, which a cut response body may hold) become
/// U+FFFD, so the document stays well-formed whatever a service answered.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Kept as references so an attribute value keeps its line breaks.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A report with one probe of each outcome, timings and a certificate: what every format's
/// tests render, here and in the crates that render reports of their own (the status page).
#[cfg(any(test, feature = "test-support"))]
pub mod fixture {
    use crate::observation::CertInfo;
    use crate::outcome::{Cause, ConditionResult, Failure, Outcome, Phase, ProbeReport, RunReport};
    use std::time::Duration;

    /// When the fixture's tick started, unix seconds.
    pub const STARTED: i64 = 1_750_000_000;
    pub(crate) const NOT_AFTER: i64 = 1_760_000_000;

    /// A tick with a probe of each outcome, which every format's tests render.
    pub fn report() -> RunReport {
        let mut ok = ProbeReport::new("os-ui");
        ok.duration_ms = Duration::from_millis(4);
        ok.timings.connect = Some(Duration::from_micros(250));
        ok.timings.first_byte = Some(Duration::from_millis(3));
        ok.timings.total = Some(Duration::from_millis(4));

        let mut degraded = ProbeReport::new("public-site");
        degraded.outcome = Outcome::Degraded;
        degraded.detail = Some("certificate expires in 12 days".into());
        degraded.duration_ms = Duration::from_millis(80);
        degraded.timings.dns = Some(Duration::from_millis(5));
        degraded.timings.connect = Some(Duration::from_millis(10));
        degraded.timings.tls = Some(Duration::from_millis(30));
        degraded.timings.first_byte = Some(Duration::from_millis(70));
        degraded.timings.total = Some(Duration::from_millis(80));
        degraded.cert = Some(CertInfo {
            not_after: jiff::Timestamp::from_second(NOT_AFTER).unwrap(),
            days_left: 12,
            issuer: "Test CA".into(),
            subject: "CN=example.test".into(),
        });

        let mut fail = ProbeReport::new("biz-persons");
        fail.duration_ms = Duration::from_millis(9);
        fail.fail(Failure::at(
            Cause::Assertion,
            Phase::Body,
            "expected len(result) > 0, got <empty> & \"nothing\"",
        ));
        fail.conditions.push(ConditionResult {
            text: "len(result) > 0".into(),
            passed: false,
            got: "0".into(),
            soft: false,
        });

        let mut error = ProbeReport::new("photos");
        error.duration_ms = Duration::from_millis(1);
        error.fail(Failure::new(Cause::Checker, "cannot read the capture"));

        RunReport {
            panel: "herodemo".into(),
            mode: "internal".into(),
            vantage: "probe-1".into(),
            every: Some(Duration::from_secs(60)),
            started_at: jiff::Timestamp::from_second(STARTED).unwrap(),
            duration_ms: Duration::from_millis(120),
            outcome: Outcome::Error,
            probes: vec![ok, degraded, fail, error],
            notes: Vec::new(),
        }
    }
}

// They name every format, Prometheus included.
#[cfg(all(test, feature = "prometheus"))]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_its_name() {
        for (name, format) in [
            ("human", Format::Human),
            ("json", Format::Json),
            ("prometheus", Format::Prometheus),
            ("nagios", Format::Nagios),
            ("junit", Format::Junit),
        ] {
            assert_eq!(name.parse::<Format>(), Ok(format));
            assert!(render(&fixture::report(), format, HumanStyle::default()).ends_with('\n'));
        }
        assert!("xml"
            .parse::<Format>()
            .unwrap_err()
            .to_string()
            .contains("junit"));
    }

    /// Every format, fed what a hostile service says (in a detail, in the `got` of a
    /// condition), shows it without one raw control character.
    #[test]
    fn no_format_passes_a_services_control_characters_through() {
        const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\nforged line";
        let mut report = fixture::report();
        for p in &mut report.probes {
            p.detail = Some(HOSTILE.into());
            p.muted = Some(HOSTILE.into());
        }
        report.probes[2].conditions[0].got = HOSTILE.into();
        // A note can name the socket folder, whose path comes from the environment.
        report.notes = vec![HOSTILE.into()];
        let formats = [
            Format::Human,
            Format::Json,
            Format::Prometheus,
            Format::Nagios,
            Format::Junit,
        ];
        let outputs: Vec<(String, String)> = formats
            .iter()
            .map(|f| (format!("{f:?}"), render(&report, *f, HumanStyle::default())))
            .collect();
        for (name, text) in outputs {
            for raw in ['\u{1b}', '\u{7}'] {
                assert!(!text.contains(raw), "{name} passes {raw:?} raw:\n{text}");
            }
            assert!(
                !text.contains("\nforged line"),
                "{name} lets a service start a line:\n{text}"
            );
        }
        let human = render(&report, Format::Human, HumanStyle::default());
        assert!(
            human.contains("\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\nforged line"),
            "{human}"
        );
    }

    #[test]
    fn a_note_of_the_tick_is_a_line_of_the_human_report_and_a_field_of_the_json() {
        let mut report = fixture::report();
        let plain = render(&report, Format::Json, HumanStyle::default());
        assert!(!plain.contains("\"notes\""), "no notes, no field: {plain}");
        let note = "hero_proc's service.list: 5 names left out, past [panel] max_services = 2";
        report.notes = vec![note.to_string()];
        let human = render(&report, Format::Human, HumanStyle::default());
        assert_eq!(
            human.matches(&format!("note: {note}\n")).count(),
            1,
            "{human}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(&report, Format::Json, HumanStyle::default())).unwrap();
        assert_eq!(json["notes"], serde_json::json!([note]));
    }

    #[test]
    fn an_unproven_probe_says_so_in_each_format_and_a_proven_one_as_before() {
        let proven = fixture::report();
        let mut report = fixture::report();
        report.probes[2].proven = false;
        let human = |r| render(r, Format::Human, HumanStyle::default());
        let unproven = human(&report);
        assert!(
            unproven.contains("FAIL (unproven) biz-persons"),
            "{unproven}"
        );
        assert_eq!(unproven.matches("unproven").count(), 1, "{unproven}");
        assert!(!human(&proven).contains("unproven"));
        let json = |r| render(r, Format::Json, HumanStyle::default());
        assert!(!json(&proven).contains("\"proven\""), "absent when true");
        let j: serde_json::Value = serde_json::from_str(&json(&report)).unwrap();
        assert_eq!(j["probes"][2]["proven"], serde_json::json!(false));
        assert!(j["probes"][1].get("proven").is_none());
        let metrics = render(&report, Format::Prometheus, HumanStyle::default());
        let labelled: Vec<&str> = metrics
            .lines()
            .filter(|l| l.contains("proven=\"false\""))
            .collect();
        assert!(!labelled.is_empty(), "{metrics}");
        assert!(labelled.iter().all(|l| l.contains("probe=\"biz-persons\"")));
        assert!(!render(&proven, Format::Prometheus, HumanStyle::default()).contains("proven"));
    }

    #[test]
    fn escape_covers_markup_and_controls() {
        assert_eq!(
            escape("<a href=\"x\">&'\n\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&#10;\u{FFFD}"
        );
    }
}
