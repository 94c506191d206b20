//! `target = "<service>/<socket>"`: one name for a socket that both sides resolve the way the
//! gateway routes.

use std::fmt;
use std::path::{Path, PathBuf};

/// Stands for the service name in a `for_each = "service"` probe.
pub const SERVICE_PLACEHOLDER: &str = "{service}";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub service: String,
    /// `rpc`, `admin`, `ui`, or a web front end (`web_<name>`).
    pub socket: String,
}

impl Target {
    pub fn parse(text: &str) -> Result<Target, String> {
        let (service, socket) = text.split_once('/').ok_or_else(|| {
            format!("target `{text}` must be <service>/<socket>, like hero_osis_business/rpc")
        })?;
        for (what, part) in [("service", service), ("socket", socket)] {
            if part.is_empty() {
                return Err(format!("target `{text}` has an empty {what}"));
            }
            if part == ".."
                || part == "."
                || part.contains(['/', '\\'])
                || part.chars().any(char::is_whitespace)
            {
                return Err(format!(
                    "target `{text}`: the {what} `{part}` must be a plain name (no `/`, `..` or spaces)"
                ));
            }
        }
        Ok(Target {
            service: service.to_string(),
            socket: socket.trim_end_matches(".sock").to_string(),
        })
    }

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

    /// `/<service>/<socket>`: the gateway prefix that reaches this socket.
    pub fn gateway_prefix(&self) -> String {
        format!("/{}/{}", self.service, self.socket)
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
        assert_eq!(t.gateway_prefix(), "/hero_osis_business/rpc");
        assert_eq!(Target::parse("hero_os/ui.sock").unwrap().socket, "ui");
    }

    #[test]
    fn a_target_never_climbs_out_of_the_socket_folder() {
        assert!(Target::parse("hero_os").is_err());
        assert!(Target::parse("../etc/rpc").is_err());
        assert!(Target::parse("hero os/rpc").is_err());
        assert!(Target::parse("hero_os/").is_err());
    }
}
