//! `dns = "name"` and `tls = "host:port"` probes for names and ports other than the public host.

mod common;

use common::{deployment, describe, probe};
use smoke_core::outcome::{Cause, Outcome};
use smoke_core::panel::{load_str, LoadOptions};
use smoke_core::plan::run_panel;
use smoke_sim::{Deployment, Fault};
use std::path::Path;

async fn run(sim: &Deployment, probes: &str) -> smoke_core::outcome::RunReport {
    let text = format!(
        "[panel]\nname = \"kinds\"\ntimeout = \"1s\"\n[defaults]\nretries = 0\n[external]\nresolvers = [\"{}\"]\nca_file = \"{}\"\n{probes}",
        sim.dns_addr().unwrap(),
        sim.ca_file().unwrap().display()
    );
    let panel = load_str(&text, Path::new("kinds.toml"), &LoadOptions::default()).unwrap();
    let side = smoke_external::side(&panel).unwrap();
    run_panel(&panel, side.as_ref(), &[], 8).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_probes_judge_the_answer_and_its_rcode() {
    let sim = deployment().await;
    let report = run(
        &sim,
        r#"
[[probe]]
name = "other-a"
dns = "other.smoke.test"
expect = ["dns.addresses contains 127.0.0.1", "dns.rcode == NOERROR"]

[[probe]]
name = "gone"
dns = "gone.smoke.test"

[[probe]]
name = "stays-gone"
dns = "gone.smoke.test"
expect = ["dns.rcode == NXDOMAIN"]
"#,
    )
    .await;
    assert_eq!(
        probe(&report, "other-a").outcome,
        Outcome::Ok,
        "{}",
        describe(&report)
    );
    let gone = probe(&report, "gone");
    assert_eq!(gone.cause, Some(Cause::Dns));
    assert_eq!(
        gone.detail.as_deref(),
        Some("NXDOMAIN: gone.smoke.test does not exist")
    );
    assert_eq!(
        probe(&report, "stays-gone").outcome,
        Outcome::Ok,
        "a probe may expect a name to be absent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_probes_check_any_host_and_port_with_cert_conditions() {
    let sim = deployment().await;
    let port = sim.gateway_addr().unwrap().port();
    let probes = format!(
        "[[probe]]\nname = \"cert\"\ntls = \"herodemo.smoke.test:{port}\"\nexpect = [\"cert.days_left > 30\", \"cert.issuer contains smoke-sim test CA\"]\n"
    );
    let report = run(&sim, &probes).await;
    assert_eq!(report.outcome, Outcome::Ok, "{}", describe(&report));
    sim.set(Fault::CertExpiring3d);
    let report = run(&sim, &probes).await;
    let cert = probe(&report, "cert");
    assert_eq!(
        cert.cause,
        Some(Cause::Assertion),
        "its own condition speaks first: {}",
        describe(&report)
    );
    assert!(cert
        .detail
        .as_deref()
        .unwrap()
        .starts_with("expected cert.days_left > 30, got "));
}
