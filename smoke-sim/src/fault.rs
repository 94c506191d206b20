//! The faults a [`crate::Deployment`] can be switched into, and their command-line names.

use crate::layout::Layout;
use smoke_core::engine::Mode;
use std::fmt;
use std::str::FromStr;

/// One way for the simulated deployment to be broken.
///
/// The string form (`hang:hero_foundry`, `context-fallback`, ...) is what `smoke-sim serve
/// --fault` takes and what [`fmt::Display`] prints, so a fault survives a round trip.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Fault {
    /// hero_osis_base: every context answers root's data.
    ContextFallback,
    /// hero_foundry: `/health` still ok, but `/api/files/...` gets an empty reply.
    PhotosBroken,
    /// hero_osis_business: `business.persons.list` returns `[]`.
    BizEmpty,
    /// hero_foundry: the Photos folder of every context lists nothing.
    PhotosEmpty,
    /// hero_foundry: the folder still lists its photos, but each one answers 404.
    PhotoMissing,
    /// hero_foundry: each photo answers 200 with an HTML error page instead of the image.
    PhotoNotImage,
    /// hero_osis_business: `business.persons.get` finds no person, even one just written.
    BizGetBroken,
    /// hero_os: the UI socket file is removed and its listener is gone.
    UiSocketMissing,
    /// hero_os: the UI socket file stays but nobody listens on it: the process serving it died
    /// (hero_proc runs it as an action of its own, `hero_os_ui`: HERO.md, hero_proc#83).
    UiProcessDead,
    /// hero_os: the page is served but its script and wasm answer 404 (a deploy that shipped
    /// the page without its bundle).
    UiBundleMissing,
    /// hero_os: the wasm is served as `application/octet-stream`, which a browser refuses to
    /// compile as a stream (a static server without the wasm type).
    UiWasmWrongType,
    /// hero_os: the page names its script and wasm under `/pkg/...` instead of next to it; on
    /// the socket they load, behind the gateway they leave `/hero_os/ui/` and the page stays
    /// blank.
    UiWrongPrefix,
    /// hero_os: the app builds each photo's address wrongly (`/api/file/` for `/api/files/`):
    /// the grid shows alt text only ("Photos render alt-text only"), though the folder lists
    /// and every photo downloads.
    UiImagesWrongUrl,
    /// hero_os: the app's script throws as it boots: the page, the script and the wasm are
    /// served, and nothing is drawn.
    UiBootError,
    /// OSIS: `business.persons.list` answers its persons inside an object (`{"items": [...]}`)
    /// rather than as a list: a call that only checks for a non-empty result passes, and the
    /// app, reading a list, shows a dashboard of 0.
    BizAnswerReshaped,
    /// Gateway: refuses (403) the requests the UI page makes to the services (those whose
    /// `Referer` is under `/hero_os/ui/`), as a cross-origin rule set too strict would: the
    /// page, its script and its wasm load, and every request made without a page behind it
    /// still passes.
    GatewayBlocksUi,
    /// OSIS: the business store lost records: `business.persons.list` answers one seed person
    /// where it had its seed count (five per context), and the others are not found. The seed
    /// names "seed-data drift" as a cause of "Biz dashboard shows 0 records"; issue 24 gives its
    /// shape, "the business list that shrinks from 42 records to 3". The panel's `len(result) >
    /// 0` still passes: only a baseline knows the list was longer.
    BizOnePerson,
    /// OSIS: every person comes without its `email`: issue 24's "a field that disappears from
    /// an answer" (the seed's "seed-data drift"). `business.persons.list` still answers a
    /// non-empty list; only a baseline knows each person had one.
    BizFieldGone,
    /// hero_os: the server-drawn page loses its navigation (`nav#hero-nav` and its links), the
    /// element the seed's own UI probe looked for ("200 + has expected nav element"): issue 24's
    /// "a page that loses its upload button". The mount element, the script and the wasm that
    /// `os-ui` checks are all still there. Only the [`Layout::Herodemo`] page draws a nav on the
    /// server; the [`Layout::Hero`] page holds nothing but its mount, so there the fault changes
    /// nothing and coverage does not switch it on ([`Fault::applies_in`]).
    UiElementGone,
    /// Accepts connections, reads the request, never answers.
    Hang(String),
    /// Reads the request, then closes without sending a byte.
    EmptyReply(String),
    /// Reads the request, then answers bytes that are not HTTP.
    Malformed(String),
    /// Sends headers with `Content-Length: 1000` and only 10 body bytes, then closes.
    Truncated(String),
    /// `GET /health` answers 500 `{"status":"error"}`.
    Health500(String),
    /// Every JSON-RPC call answers a -32603 error.
    RpcError(String),
    /// `rpc.sock` is removed and its listener is gone.
    SocketMissing(String),
    /// `rpc.sock` stays on disk but nobody listens on it.
    StaleSocket(String),
    /// `GET /health` answers its same JSON body and status as `text/plain; charset=utf-8`: issue
    /// 24's "a content type changed" (a new server or framework that no longer types its JSON).
    /// HERO.md gives `/health`'s body, not its type, and the panel's `json.status == ok` reads
    /// JSON whatever the type, so the probe still passes: only a baseline knows the type was
    /// `application/json`.
    ContentTypeChanged(String),
    /// Every answer of the service (its `rpc.sock` and UI socket) waits [`SLOW_DELAY`] first:
    /// issue 24's "a call that gets five times slower" (the seed's "seed-data drift" list). A
    /// fixed delay rather than a factor: an answer over a Unix socket takes well under a
    /// millisecond on the VM, and latency drift needs an answer over 3× its baseline p95 and
    /// 5 ms over it. The delay is long because the baseline is this machine's: a debug build
    /// answering through the TLS gateway while other coverage runs share two cores has shown
    /// a healthy p95 near 70 ms, and 500 ms is still 3× one of 160 ms. It stays under every
    /// probe's timeout (5 s; 1 s a phase in coverage).
    Slow(String),
    /// hero_embedder: its health reports `queue_depth` 5000.
    QueueBacklog,
    /// Gateway: presents a certificate that expires in 10 days. When several certificate
    /// faults are on, the worst wins: expired, untrusted, wrong host, 3 days, 10 days.
    CertExpiring10d,
    /// Gateway: presents a certificate that expires in 3 days.
    CertExpiring3d,
    /// Gateway: presents a certificate that expired 2 days ago.
    CertExpired,
    /// Gateway: presents a valid certificate for `other.smoke.test` only.
    CertWrongHost,
    /// Gateway: presents a valid certificate signed by a CA that is not in `ca.pem`.
    CertUntrusted,
    /// Gateway: answers every request 502 Bad Gateway without asking the service.
    Gateway502,
    /// Gateway: completes the TLS handshake, then waits 10 s before answering each request.
    GatewaySlow,
    /// DNS: NXDOMAIN for the public host.
    DnsNxdomain,
    /// DNS: SERVFAIL for every query.
    DnsServfail,
}

/// What [`Fault::service`] says for the faults of the TLS gateway.
pub const GATEWAY: &str = "gateway";
/// What [`Fault::service`] says for the faults of the DNS server.
pub const DNS: &str = "dns";

/// Why a string is not a [`Fault`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseFaultError {
    #[error("unknown fault {0:?} (known: {known})", known = KNOWN.join(", "))]
    Unknown(String),
    #[error("fault {0:?} needs a service: {0}:SERVICE")]
    MissingService(String),
    #[error("fault {0:?} always hits the same service and takes no argument")]
    UnexpectedService(String),
}

/// How long each answer of a service under [`Fault::Slow`] waits before it is made (why so
/// long: [`Fault::Slow`]).
pub const SLOW_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

const KNOWN: [&str; 39] = [
    "context-fallback",
    "photos-broken",
    "biz-empty",
    "photos-empty",
    "photo-missing",
    "photo-not-image",
    "biz-get-broken",
    "ui-socket-missing",
    "ui-process-dead",
    "ui-bundle-missing",
    "ui-wasm-wrong-type",
    "ui-wrong-prefix",
    "ui-images-wrong-url",
    "ui-boot-error",
    "biz-answer-reshaped",
    "biz-one-person",
    "biz-field-gone",
    "ui-element-gone",
    "queue-backlog",
    "cert-expiring-10d",
    "cert-expiring-3d",
    "cert-expired",
    "cert-wrong-host",
    "cert-untrusted",
    "gateway-502",
    "gateway-slow",
    "gateway-blocks-ui",
    "dns-nxdomain",
    "dns-servfail",
    "hang:SERVICE",
    "empty-reply:SERVICE",
    "malformed:SERVICE",
    "truncated:SERVICE",
    "health-500:SERVICE",
    "rpc-error:SERVICE",
    "socket-missing:SERVICE",
    "stale-socket:SERVICE",
    "content-type-changed:SERVICE",
    "slow:SERVICE",
];

impl Fault {
    /// The failures that really happened, plus a hung file server: the demo's default script.
    pub fn all_historical() -> Vec<Fault> {
        vec![
            Fault::ContextFallback,
            Fault::PhotosBroken,
            Fault::BizEmpty,
            Fault::UiSocketMissing,
            Fault::Hang("hero_foundry".to_string()),
        ]
    }

    /// Every fault the simulation knows, those that take a service once for each of
    /// `services`, in the order of the `--fault` help: what a coverage run switches on.
    pub fn every(services: &[String]) -> Vec<Fault> {
        let mut all = Vec::new();
        for known in KNOWN {
            match known
                .strip_suffix(":SERVICE")
                .and_then(Fault::takes_service)
            {
                Some(make) => all.extend(services.iter().map(|s| make(s.clone()))),
                None => all.extend(Fault::fixed(known)),
            }
        }
        all
    }

    /// The fault's name without its service, as written on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::ContextFallback => "context-fallback",
            Fault::PhotosBroken => "photos-broken",
            Fault::BizEmpty => "biz-empty",
            Fault::PhotosEmpty => "photos-empty",
            Fault::PhotoMissing => "photo-missing",
            Fault::PhotoNotImage => "photo-not-image",
            Fault::BizGetBroken => "biz-get-broken",
            Fault::UiSocketMissing => "ui-socket-missing",
            Fault::UiProcessDead => "ui-process-dead",
            Fault::UiBundleMissing => "ui-bundle-missing",
            Fault::UiWasmWrongType => "ui-wasm-wrong-type",
            Fault::UiWrongPrefix => "ui-wrong-prefix",
            Fault::UiImagesWrongUrl => "ui-images-wrong-url",
            Fault::UiBootError => "ui-boot-error",
            Fault::BizAnswerReshaped => "biz-answer-reshaped",
            Fault::BizOnePerson => "biz-one-person",
            Fault::BizFieldGone => "biz-field-gone",
            Fault::UiElementGone => "ui-element-gone",
            Fault::QueueBacklog => "queue-backlog",
            Fault::CertExpiring10d => "cert-expiring-10d",
            Fault::CertExpiring3d => "cert-expiring-3d",
            Fault::CertExpired => "cert-expired",
            Fault::CertWrongHost => "cert-wrong-host",
            Fault::CertUntrusted => "cert-untrusted",
            Fault::Gateway502 => "gateway-502",
            Fault::GatewaySlow => "gateway-slow",
            Fault::GatewayBlocksUi => "gateway-blocks-ui",
            Fault::DnsNxdomain => "dns-nxdomain",
            Fault::DnsServfail => "dns-servfail",
            Fault::Hang(_) => "hang",
            Fault::EmptyReply(_) => "empty-reply",
            Fault::Malformed(_) => "malformed",
            Fault::Truncated(_) => "truncated",
            Fault::Health500(_) => "health-500",
            Fault::RpcError(_) => "rpc-error",
            Fault::SocketMissing(_) => "socket-missing",
            Fault::StaleSocket(_) => "stale-socket",
            Fault::ContentTypeChanged(_) => "content-type-changed",
            Fault::Slow(_) => "slow",
        }
    }

    /// The sides that can see it, so the sides whose probes must catch it. A fault of a
    /// service's socket, handler or data shows on the socket and through the gateway alike; one
    /// of the gateway or of DNS, or one that only goes wrong behind the gateway's prefix
    /// (`ui-wrong-prefix`), only from outside.
    pub fn seen_from(&self) -> &'static [Mode] {
        match self {
            Fault::UiWrongPrefix => &[Mode::External],
            _ if [GATEWAY, DNS].contains(&self.service()) => &[Mode::External],
            _ => &[Mode::Internal, Mode::External],
        }
    }

    /// The service the fault breaks (the historical ones always hit the same one). The
    /// faults of the external view name their component: `"gateway"` or `"dns"`.
    pub fn service(&self) -> &str {
        match self {
            Fault::ContextFallback => "hero_osis_base",
            Fault::PhotosBroken
            | Fault::PhotosEmpty
            | Fault::PhotoMissing
            | Fault::PhotoNotImage => "hero_foundry",
            Fault::BizEmpty
            | Fault::BizGetBroken
            | Fault::BizAnswerReshaped
            | Fault::BizOnePerson
            | Fault::BizFieldGone => "hero_osis_business",
            Fault::UiSocketMissing
            | Fault::UiProcessDead
            | Fault::UiBundleMissing
            | Fault::UiWasmWrongType
            | Fault::UiWrongPrefix
            | Fault::UiImagesWrongUrl
            | Fault::UiBootError
            | Fault::UiElementGone => "hero_os",
            Fault::QueueBacklog => "hero_embedder",
            Fault::CertExpiring10d
            | Fault::CertExpiring3d
            | Fault::CertExpired
            | Fault::CertWrongHost
            | Fault::CertUntrusted
            | Fault::Gateway502
            | Fault::GatewaySlow
            | Fault::GatewayBlocksUi => GATEWAY,
            Fault::DnsNxdomain | Fault::DnsServfail => DNS,
            Fault::Hang(s)
            | Fault::EmptyReply(s)
            | Fault::Malformed(s)
            | Fault::Truncated(s)
            | Fault::Health500(s)
            | Fault::RpcError(s)
            | Fault::SocketMissing(s)
            | Fault::StaleSocket(s)
            | Fault::ContentTypeChanged(s)
            | Fault::Slow(s) => s,
        }
    }

    /// The service it breaks in `layout`: [`Fault::service`], but for the OSIS domains, which
    /// the hero projects' layout serves all from one `hero_osis` (HERO.md, "OSIS").
    pub fn service_in(&self, layout: Layout) -> &str {
        match (self, layout) {
            (
                Fault::ContextFallback
                | Fault::BizEmpty
                | Fault::BizGetBroken
                | Fault::BizAnswerReshaped
                | Fault::BizOnePerson
                | Fault::BizFieldGone,
                Layout::Hero,
            ) => "hero_osis",
            _ => self.service(),
        }
    }

    /// Whether the fault changes anything in a deployment of `layout`: the hero layout's UI
    /// page has no server-drawn element for [`Fault::UiElementGone`] to take away.
    pub fn applies_in(&self, layout: Layout) -> bool {
        !matches!((self, layout), (Fault::UiElementGone, Layout::Hero))
    }

    /// Whether the fault was given a service by whoever switched it on.
    fn has_target(&self) -> bool {
        matches!(
            self,
            Fault::Hang(_)
                | Fault::EmptyReply(_)
                | Fault::Malformed(_)
                | Fault::Truncated(_)
                | Fault::Health500(_)
                | Fault::RpcError(_)
                | Fault::SocketMissing(_)
                | Fault::StaleSocket(_)
                | Fault::ContentTypeChanged(_)
                | Fault::Slow(_)
        )
    }

    fn takes_service(name: &str) -> Option<fn(String) -> Fault> {
        Some(match name {
            "hang" => Fault::Hang,
            "empty-reply" => Fault::EmptyReply,
            "malformed" => Fault::Malformed,
            "truncated" => Fault::Truncated,
            "health-500" => Fault::Health500,
            "rpc-error" => Fault::RpcError,
            "socket-missing" => Fault::SocketMissing,
            "stale-socket" => Fault::StaleSocket,
            "content-type-changed" => Fault::ContentTypeChanged,
            "slow" => Fault::Slow,
            _ => return None,
        })
    }

    fn fixed(name: &str) -> Option<Fault> {
        Some(match name {
            "context-fallback" => Fault::ContextFallback,
            "photos-broken" => Fault::PhotosBroken,
            "biz-empty" => Fault::BizEmpty,
            "photos-empty" => Fault::PhotosEmpty,
            "photo-missing" => Fault::PhotoMissing,
            "photo-not-image" => Fault::PhotoNotImage,
            "biz-get-broken" => Fault::BizGetBroken,
            "ui-socket-missing" => Fault::UiSocketMissing,
            "ui-process-dead" => Fault::UiProcessDead,
            "ui-bundle-missing" => Fault::UiBundleMissing,
            "ui-wasm-wrong-type" => Fault::UiWasmWrongType,
            "ui-wrong-prefix" => Fault::UiWrongPrefix,
            "ui-images-wrong-url" => Fault::UiImagesWrongUrl,
            "ui-boot-error" => Fault::UiBootError,
            "biz-answer-reshaped" => Fault::BizAnswerReshaped,
            "biz-one-person" => Fault::BizOnePerson,
            "biz-field-gone" => Fault::BizFieldGone,
            "ui-element-gone" => Fault::UiElementGone,
            "queue-backlog" => Fault::QueueBacklog,
            "cert-expiring-10d" => Fault::CertExpiring10d,
            "cert-expiring-3d" => Fault::CertExpiring3d,
            "cert-expired" => Fault::CertExpired,
            "cert-wrong-host" => Fault::CertWrongHost,
            "cert-untrusted" => Fault::CertUntrusted,
            "gateway-502" => Fault::Gateway502,
            "gateway-slow" => Fault::GatewaySlow,
            "gateway-blocks-ui" => Fault::GatewayBlocksUi,
            "dns-nxdomain" => Fault::DnsNxdomain,
            "dns-servfail" => Fault::DnsServfail,
            _ => return None,
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.has_target() {
            write!(f, "{}:{}", self.name(), self.service())
        } else {
            f.write_str(self.name())
        }
    }
}

impl FromStr for Fault {
    type Err = ParseFaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (raw_name, service) = match s.split_once(':') {
            Some((n, svc)) => (n, Some(svc.trim())),
            None => (s, None),
        };
        // Names are forgiving (`Health_500`, `HANG`) because people type them; service names
        // are kept as written since they are file names.
        let name = raw_name.trim().to_ascii_lowercase().replace('_', "-");
        if let Some(make) = Fault::takes_service(&name) {
            return match service {
                Some(svc) if !svc.is_empty() => Ok(make(svc.to_string())),
                _ => Err(ParseFaultError::MissingService(name)),
            };
        }
        match (Fault::fixed(&name), service) {
            (Some(fault), None) => Ok(fault),
            // Accepting the fault's own service keeps `name:service` lists uniform.
            (Some(fault), Some(svc)) if svc == fault.service() => Ok(fault),
            (Some(_), Some(_)) => Err(ParseFaultError::UnexpectedService(name)),
            (None, _) => Err(ParseFaultError::Unknown(s.to_string())),
        }
    }
}
