//! Wall-clock helpers (UTC, RFC 3339) without a date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The current time as `YYYY-MM-DDThh:mm:ssZ`.
pub fn now_rfc3339() -> String {
    rfc3339(unix_now())
}

/// Formats Unix seconds as RFC 3339 UTC.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}

/// Parses `YYYY-MM-DD` (midnight UTC) or RFC 3339 `YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)`
/// (`t` or a space may stand for `T`, `z` for `Z`) to Unix seconds.
///
/// Strict: ASCII digits in their fixed widths, a day that exists in its month, seconds up
/// to 60 (a leap second), no surrounding spaces.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let (date, rest) = if s.len() > 10 {
        s.split_at_checked(10)?
    } else {
        (s, "")
    };
    let days = parse_date(date)?;
    if rest.is_empty() {
        return Some(days * 86_400);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, offset) = split_zone(rest)?;
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (clock, None),
    };
    if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let (hour, min, sec) = two_by_two(hms, ':')?;
    (hour <= 23 && min <= 59 && sec <= 60)
        .then_some(days * 86_400 + hour * 3600 + min * 60 + sec - offset)
}

/// `YYYY-MM-DD` to days since 1970-01-01, if that day exists.
fn parse_date(date: &str) -> Option<i64> {
    let (year, rest) = date.split_at_checked(4)?;
    let year = number(year)?;
    let rest = rest.strip_prefix('-')?;
    let (month, day) = rest.split_once('-')?;
    let (month, day) = (two_digits(month)?, two_digits(day)?);
    let month = u32::try_from(month).ok()?;
    let day = u32::try_from(day).ok()?;
    let ok = (1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day);
    ok.then(|| days_from_civil(year, month, day))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A run of ASCII digits (no sign, no spaces).
fn number(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn two_digits(s: &str) -> Option<i64> {
    (s.len() == 2).then(|| number(s)).flatten()
}

/// `aa:bb:cc` (with `sep`) as three two-digit numbers.
fn two_by_two(s: &str, sep: char) -> Option<(i64, i64, i64)> {
    let mut parts = s.split(sep);
    let a = two_digits(parts.next()?)?;
    let b = two_digits(parts.next()?)?;
    let c = two_digits(parts.next()?)?;
    parts.next().is_none().then_some((a, b, c))
}

/// Splits `hh:mm:ss…Z` or `hh:mm:ss…+09:00` into the clock and the offset in seconds.
fn split_zone(s: &str) -> Option<(&str, i64)> {
    if let Some(clock) = s.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    let at = s.rfind(['+', '-'])?;
    let (clock, zone) = s.split_at(at);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let (h, m) = zone[1..].split_once(':')?;
    let (h, m) = (two_digits(h)?, two_digits(m)?);
    (h <= 23 && m <= 59).then_some((clock, sign * (h * 3600 + m * 60)))
}

/// Howard Hinnant's `days_from_civil`: (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod parse_tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("1970-01-01", Some(0))]
    #[case("2023-11-14T22:13:20Z", Some(1_700_000_000))]
    #[case("2023-11-15T07:13:20+09:00", Some(1_700_000_000))]
    #[case("2023-11-14T22:13:20.5Z", Some(1_700_000_000))]
    #[case("2000-02-29", Some(951_782_400))]
    #[case("2023-13-01", None)]
    #[case("yesterday", None)]
    #[case("2023-11-14T25:00:00Z", None)]
    #[case::no_such_day("2023-02-29", None)]
    #[case::leap_day("2024-02-29T00:00:00Z", Some(1_709_164_800))]
    #[case::april_31("2024-04-31", None)]
    #[case::lower_case("2023-11-14t22:13:20z", Some(1_700_000_000))]
    #[case::space_separator("2023-11-14 22:13:20Z", Some(1_700_000_000))]
    #[case::leap_second("2016-12-31T23:59:60Z", Some(1_483_228_800))]
    #[case::signed_year("+202-01-01", None)]
    #[case::short_offset("2023-11-14T22:13:20+9:00", None)]
    #[case::fraction_not_digits("2023-11-14T22:13:20.x5Z", None)]
    #[case::empty_fraction("2023-11-14T22:13:20.Z", None)]
    #[case::no_zone("2023-11-14T22:13:20", None)]
    #[case::surrounding_space(" 2023-11-14", None)]
    #[case::non_ascii_digits("２０２３-11-14", None)]
    fn parses_dates_and_times(#[case] text: &str, #[case] want: Option<i64>) {
        assert_eq!(parse_rfc3339(text), want);
    }

    #[test]
    fn round_trips_with_rfc3339() {
        for t in [0, 86_399, 1_234_567_890, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t));
        }
    }
}
