//! Which vantage point runs the panel: a label on every metric, alert and JSON report, so
//! Prometheus can count how many hosts see a failure. `--set panel.vantage`, then
//! `SMOKE_VANTAGE`, then `[panel] vantage`, then the host name.

use super::checks;
use super::limits::MAX_NAME_CHARS;

/// The environment variable that names the vantage point.
pub(crate) const VANTAGE_ENV: &str = "SMOKE_VANTAGE";

/// The label when nothing names the vantage point and the host name is unusable.
pub const UNKNOWN_VANTAGE: &str = "unknown";

/// The host name, if the kernel gives one.
pub fn host_name() -> Option<String> {
    // 256 bytes: HOST_NAME_MAX is 64 on Linux, 255 by POSIX.
    let mut buf = [0u8; 256];
    // SAFETY: the pointer and length describe `buf`, which outlives the call.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// A host name as a label: every character a name may not hold becomes `-`, the length is
/// cut to the name limit, and a name that is still refused becomes [`UNKNOWN_VANTAGE`]. A host
/// name is not the operator's typing, so it is mended rather than refused.
pub fn from_host_name(host: &str) -> String {
    let mended: String = host
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | '`') {
                '-'
            } else {
                c
            }
        })
        .take(MAX_NAME_CHARS)
        .collect();
    match checks::name("vantage", &mended) {
        Ok(()) => mended,
        Err(_) => UNKNOWN_VANTAGE.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_name_is_mended_into_a_label() {
        assert_eq!(
            from_host_name("probe-eu-1.example.org"),
            "probe-eu-1.example.org"
        );
        assert_eq!(from_host_name("a b\u{1b}[31m/c"), "a-b-[31m-c");
        assert_eq!(from_host_name(""), UNKNOWN_VANTAGE);
        assert_eq!(from_host_name(".."), UNKNOWN_VANTAGE);
        assert_eq!(from_host_name(&"x".repeat(1000)).len(), MAX_NAME_CHARS);
    }

    #[test]
    fn this_host_has_a_name_that_makes_a_label() {
        let label = from_host_name(&host_name().unwrap_or_default());
        assert!(checks::name("vantage", &label).is_ok(), "{label:?}");
    }
}
