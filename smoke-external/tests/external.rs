//! smoke-external against the simulated gateway, DNS server and certificates: the same panel
//! file passes from both sides when healthy, and each outside-only fault is named.

mod common;

use common::*;
use smoke_core::{
    engine::Phase,
    prelude::{Cause, Exit, Outcome},
};
use smoke_sim::Fault;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_panel_passes_from_inside_and_outside() {
    let sim = deployment().await;
    let inside = internal(&sim).await;
    assert_eq!(inside.outcome(), Outcome::Ok, "{}", describe(&inside));
    let outside = external(&sim).await;
    assert_eq!(outside.outcome(), Outcome::Ok, "{}", describe(&outside));
    assert_eq!(outside.mode(), "external");
    for name in [
        "public-dns",
        "public-tls",
        "photos-download",
        "contexts-distinct",
        "biz-persons",
        "os-ui",
        "embedder-queue",
        "health-hero_foundry",
    ] {
        probe(&outside, name);
    }
    let inside_names: Vec<&str> = inside.probes().iter().map(|p| p.name()).collect();
    for p in outside
        .probes()
        .iter()
        .filter(|p| !p.name().starts_with("public-"))
    {
        assert!(
            inside_names.contains(&p.name()),
            "{} runs outside only",
            p.name()
        );
    }
    let photos = probe(&outside, "photos-download");
    let t = &photos.timings();
    assert!(
        t.dns.is_some()
            && t.connect.is_some()
            && t.tls.is_some()
            && t.first_byte.is_some()
            && t.total.is_some(),
        "{t:?}"
    );
    let cert = photos.cert().expect("the peer certificate is reported");
    assert!(cert.days_left >= 80, "{cert:?}");
    assert!(cert.issuer.contains("smoke-sim test CA"), "{cert:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_ten_days_from_its_end_is_degraded() {
    let sim = deployment().await;
    sim.set(Fault::CertExpiring10d);
    let report = external(&sim).await;
    assert_eq!(report.outcome(), Outcome::Degraded, "{}", describe(&report));
    assert_eq!(not_ok(&report), ["public-tls"]);
    let tls = probe(&report, "public-tls");
    assert_eq!(tls.cause(), Some(Cause::Tls));
    let detail = tls.detail().unwrap();
    assert!(
        detail.starts_with("certificate expires in 9 days (")
            || detail.starts_with("certificate expires in 10 days ("),
        "{detail}"
    );
    assert!(detail.ends_with("under the 21 days to warn at"), "{detail}");
    assert_eq!(report.outcome().exit(), Exit::Degraded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_three_days_from_its_end_fails() {
    let sim = deployment().await;
    sim.set(Fault::CertExpiring3d);
    let report = external(&sim).await;
    assert_eq!(report.outcome(), Outcome::Fail, "{}", describe(&report));
    assert_eq!(not_ok(&report), ["public-tls"]);
    let tls = probe(&report, "public-tls");
    assert_eq!(tls.cause(), Some(Cause::Tls));
    assert!(tls
        .detail()
        .unwrap()
        .contains("under the 7 days to fail at"));
    assert_eq!(report.outcome().exit(), Exit::Failed);
}

fn every_https_probe_fails_with_tls(report: &smoke_core::prelude::RunReport, words: &[&str]) {
    assert_eq!(report.outcome(), Outcome::Fail, "{}", describe(report));
    for p in report.probes().iter().filter(|p| p.name() != "public-dns") {
        assert_eq!(p.outcome(), Outcome::Fail, "{}", describe(report));
        assert_eq!(p.cause(), Some(Cause::Tls), "{}", describe(report));
        assert_eq!(p.phase(), Some(Phase::Tls), "{}", describe(report));
        for w in words {
            assert!(
                p.detail().unwrap().contains(w),
                "{}: {:?} lacks {w:?}",
                p.name(),
                p.detail()
            );
        }
    }
    assert_eq!(probe(report, "public-dns").outcome(), Outcome::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_says_when_it_expired() {
    let sim = deployment().await;
    sim.set(Fault::CertExpired);
    let report = external(&sim).await;
    every_https_probe_fails_with_tls(&report, &["certificate expired 2 days ago ("]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_host_names_the_hosts_it_is_for() {
    let sim = deployment().await;
    sim.set(Fault::CertWrongHost);
    let report = external(&sim).await;
    every_https_probe_fails_with_tls(
        &report,
        &["wrong host: the certificate is for other.smoke.test, not herodemo.smoke.test"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_an_unknown_issuer_is_untrusted() {
    let sim = deployment().await;
    sim.set(Fault::CertUntrusted);
    let report = external(&sim).await;
    every_https_probe_fails_with_tls(
        &report,
        &["untrusted certificate: its issuer", "is not a trusted root"],
    );
}

fn everything_fails_with_dns(report: &smoke_core::prelude::RunReport, words: &str) {
    assert_eq!(report.outcome(), Outcome::Fail, "{}", describe(report));
    for p in report.probes() {
        assert_eq!(p.cause(), Some(Cause::Dns), "{}", describe(report));
        assert!(
            p.detail().unwrap().contains(words),
            "{}: {:?}",
            p.name(),
            p.detail()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nxdomain_is_a_dns_failure_that_says_the_name_does_not_exist() {
    let sim = deployment().await;
    sim.set(Fault::DnsNxdomain);
    let report = external(&sim).await;
    everything_fails_with_dns(&report, "NXDOMAIN: herodemo.smoke.test does not exist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servfail_is_a_dns_failure() {
    let sim = deployment().await;
    sim.set(Fault::DnsServfail);
    let report = external(&sim).await;
    everything_fails_with_dns(&report, "SERVFAIL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_answering_502_is_an_http_failure_behind_a_good_name_and_certificate() {
    let sim = deployment().await;
    sim.set(Fault::Gateway502);
    let report = external(&sim).await;
    assert_eq!(report.outcome(), Outcome::Fail, "{}", describe(&report));
    for p in report.probes() {
        if p.name().starts_with("public-") {
            assert_eq!(p.outcome(), Outcome::Ok, "{}", describe(&report));
        } else {
            assert_eq!(p.cause(), Some(Cause::Http), "{}", describe(&report));
            assert!(
                p.detail().unwrap().contains("HTTP 502 Bad Gateway"),
                "{:?}",
                p.detail()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_gateway_times_out_waiting_for_the_answer() {
    let sim = deployment().await;
    sim.set(Fault::GatewaySlow);
    let started = std::time::Instant::now();
    let report = external(&sim).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert_eq!(report.outcome(), Outcome::Fail, "{}", describe(&report));
    for p in report
        .probes()
        .iter()
        .filter(|p| !p.name().starts_with("public-"))
    {
        assert_eq!(p.cause(), Some(Cause::Timeout), "{}", describe(&report));
        assert_eq!(p.phase(), Some(Phase::Headers), "{}", describe(&report));
        assert!(p
            .detail()
            .unwrap()
            .contains("no answer within 1s after connect"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_faults_show_outside_too() {
    let sim = deployment().await;
    sim.set(Fault::BizEmpty);
    let report = external(&sim).await;
    assert_eq!(not_ok(&report), ["biz-persons"], "{}", describe(&report));
    assert!(probe(&report, "biz-persons")
        .detail()
        .unwrap()
        .contains("expected len(result) > 0, got 0"));
}
