//! Gitea/Forgejo API v1: one issue per incident. Found again by its label and a hidden marker
//! in its body (never by title); reminders and cause changes are comments; resolving comments
//! with the duration and closes it.

use super::http::{send, unreadable};
use super::issue::{comment_text, opened_body, read_marker, title, words};
use super::setup::{base_url, keys_as, need, Setup, SinkConfig, SinkType};
use super::{OpenIncident, SetupError, Sink, SinkError};
use crate::secret::Secret;
use serde_json::json;
use smoke_core::engine::{Event, EventKind};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::Mutex;

pub struct Forge {
    pub name: String,
    pub client: reqwest::Client,
    /// `https://forge.example`.
    pub url: String,
    /// `owner/name`.
    pub repo: String,
    /// Never printed.
    pub token: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub panel: String,
    pub mode: String,
    /// Label ids by name, looked up (and made) once.
    pub label_ids: Mutex<Option<Vec<i64>>>,
    /// The web page of each issue this process opened (`html_url`), by number: the status
    /// page links it.
    pub pages: std::sync::Mutex<HashMap<u64, String>>,
}

impl Forge {
    fn api(&self, path: &str) -> String {
        format!("{}/api/v1/repos/{}{path}", self.url, self.repo)
    }

    fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.header("Authorization", format!("token {}", self.token))
            .header("Accept", "application/json")
    }

    /// Label ids for the configured names; labels that don't exist yet are made.
    async fn label_ids(&self) -> Result<Vec<i64>, SinkError> {
        let mut cached = self.label_ids.lock().await;
        if let Some(ids) = cached.as_ref() {
            return Ok(ids.clone());
        }
        let mut known: BTreeMap<String, i64> = BTreeMap::new();
        for page in 1.. {
            let req = self.auth(
                self.client
                    .get(self.api("/labels"))
                    .query(&[("page", page), ("limit", 50)]),
            );
            let list: Vec<serde_json::Value> = send("listing the forge's labels", req)
                .await?
                .json()
                .await
                .map_err(|e| unreadable("the forge's labels", e, true))?;
            if list.is_empty() {
                break;
            }
            for l in &list {
                if let (Some(n), Some(id)) = (l["name"].as_str(), l["id"].as_i64()) {
                    known.insert(n.to_string(), id);
                }
            }
            if list.len() < 50 {
                break;
            }
        }
        let mut ids = Vec::new();
        for name in &self.labels {
            let id = match known.get(name) {
                Some(id) => *id,
                None => {
                    let body = json!({"name": name, "color": "#e11d48", "description": "an incident opened by smoke"});
                    let req = self.auth(self.client.post(self.api("/labels")).json(&body));
                    let made: serde_json::Value =
                        send(&format!("making the forge label {name}"), req)
                            .await?
                            .json()
                            .await
                            .map_err(|e| unreadable(&format!("the new label {name}"), e, false))?;
                    made["id"].as_i64().ok_or_else(|| {
                        SinkError::MaybeDelivered("the forge made a label without an id".into())
                    })?
                }
            };
            ids.push(id);
        }
        *cached = Some(ids.clone());
        Ok(ids)
    }

    /// Every open issue carrying the first label, each page, as (number, probe, incident).
    async fn open_issues(&self) -> Result<Vec<(u64, String, String)>, SinkError> {
        let label = self.labels.first().cloned().unwrap_or_default();
        let mut out = Vec::new();
        for page in 1.. {
            let mut query: Vec<(&str, String)> = vec![
                ("state", "open".into()),
                ("type", "issues".into()),
                ("page", page.to_string()),
                ("limit", "50".into()),
            ];
            if !label.is_empty() {
                query.push(("labels", label.clone()));
            }
            let req = self.auth(self.client.get(self.api("/issues")).query(&query));
            let list: Vec<serde_json::Value> = send("listing the forge's open issues", req)
                .await?
                .json()
                .await
                .map_err(|e| unreadable("the forge's issues", e, true))?;
            for issue in &list {
                let body = issue["body"].as_str().unwrap_or("");
                if let (Some(n), Some((probe, incident))) = (
                    issue["number"].as_u64(),
                    read_marker(body, &self.panel, &self.mode),
                ) {
                    out.push((n, probe, incident));
                }
            }
            if list.len() < 50 {
                break;
            }
        }
        Ok(out)
    }

    async fn comment(&self, number: u64, body: &str) -> Result<(), SinkError> {
        let req = self.auth(
            self.client
                .post(self.api(&format!("/issues/{number}/comments")))
                .json(&json!({"body": body})),
        );
        send(&format!("commenting on forge issue #{number}"), req)
            .await
            .map(|_| ())
    }

    /// The issue's state, `None` when it no longer exists.
    async fn issue_state(&self, number: u64) -> Result<Option<String>, SinkError> {
        let what = format!("reading forge issue #{number}");
        let resp = self
            .auth(self.client.get(self.api(&format!("/issues/{number}"))))
            .send()
            .await
            .map_err(|e| super::http::failed(&what, e, true))?;
        match resp.status() {
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            s if !s.is_success() => Err(SinkError::of_status(
                s.as_u16(),
                true,
                format!("{what}: HTTP {s}"),
            )),
            _ => {
                let issue: serde_json::Value =
                    resp.json().await.map_err(|e| unreadable(&what, e, true))?;
                Ok(issue["state"].as_str().map(str::to_string))
            }
        }
    }

    /// Opens the incident's issue and keeps its number.
    async fn open_issue(
        &self,
        e: &Event,
        handles: &mut BTreeMap<String, u64>,
    ) -> Result<u64, SinkError> {
        let mut body =
            json!({"title": title(e), "body": opened_body(e), "labels": self.label_ids().await?});
        if !self.assignees.is_empty() {
            body["assignees"] = json!(self.assignees);
        }
        let req = self.auth(self.client.post(self.api("/issues")).json(&body));
        let made: serde_json::Value = send("opening a forge issue", req)
            .await?
            .json()
            .await
            .map_err(|e| unreadable("the new forge issue", e, false))?;
        let n = made["number"].as_u64().ok_or_else(|| {
            SinkError::MaybeDelivered("the forge made an issue without a number".into())
        })?;
        if let Some(page) = made["html_url"].as_str().filter(|u| web_link(u)) {
            self.pages
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(n, page.to_string());
        }
        handles.insert(e.incident.clone(), n);
        if let Some(path) = &e.evidence {
            // The issue is open whatever becomes of its screenshot: a lost one is said, and
            // the incident is not told twice for it.
            if let Err(why) = self.attach(n, std::path::Path::new(path)).await {
                smoke_core::say!("{}: {why}", self.name);
            }
        }
        Ok(n)
    }

    /// Attaches the failing page's screenshot to the issue it opened: once per incident, as a
    /// reminder or a cause change carries none.
    async fn attach(&self, number: u64, path: &std::path::Path) -> Result<(), SinkError> {
        let what = format!("attaching the screenshot to forge issue #{number}");
        let lost = |why: String| SinkError::Refused(format!("{what}: {why}"));
        let name = path
            .to_str()
            .and_then(crate::evidence::named)
            .ok_or_else(|| lost("not a screenshot smoke kept".into()))?
            .to_string();
        let png =
            crate::evidence::read(path).map_err(|e| lost(format!("{}: {e}", path.display())))?;
        let part = reqwest::multipart::Part::bytes(png)
            .file_name(name)
            .mime_str("image/png")
            .map_err(|e| lost(e.to_string()))?;
        let form = reqwest::multipart::Form::new().part("attachment", part);
        let req = self.auth(
            self.client
                .post(self.api(&format!("/issues/{number}/assets")))
                .multipart(form),
        );
        send(&what, req).await.map(|_| ())
    }

    /// Writes the issue's body anew: the probes it covers changed.
    async fn edit_body(&self, number: u64, e: &Event) -> Result<(), SinkError> {
        let req = self.auth(
            self.client
                .patch(self.api(&format!("/issues/{number}")))
                .json(&json!({"body": opened_body(e)})),
        );
        send(&format!("editing forge issue #{number}"), req)
            .await
            .map(|_| ())
    }

    async fn set_state(&self, number: u64, state: &str) -> Result<(), SinkError> {
        let req = self.auth(
            self.client
                .patch(self.api(&format!("/issues/{number}")))
                .json(&json!({"state": state})),
        );
        send(&format!("setting forge issue #{number} {state}"), req)
            .await
            .map(|_| ())
    }
}

#[async_trait::async_trait]
impl Sink for Forge {
    fn name(&self) -> &str {
        &self.name
    }

    async fn reconcile(
        &self,
        open: &[OpenIncident],
        pending: &[String],
        handles: &mut BTreeMap<String, u64>,
    ) -> Result<(), SinkError> {
        let issues = self.open_issues().await?;
        // Sets, not scans: a reconcile over thousands of incidents and issues stays linear.
        let open_ids: HashSet<&str> = open.iter().map(|o| o.id.as_str()).collect();
        let pending: HashSet<&str> = pending.iter().map(String::as_str).collect();
        let listed: HashSet<u64> = issues.iter().map(|(n, _, _)| *n).collect();
        let mut by_probe: HashMap<&str, u64> = HashMap::new();
        for (n, probe, _) in &issues {
            by_probe.entry(probe.as_str()).or_insert(*n);
        }
        // An issue made for an incident we still know of, before a crash kept its number from
        // the state: adopted by the incident its marker names.
        for (n, _, id) in &issues {
            let known = open_ids.contains(id.as_str()) || pending.contains(id.as_str());
            if known && !handles.contains_key(id) {
                handles.insert(id.clone(), *n);
            }
        }
        for incident in open {
            match handles.get(&incident.id) {
                // Ours and still open: nothing to do.
                Some(n) if listed.contains(n) => {}
                // Not in the list: closed by a person while the probe still fails (open it
                // again), deleted (forget it: the next event opens a new one), or only stripped
                // of its label (leave it be).
                Some(&n) => match self.issue_state(n).await? {
                    None => {
                        handles.remove(&incident.id);
                    }
                    Some(state) if state == "closed" => {
                        self.set_state(n, "open").await?;
                        self.comment(
                            n,
                            &format!(
                                "Reopened by smoke: {} is still failing: {}",
                                words(&incident.probe),
                                words(&incident.summary)
                            ),
                        )
                        .await?;
                    }
                    Some(_) => {}
                },
                // An open issue of this probe from a state we no longer have: carry on in it.
                None => {
                    if let Some(n) = by_probe.get(incident.probe.as_str()) {
                        handles.insert(incident.id.clone(), *n);
                    }
                }
            }
        }
        let open_probes: HashSet<&str> = open.iter().map(|o| o.probe.as_str()).collect();
        let owed_numbers: HashSet<u64> = handles
            .iter()
            .filter(|(i, _)| pending.contains(i.as_str()))
            .map(|(_, n)| *n)
            .collect();
        for (n, probe, id) in &issues {
            let open_here = open_probes.contains(probe.as_str());
            let owed = pending.contains(id.as_str()) || owed_numbers.contains(n);
            if !open_here && !owed {
                self.comment(
                    *n,
                    &format!(
                        "Resolved: {} passes again (smoke found this issue still open)",
                        words(probe)
                    ),
                )
                .await?;
                self.set_state(*n, "closed").await?;
            }
        }
        Ok(())
    }

    fn link(&self, handle: u64) -> Option<String> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        Some(match pages.get(&handle) {
            Some(page) => page.clone(),
            None => issue_page(&self.url, &self.repo, handle),
        })
    }

    async fn deliver(
        &self,
        e: &Event,
        handles: &mut BTreeMap<String, u64>,
    ) -> Result<(), SinkError> {
        let issue = handles.get(&e.incident).copied();
        match (e.event, issue) {
            (EventKind::Opened, Some(_)) => Ok(()),
            (EventKind::Opened, None) => self.open_issue(e, handles).await.map(|_| ()),
            // Nothing to close: the incident never got an issue (it opened while quiet, or
            // before this sink was in the panel).
            (EventKind::Resolved, None) => Ok(()),
            // Still failing and no issue yet (or it was deleted): it gets one now.
            (_, None) => {
                let n = self.open_issue(e, handles).await?;
                self.comment(n, &comment_text(e)).await
            }
            (EventKind::Resolved, Some(n)) => {
                self.comment(n, &comment_text(e)).await?;
                self.set_state(n, "closed").await?;
                handles.remove(&e.incident);
                Ok(())
            }
            (EventKind::Affected, Some(n)) => self.edit_body(n, e).await,
            (_, Some(n)) => self.comment(n, &comment_text(e)).await,
        }
    }
}

pub(super) const TYPE: SinkType = SinkType {
    name: "forge",
    keys: &[
        "url",
        "repo",
        "token_env",
        "token_file",
        "labels",
        "assignees",
    ],
    read,
};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    url: Option<String>,
    repo: Option<String>,
    token_env: Option<String>,
    token_file: Option<String>,
    labels: Option<Vec<String>>,
    assignees: Option<Vec<String>>,
}

/// `type = "forge"`: a Gitea/Forgejo repository, one issue per incident.
#[derive(Debug)]
pub struct Config {
    /// `https://forge.example`.
    pub url: String,
    /// `owner/name`.
    pub repo: String,
    pub token: Secret,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
}

/// A `repo` that is not `owner/name`.
#[derive(Debug, thiserror::Error)]
#[error("repo `{0}` must be owner/name")]
struct RepoShape(String);

fn read(table: toml::Table) -> Result<Box<dyn SinkConfig>, SetupError> {
    let k: Keys = keys_as(table)?;
    let repo = need(k.repo, "forge", "repo")?;
    let ok = repo
        .split_once('/')
        .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'));
    if !ok {
        return Err(SetupError::sink(RepoShape(repo)));
    }
    Ok(Box::new(Config {
        url: base_url(need(k.url, "forge", "url")?)?,
        repo,
        token: Secret::named(&k.token_env, &k.token_file, "token")?,
        labels: k.labels.unwrap_or_else(|| vec!["smoke".to_string()]),
        assignees: k.assignees.unwrap_or_default(),
    }))
}

impl SinkConfig for Config {
    fn sink(&self, name: &str, setup: &Setup) -> Result<Arc<dyn Sink>, SetupError> {
        Ok(Arc::new(Forge {
            name: name.to_string(),
            client: setup.client(),
            url: self.url.clone(),
            repo: self.repo.clone(),
            token: self.token.read()?,
            labels: self.labels.clone(),
            assignees: self.assignees.clone(),
            panel: setup.panel.clone(),
            mode: setup.mode.as_str().to_string(),
            label_ids: Mutex::new(None),
            pages: Default::default(),
        }))
    }

    fn link(&self, handle: u64) -> Option<String> {
        Some(issue_page(&self.url, &self.repo, handle))
    }
}

/// An issue's web page when the forge did not say (an issue adopted after a crash).
fn issue_page(url: &str, repo: &str, number: u64) -> String {
    format!("{url}/{repo}/issues/{number}")
}

/// Only a web address may become a link on a page: a `javascript:` URL from a hostile or
/// broken forge must not become a clickable script.
fn web_link(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://")) && url.len() <= MAX_LINK
}

/// The longest issue address kept: a forge's answer is bounded like any other.
const MAX_LINK: usize = 2048;
