//! smoke's inside view: each probe goes straight to `<socket_dir>/<service>/<socket>.sock`, so a
//! failure names the service, not just "the demo".

mod connector;
mod discovery;

pub use connector::UnixConnector;
pub use discovery::scan_services;
