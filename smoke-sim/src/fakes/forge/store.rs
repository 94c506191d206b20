//! The one repository's labels, issues, comments and attachments, with the rules Forgejo
//! applies to them.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use jiff::Timestamp;

/// Ids that look nothing like each other, so a client that sends an issue's number where a
/// label id belongs (or an issue's id where its number belongs) hits the wrong thing or
/// nothing, as it would on a real instance, instead of getting lucky.
const FIRST_LABEL_ID: i64 = 101;
const FIRST_ISSUE_ID: i64 = 1001;
const FIRST_COMMENT_ID: i64 = 5001;
const FIRST_ATTACHMENT_ID: i64 = 9001;

pub(super) struct Label {
    pub id: i64,
    pub name: String,
    /// Six lower-case hex digits without `#`, as Forgejo's API returns it.
    pub color: String,
    pub description: String,
    pub exclusive: bool,
    pub is_archived: bool,
}

pub(super) struct Issue {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub body: String,
    pub closed_at: Option<Timestamp>,
    pub label_ids: Vec<i64>,
    pub assignees: Vec<String>,
    pub comments: Vec<Comment>,
    /// In order of upload.
    pub attachments: Vec<Attachment>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub(super) struct Comment {
    pub id: i64,
    pub body: String,
    pub created_at: Timestamp,
}

pub(super) struct Attachment {
    pub id: i64,
    /// What its download URL is made of, random as Forgejo's, so it can't be guessed from
    /// the id.
    pub uuid: String,
    pub name: String,
    /// The upload's own file name, which `name` may differ from.
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
    pub created_at: Timestamp,
}

pub(super) struct NewAttachment {
    pub name: String,
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
    /// The upload's `updated_at` (meant for migrations), stamped on the attachment and the
    /// issue instead of now; `None` for now.
    pub created_at: Option<Timestamp>,
}

/// How `GET /issues` narrows the list.
pub(super) struct Filter {
    /// `None` for both states.
    pub closed: Option<bool>,
    /// Label ids an issue must all carry; empty for no label filter.
    pub label_ids: Vec<i64>,
    /// `type=pulls`: the fake has no pull requests.
    pub pulls_only: bool,
    /// Case-insensitive text to find in the title or body.
    pub keyword: Option<String>,
}

pub(super) struct NewIssue {
    pub title: String,
    pub body: String,
    pub label_ids: Vec<i64>,
    pub assignees: Vec<String>,
    pub closed: bool,
}

#[derive(Default)]
pub(super) struct Store {
    labels: Vec<Label>,
    issues: Vec<Issue>,
    next_comment_id: i64,
    next_attachment_id: i64,
}

impl Issue {
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    fn set_closed(&mut self, closed: bool, now: Timestamp) {
        if closed != self.is_closed() {
            self.closed_at = closed.then_some(now);
            self.updated_at = now;
        }
    }
}

impl Store {
    /// Labels in creation order.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// Labels ordered as Forgejo lists them: by name.
    pub fn labels_by_name(&self) -> Vec<&Label> {
        let mut labels: Vec<&Label> = self.labels.iter().collect();
        labels.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        labels
    }

    pub fn label(&self, id: i64) -> Option<&Label> {
        self.labels.iter().find(|l| l.id == id)
    }

    /// Forgejo does not refuse a second label with the same name; neither does the fake, so
    /// a client that creates its label on every run shows up as duplicates.
    pub fn create_label(
        &mut self,
        name: &str,
        color: &str,
        description: &str,
        exclusive: bool,
        is_archived: bool,
    ) -> &Label {
        let id = FIRST_LABEL_ID + self.labels.len() as i64;
        self.labels.push(Label {
            id,
            name: name.to_owned(),
            color: color.to_owned(),
            description: description.to_owned(),
            exclusive,
            is_archived,
        });
        self.labels.last().expect("just pushed")
    }

    /// The ids of the labels with these names; unknown names are dropped, as Forgejo does.
    pub fn label_ids_named(&self, names: &[&str]) -> Vec<i64> {
        self.labels
            .iter()
            .filter(|l| names.contains(&l.name.as_str()))
            .map(|l| l.id)
            .collect()
    }

    /// Keeps the ids that are labels of this repository, like Forgejo, which drops the rest
    /// without a word.
    pub fn known_label_ids(&self, ids: &[i64]) -> Vec<i64> {
        let mut known: Vec<i64> = Vec::new();
        for id in ids {
            if self.label(*id).is_some() && !known.contains(id) {
                known.push(*id);
            }
        }
        known
    }

    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    pub fn issue(&self, number: i64) -> Option<&Issue> {
        self.issues.iter().find(|i| i.number == number)
    }

    pub fn create_issue(&mut self, new: NewIssue) -> &Issue {
        let now = Timestamp::now();
        let number = self.issues.len() as i64 + 1;
        let label_ids = self.known_label_ids(&new.label_ids);
        self.issues.push(Issue {
            id: FIRST_ISSUE_ID + number - 1,
            number,
            title: new.title,
            body: new.body,
            closed_at: new.closed.then_some(now),
            label_ids,
            assignees: new.assignees,
            comments: Vec::new(),
            attachments: Vec::new(),
            created_at: now,
            updated_at: now,
        });
        self.issues.last().expect("just pushed")
    }

    /// Newest first, Forgejo's default order.
    pub fn find_issues(&self, filter: &Filter) -> Vec<&Issue> {
        if filter.pulls_only {
            return Vec::new();
        }
        let keyword = filter.keyword.as_ref().map(|k| k.to_lowercase());
        self.issues
            .iter()
            .rev()
            .filter(|i| filter.closed.is_none_or(|closed| i.is_closed() == closed))
            .filter(|i| filter.label_ids.iter().all(|id| i.label_ids.contains(id)))
            .filter(|i| {
                keyword.as_ref().is_none_or(|k| {
                    i.title.to_lowercase().contains(k) || i.body.to_lowercase().contains(k)
                })
            })
            .collect()
    }

    /// Applies the parts of an edit that were given; `None` if there is no such issue.
    pub fn edit_issue(
        &mut self,
        number: i64,
        title: Option<&str>,
        body: Option<&str>,
        closed: Option<bool>,
    ) -> Option<&Issue> {
        let now = Timestamp::now();
        let issue = self.issues.iter_mut().find(|i| i.number == number)?;
        if let Some(title) = title {
            issue.title = title.to_owned();
            issue.updated_at = now;
        }
        if let Some(body) = body {
            issue.body = body.to_owned();
            issue.updated_at = now;
        }
        if let Some(closed) = closed {
            issue.set_closed(closed, now);
        }
        Some(issue)
    }

    /// Adds labels to an issue (known ones, once each); `None` if there is no such issue.
    pub fn add_labels(&mut self, number: i64, ids: &[i64]) -> Option<&Issue> {
        let known = self.known_label_ids(ids);
        let issue = self.issues.iter_mut().find(|i| i.number == number)?;
        let mut changed = false;
        for id in known {
            if !issue.label_ids.contains(&id) {
                issue.label_ids.push(id);
                changed = true;
            }
        }
        if changed {
            issue.updated_at = Timestamp::now();
        }
        Some(issue)
    }

    pub fn add_comment(&mut self, number: i64, body: &str) -> Option<(&Issue, &Comment)> {
        let now = Timestamp::now();
        let id = FIRST_COMMENT_ID + self.next_comment_id;
        let issue = self.issues.iter_mut().find(|i| i.number == number)?;
        self.next_comment_id += 1;
        issue.comments.push(Comment {
            id,
            body: body.to_owned(),
            created_at: now,
        });
        issue.updated_at = now;
        let comment = issue.comments.last().expect("just pushed");
        Some((issue, comment))
    }

    /// Attaches a file to an issue, which counts as an update of it, as Forgejo's rewrite of
    /// the issue's content does; `None` if there is no such issue.
    pub fn add_attachment(&mut self, number: i64, new: NewAttachment) -> Option<&Attachment> {
        let at = new.created_at.unwrap_or_else(Timestamp::now);
        let id = FIRST_ATTACHMENT_ID + self.next_attachment_id;
        let issue = self.issues.iter_mut().find(|i| i.number == number)?;
        self.next_attachment_id += 1;
        issue.attachments.push(Attachment {
            id,
            uuid: random_uuid(),
            name: new.name,
            filename: new.filename,
            content_type: new.content_type,
            bytes: new.bytes,
            created_at: at,
        });
        issue.updated_at = at;
        issue.attachments.last()
    }
}

/// A version 4 UUID. std's hasher keys are random per process and differ per `RandomState`,
/// which is randomness enough for names nobody should guess, without a dependency for it.
fn random_uuid() -> String {
    let random = || u128::from(RandomState::new().hash_one(0u8));
    let mut bits = random() << 64 | random();
    // The version (4, random) and the variant (RFC 9562) fields.
    bits = (bits & !(0xf << 76)) | (0x4 << 76);
    bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Forgejo's colour rule: three or six hex digits, `#` optional. Returns the six-digit,
/// lower-case form without `#` that its API answers with.
pub(super) fn normalize_color(color: &str) -> Option<String> {
    let digits = color.strip_prefix('#').unwrap_or(color);
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let digits = digits.to_ascii_lowercase();
    match digits.len() {
        6 => Some(digits),
        3 => Some(digits.chars().flat_map(|c| [c, c]).collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_issue(title: &str, label_ids: Vec<i64>) -> NewIssue {
        NewIssue {
            title: title.to_owned(),
            body: String::new(),
            label_ids,
            assignees: Vec::new(),
            closed: false,
        }
    }

    #[test]
    fn colors_normalize_like_forgejo() {
        assert_eq!(normalize_color("#00AAbb").as_deref(), Some("00aabb"));
        assert_eq!(normalize_color("f0a").as_deref(), Some("ff00aa"));
        assert_eq!(normalize_color("red"), None);
        assert_eq!(normalize_color("#1234"), None);
    }

    #[test]
    fn unknown_label_ids_are_dropped_and_filters_need_every_label() {
        let mut store = Store::default();
        let a = store.create_label("a", "ff0000", "", false, false).id;
        let b = store.create_label("b", "00ff00", "", false, false).id;
        store.create_issue(new_issue("both", vec![a, b, 9999]));
        store.create_issue(new_issue("only a", vec![a]));
        assert_eq!(store.issue(1).unwrap().label_ids, vec![a, b]);
        let filter = |label_ids| Filter {
            closed: Some(false),
            label_ids,
            pulls_only: false,
            keyword: None,
        };
        let titles = |found: Vec<&Issue>| found.iter().map(|i| i.title.clone()).collect::<Vec<_>>();
        assert_eq!(
            titles(store.find_issues(&filter(vec![a]))),
            ["only a", "both"]
        );
        assert_eq!(titles(store.find_issues(&filter(vec![a, b]))), ["both"]);
    }

    #[test]
    fn closing_stamps_and_reopening_clears_closed_at() {
        let mut store = Store::default();
        store.create_issue(new_issue("x", vec![]));
        assert!(store
            .edit_issue(1, None, None, Some(true))
            .unwrap()
            .closed_at
            .is_some());
        assert!(store
            .edit_issue(1, None, None, Some(false))
            .unwrap()
            .closed_at
            .is_none());
        assert!(store.edit_issue(2, None, None, Some(true)).is_none());
    }
}
