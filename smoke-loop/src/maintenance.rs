//! `[[maintenance]]`: planned quiet. A window (one-off, or weekly in a time zone) in which the
//! probes it names still run and show, but tell no sink and restart nothing.

use serde::Deserialize;
use smoke_core::engine::{PanelDuration, PanelError, PanelText};
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMaintenance {
    #[serde(default)]
    probes: Vec<String>,
    start: Option<String>,
    end: Option<String>,
    every: Option<String>,
    duration: Option<PanelDuration>,
    timezone: Option<String>,
    reason: Option<String>,
}

/// Why a `[[maintenance]]` entry makes no window: the words follow `[[maintenance]]` at the
/// entry's line.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// `start` or `end` (`what`) is no timestamp (jiff's words).
    #[error("{what} `{text}` is not a time like 2026-12-01T02:00:00Z: {source}")]
    NotATime {
        what: &'static str,
        text: String,
        #[source]
        source: jiff::Error,
    },
    #[error("a one-off window is start and end; duration and timezone go with every")]
    OnceWithWeekly,
    #[error("ends before it starts")]
    EndsFirst,
    #[error("a weekly window needs a duration")]
    NoDuration,
    #[error("duration = \"0s\" is a window that never holds")]
    NoTime,
    /// A time zone jiff does not know.
    #[error("timezone `{zone}`: {source}")]
    Zone {
        zone: String,
        #[source]
        source: jiff::Error,
    },
    /// `every` is not a weekday and a time.
    #[error("every = \"{0}\" must be a weekday and a time, like \"sunday 02:00\"")]
    NotWeekly(String),
    #[error("give start and end (one-off) or every and duration (weekly, like every = \"sunday 02:00\")")]
    NoWindow,
}

/// One window.
#[derive(Debug, Clone, PartialEq)]
pub struct Maintenance {
    /// Probe names or tags; empty for every probe.
    pub probes: Vec<String>,
    pub when: Window,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    Once {
        start: jiff::Timestamp,
        end: jiff::Timestamp,
    },
    /// Each week on `weekday` at `time` in `zone`, for `duration`.
    Weekly {
        weekday: jiff::civil::Weekday,
        time: jiff::civil::Time,
        zone: jiff::tz::TimeZone,
        duration: Duration,
    },
}

impl Maintenance {
    /// Whether the window holds at `now`.
    pub fn active(&self, now: jiff::Timestamp) -> bool {
        match &self.when {
            Window::Once { start, end } => *start <= now && now < *end,
            Window::Weekly {
                weekday,
                time,
                zone,
                duration,
            } => {
                let local = now.to_zoned_datetime(zone.clone());
                // The window that began most recently: this week's, or last week's when this
                // week's has not begun yet (a window may run over midnight or the weekend).
                for back in 0..8 {
                    let Ok(day) = local.date().checked_sub(jiff::Span::new().days(back)) else {
                        continue;
                    };
                    if day.weekday() != *weekday {
                        continue;
                    }
                    let Ok(start) = day.to_datetime(*time).to_zoned_datetime(zone.clone()) else {
                        continue;
                    };
                    let start = start.timestamp();
                    if start > now {
                        continue;
                    }
                    // Checked: a window that would end past the last representable time
                    // holds until then rather than panicking the tick.
                    return match smoke_core::engine::later(start, *duration) {
                        Some(end) => now < end,
                        None => true,
                    };
                }
                false
            }
        }
    }

    /// Whether it covers the probe `name` with `tags`.
    pub fn covers(&self, name: &str, tags: &[String]) -> bool {
        smoke_core::engine::Selector(&self.probes).picks(name, tags)
    }
}

pub(crate) fn build(
    raw: toml::Spanned<RawMaintenance>,
    at: &PanelText,
) -> Result<Maintenance, PanelError> {
    let span = raw.span();
    let r = raw.into_inner();
    let err = |e: WindowError| at.error(span.clone(), format!("[[maintenance]] {e}"));
    let ts = |v: &str, what: &'static str| {
        v.parse::<jiff::Timestamp>().map_err(|source| {
            err(WindowError::NotATime {
                what,
                text: v.to_string(),
                source,
            })
        })
    };
    let when = match (&r.start, &r.end, &r.every) {
        (Some(s), Some(e), None) => {
            if r.duration.is_some() || r.timezone.is_some() {
                return Err(err(WindowError::OnceWithWeekly));
            }
            let (start, end) = (ts(s, "start")?, ts(e, "end")?);
            if end <= start {
                return Err(err(WindowError::EndsFirst));
            }
            Window::Once { start, end }
        }
        (None, None, Some(every)) => {
            let duration = r.duration.ok_or_else(|| err(WindowError::NoDuration))?.0;
            if duration.is_zero() {
                return Err(err(WindowError::NoTime));
            }
            let zone = match &r.timezone {
                Some(tz) => jiff::tz::TimeZone::get(tz).map_err(|source| {
                    err(WindowError::Zone {
                        zone: tz.clone(),
                        source,
                    })
                })?,
                None => jiff::tz::TimeZone::UTC,
            };
            let (weekday, time) = weekly(every).map_err(err)?;
            Window::Weekly {
                weekday,
                time,
                zone,
                duration,
            }
        }
        _ => return Err(err(WindowError::NoWindow)),
    };
    Ok(Maintenance {
        probes: r.probes,
        when,
        reason: r.reason.unwrap_or_else(|| "maintenance".to_string()),
    })
}

/// `"sunday 02:00"`.
fn weekly(text: &str) -> Result<(jiff::civil::Weekday, jiff::civil::Time), WindowError> {
    use jiff::civil::Weekday::*;
    let bad = || WindowError::NotWeekly(text.to_string());
    let (day, time) = text
        .trim()
        .split_once(char::is_whitespace)
        .ok_or_else(bad)?;
    let weekday = match day.to_lowercase().get(..3) {
        Some("mon") => Monday,
        Some("tue") => Tuesday,
        Some("wed") => Wednesday,
        Some("thu") => Thursday,
        Some("fri") => Friday,
        Some("sat") => Saturday,
        Some("sun") => Sunday,
        _ => return Err(bad()),
    };
    let time: jiff::civil::Time = time.trim().parse().map_err(|_| bad())?;
    Ok((weekday, time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly_window(every: &str, hours: u64, tz: &str) -> Maintenance {
        let (weekday, time) = weekly(every).unwrap();
        Maintenance {
            probes: vec![],
            when: Window::Weekly {
                weekday,
                time,
                zone: jiff::tz::TimeZone::get(tz).unwrap(),
                duration: Duration::from_secs(hours * 3600),
            },
            reason: "r".into(),
        }
    }

    #[test]
    fn a_weekly_window_holds_in_its_own_time_zone_and_over_midnight() {
        let w = weekly_window("sunday 23:00", 3, "Europe/Brussels");
        // 2026-11-29 is a Sunday; Brussels is UTC+1 in winter.
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        assert!(!w.active(t("2026-11-29T21:59:00Z")));
        assert!(w.active(t("2026-11-29T22:00:00Z")));
        assert!(
            w.active(t("2026-11-30T00:30:00Z")),
            "over midnight into Monday"
        );
        assert!(!w.active(t("2026-11-30T01:00:00Z")));
        assert!(weekly("someday 02:00").is_err() && weekly("sunday 25:00").is_err());
    }

    #[test]
    fn a_window_too_long_for_the_calendar_holds_instead_of_panicking() {
        let mut w = weekly_window("monday 00:00", 1, "UTC");
        if let Window::Weekly { duration, .. } = &mut w.when {
            *duration = Duration::from_secs(u64::MAX / 4);
        }
        let late = "9999-12-27T00:00:01Z".parse::<jiff::Timestamp>().unwrap();
        assert!(
            late.to_zoned_datetime(jiff::tz::TimeZone::UTC).weekday()
                == jiff::civil::Weekday::Monday
        );
        assert!(w.active(late));
    }

    #[test]
    fn a_window_covers_names_and_tags_or_everything() {
        let mut w = weekly_window("monday 00:00", 1, "UTC");
        assert!(w.covers("any", &[]));
        w.probes = vec!["ui".into()];
        assert!(w.covers("os-ui", &["ui".into()]) && w.covers("ui", &[]) && !w.covers("biz", &[]));
    }
}
