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
        $crate::text::say(format_args!($($arg)*))
    };
}

/// A Markdown fenced code block holding `text`, its fence one backtick longer than the longest
/// run of backticks inside, so nothing in the text can close it early and be read as Markdown or
/// HTML (a forged marker, a mention, a link).
pub fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}\n{}\n{fence}", escape_controls(text))
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
