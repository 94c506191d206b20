//! Every value of an event that comes from outside (a probe's key, an incident's id, a group's
//! signature, what a service said, a condition's value, a target, the probes listed) holds a
//! hostile text, and every sink's text is read the way its reader's app reads it: nothing may
//! come out as HTML, a comment, a link, a mention, an issue reference, a raw control or the
//! early end of a fence.

use super::issue::{comment_text, opened_body, read_marker, title};
use smoke_core::engine::{Event, EventKind};
use smoke_core::{engine::ConditionResult, prelude::Cause};

/// Links, a mention, a tag, a comment opener, a fence, a terminal escape, issue references,
/// Slack's mentions, bare addresses, a wiki link, emphasis, an entity, and on a line of its
/// own a forged marker.
const HOSTILE: &str = "[x](https://evil.test) @admin <img src=x onerror=alert(1)> <!-- ``` \
    \u{1b}[31m #1 !2 <!channel> <@U024BE7LH> www.evil.test a@evil.test [[https://evil.test|y]] \
    *b* _i_ &#64;x\n<!-- smoke-incident panel=herodemo mode=internal probe=other incident=o/1 -->";

/// One probe's incident and a group's, hostile wherever the outside writes, at each kind.
fn hostile_events() -> Vec<Event> {
    let mut probe = super::opened(HOSTILE);
    probe.probe = HOSTILE.to_string();
    probe.incident = format!("herodemo/internal/{HOSTILE}/1");
    probe.cause = Some(Cause::Assertion);
    probe.previous_cause = Some(HOSTILE.to_string());
    probe.target = HOSTILE.to_string();
    probe.timings = serde_json::json!({ HOSTILE: 12 });
    probe.conditions.push(ConditionResult::made(
        HOSTILE.to_string(),
        false,
        HOSTILE.to_string(),
    ));
    probe.covers.members = vec![HOSTILE.to_string()];
    probe.covers.affected = vec![HOSTILE.to_string(), "biz-persons".to_string()];
    probe.duration_s = Some(125);
    let mut group = probe.clone();
    group.probe = "group:http-502".to_string();
    group.covers.group = Some(HOSTILE.to_string());
    group.cause = Some(Cause::Http);
    group.covers.members = vec![HOSTILE.to_string(), "os-ui".to_string()];
    let kinds = [
        EventKind::Opened,
        EventKind::Reminder,
        EventKind::CauseChanged,
        EventKind::Firing,
        EventKind::Resolved,
        EventKind::Restarted,
        EventKind::Affected,
    ];
    [probe, group]
        .iter()
        .flat_map(|e| {
            kinds.map(|kind| Event {
                event: kind,
                ..e.clone()
            })
        })
        .collect()
}

/// What the reader's app would make more of than words in text it shows as words (entities
/// and escapes already read): a mention, an issue reference, an address, a wiki link, a tag,
/// a raw control.
fn live_words(what: &str, shown: &str) -> Vec<String> {
    let chars: Vec<char> = shown.chars().collect();
    let mut live = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        let rest: String = chars[i..].iter().take(4).collect();
        let found = match c {
            '@' if next.is_ascii_alphanumeric() || "-_".contains(next) => Some("a mention"),
            '#' | '!' if next.is_ascii_digit() => Some("an issue reference"),
            '<' if next.is_ascii_alphabetic() || "!/?@".contains(next) => Some("a tag"),
            ':' if rest.starts_with("://") => Some("a URL"),
            'w' | 'W' if rest.eq_ignore_ascii_case("www.") => Some("a web address"),
            '[' if next == '[' => Some("a wiki link"),
            c if c.is_control() => Some("a raw control"),
            _ => None,
        };
        if let Some(kind) = found {
            let at: String = chars[i..].iter().take(16).collect();
            live.push(format!("{what}: {kind} at {at:?}"));
        }
    }
    live
}

/// What Forgejo would read as more than words in an issue's body or a comment. Fenced blocks
/// and code spans show their text as it is (after checking that each ends where smoke ended
/// it); everything else may hold no tag, comment, link or entity but `&amp;`, `&lt;`, `&gt;`,
/// and, as rendered, nothing [`live_words`] finds.
fn live_markdown(what: &str, markdown: &str) -> Vec<String> {
    let mut live = Vec::new();
    let lines: Vec<&str> = markdown.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let is_fence = |l: &str, n: usize| l.len() >= n && l.trim_end().chars().all(|c| c == '`');
        if is_fence(line, 3) {
            // smoke's blocks hold one line; a line inside that closes them is the service's.
            let closed_by_us = lines.get(i + 2) == Some(&line);
            let closed_early = lines.get(i + 1).is_some_and(|l| is_fence(l, line.len()));
            if !closed_by_us || closed_early {
                live.push(format!("{what}: the fence on line {} ends early", i + 1));
            }
            i += 3;
            continue;
        }
        live.extend(live_inline(&format!("{what} line {}", i + 1), line));
        i += 1;
    }
    live
}

fn live_inline(what: &str, line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut live = Vec::new();
    let mut shown = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&b| b == '`').count();
        if c == '\\' && chars.get(i + 1).is_some_and(char::is_ascii_punctuation) {
            shown.push(chars[i + 1]);
            i += 2;
        } else if run > 0 {
            // A code span: to the next run of exactly as many backticks.
            let close = (i + run..chars.len()).find(|&j| {
                chars[j..].iter().take_while(|&&b| b == '`').count() == run
                    && (j == 0 || chars[j - 1] != '`')
            });
            match close {
                Some(j) => i = j + run,
                None => {
                    live.push(format!("{what}: a backtick run with no end"));
                    i += run;
                }
            }
            shown.push(' ');
        } else if c == '&' {
            let rest: String = chars[i..].iter().take(5).collect();
            // `&lt;` shows a `<` that is text, never a tag.
            let entity = [("&amp;", '&'), ("&lt;", '‹'), ("&gt;", '>')]
                .into_iter()
                .find(|(e, _)| rest.starts_with(e));
            match entity {
                Some((e, decoded)) => {
                    shown.push(decoded);
                    i += e.chars().count();
                }
                None => {
                    live.push(format!("{what}: an entity at {rest:?}"));
                    i += 1;
                }
            }
        } else {
            if matches!(c, '<' | '[' | ']') {
                live.push(format!("{what}: a raw {c:?} (HTML or a link)"));
            }
            shown.push(c);
            i += 1;
        }
    }
    live.extend(live_words(what, &shown));
    live
}

/// The marker line is smoke's and names the incident the event is about, whatever the text
/// above it says.
fn marker_holds(e: &Event, body: &str) {
    assert_eq!(
        read_marker(body, &e.panel, &e.mode),
        Some((e.probe.clone(), e.incident.clone())),
        "{body}"
    );
}

#[test]
fn no_sink_makes_more_than_words_of_what_the_outside_wrote() {
    let argv: Vec<String> = [
        "{event}",
        "{panel}",
        "{mode}",
        "{probe}",
        "{cause}",
        "{detail}",
        "{since}",
        "{duration}",
        "{severity}",
        "{title}",
        "{affected}",
    ]
    .map(String::from)
    .into();
    let mut live = Vec::new();
    for e in hostile_events() {
        let about = if e.covers.group.is_some() {
            "group"
        } else {
            "probe"
        };
        let kind = format!("{about} {}", e.event.as_str());

        // The forge: the title is plain text, the body and comments Markdown.
        let t = title(&e);
        assert!(t.chars().count() <= 255, "{kind}: {t}");
        live.extend(live_words(&format!("{kind} title"), &t));
        let body = opened_body(&e);
        marker_holds(&e, &body);
        let (above, _marker) = body.trim_end().rsplit_once('\n').expect("a marker line");
        live.extend(live_markdown(&format!("{kind} body"), above));
        live.extend(live_markdown(&format!("{kind} comment"), &comment_text(&e)));

        // Slack: mrkdwn, where `<…>` is a link or a mention and three backticks end a block.
        let message = super::slack::message(&e);
        let mut texts = vec![(
            message["text"].as_str().unwrap().to_string(),
            serde_json::Value::Null,
        )];
        for block in message["attachments"][0]["blocks"].as_array().unwrap() {
            let objects = block["fields"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![block["text"].clone()]);
            for o in objects {
                texts.push((
                    o["text"].as_str().unwrap().to_string(),
                    o["verbatim"].clone(),
                ));
            }
        }
        for (n, (text, verbatim)) in texts.iter().enumerate() {
            let what = format!("{kind} Slack text {n}");
            if n > 0 {
                assert_eq!(verbatim, &serde_json::json!(true), "{what}: {text}");
            }
            let quoted = text
                .strip_prefix("```")
                .and_then(|t| t.strip_suffix("```"))
                .unwrap_or(text);
            if quoted.contains(['`', '<', '>']) {
                live.push(format!("{what}: a backtick or a bracket in {quoted:?}"));
            }
            for line in quoted.lines() {
                live.extend(live_inline(&what, &line.replace(['[', ']'], "")));
            }
        }

        // The command's arguments and Alertmanager's annotations: one line each.
        for arg in super::command::fill(&argv, &e) {
            if arg.contains(char::is_control) {
                live.push(format!("{kind} command: a raw control in {arg:?}"));
            }
        }
        let alert = super::alertmanager::alert(&e, std::time::Duration::from_secs(60), "v");
        for (name, text) in alert["annotations"].as_object().unwrap() {
            if text.as_str().unwrap().contains(char::is_control) {
                live.push(format!("{kind} alert {name}: a raw control in {text}"));
            }
        }
    }
    assert!(live.is_empty(), "{}", live.join("\n"));
}

#[test]
fn ordinary_words_read_as_they_did() {
    let mut e = super::opened("HTTP 502 Bad Gateway");
    e.covers.group = Some("HTTP 502 Bad Gateway".to_string());
    e.cause = Some(Cause::Http);
    e.covers.members = vec!["health-hero_os".to_string(), "os-ui".to_string()];
    e.probe = "group:http-502".to_string();
    assert_eq!(
        title(&e),
        "[smoke] 2 probes fail with HTTP 502 Bad Gateway on herodemo (internal)"
    );
    let body = opened_body(&e);
    assert!(
        body.starts_with("**2 probes fail with HTTP 502 Bad Gateway** on the internal side"),
        "{body}"
    );
    assert!(body.contains("- `health-hero_os`\n"), "{body}");
    assert!(body.ends_with(
        "<!-- smoke-incident panel=herodemo mode=internal probe=group:http-502 \
         incident=herodemo/internal/biz-persons/1 -->\n"
    ));
    marker_holds(&e, &body);
}
