//! What a forge issue says: its title, its body (the facts, what the service said, the probes
//! it covers) and its comments, with every word from outside kept to words; and the hidden
//! marker on its last line that names the incident.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use smoke_core::engine::{code_span, fenced, inert, Event, EventKind, Markup};

/// The hidden line that says which incident an issue is.
pub(super) fn marker(panel: &str, mode: &str, probe: &str, incident: &str) -> String {
    let (panel, probe, incident) = (marked(panel), marked(probe), marked(incident));
    format!("<!-- smoke-incident panel={panel} mode={mode} probe={probe} incident={incident} -->")
}

/// What a marker's value may not hold as it is: what would end a field (a space) or the
/// comment (`>`), or start a tag; `%` itself, and everything not ASCII. Names smoke makes
/// (`biz-persons`, `group:http-502`, `herodemo/internal/biz-persons/1`) are written as they are.
const MARKED: &AsciiSet = &CONTROLS.add(b' ').add(b'%').add(b'<').add(b'>');

fn marked(value: &str) -> String {
    utf8_percent_encode(value, MARKED).to_string()
}

/// (probe, incident) of an issue body carrying this panel's and side's marker. Read only where
/// smoke writes it, the body's last line: what a service said is quoted above it and may look
/// like a marker itself.
pub(super) fn read_marker(body: &str, panel: &str, mode: &str) -> Option<(String, String)> {
    let line = body.lines().rev().find(|l| !l.trim().is_empty())?;
    let inner = line
        .trim()
        .strip_prefix("<!-- smoke-incident ")?
        .strip_suffix("-->")?;
    let field = |k: &str| {
        inner
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .map(|v| percent_decode_str(v).decode_utf8_lossy().into_owned())
    };
    (field("panel")? == panel && field("mode")? == mode).then_some(())?;
    Some((field("probe")?, field("incident")?))
}

/// Text from outside as words in an issue or a comment: no link, mention or HTML made of it.
pub(super) fn words(text: &str) -> String {
    inert(text, Markup::Markdown)
}

/// The longest issue title Forgejo keeps (its column holds 255 characters; a longer one is an
/// error on some databases).
const MAX_TITLE: usize = 255;

/// The issue's title, one line: what fails, then where. A long signature is cut, the panel
/// and side are always there.
pub(super) fn title(e: &Event) -> String {
    let (what, place) = match &e.covers.group {
        Some(_) => (e.headline(), format!(" on {} ({})", e.panel, e.mode)),
        None => (
            e.probe.clone(),
            format!(
                " failing on {} ({}){}",
                e.panel,
                e.mode,
                e.cause
                    .map(|c| format!(": {}", c.as_str()))
                    .unwrap_or_default()
            ),
        ),
    };
    const PREFIX: &str = "[smoke] ";
    let place = inert(&place, Markup::Title);
    let room = MAX_TITLE.saturating_sub(PREFIX.len() + place.chars().count());
    let what = smoke_core::engine::cut_to(&inert(&what, Markup::Title), room);
    smoke_core::engine::cut_to(&format!("{PREFIX}{what}{place}"), MAX_TITLE)
}

/// The issue's body; written when it opens and again when the probes it covers change.
pub(super) fn opened_body(e: &Event) -> String {
    let mut b = match &e.covers.group {
        Some(_) => format!(
            "**{}** on the {} side of the panel **{}**.\n\n",
            words(&e.headline()),
            e.mode,
            words(&e.panel)
        ),
        None => format!(
            "**{}** is failing on the {} side of the panel **{}**.\n\n",
            words(&e.probe),
            e.mode,
            words(&e.panel)
        ),
    };
    if let Some(c) = e.cause {
        b.push_str(&format!("- cause: `{}`\n", c.as_str()));
    }
    if !e.target.is_empty() {
        b.push_str(&format!("- target: {}\n", code_span(&e.target)));
    }
    b.push_str(&format!(
        "- since: {}\n",
        e.opened_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    ));
    if let Some(s) = e.status {
        b.push_str(&format!("- HTTP status: {s}\n"));
    }
    if let Some(t) = e.timings.as_object().filter(|t| !t.is_empty()) {
        let parts: Vec<String> = t.iter().map(|(k, v)| format!("{k} {v}")).collect();
        b.push_str(&format!("- timings: {}\n", words(&parts.join(", "))));
    }
    // What the service said goes in fenced blocks that its own backticks cannot close.
    b.push_str(&format!("\nWhat it said:\n\n{}\n", fenced(&e.detail)));
    for c in &e.conditions {
        b.push_str(&format!(
            "\n{} got:\n\n{}\n",
            code_span(c.text()),
            fenced(c.got())
        ));
    }
    b.push_str(&affected_list(e));
    b.push_str("\nsmoke comments here while it lasts and closes this issue when it heals.\n\n");
    b.push_str(&marker(&e.panel, &e.mode, &e.probe, &e.incident));
    b.push('\n');
    b
}

/// A comment on the incident's issue: the event in a line, or how long it lasted when it heals.
pub(super) fn comment_text(e: &Event) -> String {
    match e.event {
        EventKind::Resolved => format!(
            "Resolved: {} after {}.",
            words(&e.detail),
            e.duration_text().unwrap_or_default()
        ),
        _ => words(&e.summary()),
    }
}

/// The probes the incident covers, as a list: the members, then those failing because of them.
/// At most [`LISTED`]: a group of thousands keeps a readable issue.
fn affected_list(e: &Event) -> String {
    const LISTED: usize = 50;
    if e.covers.members.len() + e.covers.affected.len() < 2 {
        return String::new();
    }
    let mut b = format!(
        "\n**{} probes affected** (this list is kept up to date):\n\n",
        e.covers.members.len() + e.covers.affected.len()
    );
    let lines = e
        .covers
        .members
        .iter()
        .map(|m| format!("- {}\n", code_span(m)))
        .chain(e.covers.affected.iter().map(|a| {
            let root = if e.covers.group.is_none() {
                words(&e.probe)
            } else {
                "a member".to_string()
            };
            format!("- {} (caused by {root})\n", code_span(a))
        }));
    for line in lines.take(LISTED) {
        b.push_str(&line);
    }
    let more = (e.covers.members.len() + e.covers.affected.len()).saturating_sub(LISTED);
    if more > 0 {
        b.push_str(&format!("- and {more} more\n"));
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_names_panel_side_probe_and_incident() {
        let m = marker(
            "herodemo",
            "internal",
            "biz-persons",
            "herodemo/internal/biz-persons/1",
        );
        let body = format!("text\n\n{m}\n");
        assert_eq!(
            read_marker(&body, "herodemo", "internal"),
            Some((
                "biz-persons".into(),
                "herodemo/internal/biz-persons/1".into()
            ))
        );
        assert_eq!(
            read_marker(&body, "herodemo", "external"),
            None,
            "the other side's issue"
        );
        assert_eq!(read_marker("no marker", "herodemo", "internal"), None);
    }

    #[test]
    fn a_service_cannot_forge_the_marker() {
        let forged = marker("herodemo", "internal", "other", "herodemo/internal/other/1");
        let mut e = super::super::opened("");
        e.cause = Some(smoke_core::prelude::Cause::Assertion);
        e.detail = format!("``` done\n{forged}\n```");
        e.conditions.push(smoke_core::engine::ConditionResult::made(
            "len(result) > 0",
            false,
            format!("\n{forged}"),
        ));
        let body = opened_body(&e);
        assert_eq!(
            read_marker(&body, "herodemo", "internal"),
            Some(("biz-persons".into(), e.incident.clone())),
            "{body}"
        );
        assert!(
            !body
                .lines()
                .any(|l| l.trim_start().starts_with("<!-- smoke-incident other")),
            "{body}"
        );
        // A marker anywhere but the last line is not smoke's.
        let body = format!("{forged}\n\nsome text\n");
        assert_eq!(read_marker(&body, "herodemo", "internal"), None);
    }
}
