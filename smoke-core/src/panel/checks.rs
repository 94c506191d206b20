//! Checks on single values that more than one part of the panel needs: names that become
//! folders, text that goes into a request header, URLs smoke calls.

use super::limits::{MAX_NAME_CHARS, MAX_RETRY_DELAY, MAX_SERVICES};
use crate::units::format_duration;
use std::time::Duration;

/// A probe or panel name: one safe path component (it names the state folder and metric
/// labels), so never `/`, `\`, `.`, `..`, whitespace, a backtick (it is quoted in forge issues)
/// or a control character, and never a group's key.
pub(super) fn name(what: &str, name: &str) -> Result<(), String> {
    let why = "it names the state folder, issue markers and metrics";
    if name.is_empty() || name == "." || name == ".." {
        return Err(format!("{what} \"{}\" must be a word: {why}", escape(name)));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "{what} is {} chars long; the limit is {MAX_NAME_CHARS}",
            name.chars().count()
        ));
    }
    if name.starts_with(crate::incident::GROUP_PREFIX) {
        return Err(format!(
            "{what} \"{}\" starts with `{}`, which names a group of failures",
            escape(name),
            crate::incident::GROUP_PREFIX
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|&c| c.is_whitespace() || c.is_control() || c == '/' || c == '\\' || c == '`')
    {
        return Err(format!(
            "{what} \"{}\" must be one word without {}: {why}",
            escape(name),
            match c {
                '/' | '\\' => format!("`{c}`"),
                '`' => "backticks".to_string(),
                c if c.is_whitespace() && !c.is_control() => "spaces".to_string(),
                c => format!("control characters ({})", c.escape_default()),
            }
        ));
    }
    Ok(())
}

/// Text sent as a header value (a context): no control character may reach the request.
pub(super) fn header_text(what: &str, text: &str) -> Result<(), String> {
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "{what} \"{}\" has a control character ({}): it is sent as a header",
            escape(text),
            c.escape_default()
        )),
        None => Ok(()),
    }
}

/// A probe's own period: a whole number of seconds or more, as the panel's is.
pub(super) fn every(every: Duration) -> Result<(), String> {
    match every < Duration::from_secs(1) {
        true => Err(format!(
            "every = \"{}\" is too short: a probe's every must be at least 1s",
            format_duration(every)
        )),
        false => Ok(()),
    }
}

/// The pause between tries: retries belong to one tick, so a long one would stall the loop.
pub(super) fn retry_delay(delay: Duration) -> Result<(), String> {
    if delay > MAX_RETRY_DELAY {
        return Err(format!(
            "retry_delay = \"{}\" is too long: the limit is {}",
            format_duration(delay),
            format_duration(MAX_RETRY_DELAY)
        ));
    }
    Ok(())
}

/// A body cap of nothing would fail every probe on its first byte.
pub(super) fn max_body(bytes: u64) -> Result<(), String> {
    if bytes == 0 {
        return Err("max_body must be more than 0B".to_string());
    }
    Ok(())
}

/// A cap of no service would leave every `for_each` probe nothing to expand over; past the
/// limit a tick's probes are no longer bounded by the panel's author.
pub(super) fn max_services(n: u64) -> Result<usize, String> {
    match usize::try_from(n) {
        Ok(0) => Err("max_services = 0: it must be at least 1".to_string()),
        Ok(n) if n <= MAX_SERVICES => Ok(n),
        _ => Err(format!(
            "max_services = {n} is too many: the limit is {MAX_SERVICES}"
        )),
    }
}

/// Quotes a value in a message without its control characters.
fn escape(text: &str) -> String {
    text.chars()
        .flat_map(char::escape_debug)
        .collect::<String>()
}

/// A factor of 1 or less would call every tick's noise drift; past 1,000 nothing would be.
pub(super) fn latency_drift(k: f64) -> Result<f64, String> {
    match k.is_finite() && k > 1.0 && k <= 1_000.0 {
        true => Ok(k),
        false => Err(format!(
            "latency_drift = {k} must be more than 1 and at most 1000: how many times its baseline p95 a latency must be to drift"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_one_safe_path_component() {
        assert!(name("probe name", "health-{service}").is_ok());
        for bad in ["", ".", "..", "../../x", "a/b", "a\\b", "a b", "a\nb"] {
            assert!(name("probe name", bad).is_err(), "{bad:?}");
        }
        assert!(name("probe name", &"x".repeat(MAX_NAME_CHARS + 1))
            .unwrap_err()
            .contains("the limit is 128"));
    }
}
