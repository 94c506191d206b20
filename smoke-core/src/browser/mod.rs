//! What a person opening a page sees, seen by a headless Chromium driven over the DevTools
//! protocol: the DOM once its scripts have drawn it, the images that did not decode, the
//! script's errors, the sub-requests that failed, and a screenshot of a page judged failed.
//! One browser per tick ([`Browsers`]), in a process group of its own and killed whole when
//! the tick ends; a fresh incognito context per visit, closed once it is judged.
//!
//! Everything the page does is bounded: the visit by the probe's deadline, each list by
//! [`MAX_LISTED`] entries of [`MAX_ENTRY`] chars, the DOM by the probe's `max_body`.

pub(crate) mod outside;
mod process;
pub(crate) mod relay;
mod shared;

pub use process::locate;
pub(crate) use shared::{Browsers, Launch};

use crate::deadline::Deadline;
use crate::observation::{Counted, Observation, PageInfo};
use crate::outcome::{Cause, Failure, Outcome, Screenshot, Verdict, MAX_SCREENSHOT};
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::network::{
    self, EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent, EventResponseReceived,
    ResourceType,
};
use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CaptureScreenshotParams, NavigateParams, Viewport,
};
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::cdp::js_protocol::runtime::{
    ConsoleApiCalledType, EventConsoleApiCalled, EventExceptionThrown,
};
use chromiumoxide::listeners::EventStream;
use chromiumoxide::page::ScreenshotParams;
use futures_util::{FutureExt, StreamExt};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

pub use crate::observation::{MAX_ENTRY, MAX_LISTED};

/// How long the network must be quiet, once the page loaded and `wait_for` appeared, before the
/// page counts as drawn: the app's fetches and the images they add have answered.
const QUIET: Duration = Duration::from_millis(300);

/// The most a visit waits for that quiet after the page loaded: a page that polls forever is
/// judged as it stands then.
const MAX_SETTLE: Duration = Duration::from_secs(3);

/// How often the page is looked at while waiting.
const POLL: Duration = Duration::from_millis(50);

/// How long before the deadline the wait for `wait_for` gives up, so that it, not the
/// deadline, says what never appeared.
const GIVE_UP_BEFORE: Duration = Duration::from_millis(250);

/// The most requests tracked at once for the quiet: past it, the page is judged at
/// [`MAX_SETTLE`].
const MAX_TRACKED: usize = 4096;

/// Run in every document before its own scripts: the console's text arguments are cut to
/// [`MAX_ENTRY`] chars before they are sent to smoke, as each call is a DevTools message that
/// the connection reads whole, whatever its size. (An exception's message is not cut: see
/// "Limits" in SMOKE_LOOP.md.)
static CUT_CONSOLE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "(() => {{
            for (const name of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {{
                const original = console[name];
                if (typeof original !== 'function') continue;
                console[name] = (...args) => original.apply(console, args.map(a =>
                    typeof a === 'string' && a.length > {MAX_ENTRY} ? a.slice(0, {MAX_ENTRY}) : a));
            }}
        }})();"
    )
});

/// One visit: where, what to wait for, and what to send with each request.
#[derive(Debug, Clone)]
pub(crate) struct Visit {
    /// The page's address, as the browser opens it.
    pub(crate) url: String,
    /// A CSS selector the page must show before it is judged.
    pub(crate) wait_for: Option<String>,
    /// Sent with every request the page makes (`X-Hero-Context`).
    pub(crate) headers: Vec<(String, String)>,
    /// The most of the rendered DOM kept.
    pub(crate) max_dom: u64,
    /// The browser to open it in.
    pub(crate) launch: Launch,
}

/// How long past the probe's deadline a failing page's screenshot may take: a page that never
/// drew its nav is the one most worth seeing.
pub(crate) const SCREENSHOT_GRACE: Duration = Duration::from_secs(2);

/// Opens `visit.url` in a fresh incognito context of the tick's browser and has `judge` judge
/// what it drew, within `deadline`, while the page is still open: a page judged failed is
/// photographed before its context goes.
pub(crate) async fn open<J, F>(
    visit: &Visit,
    browsers: &Browsers,
    deadline: Deadline,
    judge: J,
) -> Verdict
where
    J: FnOnce(Result<Observation, Failure>) -> F,
    F: std::future::Future<Output = Verdict>,
{
    let browser = match browsers.get(&visit.launch, deadline).await {
        Ok(browser) => browser,
        Err(failure) => return judge(Err(failure)).await,
    };
    let mut tab = None;
    let seen = match deadline
        .bound(look(visit, &browser.session.browser, deadline, &mut tab))
        .await
    {
        Ok(result) => result,
        Err(_) => {
            browsers.retire(&visit.launch, &browser).await;
            Err(late(deadline))
        }
    };
    let mut verdict = judge(seen).await;
    if verdict.outcome() == Outcome::Fail {
        if let Some((_, Some(page))) = &tab {
            verdict.screenshot = screenshot(page).await;
        }
    }
    if let Some((context, page)) = tab {
        close(context, page, &browser.session.browser).await;
    }
    verdict
}

/// A visit's incognito context, and its tab once opened.
type Tab = (BrowserContextId, Option<chromiumoxide::Page>);

/// Closes a visit's tab and its incognito context, so the next visit of the tick starts with
/// nothing of it: no cookie, no cache, no memory held.
async fn close(
    context: BrowserContextId,
    page: Option<chromiumoxide::Page>,
    browser: &chromiumoxide::Browser,
) {
    let closing = async {
        if let Some(page) = page {
            let _ = page.close().await;
        }
        let _ = browser.dispose_browser_context(context).await;
    };
    // A browser too busy to close a tab is retired with the tick anyway.
    let _ = tokio::time::timeout(CLOSE_WITHIN, closing).await;
}

/// How long closing a visit's tab may take.
const CLOSE_WITHIN: Duration = Duration::from_secs(1);

fn late(deadline: Deadline) -> Failure {
    Failure::new(
        Cause::Timeout,
        format!(
            "the page did not finish loading within {}",
            crate::units::format_duration(deadline.budget())
        ),
    )
}

fn protocol(what: &str, e: impl std::fmt::Display) -> Failure {
    let said = crate::condition::cut_to(&e.to_string(), MAX_ENTRY);
    Failure::new(
        Cause::Protocol,
        format!(
            "the browser failed to {what}: {}",
            crate::text::Escaped(&said)
        ),
    )
}

/// A DevTools connection to a browser, and the task that reads its events.
pub(crate) struct Session {
    browser: chromiumoxide::Browser,
    pump: tokio::task::JoinHandle<()>,
}

impl Session {
    async fn connect(websocket: &str) -> Result<Session, Failure> {
        // chromiumoxide tells every page to ignore certificate errors unless asked not to: the
        // browser would then pass a certificate smoke's own checks fail.
        let config = chromiumoxide::handler::HandlerConfig {
            ignore_https_errors: false,
            ..Default::default()
        };
        let (browser, mut handler) = chromiumoxide::Browser::connect_with_config(websocket, config)
            .await
            .map_err(|e| protocol("accept the DevTools connection", e))?;
        // The connection's events are read as they come, and the errors of events this crate's
        // protocol version does not know are not the page's.
        let pump = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Ok(Session { browser, pump })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

/// The page as the window shows it, as a PNG of at most [`MAX_SCREENSHOT`] bytes: taken
/// again at half the size when a page defeats PNG's compression, else none.
async fn screenshot(page: &chromiumoxide::Page) -> Option<Screenshot> {
    let take = |scale: Option<f64>| {
        let mut cdp_params = CaptureScreenshotParams {
            format: Some(CaptureScreenshotFormat::Png),
            ..Default::default()
        };
        cdp_params.clip = scale.map(|scale| Viewport {
            x: 0.0,
            y: 0.0,
            width: process::WINDOW.0.into(),
            height: process::WINDOW.1.into(),
            scale,
        });
        page.screenshot(ScreenshotParams {
            cdp_params,
            full_page: None,
            omit_background: None,
        })
    };
    let shot = async {
        let png = take(None).await.ok()?;
        match png.len() <= MAX_SCREENSHOT {
            true => Screenshot::png(png),
            false => Screenshot::png(take(Some(0.5)).await.ok()?),
        }
    };
    tokio::time::timeout(SCREENSHOT_GRACE, shot)
        .await
        .ok()
        .flatten()
}

/// Opens the page in a fresh incognito context of `browser`, leaving the context and tab in
/// `tab` so it can still be photographed once judged, then closed, and reports what it drew.
async fn look(
    visit: &Visit,
    browser: &chromiumoxide::Browser,
    deadline: Deadline,
    tab: &mut Option<Tab>,
) -> Result<Observation, Failure> {
    let started = Instant::now();
    let context = browser
        .create_browser_context(CreateBrowserContextParams::default())
        .await
        .map_err(|e| protocol("make an incognito context", e))?;
    let mut target = CreateTargetParams::new("about:blank");
    target.browser_context_id = Some(context.clone());
    let (_, page) = tab.insert((context, None));
    let page = page.insert(
        browser
            .new_page(target)
            .await
            .map_err(|e| protocol("open a tab", e))?,
    );
    let mut events = Events::listen(page).await?;
    // The page is laid out, and photographed, in the whole window: without this, headless
    // Chromium keeps room for a toolbar it does not draw.
    page.execute(SetDeviceMetricsOverrideParams::new(
        process::WINDOW.0,
        process::WINDOW.1,
        1.0,
        false,
    ))
    .await
    .map_err(|e| protocol("size the window", e))?;
    page.evaluate_on_new_document(CUT_CONSOLE.as_str())
        .await
        .map_err(|e| protocol("prepare the page", e))?;
    page.execute(network::EnableParams::default())
        .await
        .map_err(|e| protocol("watch the network", e))?;
    if !visit.headers.is_empty() {
        let headers: serde_json::Map<String, serde_json::Value> = visit
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        page.execute(network::SetExtraHttpHeadersParams::new(
            network::Headers::new(serde_json::Value::Object(headers)),
        ))
        .await
        .map_err(|e| protocol("set the request headers", e))?;
    }
    let navigated = page
        .execute(NavigateParams::new(visit.url.clone()))
        .await
        .map_err(|e| protocol("navigate", e))?;
    if let Some(error) = &navigated.result.error_text {
        return Err(Failure::new(
            outside::cause_of(error),
            format!(
                "the browser could not open {}: {}",
                crate::text::Escaped(&visit.url),
                crate::text::Escaped(&crate::condition::cut_to(error, MAX_ENTRY))
            ),
        ));
    }
    wait(page, visit, &mut events, deadline).await?;
    let drawn = drawn(page, visit.max_dom).await?;
    events.drain();
    let mut obs = Observation::default();
    obs.status = events.document_status;
    obs.body = drawn.dom.into_bytes();
    obs.body_truncated = drawn.cut;
    obs.timings.total = Some(started.elapsed());
    obs.page = Some(Box::new(PageInfo {
        images_broken: drawn.broken_images,
        console_errors: std::mem::take(&mut events.console_errors),
        requests_failed: std::mem::take(&mut events.failed),
        load: drawn.load,
        first_paint: drawn.first_paint,
    }));
    if let Some(status) = obs.status.filter(|s| *s >= 400) {
        return Err(page_failed(status).seen(Some(status), &obs.timings));
    }
    Ok(obs)
}

/// The page itself answered `status`, 400 or more.
fn page_failed(status: u16) -> Failure {
    Failure::new(Cause::Http, format!("the page answered {status}"))
}

/// Waits for the page's load, then `wait_for`, then a quiet network.
async fn wait(
    page: &chromiumoxide::Page,
    visit: &Visit,
    events: &mut Events,
    deadline: Deadline,
) -> Result<(), Failure> {
    let waited = Instant::now();
    let selector = visit.wait_for.as_deref();
    let probe = match selector {
        Some(sel) => format!(
            "document.readyState === 'complete' && document.querySelector({}) !== null",
            serde_json::Value::String(sel.to_string())
        ),
        None => "document.readyState === 'complete'".to_string(),
    };
    loop {
        events.drain();
        // The page itself failed: nothing it draws would be the app.
        if let Some(status) = events.document_status.filter(|s| *s >= 400) {
            return Err(page_failed(status).seen(Some(status), &Default::default()));
        }
        // Each look is cut short of the deadline, so a busy browser's late answer cannot
        // turn "the selector never appeared" into a bare timeout.
        let left = deadline.remaining().saturating_sub(GIVE_UP_BEFORE);
        let ready = !left.is_zero()
            && tokio::time::timeout(left, page.evaluate(probe.as_str()))
                .await
                .ok()
                .and_then(Result::ok)
                .and_then(|r| r.into_value::<bool>().ok())
                .unwrap_or(false);
        if ready {
            break;
        }
        if deadline.remaining() <= GIVE_UP_BEFORE + POLL {
            let limit = crate::units::format_duration(waited.elapsed());
            let mut detail = match selector {
                Some(sel) => format!(
                    "`{}` did not appear within {limit}",
                    crate::text::Escaped(sel)
                ),
                None => format!("the page did not finish loading within {limit}"),
            };
            if let Some(said) = events.console_errors.shown.first() {
                detail.push_str(&format!(
                    "; the page's script said: {}",
                    crate::text::Escaped(said)
                ));
            }
            return Err(Failure::new(Cause::Timeout, detail));
        }
        tokio::time::sleep(POLL).await;
    }
    let settle_until = (Instant::now() + MAX_SETTLE).min(deadline.at());
    let mut quiet_since = Instant::now();
    while Instant::now() < settle_until {
        events.drain();
        if !events.in_flight.is_empty() || events.overflowed {
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= QUIET {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

/// What the page holds once drawn.
struct Drawn {
    dom: String,
    cut: bool,
    broken_images: Counted,
    load: Option<Duration>,
    first_paint: Option<Duration>,
}

async fn drawn(page: &chromiumoxide::Page, max_dom: u64) -> Result<Drawn, Failure> {
    // Cut in the page, so a huge DOM never crosses the connection.
    let script = format!(
        "(() => {{
            const html = document.documentElement ? document.documentElement.outerHTML : '';
            const broken = Array.from(document.images)
                .filter(i => i.complete && i.naturalWidth === 0);
            const nav = performance.getEntriesByType('navigation')[0];
            const paint = performance.getEntriesByName('first-paint')[0];
            return {{
                dom: html.slice(0, {max_dom}),
                cut: html.length > {max_dom},
                broken: broken.length,
                shown: broken.slice(0, {max_listed})
                    .map(i => (i.currentSrc || i.getAttribute('src') || '(no src)').slice(0, {max_entry})),
                load: nav && nav.loadEventEnd > 0 ? nav.loadEventEnd : null,
                first_paint: paint ? paint.startTime : null,
            }};
        }})()",
        max_listed = MAX_LISTED,
        max_entry = MAX_ENTRY,
        max_dom = max_dom.min(u32::MAX.into()),
    );
    #[derive(serde::Deserialize)]
    struct Seen {
        dom: String,
        cut: bool,
        broken: usize,
        shown: Vec<String>,
        load: Option<f64>,
        first_paint: Option<f64>,
    }
    let seen: Seen = page
        .evaluate(script.as_str())
        .await
        .map_err(|e| protocol("read the page", e))?
        .into_value()
        .map_err(|e| protocol("read the page", e))?;
    let millis = |ms: Option<f64>| {
        ms.filter(|m| m.is_finite() && *m >= 0.0)
            .map(|m| Duration::from_secs_f64(m / 1000.0))
    };
    Ok(Drawn {
        dom: seen.dom,
        cut: seen.cut,
        broken_images: Counted {
            count: seen.broken,
            shown: seen.shown,
        },
        load: millis(seen.load),
        first_paint: millis(seen.first_paint),
    })
}

/// A request the browser makes of its own, not the page's: the tab's icon, asked of every
/// origin whether the page names one or not.
fn browsers_own(kind: ResourceType, url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    kind == ResourceType::Other && path.ends_with("/favicon.ico")
}

/// The page's events, read as they arrive.
struct Events {
    sent: EventStream<EventRequestWillBeSent>,
    answered: EventStream<EventResponseReceived>,
    finished: EventStream<EventLoadingFinished>,
    failed_loads: EventStream<EventLoadingFailed>,
    console: EventStream<EventConsoleApiCalled>,
    thrown: EventStream<EventExceptionThrown>,
    /// Requests sent and not yet finished or failed, by id, with their URL.
    in_flight: HashMap<String, String>,
    /// More requests were in flight than [`MAX_TRACKED`].
    overflowed: bool,
    /// The URL of every request seen, by id, for the failures that name only the id.
    urls: HashMap<String, String>,
    document_status: Option<u16>,
    console_errors: Counted,
    failed: Counted,
}

impl Events {
    async fn listen(page: &chromiumoxide::Page) -> Result<Events, Failure> {
        let listen = |e| protocol("listen to the page", e);
        Ok(Events {
            sent: page.event_listener().await.map_err(listen)?,
            answered: page.event_listener().await.map_err(listen)?,
            finished: page.event_listener().await.map_err(listen)?,
            failed_loads: page.event_listener().await.map_err(listen)?,
            console: page.event_listener().await.map_err(listen)?,
            thrown: page.event_listener().await.map_err(listen)?,
            in_flight: HashMap::new(),
            overflowed: false,
            urls: HashMap::new(),
            document_status: None,
            console_errors: Counted::default(),
            failed: Counted::default(),
        })
    }

    /// Takes in every event that has arrived, without waiting for more.
    fn drain(&mut self) {
        while let Some(Some(e)) = self.sent.next().now_or_never() {
            let id = e.request_id.inner().clone();
            let url = crate::condition::cut_to(&e.request.url, MAX_ENTRY);
            if self.urls.len() < MAX_TRACKED {
                self.urls.insert(id.clone(), url.clone());
            }
            match self.in_flight.len() < MAX_TRACKED {
                true => {
                    self.in_flight.insert(id, url);
                }
                false => self.overflowed = true,
            }
        }
        while let Some(Some(e)) = self.answered.next().now_or_never() {
            let status = u16::try_from(e.response.status).unwrap_or(0);
            if e.r#type == ResourceType::Document && self.document_status.is_none() {
                self.document_status = Some(status);
            } else if status >= 400 && !browsers_own(e.r#type.clone(), &e.response.url) {
                let url = crate::condition::cut_to(&e.response.url, MAX_ENTRY);
                self.failed.note(format!("{url} {status}"));
            }
        }
        while let Some(Some(e)) = self.finished.next().now_or_never() {
            self.in_flight.remove(e.request_id.inner());
        }
        while let Some(Some(e)) = self.failed_loads.next().now_or_never() {
            let id = e.request_id.inner();
            self.in_flight.remove(id);
            let url = self
                .urls
                .get(id)
                .cloned()
                .unwrap_or_else(|| "(a request)".into());
            if e.canceled == Some(true) || browsers_own(e.r#type.clone(), &url) {
                continue;
            }
            let error = crate::condition::cut_to(&e.error_text, 80);
            self.failed.note(format!("{url} {error}"));
        }
        while let Some(Some(e)) = self.console.next().now_or_never() {
            if e.r#type == ConsoleApiCalledType::Error {
                let words: Vec<String> = e
                    .args
                    .iter()
                    .map(|a| match (&a.value, &a.description) {
                        (Some(serde_json::Value::String(s)), _) => s.clone(),
                        (Some(v), _) => v.to_string(),
                        (None, Some(d)) => d.clone(),
                        (None, None) => String::new(),
                    })
                    .collect();
                let said = crate::condition::cut_to(&words.join(" "), MAX_ENTRY);
                self.console_errors.note(said);
            }
        }
        while let Some(Some(e)) = self.thrown.next().now_or_never() {
            let details = &e.exception_details;
            let said = details
                .exception
                .as_ref()
                .and_then(|x| x.description.clone())
                .and_then(|d| d.lines().next().map(str::to_string))
                .unwrap_or_else(|| details.text.clone());
            self.console_errors
                .note(crate::condition::cut_to(&said, MAX_ENTRY));
        }
    }
}
