//! Times on the command line and in imported rows: durations like `30d`,
//! timestamps as unix seconds or SQL/ISO 8601 datetimes, and UTC dates for
//! text output. Calendar arithmetic is the proleptic Gregorian calendar in
//! days since 1970-01-01.

use std::time::{SystemTime, UNIX_EPOCH};

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// The wall clock in unix seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A duration such as `30d`, `12h`, `90m` or `3600s`: a positive whole
/// number and one unit.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let unit_at = text.char_indices().last().map_or(0, |(at, _)| at);
    let (number, unit) = text.split_at(unit_at);
    let scale = match unit {
        "d" => DAY,
        "h" => HOUR,
        "m" => MINUTE,
        "s" => 1,
        _ => {
            return Err(format!(
                "duration {text:?} needs a unit: d, h, m or s (as in 30d, 12h, 90m, 3600s)"
            ));
        }
    };
    let count = parse_digits(number)
        .ok_or_else(|| format!("duration {text:?} must be a whole number and a unit"))?;
    if count == 0 {
        return Err(format!("duration {text:?} must be longer than zero"));
    }
    count
        .checked_mul(scale)
        .ok_or_else(|| format!("duration {text:?} is too long"))
}

/// `secs` as a duration `parse_duration` reads back: in the largest unit
/// that divides it, as in `90m`, `1d`, `3601s`.
pub fn format_duration(secs: u64) -> String {
    match secs {
        0 => "0s".to_owned(),
        _ if secs.is_multiple_of(DAY) => format!("{}d", secs / DAY),
        _ if secs.is_multiple_of(HOUR) => format!("{}h", secs / HOUR),
        _ if secs.is_multiple_of(MINUTE) => format!("{}m", secs / MINUTE),
        _ => format!("{secs}s"),
    }
}

/// A whole number of ASCII digits, nothing else.
pub fn parse_digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day counted from 1970-01-01: `(year, month, day)`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `unix seconds` as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_utc(secs: u64) -> String {
    let days = i64::try_from(secs / DAY).unwrap_or(i64::MAX / 2);
    let rest = secs % DAY;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / HOUR,
        rest % HOUR / MINUTE,
        rest % MINUTE
    )
}

/// Take `n` ASCII digits from the front of `text` as a number.
fn take_number(text: &mut &str, n: usize) -> Option<i64> {
    let head = text.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    *text = &text[n..];
    head.parse().ok()
}

/// Take `sep` from the front of `text`.
fn take_char(text: &mut &str, sep: char) -> Option<()> {
    *text = text.strip_prefix(sep)?;
    Some(())
}

/// A UTC offset in seconds: `Z`, `+HH:MM`, `+HHMM`, `+HH` (or `-`), or
/// nothing (UTC).
fn offset(mut text: &str) -> Option<i64> {
    if text.is_empty() || text == "Z" {
        return Some(0);
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    text = &text[1..];
    let hours = take_number(&mut text, 2)?;
    let _ = take_char(&mut text, ':');
    let minutes = if text.is_empty() {
        0
    } else {
        take_number(&mut text, 2)?
    };
    (text.is_empty() && hours < 24 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

/// A timestamp as Laravel tables hold it: unix seconds, or a datetime
/// `YYYY-MM-DD HH:MM:SS` (a `T` may replace the space) with optional
/// fractional seconds (dropped) and an optional UTC offset. A datetime
/// without an offset is read as UTC, Laravel's default `app.timezone`.
pub fn parse_timestamp(text: &str) -> Result<u64, String> {
    if let Some(secs) = parse_digits(text) {
        return Ok(secs);
    }
    let bad =
        || format!("{text:?} is neither unix seconds nor a datetime like 2024-05-01 12:30:00");
    let mut rest = text;
    let year = take_number(&mut rest, 4).ok_or_else(bad)?;
    take_char(&mut rest, '-').ok_or_else(bad)?;
    let month = take_number(&mut rest, 2).ok_or_else(bad)?;
    take_char(&mut rest, '-').ok_or_else(bad)?;
    let day = take_number(&mut rest, 2).ok_or_else(bad)?;
    take_char(&mut rest, ' ')
        .or_else(|| take_char(&mut rest, 'T'))
        .ok_or_else(bad)?;
    let hour = take_number(&mut rest, 2).ok_or_else(bad)?;
    take_char(&mut rest, ':').ok_or_else(bad)?;
    let minute = take_number(&mut rest, 2).ok_or_else(bad)?;
    take_char(&mut rest, ':').ok_or_else(bad)?;
    let second = take_number(&mut rest, 2).ok_or_else(bad)?;
    if take_char(&mut rest, '.').is_some() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = &rest[digits..];
    }
    let offset = offset(rest).ok_or_else(bad)?;
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return Err(format!("{text:?} is not a valid date and time"));
    }
    let secs =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(secs).map_err(|_| format!("{text:?} is before 1970"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_one_unit() {
        assert_eq!(parse_duration("30d"), Ok(30 * DAY));
        assert_eq!(parse_duration("12h"), Ok(12 * HOUR));
        assert_eq!(parse_duration("90m"), Ok(90 * MINUTE));
        assert_eq!(parse_duration("3600s"), Ok(3600));
        for bad in [
            "",
            "d",
            "30",
            "0s",
            "-1h",
            "1.5h",
            "1w",
            "1é",
            "é",
            "h1",
            " 1h",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn durations_are_shown_in_their_largest_whole_unit() {
        for (secs, shown) in [
            (1, "1s"),
            (60, "1m"),
            (90, "90s"),
            (5400, "90m"),
            (7200, "2h"),
        ] {
            assert_eq!(format_duration(secs), shown);
            assert_eq!(parse_duration(shown), Ok(secs));
        }
        assert_eq!(format_duration(2 * DAY), "2d");
    }

    #[test]
    fn datetimes_are_read_as_utc_unless_an_offset_says_otherwise() {
        assert_eq!(parse_timestamp("1700000000"), Ok(1_700_000_000));
        assert_eq!(parse_timestamp("1970-01-01 00:00:00"), Ok(0));
        assert_eq!(parse_timestamp("2023-11-14 22:13:20"), Ok(1_700_000_000));
        assert_eq!(parse_timestamp("2023-11-14T22:13:20Z"), Ok(1_700_000_000));
        assert_eq!(
            parse_timestamp("2023-11-14T22:13:20.123456Z"),
            Ok(1_700_000_000)
        );
        assert_eq!(
            parse_timestamp("2023-11-15T00:13:20+02:00"),
            Ok(1_700_000_000)
        );
        assert_eq!(
            parse_timestamp("2023-11-14T20:13:20-0200"),
            Ok(1_700_000_000)
        );
        assert_eq!(parse_timestamp("2024-02-29 00:00:00"), Ok(1_709_164_800));
        assert_eq!(parse_timestamp("2000-03-01 00:00:00"), Ok(951_868_800));
    }

    #[test]
    fn bad_datetimes_are_refused() {
        for bad in [
            "",
            "yesterday",
            "2023-11-14",
            "2023-11-14 22:13",
            "2023-13-01 00:00:00",
            "2023-02-29 00:00:00",
            "1900-02-29 00:00:00",
            "2023-11-14 24:00:00",
            "2023-11-14 22:13:20.",
            "2023-11-14 22:13:20+2",
            "2023-11-14 22:13:20 UTC",
            "1969-12-31 23:59:59",
            "-1",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn formatting_inverts_parsing() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(format_utc(1_709_164_800), "2024-02-29T00:00:00Z");
        for secs in (0..4_000_000_000u64).step_by(7_777_777) {
            assert_eq!(parse_timestamp(&format_utc(secs)), Ok(secs));
        }
    }
}
