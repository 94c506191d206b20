//! The public surface: parsing entry points, text, traits.

use super::*;

#[test]
fn text_is_the_condition_as_written() {
    let c = Condition::parse("  status   == 200 ").unwrap();
    assert_eq!(c.text(), "status   == 200");
    assert_eq!(c.to_string(), "status   == 200");
}

#[test]
fn from_str_is_parse() {
    let c: Condition = "status == 200".parse().unwrap();
    assert!(c.evaluate(&http("")).passed);
    let e = "stauts == 200".parse::<Condition>().unwrap_err();
    assert_eq!(e.column, 1);
    assert_eq!(
        e.to_string(),
        "column 1: unknown subject `stauts`: did you mean `status`?"
    );
}

#[test]
fn deserializes_from_a_string_with_the_column_in_errors() {
    let c: Condition = serde_json::from_str("\"time < 800ms\"").unwrap();
    assert_eq!(c.text(), "time < 800ms");
    let e = serde_json::from_str::<Condition>("\"time < 5\"").unwrap_err();
    assert!(
        e.to_string()
            .contains("column 8: time compares with a duration, like 800ms"),
        "{e}"
    );
    assert!(serde_json::from_str::<Condition>("200").is_err());
    let many: Vec<Condition> =
        serde_json::from_str(r#"["status == 200", "len(result) > 0"]"#).unwrap();
    assert_eq!(many.len(), 2);
}

#[test]
fn conditions_are_shareable_and_comparable() {
    fn shareable<T: Send + Sync + Clone + std::fmt::Debug>() {}
    shareable::<Condition>();
    let a = Condition::parse("status == 200").unwrap();
    assert_eq!(a, a.clone());
    assert_ne!(a, Condition::parse("status == 201").unwrap());
}

// It uses html(), which needs the `html` feature.
#[cfg(feature = "html")]
#[test]
fn evaluation_survives_odd_observations() {
    let mut odd = Observation::default();
    odd.body = vec![0xff, 0xfe, b'{', 0];
    for cond in [
        "status == 200",
        "body contains x",
        "bytes > 0",
        "json exists",
        "len(body) > 0",
        "len(json) > 0",
        "html(a) == 0",
        "header.x exists",
        "time < 1s",
        "cert.not_after < 2030-01-01",
        "dns.addresses contains x",
        "body matches .",
    ] {
        let j = judge(cond, &odd);
        assert!(j.message.starts_with("expected "), "{cond}: {}", j.message);
    }
}

#[test]
fn parsing_and_evaluating_never_panic_on_fragments() {
    let pieces = [
        "status",
        "json.a",
        "$",
        "$.a[",
        "len(",
        "html(",
        "(",
        ")",
        "[",
        "]",
        "'",
        "\"",
        "\\",
        "==",
        "!=",
        "<",
        "exists",
        "in",
        "[1,",
        "é",
        " ",
        "5s",
        "1e400",
        "{",
        "matches",
        "a{2",
        "99999999999999999999d",
        "cert.not_after",
        "dns.addresses",
        "contains",
    ];
    let obs = [full(), http("{\"a\": [1]}"), Observation::default()];
    for a in pieces {
        for b in pieces {
            for c in pieces {
                for text in [format!("{a}{b}{c}"), format!("{a} {b} {c}")] {
                    if let Ok(cond) = Condition::parse(&text) {
                        for o in &obs {
                            let _ = cond.evaluate(o);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_ast_says_what_a_condition_reads_and_where_each_part_stands() {
    use super::super::{DnsField, Op, Subject};
    let c = Condition::parse("  status   in [200, 404] ").unwrap();
    assert!(matches!(c.subject(), Subject::Status));
    assert_eq!(c.ast().op(), Op::In);
    let spans = c.ast().spans();
    let part = |r: &std::ops::Range<usize>| {
        c.text()
            .chars()
            .skip(r.start)
            .take(r.len())
            .collect::<String>()
    };
    assert_eq!(part(&spans.subject), "status");
    assert_eq!(part(&spans.op), "in");
    assert_eq!(part(spans.value.as_ref().unwrap()), "[200, 404]");

    // Through len(): what it counts is what it reads.
    let c = Condition::parse("len(dns.addresses) > 0").unwrap();
    assert!(matches!(c.subject(), Subject::Len(_)));
    assert!(matches!(
        c.subject().read(),
        Subject::Dns(DnsField::Addresses)
    ));
    assert_eq!(c.ast().subject_text(), "len(dns.addresses)");

    // A status written inside a body match is not a status condition.
    let c = Condition::parse("body contains \"status == 500\"").unwrap();
    assert!(matches!(c.subject(), Subject::Body));
    let c = Condition::parse("header.x exists").unwrap();
    assert_eq!(c.ast().spans().value, None);
}

#[test]
fn a_condition_made_of_parts_keeps_any_text_one_value() {
    use super::super::Op;
    let c = Condition::of("dns.addresses", Op::Contains, "10.0.0.1").unwrap();
    assert_eq!(c.text(), "dns.addresses contains \"10.0.0.1\"");
    let tricky = r#"a "quoted" \ value, == 3"#;
    let c = Condition::of("body", Op::Contains, tricky).unwrap();
    assert!(c.evaluate(&http(&format!("<<{tricky}>>"))).passed);
    assert!(!c.evaluate(&http("a quoted value")).passed);
    // What does not fit is the parser's error, never dropped.
    let e = Condition::of("time", Op::Contains, "x").unwrap_err();
    assert!(e.message.contains("contains"), "{e}");
    assert!(Condition::of("stauts", Op::Eq, "200").is_err());
}
