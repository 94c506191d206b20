//! Repair: a service whose probes fail with an open incident is restarted through hero_proc,
//! within its limits, and the restart is verified and told.

mod common;

use common::world::RPC_RESTART;
use smoke_sim::{Deployment, Fault};
use std::path::{Path, PathBuf};
use std::process::Output;

struct Setup {
    sim: Deployment,
    state: tempfile::TempDir,
    dir: tempfile::TempDir,
    hook: smoke_sim::fakes::FakeHook,
}

impl Setup {
    async fn new() -> Setup {
        Setup {
            sim: Deployment::start().await.unwrap(),
            state: tempfile::tempdir().unwrap(),
            dir: tempfile::tempdir().unwrap(),
            hook: smoke_sim::fakes::FakeHook::start().await.unwrap(),
        }
    }

    /// The herodemo panel with a restart in [defaults] and a webhook to hear the events.
    fn panel(&self, restart: &str, limits: &str) -> PathBuf {
        let text = std::fs::read_to_string(common::herodemo_panel()).unwrap();
        let text = text.replacen(
            "[defaults]\n",
            &format!("[defaults]\nproven = true\n{restart}\nrestart_settle = \"50ms\"\n{limits}\n"),
            1,
        );
        let text = format!(
            "{text}\n[[notify]]\ntype = \"webhook\"\nurl = \"{}/events\"\n",
            self.hook.url()
        );
        let path = self.dir.path().join("panel.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    async fn tick(&self, panel: &Path, extra: &[&str]) -> Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
            .arg("run")
            .arg("--panel")
            .arg(panel)
            .arg("--state-dir")
            .arg(self.state.path())
            .args([
                "--set",
                &format!("internal.socket_dir={}", self.sim.socket_dir().display()),
            ])
            .args(["--set", "panel.timeout=1s", "--set", "defaults.retries=0"])
            .args(extra)
            .output()
            .await
            .unwrap()
    }

    fn events(&self) -> Vec<(String, String, String)> {
        self.hook
            .received()
            .iter()
            .map(|e| {
                (
                    e["event"].as_str().unwrap().to_string(),
                    e["probe"].as_str().unwrap().to_string(),
                    e["detail"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_foundry_is_restarted_once_and_its_incidents_resolve_as_recovered() {
    let s = Setup::new().await;
    let panel = s.panel(RPC_RESTART, "");
    s.sim.set(Fault::Hang("hero_foundry".into()));
    let out = s.tick(&panel, &[]).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "the tick saw the failure: {}",
        stderr(&out)
    );
    assert_eq!(
        s.sim.restarts(),
        ["hero_foundry"],
        "two failing probes of one service, one restart"
    );
    let err = stderr(&out);
    assert!(
        err.contains("smoke: restarted hero_foundry, recovered after "),
        "{err}"
    );
    let events = s.events();
    // photos-download depends on health-hero_foundry ([defaults] depends_on): its failure is a
    // symptom, so the service's health probe alone carries the incident.
    for (probe, told) in [
        (
            "health-hero_foundry",
            &["opened", "restarted", "resolved"][..],
        ),
        ("photos-download", &[][..]),
    ] {
        let mine: Vec<&str> = events
            .iter()
            .filter(|e| e.1 == probe)
            .map(|e| e.0.as_str())
            .collect();
        assert_eq!(mine, told, "{probe}: {events:?}");
    }
    assert!(events
        .iter()
        .any(|e| e.0 == "restarted" && e.2.starts_with("restarted hero_foundry, recovered after")));
    let again = s.tick(&panel, &[]).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(s.sim.restarts().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_that_does_not_help_is_told_and_not_repeated_inside_the_cooldown() {
    let s = Setup::new().await;
    let panel = s.panel(RPC_RESTART, "");
    s.sim.set_restart_helps(false);
    s.sim.set(Fault::Hang("hero_foundry".into()));
    let out = s.tick(&panel, &[]).await;
    assert!(
        stderr(&out).contains(
            "restarted hero_foundry, still failing: timeout: no answer within 1s after connect"
        ),
        "{}",
        stderr(&out)
    );
    let out = s.tick(&panel, &[]).await;
    let err = stderr(&out);
    assert!(
        err.contains("restart of hero_foundry skipped: the last restart was "),
        "{err}"
    );
    assert!(err.contains("inside the 30m cooldown"), "{err}");
    assert_eq!(s.sim.restarts().len(), 1);
    assert!(s
        .events()
        .iter()
        .any(|e| e.0 == "restarted" && e.2.contains("still failing")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fourth_restart_in_a_day_is_refused_and_says_so() {
    let s = Setup::new().await;
    let panel = s.panel(RPC_RESTART, "restart_cooldown = \"1ms\"\nmax_restarts = 3");
    s.sim.set_restart_helps(false);
    s.sim.set(Fault::Hang("hero_foundry".into()));
    for _ in 0..3 {
        s.tick(&panel, &["--only", "photos-download"]).await;
    }
    assert_eq!(s.sim.restarts().len(), 3);
    let out = s.tick(&panel, &["--only", "photos-download"]).await;
    assert!(stderr(&out).contains("restart of hero_foundry skipped: refused: 3 restarts in the last 24 h already (max_restarts = 3)"), "{}", stderr(&out));
    assert_eq!(s.sim.restarts().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_remedy_skips_the_restart_and_says_so() {
    let s = Setup::new().await;
    let panel = s.panel(RPC_RESTART, "");
    s.sim.set(Fault::Hang("hero_foundry".into()));
    let out = s
        .tick(&panel, &["--no-remedy", "--only", "photos-download"])
        .await;
    assert!(
        stderr(&out).contains("smoke: restart of hero_foundry skipped: --no-remedy"),
        "{}",
        stderr(&out)
    );
    assert!(s.sim.restarts().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_argv_restart_gets_the_service_as_one_argument() {
    let s = Setup::new().await;
    let log = s.dir.path().join("restarts.log");
    let script = s.dir.path().join("hero_proc");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s|' \"$@\" >> {}\n", log.display()),
    )
    .unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&script).unwrap().permissions(),
        0o755,
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let restart = format!(
        "restart = [\"{}\", \"service\", \"restart\", \"{{service}}\"]",
        script.display()
    );
    let panel = s.panel(&restart, "");
    s.sim.set(Fault::BizEmpty);
    let out = s.tick(&panel, &["--only", "biz-persons"]).await;
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "service|restart|hero_osis_business|"
    );
    assert!(stderr(&out).contains("restarted hero_osis_business, still failing: assertion: expected len(result) > 0, got 0"), "{}", stderr(&out));
}

/// The hero as documented: hero_proc runs hero_os's UI as the action `hero_os_ui`, serving
/// `hero_os/ui.sock` (HERO.md, "hero_proc names"). A UI serving its page without its bundle
/// fails os-ui, and the restart asks hero_proc for the name it knows, not the folder's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_ui_restarts_by_the_action_name_hero_proc_lists() {
    let s = Setup {
        sim: Deployment::start_as(smoke_sim::Layout::Hero).await.unwrap(),
        ..Setup::new().await
    };
    let panel = s.panel(RPC_RESTART, "");
    s.sim.set(Fault::UiBundleMissing);
    let out = s.tick(&panel, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(s.sim.restarts(), ["hero_os_ui"], "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("smoke: restarted hero_os_ui, recovered after "),
        "{err}"
    );
    let again = s.tick(&panel, &[]).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
}
