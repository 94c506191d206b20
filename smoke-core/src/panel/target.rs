//! `target = "<service>/<socket>"`: one name for a socket that both sides resolve the way the
//! gateway routes.

use std::fmt;
use std::path::{Path, PathBuf};

/// Stands for the service name in a `for_each = "service"` probe.
pub const SERVICE_PLACEHOLDER: &str = "{service}";

/// The hero naming of a service, in words, for the operator told a name was skipped.
pub const SERVICE_NAME_RULE: &str = "[A-Za-z0-9][A-Za-z0-9_.-]*, at most 128 chars, without `..`";

/// Whether `name` is a service name by the hero naming ([`SERVICE_NAME_RULE`]). Names found at
/// run time (a socket folder, the supervisor's `service.list`) are held to it before they are
/// probed, restarted or put in a URL: anything else could be an option to a restart command
/// (`--help`), a shell word, a path, a URL part or a terminal escape.
pub fn is_service_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= super::limits::MAX_NAME_CHARS
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !name.contains("..")
}

/// What a URL path segment may hold as it is; the rest is percent-encoded. Service names are
/// already only these, so encoding them is a second guard, not a change.
#[cfg(feature = "http")]
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// A service's socket: `<service>/<socket>`, like `hero_osis_business/rpc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The service's name; `{service}` in a `for_each` template.
    pub service: String,
    /// `rpc`, `admin`, `ui`, or a web front end (`web_<name>`).
    pub(crate) socket: String,
}

/// Why a target is not `<service>/<socket>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// No `/` between service and socket.
    #[error("target `{0}` must be <service>/<socket>, like hero_osis_business/rpc")]
    NoSocket(String),
    /// The service or the socket is empty.
    #[error("target `{target}` has an empty {what}")]
    Empty {
        /// The target as written.
        target: String,
        /// `service` or `socket`.
        what: &'static str,
    },
    /// The service or the socket is not a plain name.
    #[error(
        "target `{target}`: the {what} `{part}` must be a plain name (no `/`, `..` or spaces)"
    )]
    NotPlain {
        /// The target as written.
        target: String,
        /// `service` or `socket`.
        what: &'static str,
        /// The part that is not plain.
        part: String,
    },
}

impl Target {
    /// Reads `<service>/<socket>`; a `.sock` at the end is dropped.
    pub fn parse(text: &str) -> Result<Target, TargetError> {
        let (service, socket) = text
            .split_once('/')
            .ok_or_else(|| TargetError::NoSocket(text.to_string()))?;
        for (what, part) in [("service", service), ("socket", socket)] {
            if part.is_empty() {
                return Err(TargetError::Empty {
                    target: text.to_string(),
                    what,
                });
            }
            if part == ".."
                || part == "."
                || part.contains(['/', '\\'])
                || part.chars().any(char::is_whitespace)
            {
                return Err(TargetError::NotPlain {
                    target: text.to_string(),
                    what,
                    part: part.to_string(),
                });
            }
        }
        Ok(Target {
            service: service.to_string(),
            socket: socket.trim_end_matches(".sock").to_string(),
        })
    }

    /// The target with `{service}` filled in.
    pub fn for_service(&self, service: &str) -> Target {
        Target {
            service: self.service.replace(SERVICE_PLACEHOLDER, service),
            socket: self.socket.replace(SERVICE_PLACEHOLDER, service),
        }
    }

    /// `<socket_dir>/<service>/<socket>.sock`: the one place a socket path is built.
    pub fn socket_path(&self, socket_dir: &Path) -> PathBuf {
        socket_dir
            .join(&self.service)
            .join(format!("{}.sock", self.socket))
    }

    /// `/<service>/<socket>`: the gateway prefix that reaches this socket, each part
    /// percent-encoded.
    #[cfg(feature = "http")]
    pub fn gateway_prefix(&self) -> String {
        let segment = |s: &str| percent_encoding::utf8_percent_encode(s, PATH_SEGMENT).to_string();
        format!("/{}/{}", segment(&self.service), segment(&self.socket))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.service, self.socket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_resolves_like_the_gateway_routes() {
        let t = Target::parse("hero_osis_business/rpc").unwrap();
        assert_eq!(
            t.socket_path(Path::new("/s")),
            PathBuf::from("/s/hero_osis_business/rpc.sock")
        );
        #[cfg(feature = "http")]
        assert_eq!(t.gateway_prefix(), "/hero_osis_business/rpc");
        assert_eq!(Target::parse("hero_os/ui.sock").unwrap().socket, "ui");
    }

    #[test]
    fn only_hero_names_are_service_names() {
        for good in ["hero_foundry", "a", "9.x-y_z", "hero_os.v2"] {
            assert!(is_service_name(good), "{good:?}");
        }
        for bad in [
            "",
            "--help",
            "-rf",
            "*",
            ";ls",
            "`id`",
            "a|b",
            "a..b",
            "..",
            ".x",
            "_x",
            "a/b",
            "a b",
            "a\u{202e}b",
            "a#frag",
            "a?b=c",
            "x\u{1b}[2J",
            "é",
        ] {
            assert!(!is_service_name(bad), "{bad:?}");
        }
        assert!(is_service_name(&"a".repeat(128)));
        assert!(
            !is_service_name(&"a".repeat(129)),
            "a name is at most 128 chars"
        );
    }

    #[test]
    #[cfg(feature = "http")]
    fn a_gateway_prefix_is_percent_encoded() {
        let t = Target {
            service: "a#frag".into(),
            socket: "b?c=d".into(),
        };
        assert_eq!(t.gateway_prefix(), "/a%23frag/b%3Fc%3Dd");
    }

    #[test]
    fn a_target_never_climbs_out_of_the_socket_folder() {
        assert!(Target::parse("hero_os").is_err());
        assert!(Target::parse("../etc/rpc").is_err());
        assert!(Target::parse("hero os/rpc").is_err());
        assert!(Target::parse("hero_os/").is_err());
    }
}
