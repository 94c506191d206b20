//! The JSON Forgejo answers with, field for field where a client might read it.

use jiff::{Timestamp, Unit};
use serde_json::{json, Value};

use super::store::{Attachment, Comment, Issue, Label, Store};

/// Where the fake repository lives, for the URLs inside the JSON.
pub(super) struct Site<'a> {
    /// `http://127.0.0.1:<port>`.
    pub base: &'a str,
    pub owner: &'a str,
    pub repo: &'a str,
}

impl Site<'_> {
    fn web(&self) -> String {
        format!("{}/{}/{}", self.base, self.owner, self.repo)
    }

    fn api(&self) -> String {
        format!("{}/api/v1/repos/{}/{}", self.base, self.owner, self.repo)
    }
}

/// Forgejo writes times to the second, in RFC 3339.
pub(super) fn time(at: Timestamp) -> String {
    at.round(Unit::Second).unwrap_or(at).to_string()
}

/// The id of the fake's one user.
const USER_ID: i64 = 1;

/// The token's owner: the fake has one user, named after the repository's owner.
pub(super) fn user(site: &Site) -> Value {
    json!({
        "id": USER_ID,
        "login": site.owner,
        "login_name": "",
        "full_name": "",
        "email": format!("{}@noreply.localhost", site.owner),
        "avatar_url": format!("{}/avatars/1", site.base),
        "html_url": format!("{}/{}", site.base, site.owner),
        "is_admin": false,
        "restricted": false,
        "active": true,
    })
}

pub(super) fn label(site: &Site, label: &Label) -> Value {
    json!({
        "id": label.id,
        "name": label.name,
        "color": label.color,
        "description": label.description,
        "exclusive": label.exclusive,
        "is_archived": label.is_archived,
        "url": format!("{}/labels/{}", site.api(), label.id),
    })
}

pub(super) fn issue(site: &Site, store: &Store, issue: &Issue) -> Value {
    let labels: Vec<Value> = issue
        .label_ids
        .iter()
        .filter_map(|id| store.label(*id))
        .map(|l| label(site, l))
        .collect();
    let assets: Vec<Value> = issue
        .attachments
        .iter()
        .map(|a| attachment(site, a))
        .collect();
    let assignees: Option<Vec<Value>> = (!issue.assignees.is_empty()).then(|| {
        issue
            .assignees
            .iter()
            .map(|login| json!({ "id": 0, "login": login }))
            .collect()
    });
    json!({
        "id": issue.id,
        "url": format!("{}/issues/{}", site.api(), issue.number),
        "html_url": format!("{}/issues/{}", site.web(), issue.number),
        "number": issue.number,
        "user": user(site),
        "original_author": "",
        "original_author_id": 0,
        "title": issue.title,
        "body": issue.body,
        "ref": "",
        "assets": assets,
        "labels": labels,
        "milestone": null,
        "assignee": assignees.as_ref().and_then(|a| a.first().cloned()),
        "assignees": assignees,
        "state": if issue.is_closed() { "closed" } else { "open" },
        "is_locked": false,
        "comments": issue.comments.len(),
        "created_at": time(issue.created_at),
        "updated_at": time(issue.updated_at),
        "closed_at": issue.closed_at.map(time),
        "due_date": null,
        "pull_request": null,
        "repository": {
            "id": 1,
            "name": site.repo,
            "owner": site.owner,
            "full_name": format!("{}/{}", site.owner, site.repo),
        },
        "pin_order": 0,
    })
}

pub(super) fn comment(site: &Site, issue: &Issue, comment: &Comment) -> Value {
    let issue_html = format!("{}/issues/{}", site.web(), issue.number);
    json!({
        "id": comment.id,
        "html_url": format!("{issue_html}#issuecomment-{}", comment.id),
        "pull_request_url": "",
        "issue_url": issue_html,
        "user": user(site),
        "original_author": "",
        "original_author_id": 0,
        "body": comment.body,
        "assets": [],
        "created_at": time(comment.created_at),
        "updated_at": time(comment.created_at),
    })
}

/// An uploaded file; Forgejo serves it outside the API, at the instance's root.
pub(super) fn attachment(site: &Site, attachment: &Attachment) -> Value {
    json!({
        "id": attachment.id,
        "name": attachment.name,
        "size": attachment.bytes.len(),
        "download_count": 0,
        "created_at": time(attachment.created_at),
        "uuid": attachment.uuid,
        "browser_download_url": format!("{}/attachments/{}", site.base, attachment.uuid),
        "type": "attachment",
    })
}

/// Forgejo's refusal of an upload over the quota (`APIQuotaExceeded`), from the token's
/// owner, the fake's one user.
pub(super) fn quota_exceeded(site: &Site) -> Value {
    json!({ "message": "quota exceeded", "user_id": USER_ID, "username": site.owner })
}

/// Forgejo's error body (`APIError`).
pub(super) fn error(site_base: &str, message: &str) -> Value {
    json!({ "message": message, "url": format!("{site_base}/api/swagger") })
}
