//! `tcp` probes inside the VM: a service's socket (relative to the socket folder) and a port of
//! the VM, each judged on whether it accepts and, when asked, on the first line it says.

mod common;

use common::describe;
use smoke_core::engine::{load_str, run_panel, LoadOptions};
use smoke_core::{
    engine::Phase,
    prelude::{Cause, Outcome, ProbeReport, RunReport},
};
use smoke_sim::{Deployment, Fault};
use std::path::Path;

async fn run(sim: &Deployment, probes: &str) -> RunReport {
    let text = format!(
        "[panel]\nname = \"tcp\"\ntimeout = \"1s\"\n[defaults]\nretries = 0\n[internal]\nsocket_dir = \"{}\"\n{probes}",
        sim.socket_dir().display()
    );
    let panel = load_str(&text, Path::new("tcp.toml"), &LoadOptions::default()).unwrap();
    run_panel(&panel, smoke_internal::side(&panel).as_ref(), &[], 8).await
}

fn probe<'a>(report: &'a RunReport, name: &str) -> &'a ProbeReport {
    report
        .probes()
        .iter()
        .find(|p| p.name() == name)
        .unwrap_or_else(|| panic!("no probe {name}: {}", describe(report)))
}

/// A socket that answers HTTP, asked in plain bytes: its first line is the status line.
const ASK_HEALTH: &str = r#"
[[probe]]
name = "biz-socket"
tcp = "hero_osis_business/rpc.sock"

[[probe]]
name = "biz-says-http"
tcp = "hero_osis_business/rpc.sock"
send = "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
expect = ["banner matches '^HTTP/1\\.[01] 200'", "time.first_byte < 1s"]

[[probe]]
name = "biz-says-ssh"
tcp = "hero_osis_business/rpc.sock"
send = "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
expect = ["banner contains SSH-2.0"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_socket_passes_and_its_first_line_is_judged() {
    let sim = Deployment::start().await.unwrap();
    let report = run(&sim, ASK_HEALTH).await;
    assert_eq!(
        probe(&report, "biz-socket").outcome(),
        Outcome::Ok,
        "{}",
        describe(&report)
    );
    let http = probe(&report, "biz-says-http");
    assert_eq!(http.outcome(), Outcome::Ok, "{}", describe(&report));
    assert!(http.timings().connect.is_some() && http.timings().first_byte.is_some());
    let ssh = probe(&report, "biz-says-ssh");
    assert_eq!(ssh.cause(), Some(Cause::Assertion), "{}", describe(&report));
    let detail = ssh.detail().unwrap();
    assert_eq!(
        detail,
        "expected banner contains \"SSH-2.0\", got \"HTTP/1.1 200 OK\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_path_is_listed_where_it_is_under_the_socket_folder() {
    let sim = Deployment::start().await.unwrap();
    let text = format!(
        "[panel]\nname = \"tcp\"\n[internal]\nsocket_dir = \"{}\"\n{ASK_HEALTH}",
        sim.socket_dir().display()
    );
    let panel = load_str(&text, Path::new("tcp.toml"), &LoadOptions::default()).unwrap();
    let plan = smoke_internal::side(&panel).plan(&panel, &[]).await;
    let socket = sim.rpc_socket("hero_osis_business").display().to_string();
    let places: Vec<(&str, &str)> = plan
        .probes()
        .iter()
        .map(|p| (p.what(), p.place()))
        .collect();
    assert_eq!(
        places,
        [
            ("tcp", &*socket),
            ("tcp, send", &*socket),
            ("tcp, send", &*socket)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_stale_socket_is_a_connect_failure() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::SocketMissing("hero_osis_business".into()));
    let report = run(&sim, ASK_HEALTH).await;
    for name in ["biz-socket", "biz-says-http", "biz-says-ssh"] {
        let p = probe(&report, name);
        assert_eq!(p.cause(), Some(Cause::Connect), "{}", describe(&report));
        assert!(
            p.detail().unwrap().starts_with("socket missing: "),
            "{:?}",
            p.detail()
        );
    }
    sim.clear_all();
    sim.set(Fault::StaleSocket("hero_osis_business".into()));
    let report = run(&sim, ASK_HEALTH).await;
    let p = probe(&report, "biz-socket");
    assert_eq!(p.cause(), Some(Cause::Connect), "{}", describe(&report));
    assert!(
        p.detail().unwrap().contains("stale socket"),
        "{:?}",
        p.detail()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_accepts_and_never_answers_is_a_timeout() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::Hang("hero_osis_business".into()));
    let report = run(&sim, ASK_HEALTH).await;
    // It accepts: a probe that only connects cannot tell, one that waits for words can.
    assert_eq!(
        probe(&report, "biz-socket").outcome(),
        Outcome::Ok,
        "{}",
        describe(&report)
    );
    let silent = probe(&report, "biz-says-http");
    assert_eq!(
        silent.cause(),
        Some(Cause::Timeout),
        "{}",
        describe(&report)
    );
    assert_eq!(silent.phase(), Some(Phase::Banner));
    assert_eq!(
        silent.detail(),
        Some("no first line within 1s after connect")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_of_the_vm_is_reached_beside_the_sockets() {
    let sim = Deployment::start().await.unwrap();
    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let probes = format!(
        "[[probe]]\nname = \"router-port\"\ntcp = \"127.0.0.1:{}\"\n\n[[probe]]\nname = \"nobody\"\ntcp = \"127.0.0.1:{closed_port}\"\n",
        open.local_addr().unwrap().port()
    );
    let report = run(&sim, &probes).await;
    assert_eq!(
        probe(&report, "router-port").outcome(),
        Outcome::Ok,
        "{}",
        describe(&report)
    );
    let nobody = probe(&report, "nobody");
    assert_eq!(
        nobody.cause(),
        Some(Cause::Connect),
        "{}",
        describe(&report)
    );
    assert_eq!(
        nobody.detail(),
        Some(format!("connection refused by 127.0.0.1:{closed_port}").as_str())
    );
}
