//! The operator's first ten minutes, as docs/ops/SMOKE_LOOP.md tells them: each `smoke-internal`
//! line of its walkthrough block is run here, in order, against the simulated deployment, so the
//! page can't drift from what the commands do.

use std::path::Path;

/// The commands of the walkthrough block, comments and other programs' lines left out.
fn walkthrough() -> Vec<String> {
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ops/SMOKE_LOOP.md"),
    )
    .unwrap();
    let block = page
        .split_once("<!-- walkthrough -->")
        .and_then(|(_, rest)| rest.split_once("<!-- /walkthrough -->"))
        .map(|(block, _)| block)
        .expect("SMOKE_LOOP.md has a walkthrough block");
    block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("smoke-internal "))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_of_the_walkthrough_works_in_order() {
    let commands = walkthrough();
    assert_eq!(commands.len(), 4, "init, check, list, run: {commands:?}");
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("smoke-internal init "))
            && commands
                .iter()
                .any(|c| c.starts_with("smoke-internal run ")),
        "{commands:?}"
    );
    let sim = smoke_sim::Deployment::start().await.unwrap();
    let etc = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    for line in &commands {
        let line = line.replace("/etc/smoke", &etc.path().display().to_string());
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some("smoke-internal"));
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
            .args(words)
            .env("HERO_SOCKET_DIR", sim.socket_dir())
            .env_remove("PATH_SOCKET")
            .env("SMOKE_STATE_DIR", state.path())
            .kill_on_drop(true)
            .output()
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "`{line}`:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let panel = std::fs::read_to_string(etc.path().join("mine.toml")).unwrap();
    assert!(panel.contains("for_each = \"service\""), "{panel}");
    assert!(
        state.path().join("state.json").is_file(),
        "the run kept its state"
    );
}
