//! examples/snapshot/snapshot-known-good.sh as an operator runs it: the VM's snapshot taken only
//! on the gate's 0, its attestation kept beside it (and the snapshot's own SHA-256); nothing
//! taken, the attestation kept as the record of the refusal, on a deployment that is not good.

mod common;

use smoke_sim::{Deployment, Fault};
use std::path::{Path, PathBuf};
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/snapshot/snapshot-known-good.sh")
}

/// The herodemo panel with a baseline of the healthy sim, in `dir`.
async fn panel(sim: &Deployment, dir: &Path) -> PathBuf {
    let panel = dir.join("herodemo.toml");
    let toml = std::fs::read_to_string(common::herodemo_panel()).unwrap();
    let toml = toml.replacen(
        "[panel]\n",
        "[panel]\nbaseline = \"herodemo.baseline.json\"\n",
        1,
    );
    let toml = toml.replacen("retries = 1 ", "retries = 0 ", 1);
    std::fs::write(&panel, toml).unwrap();
    let out = common::smoke_command()
        .arg("baseline")
        .arg("--panel")
        .arg(&panel)
        .env("HERO_SOCKET_DIR", sim.socket_dir())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    panel
}

/// The script, with smoke-internal on its PATH and the sim's sockets, snapshots into `into`.
async fn snapshot(sim: &Deployment, panel: &Path, state: &Path, into: &Path) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_smoke-internal"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    tokio::process::Command::new("sh")
        .arg(script())
        .env("PATH", path)
        .env("PANEL", panel)
        .env("SNAPSHOTS", into)
        .env("TICKS", "2")
        .env("SNAPSHOT_CMD", "printf 'the VM' > \"$1\"")
        .env("HERO_SOCKET_DIR", sim.socket_dir())
        .env("SMOKE_STATE_DIR", state)
        .env_remove("PATH_SOCKET")
        .env_remove("SMOKE_PANEL")
        .output()
        .await
        .unwrap()
}

fn files(dir: &Path, ending: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|p| p.to_string_lossy().ends_with(ending));
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_snapshot_is_taken_only_when_the_gate_says_good_and_kept_with_its_attestation() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let panel = panel(&sim, dir.path()).await;
    let good = dir.path().join("good");

    let out = snapshot(&sim, &panel, state.path(), &good).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let [shot] = &files(&good, ".tar.gz")[..] else {
        panic!("one snapshot: {:?}", files(&good, ""));
    };
    assert_eq!(std::fs::read_to_string(shot).unwrap(), "the VM");
    let [attestation] = &files(&good, ".attestation.json")[..] else {
        panic!("one attestation");
    };
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(attestation).unwrap()).unwrap();
    assert_eq!(record["verdict"], "good", "{record}");
    assert!(record["baseline"]["sha256"].is_string(), "{record}");
    let sums = std::fs::read_to_string(&files(&good, ".sha256")[0]).unwrap();
    assert!(
        sums.contains(&*shot.file_name().unwrap().to_string_lossy()),
        "{sums}"
    );
    assert_eq!(files(&good, ".junit.xml").len(), 1);

    // A dashboard of one record: every probe passes, the list drifted. No snapshot of it.
    sim.set(Fault::BizOnePerson);
    let bad = dir.path().join("bad");
    let out = snapshot(&sim, &panel, state.path(), &bad).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("biz-persons drifted"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("snapshot-known-good: not taken: smoke gate exited 2"),
        "{}",
        text(&out.stderr)
    );
    assert!(files(&bad, ".tar.gz").is_empty());
    let [attestation] = &files(&bad, ".attestation.json")[..] else {
        panic!("the refusal is recorded");
    };
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(attestation).unwrap()).unwrap();
    assert_eq!(record["verdict"], "not good", "{record}");
}
