//! Calendar dates as days since 1970-01-01: parsing ISO 8601 text and
//! printing `YYYY-MM-DD`. A leaf: the readers, the data contract and the
//! generator all use it.

use chrono::{NaiveDate, NaiveDateTime};

pub fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

/// Parse an ISO 8601 date or datetime into days since 1970-01-01.
///
/// The common shapes (`2026-03-31`, `2026-03-31 14:00:00`,
/// `2026-03-31T14:00:00.123Z`) are read byte by byte: chrono's format
/// parser costs microseconds a value, which at ten million deals is most
/// of a CSV read. Anything else goes through chrono, so both paths accept
/// exactly the same text (a test checks this on generated strings).
pub fn parse_date(raw: &str) -> Option<i32> {
    match simple_iso_date(raw.as_bytes()) {
        Some(date) => i32::try_from((date - epoch()).num_days()).ok(),
        None => parse_date_chrono(raw),
    }
}

/// The number an all-digit byte string spells; `None` for any other byte.
fn digits(d: &[u8]) -> Option<u32> {
    d.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// `YYYY-MM-DD`, optionally followed by `[ T]HH:MM:SS`, a fraction of 1–9
/// digits, and `Z` or an offset (`+02:00`, `+0200`); `None` for any other
/// text, valid or not.
fn simple_iso_date(b: &[u8]) -> Option<NaiveDate> {
    let num = |from: usize, to: usize| digits(b.get(from..to)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(date);
    }
    let time_ok = matches!(rest.first(), Some(b' ' | b'T'))
        && rest.get(3) == Some(&b':')
        && rest.get(6) == Some(&b':')
        && num(11, 13)? < 24
        && num(14, 16)? < 60
        && num(17, 19)? < 60;
    let mut tail = b.get(19..)?;
    if let Some((b'.', after)) = tail.split_first() {
        let fraction = after.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&fraction) {
            return None;
        }
        tail = &after[fraction..];
    }
    let zone_ok = match tail {
        [] | [b'Z'] => true,
        [b'+' | b'-', h @ .., b':', m1, m2] | [b'+' | b'-', h @ .., m1, m2] if h.len() == 2 => {
            digits(h).is_some_and(|h| h < 24) && digits(&[*m1, *m2]).is_some_and(|m| m < 60)
        }
        _ => false,
    };
    (time_ok && zone_ok).then_some(date)
}

fn parse_date_chrono(raw: &str) -> Option<i32> {
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            [
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S%.f",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(raw.trim_end_matches('Z'), f).ok())
            .map(|dt| dt.date())
        })
        .or_else(|| {
            // With an offset, `+02:00` or `+0200` (Salesforce writes the
            // latter): the date as written, not moved to UTC.
            chrono::DateTime::parse_from_rfc3339(raw)
                .ok()
                .or_else(|| {
                    ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"]
                        .iter()
                        .find_map(|f| chrono::DateTime::parse_from_str(raw, f).ok())
                })
                .map(|d| d.date_naive())
        })?;
    i32::try_from((date - epoch()).num_days()).ok()
}

/// Format days since 1970-01-01 as `YYYY-MM-DD`.
pub fn format_date(days: i32) -> String {
    epoch()
        .checked_add_signed(chrono::Duration::days(i64::from(days)))
        .map_or_else(
            || format!("{days} days from 1970-01-01"),
            |d| d.format("%Y-%m-%d").to_string(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_and_datetimes_parse_to_days_since_epoch() {
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(parse_date("2026-01-01"), Some(20_454));
        assert_eq!(parse_date("2026-01-01 23:59:59"), Some(20_454));
        assert_eq!(parse_date("2026-01-01T10:00:00Z"), Some(20_454));
        assert_eq!(parse_date("2026-01-01T23:30:00.000+0000"), Some(20_454));
        assert_eq!(parse_date("2026-01-01T23:30:00-05:00"), Some(20_454));
        assert_eq!(parse_date("2026-01-01 01:30:00+0530"), Some(20_454));
        assert_eq!(parse_date("01/02/2026"), None);
        assert_eq!(format_date(20_454), "2026-01-01");
    }

    #[test]
    fn the_byte_parser_accepts_what_chrono_accepts_and_nothing_else() {
        // Strings near the shapes the byte parser takes, with each position
        // varied: wrong digits, wrong separators, out-of-range fields,
        // fractions of every length, stray suffixes.
        let bases = [
            "2026-03-31",
            "2024-02-29",
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "0000-01-01",
            "1969-12-31",
            "2026-03-31 23:59:59",
            "2026-03-31T00:00:00",
            "2026-03-31T24:00:00",
            "2026-03-31 12:60:00",
            "2026-03-31 12:00:60",
            "2026-03-31T10:00:00Z",
            "2026-03-31T10:00:00ZZ",
            "2026-03-31T10:00:00.5",
            "2026-03-31T10:00:00.123456789Z",
            "2026-03-31T10:00:00.1234567890",
            "2026-03-31T10:00:00.",
            "2026-03-31T10:00:00+02:00",
            "2026-03-31T10:00:00.25-05:30",
            "2026-03-31T10:00:00.000+0000",
            "2026-03-31 10:00:00-0830",
            "2026-03-31T10:00:00+23:59",
            "2026-03-31T10:00:00+02",
            "2026-03-31T10:00:00.5Z+02:00",
            "2026-03-31 10:00",
            "2026-3-31",
            "2026-03-3",
            "+2026-03-31",
            "20260331",
        ];
        let alphabet = b"0123456789-: TZ.+x";
        let mut checked = 0;
        for base in bases {
            let mut variants = vec![base.to_string(), format!("{base} "), format!("{base}Z")];
            variants.push(base[..base.len() - 1].to_string());
            for i in 0..base.len() {
                for &c in alphabet {
                    let mut v = base.as_bytes().to_vec();
                    v[i] = c;
                    variants.push(String::from_utf8(v).unwrap());
                }
            }
            for v in variants {
                assert_eq!(
                    parse_date(&v),
                    parse_date_chrono(&v),
                    "the byte parser and chrono disagree on {v:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 7000, "{checked} strings checked");
        // The fast path is taken, not only the fallback.
        assert!(simple_iso_date(b"2026-03-31T10:00:00.123Z").is_some());
        assert!(simple_iso_date(b"2026-03-31").is_some());
        assert!(simple_iso_date(b"2026-03-31T10:00:00.000+0000").is_some());
        assert!(simple_iso_date(b"2026-03-31 10:00:00-05:30").is_some());
    }
}
