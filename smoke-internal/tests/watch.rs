//! `smoke-internal watch`: the loop follows the deployment, serves what it knows, reloads on
//! SIGHUP (keeping the old panel when the new one is broken) and stops on SIGTERM.

mod common;

use smoke_sim::{Deployment, Fault};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

fn free_port() -> u16 {
    smoke_sim::fakes::free_port().expect("a free loopback port")
}

async fn get(port: u16, path: &str) -> Option<(u16, String)> {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// Polls `path` until `ok` holds, up to `within`.
async fn until(port: u16, path: &str, within: Duration, ok: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        if let Some((200, body)) = get(port, path).await {
            if ok(&body) {
                return body;
            }
            if started.elapsed() > within {
                panic!("{path} never matched; last:\n{body}");
            }
        } else if started.elapsed() > within {
            panic!("{path} never answered");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn outcome_of(status_json: &str, probe: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(status_json).unwrap();
    v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == probe)
        .map(|p| p["outcome"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

struct Loop {
    child: tokio::process::Child,
    port: u16,
    _state: tempfile::TempDir,
}

async fn start(sim: &Deployment, panel: &Path) -> Loop {
    start_with_open_files(sim, panel, None).await
}

/// A loop started with the open-files limit `(soft, hard)`.
async fn start_with_open_files(
    sim: &Deployment,
    panel: &Path,
    open_files: Option<(u64, u64)>,
) -> Loop {
    let state = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"));
    cmd.env("SMOKE_VANTAGE", "vm");
    if let Some((soft, hard)) = open_files {
        // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit {
                    rlim_cur: soft,
                    rlim_max: hard,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let child = cmd
        .args(["watch", "--panel"])
        .arg(panel)
        .arg("--state-dir")
        .arg(state.path())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--set",
            &format!("internal.socket_dir={}", sim.socket_dir().display()),
        ])
        .args([
            "--set",
            "panel.every=1s",
            "--set",
            "panel.timeout=1s",
            "--set",
            "defaults.retries=0",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    Loop {
        child,
        port,
        _state: state,
    }
}

fn signal(child: &tokio::process::Child, sig: &str) {
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args([sig, &pid])
        .status()
        .unwrap()
        .success());
}

fn copy_panel(dir: &Path) -> PathBuf {
    let path = dir.join("panel.toml");
    std::fs::copy(common::herodemo_panel(), &path).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_follows_a_fault_on_and_off_in_metrics_and_status() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut w = start(&sim, &copy_panel(dir.path())).await;
    let wait = Duration::from_secs(15);
    until(w.port, "/status.json", wait, |b| {
        outcome_of(b, "biz-persons") == "ok"
    })
    .await;
    let metrics = until(w.port, "/metrics", wait, |b| {
        b.contains("smoke_probe_success")
    })
    .await;
    assert!(
        metrics.contains(
            r#"smoke_probe_success{panel="herodemo",mode="internal",vantage="vm",probe="biz-persons"} 1"#
        ),
        "{metrics}"
    );
    assert_eq!(get(w.port, "/healthz").await.unwrap().0, 200);

    sim.set(Fault::BizEmpty);
    let status = until(w.port, "/status.json", wait, |b| {
        outcome_of(b, "biz-persons") == "fail"
    })
    .await;
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert!(
        v["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["probe"] == "biz-persons"),
        "{v}"
    );
    until(w.port, "/metrics", wait, |b| {
        b.contains(r#"smoke_probe_success{panel="herodemo",mode="internal",vantage="vm",probe="biz-persons"} 0"#)
            && b.contains(
                r#"smoke_incident_open{panel="herodemo",mode="internal",vantage="vm",probe="biz-persons"} 1"#,
            )
    })
    .await;
    let page = get(w.port, "/status").await.unwrap().1;
    assert!(
        page.contains(r#"data-probe="biz-persons""#) && page.contains(r#"data-state="fail""#),
        "{page}"
    );

    sim.clear(&Fault::BizEmpty);
    until(w.port, "/status.json", wait, |b| {
        outcome_of(b, "biz-persons") == "ok"
    })
    .await;

    let started = Instant::now();
    signal(&w.child, "-TERM");
    let status = tokio::time::timeout(Duration::from_secs(5), w.child.wait())
        .await
        .expect("stops within 5 s")
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_with_a_broken_panel_keeps_the_old_one_and_says_where_it_is_broken() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let panel = copy_panel(dir.path());
    let mut w = start(&sim, &panel).await;
    let wait = Duration::from_secs(15);
    until(w.port, "/status.json", wait, |b| {
        outcome_of(b, "biz-persons") == "ok"
    })
    .await;
    std::fs::write(&panel, "[panel]\nname = \"herodemo\"\nevry = \"10m\"\n").unwrap();
    signal(&w.child, "-HUP");
    // Still ticking on the old panel: a fault switched on now is seen.
    sim.set(Fault::BizEmpty);
    until(w.port, "/status.json", wait, |b| {
        outcome_of(b, "biz-persons") == "fail"
    })
    .await;
    signal(&w.child, "-TERM");
    let mut err = String::new();
    w.child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    let status = w.child.wait().await.unwrap();
    assert!(status.success());
    let line = err
        .lines()
        .find(|l| l.contains("reload failed"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains("the old panel stays") && line.contains("panel.toml:3:1"),
        "{line}"
    );
    assert!(line.contains("did you mean `every`"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_with_a_maintenance_window_past_ten_years_keeps_the_loop_running() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let panel = copy_panel(dir.path());
    let mut w = start(&sim, &panel).await;
    let wait = Duration::from_secs(15);
    until(w.port, "/status.json", wait, |b| {
        outcome_of(b, "biz-persons") == "ok"
    })
    .await;
    // Its end overflowed a timestamp: the first tick after the reload panicked and the loop died.
    let original = std::fs::read_to_string(&panel).unwrap();
    let line = original.lines().count() + 4;
    std::fs::write(
        &panel,
        format!("{original}\n[[maintenance]]\nevery = \"monday 00:00\"\nduration = \"9999999d\"\n"),
    )
    .unwrap();
    signal(&w.child, "-HUP");
    sim.set(Fault::BizEmpty);
    until(w.port, "/status.json", wait, |b| {
        outcome_of(b, "biz-persons") == "fail"
    })
    .await;
    assert_eq!(get(w.port, "/healthz").await.unwrap().0, 200);
    signal(&w.child, "-TERM");
    let mut err = String::new();
    w.child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    assert!(w.child.wait().await.unwrap().success(), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let reload = err
        .lines()
        .find(|l| l.contains("reload failed"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        reload.contains("the old panel stays")
            && reload.contains(&format!("panel.toml:{line}:12"))
            && reload.contains("at most 3650d"),
        "{reload}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_loop_on_the_same_state_is_refused() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let panel = copy_panel(dir.path());
    let w = start(&sim, &panel).await;
    until(w.port, "/healthz", Duration::from_secs(15), |b| {
        b.starts_with("ok")
    })
    .await;
    let state = w._state.path();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_smoke-internal"))
        .args(["run", "--panel"])
        .arg(&panel)
        .arg("--state-dir")
        .arg(state)
        .args([
            "--set",
            &format!("internal.socket_dir={}", sim.socket_dir().display()),
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is in use by pid"), "{err}");
}

#[ignore = "needs prometheus (apt-get install prometheus)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_one_success_series_per_probe() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = start(&sim, &copy_panel(dir.path())).await;
    let status = until(w.port, "/status.json", Duration::from_secs(15), |b| {
        outcome_of(b, "biz-persons") == "ok"
    })
    .await;
    let probes = serde_json::from_str::<serde_json::Value>(&status).unwrap()["probes"]
        .as_array()
        .unwrap()
        .len();
    let prom = smoke_sim::fakes::Prometheus::start(
        &format!("127.0.0.1:{}", w.port),
        Duration::from_secs(1),
    )
    .await
    .expect("Prometheus runs (apt-get install prometheus)");
    let series = prom
        .wait_for("smoke_probe_success", probes, Duration::from_secs(30))
        .await
        .unwrap();
    let series = series.as_array().unwrap();
    assert_eq!(series.len(), probes, "{series:?}");
    let names: Vec<&str> = series
        .iter()
        .map(|s| s["metric"]["probe"].as_str().unwrap())
        .collect();
    for probe in [
        "photos-download",
        "contexts-distinct",
        "biz-persons",
        "os-ui",
        "embedder-queue",
    ] {
        assert!(names.contains(&probe), "{probe} not in {names:?}");
    }
    assert!(series.iter().all(|s| s["value"][1] == "1"), "{series:?}");
}

#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_renders_in_a_real_browser_with_each_probe_and_its_state() {
    let sim = Deployment::start().await.unwrap();
    sim.set(Fault::UiSocketMissing);
    let dir = tempfile::tempdir().unwrap();
    let w = start(&sim, &copy_panel(dir.path())).await;
    until(w.port, "/status.json", Duration::from_secs(15), |b| {
        outcome_of(b, "os-ui") == "fail"
    })
    .await;
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("smoke-status-page.png");
    let url = format!("http://127.0.0.1:{}/status", w.port);
    let dom = tokio::task::spawn_blocking(move || {
        smoke_sim::fakes::chromium::render(&url, &shot).map(|d| (d, shot))
    })
    .await
    .unwrap()
    .expect("Chromium renders the page (apt-get install chromium)");
    let (dom, shot) = dom;
    for probe in [
        "photos-download",
        "contexts-distinct",
        "biz-persons",
        "embedder-queue",
        "health-hero_proc",
    ] {
        assert!(
            dom.contains(&format!(r#"data-probe="{probe}" data-state="ok""#)),
            "{probe} in\n{dom}"
        );
    }
    assert!(
        dom.contains(r#"data-probe="os-ui" data-state="fail""#),
        "{dom}"
    );
    assert!(dom.contains("socket missing"), "the cause is on the page");
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG"),
        "a screenshot for a person: {}",
        shot.display()
    );
}

/// Reads until the peer closes (or resets) the connection, up to `within`; what came, or
/// None if it was still open.
async fn read_until_closed(s: &mut tokio::net::TcpStream, within: Duration) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok()?;
    Some(String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_half_sent_and_idle_connections_are_closed_by_the_listener() {
    use tokio::io::AsyncWriteExt;
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = start(&sim, &copy_panel(dir.path())).await;
    until(w.port, "/healthz", Duration::from_secs(15), |b| {
        b.starts_with("ok")
    })
    .await;
    let connect = || tokio::net::TcpStream::connect(("127.0.0.1", w.port));
    let mut silent = connect().await.unwrap();
    let mut half = connect().await.unwrap();
    half.write_all(b"GET /status HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut idle = connect().await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // The header timeout is 10 s; a minute is the wide margin.
    let within = Duration::from_secs(60);
    let (silent, half, idle) = tokio::join!(
        read_until_closed(&mut silent, within),
        read_until_closed(&mut half, within),
        read_until_closed(&mut idle, within),
    );
    assert!(silent.is_some(), "a silent connection is closed");
    assert!(half.is_some(), "a half-sent request is closed");
    let idle = idle.expect("an idle keep-alive connection is closed");
    assert!(idle.starts_with("HTTP/1.1 200"), "served first: {idle}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_past_the_limit_neither_starve_the_ticks_nor_healthz() {
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // As with `ulimit -n 128` (hard too, so it cannot be raised): 200 idle connections would
    // take every descriptor.
    let mut w = start_with_open_files(&sim, &copy_panel(dir.path()), Some((128, 128))).await;
    let mut stderr = w.child.stderr.take().unwrap();
    let said = tokio::spawn(async move {
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err).await;
        err
    });
    until(w.port, "/healthz", Duration::from_secs(15), |b| {
        b.starts_with("ok")
    })
    .await;
    let mut flood = Vec::new();
    for _ in 0..200 {
        flood.push(
            tokio::net::TcpStream::connect(("127.0.0.1", w.port))
                .await
                .unwrap(),
        );
    }
    // Those past the limit are closed at once, well before the 10 s header timeout.
    let waits: Vec<_> = flood
        .into_iter()
        .map(|mut s| {
            tokio::spawn(async move {
                let closed = read_until_closed(&mut s, Duration::from_secs(5)).await;
                (s, closed.is_some())
            })
        })
        .collect();
    let mut flood = Vec::new();
    let mut closed_at_once = 0;
    for wait in waits {
        let (s, closed) = wait.await.unwrap();
        closed_at_once += usize::from(closed);
        flood.push(s);
    }
    assert!(
        closed_at_once >= 100,
        "{closed_at_once} of 200 closed at once"
    );
    // Once the held ones are closed too, the loop answers, and its ticks never stopped
    // (`ok` means a tick within 3 periods).
    until(w.port, "/healthz", Duration::from_secs(60), |b| {
        b.starts_with("ok")
    })
    .await;
    drop(flood);
    signal(&w.child, "-TERM");
    w.child.wait().await.unwrap();
    let err = said.await.unwrap();
    assert!(!err.contains("tick failed"), "{err}");
    assert!(!err.contains("Too many open files"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_soft_open_files_limit_is_raised_to_the_hard_one() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    let hard = lim.rlim_max.min(65_536);
    let sim = Deployment::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = start_with_open_files(&sim, &copy_panel(dir.path()), Some((64, hard))).await;
    until(w.port, "/healthz", Duration::from_secs(15), |b| {
        b.starts_with("ok")
    })
    .await;
    let limits =
        std::fs::read_to_string(format!("/proc/{}/limits", w.child.id().unwrap())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let soft: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(soft, [hard.to_string(), hard.to_string()], "{line}");
}
