//! A certificate's dates in the words an operator reads: days left, and when it ends.

use crate::observation::CertInfo;

/// Whole days from `now` to `then`, rounded towards minus infinity: a certificate that ended an
/// hour ago has -1 days left, never 0.
pub fn days_between(now: jiff::Timestamp, then: jiff::Timestamp) -> i64 {
    (then.as_second() - now.as_second()).div_euclid(86_400)
}

/// A date as a person reads it in a report line.
pub fn date(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// One line on a certificate's expiry: "expires in 10 days (2026-12-08 03:00 UTC)" or
/// "expired 2 days ago (...)".
pub fn describe(info: &CertInfo) -> String {
    describe_at(info, jiff::Timestamp::now())
}

/// [`describe`] as seen at `now`. Whole days either way, counted from the end date: ended 2
/// days and a minute ago is "2 days ago", ends in 9 days and 23 hours is "in 9 days".
pub(crate) fn describe_at(info: &CertInfo, now: jiff::Timestamp) -> String {
    let when = date(info.not_after);
    if info.not_after <= now {
        match days_between(info.not_after, now) {
            0 => format!("certificate expired today ({when})"),
            ago => format!("certificate expired {} ago ({when})", days(ago)),
        }
    } else {
        match days_between(now, info.not_after) {
            0 => format!("certificate expires today ({when})"),
            left => format!("certificate expires in {} ({when})", days(left)),
        }
    }
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_left_round_down_so_an_expired_certificate_is_negative() {
        let now = jiff::Timestamp::from_second(1_000_000).unwrap();
        let hour_ago = jiff::Timestamp::from_second(1_000_000 - 3600).unwrap();
        let ten_days = jiff::Timestamp::from_second(1_000_000 + 10 * 86_400 + 60).unwrap();
        assert_eq!(days_between(now, hour_ago), -1);
        assert_eq!(days_between(now, ten_days), 10);
    }

    #[test]
    fn expiry_reads_in_whole_days_from_the_end_date() {
        let now = jiff::Timestamp::from_second(1_000_000_000).unwrap();
        let at = |secs: i64| CertInfo {
            not_after: jiff::Timestamp::from_second(1_000_000_000 + secs).unwrap(),
            days_left: days_between(
                now,
                jiff::Timestamp::from_second(1_000_000_000 + secs).unwrap(),
            ),
            issuer: String::new(),
            subject: String::new(),
        };
        let day = 86_400;
        assert!(
            describe_at(&at(10 * day + 60), now).starts_with("certificate expires in 10 days (")
        );
        assert!(describe_at(&at(10 * day - 60), now).starts_with("certificate expires in 9 days ("));
        assert!(describe_at(&at(-2 * day), now).starts_with("certificate expired 2 days ago ("));
        assert!(
            describe_at(&at(-2 * day - 60), now).starts_with("certificate expired 2 days ago (")
        );
        assert!(describe_at(&at(-day), now).starts_with("certificate expired 1 day ago ("));
        assert!(describe_at(&at(-3600), now).starts_with("certificate expired today ("));
    }
}
