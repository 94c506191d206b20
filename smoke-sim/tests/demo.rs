//! The README's first command: `smoke-sim demo` shows each historical failure being caught.

#[test]
fn the_demo_catches_every_failure_users_found_first() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smoke-sim"))
        .arg("demo")
        .env_remove("SMOKE_PANEL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (seen, probe, cause) in [
        (
            "Contexts island shows Root x 5",
            "contexts-distinct",
            "assertion",
        ),
        ("Photos render alt-text only", "photos-download", "protocol"),
        ("Biz dashboard shows 0 records", "biz-persons", "assertion"),
        ("Socket 'ui.sock' not found", "os-ui", "connect"),
        ("accepts but doesn't respond", "photos-download", "timeout"),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.contains(seen) && l.contains("caught by"))
            .unwrap_or_else(|| panic!("no summary line for {seen}: {stdout}"));
        assert!(
            line.contains(&format!("caught by {probe} ({cause})")),
            "{line}"
        );
    }
    assert!(stdout.trim_end().ends_with("5 of 5 caught"), "{stdout}");
}
