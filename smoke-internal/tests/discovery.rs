//! How the inside finds what to probe: which setting chose the socket folder, and what `list`
//! says of it (the facts in /work/shared/HERO.md, "Sockets on the VM").

mod common;

use common::{herodemo_panel, smoke_command};
use smoke_sim::Deployment;
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn said(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// `smoke-internal ARGS` with `env` set (and nothing else of smoke's from the environment).
async fn smoke(args: &[&str], env: &[(&str, &str)]) -> Output {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = smoke_command();
    cmd.args(args)
        .env("SMOKE_STATE_DIR", state.path())
        .env_remove("SMOKE_VANTAGE")
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("smoke-internal runs")
}

/// A panel of the health probe alone, with no socket folder of its own.
fn health_panel(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("health.toml");
    std::fs::write(
        &path,
        "[panel]\nname = \"health\"\ntimeout = \"2s\"\n[defaults]\nretries = 0\n\n[[probe]]\n\
         name = \"health-{service}\"\nfor_each = \"service\"\ntarget = \"{service}/rpc\"\n\
         get = \"/health\"\nexpect = [\"json.status == ok\"]\n",
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hero_socket_dir_wins_over_path_socket_and_list_init_and_run_say_which_chose() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let panel = health_panel(dir.path());
    let panel = panel.to_str().unwrap();
    let sockets = sim.socket_dir().display().to_string();
    let both = [
        ("HERO_SOCKET_DIR", sockets.as_str()),
        ("PATH_SOCKET", "/nonexistent/path_socket"),
    ];
    let chosen = format!("smoke: sockets: {sockets} (from HERO_SOCKET_DIR)");

    let out = smoke(&["list", "--panel", panel], &both).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(text(&out.stderr).contains(&chosen), "{}", said(&out));
    assert_eq!(
        text(&out.stdout).lines().count(),
        sim.services().len(),
        "{}",
        said(&out)
    );

    let out = smoke(&["run", "--verbose", "--panel", panel], &both).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(text(&out.stderr).contains(&chosen), "{}", said(&out));
    let out = smoke(&["run", "--panel", panel], &both).await;
    assert!(!text(&out.stderr).contains("sockets:"), "{}", said(&out));

    // PATH_SOCKET alone still chooses; `--set` wins over both.
    let out = smoke(&["list", "--panel", panel], &[("PATH_SOCKET", &sockets)]).await;
    assert!(
        text(&out.stderr).contains(&format!("sockets: {sockets} (from PATH_SOCKET)")),
        "{}",
        said(&out)
    );
    let set = format!("internal.socket_dir={sockets}");
    let out = smoke(&["list", "--panel", panel, "--set", &set], &both[1..]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(
        text(&out.stderr).contains(&format!(
            "sockets: {sockets} (from --set internal.socket_dir)"
        )),
        "{}",
        said(&out)
    );

    let mine = dir.path().join("mine.toml");
    let out = smoke(&["init", mine.to_str().unwrap()], &both).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(text(&out.stderr).contains(&chosen), "{}", said(&out));
    // The panel init wrote names the folder itself: a run without the variables reads it there.
    let out = smoke(&["list", "--panel", mine.to_str().unwrap()], &[]).await;
    assert!(
        text(&out.stderr).contains(&format!(
            "sockets: {sockets} (from the panel's [internal] socket_dir)"
        )),
        "{}",
        said(&out)
    );
}

#[tokio::test]
async fn with_no_variable_set_the_panel_s_folder_is_said() {
    let out = smoke(
        &["list", "--panel", herodemo_panel().to_str().unwrap()],
        &[("HOME", "/home/driver")],
    )
    .await;
    assert!(
        text(&out.stderr).contains(
            "smoke: sockets: /home/driver/hero/var/sockets (from the panel's [internal] socket_dir)"
        ),
        "{}",
        said(&out)
    );
}
