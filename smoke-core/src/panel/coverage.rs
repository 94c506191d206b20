//! `[coverage]`: the faults of the simulated deployment a panel knowingly does not catch. Only
//! `smoke-sim coverage` reads it, and it alone knows the fault names; here each entry is held to
//! its shape (a fault written as one word, a reason of one line) so the matrix can print it.

use super::error::PanelError;
use super::limits::{MAX_IGNORE_WHY_CHARS, MAX_NAME_CHARS};
use super::load::Locator;
use super::raw::RawCoverage;
use super::Mode;

/// `[coverage]` of a panel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Faults the panel knowingly does not catch, in panel order.
    pub ignore: Vec<IgnoredFault>,
}

/// `{ fault = "rpc-error:hero_os", side = "outside", why = "…" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredFault {
    /// As written on smoke-sim's command line: `hang:hero_foundry` for one service, `hang`
    /// for all of them, `biz-empty` for a fault of a fixed service.
    pub fault: String,
    /// The side whose blind spot it is (`side = "inside"` or `"outside"`); `None`: both.
    pub side: Option<Mode>,
    /// Why the gap is accepted: shown beside the fault in every coverage run.
    pub why: String,
    /// Line of the entry in the panel file.
    pub line: usize,
}

/// A fault name and a service name with a `:` between them.
const MAX_FAULT_CHARS: usize = 2 * MAX_NAME_CHARS + 1;

pub(super) fn build(raw: RawCoverage, at: &Locator<'_>) -> Result<Coverage, PanelError> {
    let mut ignore: Vec<IgnoredFault> = Vec::with_capacity(raw.ignore.len());
    for entry in raw.ignore {
        let line = at.lines.line(entry.span().start);
        let entry = entry.into_inner();
        let placed = |span: std::ops::Range<usize>, m: String| PanelError {
            probe: None,
            ..at.error(span, format!("[coverage] ignore: {m}"))
        };
        let fault = entry.fault.get_ref().trim();
        if let Err(e) = fault_name(fault) {
            return Err(placed(entry.fault.span(), e.to_string()));
        }
        let side = match &entry.side {
            None => None,
            Some(said) => {
                Some(side(said.get_ref()).map_err(|e| placed(said.span(), e.to_string()))?)
            }
        };
        // One side ignored twice, or a side again beside both: the second says nothing new.
        let overlaps = |i: &&IgnoredFault| {
            i.fault == fault && (i.side.is_none() || side.is_none() || i.side == side)
        };
        if let Some(first) = ignore.iter().find(overlaps) {
            let m = format!(
                "fault \"{fault}\" is ignored twice (first on line {})",
                first.line
            );
            return Err(placed(entry.fault.span(), m));
        }
        let why = entry.why.get_ref().trim();
        if let Err(e) = reason(why) {
            return Err(placed(entry.why.span(), e.to_string()));
        }
        ignore.push(IgnoredFault {
            fault: fault.to_string(),
            side,
            why: why.to_string(),
            line,
        });
    }
    Ok(Coverage { ignore })
}

/// What is wrong with an entry of `[coverage] ignore`.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("fault is empty: name one, like \"rpc-error:hero_os\"")]
    EmptyFault,
    #[error("fault is {0} chars long; a fault and its service are at most {MAX_FAULT_CHARS}")]
    LongFault(usize),
    #[error("fault \"{}\" must be one word, as smoke-sim --fault takes it (found {found:?})", crate::text::escape_controls(.fault))]
    FaultNotAWord { fault: String, found: char },
    #[error("side \"{}\" is neither \"inside\" nor \"outside\"", crate::text::escape_controls(.0))]
    Side(String),
    #[error("why is empty: say why this fault needs no probe")]
    EmptyWhy,
    #[error("why is {0} chars long; the limit is {MAX_IGNORE_WHY_CHARS} (one line of the matrix)")]
    LongWhy(usize),
    #[error("why must be one line of text (found {})", .0.escape_default())]
    WhyNotOneLine(char),
}

fn fault_name(fault: &str) -> Result<(), Refused> {
    if fault.is_empty() {
        return Err(Refused::EmptyFault);
    }
    let chars = fault.chars().count();
    if chars > MAX_FAULT_CHARS {
        return Err(Refused::LongFault(chars));
    }
    if let Some(found) = fault.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(Refused::FaultNotAWord {
            fault: fault.to_string(),
            found,
        });
    }
    Ok(())
}

/// `inside` or `outside`, as the coverage matrix says them; `internal` and `external`, as the
/// panel's tables and the binaries say them.
fn side(said: &str) -> Result<Mode, Refused> {
    match said.trim() {
        "inside" | "internal" => Ok(Mode::Internal),
        "outside" | "external" => Ok(Mode::External),
        other => Err(Refused::Side(other.to_string())),
    }
}

fn reason(why: &str) -> Result<(), Refused> {
    if why.is_empty() {
        return Err(Refused::EmptyWhy);
    }
    let chars = why.chars().count();
    if chars > MAX_IGNORE_WHY_CHARS {
        return Err(Refused::LongWhy(chars));
    }
    if let Some(c) = why.chars().find(|c| c.is_control()) {
        return Err(Refused::WhyNotOneLine(c));
    }
    Ok(())
}
