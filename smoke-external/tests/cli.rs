//! `smoke-external` as an operator runs it from another host: exit status, JSON, list.

mod common;

use common::{deployment, herodemo_panel, sets};
use smoke_sim::Fault;
use std::process::Output;

async fn smoke(args: &[&str], set: &[String]) -> Output {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-external"));
    cmd.env("SMOKE_STATE_DIR", state.path());
    cmd.args(args).env_remove("SMOKE_PANEL");
    for s in set {
        cmd.arg("--set").arg(s);
    }
    cmd.output().await.expect("smoke-external runs")
}

/// Asserts the command exited with `code`, showing what it said when not.
#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_exits_0_healthy_1_for_a_certificate_near_its_end_2_when_closer() {
    let sim = deployment().await;
    let panel = herodemo_panel();
    let run = ["run", "--panel", panel.to_str().unwrap()];
    let out = smoke(&run, &sets(&sim)).await;
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("ok   public-tls"),
        "{}",
        text(&out.stdout)
    );

    sim.set(Fault::CertExpiring10d);
    let out = smoke(&run, &sets(&sim)).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout.lines().find(|l| l.contains("public-tls")).unwrap();
    assert!(
        line.starts_with("WARN public-tls") && line.contains("tls: certificate expires in"),
        "{line}"
    );

    sim.clear(&Fault::CertExpiring10d);
    sim.set(Fault::CertExpiring3d);
    let out = smoke(&run, &sets(&sim)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_has_the_phase_timings_and_the_certificate() {
    let sim = deployment().await;
    let panel = herodemo_panel();
    let out = smoke(
        &[
            "run",
            "--format",
            "json",
            "--panel",
            panel.to_str().unwrap(),
        ],
        &sets(&sim),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mode"], "external");
    let probes = v["probes"].as_array().unwrap();
    let photos = probes
        .iter()
        .find(|p| p["name"] == "photos-download")
        .unwrap();
    for t in [
        "dns_ms",
        "connect_ms",
        "tls_ms",
        "first_byte_ms",
        "total_ms",
    ] {
        assert!(
            photos["timings"][t].is_number(),
            "{t} in {}",
            photos["timings"]
        );
    }
    let tls = probes.iter().find(|p| p["name"] == "public-tls").unwrap();
    let cert = &tls["cert"];
    assert!(cert["not_after"].as_str().unwrap().ends_with('Z'), "{cert}");
    assert!(cert["days_left"].as_i64().unwrap() >= 80, "{cert}");
    assert!(
        cert["issuer"]
            .as_str()
            .unwrap()
            .contains("smoke-sim test CA"),
        "{cert}"
    );
    assert!(cert["subject"].is_string());
    let dns = probes.iter().find(|p| p["name"] == "public-dns").unwrap();
    assert!(dns["timings"]["dns_ms"].is_number() && dns["cert"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_shows_the_urls_the_probes_go_to() {
    let sim = deployment().await;
    let panel = herodemo_panel();
    let out = smoke(&["list", "--panel", panel.to_str().unwrap()], &sets(&sim)).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let url = sim.public_url().unwrap();
    // A flow is listed by its steps and goes where its first step goes.
    assert!(stdout.contains(&format!("photos-download\tGET /api/files/geomind/Photos/, then GET /api/files/geomind/Photos/{{photo}}\t{url}/hero_foundry/rpc/api/files/geomind/Photos/\n")), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "embedder-queue\tGET /health\t{url}/hero_embedder/rpc/health"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "health-hero_proc\tGET /health\t{url}/hero_proc/rpc/health"
        )),
        "{stdout}"
    );
    assert!(
        stdout.starts_with(
            "public-dns\tdns A\therodemo.smoke.test\npublic-tls\ttls\therodemo.smoke.test:"
        ),
        "{stdout}"
    );
}

#[tokio::test]
async fn no_base_url_for_http_probes_exits_3_and_says_how_to_give_one() {
    let panel = herodemo_panel();
    let out = smoke(
        &["run", "--panel", panel.to_str().unwrap()],
        &["external.base_url=".to_string()],
    )
    .await;
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("base_url"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outside_checks_of_its_own_can_be_muted_and_a_name_it_lacks_cannot() {
    let sim = deployment().await;
    let panel = herodemo_panel();
    let p = panel.to_str().unwrap();
    for target in ["public-dns", "public-tls", "builtin"] {
        let out = smoke(&["mute", target, "--for", "1h", "--panel", p], &sets(&sim)).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{target}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stdout).starts_with(&format!("muted {target} until")));
    }
    let out = smoke(
        &["mute", "public-dsn", "--for", "1h", "--panel", p],
        &sets(&sim),
    )
    .await;
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("no probe or tag `public-dsn`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_binary_names_itself_in_its_version() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smoke-external"))
        .arg("--version")
        .output()
        .unwrap();
    // Its own name (not smoke-core's), the version and the commit it was built from.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        smoke_sim::checkout::expected_version_line("smoke-external")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns_outage_opens_one_incident_and_every_probe_behind_it_says_caused_by_public_dns() {
    let sim = deployment().await;
    sim.set(Fault::DnsNxdomain);
    let panel = herodemo_panel();
    // A deployment the probes are known to pass on: its first failure is not a first contact.
    let mut set = sets(&sim);
    set.push("defaults.proven=true".to_string());
    let out = smoke(&["run", "--panel", panel.to_str().unwrap()], &set).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    // Every probe still shows failing: only the alarm is one.
    let failing: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(failing.len() >= 3, "{stdout}");
    for line in &failing {
        assert!(
            line.contains("public-dns") || line.ends_with("(caused by public-dns)"),
            "{line}"
        );
    }
    let opened: Vec<&str> = stderr.lines().filter(|l| l.contains(" opened: ")).collect();
    assert_eq!(opened.len(), 1, "{stderr}");
    assert!(opened[0].contains("opened: public-dns"), "{stderr}");
}

/// The hero as documented: hero_proc lists actions with the sockets they serve. From outside,
/// a name served by a folder's `rpc.sock` probes that folder (`hero_os_server`: `health-hero_os`),
/// and a name served by another socket or by none is said, never probed, never failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervised_actions_map_to_the_sockets_hero_proc_names() {
    let sim = common::deployment_as(smoke_sim::Layout::Hero).await;
    let panel = herodemo_panel();
    let out = smoke(&["list", "--panel", panel.to_str().unwrap()], &sets(&sim)).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("\nhealth-hero_os\t"), "{stdout}");
    assert!(
        !stdout.contains("hero_os_server") && !stdout.contains("hero_proc_ui"),
        "{stdout}"
    );
    for line in [
        "smoke: hero_os_server: supervised by hero_proc, served by hero_os/rpc.sock: no probe of its own",
        "smoke: hero_os_ui: supervised by hero_proc, served by hero_os/ui.sock: no probe of its own",
        "smoke: hero_proc_ui: supervised by hero_proc, serves no socket: no probe of its own",
    ] {
        assert!(stderr.contains(line), "{line}\n{stderr}");
    }
    // The whole panel passes outside: no name of the list fails for being an action.
    let out = smoke(&["run", "--panel", panel.to_str().unwrap()], &sets(&sim)).await;
    assert_exit(&out, 0);
}
