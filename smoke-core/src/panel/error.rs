//! A panel error says where: file, line, column, and the probe it is in.

use crate::text::Escaped;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a panel did not load, and where: file, line, column and probe.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct PanelError {
    /// The panel file.
    pub(crate) file: PathBuf,
    /// 1-based; 0 when the error has no position (an unreadable file).
    pub(crate) line: usize,
    /// 1-based, in chars; 0 when the error has no position.
    pub(crate) column: usize,
    /// The probe it is about, when it is about one.
    pub(crate) probe: Option<String>,
    /// What is wrong, in words.
    pub(crate) message: String,
}

/// One line, whatever the panel holds: a value quoted in the message (a `tcp` target, a name)
/// may carry control characters, said escaped, never raw to a terminal or a log.
impl fmt::Display for PanelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Escaped(&self.file.to_string_lossy()))?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        f.write_str(": ")?;
        if let Some(p) = &self.probe {
            write!(f, "probe \"{}\": ", Escaped(p))?;
        }
        write!(f, "{}", Escaped(&self.message))
    }
}

impl PanelError {
    /// The panel file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The line, 1-based; 0 when the error has no position (an unreadable file).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column, 1-based, in chars; 0 when the error has no position.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The probe it is about, when it is about one.
    pub fn probe(&self) -> Option<&str> {
        self.probe.as_deref()
    }

    /// What is wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        PanelError {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            probe: None,
            message: message.into(),
        }
    }
}

/// Where each line starts, so the line of every probe of a panel of thousands is found without
/// reading the text again for each.
pub(crate) struct LineStarts(Vec<usize>);

impl LineStarts {
    pub(crate) fn new(text: &str) -> Self {
        LineStarts(
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        )
    }

    /// The 1-based line of a byte offset.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset).max(1)
    }
}

/// 1-based line and column (in chars) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Serde's "unknown field `x`, expected one of `a`, `b`" with the closest known key added.
pub fn with_hint(message: &str) -> String {
    with_hint_among(message, &[])
}

/// [`with_hint`], `also` known beside the keys serde names: a table's declared names (see
/// [`super::Extension`]), which serde never sees.
pub(super) fn with_hint_among(message: &str, also: &[&str]) -> String {
    let first_line = message.lines().next().unwrap_or(message).trim();
    let Some(rest) = first_line.strip_prefix("unknown field `") else {
        return first_line.to_string();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return first_line.to_string();
    };
    let known: Vec<&str> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .chain(also.iter().copied())
        .collect();
    let best = known
        .iter()
        .map(|k| (strsim::jaro_winkler(unknown, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, k)) => format!("unknown key `{unknown}`; did you mean `{k}`?"),
        None => format!("unknown key `{unknown}`; known keys: {}", known.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_chars_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 3), (2, 1));
        let starts = LineStarts::new("ab\ncd\n\nx");
        for offset in 0..=8 {
            assert_eq!(
                starts.line(offset),
                line_col("ab\ncd\n\nx", offset).0,
                "{offset}"
            );
        }
    }

    #[test]
    fn an_unknown_key_gets_the_closest_known_one() {
        let msg = "unknown field `expct`, expected one of `name`, `expect`, `warn`";
        assert_eq!(
            with_hint(msg),
            "unknown key `expct`; did you mean `expect`?"
        );
        let msg = "unknown field `zzz`, expected `name` or `every`";
        assert!(with_hint(msg).contains("known keys: name, every"));
    }
}
