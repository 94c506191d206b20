//! Quiet: a mute or a maintenance window keeps a probe running and showing, but no sink hears
//! it and its service is not restarted; the output says so. Also the heartbeat and the metrics
//! file of one-shot runs.

mod common;

use smoke_sim::fakes::FakeHook;
use smoke_sim::{Deployment, Fault};
use std::path::{Path, PathBuf};
use std::process::Output;

struct Setup {
    sim: Deployment,
    hook: FakeHook,
    beat: FakeHook,
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl Setup {
    async fn new() -> Setup {
        Setup {
            sim: Deployment::start().await.unwrap(),
            hook: FakeHook::start().await.unwrap(),
            beat: FakeHook::start().await.unwrap(),
            dir: tempfile::tempdir().unwrap(),
            state: tempfile::tempdir().unwrap(),
        }
    }

    fn panel(&self, extra: &str) -> PathBuf {
        let text = std::fs::read_to_string(common::herodemo_panel()).unwrap();
        let text = text.replacen(
            "[defaults]\n",
            "[defaults]\nproven = true\nrestart = { rpc = \"hero_proc/rpc\", method = \"service.restart\", params = { name = \"{service}\" } }\nrestart_settle = \"50ms\"\n",
            1,
        );
        let text = text.replacen(
            "[panel]\n",
            &format!(
                "[panel]\nheartbeat_url = \"{}/ping/abc\"\n",
                self.beat.url()
            ),
            1,
        );
        let text = format!(
            "{text}\n[[notify]]\ntype = \"webhook\"\nurl = \"{}/events\"\n{extra}",
            self.hook.url()
        );
        let path = self.dir.path().join("panel.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    async fn smoke(&self, args: &[&str]) -> Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
            .args(args)
            .env("SMOKE_VANTAGE", "vm")
            .arg("--state-dir")
            .arg(self.state.path())
            .output()
            .await
            .unwrap()
    }

    async fn tick(&self, panel: &Path, extra: &[&str]) -> Output {
        let dir_set = format!("internal.socket_dir={}", self.sim.socket_dir().display());
        let mut args = vec![
            "run",
            "--panel",
            panel.to_str().unwrap(),
            "--only",
            "biz-persons",
            "--set",
            &dir_set,
        ];
        args.extend_from_slice(&["--set", "panel.timeout=1s", "--set", "defaults.retries=0"]);
        args.extend_from_slice(extra);
        self.smoke(&args).await
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muted_probe_runs_and_shows_but_tells_no_one_and_restarts_nothing() {
    let s = Setup::new().await;
    let panel = s.panel("");
    let out = s
        .smoke(&[
            "mute",
            "--panel",
            panel.to_str().unwrap(),
            "business",
            "--for",
            "2h",
            "--reason",
            "seed reload",
        ])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("muted business until "),
        "{}",
        text(&out.stdout)
    );
    s.sim.set(Fault::BizEmpty);
    let out = s.tick(&panel, &[]).await;
    assert_eq!(out.status.code(), Some(2), "the probe still runs and fails");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAIL biz-persons") && stdout.contains("[quiet: muted until"),
        "{stdout}"
    );
    assert!(stdout.contains(": seed reload]"), "{stdout}");
    let err = text(&out.stderr);
    assert!(
        err.contains("restart of hero_osis_business skipped: quiet: muted until"),
        "{err}"
    );
    assert!(
        err.contains("quiet (muted until") && err.contains("not told: biz-persons failing"),
        "{err}"
    );
    assert!(
        s.hook.received().is_empty(),
        "no sink heard it: {:?}",
        s.hook.received()
    );
    assert!(s.sim.restarts().is_empty());

    let out = s
        .smoke(&["unmute", "--panel", panel.to_str().unwrap(), "business"])
        .await;
    assert_eq!(text(&out.stdout).trim(), "unmuted business");
    s.tick(&panel, &["--set", "panel.remind_every=1ms"]).await;
    assert!(!s.hook.received().is_empty(), "heard again once unmuted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mute_all_quiets_every_probe_for_a_deploy_and_unmute_all_ends_only_that() {
    let s = Setup::new().await;
    let panel = s.panel("");
    let p = panel.to_str().unwrap();
    let out = s
        .smoke(&[
            "mute", "--panel", p, "--all", "--for", "10m", "--reason", "deploy",
        ])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("muted every probe until "),
        "{}",
        text(&out.stdout)
    );
    let out = s
        .smoke(&["mute", "--panel", p, "os-ui", "--for", "2h"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    s.sim.set(Fault::BizEmpty);
    let out = s.tick(&panel, &[]).await;
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAIL biz-persons") && stdout.contains(": deploy]"),
        "{stdout}"
    );
    assert!(s.hook.received().is_empty(), "{:?}", s.hook.received());
    assert!(s.sim.restarts().is_empty());

    let out = s.smoke(&["unmute", "--panel", p, "--all"]).await;
    assert_eq!(text(&out.stdout).trim(), "unmuted every probe");
    let mutes = std::fs::read_to_string(s.state.path().join("mutes.json")).unwrap();
    assert!(
        mutes.contains("os-ui") && !mutes.contains("\"*\""),
        "{mutes}"
    );
    s.tick(&panel, &["--set", "panel.remind_every=1ms"]).await;
    assert!(!s.hook.received().is_empty(), "heard again once unmuted");

    // Neither a name and --all, nor nothing at all.
    let out = s
        .smoke(&["mute", "--panel", p, "os-ui", "--all", "--for", "1h"])
        .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let out = s.smoke(&["mute", "--panel", p, "--for", "1h"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintenance_window_quiets_the_probes_it_names() {
    let s = Setup::new().await;
    let now = jiff::Timestamp::now();
    let window = format!(
        "\n[[maintenance]]\nprobes = [\"biz-persons\"]\nstart = \"{}\"\nend = \"{}\"\nreason = \"OSIS migration\"\n",
        now - jiff::SignedDuration::from_mins(5),
        now + jiff::SignedDuration::from_mins(55)
    );
    let panel = s.panel(&window);
    s.sim.set(Fault::BizEmpty);
    let out = s.tick(&panel, &[]).await;
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("[quiet: maintenance: OSIS migration]"),
        "{stdout}"
    );
    assert!(text(&out.stderr)
        .contains("restart of hero_osis_business skipped: quiet: maintenance: OSIS migration"));
    assert!(s.hook.received().is_empty());
    assert!(s.sim.restarts().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_heartbeat_is_called_after_each_tick_and_told_apart_on_failure() {
    let s = Setup::new().await;
    let panel = s.panel("");
    s.tick(&panel, &["--no-remedy"]).await;
    s.sim.set(Fault::BizEmpty);
    s.tick(&panel, &["--no-remedy"]).await;
    let paths: Vec<String> = s.beat.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/ping/abc", "/ping/abc/fail"]);
    s.beat.set_down(true);
    let out = s.tick(&panel, &["--no-remedy"]).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "a dead heartbeat is never fatal"
    );
    assert!(
        text(&out.stderr).contains("the heartbeat: HTTP 503"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_shot_run_writes_its_metrics_for_the_textfile_collector() {
    let s = Setup::new().await;
    let panel = s.panel("");
    let file = s.dir.path().join("smoke.prom");
    let out = s
        .tick(&panel, &["--metrics-file", file.to_str().unwrap()])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let metrics = std::fs::read_to_string(&file).unwrap();
    assert!(
        metrics.contains(
            r#"smoke_probe_success{panel="herodemo",mode="internal",vantage="vm",probe="biz-persons"} 1"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("smoke_last_tick_timestamp_seconds"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mute_of_a_name_this_side_lacks_is_refused_with_why() {
    let s = Setup::new().await;
    let panel = s.panel("");
    // The outside view's own checks are not the inside's: muting them here would quiet nothing.
    for target in ["public-dns", "nosuch"] {
        let out = s
            .smoke(&[
                "mute",
                "--panel",
                panel.to_str().unwrap(),
                target,
                "--for",
                "1h",
            ])
            .await;
        assert_eq!(out.status.code(), Some(3), "{target}");
        assert!(
            text(&out.stderr).contains(&format!("no probe or tag `{target}`")),
            "{}",
            text(&out.stderr)
        );
    }
}
