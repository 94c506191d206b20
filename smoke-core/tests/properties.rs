//! Property tests: whatever a panel file or a service's answer holds, smoke ends in a load error
//! or a judgement, never a panic or a hang. Random and mutated panels go to the loader; random
//! bodies (bytes, JSON-like, deeply nested, HTML-like, control characters) go to a condition on
//! every subject. The case counts are bounded so CI stays quick.

use proptest::prelude::*;
use smoke_core::engine::{load_str, testing::judge, Condition, Evaluation, LoadOptions};
use smoke_core::prelude::Observation;
use smoke_core::prelude::{Cause, Outcome, ProbeReport};
use std::path::Path;
use std::time::{Duration, Instant};

const HERODEMO: &str = include_str!("../../probes/herodemo.toml");

/// One condition per subject, each of a kind that reads the body in its own way.
const CONDITIONS: &[&str] = &[
    "status == 200",
    "status in [200, 204]",
    "header.content-type contains json",
    "header.x-hostile !exists",
    "body contains ok",
    "body matches ^[a-z]+$",
    "bytes > 0",
    "time < 1s",
    "time.first_byte < 500ms",
    "json exists",
    "json.result.items[0].name == x",
    "len(json) > 0",
    "$..* exists",
    "$..name contains a",
    "json.a[0][0][0].b exists",
    "$.result[?@.n > 1] exists",
    "result exists",
    "len(result) > 0",
    "result.persons[0] != null",
    "html(nav#hero-nav) >= 1",
    "html(div p:not(.x) > a) == 0",
    "cert.days_left > 7",
    "cert.issuer contains R",
    "dns.rcode == NOERROR",
    "dns.addresses contains 127.0.0.1",
];

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        "[\\[\\]{}\":,0-9a-z .\\\\-]{0,512}".prop_map(String::into_bytes),
        (0usize..3000, 0usize..3000, "[0-9a-z\"]{0,8}").prop_map(|(open, close, mid)| {
            format!("{}{mid}{}", "[".repeat(open), "]".repeat(close)).into_bytes()
        }),
        (0usize..3000, "[a-z]{1,3}").prop_map(|(n, tag)| {
            format!(
                "{}{}",
                format!("<{tag}>").repeat(n),
                format!("</{tag}>").repeat(n / 2)
            )
            .into_bytes()
        }),
        "(<[a-z]{1,4}( id=\"[a-z-]{0,8}\")?>|</[a-z]{1,4}>|[a-z \n]|&[a-z#0-9]{0,6};){0,300}"
            .prop_map(String::into_bytes),
        "[\\x00-\\x1f\\x7f\\u{202e}a-z{}\\[\\]\"]{0,256}".prop_map(String::into_bytes),
        Just(
            br#"{"jsonrpc":"2.0","id":1,"result":{"persons":[{"name":"a"}],"items":[]}}"#.to_vec()
        ),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(
        (
            prop_oneof![
                Just("content-type".to_string()),
                "[a-z-]{1,12}".prop_map(|s| s)
            ],
            "[\\x00-\\x7f]{0,64}",
        ),
        0..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_body_gets_a_judgement_on_every_subject(
        status in any::<u16>(),
        headers in headers(),
        body in bodies(),
    ) {
        let obs = Observation::http(status, headers, body);
        let conditions: Vec<Condition> = CONDITIONS
            .iter()
            .map(|text| Condition::parse(text).expect("the listed conditions parse"))
            .collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        for condition in &conditions {
            // Each alone: a judgement, or a named limit of the body.
            match condition.judge(&Evaluation::until(&obs, deadline)) {
                Ok(j) => {
                    prop_assert!(j.message.starts_with("expected "), "{}", j.message);
                    prop_assert!(j.got.chars().count() <= 120, "{}", j.got);
                }
                Err(limit) => prop_assert_eq!(limit.cause(), Cause::Protocol, "{}", limit),
            }
        }
        // All together, as a probe is judged: an outcome, and a cause with every failure.
        let mut report = ProbeReport::new("random");
        judge(&mut report, &obs, &conditions, &[]);
        match report.outcome() {
            Outcome::Ok | Outcome::Degraded => prop_assert!(report.cause().is_none()),
            Outcome::Fail => prop_assert!(report.cause().is_some() && report.detail().is_some()),
            Outcome::Error => prop_assert!(false, "a body is never smoke's own error: {:?}", report.detail()),
        }
    }

    #[test]
    fn any_condition_text_parses_or_is_refused_at_a_column(text in "[ -~\\x00-\\x1f]{0,80}") {
        if let Err(e) = Condition::parse(&text) {
            prop_assert!(e.column >= 1, "{e}");
        }
    }

    #[test]
    fn a_mutated_herodemo_panel_loads_or_is_refused_with_a_position(
        edits in proptest::collection::vec(
            (any::<proptest::sample::Index>(), 0usize..24, "[\\x00-\\x1f\\[\\]{}=\"'#.,a-z0-9 \n]{0,12}"),
            1..6,
        ),
    ) {
        let mut text = HERODEMO.to_string();
        for (at, cut, insert) in &edits {
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(start..end, insert);
        }
        if let Err(e) = load_str(&text, Path::new("mutated.toml"), &LoadOptions::default()) {
            let message = e.to_string();
            prop_assert!(message.starts_with("mutated.toml"), "{message}");
        }
    }

    #[test]
    fn random_toml_soup_loads_or_is_refused(
        text in "(\\[\\[?(panel|probe|defaults|internal|external|notify|maintenance)\\]\\]?\n|[a-z_]{1,12} = (\"[ -~]{0,16}\"|[0-9]{1,12}|true|\\[\"[a-z =<>.()]{0,20}\"\\])\n){0,24}",
    ) {
        let _ = load_str(&text, Path::new("soup.toml"), &LoadOptions::default());
    }
}
