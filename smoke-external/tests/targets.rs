//! Targets tried in turn (`target = ["hero_osis_business/rpc", "hero_osis/rpc"]`): one panel
//! reaches OSIS before and after it moves to one RPC (HERO.md, "OSIS"), from both sides, names
//! the target that answered, and never passes over a target that is there and broken.

mod common;

use common::{deployment_as, describe, external, internal, not_ok, probe};
use smoke_core::prelude::{Outcome, RunReport};
use smoke_sim::{Fault, Layout};

/// Both sides' reports of one deployment.
async fn both(sim: &smoke_sim::Deployment) -> [(&'static str, RunReport); 2] {
    [
        ("inside", internal(sim).await),
        ("outside", external(sim).await),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn osis_probes_reach_the_osis_each_layout_has_and_name_it() {
    for (layout, base, business) in [
        (
            Layout::Herodemo,
            "hero_osis_base/rpc",
            "hero_osis_business/rpc",
        ),
        (Layout::Hero, "hero_osis/rpc", "hero_osis/rpc"),
    ] {
        let sim = deployment_as(layout).await;
        for (side, report) in both(&sim).await {
            assert!(
                not_ok(&report).is_empty(),
                "{layout} {side}:\n{}",
                describe(&report)
            );
            assert_eq!(probe(&report, "contexts-distinct").target(), Some(base));
            assert_eq!(probe(&report, "biz-persons").target(), Some(business));
            // A probe of one target goes where `list` says: no name to add.
            assert_eq!(probe(&report, "photos-download").target(), None);
            let json = serde_json::to_value(probe(&report, "biz-persons")).unwrap();
            assert_eq!(json["target"], business, "{json:#}");
            assert!(
                describe(&report).contains(&format!("via {business}")),
                "{}",
                describe(&report)
            );
        }
    }
}

/// A target that is there and dead (a stale socket inside; the gateway's 502 "refused the
/// connection" outside) fails the probe: it is the service's failure, not a sign that OSIS
/// moved, and the next target is not asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_there_and_broken_fails_and_is_never_passed_over() {
    let sim = deployment_as(Layout::Herodemo).await;
    sim.set(Fault::StaleSocket("hero_osis_business".into()));
    for (side, report) in both(&sim).await {
        let biz = probe(&report, "biz-persons");
        let detail = biz.detail().unwrap_or_default();
        assert_eq!(
            biz.outcome(),
            Outcome::Fail,
            "{side}: {}",
            describe(&report)
        );
        assert_eq!(biz.target(), Some("hero_osis_business/rpc"), "{side}");
        let named = if side == "inside" {
            "refused"
        } else {
            "HTTP 502"
        };
        assert!(
            detail.contains(named) && !detail.contains("not there"),
            "{side}: {detail}"
        );
    }
}

/// With no target there, the first answers for all (the panel's first choice) and the line
/// names every other place the probe looked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_target_there_the_failure_names_every_place_tried() {
    let sim = deployment_as(Layout::Hero).await;
    sim.set(Fault::SocketMissing("hero_osis".into()));
    let [(_, inside), (_, outside)] = both(&sim).await;
    let detail = |r: &RunReport| {
        let p = probe(r, "biz-persons");
        assert_eq!(p.outcome(), Outcome::Fail, "{}", describe(r));
        assert_eq!(p.target(), Some("hero_osis_business/rpc"));
        p.detail().unwrap_or_default().to_string()
    };
    let d = detail(&inside);
    assert!(
        d.starts_with("socket missing: ")
            && d.contains("/hero_osis_business/rpc.sock")
            && d.ends_with("; nor is another target there: hero_osis/rpc (no socket file)"),
        "{d}"
    );
    let d = detail(&outside);
    assert_eq!(
        d,
        "HTTP 502 Bad Gateway; nor is another target there: hero_osis/rpc (the gateway answered 502: no such socket)"
    );
}

/// The first target gone and the next there: the next answers, and a failure of it names the
/// first as passed over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_of_a_later_target_names_the_ones_passed_over() {
    let sim = deployment_as(Layout::Hero).await;
    sim.set(Fault::RpcError("hero_osis".into()));
    for (side, report) in both(&sim).await {
        let biz = probe(&report, "biz-persons");
        assert_eq!(
            biz.outcome(),
            Outcome::Fail,
            "{side}: {}",
            describe(&report)
        );
        assert_eq!(biz.target(), Some("hero_osis/rpc"), "{side}");
        let d = biz.detail().unwrap_or_default();
        assert!(
            d.starts_with("not there: hero_osis_business/rpc (") && d.contains("-32603"),
            "{side}: {d}"
        );
    }
}
