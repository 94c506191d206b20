use super::*;

/// A `state.json` with every field set, as smoke-core's `State` wrote it when it still held the
/// loop's fields (saved from that code, byte for byte).
const WRITTEN_BEFORE: &str = include_str!("state_before.json");

#[test]
fn a_state_written_before_the_loop_kept_its_own_reads_and_is_written_the_same() {
    let s = LoopState::from_json(WRITTEN_BEFORE).unwrap();
    assert_eq!(s.core.incidents.len(), 2);
    assert_eq!(s.core.log.len(), 1);
    assert_eq!(s.outbox[0].attempts, 2);
    assert_eq!(s.handles["forge"]["p/internal/biz/1793491200000"], 7);
    assert_eq!(s.restarts["hero_foundry"].len(), 2);
    assert_eq!(s.alerts.latest.len(), 2);
    assert_eq!(s.alerts.opened.len(), 1);
    let again = serde_json::to_vec_pretty(&s).unwrap();
    assert_eq!(String::from_utf8(again).unwrap(), WRITTEN_BEFORE);
    // A fresh state is written as it always was: every field, the relay's alerts only when
    // there are some.
    assert_eq!(
        serde_json::to_string(&LoopState::default()).unwrap(),
        r#"{"version":2,"probes":{},"incidents":{},"log":[],"outbox":[],"handles":{},"restarts":{}}"#
    );
}

#[test]
fn a_version_1_file_is_carried_on_with_the_loops_fields() {
    let v1 = r#"{"version": 1,
        "probes": {
            "biz": {"failures": 3, "successes": 0, "incident": {
                "id": "p/internal/biz/1", "opened_at": "2026-11-01T00:00:00Z",
                "cause": "rpc", "detail": "boom", "severity": "critical",
                "last_told": "2026-11-01T00:10:00Z"}}},
        "outbox": [], "handles": {"forge": {"p/internal/biz/1": 7}},
        "restarts": {"hero_foundry": ["2026-11-01T00:05:00Z"]}}"#;
    let s = LoopState::from_json(v1).unwrap();
    assert_eq!(s.core.version, smoke_core::engine::STATE_VERSION);
    assert_eq!(s.core.incidents["biz"].covers.members, ["biz"]);
    assert_eq!(s.handles["forge"]["p/internal/biz/1"], 7);
    assert_eq!(s.restarts["hero_foundry"].len(), 1);
    let again = LoopState::from_json(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(again, s);
    assert!(matches!(
        LoopState::from_json(r#"{"version": 9, "outbox": []}"#),
        Err(StateReadError::Version(9))
    ));
}

#[test]
fn the_relays_alerts_are_written_only_where_there_are_some() {
    let empty = serde_json::to_value(LoopState::default()).unwrap();
    assert!(empty.get("alerts").is_none(), "{empty}");
    let mut s = LoopState::default();
    let at = jiff::Timestamp::from_second(1_900_000_000).unwrap();
    s.alerts.latest.insert(
        "home".into(),
        AlertMark {
            starts_at: at,
            resolved_at: Some(at),
        },
    );
    s.alerts.opened.push(at);
    let again = LoopState::from_json(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(again, s);
}

#[test]
fn what_probes_proved_is_written_only_where_there_is_some() {
    let before = LoopState::from_json(WRITTEN_BEFORE).unwrap();
    assert!(before.proofs.is_empty(), "an older file reads with none");
    let empty = serde_json::to_value(LoopState::default()).unwrap();
    assert!(empty.get("proofs").is_none(), "{empty}");
    let mut s = LoopState::default();
    let at = jiff::Timestamp::from_second(1_900_000_000).unwrap();
    s.proofs.insert(
        "biz".into(),
        crate::proving::Proof {
            passed: Some("3adc018760b9d101".into()),
            unproven_since: Some(at),
            said_at: Some(at),
        },
    );
    let again = LoopState::from_json(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(again, s);
}
