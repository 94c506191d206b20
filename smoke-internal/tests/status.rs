//! The status page read from a state folder by `smoke-internal status`: a generated day of
//! ticks with two open incidents, beside a loop that holds the folder's lock; the summary, the
//! JSON figures, the page written once, and (with Chromium) the page as a phone and a desktop
//! show it, light and dark. Also: a forge issue opened by a tick is linked from the state.

mod common;

use common::smoke_command;
use common::world::{text, World};
use smoke_sim::state_folder::{write, Generate};
use smoke_sim::Fault;
use std::path::{Path, PathBuf};
use std::time::Duration;

const ISSUE: &str = "https://forge.test/hero/demo/issues/41";
/// What a hostile service answers: markup and terminal escapes.
const HOSTILE: &str = "<script>alert(1)</script>\u{1b}]0;pwned\u{7}\u{1b}[2J";

/// A day of one-minute ticks of eight probes, the last `age` ago; biz-persons (with two
/// affected probes) and os-ui failing for the last 40 minutes.
fn day(dir: &Path, age: Duration) -> PathBuf {
    let state = dir.join("state");
    let probes = [
        "biz-persons",
        "photos-download",
        "contexts-distinct",
        "os-ui",
        "embedder-queue",
        "health-hero_proc",
        "health-hero_books",
        "public-site",
    ];
    let g = Generate {
        probes: probes.iter().map(|p| p.to_string()).collect(),
        fail_one_in: 0,
        every: Duration::from_secs(60),
        span: Duration::from_secs(86_400),
        last_tick: jiff::Timestamp::now() - age,
        open: vec![
            (
                "biz-persons".into(),
                vec!["photos-download".into(), "contexts-distinct".into()],
                "expected len(result) > 0, got 0".into(),
                Some(ISSUE.into()),
            ),
            ("os-ui".into(), Vec::new(), HOSTILE.into(), None),
        ],
        failing_for: Duration::from_secs(40 * 60),
    };
    write(&state, &g).unwrap();
    state
}

async fn status(state: &Path, extra: &[&str]) -> (String, String) {
    let out = smoke_command()
        .arg("status")
        .arg("--state-dir")
        .arg(state)
        .args(extra)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    (text(&out.stdout), text(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_command_reads_a_day_beside_a_running_loop_and_says_when_it_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let state = day(dir.path(), Duration::from_secs(20));
    // The lock a running watch holds: status reads without it.
    let _loop = smoke_loop::state_dir::StateDir::open(&state).unwrap();
    let (summary, _) = status(&state, &[]).await;
    assert!(
        summary.starts_with("generated internal: fail\n4 of 8 not ok, last tick "),
        "{summary}"
    );
    assert!(!summary.contains("STALE"), "{summary}");
    assert!(summary.contains("open incidents: 2\n"), "{summary}");
    assert!(summary.contains("  biz-persons  since "), "{summary}");
    assert!(summary.contains("    affected: photos-download, contexts-distinct\n"));
    assert!(summary.contains(&format!("    {ISSUE}\n")));
    // 41 of the day's 1,440 ticks failed: 97.15% over the week; the others never failed.
    let biz = summary
        .lines()
        .find(|l| l.starts_with("  fail ") && l.contains(" biz-persons "))
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(biz.contains(" 97.15%"), "{biz}");
    let proc_line = summary
        .lines()
        .find(|l| l.contains(" health-hero_proc "))
        .unwrap();
    let figures: Vec<&str> = proc_line.split_whitespace().collect();
    assert_eq!(figures[2..4], ["100%", "100%"], "{proc_line}");
    // The hostile detail is text: escapes written out, nothing raw.
    assert!(!summary.contains('\u{1b}') && !summary.contains('\u{7}'));
    assert!(
        summary.contains("<script>alert(1)</script>\\u{1b}]0;pwned\\u{7}"),
        "{summary}"
    );

    let (json, _) = status(&state, &["--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["stale"], false);
    assert_eq!(v["incidents"].as_array().unwrap().len(), 2);
    let biz = v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "biz-persons")
        .unwrap();
    let up = biz["uptime_7d"].as_f64().unwrap();
    assert!((up - 1399.0 / 1440.0).abs() < 1e-9, "{up}");
    assert_eq!(biz["latency_p50_ms"].as_array().unwrap().len(), 24);
    assert_eq!(v["resolved_incidents"].as_array().unwrap().len(), 3);

    let page = dir.path().join("www/status.html");
    std::fs::create_dir_all(page.parent().unwrap()).unwrap();
    status(&state, &["--html", page.to_str().unwrap()]).await;
    let html = std::fs::read_to_string(&page).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&page).unwrap().permissions().mode();
    assert_eq!(mode & 0o644, 0o644, "readable by the web server: {mode:o}");
    assert!(!html.contains("<script>") && !html.contains('\u{1b}'));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;\\u{1b}]0;pwned\\u{7}"));
    assert!(html.contains(&format!("<a href=\"{ISSUE}\">issue</a>")));

    // An hour without a tick, on a one-minute loop: stale, said first.
    let old = day(&dir.path().join("old"), Duration::from_secs(3600));
    let (summary, _) = status(&old, &[]).await;
    let third = summary.lines().nth(2).unwrap();
    assert!(
        third.starts_with("STALE: THE LAST TICK ENDED ")
            && third.ends_with(" AGO, MORE THAN 2 PERIODS (1M EACH); IS THE LOOP RUNNING?"),
        "{summary}"
    );
    let (json, _) = status(&old, &["--json"]).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json).unwrap()["stale"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_state_folder_is_one_line_and_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let out = smoke_command()
        .arg("status")
        .arg("--state-dir")
        .arg(dir.path().join("nowhere"))
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("smoke: no state folder at ") && err.lines().count() == 1,
        "{err}"
    );
    let out = smoke_command().arg("status").output().await.unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("give --state-dir DIR"));
}

/// The forge's `html_url` of the issue a tick opened is kept in the incident, and then in its
/// resolved entry: a page made from the state folder alone links it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forge_issue_a_tick_opened_is_linked_from_the_state() {
    let w = World::new(false).await;
    w.sim.set(Fault::BizEmpty);
    let mut url = None;
    for _ in 0..5 {
        let out = w.tick(&[]).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        url = w.state_json()["incidents"]["biz-persons"]["url"]
            .as_str()
            .map(str::to_string);
        if url.is_some() {
            break;
        }
    }
    let url = url.expect("the incident has its issue's link");
    let issue = &w.forge.issues()[0];
    assert!(url.ends_with(&format!("/issues/{}", issue.number)), "{url}");
    let (summary, _) = status(w.state.path(), &[]).await;
    assert!(summary.contains(&format!("    {url}\n")), "{summary}");

    w.sim.clear(&Fault::BizEmpty);
    let out = w.tick(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let state = w.state_json();
    assert_eq!(
        state["log"].as_array().unwrap().last().unwrap()["url"],
        url.as_str()
    );
    let (json, _) = status(w.state.path(), &["--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["resolved_incidents"][0]["url"], url.as_str());
    // The rollup counted the ticks of the one probe run.
    let biz = &v["probes"][0];
    assert_eq!(biz["name"], "biz-persons");
    assert!(biz["uptime_24h"].as_f64().unwrap() < 1.0, "{biz}");
}

/// Serves `html` to every request on a loopback port until the task is dropped.
async fn serve_page(html: String) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/status", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                continue;
            };
            let html = html.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    html.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(html.as_bytes()).await;
            });
        }
    });
    (url, task)
}

#[ignore = "needs chromium (apt-get install chromium)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_on_a_phone_and_a_desktop_light_and_dark() {
    use smoke_sim::fakes::chromium;
    let dir = tempfile::tempdir().unwrap();
    // Ten minutes without a tick on a one-minute loop: stale.
    let state = day(dir.path(), Duration::from_secs(600));
    let page = dir.path().join("status.html");
    status(&state, &["--html", page.to_str().unwrap()]).await;
    let (url, server) = serve_page(std::fs::read_to_string(&page).unwrap()).await;
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp");
    std::fs::create_dir_all(&shots).unwrap();
    let dom = {
        let (url, shot) = (url.clone(), shots.join("status-page-default.png"));
        tokio::task::spawn_blocking(move || chromium::render(&url, &shot))
            .await
            .unwrap()
            .expect("Chromium renders the page (apt-get install chromium)")
    };
    // What a person reads: the banner, the stale warning, both open incidents, the figures.
    assert!(dom.contains("<h1>generated internal: fail</h1>"), "{dom}");
    assert!(dom.contains("4 of 8 not ok"));
    assert!(
        dom.contains("stale: the last tick ended ")
            && dom.contains(" ago, more than 2 periods (1m each)"),
        "{dom}"
    );
    for incident in [
        "generated/internal/biz-persons/0",
        "generated/internal/os-ui/1",
    ] {
        assert!(
            dom.contains(&format!("data-incident=\"{incident}\"")),
            "{incident}"
        );
    }
    assert!(dom.contains("affected: photos-download, contexts-distinct"));
    assert!(dom.contains(&format!("<a href=\"{ISSUE}\">issue</a>")));
    assert!(dom.contains("24 h <b>100%</b> · 7 d <b>100%</b>"));
    assert!(dom.contains("7 d <b>97.15%</b>"), "{dom}");
    assert!(dom.contains(r#"data-probe="os-ui" data-state="fail""#));
    // The hostile detail is text in the DOM, not an element.
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{dom}"
    );
    assert!(!dom.contains("<script>alert(1)"));
    for (name, view) in chromium::VIEWS {
        let shot = shots.join(format!("status-page-{name}.png"));
        let (url, path) = (url.clone(), shot.clone());
        tokio::task::spawn_blocking(move || chromium::screenshot(&url, &path, view))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let png = std::fs::read(&shot).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{name}: {}", shot.display());
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(width, view.size.0, "{name}");
    }
    server.abort();
}

/// The harness measures a real render from a generated folder (small here; the figures come
/// from `smoke-sim status-bench`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_bench_renders_a_generated_rollup_and_measures_it() {
    let b = tokio::task::spawn_blocking(|| {
        smoke_sim::state_folder::bench(
            Path::new(env!("CARGO_BIN_EXE_smoke-internal")),
            30,
            2,
            Duration::from_secs(300),
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(b.results, 30 * 2 * 288);
    assert_eq!(b.sample.exit, 0);
    assert!(
        b.sample.max_rss_kib > 0 && b.rollup_bytes > 0 && b.page_bytes > 0,
        "{b:?}"
    );
    let figures = smoke_sim::state_folder::render(&b);
    assert!(
        figures.starts_with("30 probes, 17280 results summarised"),
        "{figures}"
    );
}
