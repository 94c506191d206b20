//! The README's first command: `smoke-sim demo` shows each failure being caught, the historical
//! ones from inside and the outside-only ones from outside.

/// What `smoke-sim demo ARGS` prints, which must exit 0.
fn demo(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smoke-sim"))
        .arg("demo")
        .args(args)
        .env_remove("SMOKE_PANEL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_demo_catches_every_failure_from_the_side_that_must_see_it() {
    let stdout = demo(&[]);
    // First contact: a wrong expectation pages no one and is said once; a probe that passed
    // here, then broke, opens its incident.
    assert!(
        stdout.contains("tick 3: FAIL (unproven) biz-wrong; no incident\n"),
        "{stdout}"
    );
    assert_eq!(
        stdout
            .matches("    said: probe biz-wrong has never passed here since ")
            .count(),
        1
    );
    assert!(
        stdout.contains("tick 4: FAIL biz-persons, FAIL (unproven) biz-wrong; 1 incident: "),
        "{stdout}"
    );
    for (seen, side, probe, cause) in [
        (
            "Contexts island shows Root x 5",
            "inside ",
            "contexts-distinct",
            "assertion",
        ),
        (
            "Photos render alt-text only",
            "inside ",
            "photos-download",
            "protocol",
        ),
        (
            "Biz dashboard shows 0 records",
            "inside ",
            "biz-persons",
            "assertion",
        ),
        ("Socket 'ui.sock' not found", "inside ", "os-ui", "connect"),
        (
            "accepts but doesn't respond",
            "inside ",
            "photos-download",
            "timeout",
        ),
        (
            "the public certificate has expired",
            "outside",
            "public-tls",
            "tls",
        ),
        (
            "the public name does not resolve",
            "outside",
            "public-dns",
            "dns",
        ),
        (
            "the gateway answers 502 for everything",
            "outside",
            "biz-persons",
            "http",
        ),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.contains(seen) && l.contains("caught"))
            .unwrap_or_else(|| panic!("no summary line for {seen}: {stdout}"));
        assert!(
            line.contains(&format!("caught {side} by {probe} ({cause}); 1 incident: ")),
            "{line}"
        );
    }
    assert!(
        stdout.contains("1 incident: 6 probes fail with HTTP 502 Bad Gateway"),
        "{stdout}"
    );
    assert!(stdout.contains("probe") && stdout.contains("inside") && stdout.contains("outside"));
    assert!(
        stdout
            .trim_end()
            .ends_with("8 of 8 caught; 8 of them opened exactly one incident on that side"),
        "{stdout}"
    );
}

/// The same demo on the hero layout (hero_os's UI a loader page only): healthy, and every
/// failure caught, the UI's by os-ui at its page step.
#[test]
fn the_demo_catches_every_failure_in_the_hero_layout_too() {
    let stdout = demo(&["--layout", "hero"]);
    assert!(stdout.lines().any(|l| l == "layout: hero"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("Socket 'ui.sock' not found")
                && l.contains("caught inside  by os-ui (connect)")),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("8 of 8 caught; 8 of them opened exactly one incident on that side"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hero_proc_stand_in_restarts_a_service_and_clears_its_faults() {
    let sim = smoke_sim::Deployment::start().await.unwrap();
    sim.set(smoke_sim::Fault::Hang("hero_foundry".into()));
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-sim"))
        .args(["proc", "--socket-dir"])
        .arg(sim.socket_dir())
        .args(["service", "restart", "hero_foundry"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"restarted\":true"));
    assert_eq!(sim.restarts(), ["hero_foundry"]);
    assert!(
        sim.active().is_empty(),
        "the hang went with the old process"
    );
}

#[test]
fn smoke_sim_names_itself_in_its_version() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smoke-sim"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        smoke_sim::checkout::expected_version_line("smoke-sim")
    );
}
