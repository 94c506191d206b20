//! Outside, the browser must go where the panel's `resolvers` say and trust what the panel's
//! `ca_file` signed, and Chromium can be handed neither: it asks the system's resolver and
//! trusts the system's CAs, with no flag for a CA file. So the side resolves the page's host
//! and verifies its certificate itself ([`Place::pin`](crate::kind::Place::pin)), and the
//! browser is told the result: the address (`--host-resolver-rules=MAP host ip`) and the one
//! key smoke verified (`--ignore-certificate-errors-spki-list`, which Chromium honours with a
//! `--user-data-dir`, as every visit has).
//!
//! Only the page's host is mapped. Its sub-requests to other hosts (a CDN, a font service) are
//! resolved by the system, as a person's browser resolves them: the panel's resolvers may know
//! the deployment's zone only (an authoritative server, as smoke-sim's is), and the names a
//! page's script asks for are not known before it runs. A `MAP * ~NOTFOUND` would fail every
//! such request on a real deployment.

use crate::http::Endpoint;
use crate::kind::Pin;
use crate::outcome::{Cause, Failure};
use std::net::IpAddr;

/// The page's origin, as [`Place::pin`](crate::kind::Place::pin) is asked about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// As in the URL: a name, an IPv4 address or a bracketed IPv6 one.
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: bool,
}

impl Origin {
    /// The origin an outside connector dials for `endpoint`: its `host:port`, over TLS when
    /// its URL is `https://`.
    pub(crate) fn of(endpoint: &Endpoint) -> Option<Origin> {
        let (host, port) = endpoint.address.rsplit_once(':')?;
        Some(Origin {
            host: host.to_string(),
            port: port.parse().ok()?,
            tls: endpoint.display.starts_with("https://"),
        })
    }
}

/// The flags that hold the browser to `pin` for the page's `host`; none when the system's
/// resolver and CAs are the panel's.
pub(crate) fn flags(host: &str, pin: &Pin) -> Result<Vec<String>, Failure> {
    let mut flags = Vec::new();
    if let Some(ip) = pin.address {
        // The rules are a comma-separated list with `*` patterns: a host with anything else
        // than a name's characters would say another rule.
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
        if host.is_empty() || !host.chars().all(plain) {
            return Err(Failure::new(
                Cause::Checker,
                format!(
                    "cannot tell the browser where `{}` is: not a host name",
                    crate::text::Escaped(host)
                ),
            ));
        }
        let to = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        flags.push(format!(
            "--host-resolver-rules=MAP {} {to}",
            host.to_ascii_lowercase()
        ));
    }
    if let Some(key) = pin.key_sha256 {
        flags.push(format!(
            "--ignore-certificate-errors-spki-list={}",
            base64(&key)
        ));
    }
    Ok(flags)
}

/// The cause of a page the browser could not open, by Chromium's error (`net::ERR_…`): a
/// certificate it refused is `tls` and a name it could not resolve `dns`, as smoke's own
/// checks would say; anything else kept it from connecting.
pub(crate) fn cause_of(error: &str) -> Cause {
    let code = error.strip_prefix("net::ERR_").unwrap_or_default();
    if code.starts_with("CERT_") || code.starts_with("SSL_") || code.starts_with("BAD_SSL_") {
        Cause::Tls
    } else if code == "NAME_NOT_RESOLVED" || code == "NAME_RESOLUTION_FAILED" {
        Cause::Dns
    } else {
        Cause::Connect
    }
}

/// Standard base64 with padding, as Chromium reads an SPKI hash.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4 {
            match i <= chunk.len() {
                true => out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize])),
                false => out.push('='),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(address: &str, display: &str) -> Endpoint {
        Endpoint {
            address: address.to_string(),
            authority: String::new(),
            path: "/".to_string(),
            display: display.to_string(),
        }
    }

    #[test]
    fn the_origin_is_the_dialed_host_and_port() {
        assert_eq!(
            Origin::of(&endpoint(
                "herodemo.smoke.test:8443",
                "https://herodemo.smoke.test:8443/hero_os/ui/"
            )),
            Some(Origin {
                host: "herodemo.smoke.test".into(),
                port: 8443,
                tls: true
            })
        );
        let v6 = Origin::of(&endpoint("[::1]:80", "http://[::1]/hero_os/ui/")).unwrap();
        assert_eq!((v6.host.as_str(), v6.port, v6.tls), ("[::1]", 80, false));
        assert_eq!(Origin::of(&endpoint("/run/x.sock", "/run/x.sock/")), None);
    }

    #[test]
    fn nothing_pinned_is_no_flag() {
        assert_eq!(flags("herodemo.smoke.test", &Pin::default()), Ok(vec![]));
    }

    #[test]
    fn only_the_pages_host_is_mapped_v6_in_brackets() {
        let pin = |ip: &str| Pin {
            address: Some(ip.parse().unwrap()),
            key_sha256: None,
        };
        assert_eq!(
            flags("HeroDemo.smoke.test", &pin("10.0.0.7")).unwrap(),
            ["--host-resolver-rules=MAP herodemo.smoke.test 10.0.0.7"]
        );
        assert_eq!(
            flags("herodemo.smoke.test", &pin("2001:db8::7")).unwrap(),
            ["--host-resolver-rules=MAP herodemo.smoke.test [2001:db8::7]"]
        );
    }

    #[test]
    fn a_host_that_would_say_another_rule_is_refused() {
        let pin = Pin {
            address: Some("10.0.0.7".parse().unwrap()),
            key_sha256: None,
        };
        for host in ["a.test,MAP * 6.6.6.6", "*.test", "a test", "", "a\u{1b}[2J"] {
            let failure = flags(host, &pin).unwrap_err();
            assert_eq!(failure.cause, Cause::Checker, "{host:?}");
            assert!(!failure.detail.contains('\u{1b}'), "{}", failure.detail);
        }
    }

    /// The key as `openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst
    /// -sha256 -binary | base64` says it, the form Chromium's documentation gives.
    #[test]
    fn the_verified_key_is_its_sha256_in_base64() {
        let hex = "9a3562988a26818a1b80dde3e6c198573138ab7379f3386ffa01993e7a2ac287";
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        let pin = Pin {
            address: None,
            key_sha256: Some(key),
        };
        assert_eq!(
            flags("herodemo.smoke.test", &pin).unwrap(),
            ["--ignore-certificate-errors-spki-list=mjVimIomgYobgN3j5sGYVzE4q3N58zhv+gGZPnoqwoc="]
        );
    }

    #[test]
    fn the_browsers_errors_keep_smokes_causes() {
        for (error, cause) in [
            ("net::ERR_CERT_AUTHORITY_INVALID", Cause::Tls),
            ("net::ERR_CERT_COMMON_NAME_INVALID", Cause::Tls),
            ("net::ERR_SSL_PROTOCOL_ERROR", Cause::Tls),
            ("net::ERR_BAD_SSL_CLIENT_AUTH_CERT", Cause::Tls),
            ("net::ERR_NAME_NOT_RESOLVED", Cause::Dns),
            ("net::ERR_CONNECTION_REFUSED", Cause::Connect),
            ("net::ERR_ADDRESS_UNREACHABLE", Cause::Connect),
            ("CERT_ but not Chromium's", Cause::Connect),
        ] {
            assert_eq!(cause_of(error), cause, "{error}");
        }
    }

    #[test]
    fn base64_pads_as_rfc_4648_says() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
        assert_eq!(base64(&[0xff, 0xfe]), "//4=");
    }
}
