//! Durations (`800ms`, `2s`, `10m`) and sizes (`1KiB`, `4MiB`): one parser for the panel and the
//! condition language, so both read the same words the same way.

use std::time::Duration;

/// The longest duration smoke reads anywhere (panel, condition, `mute --for`): ten years. Past
/// it a window, a mute or a delay is a typo, and time arithmetic on it could overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 86_400);

/// Why a duration or a size could not be read; its words say how to write one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// A number without a unit.
    #[error("`{0}` has no unit: write it as 800ms, 5s, 10m, 2h or 1d")]
    NoUnit(String),
    /// Not a duration at all.
    #[error("`{0}` is not a duration: write it as 800ms, 5s, 10m, 2h or 1d")]
    NotADuration(String),
    /// A duration with a unit it does not know.
    #[error("`{text}` has an unknown unit `{unit}`: use us, ms, s, m, h or d")]
    UnknownDurationUnit {
        /// The duration as written.
        text: String,
        /// The unit it does not know.
        unit: String,
    },
    /// Longer than [`MAX_DURATION`].
    #[error("`{0}` is too long: durations are at most {max}d (ten years)", max = MAX_DURATION.as_secs() / 86_400)]
    TooLong(String),
    /// Not a size at all.
    #[error("`{0}` is not a size: write it as 512B, 64KiB or 4MiB")]
    NotASize(String),
    /// A size with a unit it does not know.
    #[error("`{text}` has an unknown unit `{unit}`: use B, KiB, MiB, GiB, KB, MB or GB")]
    UnknownSizeUnit {
        /// The size as written.
        text: String,
        /// The unit it does not know.
        unit: String,
    },
}

/// Parses `800ms`, `1.5s`, `10m`, `2h`, `1d`, `250us`; a bare number is refused because its unit
/// would be a guess.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| UnitError::NoUnit(t.to_string()))?;
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| UnitError::NotADuration(t.to_string()))?;
    let secs = match unit.trim() {
        "us" | "µs" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        other => {
            return Err(UnitError::UnknownDurationUnit {
                text: t.to_string(),
                unit: other.to_string(),
            })
        }
    };
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if d <= MAX_DURATION => Ok(d),
        _ => Err(UnitError::TooLong(t.to_string())),
    }
}

/// `at` plus `by`, or `None` past the last time jiff can hold: a period, a mute or a window
/// as long as the panel allows must never panic the tick that adds it.
pub fn later(at: jiff::Timestamp, by: Duration) -> Option<jiff::Timestamp> {
    jiff::SignedDuration::try_from(by)
        .ok()
        .and_then(|by| at.checked_add(by).ok())
}

/// Formats a duration the way a person reads it in a report line: `850ms`, `1.2s`, `5s`, `10m`.
pub fn format_duration(d: Duration) -> String {
    let (n, unit) = duration_parts(d, false);
    format!("{n}{unit}")
}

/// Formats a latency the way the status page shows it: `0.4 ms`, `2.5 ms`, `12 ms`, `1.2 s`.
/// Under 10 ms it keeps a tenth (under 0.1 ms, its first digit): a probe on loopback answers in
/// a fraction of a millisecond, and a whole number would read `0 ms` for it, as if it had not
/// run. No more digits than that: the page's medians are known to about 9%.
pub fn format_latency(d: Duration) -> String {
    let (n, unit) = duration_parts(d, true);
    format!("{n} {unit}")
}

/// The number and unit of [`format_duration`] and of [`format_latency`] (`fine`): one set of
/// thresholds, so a report line and the status page never disagree on where seconds begin.
fn duration_parts(d: Duration, fine: bool) -> (String, &'static str) {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 1.0 && !fine {
        (d.as_micros().to_string(), "us")
    } else if ms < 10.0 && fine {
        (tenths(ms), "ms")
    } else if ms < 1000.0 {
        ((ms.round() as u64).to_string(), "ms")
    } else if d.as_secs() < 60 {
        let s = d.as_secs_f64();
        if (s - s.round()).abs() < 0.05 {
            ((s.round() as u64).to_string(), "s")
        } else {
            (format!("{s:.1}"), "s")
        }
    } else if d.as_secs() < 3600 && d.as_secs().is_multiple_of(60) {
        // `10 m` alone on a page could be metres; a report line's `10m` is the panel's word.
        (
            (d.as_secs() / 60).to_string(),
            if fine { "min" } else { "m" },
        )
    } else if d.as_secs().is_multiple_of(3600) {
        ((d.as_secs() / 3600).to_string(), "h")
    } else {
        (d.as_secs().to_string(), "s")
    }
}

/// `x` (under 10) to a tenth, or under 0.1 to its first digit, at most three decimals, without
/// trailing zeros: `0.4`, `0.05`, `2.5`, `3`.
fn tenths(x: f64) -> String {
    if x <= 0.0 {
        return "0".to_string();
    }
    let decimals = (-(x.log10().floor() as i32)).clamp(1, 3) as usize;
    let text = format!("{x:.decimals$}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A long span in its two largest units: `2d 1h`, `3h 12m`, `40s`; under an hour, the minutes
/// with their seconds (`50m 0s`, for an incident's duration) or alone (`50m`, for a "since").
pub fn format_span(secs: u64, with_seconds: bool) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) if with_seconds => format!("{m}m {s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// Parses `512`, `512B`, `1KiB`, `4MiB`, `1GiB`, `10KB` (decimal) into bytes.
pub(crate) fn parse_size(text: &str) -> Result<u64, UnitError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| UnitError::NotASize(t.to_string()))?;
    let factor: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        other => {
            return Err(UnitError::UnknownSizeUnit {
                text: t.to_string(),
                unit: other.to_string(),
            })
        }
    };
    Ok((value * factor).round() as u64)
}

/// Formats a byte count with a binary unit: `512B`, `1.5KiB`, `4MiB`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || (value - value.round()).abs() < 0.05 {
        format!("{}{}", value.round() as u64, UNITS[unit])
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

/// A duration as it appears in a panel file: deserialized from `"5s"`, so a bad one is a serde
/// error that carries the file position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PanelDuration(pub Duration);

impl<'de> serde::Deserialize<'de> for PanelDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text)
            .map(PanelDuration)
            .map_err(serde::de::Error::custom)
    }
}

/// A size as it appears in a panel file: `"4MiB"` or a plain number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PanelSize(pub u64);

impl<'de> serde::Deserialize<'de> for PanelSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(PanelSize(n)),
            Raw::Text(t) => parse_size(&t)
                .map(PanelSize)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("800ms").unwrap(), Duration::from_millis(800));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert!(parse_duration("5")
            .unwrap_err()
            .to_string()
            .contains("no unit"));
        assert!(parse_duration("3650d").is_ok());
        assert!(parse_duration("3651d")
            .unwrap_err()
            .to_string()
            .contains("at most 3650d"));
        assert!(parse_duration("9999999999999999999999999d")
            .unwrap_err()
            .to_string()
            .contains("at most 3650d"));
        assert!(parse_duration("5 parsecs")
            .unwrap_err()
            .to_string()
            .contains("unknown unit"));
        assert_eq!(format_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(format_duration(Duration::from_secs(5)), "5s");
        assert_eq!(format_duration(Duration::from_millis(1250)), "1.2s");
        assert_eq!(format_duration(Duration::from_secs(600)), "10m");
        assert_eq!(format_duration(Duration::from_micros(400)), "400us");
    }

    #[test]
    fn latencies_keep_a_fraction_of_a_millisecond() {
        let us = |n| format_latency(Duration::from_micros(n));
        assert_eq!(us(0), "0 ms");
        assert_eq!(us(1), "0.001 ms");
        assert_eq!(us(50), "0.05 ms");
        assert_eq!(us(400), "0.4 ms");
        assert_eq!(us(437), "0.4 ms");
        assert_eq!(us(395), "0.4 ms");
        assert_eq!(us(96), "0.1 ms");
        assert_eq!(us(999), "1 ms");
        assert_eq!(us(2_500), "2.5 ms");
        assert_eq!(us(9_990), "10 ms");
        assert_eq!(us(12_300), "12 ms");
        assert_eq!(us(850_000), "850 ms");
        assert_eq!(us(1_250_000), "1.2 s");
        assert_eq!(us(5_000_000), "5 s");
        assert_eq!(us(600_000_000), "10 min");
    }

    #[test]
    fn sizes_use_binary_and_decimal_units() {
        assert_eq!(parse_size("1KiB").unwrap(), 1024);
        assert_eq!(parse_size("4MiB").unwrap(), 4 * 1024 * 1024);
        assert_eq!(parse_size("10KB").unwrap(), 10_000);
        assert_eq!(parse_size("512").unwrap(), 512);
        assert!(parse_size("3 parsecs").is_err());
        assert_eq!(format_size(512), "512B");
        assert_eq!(format_size(4 * 1024 * 1024), "4MiB");
        assert_eq!(format_size(1536), "1.5KiB");
    }
}
