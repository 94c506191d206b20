//! The browse kind: `browse = "/"` on a `target` opens the page in a headless Chromium, waits
//! for `wait_for` (a CSS selector) and a quiet network, and judges what a person would see: the
//! rendered DOM (`element(..)`, `text(..)`, `html(..)`), `images.broken`, `console.errors`,
//! `requests.failed`, `timings.load` and `timings.first_paint`. Outside, the browser opens the
//! public URL; inside, smoke relays the page and its requests to the sockets on loopback.

use super::{Kind, Reading};
use crate::panel::raw::RawProbe;
use crate::panel::{HttpSpec, Mode, PanelError};

/// A `browse` probe: the page, as the GET an HTTP probe of it would send, and what must be
/// drawn before it is judged.
#[derive(Debug, Clone)]
pub struct BrowseSpec {
    /// The page: its target, path (`browse`), headers and context.
    pub page: HttpSpec,
    /// A CSS selector the page must show within the deadline.
    pub wait_for: Option<String>,
}

/// The request keys a browse probe has no use for: it opens one page, as a browser does.
const NOT_HERE: [&str; 9] = [
    "get", "post", "rpc", "params", "json", "body", "contexts", "for_each", "step",
];

impl Kind for BrowseSpec {
    const KEY: Option<&'static str> = Some("browse");
    const NAME: &'static str = "browse";

    fn claims(p: &RawProbe) -> bool {
        p.browse.is_some()
    }

    fn stray(p: &RawProbe) -> Option<&'static str> {
        p.wait_for.is_some().then_some("wait_for")
    }

    const BORROWS: &'static [&'static str] = &[
        "target",
        "headers",
        "context",
        "external_path",
        "distinct_from",
    ];

    fn read(p: &mut RawProbe, r: &Reading<'_>) -> Result<(Self, Option<Mode>), PanelError> {
        let Some(browse) = p.browse.take() else {
            return Err(r.at.here("a browse probe needs `browse`, the page's path"));
        };
        if let Some(key) = crate::panel::spec::first_set(p, &NOT_HERE) {
            return Err(r.at.here(format!(
                "`{key}` has no meaning on a browse probe: it opens `browse` as a browser does"
            )));
        }
        if !cfg!(feature = "browser") {
            return Err(r.at.err(
                browse.span(),
                "browse probes need smoke-core's `browser` feature, which this build was made without",
            ));
        }
        let wait_for = match p.wait_for.take() {
            None => None,
            Some(sel) => Some(selector(sel, r)?),
        };
        let mut request = p.request();
        request.get = Some(browse);
        let page = crate::panel::spec::http_kind(&mut request, r.max_body, false, r.at)?;
        if !page.alternatives.is_empty() {
            return Err(r.at.here(
                "a browse probe opens one page: give it one target, not a list to try in turn",
            ));
        }
        Ok((BrowseSpec { page, wait_for }, p.mode))
    }

    fn has_service(&self) -> bool {
        true
    }

    #[cfg(feature = "http")]
    fn plan(&self, spec: &crate::panel::ProbeSpec, plan: &mut super::Planning<'_>) {
        #[cfg(feature = "browser")]
        planning::plan(self, spec, plan);
        // Without a browser a browse probe does not load: there is none to plan.
        #[cfg(not(feature = "browser"))]
        let _ = (spec, plan);
    }
}

impl BrowseSpec {
    /// The page's path, `browse` as written.
    pub fn path(&self) -> &str {
        match &self.page.request {
            crate::panel::Request::Get { path } => path,
            _ => "/",
        }
    }
}

/// `wait_for`, checked as CSS the way `element(..)` is.
fn selector(sel: toml::Spanned<String>, r: &Reading<'_>) -> Result<String, PanelError> {
    let text = sel.get_ref();
    if text.trim().is_empty() || text.chars().any(char::is_control) {
        return Err(r.at.err(
            sel.span(),
            "wait_for must be a CSS selector, like \"nav a\"",
        ));
    }
    #[cfg(feature = "html")]
    if let Err(e) = scraper::Selector::parse(text) {
        return Err(r.at.err(
            sel.span(),
            format!(
                "wait_for = \"{text}\" is not a CSS selector: {}",
                e.to_string().replace('\n', " ")
            ),
        ));
    }
    Ok(sel.into_inner())
}

#[cfg(feature = "browser")]
mod planning {
    use super::BrowseSpec;
    use crate::browser::outside::{self, Origin};
    use crate::kind::{Place, Planning};
    use crate::observation::Observation;
    use crate::outcome::{Cause, Failure, Verdict};
    use crate::panel::{Mode, ProbeSpec};
    use crate::plan::Planned;
    use std::sync::Arc;

    pub(super) fn plan(browse: &BrowseSpec, spec: &ProbeSpec, plan: &mut Planning<'_>) {
        let what = format!("browse {}", browse.path());
        let definition = definition(browse);
        let planned = |place: String, service, probe| Planned {
            what: what.clone(),
            place,
            definition: definition.clone(),
            service,
            probe,
            stand_in: false,
        };
        let nowhere = |why: Failure| Planned::nowhere(spec, what.clone(), definition.clone(), why);
        let Some(connector) = plan.place.connector() else {
            plan.push(nowhere(Planned::no_connector()));
            return;
        };
        let endpoint = match connector.endpoint(&browse.page) {
            Ok(endpoint) => endpoint,
            Err(why) => {
                plan.push(nowhere(why));
                return;
            }
        };
        let target = &browse.page.target;
        let service = connector
            .supervised_as(target)
            .unwrap_or_else(|| target.service.clone());
        let (place, way) = match plan.place.mode() {
            Mode::External => {
                let Some(origin) = Origin::of(&endpoint) else {
                    plan.push(nowhere(Failure::new(
                        Cause::Checker,
                        format!(
                            "{} has no host and port for the browser",
                            crate::text::Escaped(&endpoint.display)
                        ),
                    )));
                    return;
                };
                let way = Way::Url {
                    url: endpoint.display.clone(),
                    origin,
                    place: plan.place.clone(),
                };
                (endpoint.display, way)
            }
            Mode::Internal => (
                format!(
                    "{} (a browser, through smoke's loopback relay)",
                    endpoint.display
                ),
                Way::Relay(connector),
            ),
        };
        let probe = BrowseProbe {
            browse: browse.clone(),
            way,
            launch: crate::browser::Launch {
                binary: plan.panel.browser.clone(),
                flags: Vec::new(),
            },
            browsers: plan.browsers.clone(),
        };
        let check = crate::plan::check_of(spec, place.clone(), probe);
        let way_in = plan.way_in.clone();
        plan.push(planned(place, Some(service), Arc::new(check)).through(way_in.as_deref()));
    }

    /// What the probe asks beyond `browse <path>` at its place: what it waits for, the
    /// headers and context it sends.
    fn definition(browse: &BrowseSpec) -> String {
        use std::fmt::Write;
        let mut text = String::new();
        if let Some(sel) = &browse.wait_for {
            let _ = writeln!(text, "wait_for\t{sel}");
        }
        for (name, value) in &browse.page.headers {
            let _ = writeln!(text, "header\t{name}\t{value}");
        }
        if let Some(context) = &browse.page.context {
            let _ = writeln!(text, "context\t{context}");
        }
        text
    }

    /// How the browser reaches the page from this side.
    enum Way {
        /// Outside: the public URL, its host reached as the side's probes reach it.
        Url {
            url: String,
            origin: Origin,
            place: Arc<dyn Place>,
        },
        /// Inside: smoke's relay to the sockets, started for each visit.
        Relay(Arc<dyn crate::http::Connector>),
    }

    struct BrowseProbe {
        browse: BrowseSpec,
        way: Way,
        launch: crate::browser::Launch,
        browsers: Arc<crate::browser::Browsers>,
    }

    impl BrowseProbe {
        /// Opens the page, from this side, and has `judge` judge it while it is still open.
        async fn visit<J, F>(&self, cx: &crate::probe::Attempt, judge: J) -> Verdict
        where
            J: FnOnce(Result<Observation, Failure>) -> F,
            F: std::future::Future<Output = Verdict>,
        {
            let deadline = cx.deadline();
            let page = &self.browse.page;
            let mut headers = page.headers.clone();
            if let Some(context) = &page.context {
                headers.push(("X-Hero-Context".to_string(), context.clone()));
            }
            // Kept until the visit ends: the browser's way in, inside.
            let mut _relay = None;
            let mut launch = self.launch.clone();
            let url = match &self.way {
                Way::Url { url, origin, place } => {
                    // Within the probe's deadline, before the browser costs anything: a name
                    // that does not resolve fails `dns`, a certificate that does not verify
                    // `tls`, as an HTTP probe of the page would.
                    let pinned = place
                        .pin(&origin.host, origin.port, origin.tls, deadline)
                        .await
                        .and_then(|pin| outside::flags(&origin.host, &pin));
                    match pinned {
                        Ok(flags) => launch.flags = flags,
                        Err(failure) => return judge(Err(failure)).await,
                    }
                    url.clone()
                }
                Way::Relay(connector) => {
                    let relay = match crate::browser::relay::start(
                        connector.clone(),
                        page.clone(),
                        deadline,
                    )
                    .await
                    {
                        Ok(relay) => relay,
                        Err(failure) => return judge(Err(failure)).await,
                    };
                    let url = format!("{}/{}{}", relay.origin, page.target, self.browse.path());
                    headers.push((
                        crate::browser::relay::TOKEN_HEADER.to_string(),
                        relay.token.clone(),
                    ));
                    _relay = Some(relay);
                    url
                }
            };
            let visit = crate::browser::Visit {
                url,
                wait_for: self.browse.wait_for.clone(),
                headers,
                max_dom: page.max_body,
                launch,
            };
            crate::browser::open(&visit, &self.browsers, deadline, judge).await
        }
    }

    #[async_trait::async_trait]
    impl crate::probe::Probe for BrowseProbe {
        async fn attempt(&self, cx: &crate::probe::Attempt) -> Result<Observation, Failure> {
            let mut seen = None;
            self.visit(cx, |result| {
                seen = Some(result);
                std::future::ready(Verdict::default())
            })
            .await;
            seen.unwrap_or_else(|| {
                Err(Failure::new(
                    crate::outcome::Cause::Checker,
                    "the browser visit ended without a result",
                ))
            })
        }

        /// Judged while the page is open, so that a failing page is photographed.
        async fn verdict(&self, cx: &crate::probe::Attempt) -> Verdict {
            self.visit(cx, |result| cx.verdict(result)).await
        }

        fn grace(&self) -> std::time::Duration {
            crate::browser::SCREENSHOT_GRACE
        }
    }
}
