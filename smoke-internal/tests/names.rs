//! Service names found at run time (socket folders, hero_proc's `service.list`) are held to the
//! hero naming: a hostile one is said once as skipped, never probed, restarted or put in a URL,
//! and the run goes on with the good ones.

mod common;

use smoke_sim::Deployment;
use std::path::{Path, PathBuf};
use std::process::Output;

const RPC_RESTART: &str = r#"restart = { rpc = "hero_proc/rpc", method = "service.restart", params = { name = "{service}" } }"#;

/// Names an attacker (or an accident) can put in the socket folder or the supervisor's list.
const HOSTILE: &[&str] = &[
    "--help",
    "-rf",
    ";ls",
    "a..b",
    "*",
    "`id`",
    "a|b",
    "a#frag",
    "a?b=c",
    "esc\u{1b}[2Jx",
    "rtl\u{202e}txt",
];

/// The herodemo panel with `restart` in [defaults], written into `dir`.
fn panel(dir: &Path, restart: &str) -> PathBuf {
    let text = std::fs::read_to_string(common::herodemo_panel()).unwrap();
    let text = text.replacen(
        "[defaults]\n",
        &format!("[defaults]\n{restart}\nrestart_settle = \"50ms\"\n"),
        1,
    );
    let path = dir.join("panel.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn run(sim: &Deployment, panel: &Path, state: &Path) -> Output {
    common::run_on(sim, panel, state).output().await.unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Each hostile name is said once, escaped; nothing raw reaches the terminal.
fn assert_skipped_once(out: &Output, names: &[&str]) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    for stream in [&stdout, &stderr] {
        assert!(
            !stream.contains(['\u{1b}', '\u{202e}']),
            "raw control: {stream:?}"
        );
    }
    let skipped: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("skipped: not a service name"))
        .collect();
    assert_eq!(skipped.len(), names.len(), "once each: {stderr}");
    for name in names {
        let shown = smoke_core::engine::escape_controls(name);
        assert!(
            skipped
                .iter()
                .any(|l| l.starts_with(&format!("smoke: `{shown}` skipped"))),
            "{shown} not said: {stderr}"
        );
        let probe = format!("health-{shown} ");
        assert!(!stdout.contains(&probe), "{shown} was probed: {stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_socket_folders_are_skipped_once_never_restarted_and_the_run_passes() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    for name in HOSTILE {
        let folder = sim.socket_dir().join(name);
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("rpc.sock"), b"").unwrap();
    }
    // The restart command writes down every argument it is given.
    let log = dir.path().join("argv.log");
    let script = dir.path().join("hero_proc");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s|' \"$@\" >> {}\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let restart = format!(
        "restart = [\"{}\", \"service\", \"restart\", \"{{service}}\"]",
        script.display()
    );
    let panel = panel(dir.path(), &restart);

    let out = run(&sim, &panel, state.path()).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "a name that can't be a service fails nothing: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_skipped_once(&out, HOSTILE);
    let stdout = text(&out.stdout);
    for good in sim.services() {
        assert!(
            stdout.contains(&format!("ok   health-{good} ")),
            "{good} still probed: {stdout}"
        );
    }
    assert!(
        !log.exists(),
        "no restart ran, so no argv held a hostile name: {:?}",
        std::fs::read_to_string(&log)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_from_hero_proc_are_skipped_and_only_good_ones_restarted() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let bad = [
        "--help",
        "-rf",
        "a..b",
        "x\u{1b}]0;pwned\u{7}",
        "../etc",
        "a/b",
    ];
    // A good name without a socket: probed, failing, and the one restart there is.
    let mut listed = bad.to_vec();
    listed.push("hero_ghost");
    sim.also_list(&listed);
    let panel = panel(dir.path(), RPC_RESTART);

    let out = run(&sim, &panel, state.path()).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_skipped_once(&out, &bad);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("supervised by hero_proc but no socket"),
        "{stdout}"
    );
    assert_eq!(
        sim.restarts(),
        ["hero_ghost"],
        "only a service name reaches service.restart"
    );
}
