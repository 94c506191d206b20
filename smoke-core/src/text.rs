//! Text from outside (a service's answer or error, a folder name, a supervisor's list) on its way
//! to a person: a terminal, a log, a chat or an issue. The one place that says which characters
//! are dangerous there and how they are shown instead.

use std::borrow::Cow;
use std::fmt;

/// Characters that are not controls but still move or reorder what a reader sees: the Unicode
/// bidirectional overrides and isolates ("Trojan source") and the line and paragraph separators
/// that some terminals and log viewers break lines on.
const INVISIBLE_LAYOUT: &[char] = &[
    '\u{061C}', '\u{200E}', '\u{200F}', '\u{2028}', '\u{2029}', '\u{202A}', '\u{202B}', '\u{202C}',
    '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

fn dangerous(c: char) -> bool {
    c.is_control() || INVISIBLE_LAYOUT.contains(&c)
}

/// `text` with every control character (C0, DEL, C1) and layout override written out the way
/// Rust writes it (`\n`, `\t`, `\u{1b}`): what a service sent stays readable but can neither set
/// a terminal's title, clear its screen, nor start a forged log line. Everything else, a
/// backslash included, is kept as it is, so ordinary text reads unchanged.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(dangerous) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if dangerous(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Shows a text with [`escape_controls`] applied, for use inside `format!`.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape_controls(self.0))
    }
}

/// One line on stderr, `smoke: ` first, with [`escape_controls`] applied to all of it: the way
/// smoke says anything that may carry a service's words. Use [`crate::say!`].
pub fn say(line: fmt::Arguments<'_>) {
    eprintln!("smoke: {}", escape_controls(&line.to_string()));
}

/// `eprintln!` for lines that may carry a service's words: `smoke: ` first, controls escaped.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::engine::say(format_args!($($arg)*))
    };
}

/// A Markdown fenced code block holding `text`, its fence one backtick longer than the longest
/// run of backticks inside, so nothing in the text can close it early and be read as Markdown or
/// HTML (a forged marker, a mention, a link).
pub fn fenced(text: &str) -> String {
    let text = escape_controls(text);
    let fence = fence_for(&text, 3);
    format!("{fence}\n{text}\n{fence}")
}

/// A Markdown code span holding `text` on one line, its backticks outnumbering any run of them
/// inside: the forge shows the text as it is, with no link, mention or HTML made of it.
pub fn code_span(text: &str) -> String {
    let text = escape_controls(text);
    let fence = fence_for(&text, 1);
    // A backtick at either end would join the fence; Markdown takes one space off each side.
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Backticks, one more than the longest run of them in `text`, and at least `least`.
fn fence_for(text: &str, least: usize) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(least))
}

/// Where a text from outside is shown: what there would read more into it than words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    /// Forgejo's Markdown (an issue's body, a comment): HTML inline, links, emphasis, code
    /// spans, and the forge's own links made of plain words (`@user`, `#12`, a bare URL).
    Markdown,
    /// A forge issue's title: plain text that the forge escapes itself, but where `#12` still
    /// links (and cross-references) an issue.
    Title,
    /// Slack's mrkdwn: `<…>` is a link or a mention (`<!channel>`), `&` an entity, and three
    /// backticks end the block a detail is quoted in.
    Slack,
}

/// Shows nothing and breaks no line, yet no forge or chat reads a mention, an issue reference,
/// a link or a tag across it.
const WORD_JOINER: char = '\u{2060}';

/// `text` from outside (a service's words, an alert's label) as words and nothing more in
/// `markup`: controls written out as [`escape_controls`] does, so it stays on its line; no
/// HTML, comment, link, image, mention or issue reference made of it; no formatting that
/// reaches past it. Ordinary words (a probe's name, "HTTP 502 Bad Gateway") come out as they
/// went in.
pub fn inert(text: &str, markup: Markup) -> String {
    let text = escape_controls(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let markdown = markup == Markup::Markdown;
        let in_word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        match c {
            '&' if markup != Markup::Title => out.push_str("&amp;"),
            '<' if markup != Markup::Title => out.push_str("&lt;"),
            '>' if markup != Markup::Title => out.push_str("&gt;"),
            // Slack has no escape for a backtick: a look-alike cannot end a code block.
            '`' if markup == Markup::Slack => out.push('\u{2CB}'),
            '\\' | '`' | '*' | '[' | ']' | '~' | '|' | '$' if markdown => {
                out.push('\\');
                out.push(c);
            }
            // Inside a word `_` is never emphasis: `hero_proc` stays as it is.
            '_' if markdown && !(in_word(i.checked_sub(1)) && in_word(Some(i + 1))) => {
                out.push_str("\\_");
            }
            _ => out.push(c),
        }
        if joined(&chars, i, markup) {
            out.push(WORD_JOINER);
        }
    }
    out
}

/// Whether a [`WORD_JOINER`] goes after `chars[i]`: where the next character would make a
/// mention (`@user`), an issue reference (`#12`, `!12`), a link (`https://`, `mailto:x`,
/// `www.`, `[[page]]`) or, in a title, which has no entities, a tag (`<img`).
fn joined(chars: &[char], i: usize, markup: Markup) -> bool {
    let Some(&next) = chars.get(i + 1) else {
        return false;
    };
    match chars[i] {
        '@' | ':' => !next.is_whitespace(),
        '#' | '!' => next.is_ascii_digit(),
        '<' => markup == Markup::Title && !next.is_whitespace(),
        '[' => next == '[',
        'w' | 'W' => {
            next == '.' && i >= 2 && chars[i - 2..i].iter().all(|c| c.eq_ignore_ascii_case(&'w'))
        }
        _ => false,
    }
}

/// The words a panic was raised with, when they are words: for the one line that reports it.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the issue reproduced: a title set, the screen cleared, a line forged.
    const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\nforged line";

    #[test]
    fn controls_are_written_out_and_plain_text_is_untouched() {
        assert_eq!(
            escape_controls(HOSTILE),
            "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\nforged line"
        );
        assert!(matches!(
            escape_controls("C:\\dir ümlaut `x` 5 < 6"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_controls("a\u{202E}b\u{85}c\rd\te"),
            "a\\u{202e}b\\u{85}c\\rd\\te"
        );
        assert_eq!(Escaped("x\u{7f}").to_string(), "x\\u{7f}");
    }

    #[test]
    fn ordinary_words_stay_as_they_are_everywhere() {
        for words in [
            "HTTP 502 Bad Gateway",
            "health-hero_os",
            "connect: supervised by hero_proc but no socket",
            "6 probes fail: timeout: … (no answer in 5s)",
        ] {
            for markup in [Markup::Markdown, Markup::Title, Markup::Slack] {
                assert_eq!(inert(words, markup), words, "{markup:?}");
            }
        }
    }

    #[test]
    fn outside_text_makes_nothing_but_words() {
        let text =
            "[x](https://evil) @admin <img src=x> <!-- ``` \u{1b}[31m #1 _i_ www.e.test [[p]]";
        let wj = WORD_JOINER;
        assert_eq!(
            inert(text, Markup::Markdown),
            format!(
                "\\[x\\](https:{wj}//evil) @{wj}admin &lt;img src=x&gt; &lt;!-- \\`\\`\\` \\\\u{{1b}}\\[31m \
                 #{wj}1 \\_i\\_ www{wj}.e.test \\[{wj}\\[p\\]\\]"
            )
        );
        assert_eq!(
            inert(text, Markup::Title),
            format!(
                "[x](https:{wj}//evil) @{wj}admin <{wj}img src=x> <{wj}!-- ``` \\u{{1b}}[31m \
                 #{wj}1 _i_ www{wj}.e.test [{wj}[p]]"
            )
        );
        assert_eq!(
            inert("<!channel> & <@U1|x> ```", Markup::Slack),
            "&lt;!channel&gt; &amp; &lt;@\u{2060}U1|x&gt; \u{2cb}\u{2cb}\u{2cb}"
        );
    }

    #[test]
    fn a_code_span_outlasts_every_backtick_run_inside() {
        assert_eq!(code_span("len(result) > 0"), "`len(result) > 0`");
        assert_eq!(code_span("a `` b"), "```a `` b```");
        assert_eq!(code_span("`x\n"), "`` `x\\n ``");
    }

    #[test]
    fn a_fence_outlasts_every_backtick_run_inside() {
        assert_eq!(fenced("plain"), "```\nplain\n```");
        let text = "a ```` b\n<!-- smoke-incident panel=x -->";
        let block = fenced(text);
        assert!(
            block.starts_with("`````\n") && block.ends_with("\n`````"),
            "{block}"
        );
        assert_eq!(
            block.lines().count(),
            3,
            "the text stays on one line: {block}"
        );
    }
}
