use super::*;
use smoke_core::engine::Checks;
use smoke_core::prelude::{Attempt, Check, Failure, Observation, Probe, ProbeReport};
use std::time::Duration;

struct Nothing;

#[async_trait::async_trait]
impl Probe for Nothing {
    async fn attempt(&self, _cx: &Attempt) -> Result<Observation, Failure> {
        Ok(Observation::from_json(serde_json::json!({})))
    }
}

fn planned(expect: &str, place: &str) -> Planned {
    let check = Check::new("biz", Nothing)
        .expect_that(expect)
        .unwrap()
        .timeout(Duration::from_secs(2));
    planned_as(check, place)
}

fn planned_as(check: Check, place: &str) -> Planned {
    Planned::made(
        check,
        "rpc business.persons.list",
        place,
        Some("hero_osis_business"),
    )
}

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_second(1_900_000_000 + minutes * 60).unwrap()
}

fn report(minutes: i64, outcome: Outcome) -> RunReport {
    let mut p = ProbeReport::new("biz");
    p.set_outcome(outcome);
    RunReport::made("p", "internal", at(minutes), vec![p])
}

/// One tick of probe `biz` with definition `def`: whether it came out proven, and what was said.
fn tick(
    proofs: &mut Proofs,
    minutes: i64,
    outcome: Outcome,
    def: &str,
    said_proven: bool,
) -> (bool, Vec<String>) {
    let mut r = report(minutes, outcome);
    let definitions = HashMap::from([(
        "biz".to_string(),
        Definition::Hash {
            now: def.to_string(),
            earlier: None,
        },
    )]);
    let mut info = ProbeInfo::new("biz", "x");
    info.settings.proven = said_proven;
    let infos = HashMap::from([("biz".to_string(), info)]);
    let lines = prove(proofs, &mut r, &definitions, &infos, true);
    (r.probes_mut()[0].proven(), lines)
}

#[test]
fn fnv1a_is_the_published_function() {
    // The reference values of FNV-1a 64 (Fowler, Noll, Vo).
    assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn a_definition_hashes_the_same_on_every_run_and_changes_with_what_it_judges() {
    let a = fingerprint(&planned("status == 200", "/s/biz/rpc.sock /rpc"));
    // Pinned (FNV-1a of the text, worked out apart): a build that hashed otherwise would make every probe of every deployment
    // unproven again, silencing its failures until it passes.
    assert_eq!(a, "3adc018760b9d101");
    assert_eq!(
        a,
        fingerprint(&planned("status == 200", "/s/biz/rpc.sock /rpc"))
    );
    assert_ne!(
        a,
        fingerprint(&planned("status == 201", "/s/biz/rpc.sock /rpc"))
    );
    assert_ne!(
        a,
        fingerprint(&planned("status == 200", "/s/other/rpc.sock /rpc"))
    );
    let check = Check::new("biz", Nothing)
        .expect_that("status == 200")
        .unwrap()
        .timeout(Duration::from_secs(9));
    let slower = planned_as(check, "/s/biz/rpc.sock /rpc");
    assert_ne!(a, fingerprint(&slower));
    let _: &Checks = slower.probe().conditions();
}

#[test]
fn a_probe_is_unproven_until_it_passes_and_said_once_a_day() {
    let mut proofs = Proofs::new();
    let (proven, lines) = tick(&mut proofs, 0, Outcome::Fail, "d1", false);
    assert!(!proven);
    assert_eq!(
        lines,
        ["probe biz has never passed here since 2030-03-17 17:46 UTC: the probe or the deployment is wrong"]
    );
    for m in 1..10 {
        let (proven, lines) = tick(&mut proofs, m, Outcome::Error, "d1", false);
        assert!(!proven && lines.is_empty(), "{lines:?}");
    }
    assert_eq!(unproven(&proofs).collect::<Vec<_>>(), [("biz", at(0))]);
    let (_, lines) = tick(&mut proofs, 24 * 60, Outcome::Fail, "d1", false);
    assert_eq!(lines.len(), 1, "a day later it is said again");
    assert!(lines[0].contains("since 2030-03-17 17:46 UTC"), "{lines:?}");
}

#[test]
fn a_pass_proves_it_for_good_until_its_definition_changes() {
    let mut proofs = Proofs::new();
    tick(&mut proofs, 0, Outcome::Fail, "d1", false);
    let (proven, _) = tick(&mut proofs, 1, Outcome::Degraded, "d1", false);
    assert!(proven);
    assert_eq!(unproven(&proofs).count(), 0);
    let (proven, lines) = tick(&mut proofs, 2, Outcome::Fail, "d1", false);
    assert!(proven && lines.is_empty());
    let (proven, lines) = tick(&mut proofs, 3, Outcome::Fail, "d2", false);
    assert!(!proven, "a changed definition is unproven again");
    assert_eq!(lines.len(), 1);
    let (proven, _) = tick(&mut proofs, 4, Outcome::Ok, "d2", false);
    assert!(proven);
    assert_eq!(proofs["biz"].passed.as_deref(), Some("d2"));
}

#[test]
fn proven_true_alarms_at_once_and_clears_what_was_said() {
    let mut proofs = Proofs::new();
    let (proven, lines) = tick(&mut proofs, 0, Outcome::Fail, "d1", true);
    assert!(proven && lines.is_empty());
    assert!(proofs.is_empty(), "nothing to keep: {proofs:?}");
    tick(&mut proofs, 1, Outcome::Fail, "d1", false);
    assert_eq!(unproven(&proofs).count(), 1);
    tick(&mut proofs, 2, Outcome::Fail, "d1", true);
    assert_eq!(unproven(&proofs).count(), 0);
}

#[test]
fn what_is_said_of_a_probe_that_left_goes_but_its_proof_stays() {
    let mut proofs = Proofs::new();
    tick(&mut proofs, 0, Outcome::Ok, "d1", false);
    let mut other = Proofs::new();
    tick(&mut other, 0, Outcome::Fail, "d1", false);
    proofs.insert("gone".into(), other["biz"].clone());
    proofs.insert(
        "gone-proven".into(),
        Proof {
            passed: Some("d0".into()),
            ..Proof::default()
        },
    );
    let mut r = report(1, Outcome::Ok);
    r.set_probes(Vec::new());
    prove(&mut proofs, &mut r, &HashMap::new(), &HashMap::new(), true);
    assert!(!proofs.contains_key("gone"));
    assert_eq!(proofs["gone-proven"].passed.as_deref(), Some("d0"));
    assert!(proofs.contains_key("biz"));
}

#[test]
fn a_stand_in_is_proven_where_a_probe_it_stands_in_for_passed() {
    let mut proofs = Proofs::new();
    let stand_in = |proofs: &mut Proofs| {
        let mut r = report(0, Outcome::Fail);
        r.probes_mut()[0].set_name("health-*");
        let definitions = HashMap::from([("health-*".to_string(), Definition::StandIn)]);
        prove(proofs, &mut r, &definitions, &HashMap::new(), false);
        r.probes_mut()[0].proven()
    };
    assert!(!stand_in(&mut proofs), "the list was never read here");
    proofs.insert(
        "health-".into(),
        Proof {
            passed: Some("d".into()),
            ..Proof::default()
        },
    );
    assert!(!stand_in(&mut proofs), "no service in that name");
    proofs.insert(
        "health-hero_os".into(),
        Proof {
            passed: Some("d".into()),
            ..Proof::default()
        },
    );
    assert!(stand_in(&mut proofs), "health-hero_os passed here");
}

/// What an HTTP probe asks beyond its few words (its params, a header) is part of what it
/// proves: a change there makes it unproven again, like a changed condition.
#[test]
fn params_and_headers_are_part_of_the_definition() {
    let with = |definition: &str| {
        planned("status == 200", "/s/biz/rpc.sock /rpc").set_definition(definition)
    };
    let a = fingerprint(&with("params\t{\"limit\":10}\n"));
    assert_eq!(a, fingerprint(&with("params\t{\"limit\":10}\n")));
    assert_ne!(a, fingerprint(&with("params\t{\"limit\":11}\n")));
    assert_ne!(a, fingerprint(&with("")));
    // A probe whose few words say it all hashes as the first smoke with proofs hashed it.
    let plain = planned("status == 200", "/s/biz/rpc.sock /rpc");
    assert_eq!(fingerprint(&plain), earlier_fingerprint(&plain));
}

/// A proof kept by the smoke before the wider hash is carried over: the probe stays proven
/// through the upgrade, failing or not, and its proof is kept under the hash of now.
#[test]
fn a_proof_under_the_earlier_hash_is_carried_over_once() {
    let planned =
        planned("status == 200", "/s/biz/rpc.sock /rpc").set_definition("params\t{\"limit\":10}\n");
    let Definition::Hash { now, earlier } = Definition::of(&planned) else {
        panic!("a hash");
    };
    let earlier = earlier.expect("an earlier hash where the definition adds to it");
    assert_ne!(now, earlier);
    let mut proofs = Proofs::from([(
        "biz".to_string(),
        Proof {
            passed: Some(earlier.clone()),
            ..Proof::default()
        },
    )]);
    let definitions = HashMap::from([("biz".to_string(), Definition::of(&planned))]);
    let infos = HashMap::from([("biz".to_string(), ProbeInfo::new("biz", "x"))]);
    let mut r = report(0, Outcome::Fail);
    let lines = prove(&mut proofs, &mut r, &definitions, &infos, true);
    assert!(r.probes_mut()[0].proven() && lines.is_empty(), "{lines:?}");
    assert_eq!(proofs["biz"].passed.as_deref(), Some(now.as_str()));
    // Carried over once: the earlier hash proves nothing more once the probe changed.
    let changed = planned.set_definition("params\t{\"limit\":11}\n");
    let definitions = HashMap::from([("biz".to_string(), Definition::of(&changed))]);
    let mut r = report(1, Outcome::Fail);
    prove(&mut proofs, &mut r, &definitions, &infos, true);
    assert!(!r.probes_mut()[0].proven());
}
