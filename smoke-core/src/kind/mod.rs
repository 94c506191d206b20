//! Probe kinds: what a probe asks (an HTTP request, a DNS question, a TLS handshake, a TCP
//! greeting), each kind one file of this module, and the one registry that reads and plans them.
//!
//! A kind reads its keys of a `[[probe]]` table into its spec when the panel loads, and plans a
//! probe of it for a side when a tick starts. A side never matches on kinds: it answers
//! [`Place`], how a target is reached from where it runs. Adding a kind is a file here, a line in
//! `registry!` below, its keys in the panel's raw table, its condition subjects and its docs
//! (`docs/dev/ADDING.md`).

pub mod browse;
pub mod dns;
pub mod http;
pub mod tcp;
pub mod tls;

#[cfg(feature = "http")]
mod place;
#[cfg(feature = "http")]
pub(crate) use place::Planning;
#[cfg(feature = "http")]
pub use place::{Pin, Place};

use crate::panel::raw::RawProbe;
use crate::panel::spec::At;
use crate::panel::{HttpSpec, Mode, PanelError};
use browse::BrowseSpec;
use dns::DnsSpec;
use tcp::TcpSpec;
use tls::TlsSpec;

/// What a probe's table says besides its kind's keys, that reading a kind may need.
pub(crate) struct Reading<'a> {
    pub(crate) at: &'a At<'a>,
    /// The probe's body cap, `[defaults]` applied.
    pub(crate) max_body: u64,
    /// It is a `for_each = "service"` template: `{service}` may stand in its keys.
    pub(crate) for_each_service: bool,
}

/// One kind of probe: how its keys are read, and how a probe of it is planned on a side.
pub(crate) trait Kind: Sized {
    /// The key that makes a probe of this kind (`dns = "…"`); `None` for the kind a probe is
    /// when no key says otherwise (HTTP, made by `get`, `post`, `rpc` or steps).
    const KEY: Option<&'static str>;
    /// How the kind is named in messages: "dns" in "a dns probe".
    const NAME: &'static str;

    /// Whether the table sets this kind's key.
    fn claims(p: &RawProbe) -> bool;

    /// A key of this kind's own, set on a probe of another kind: a mistake, never ignored.
    fn stray(_p: &RawProbe) -> Option<&'static str> {
        None
    }

    /// Keys of another kind's own that this kind reads too (a browse probe's `target`).
    const BORROWS: &'static [&'static str] = &[];

    /// The probe's question from its table, and the side it runs on (`None`: both).
    fn read(p: &mut RawProbe, r: &Reading<'_>) -> Result<(Self, Option<Mode>), PanelError>;

    /// Whether it probes a service, the thing a `restart` restarts.
    fn has_service(&self) -> bool {
        false
    }

    /// A probe of this kind for the side being planned (several, for a `for_each` template).
    #[cfg(feature = "http")]
    fn plan(&self, spec: &crate::panel::ProbeSpec, plan: &mut Planning<'_>);
}

/// Every kind, once: the enum, how a table picks its kind, and the planning of each.
macro_rules! registry {
    ($($(#[$doc:meta])* $variant:ident($spec:ty)),+ $(,)?) => {
        /// What a probe asks: one variant per kind, each a file of `smoke-core/src/kind/`.
        #[derive(Debug, Clone)]
        pub enum ProbeKind {
            $($(#[$doc])* $variant(Box<$spec>)),+
        }

        impl ProbeKind {
            /// The kind a table asks for: the one whose key it sets, else the keyless one.
            pub(crate) fn read(
                p: &mut RawProbe,
                r: &Reading<'_>,
            ) -> Result<(ProbeKind, Option<Mode>), PanelError> {
                let keyed: Vec<&'static str> = [$((<$spec as Kind>::KEY, <$spec as Kind>::claims(p))),+]
                    .into_iter()
                    .filter_map(|(key, set)| key.filter(|_| set))
                    .collect();
                if let [a, b, ..] = keyed[..] {
                    return Err(r.at.here(format!("give `{a}` or `{b}`, not both")));
                }
                let chosen = keyed.first().copied();
                let name = [$((<$spec as Kind>::KEY, <$spec as Kind>::NAME)),+]
                    .into_iter()
                    .find_map(|(key, name)| (key == chosen).then_some(name))
                    .unwrap_or("");
                let borrowed: &[&str] = [$((<$spec as Kind>::KEY, <$spec as Kind>::BORROWS)),+]
                    .into_iter()
                    .find_map(|(key, borrows)| (key == chosen).then_some(borrows))
                    .unwrap_or(&[]);
                $(
                    if <$spec as Kind>::KEY != chosen {
                        if let Some(key) = <$spec as Kind>::stray(p).filter(|k| !borrowed.contains(k)) {
                            return Err(r.at.here(match <$spec as Kind>::KEY {
                                Some(owner) => format!("`{key}` goes with `{owner}`"),
                                None => format!("`{key}` has no meaning on a {name} probe"),
                            }));
                        }
                    }
                )+
                $(
                    if <$spec as Kind>::KEY == chosen {
                        let (spec, mode) = <$spec as Kind>::read(p, r)?;
                        return Ok((ProbeKind::$variant(Box::new(spec)), mode));
                    }
                )+
                Err(r.at.here("no kind of probe reads this table"))
            }

            /// How the kind is named in messages.
            pub(crate) fn name(&self) -> &'static str {
                match self {
                    $(ProbeKind::$variant(_) => <$spec as Kind>::NAME),+
                }
            }

            /// Whether it probes a service, the thing a `restart` restarts.
            pub(crate) fn has_service(&self) -> bool {
                match self {
                    $(ProbeKind::$variant(k) => k.has_service()),+
                }
            }

            #[cfg(feature = "http")]
            pub(crate) fn plan(&self, spec: &crate::panel::ProbeSpec, plan: &mut Planning<'_>) {
                match self {
                    $(ProbeKind::$variant(k) => k.plan(spec, plan)),+
                }
            }
        }
    };
}

registry! {
    /// `get`, `post` or `rpc` on a `target`, or a flow of such steps: a probe that names no
    /// other kind.
    Http(HttpSpec),
    /// `dns`: a DNS question.
    Dns(DnsSpec),
    /// `tls`: a TLS handshake and its certificate.
    Tls(TlsSpec),
    /// `tcp`: a connection and, if asked, the peer's first line.
    Tcp(TcpSpec),
    /// `browse`: a page opened in a headless browser, judged as drawn.
    Browse(BrowseSpec),
}
