//! Tier labels (`Tier 1`, `T2`, `3`, `3.0`, or a label the config maps)
//! read as tiers 1 to 3.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Location, Result};

use super::columns::polars_err;

fn parse_tier(raw: &str, labels: &BTreeMap<String, u8>) -> Option<u8> {
    let t = raw.trim().to_lowercase();
    if let Some(v) = labels.get(&t) {
        return Some(*v);
    }
    let digits = t
        .strip_prefix("tier")
        .or_else(|| t.strip_prefix('t'))
        .unwrap_or(&t)
        .trim_start_matches([' ', '_', '-']);
    match digits {
        "1" => Some(1),
        "2" => Some(2),
        "3" => Some(3),
        _ => integral_float_tier(digits),
    }
}

/// A tier written as an integral float (`3.0`), as pandas writes an integer
/// column with nulls. Only 1.0, 2.0 and 3.0 are tiers; `2.5` is not.
fn integral_float_tier(text: &str) -> Option<u8> {
    if !text.contains('.') {
        return None;
    }
    let v = text.parse::<f64>().ok()?;
    [1u8, 2, 3].into_iter().find(|&t| v == f64::from(t))
}

pub(crate) fn tiers(
    path: &Path,
    name: &str,
    col: &Column,
    labels: &BTreeMap<String, u8>,
) -> Result<Vec<Option<u8>>> {
    let s = col
        .as_materialized_series()
        .cast(&DataType::String)
        .map_err(|e| polars_err(path, name, e))?;
    let ca = s.str().map_err(|e| polars_err(path, name, e))?;
    let mut out = Vec::with_capacity(ca.len());
    for v in ca.iter() {
        match v.map(str::trim) {
            None | Some("") => out.push(None),
            Some(raw) => match parse_tier(raw, labels) {
                Some(t) if (1..=3).contains(&t) => out.push(Some(t)),
                _ => {
                    return Err(Error::input(
                        "unrecognised tier label",
                        Location::file(path).column(name).value(raw),
                        format!(
                            "tiers are 1, 2, 3 or 'Tier 1'..'Tier 3'; map other labels in the config file, \
                             e.g. [accounts.tier_labels] \"{raw}\" = 1"
                        ),
                    ))
                }
            },
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_labels_accept_numbers_and_tier_words() {
        let mut labels = BTreeMap::new();
        labels.insert("strategic account".to_string(), 1);
        assert_eq!(parse_tier("Tier 1", &labels), Some(1));
        assert_eq!(parse_tier("tier_2", &labels), Some(2));
        assert_eq!(parse_tier("3", &labels), Some(3));
        assert_eq!(parse_tier("T2", &labels), Some(2));
        assert_eq!(parse_tier("Strategic account", &labels), Some(1));
        assert_eq!(parse_tier("Gold", &labels), None);
    }

    #[test]
    fn integral_floats_are_tiers_and_other_floats_are_not() {
        let labels = BTreeMap::new();
        assert_eq!(parse_tier("1.0", &labels), Some(1));
        assert_eq!(parse_tier("2.0", &labels), Some(2));
        assert_eq!(parse_tier("3.0", &labels), Some(3));
        assert_eq!(parse_tier("3.00", &labels), Some(3));
        assert_eq!(parse_tier("2.5", &labels), None);
        assert_eq!(parse_tier("4.0", &labels), None);
        assert_eq!(parse_tier("0.0", &labels), None);
        assert_eq!(parse_tier("NaN", &labels), None);
    }
}
