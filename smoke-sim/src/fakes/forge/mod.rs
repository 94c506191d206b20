//! A fake Forgejo (Gitea API v1) holding one repository, serving the part of the API an
//! alerting client uses (labels, issues, comments, attachments) and holding every request to
//! the published API description.

mod form;
mod page;
mod render;
mod routes;
mod schema;
mod spec;
mod store;
mod url;

use std::io;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::lock;
use super::server::{self, Server};
use store::Store;

/// An issue as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeIssue {
    pub number: u64,
    pub title: String,
    pub body: String,
    /// `"open"` or `"closed"`.
    pub state: String,
    /// Label names, in the order they were put on the issue.
    pub labels: Vec<String>,
    /// Comment bodies, oldest first.
    pub comments: Vec<String>,
    /// Files attached to the issue itself (`POST .../issues/{index}/assets`), in order of
    /// upload.
    pub attachments: Vec<FakeAttachment>,
}

/// A file attached to an issue, as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeAttachment {
    /// What Forgejo calls it: the upload's `name` query parameter if given, else its file name.
    pub name: String,
    /// The `filename` of the uploaded part, as sent.
    pub filename: String,
    /// The `Content-Type` of the uploaded part, if it had one.
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
    /// As in the answer's `uuid` and at the end of its `browser_download_url`.
    pub uuid: String,
}

/// A Forgejo instance on a loopback port with one repository. Dropping it stops the server.
///
/// Every request must carry `Authorization: token <token>` (else 401) and must fit the
/// Forgejo API description (path and method, query parameters, JSON or multipart form body);
/// one that doesn't gets 422 and is kept in [`FakeForge::violations`]. A body over 8 MiB is
/// refused with 413, as Forgejo refuses an upload over quota, and is not a violation.
pub struct FakeForge {
    state: Arc<State>,
    _server: Server,
}

/// What the fake and its request handler share.
struct State {
    token: String,
    owner: String,
    repo: String,
    /// `http://127.0.0.1:<port>`, the instance's `ROOT_URL` without the trailing slash.
    base: String,
    down: AtomicBool,
    latency: Mutex<Duration>,
    store: Mutex<Store>,
    requests: Mutex<Vec<String>>,
    violations: Mutex<Vec<String>>,
}

impl FakeForge {
    /// Starts the fake with `owner_repo` (`"owner/repo"`) as its only repository, empty.
    pub async fn start(token: &str, owner_repo: &str) -> io::Result<FakeForge> {
        let (owner, repo) = owner_repo
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{owner_repo}` is not owner/repo"),
                )
            })?;
        let (listener, addr) = server::listen().await?;
        let state = Arc::new(State {
            token: token.to_owned(),
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            base: format!("http://{addr}"),
            down: AtomicBool::new(false),
            latency: Mutex::new(Duration::ZERO),
            store: Mutex::new(Store::default()),
            requests: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
        });
        let server = server::spawn(listener, state.clone());
        Ok(FakeForge {
            state,
            _server: server,
        })
    }

    /// `http://127.0.0.1:<port>`; the API is under `/api/v1`.
    pub fn url(&self) -> String {
        self.state.base.clone()
    }

    /// While down, every request is answered 503 (and is not a violation).
    pub fn set_down(&self, down: bool) {
        self.state
            .down
            .store(down, std::sync::atomic::Ordering::SeqCst);
    }

    /// Delays every answer by `latency` (zero for none), to exercise client timeouts.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.state.latency) = latency;
    }

    /// Closes an issue the way a person would in the web UI, behind the client's back.
    ///
    /// # Panics
    /// If there is no issue `number`: the test is wrong, not the client.
    pub fn close_by_hand(&self, number: u64) {
        let mut store = lock(&self.state.store);
        let closed = i64::try_from(number)
            .ok()
            .and_then(|n| store.edit_issue(n, None, None, Some(true)));
        assert!(
            closed.is_some(),
            "FakeForge has no issue #{number} to close"
        );
    }

    /// Every issue, by number.
    pub fn issues(&self) -> Vec<FakeIssue> {
        let store = lock(&self.state.store);
        store
            .issues()
            .iter()
            .map(|issue| FakeIssue {
                number: issue.number.unsigned_abs(),
                title: issue.title.clone(),
                body: issue.body.clone(),
                state: if issue.is_closed() { "closed" } else { "open" }.to_owned(),
                labels: issue
                    .label_ids
                    .iter()
                    .filter_map(|id| store.label(*id))
                    .map(|l| l.name.clone())
                    .collect(),
                comments: issue.comments.iter().map(|c| c.body.clone()).collect(),
                attachments: issue
                    .attachments
                    .iter()
                    .map(|a| FakeAttachment {
                        name: a.name.clone(),
                        filename: a.filename.clone(),
                        content_type: a.content_type.clone(),
                        bytes: a.bytes.clone(),
                        uuid: a.uuid.clone(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The repository's label names in the order they were created (duplicates included).
    pub fn labels(&self) -> Vec<String> {
        let store = lock(&self.state.store);
        store.labels().iter().map(|l| l.name.clone()).collect()
    }

    /// Every request received, as `"POST /api/v1/repos/o/r/issues"` (no query string), in
    /// order of arrival, including refused ones.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.state.requests).clone()
    }

    /// The requests that broke the API description, each with the reason.
    pub fn violations(&self) -> Vec<String> {
        lock(&self.state.violations).clone()
    }
}

#[cfg(test)]
mod tests;
