//! Headless Chromium (the Debian package's) loading a loopback page, for tests that must see
//! what a browser makes of the pages smoke serves: the DOM once the page has loaded, and a
//! phone-sized screenshot.
//!
//! Each call starts the browser afresh (one run per output, each with a new profile) and
//! waits for it to exit, so [`render`] blocks: from async code, call it through
//! `tokio::task::spawn_blocking`.

use std::fs::File;
use std::io;
use std::net::IpAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use http::Uri;

const DEBIAN_BINARY: &str = "/usr/bin/chromium";
/// Debian's name first, then the one other distributions use.
const NAMES_ON_PATH: [&str; 2] = ["chromium", "chromium-browser"];
const INSTALL_HINT: &str = "install chromium (apt-get install --no-install-recommends chromium)";

/// The viewport, in CSS pixels: a phone held upright. The screenshot is this size.
pub const WINDOW_SIZE: (u32, u32) = (420, 900);

/// A run that has not exited by then is killed, with everything it started.
const RUN_WITHIN: Duration = Duration::from_secs(60);
const POLL_EVERY: Duration = Duration::from_millis(50);

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
    let binary = find_binary().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("no Chromium binary at {DEBIAN_BINARY} or on PATH: {INSTALL_HINT}"),
        )
    })?;
    let dir = tempfile::Builder::new()
        .prefix("smoke-chromium-")
        .tempdir()?;

    let dom = run(
        &binary,
        dir.path(),
        "dump-dom",
        url,
        &host,
        &["--dump-dom".into()],
    )?;
    let dom = String::from_utf8(dom).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("Chromium's DOM of {url} is not UTF-8: {e}"),
        )
    })?;

    // Chromium resolves a relative path against its own working directory, and a stale file
    // must not pass for a screenshot it failed to write.
    let screenshot = std::path::absolute(screenshot)?;
    match std::fs::remove_file(&screenshot) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let log = run(
        &binary,
        dir.path(),
        "screenshot",
        url,
        &host,
        &[format!("--screenshot={}", screenshot.display())],
    )
    .map(|_| dir.path().join("screenshot.log"))?;
    if !screenshot.is_file() {
        return Err(io::Error::other(format!(
            "Chromium wrote no screenshot of {url} to {}; its log:\n{}",
            screenshot.display(),
            tail(&log)
        )));
    }
    Ok(dom)
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
    extra: &[String],
) -> io::Result<Vec<u8>> {
    let output = dir.join(format!("{name}.out"));
    let log = dir.join(format!("{name}.log"));
    let (width, height) = WINDOW_SIZE;
    let out_file = File::create(&output)?;
    let log_file = File::create(&log)?;
    let child = Command::new(binary)
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
        .arg(url)
        // Its own process group, so a timeout can kill the renderers and helpers too.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(out_file)
        .stderr(log_file)
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("starting {}: {e}", binary.display())))?;
    let running = Running(Some(child));

    let deadline = Instant::now() + RUN_WITHIN;
    while !running.exited()? {
        if Instant::now() >= deadline {
            drop(running);
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "Chromium ({name}) did not finish with {url} within {RUN_WITHIN:?}; \
                     its log:\n{}",
                    tail(&log)
                ),
            ));
        }
        std::thread::sleep(POLL_EVERY);
    }
    let status = running.finish()?;
    check(status, name, url, &log)?;
    std::fs::read(&output)
}

/// Chromium exits 0 even when the page did not load; only its log says so.
fn check(status: ExitStatus, name: &str, url: &str, log: &Path) -> io::Result<()> {
    if !status.success() {
        return Err(io::Error::other(format!(
            "Chromium ({name}) exited ({status}) with {url}; its log:\n{}",
            tail(log)
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

/// A browser run, leading a process group of its own. Finishing or dropping it kills the
/// whole group (after a normal exit, whatever helpers outlived the browser; after a timeout,
/// everything) and then reaps the browser. Until then the browser is not reaped, so the
/// group's id cannot have passed to another process.
struct Running(Option<Child>);

impl Running {
    /// Whether the browser has exited, found out without reaping it.
    fn exited(&self) -> io::Result<bool> {
        let Some(child) = &self.0 else {
            return Ok(true);
        };
        // SAFETY: a zeroed siginfo_t is a valid value for waitid to fill in.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` outlives the call; WNOWAIT leaves the child for `Child::wait`.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                child.id(),
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: waitid filled in a SIGCHLD siginfo, or left it zeroed if nothing exited.
        Ok(unsafe { info.si_pid() } != 0)
    }

    fn finish(mut self) -> io::Result<ExitStatus> {
        let mut child = self.0.take().expect("a run is finished once");
        kill_group(&child);
        child.wait()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            kill_group(&child);
            // Waiting reaps it so no zombie outlives the test.
            let _ = child.wait();
        }
    }
}

/// SIGKILL to the group `child` leads; a group already gone is fine.
fn kill_group(child: &Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill takes no pointers.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

fn find_binary() -> Option<PathBuf> {
    let debian = Path::new(DEBIAN_BINARY);
    if debian.is_file() {
        return Some(debian.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    NAMES_ON_PATH.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// The end of the log, without the complaints about the missing D-Bus that every headless
/// run in a container makes.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.contains(":dbus/"))
        .collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
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
