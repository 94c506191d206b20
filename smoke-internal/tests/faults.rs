//! With one fault switched on in the simulated deployment, the herodemo panel fails on exactly the
//! probe that guards that user path, with the right cause in words; everything else passes.

mod common;

use common::{assert_only_fails, describe, tick};
use smoke_core::{
    engine::Phase,
    prelude::{Cause, Outcome},
};
use smoke_sim::{Deployment, Fault};
use std::time::{Duration, Instant};

async fn with(fault: Fault) -> smoke_core::prelude::RunReport {
    let sim = Deployment::start().await.unwrap();
    sim.set(fault);
    tick(&sim).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_deployment_passes_every_probe() {
    let sim = Deployment::start().await.unwrap();
    let report = tick(&sim).await;
    assert_eq!(report.outcome(), Outcome::Ok, "{}", describe(&report));
    let names: Vec<&str> = report.probes().iter().map(|p| p.name()).collect();
    for expected in [
        "photos-download",
        "contexts-distinct",
        "biz-persons",
        "os-ui",
        "embedder-queue",
        "health-hero_foundry",
        "health-hero_proc",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(sim.requests_served() as usize >= report.probes().len());
    let photos = &report.probes()[0];
    assert_eq!(photos.status(), Some(200));
    assert!(photos.conditions().iter().all(|c| c.passed()));
    assert!(photos.timings().connect.is_some() && photos.timings().total.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_context_answering_roots_data_fails_contexts_distinct() {
    let report = with(Fault::ContextFallback).await;
    assert_only_fails(
        &report,
        &["contexts-distinct"],
        Cause::Assertion,
        None,
        &["answered the same result as root"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_broken_behind_a_green_health_fails_the_download() {
    let report = with(Fault::PhotosBroken).await;
    assert_only_fails(
        &report,
        &["photos-download"],
        Cause::Protocol,
        Some(Phase::Headers),
        &["empty reply"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_business_list_fails_biz_persons() {
    let report = with(Fault::BizEmpty).await;
    assert_only_fails(
        &report,
        &["biz-persons"],
        Cause::Assertion,
        None,
        &["expected len(result) > 0, got 0"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_ui_socket_is_named_with_its_path() {
    let report = with(Fault::UiSocketMissing).await;
    assert_only_fails(
        &report,
        &["os-ui"],
        Cause::Connect,
        Some(Phase::Connect),
        &["socket missing:", "hero_os/ui.sock"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_accepts_and_never_answers_times_out_after_connect() {
    let started = Instant::now();
    let report = with(Fault::Hang("hero_foundry".into())).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_only_fails(
        &report,
        &["photos-download", "health-hero_foundry"],
        Cause::Timeout,
        Some(Phase::Headers),
        &["no answer within 1s after connect"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_reply_is_a_protocol_failure() {
    let report = with(Fault::EmptyReply("hero_osis_business".into())).await;
    assert_only_fails(
        &report,
        &["biz-persons", "health-hero_osis_business"],
        Cause::Protocol,
        Some(Phase::Headers),
        &["empty reply"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_is_not_http_is_malformed() {
    let report = with(Fault::Malformed("hero_embedder".into())).await;
    assert_only_fails(
        &report,
        &["embedder-queue", "health-hero_embedder"],
        Cause::Protocol,
        Some(Phase::Headers),
        &["malformed HTTP reply"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cut_short_is_truncated() {
    let report = with(Fault::Truncated("hero_foundry".into())).await;
    assert_only_fails(
        &report,
        &["photos-download", "health-hero_foundry"],
        Cause::Protocol,
        Some(Phase::Body),
        &["truncated body"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_on_health_is_an_http_failure() {
    let report = with(Fault::Health500("hero_proc".into())).await;
    assert_only_fails(
        &report,
        &["health-hero_proc"],
        Cause::Http,
        None,
        &["HTTP 500 Internal Server Error"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_rpc_error_fails_even_with_http_200() {
    let report = with(Fault::RpcError("hero_osis_business".into())).await;
    assert_only_fails(
        &report,
        &["biz-persons"],
        Cause::Rpc,
        None,
        &["JSON-RPC error -32603", "database locked"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_socket_is_missing_and_the_supervisor_still_lists_its_service() {
    let report = with(Fault::SocketMissing("hero_osis_business".into())).await;
    assert_only_fails(
        &report,
        &["biz-persons", "health-hero_osis_business"],
        Cause::Connect,
        Some(Phase::Connect),
        &["hero_osis_business/rpc.sock"],
    );
    let detail = |name: &str| {
        report
            .probes()
            .iter()
            .find(|p| p.name() == name)
            .unwrap()
            .detail()
            .unwrap()
    };
    for probe in ["biz-persons", "health-hero_osis_business"] {
        assert!(
            detail(probe).starts_with("supervised by hero_proc but no socket: "),
            "{probe}: {}",
            detail(probe)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_file_nobody_listens_on_is_stale() {
    let report = with(Fault::StaleSocket("hero_osis_base".into())).await;
    assert_only_fails(
        &report,
        &["contexts-distinct", "health-hero_osis_base"],
        Cause::Connect,
        Some(Phase::Connect),
        &["stale socket", "hero_osis_base/rpc.sock"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_embedder_queue_fails_the_queue_probe() {
    let report = with(Fault::QueueBacklog).await;
    assert_only_fails(
        &report,
        &["embedder-queue"],
        Cause::Assertion,
        None,
        &["json.queue_depth < 1000", "5000"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_cleared_passes_again() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::UiSocketMissing);
    assert_eq!(tick(&sim).await.outcome(), Outcome::Fail);
    sim.clear(&Fault::UiSocketMissing);
    let report = tick(&sim).await;
    assert_eq!(report.outcome(), Outcome::Ok, "{}", describe(&report));
}
