//! Answering one request: the switches (down, latency), authentication, the spec check, then
//! the operation itself; and refusing a body too big to read.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;

use super::form::FormPart;
use super::page::Page;
use super::render::{self, Site};
use super::spec::{spec, Call};
use super::store::{normalize_color, Filter, NewAttachment, NewIssue, Store};
use super::{lock, url, State};
use crate::fakes::server::{self, Handler, Reply};

const JSON: &str = "application/json;charset=utf-8";

/// The largest request body the fake takes, far above any alert's screenshot; a bigger one is
/// refused as Forgejo refuses an upload over its quota (413), not held as a violation.
pub(super) const MAX_BODY: usize = 8 << 20;

impl Handler for State {
    const BODY_LIMIT: usize = MAX_BODY;

    async fn handle(&self, parts: Parts, body: Bytes) -> Reply {
        let path = parts.uri.path();
        lock(&self.requests).push(format!("{} {path}", parts.method));
        let latency = *lock(&self.latency);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(refused) = self.refusal(&parts.headers) {
            return refused;
        }
        let query = url::parse_query(parts.uri.query().unwrap_or(""));
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        match spec().check(parts.method.as_str(), path, &query, content_type, &body) {
            Ok(call) => self.dispatch(path, &query, call),
            Err(reason) => {
                let reason = reason.to_string();
                lock(&self.violations).push(format!("{} {path}: {reason}", parts.method));
                self.error(StatusCode::UNPROCESSABLE_ENTITY, &reason)
            }
        }
    }

    fn too_large(&self, parts: &Parts) -> Reply {
        lock(&self.requests).push(format!("{} {}", parts.method, parts.uri.path()));
        if let Some(refused) = self.refusal(&parts.headers) {
            return refused;
        }
        json(
            StatusCode::PAYLOAD_TOO_LARGE,
            &render::quota_exceeded(&self.site()),
        )
    }
}

impl State {
    /// Down, then authentication: what Forgejo answers before it looks at the request.
    fn refusal(&self, headers: &HeaderMap) -> Option<Reply> {
        if self.down.load(Ordering::SeqCst) {
            return Some(self.error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Forgejo is down (FakeForge::set_down)",
            ));
        }
        let message = self.authorize(headers).err()?;
        Some(self.error(StatusCode::UNAUTHORIZED, message))
    }

    fn authorize(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or("token is required (Authorization: token <token>)")?;
        let value = value
            .to_str()
            .map_err(|_| "malformed Authorization header")?;
        let (scheme, token) = value
            .split_once(' ')
            .ok_or("malformed Authorization header")?;
        if !scheme.eq_ignore_ascii_case("token") {
            return Err("the Authorization scheme must be `token`");
        }
        if token.trim() != self.token {
            return Err("invalid token");
        }
        Ok(())
    }

    fn site(&self) -> Site<'_> {
        Site {
            base: &self.base,
            owner: &self.owner,
            repo: &self.repo,
        }
    }

    fn dispatch(&self, path: &str, query: &[(String, String)], call: Call) -> Reply {
        const OURS: [&str; 10] = [
            "issueListLabels",
            "issueCreateLabel",
            "issueListIssues",
            "issueCreateIssue",
            "issueGetIssue",
            "issueEditIssue",
            "issueGetComments",
            "issueCreateComment",
            "issueAddLabel",
            "issueCreateIssueAttachment",
        ];
        if !OURS.contains(&call.operation) {
            let message = format!("FakeForge does not implement {}", call.operation);
            return self.error(StatusCode::NOT_IMPLEMENTED, &message);
        }
        let param = |name: &str| call.path_params.get(name).map(String::as_str).unwrap_or("");
        // Forgejo matches owner and repository names without regard to case.
        if !param("owner").eq_ignore_ascii_case(&self.owner)
            || !param("repo").eq_ignore_ascii_case(&self.repo)
        {
            return self.not_found();
        }
        let index = param("index").parse::<i64>().unwrap_or(0);
        let body = call.body.unwrap_or(Value::Null);
        let mut store = lock(&self.store);
        match call.operation {
            "issueListLabels" => self.list_labels(&store, query),
            "issueCreateLabel" => self.create_label(&mut store, &body),
            "issueListIssues" => self.list_issues(&store, path, query),
            "issueCreateIssue" => self.create_issue(&mut store, &body),
            "issueGetIssue" => match store.issue(index) {
                Some(issue) => json(StatusCode::OK, &render::issue(&self.site(), &store, issue)),
                None => self.not_found(),
            },
            "issueEditIssue" => self.edit_issue(&mut store, index, &body),
            "issueGetComments" => self.list_comments(&store, index),
            "issueCreateComment" => self.create_comment(&mut store, index, &body),
            "issueCreateIssueAttachment" => {
                self.create_attachment(&mut store, index, query, call.form)
            }
            _ => self.add_labels(&mut store, index, &body),
        }
    }

    /// Forgejo sends only the total for labels, no `Link`.
    fn list_labels(&self, store: &Store, query: &[(String, String)]) -> Reply {
        let page = Page::from_query(query);
        let all = store.labels_by_name();
        let site = self.site();
        let listed: Vec<Value> = page
            .slice(&all)
            .iter()
            .map(|l| render::label(&site, l))
            .collect();
        let mut reply = json(StatusCode::OK, &Value::from(listed));
        set_total(&mut reply, all.len());
        reply
    }

    fn create_label(&self, store: &mut Store, body: &Value) -> Reply {
        let name = text(body, "name");
        if name.is_empty() {
            return self.invalid("[Name]: Required");
        }
        let Some(color) = normalize_color(text(body, "color")) else {
            return self.invalid("invalid color: use three or six hex digits, e.g. #00aabb");
        };
        let label = store.create_label(
            name,
            &color,
            text(body, "description"),
            flag(body, "exclusive"),
            flag(body, "is_archived"),
        );
        json(StatusCode::CREATED, &render::label(&self.site(), label))
    }

    fn list_issues(&self, store: &Store, path: &str, query: &[(String, String)]) -> Reply {
        let get = |name: &str| last(query, name);
        let closed = match get("state") {
            Some("closed") => Some(true),
            Some("all") => None,
            _ => Some(false),
        };
        // Names Forgejo doesn't know are dropped; when none is left there is no label filter
        // at all, so asking for a label that doesn't exist lists every issue.
        let label_ids = get("labels").map_or_else(Vec::new, |names| {
            store.label_ids_named(&names.split(',').collect::<Vec<_>>())
        });
        let filter = Filter {
            closed,
            label_ids,
            pulls_only: get("type") == Some("pulls"),
            keyword: get("q")
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_owned),
        };
        let found = store.find_issues(&filter);
        let page = Page::from_query(query);
        let site = self.site();
        let listed: Vec<Value> = page
            .slice(&found)
            .iter()
            .map(|issue| render::issue(&site, store, issue))
            .collect();
        let mut reply = json(StatusCode::OK, &Value::from(listed));
        set_total(&mut reply, found.len());
        if let Some(link) = page.link_header(&self.base, path, query, found.len()) {
            if let Ok(value) = HeaderValue::from_str(&link) {
                reply.headers_mut().insert(header::LINK, value);
            }
        }
        reply
    }

    fn create_issue(&self, store: &mut Store, body: &Value) -> Reply {
        let title = text(body, "title");
        if title.is_empty() {
            return self.invalid("[Title]: Required");
        }
        let new = NewIssue {
            title: title.to_owned(),
            body: text(body, "body").to_owned(),
            label_ids: items(body, "labels").filter_map(Value::as_i64).collect(),
            assignees: items(body, "assignees")
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            closed: flag(body, "closed"),
        };
        let number = store.create_issue(new).number;
        let issue = store.issue(number).expect("just created");
        json(
            StatusCode::CREATED,
            &render::issue(&self.site(), store, issue),
        )
    }

    /// Forgejo answers an edit with 201, not 200.
    fn edit_issue(&self, store: &mut Store, index: i64, body: &Value) -> Reply {
        let closed = match body.get("state").and_then(Value::as_str) {
            None => None,
            Some("open") => Some(false),
            Some("closed") => Some(true),
            // Forgejo would quietly treat this as "open"; a client sending it has a bug.
            Some(other) => {
                return self.invalid(&format!(
                    "state must be \"open\" or \"closed\", not {other:?}"
                ))
            }
        };
        // An empty title is ignored, as Forgejo does.
        let title = Some(text(body, "title")).filter(|t| !t.is_empty());
        let new_body = body.get("body").and_then(Value::as_str);
        if store.edit_issue(index, title, new_body, closed).is_none() {
            return self.not_found();
        }
        let issue = store.issue(index).expect("just edited");
        json(
            StatusCode::CREATED,
            &render::issue(&self.site(), store, issue),
        )
    }

    fn list_comments(&self, store: &Store, index: i64) -> Reply {
        let Some(issue) = store.issue(index) else {
            return self.not_found();
        };
        let site = self.site();
        let listed: Vec<Value> = issue
            .comments
            .iter()
            .map(|c| render::comment(&site, issue, c))
            .collect();
        json(StatusCode::OK, &Value::from(listed))
    }

    fn create_comment(&self, store: &mut Store, index: i64, body: &Value) -> Reply {
        let text = text(body, "body");
        if text.is_empty() {
            return self.invalid("[Body]: Required");
        }
        match store.add_comment(index, text) {
            Some((issue, comment)) => json(
                StatusCode::CREATED,
                &render::comment(&self.site(), issue, comment),
            ),
            None => self.not_found(),
        }
    }

    /// Named after `?name=` when given, else after the file, as Forgejo does.
    fn create_attachment(
        &self,
        store: &mut Store,
        index: i64,
        query: &[(String, String)],
        form: Vec<FormPart>,
    ) -> Reply {
        let Some(part) = form.into_iter().find(|p| p.name == "attachment") else {
            // The spec check requires the field; this only keeps a change there honest.
            return self.invalid("[Attachment]: Required");
        };
        let filename = part.filename.unwrap_or_default();
        // Go's form reader hands Forgejo only the last path component of a filename.
        let base = filename.rsplit('/').next().unwrap_or_default().to_owned();
        let new = NewAttachment {
            name: last(query, "name")
                .filter(|n| !n.is_empty())
                .map_or(base, str::to_owned),
            filename,
            content_type: part.content_type,
            bytes: part.bytes,
            created_at: last(query, "updated_at").and_then(|t| t.parse().ok()),
        };
        match store.add_attachment(index, new) {
            Some(attachment) => json(
                StatusCode::CREATED,
                &render::attachment(&self.site(), attachment),
            ),
            None => self.not_found(),
        }
    }

    /// Labels go by id, or by name in newer Forgejo; unknown ones are dropped without a word.
    fn add_labels(&self, store: &mut Store, index: i64, body: &Value) -> Reply {
        let mut ids = Vec::new();
        for item in items(body, "labels") {
            match item {
                Value::Number(n) if n.as_i64().is_some() => ids.extend(n.as_i64()),
                Value::String(name) => ids.extend(store.label_ids_named(&[name.as_str()])),
                other => {
                    return self.invalid(&format!("a label must be an id or a name, not {other}"))
                }
            }
        }
        if store.add_labels(index, &ids).is_none() {
            return self.not_found();
        }
        let issue = store.issue(index).expect("just labelled");
        let site = self.site();
        let labels: Vec<Value> = issue
            .label_ids
            .iter()
            .filter_map(|id| store.label(*id))
            .map(|l| render::label(&site, l))
            .collect();
        json(StatusCode::OK, &Value::from(labels))
    }

    fn error(&self, status: StatusCode, message: &str) -> Reply {
        json(status, &render::error(&self.base, message))
    }

    /// A request that fits the spec but not Forgejo's own rules: refused, not a violation.
    fn invalid(&self, message: &str) -> Reply {
        self.error(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    fn not_found(&self) -> Reply {
        let mut body = render::error(&self.base, "The target couldn't be found.");
        body["errors"] = Value::Array(Vec::new());
        json(StatusCode::NOT_FOUND, &body)
    }
}

fn json(status: StatusCode, value: &Value) -> Reply {
    server::reply(status, JSON, Bytes::from(value.to_string()))
}

fn set_total(reply: &mut Reply, total: usize) {
    let headers = reply.headers_mut();
    headers.insert("x-total-count", HeaderValue::from(total));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("X-Total-Count, Link"),
    );
}

/// A query parameter's value; when it is repeated, the last one.
fn last<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A string field of a checked body; absent reads as empty, as Go's zero value.
fn text<'a>(body: &'a Value, name: &str) -> &'a str {
    body.get(name).and_then(Value::as_str).unwrap_or("")
}

fn flag(body: &Value, name: &str) -> bool {
    body.get(name).and_then(Value::as_bool).unwrap_or(false)
}

fn items<'a>(body: &'a Value, name: &str) -> impl Iterator<Item = &'a Value> {
    body.get(name)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}
