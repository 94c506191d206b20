//! The in-process example builds, runs, and reports like the panel does.

use std::process::Command;

#[test]
fn a_healthy_store_passes_and_a_broken_one_fails_with_the_condition() {
    let exe = env!("CARGO_BIN_EXE_smoke-example-inprocess");
    let ok = Command::new(exe).output().unwrap();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("ok   storage-roundtrip"), "{stdout}");
    assert!(
        stdout.trim_end().ends_with("1 passed, 0 failed"),
        "{stdout}"
    );

    let bad = Command::new(exe).arg("--break").output().unwrap();
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("FAIL storage-roundtrip")
            && stdout.contains("assertion: expected json.matches == true, got false"),
        "{stdout}"
    );
}

#[test]
fn unreachable_storage_is_the_service_broken_not_smoke() {
    let exe = env!("CARGO_BIN_EXE_smoke-example-inprocess");
    let down = Command::new(exe).arg("--down").output().unwrap();
    let stdout = String::from_utf8_lossy(&down.stdout);
    // 2 as any failure of the service; 3 would say smoke itself is broken.
    assert_eq!(down.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("FAIL storage-roundtrip") && stdout.contains("service: storage "),
        "{stdout}"
    );
    assert!(!stdout.contains("assertion"), "{stdout}");
}
