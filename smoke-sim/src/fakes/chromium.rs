//! Headless Chromium (the Debian package's) loading a loopback page, for tests that must see
//! what a browser makes of the pages smoke serves: the DOM once the page has loaded, and a
//! phone-sized screenshot.
//!
//! Each call starts the browser afresh (one run per output, each with a new profile) and
//! waits for it to exit, so [`render`] blocks: from async code, call it through
//! `tokio::task::spawn_blocking`.

use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use http::Uri;

use super::process::{Process, Program};

const CHROMIUM: Program = Program {
    name: "Chromium",
    debian_binary: "/usr/bin/chromium",
    // Debian's name first, then the one other distributions use.
    names_on_path: &["chromium", "chromium-browser"],
    install_hint: "install chromium (apt-get install --no-install-recommends chromium)",
    // The complaints about the missing D-Bus that every headless run in a container makes.
    log_noise: &[":dbus/"],
};

/// The viewport, in CSS pixels: a phone held upright. The screenshot is this size.
pub const WINDOW_SIZE: (u32, u32) = (420, 900);

/// A run that has not exited by then is killed, with everything it started.
const RUN_WITHIN: Duration = Duration::from_secs(60);

/// Headless, as root, with no GPU, and nothing that reaches out: no sync, no component or
/// extension updates, no network-time or account checks, no QUIC, no proxy. The host
/// resolver rule (added per run) goes further and fails every name lookup but the page's
/// own host, so anything missed here still cannot leave the machine by name.
const FLAGS: [&str; 15] = [
    "--headless",
    // Chromium's sandbox refuses to run as root, which is how the tests run here.
    "--no-sandbox",
    "--disable-gpu",
    // Containers often give /dev/shm 64 MiB, too little for a renderer; /tmp is fine.
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-proxy-server",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=NetworkTimeServiceQuerying",
    // Screenshots of the same page come out the same whether or not it overflows.
    "--hide-scrollbars",
    "--mute-audio",
];

/// Loads `url` (on a loopback address) in headless Chromium and returns the DOM it ended up
/// with (`--dump-dom`: after the load event, scripts run), then loads it again to write a
/// [`WINDOW_SIZE`] PNG screenshot to `screenshot`, replacing any file there.
///
/// A page that fails to load (refused, not found by name, an unsafe port) is an error naming
/// Chromium's reason, not an empty DOM.
pub fn render(url: &str, screenshot: &Path) -> io::Result<String> {
    let host = loopback_host(url)?;
    let binary = CHROMIUM.find()?;
    let dir = tempfile::Builder::new()
        .prefix("smoke-chromium-")
        .tempdir()?;

    let dom = run(
        &binary,
        dir.path(),
        "dump-dom",
        url,
        &host,
        WINDOW_SIZE,
        &["--dump-dom".into()],
    )?;
    let dom = utf8_dom(url, dom)?;

    shoot(
        &binary,
        dir.path(),
        url,
        &host,
        screenshot,
        WINDOW_SIZE,
        &[],
    )?;
    Ok(dom)
}

/// Loads `url` (on a loopback address) and returns the DOM once its scripts have settled: the
/// page's fetches answered and its timers run, within `settle` of the browser's virtual time.
/// For a page a script draws after fetching its data (the simulated hero_os app), which the
/// load event alone does not wait for. Blocks like [`render`].
pub fn settled_dom(url: &str, settle: Duration) -> io::Result<String> {
    let host = loopback_host(url)?;
    let binary = CHROMIUM.find()?;
    let dir = tempfile::Builder::new()
        .prefix("smoke-chromium-")
        .tempdir()?;
    let flags = [
        "--dump-dom".to_string(),
        format!("--virtual-time-budget={}", settle.as_millis()),
    ];
    let dom = run(
        &binary,
        dir.path(),
        "settled",
        url,
        &host,
        WINDOW_SIZE,
        &flags,
    )?;
    utf8_dom(url, dom)
}

/// The DOM Chromium printed for `url`, as text; an error when it is Chromium's own page for a
/// load that failed, which some versions print without a "Page load failed" in their log.
fn utf8_dom(url: &str, dom: Vec<u8>) -> io::Result<String> {
    let dom = String::from_utf8(dom).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("Chromium's DOM of {url} is not UTF-8: {e}"),
        )
    })?;
    let error_page = dom
        .split_once("var loadTimeDataRaw = ")
        .and_then(|(_, data)| data.split_once("\"errorCode\":\""))
        .and_then(|(_, code)| code.split_once('"'))
        .map(|(code, _)| code)
        .filter(|code| code.starts_with("ERR_"));
    match error_page {
        Some(code) => Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("Chromium could not load {url}: net::{code}"),
        )),
        None => Ok(dom),
    }
}

/// How a screenshot sees the page: its viewport in CSS pixels, and the colour scheme the page
/// is told the reader prefers (`prefers-color-scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    pub size: (u32, u32),
    pub dark: bool,
}

/// A phone held upright (390x844) and a laptop's screen (1280x800), each light and dark.
pub const VIEWS: [(&str, View); 4] = [
    ("phone-light", View::new(PHONE, false)),
    ("phone-dark", View::new(PHONE, true)),
    ("desktop-light", View::new(DESKTOP, false)),
    ("desktop-dark", View::new(DESKTOP, true)),
];

const PHONE: (u32, u32) = (390, 844);
const DESKTOP: (u32, u32) = (1280, 800);

impl View {
    const fn new(size: (u32, u32), dark: bool) -> View {
        View { size, dark }
    }
}

/// Loads `url` (on a loopback address) once and writes a PNG screenshot of `view` to
/// `screenshot`, replacing any file there. Blocks like [`render`].
pub fn screenshot(url: &str, screenshot: &Path, view: View) -> io::Result<()> {
    let host = loopback_host(url)?;
    let binary = CHROMIUM.find()?;
    let dir = tempfile::Builder::new()
        .prefix("smoke-chromium-")
        .tempdir()?;
    // Blink's own setting (0 dark, 1 light): what the page's `prefers-color-scheme` reads.
    let scheme = format!(
        "--blink-settings=preferredColorScheme={}",
        if view.dark { 0 } else { 1 }
    );
    shoot(
        &binary,
        dir.path(),
        url,
        &host,
        screenshot,
        view.size,
        &[scheme],
    )
}

/// One screenshot run, checked to have written its file.
fn shoot(
    binary: &Path,
    dir: &Path,
    url: &str,
    host: &str,
    screenshot: &Path,
    size: (u32, u32),
    extra: &[String],
) -> io::Result<()> {
    // Chromium resolves a relative path against its own working directory, and a stale file
    // must not pass for a screenshot it failed to write.
    let screenshot = std::path::absolute(screenshot)?;
    match std::fs::remove_file(&screenshot) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut flags = vec![format!("--screenshot={}", screenshot.display())];
    flags.extend_from_slice(extra);
    let log = run(binary, dir, "screenshot", url, host, size, &flags)
        .map(|_| dir.join("screenshot.log"))?;
    if !screenshot.is_file() {
        return Err(io::Error::other(format!(
            "Chromium wrote no screenshot of {url} to {}; its log:\n{}",
            screenshot.display(),
            CHROMIUM.tail(&log)
        )));
    }
    Ok(())
}

/// The host of `url`, which must be `localhost` or a loopback address: the harness is for
/// pages the test serves itself, and the resolver rule lets only this host through.
fn loopback_host(url: &str) -> io::Result<String> {
    let invalid = |why: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{url}: {why}; render only loads http(s) pages on loopback"),
        )
    };
    let uri: Uri = url.parse().map_err(|e| invalid(&format!("{e}")))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(invalid("not an http(s) URL"));
    }
    let host = uri.host().ok_or_else(|| invalid("no host"))?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(invalid("not a loopback host"));
    }
    // The rule wants an IPv6 address without its brackets.
    Ok(bare.to_owned())
}

/// One browser run with its own profile; returns what it printed. `name` keeps the runs'
/// files apart in `dir`.
fn run(
    binary: &Path,
    dir: &Path,
    name: &str,
    url: &str,
    host: &str,
    (width, height): (u32, u32),
    extra: &[String],
) -> io::Result<Vec<u8>> {
    let output = dir.join(format!("{name}.out"));
    let log = dir.join(format!("{name}.log"));
    // Its own process group, so a timeout can kill the renderers and helpers too.
    let mut running = Process::spawn_group(
        Command::new(binary)
            .args(FLAGS)
            .arg(format!(
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {host}"
            ))
            .arg(format!(
                "--user-data-dir={}",
                dir.join(format!("{name}-profile")).display()
            ))
            .arg(format!("--window-size={width},{height}"))
            .args(extra)
            .arg(url),
        Some(&output),
        &log,
    )?;

    // Once the browser exits, its group is killed (whatever helpers outlived it); after a
    // timeout, dropping it kills everything, before the log is read.
    let Some(status) = running.wait_within(RUN_WITHIN)? else {
        drop(running);
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "Chromium ({name}) did not finish with {url} within {RUN_WITHIN:?}; \
                 its log:\n{}",
                CHROMIUM.tail(&log)
            ),
        ));
    };
    check(status, name, url, &log)?;
    std::fs::read(&output)
}

/// Chromium exits 0 even when the page did not load; only its log says so.
fn check(status: ExitStatus, name: &str, url: &str, log: &Path) -> io::Result<()> {
    if !status.success() {
        return Err(io::Error::other(format!(
            "Chromium ({name}) exited ({status}) with {url}; its log:\n{}",
            CHROMIUM.tail(log)
        )));
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    if let Some(line) = text.lines().find(|line| line.contains("Page load failed")) {
        let reason = line.rsplit("] ").next().unwrap_or(line);
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("Chromium could not load {url}: {reason}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_pages() {
        assert_eq!(
            loopback_host("http://127.0.0.1:8080/page").unwrap(),
            "127.0.0.1"
        );
        assert_eq!(loopback_host("http://[::1]:8080/").unwrap(), "::1");
        assert_eq!(loopback_host("https://localhost/").unwrap(), "localhost");
        for url in [
            "http://example.com/",
            "http://10.0.0.1/",
            "file:///etc/passwd",
            "127.0.0.1:80",
        ] {
            let e = loopback_host(url).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{url}");
        }
    }
}
