//! `dns = "name"` and `tls = "host:port"` probes for names and ports other than the public host.

mod common;

use common::{deployment, describe, probe};
use smoke_core::engine::{load_str, run_panel, LoadOptions};
use smoke_core::prelude::{Cause, Outcome};
use smoke_sim::{Deployment, Fault};
use std::path::Path;

async fn run(sim: &Deployment, probes: &str) -> smoke_core::prelude::RunReport {
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
        probe(&report, "other-a").outcome(),
        Outcome::Ok,
        "{}",
        describe(&report)
    );
    let gone = probe(&report, "gone");
    assert_eq!(gone.cause(), Some(Cause::Dns));
    assert_eq!(
        gone.detail(),
        Some("NXDOMAIN: gone.smoke.test does not exist")
    );
    assert_eq!(
        probe(&report, "stays-gone").outcome(),
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
    assert_eq!(report.outcome(), Outcome::Ok, "{}", describe(&report));
    sim.set(Fault::CertExpiring3d);
    let report = run(&sim, &probes).await;
    let cert = probe(&report, "cert");
    assert_eq!(
        cert.cause(),
        Some(Cause::Assertion),
        "its own condition speaks first: {}",
        describe(&report)
    );
    assert!(cert
        .detail()
        .unwrap()
        .starts_with("expected cert.days_left > 30, got "));
}

/// A loopback port that greets each connection with `greeting` (or says nothing) and keeps it
/// open: an SSH server, or a port that accepts and never answers.
async fn greeter(greeting: Option<&'static str>) -> u16 {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Some(words) = greeting {
                    let _ = conn.write_all(words.as_bytes()).await;
                }
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_probes_connect_by_name_and_judge_the_first_line() {
    let sim = deployment().await;
    let gateway = sim.gateway_addr().unwrap().port();
    let ssh = greeter(Some("SSH-2.0-OpenSSH_9.6\r\n")).await;
    let smtp = greeter(Some("220 mail.smoke.test ESMTP\r\n")).await;
    let silent = greeter(None).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let probes = format!(
        r#"
[[probe]]
name = "gateway-port"
tcp = "herodemo.smoke.test:{gateway}"
expect = ["time.connect < 1s"]

[[probe]]
name = "ssh"
tcp = "127.0.0.1:{ssh}"
expect = ["banner contains SSH-2.0"]

[[probe]]
name = "not-ssh"
tcp = "127.0.0.1:{smtp}"
expect = ["banner contains SSH-2.0"]

[[probe]]
name = "silent"
tcp = "127.0.0.1:{silent}"
expect = ["banner contains SSH-2.0"]

[[probe]]
name = "closed"
tcp = "127.0.0.1:{closed_port}"

[[probe]]
name = "no-name"
tcp = "gone.smoke.test:22"

[[probe]]
name = "inside-only"
tcp = "hero_router/rpc.sock"
"#
    );
    let report = run(&sim, &probes).await;
    let gateway = probe(&report, "gateway-port");
    assert_eq!(gateway.outcome(), Outcome::Ok, "{}", describe(&report));
    assert!(gateway.timings().dns.is_some() && gateway.timings().connect.is_some());
    assert_eq!(
        probe(&report, "ssh").outcome(),
        Outcome::Ok,
        "{}",
        describe(&report)
    );
    let not_ssh = probe(&report, "not-ssh");
    assert_eq!(
        not_ssh.cause(),
        Some(Cause::Assertion),
        "{}",
        describe(&report)
    );
    assert_eq!(
        not_ssh.detail(),
        Some("expected banner contains \"SSH-2.0\", got \"220 mail.smoke.test ESMTP\"")
    );
    let silent = probe(&report, "silent");
    assert_eq!(
        silent.cause(),
        Some(Cause::Timeout),
        "{}",
        describe(&report)
    );
    assert_eq!(
        silent.detail(),
        Some("no first line within 1s after connect")
    );
    let closed = probe(&report, "closed");
    assert_eq!(
        closed.cause(),
        Some(Cause::Connect),
        "{}",
        describe(&report)
    );
    assert_eq!(
        closed.detail(),
        Some(format!("connection refused by 127.0.0.1:{closed_port}").as_str())
    );
    assert_eq!(
        probe(&report, "no-name").cause(),
        Some(Cause::Dns),
        "{}",
        describe(&report)
    );
    assert!(
        report.probes().iter().all(|p| p.name() != "inside-only"),
        "a socket path is probed inside only: {}",
        describe(&report)
    );
}
