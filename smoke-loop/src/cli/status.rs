//! `status`: the status page read from a state folder, with no loop in this process: a summary
//! for the terminal, the JSON figures, or the page written once to a file (a static page
//! published from cron, the Upptime way). It reads beside a running `watch` without its lock:
//! every file it reads is replaced atomically, so it sees the old one or the new one, whole.

use super::{CliError, StatusArgs};
use crate::history::History;
use crate::rollup::Rollup;
use crate::state_dir::{default_state_dir, read_state};
use crate::status::{status_html, status_json, status_text, Sources, STRIP_CELLS};
use smoke_core::engine::Mode;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Entries of the results log kept per probe: the strip's, so reading a log of a thousand
/// probes stays within a few megabytes ("since" then reaches back that many ticks at most;
/// an incident says when it opened).
const HISTORY_WINDOW: usize = STRIP_CELLS;

pub fn status(args: &StatusArgs, mode: Mode) -> Result<u8, CliError> {
    let dir = folder(args, mode)?;
    if !dir.is_dir() {
        return Err(CliError::NoStateFolder(dir));
    }
    // A file that cannot be read (refused, past the limit, holding what no loop writes) is the
    // one line of exit 3: a page made without it would show less than the folder holds, and
    // not say why.
    let state = read_state(&dir)?;
    let rollup = Rollup::load(&dir)?;
    let history = History::load(&dir, HISTORY_WINDOW)?;
    let src = Sources {
        report: None,
        history: &history,
        state: Some(&state.core),
        proofs: Some(&state.proofs),
        unprobed: &state.unprobed,
        rollup: Some(&rollup),
        links: &|_| None,
        drifting: Some(&state.drifting),
        baseline: state.baseline_taken,
        now: jiff::Timestamp::now(),
    };
    if let Some(file) = &args.html {
        write_page(file, &status_html(&src))?;
        return Ok(0);
    }
    let text = if args.json {
        format!("{:#}\n", status_json(&src))
    } else {
        status_text(&src)
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(0)
}

/// `--state-dir`, else the default folder of `--panel`'s panel on this side.
fn folder(args: &StatusArgs, mode: Mode) -> Result<PathBuf, CliError> {
    if let Some(dir) = &args.state_dir {
        return Ok(dir.clone());
    }
    let Some(path) = &args.panel else {
        return Err(CliError::NoStateDir);
    };
    let panel = smoke_core::engine::load(path, &crate::config::load_options(Vec::new()))?;
    Ok(default_state_dir(&panel.name, mode.as_str()))
}

/// Replaces `file` whole (a web server never serves half a page), readable by all: it is
/// written to be published.
fn write_page(file: &Path, html: &str) -> Result<(), CliError> {
    super::write_file(file, "--html", html.as_bytes(), 0o644)
}
