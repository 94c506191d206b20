//! Renders a tick. One module per output format.

mod human;
mod json;

pub use human::{human, HumanStyle};
pub use json::json;

use crate::outcome::RunReport;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            other => Err(format!("unknown format `{other}`: human or json")),
        }
    }
}

/// The report in `format`, ending with a newline.
pub fn render(report: &RunReport, format: Format, style: HumanStyle) -> String {
    match format {
        Format::Human => human(report, style),
        Format::Json => json(report),
    }
}
