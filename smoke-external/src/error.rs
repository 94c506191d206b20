//! Why the outside view cannot be set up for a panel: each is one line naming the setting.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// `[external] base_url` is not a URL smoke can use.
    #[error("base_url `{url}`: {why}")]
    BaseUrl { url: String, why: &'static str },
    /// The panel has HTTP probes for the outside and no base URL to send them to.
    #[error("{}: no [external] base_url for the HTTP probes: set it in the panel or give --set external.base_url=https://...", .panel.display())]
    NoBaseUrl { panel: PathBuf },
    /// A resolver of `[external] resolvers` that is neither `system` nor `ip[:port]`.
    #[error("resolver `{0}` is not \"system\" or ip[:port]")]
    Resolver(String),
    #[error("cannot read the system's DNS settings: {0}")]
    SystemDns(String),
    #[error("cannot set up the DNS resolver: {0}")]
    DnsSetup(String),
    /// `[external] ca_file` cannot be read as PEM.
    #[error("ca_file {}: {why}", .path.display())]
    CaFile { path: PathBuf, why: String },
    #[error("ca_file {}: no usable certificate in it", .path.display())]
    CaFileEmpty { path: PathBuf },
    #[error("cannot set up certificate verification: {0}")]
    Verifier(String),
}
