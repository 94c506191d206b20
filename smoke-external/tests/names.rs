//! From outside, hero_proc's `service.list` (through the gateway) is the list of services: a name
//! in it that is not a service name is skipped, never put in a URL, and fails nothing.

mod common;

use common::{deployment, describe, external};
use smoke_core::prelude::Outcome;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_listed_by_hero_proc_never_reach_a_url() {
    let sim = deployment().await;
    let bad = ["--help", "a#frag", "a?b=c", "a..b", "x\u{1b}[2J", "a b"];
    sim.also_list(&bad);
    let report = external(&sim).await;
    assert_eq!(report.outcome(), Outcome::Ok, "{}", describe(&report));
    let health: Vec<&str> = report
        .probes()
        .iter()
        .map(|p| p.name())
        .filter(|n| n.starts_with("health-"))
        .collect();
    let want: Vec<String> = sim
        .services()
        .iter()
        .map(|s| format!("health-{s}"))
        .collect();
    assert_eq!(health, want, "the good names only, each probed");
}
