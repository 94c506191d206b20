//! `--format prometheus`: the tick in the Prometheus text exposition format (0.0.4).
//!
//! A pure function of the report and the incident state, so the same text serves a one-shot
//! run, the `/metrics` endpoint of a watch loop and a node_exporter textfile. The registry is
//! built anew for each call: a tick is a snapshot, and a probe removed from the panel must
//! vanish from the next scrape rather than linger as a stale series.

use crate::incident::State;
use crate::outcome::{Outcome, ProbeReport, RunReport};
use prometheus_client::encoding::{EncodeMetric, MetricEncoder};
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;
use std::time::Duration;

/// The `Content-Type` of this text, for an HTTP `/metrics`.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

type Labels = Vec<(&'static str, String)>;

/// A gauge family whose series are written in the order they were added. The crate's own
/// `Family` keeps its series in a hash map, so each scrape (and each textfile) would list the
/// probes in a new order; here they follow the panel, which keeps diffs and eyes steady.
#[derive(Debug, Default)]
struct Gauges {
    series: Vec<(Labels, f64)>,
}

impl Gauges {
    fn add(&mut self, labels: Labels, value: f64) {
        self.series.push((labels, value));
    }
}

impl TypedMetric for Gauges {
    const TYPE: MetricType = MetricType::Gauge;
}

impl EncodeMetric for Gauges {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (labels, value) in &self.series {
            encoder.encode_family(labels)?.encode_gauge(value)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }

    // An empty family (no certificate, no state) is left out, HELP and TYPE included.
    fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

const OUTCOMES: [Outcome; 4] = [
    Outcome::Ok,
    Outcome::Degraded,
    Outcome::Fail,
    Outcome::Error,
];

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn timestamp(t: jiff::Timestamp) -> f64 {
    t.as_millisecond() as f64 / 1e3
}

/// The most chars of a failure's signature kept as a label: enough to read it in an alert.
pub(crate) const SIGNATURE_LABEL_CHARS: usize = 200;

/// The tick as Prometheus text. `state` adds `smoke_incident_open`; without it that family is
/// left out rather than reported as all closed.
pub fn prometheus(report: &RunReport, state: Option<&State>) -> String {
    let covered = state.map(State::covered).unwrap_or_default();
    let tick = || -> Labels {
        vec![
            ("panel", report.panel.clone()),
            ("mode", report.mode.clone()),
            ("vantage", report.vantage.clone()),
        ]
    };
    // An unproven probe's series say so, so an alert rule can leave them out: on this
    // deployment the probe has not passed yet, and its failure may be the probe's own.
    let probe = |p: &ProbeReport| -> Labels {
        let mut labels = tick();
        labels.push(("probe", p.name.clone()));
        if !p.proven {
            labels.push(("proven", "false".to_string()));
        }
        labels
    };

    let mut success = Gauges::default();
    let mut outcome = Gauges::default();
    let mut duration = Gauges::default();
    let mut cert = Gauges::default();
    let mut incident = Gauges::default();
    let mut caused_by = Gauges::default();
    let mut signature = Gauges::default();
    let mut drift = Gauges::default();
    for p in &report.probes {
        // Only a probe that drifted has a series: a rule alerts on its presence.
        if !p.drift.is_empty() {
            drift.add(probe(p), p.drift.len() as f64);
        }
        // Only symptoms have a series: an alert rule can leave them out with `unless`.
        if let Some(root) = &p.caused_by {
            let mut labels = probe(p);
            labels.push(("root", root.clone()));
            caused_by.add(labels, 1.0);
        } else if let Some(s) = crate::incident::signature(p) {
            // A root failure that may be grouped: rules count vantage points per group, as a
            // host opens one incident per group.
            let mut labels = probe(p);
            labels.push(("group", s.key));
            labels.push(("cause", p.cause.map_or("", |c| c.as_str()).to_string()));
            // It may quote the service (a protocol error's bytes): shown, never passed raw.
            let text = crate::text::escape_controls(&s.text);
            labels.push((
                "signature",
                text.chars().take(SIGNATURE_LABEL_CHARS).collect(),
            ));
            signature.add(labels, 1.0);
        }
        let passed = matches!(p.outcome, Outcome::Ok | Outcome::Degraded);
        success.add(probe(p), if passed { 1.0 } else { 0.0 });
        // Every outcome is written, 0 for the others, so a query can select on the label
        // without `absent()` and a change of outcome is never a vanished series.
        for o in OUTCOMES {
            let mut labels = probe(p);
            labels.push(("outcome", o.as_str().to_string()));
            outcome.add(labels, if o == p.outcome { 1.0 } else { 0.0 });
        }
        let t = &p.timings;
        for (phase, d) in [
            ("dns", t.dns),
            ("connect", t.connect),
            ("tls", t.tls),
            ("first_byte", t.first_byte),
            ("total", t.total),
        ] {
            if let Some(d) = d {
                let mut labels = probe(p);
                labels.push(("phase", phase.to_string()));
                duration.add(labels, seconds(d));
            }
        }
        if let Some(c) = &p.cert {
            cert.add(probe(p), c.not_after.as_second() as f64);
        }
        if state.is_some() {
            let open = covered.contains(p.name.as_str());
            incident.add(probe(p), if open { 1.0 } else { 0.0 });
        }
    }
    let mut tick_duration = Gauges::default();
    tick_duration.add(tick(), seconds(report.duration_ms));
    let mut last_tick = Gauges::default();
    last_tick.add(tick(), timestamp(report.started_at));
    let mut every = Gauges::default();
    if let Some(e) = report.every {
        every.add(tick(), seconds(e));
    }

    let mut registry = Registry::default();
    registry.register(
        "smoke_probe_success",
        "Whether the probe passed in the last tick (ok or degraded)",
        success,
    );
    registry.register(
        "smoke_probe_outcome",
        "The probe's outcome in the last tick: 1 for the current one, 0 for the others",
        outcome,
    );
    registry.register(
        "smoke_probe_duration_seconds",
        "Time spent in each phase of the probe's exchange in the last tick",
        duration,
    );
    registry.register(
        "smoke_cert_expiry_timestamp_seconds",
        "When the probe's peer certificate expires, in Unix seconds",
        cert,
    );
    registry.register(
        "smoke_incident_open",
        "Whether the probe has an open incident",
        incident,
    );
    registry.register(
        "smoke_probe_caused_by",
        "1 for a failing probe whose failure is a symptom of its failing dependency `root`",
        caused_by,
    );
    registry.register(
        "smoke_probe_failure_signature",
        "1 for a failing probe, caused by no other, whose failure may be grouped with others of the same `group`",
        signature,
    );
    registry.register(
        "smoke_probe_drift",
        "How many things the probe's answers moved from the known-good baseline in the last tick (only for a probe that drifted)",
        drift,
    );
    registry.register(
        "smoke_tick_duration_seconds",
        "How long the last tick took",
        tick_duration,
    );
    registry.register(
        "smoke_last_tick_timestamp_seconds",
        "When the last tick started, in Unix seconds",
        last_tick,
    );
    // The period, so a rule can say "no tick for three periods" without a constant per panel.
    registry.register(
        "smoke_panel_every_seconds",
        "The panel's loop period (`every`), in seconds",
        every,
    );
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)
        .expect("writing to a String does not fail");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{Incident, ProbeState};
    use crate::report::fixture;
    use std::collections::BTreeMap;

    /// Parses the exposition line by line: every line a comment or `name{labels} value`.
    fn samples(text: &str) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for line in text.lines() {
            if line.starts_with('#') {
                let mut words = line.split(' ');
                assert_eq!(words.next(), Some("#"), "{line}");
                assert!(matches!(words.next(), Some("HELP" | "TYPE")), "{line}");
                continue;
            }
            let (series, value) = line.rsplit_once(' ').expect(line);
            let value: f64 = value.parse().expect(line);
            let name_end = series.find('{').unwrap_or(series.len());
            assert!(series[..name_end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if name_end < series.len() {
                assert!(series.ends_with('}'), "{line}");
            }
            assert!(out.insert(series.to_string(), value).is_none(), "{line}");
        }
        out
    }

    const P: &str = r#"panel="herodemo",mode="internal",vantage="probe-1""#;

    #[test]
    fn the_tick_as_series() {
        let mut state = State::default();
        state.probes.insert(
            "biz-persons".into(),
            ProbeState {
                failures: 1,
                successes: 0,
            },
        );
        state.incidents.insert(
            "biz-persons".into(),
            Incident::new(
                "herodemo/internal/biz-persons/1".into(),
                jiff::Timestamp::from_second(fixture::STARTED).unwrap(),
                Default::default(),
                vec!["biz-persons".into()],
            ),
        );
        let text = prometheus(&fixture::report(), Some(&state));
        let s = samples(&text);
        let get = |series: &str| *s.get(series).unwrap_or_else(|| panic!("{series}\n{text}"));

        assert!(text.contains("# TYPE smoke_probe_success gauge\n"));
        assert_eq!(
            get(&format!("smoke_probe_success{{{P},probe=\"os-ui\"}}")),
            1.0
        );
        assert_eq!(
            get(&format!("smoke_probe_success{{{P},probe=\"public-site\"}}")),
            1.0
        );
        assert_eq!(
            get(&format!("smoke_probe_success{{{P},probe=\"biz-persons\"}}")),
            0.0
        );
        assert_eq!(
            get(&format!("smoke_probe_success{{{P},probe=\"photos\"}}")),
            0.0
        );
        for (o, v) in [
            ("ok", 0.0),
            ("degraded", 0.0),
            ("fail", 0.0),
            ("error", 1.0),
        ] {
            let series = format!("smoke_probe_outcome{{{P},probe=\"photos\",outcome=\"{o}\"}}");
            assert_eq!(get(&series), v);
        }
        assert_eq!(
            get(&format!(
                "smoke_probe_duration_seconds{{{P},probe=\"public-site\",phase=\"tls\"}}"
            )),
            0.03
        );
        assert_eq!(
            get(&format!(
                "smoke_probe_duration_seconds{{{P},probe=\"os-ui\",phase=\"connect\"}}"
            )),
            0.00025
        );
        // Only phases that happened: no DNS over a Unix socket.
        assert!(!text.contains(r#"probe="os-ui",phase="dns""#));
        assert_eq!(
            get(&format!(
                "smoke_cert_expiry_timestamp_seconds{{{P},probe=\"public-site\"}}"
            )),
            fixture::NOT_AFTER as f64
        );
        assert_eq!(s.keys().filter(|k| k.starts_with("smoke_cert_")).count(), 1);
        assert_eq!(
            get(&format!("smoke_incident_open{{{P},probe=\"biz-persons\"}}")),
            1.0
        );
        assert_eq!(
            get(&format!("smoke_incident_open{{{P},probe=\"os-ui\"}}")),
            0.0
        );
        assert_eq!(get(&format!("smoke_tick_duration_seconds{{{P}}}")), 0.12);
        assert_eq!(
            get(&format!("smoke_last_tick_timestamp_seconds{{{P}}}")),
            fixture::STARTED as f64
        );
        assert_eq!(get(&format!("smoke_panel_every_seconds{{{P}}}")), 60.0);
        // Every series names its vantage point, so Prometheus can count them.
        for k in s.keys() {
            assert!(k.contains(r#"vantage="probe-1""#), "{k}");
        }
        // The series follow the panel's order.
        let ui =
            text.find(r#"smoke_probe_success{panel="herodemo",mode="internal",vantage="probe-1",probe="os-ui"}"#);
        let photos =
            text.find(r#"smoke_probe_success{panel="herodemo",mode="internal",vantage="probe-1",probe="photos"}"#);
        assert!(ui < photos);
    }

    #[test]
    fn without_state_or_certificates_those_families_are_left_out() {
        let mut report = fixture::report();
        report.probes.iter_mut().for_each(|p| p.cert = None);
        report.panel = "a \"quoted\" panel".into();
        let text = prometheus(&report, None);
        assert!(!text.contains("smoke_incident_open"), "{text}");
        assert!(!text.contains("smoke_cert_expiry"), "{text}");
        assert!(
            !text.contains("smoke_probe_caused_by"),
            "no symptom, no series: {text}"
        );
        assert!(text.contains(r#"panel="a \"quoted\" panel""#), "{text}");
        report.every = None;
        let text = prometheus(&report, None);
        assert!(
            !text.contains("smoke_panel_every"),
            "no panel, no period: {text}"
        );
        samples(&text);
    }

    #[test]
    fn a_drifted_probe_says_how_much_moved_and_the_others_say_nothing() {
        let mut report = fixture::report();
        report.probes[0].drift = vec!["len(result): 42 at baseline, 3 now".into(), "x".into()];
        let text = prometheus(&report, None);
        let got = samples(&text);
        let name = &report.probes[0].name;
        assert_eq!(
            got.get(&format!("smoke_probe_drift{{{P},probe=\"{name}\"}}")),
            Some(&2.0),
            "{text}"
        );
        assert_eq!(
            got.keys()
                .filter(|k| k.starts_with("smoke_probe_drift"))
                .count(),
            1
        );
        assert!(!prometheus(&fixture::report(), None).contains("smoke_probe_drift"));
    }

    #[test]
    fn a_symptom_names_its_root() {
        let mut report = fixture::report();
        report.probes[3].caused_by = Some("biz-persons".into());
        let text = prometheus(&report, None);
        let got = samples(&text);
        assert_eq!(
            got.get(&format!(
                "smoke_probe_caused_by{{{P},probe=\"photos\",root=\"biz-persons\"}}"
            )),
            Some(&1.0),
            "{text}"
        );
        assert_eq!(
            got.keys()
                .filter(|k| k.starts_with("smoke_probe_caused_by"))
                .count(),
            1
        );
    }

    #[test]
    fn a_root_failure_that_may_be_grouped_names_its_group() {
        use crate::outcome::{Cause, Failure, Phase};
        let mut report = fixture::report();
        for (i, name) in [(0, "os-ui"), (1, "public-site")] {
            let mut f = Failure::at(Cause::Http, Phase::Headers, "HTTP 502 Bad Gateway");
            f.status = Some(502);
            report.probes[i] = crate::outcome::ProbeReport::new(name);
            report.probes[i].fail(f);
        }
        // A symptom has no signature of its own: its root stands for it.
        report.probes[1].caused_by = Some("os-ui".into());
        // A protocol error quoting what a hostile service sent: escaped, cut.
        let mut f = Failure::new(
            Cause::Protocol,
            format!("garbage \u{1b}]0;pwned\u{7} {}", "x".repeat(500)),
        );
        f.phase = Some(Phase::Headers);
        report.probes[3] = crate::outcome::ProbeReport::new("photos");
        report.probes[3].fail(f);
        let text = prometheus(&report, None);
        let got = samples(&text);
        let grouped: Vec<&String> = got
            .keys()
            .filter(|k| k.starts_with("smoke_probe_failure_signature"))
            .collect();
        assert!(!text.contains('\u{1b}'), "{text}");
        let hostile = grouped
            .iter()
            .find(|k| k.contains("probe=\"photos\""))
            .expect("the protocol error has a signature");
        assert!(hostile.contains(r"\\u{1b}]0;pwned"), "{hostile}");
        assert!(
            hostile.len() < 600,
            "cut to SIGNATURE_LABEL_CHARS: {hostile}"
        );
        let grouped: Vec<&&String> = grouped.iter().filter(|k| !k.contains("photos")).collect();
        assert_eq!(
            grouped,
            [&&format!(
                "smoke_probe_failure_signature{{{P},probe=\"os-ui\",group=\"group:http-502\",cause=\"http\",signature=\"HTTP 502 Bad Gateway\"}}"
            )],
            "a wrong answer (biz-persons) is never grouped: {text}"
        );
    }
}
