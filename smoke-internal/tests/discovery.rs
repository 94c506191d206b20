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

/// `list` of [`health_panel`] (written in `dir`) over the deployment's socket folder, which
/// must exit 0.
async fn list_health(sim: &Deployment, dir: &std::path::Path) -> Output {
    let panel = health_panel(dir);
    let sockets = sim.socket_dir().display().to_string();
    let out = smoke(
        &["list", "--panel", panel.to_str().unwrap()],
        &[("HERO_SOCKET_DIR", &sockets)],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    out
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

/// A folder in the socket folder serving `socket` alone, listening (kept while the listener is).
fn folder_serving(
    sim: &Deployment,
    service: &str,
    socket: &str,
) -> std::os::unix::net::UnixListener {
    let folder = sim.socket_dir().join(service);
    std::fs::create_dir(&folder).unwrap();
    std::os::unix::net::UnixListener::bind(folder.join(socket)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_without_rpc_sock_gets_no_health_probe_and_list_says_why() {
    let sim = Deployment::start().await.unwrap();
    let _admin = folder_serving(&sim, "hero_books_admin", "admin.sock");
    let _ui = folder_serving(&sim, "hero_books_ui", "ui.sock");
    let dir = tempfile::tempdir().unwrap();
    let out = list_health(&sim, dir.path()).await;
    let stderr = text(&out.stderr);
    for line in [
        "smoke: hero_books_admin: no rpc.sock (serves admin.sock): no health-hero_books_admin probe",
        "smoke: hero_books_ui: no rpc.sock (serves ui.sock): no health-hero_books_ui probe",
    ] {
        assert!(stderr.contains(line), "{}", said(&out));
    }
    assert!(!text(&out.stdout).contains("hero_books"), "{}", said(&out));
    assert_eq!(
        text(&out.stdout).lines().count(),
        sim.services().len(),
        "{}",
        said(&out)
    );

    // The whole herodemo panel stays green: nothing of the two is probed, nothing fails.
    let report = common::tick(&sim).await;
    assert_eq!(
        report.outcome(),
        smoke_core::prelude::Outcome::Ok,
        "{}",
        common::describe(&report)
    );
    assert!(report
        .probes()
        .iter()
        .all(|p| !p.name().contains("hero_books")));

    // A folder with no socket at all that hero_proc runs is still probed, and fails.
    std::fs::create_dir(sim.socket_dir().join("hero_books")).unwrap();
    sim.also_list(&["hero_books"]);
    let report = common::tick(&sim).await;
    common::assert_only_fails(
        &report,
        &["health-hero_books"],
        smoke_core::prelude::Cause::Connect,
        None,
        &["no socket", "hero_books/rpc.sock"],
    );
}

/// The hero as documented: hero_proc lists actions, each with the sockets it serves. Inside,
/// those are taken as said: `hero_os_server` is `hero_os`'s rpc.sock, and `hero_os_ui` and
/// `hero_proc_ui` (serving none) are listed and fail nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_with_the_sockets_hero_proc_says_they_serve_are_listed_never_failed() {
    let sim = Deployment::start_as(smoke_sim::Layout::Hero).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = list_health(&sim, dir.path()).await;
    for line in [
        "smoke: hero_os_server: supervised by hero_proc, served by hero_os/rpc.sock: no probe of its own",
        "smoke: hero_os_ui: supervised by hero_proc, served by hero_os/ui.sock: no probe of its own",
        "smoke: hero_proc_ui: supervised by hero_proc, serves no socket: no probe of its own",
    ] {
        assert!(text(&out.stderr).contains(line), "{line}\n{}", said(&out));
    }
    let stdout = text(&out.stdout);
    assert!(stdout.contains("health-hero_os\t"), "{}", said(&out));
    assert!(
        !stdout.contains("hero_os_") && !stdout.contains("hero_proc_ui"),
        "{}",
        said(&out)
    );
    common::assert_green(&sim).await;
}

/// A folder whose `rpc.sock` was there on an earlier tick, and is gone, is missing, not a
/// folder that serves other sockets: its health probe fails in the next run, a new process
/// that knows it only from the state folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rpc_sock_seen_on_an_earlier_tick_and_gone_fails_its_health_probe() {
    let w = common::world::World::start(common::world::Setup {
        only: Some("health"),
        ..Default::default()
    })
    .await;
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let seen = w.state_json()["seen"].clone();
    assert!(
        seen.as_array()
            .is_some_and(|s| s.contains(&serde_json::json!("hero_os/rpc.sock"))),
        "{seen}"
    );

    w.sim.set(smoke_sim::Fault::SocketMissing("hero_os".into()));
    assert!(w.sim.socket_dir().join("hero_os/ui.sock").exists());
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAIL health-hero_os ")
            && !stdout.contains("FAIL health-hero_osis")
            && stdout.contains("socket missing: ")
            && stdout.contains("hero_os/rpc.sock (it was there on an earlier tick)"),
        "{}",
        said(&out)
    );
}

/// The inside run of herodemo.toml with `fault` on hero_proc, whose `service.list` says which
/// services the health probe covers: it fails on `health-hero_proc` alone, naming hero_proc.
async fn supervisor_fails_its_own_probe(
    fault: smoke_sim::Fault,
    cause: smoke_core::prelude::Cause,
    words: &[&str],
) {
    let sim = Deployment::start().await.unwrap();
    sim.set(fault);
    let report = common::tick(&sim).await;
    common::assert_only_fails(&report, &["health-hero_proc"], cause, None, words);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hero_proc_unreachable_fails_its_own_probe_naming_it_never_an_empty_list() {
    use smoke_core::prelude::Cause;
    use smoke_sim::Fault;
    let gone = Fault::SocketMissing("hero_proc".into());
    supervisor_fails_its_own_probe(
        gone,
        Cause::Connect,
        &[
            "asking hero_proc",
            "which services run",
            "socket missing",
            "hero_proc/rpc.sock",
        ],
    )
    .await;
    // Its socket there, its list broken: /health alone would pass.
    let broken = Fault::RpcError("hero_proc".into());
    supervisor_fails_its_own_probe(
        broken,
        Cause::Rpc,
        &["asking hero_proc", "which services run"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervised_name_served_by_another_folder_s_socket_is_listed_never_failed() {
    let sim = Deployment::start().await.unwrap();
    // herodemo's hero_os runs as two actions (HERO.md, "hero_proc names"); hero_embedder has
    // no admin.sock, so `hero_embedder_admin` stays a service of its own, and fails as one.
    sim.also_list(&["hero_os_server", "hero_os_ui", "hero_embedder_admin"]);
    let report = common::tick(&sim).await;
    common::assert_only_fails(
        &report,
        &["health-hero_embedder_admin"],
        smoke_core::prelude::Cause::Connect,
        None,
        &["supervised by hero_proc but no socket"],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = list_health(&sim, dir.path()).await;
    for line in [
        "smoke: hero_os_server: supervised by hero_proc, served by hero_os/rpc.sock: no probe of its own",
        "smoke: hero_os_ui: supervised by hero_proc, served by hero_os/ui.sock: no probe of its own",
    ] {
        assert!(text(&out.stderr).contains(line), "{}", said(&out));
    }
    assert!(!text(&out.stdout).contains("hero_os_"), "{}", said(&out));
    let mine = dir.path().join("mine.toml");
    let sockets = sim.socket_dir().display().to_string();
    let out = smoke(
        &["init", mine.to_str().unwrap()],
        &[("HERO_SOCKET_DIR", &sockets)],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(
        text(&out.stderr)
            .contains("hero_os_ui: supervised by hero_proc, served by hero_os/ui.sock"),
        "{}",
        said(&out)
    );
}

/// A deployment that names its binaries otherwise (`hero_os_web` for hero_os's UI) says so in
/// `[internal] suffixes`, which replaces smoke's table: the name is served by `hero_os/ui.sock`,
/// listed, never failed; without the entry it is a service of its own with no socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panel_s_suffix_table_maps_names_smoke_s_own_does_not() {
    let sim = Deployment::start().await.unwrap();
    sim.also_list(&["hero_os_web"]);
    let dir = tempfile::tempdir().unwrap();
    let sockets = sim.socket_dir().display().to_string();
    let env = [("HERO_SOCKET_DIR", sockets.as_str())];
    let panel = health_panel(dir.path());
    let run = ["run", "--panel", panel.to_str().unwrap()];
    let out = smoke(&run, &env).await;
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(
        text(&out.stdout).contains("health-hero_os_web ")
            && text(&out.stdout).contains("supervised by hero_proc but no socket"),
        "{}",
        said(&out)
    );

    let text_of = std::fs::read_to_string(&panel).unwrap();
    let table = "[internal]\nsuffixes = { _web = [\"ui.sock\", \"admin.sock\"], _server = [\"rpc.sock\"] }\n";
    std::fs::write(&panel, format!("{table}{text_of}")).unwrap();
    let out = smoke(&run, &env).await;
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = smoke(&["list", "--panel", panel.to_str().unwrap()], &env).await;
    assert!(
        text(&out.stderr).contains(
            "smoke: hero_os_web: supervised by hero_proc, served by hero_os/ui.sock: no probe of its own"
        ),
        "{}",
        said(&out)
    );
}
