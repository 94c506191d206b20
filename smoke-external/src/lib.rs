//! smoke's outside view: what stands between users and the VM. HTTP probes go through
//! `<base_url>/<service>/<socket>/...` as the gateway routes them; DNS is asked of the resolvers
//! the panel names (not the OS); the TLS certificate is checked and, when it is wrong, named
//! ("expired 2 days ago", "for other.example, not herodemo...").

mod cert;
mod connector;
mod dns;
mod error;
mod pin;
mod side;
mod tls;

pub use connector::{BaseUrl, HttpsConnector};
pub use dns::Dns;
pub use error::SetupError;
pub use side::{side, ExternalSide};
pub use tls::Tls;
