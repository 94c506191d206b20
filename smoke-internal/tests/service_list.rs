//! The service list a `for_each = "service"` probe expands over is read no further than
//! `[panel] max_services`: however many names hero_proc lists, a tick runs at most that many
//! probes of it, ends, prints its report, and says once which list was cut and how many names
//! were left out. The services with a socket come first: a list cannot crowd them out.

use smoke_sim::Deployment;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// A panel of one probe: every service's `/health`.
fn panel(dir: &Path, sim: &Deployment) -> PathBuf {
    let path = dir.join("panel.toml");
    std::fs::write(
        &path,
        format!(
            "[panel]\nname = \"many\"\ntimeout = \"2s\"\n[internal]\nsocket_dir = \"{}\"\n\
             [defaults]\nretries = 0\n\n[[probe]]\nname = \"health-{{service}}\"\n\
             for_each = \"service\"\ntarget = \"{{service}}/rpc\"\nget = \"/health\"\n\
             expect = [\"status == 200\"]\n",
            sim.socket_dir().display()
        ),
    )
    .unwrap();
    path
}

/// `n` names hero_proc lists beside the services, none with a socket.
fn list_beside(sim: &Deployment, n: usize) {
    let names: Vec<String> = (0..n).map(|i| format!("x{i:06}")).collect();
    sim.also_list(&names.iter().map(String::as_str).collect::<Vec<_>>());
}

/// `smoke-internal run --format json`, given up on (and failed) after 60 s.
async fn run(panel: &Path, sets: &[&str]) -> Output {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"));
    cmd.args(["run", "--format", "json", "--panel"])
        .arg(panel)
        .arg("--state-dir")
        .arg(state.path())
        .env_remove("PATH_SOCKET")
        .env_remove("HERO_SOCKET_DIR")
        .kill_on_drop(true);
    for set in sets {
        cmd.args(["--set", set]);
    }
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the tick ends within 60 s")
        .unwrap()
}

/// The report, the names of its `health-` probes, and its notes.
fn read(out: &Output) -> (serde_json::Value, Vec<String>, Vec<String>) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {}",
            &stderr[..stderr.len().min(2000)]
        )
    });
    let health = report["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .filter(|n| n.starts_with("health-"))
        .map(str::to_string)
        .collect();
    let notes = report["notes"]
        .as_array()
        .map(|n| n.iter().map(|n| n.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    (report, health, notes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hero_proc_listing_200_000_names_costs_a_tick_of_at_most_1000_probes_and_one_note() {
    let sim = Deployment::start().await.unwrap();
    list_beside(&sim, 200_000);
    let dir = tempfile::tempdir().unwrap();
    let out = run(&panel(dir.path(), &sim), &[]).await;
    // The listed names have no socket: they fail, and the tick says so.
    assert_eq!(out.status.code(), Some(2));
    let (report, health, notes) = read(&out);
    assert_eq!(
        health.len(),
        1000,
        "the default cap, smoke_core's MAX_SERVICES"
    );
    for service in sim.services() {
        let name = format!("health-{service}");
        let probe = report["probes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name.as_str());
        assert_eq!(
            probe.map(|p| &p["outcome"]),
            Some(&serde_json::json!("ok")),
            "a service with a socket is never crowded out: {name}"
        );
    }
    // The first by name of those without a socket fill the rest.
    let room = 1000 - sim.services().len();
    assert!(health.contains(&format!("health-x{:06}", room - 1)));
    assert!(!health.contains(&format!("health-x{room:06}")));
    let left_out = 200_000 - room;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("hero_proc's service.list"), "{notes:?}");
    assert!(
        notes[0].contains(&format!("{left_out} names left out")),
        "{notes:?}"
    );
    assert!(notes[0].contains("max_services = 1000"), "{notes:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("left out").count(),
        1,
        "said once on stderr: {}",
        &stderr[..stderr.len().min(2000)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_max_services_is_honoured_first_by_name_and_the_socket_folder_first() {
    let sim = Deployment::start().await.unwrap();
    list_beside(&sim, 100);
    let dir = tempfile::tempdir().unwrap();
    let panel = panel(dir.path(), &sim);
    let services = sim.services();

    // Room for the socket folder and 4 of the names without a socket: x000000 to x000003.
    let cap = services.len() + 4;
    let out = run(&panel, &[&format!("panel.max_services={cap}")]).await;
    let (_, health, notes) = read(&out);
    let mut want: Vec<String> = services.iter().map(|s| format!("health-{s}")).collect();
    want.extend((0..4).map(|i| format!("health-x{i:06}")));
    assert_eq!(health, want);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("96 names left out"), "{notes:?}");
    assert!(
        notes[0].contains(&format!("max_services = {cap}")),
        "{notes:?}"
    );

    // Fewer than the socket folder holds: its first by name, and the folder's cut said.
    let out = run(&panel, &["panel.max_services=2"]).await;
    let (_, health, notes) = read(&out);
    let want: Vec<String> = services[..2]
        .iter()
        .map(|s| format!("health-{s}"))
        .collect();
    assert_eq!(health, want);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("the socket folder"), "{notes:?}");
    assert!(
        notes[0].contains(&format!("{} names left out", services.len() - 2)),
        "{notes:?}"
    );

    // Under the cap, nothing is said.
    let out = run(&panel, &[]).await;
    let (_, health, notes) = read(&out);
    assert_eq!(health.len(), services.len() + 100);
    assert!(notes.is_empty(), "{notes:?}");
}
