//! The one HTTP listener smoke runs, for `watch --listen` and for `relay`: whoever connects can
//! hold no more than a bounded share of the process. Headers within [`HEADER_READ_TIMEOUT`] (also
//! the idle limit between requests), a connection for [`CONNECTION_LIFETIME`] at most, and a
//! fixed number of connections at once, so the ticks always keep file descriptors of their own.
//! What each serves is its own router (`cli::serve`, `relay`).

use axum::Router;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// A client must send a request's whole header within this, from the moment the connection
/// (or the previous response) is ready for it: a silent, a half-sent or an idle keep-alive
/// connection is closed after it.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Whatever it does, a connection is closed after this (a client that never reads its
/// response included); a scraper just connects again.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);
/// Connections served at once; past it a new one is closed at once. Never more than a quarter
/// of the open-files limit, so the listener cannot starve the ticks of descriptors.
pub const MAX_CONNECTIONS: usize = 64;
/// After a failed accept (out of descriptors), a pause before the next, not a busy loop.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until the process ends, within the limits above.
pub async fn serve(listener: TcpListener, app: Router) {
    let limit = connection_limit();
    let slots = Arc::new(tokio::sync::Semaphore::new(limit));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let service = hyper_util::service::TowerToHyperService::new(app);
    let mut last_complaint: Option<Instant> = None;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Said once a minute at most: the loop goes on, and so do the ticks.
                if last_complaint.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                    eprintln!("smoke: the status server cannot accept a connection: {e}");
                    last_complaint = Some(Instant::now());
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let conn = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service.clone());
        tokio::spawn(async move {
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, conn).await;
            drop(slot);
        });
    }
}

/// [`MAX_CONNECTIONS`], or a quarter of the open-files limit when that is lower.
fn connection_limit() -> usize {
    let quarter = open_files_limit().map_or(MAX_CONNECTIONS, |n| (n / 4) as usize);
    quarter.clamp(1, MAX_CONNECTIONS)
}

fn open_files_limit() -> Option<libc::rlim_t> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0).then_some(lim.rlim_cur)
}

/// Raises the soft open-files limit to the hard one: a loop keeps sockets to every service,
/// its files and its listener open at once, and the default soft limit (often 1024, or less
/// under a supervisor) is no reason for a tick to fail.
pub fn raise_open_files_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read or write the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}
