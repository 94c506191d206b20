//! `smoke-external init PATH --base-url URL` from another host: the services through the
//! gateway (hero_proc's `service.list`), a private deployment reached with `--set`.

mod common;

use common::{deployment, sets};
use std::process::Output;

async fn smoke(args: &[&str]) -> Output {
    let state = tempfile::tempdir().unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-external"))
        .env("SMOKE_STATE_DIR", state.path())
        .env_remove("SMOKE_PANEL")
        .args(args)
        .output()
        .await
        .expect("smoke-external runs")
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_through_the_gateway_writes_a_panel_that_checks_and_runs_green() {
    let sim = deployment().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outside.toml");
    let file = path.to_str().unwrap();
    let url = sim.public_url().unwrap();
    let mut args = vec!["init", file, "--base-url", &url];
    // Only what reaches the private deployment: its resolver and its CA.
    let reach: Vec<String> = sets(&sim)
        .into_iter()
        .filter(|s| s.starts_with("external.resolvers=") || s.starts_with("external.ca_file="))
        .collect();
    for s in &reach {
        args.extend(["--set", s.as_str()]);
    }
    let out = smoke(&args).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let panel = std::fs::read_to_string(&path).unwrap();
    for line in [
        "[external]",
        &format!("base_url = \"{url}\""),
        &format!("resolvers = [\"{}\"]", sim.dns_addr().unwrap()),
        &format!("ca_file = \"{}\"", sim.ca_file().unwrap().display()),
        "for_each = \"service\"",
        "# rpc = \"business.persons.list\"",
        "# expect = [\"len(result) > 0\"]",
    ] {
        assert!(
            panel.lines().any(|l| l.starts_with(line)),
            "no `{line}` in\n{panel}"
        );
    }
    assert!(!panel.contains("[internal]"), "{panel}");

    // No --set now: the panel names how it reaches the deployment.
    let out = smoke(&["check", "--panel", file]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = smoke(&["run", "--panel", file]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for probe in [
        "ok   public-tls",
        "ok   health-hero_proc",
        "ok   health-hero_foundry",
    ] {
        assert!(stdout.contains(probe), "{stdout}");
    }

    let out = smoke(&args).await;
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    assert!(said(&out).contains("already exists"), "{}", said(&out));
}
