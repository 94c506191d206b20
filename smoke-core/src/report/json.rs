//! `--format json`: one object that scripts rely on. Fields may be added, never renamed: the
//! names come from the serde attributes on [`RunReport`] and its parts.

use crate::outcome::RunReport;

/// The tick as JSON: [`RunReport`] as serde writes it.
pub fn json(report: &RunReport) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("a report always serializes");
    text.push('\n');
    text
}
