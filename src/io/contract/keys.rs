//! Keys in order: the rows of a table in key order, its first duplicate
//! key, and each deal's account found among the accounts' keys, all by
//! sorting eight bytes of each key as integers.

use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Location, Result};

/// Rows in key order, and the first key (in key order) that appears twice,
/// if any. A null key is an error naming its row. `what` is "account" or
/// "deal".
///
/// Rows are sorted by eight bytes of each key after the prefix every key
/// shares (`A00…`, `0065g000…`), as integers held in one array, and only
/// rows whose eight bytes tie are compared as strings. Sorting the strings
/// themselves followed a pointer per comparison: at thirty million deals,
/// whose keys are out of string order from `D10000000` on, that was most of
/// reading them.
pub(super) fn sorted_keys<'a>(
    keys: &'a StringChunked,
    file: &Path,
    column: &str,
    what: &str,
) -> Result<(Vec<u32>, Option<&'a str>)> {
    if let Some(row) = keys.iter().position(|v| v.is_none()) {
        return Err(Error::input(
            format!("{what} key is null in row {}", row + 1),
            Location::file(file).column(column).value("null"),
            format!("every {what} needs a unique, non-null key"),
        ));
    }
    let key = |row: u32| keys.get(row as usize).expect("no key is null");
    let shared = shared_prefix(keys.iter().flatten());
    let mut order: Vec<(u64, u32)> = (keys.iter().flatten().enumerate())
        .map(|(row, k)| (key_bytes(k, shared), row as u32))
        .collect();
    // Exports are usually in key or creation order, which this sort finds
    // nearly done; it also makes duplicates neighbours, with no hash set.
    order.sort_unstable();
    // Runs of equal eight bytes, found by walking the array once: almost
    // every run is one row long. A binary search for each run's end, over
    // the rest of the array, cost a cache miss per step once the array
    // outgrew the cache, and took most of reading the keys at 5M rows.
    let mut duplicate = None;
    for tie in order.chunk_by_mut(|a, b| a.0 == b.0) {
        if tie.len() > 1 {
            tie.sort_unstable_by(|a, b| key(a.1).cmp(key(b.1)).then(a.1.cmp(&b.1)));
            if duplicate.is_none() {
                duplicate =
                    (tie.windows(2).find(|w| key(w[0].1) == key(w[1].1))).map(|w| key(w[0].1));
            }
        }
    }
    Ok((order.into_iter().map(|(_, row)| row).collect(), duplicate))
}

/// The length of the prefix all `keys` share, in bytes (0 for no key).
fn shared_prefix<'a>(mut keys: impl Iterator<Item = &'a str>) -> usize {
    let Some(first) = keys.next().map(str::as_bytes) else {
        return 0;
    };
    keys.fold(first.len(), |n, k| {
        (first[..n].iter().zip(k.as_bytes()))
            .take_while(|(a, b)| a == b)
            .count()
    })
}

/// Bytes `from..from + 8` of `key` (zeros past its end) as a big-endian
/// integer: keys in string order have these in integer order, or equal.
fn key_bytes(key: &str, from: usize) -> u64 {
    let mut b = [0u8; 8];
    let rest = key.as_bytes().get(from..).unwrap_or_default();
    let n = rest.len().min(8);
    b[..n].copy_from_slice(&rest[..n]);
    u64::from_be_bytes(b)
}

/// Each row's account: its index in `ids` (the account keys, in key order
/// and unique), `u32::MAX` for a null or unknown account.
///
/// The rows are sorted by eight bytes of their key after the prefix every
/// account key shares, as [`sorted_keys`] sorts keys, and walked alongside
/// the accounts, whose eight bytes are in the same order; a row's key is
/// compared only with the accounts whose eight bytes are its own (usually
/// one). A key no longer than the prefix and eight bytes is known whole
/// from them and its length, so it is not read again; a longer one is
/// compared as a string. A hash map of the accounts, looked up row by row,
/// cost a cache miss or more per deal once it outgrew the cache: in a file
/// in creation order at 5M accounts, nearly half of reading the deals.
/// A file grouped by account in key order is sorted already, which the
/// sort finds in one pass.
pub(super) fn account_rows(ids: &[String], acc_ids: &StringChunked) -> Vec<u32> {
    let from = shared_prefix(ids.iter().map(String::as_str));
    let prefix = ids.first().map_or(&b""[..], |id| &id.as_bytes()[..from]);
    const LONG: u8 = u8::MAX;
    // Per row whose key has the accounts' prefix (no other is an
    // account's): its eight bytes, its row, and its length past the prefix
    // when that is at most eight bytes, else LONG.
    let mut order: Vec<(u64, u32, u8)> = (acc_ids.iter().enumerate())
        .filter_map(|(row, k)| {
            let k = k?.trim();
            let past = k.as_bytes().strip_prefix(prefix)?.len();
            let len = if past <= 8 { past as u8 } else { LONG };
            Some((key_bytes(k, from), row as u32, len))
        })
        .collect();
    order.sort_unstable();
    let mut account = vec![u32::MAX; acc_ids.len()];
    // The first account whose eight bytes are not below the current run's.
    let mut first = 0;
    for run in order.chunk_by(|a, b| a.0 == b.0) {
        let bytes = run[0].0;
        while first < ids.len() && key_bytes(&ids[first], from) < bytes {
            first += 1;
        }
        let same = (ids[first..].iter())
            .take_while(|id| key_bytes(id, from) == bytes)
            .count();
        let candidates = &ids[first..first + same];
        for &(_, row, len) in run {
            let found = if len == LONG {
                let key = acc_ids.get(row as usize).expect("null rows are skipped");
                (candidates.binary_search_by(|id| id.as_str().cmp(key.trim()))).ok()
            } else {
                // The key is the prefix and these bytes cut at `len`.
                // Accounts that short come first among the candidates (each
                // a prefix of the next), nine at most.
                (candidates.iter().take(9)).position(|id| id.len() == from + usize::from(len))
            };
            if let Some(i) = found {
                account[row as usize] = (first + i) as u32;
            }
        }
    }
    account
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Key order by integer prefixes equals sorting the strings: keys that
    /// share a long prefix, tie in their eight bytes, end early, hold
    /// multi-byte characters, or repeat; shuffled and nearly sorted.
    #[test]
    fn key_order_equals_a_string_sort_and_finds_the_first_duplicate() {
        use rand::{seq::SliceRandom, Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(11);
        let forms: [&dyn Fn(u64) -> String; 6] = [
            &|i| format!("D{i:07}"),
            &|i| format!("0065g00000{i:08}AAA"),
            &|i| format!("acct-{}", i % 997),
            &|i| format!("x{i}"),
            &|i| format!("Zé{}", i % 13),
            &|i| "k".repeat((i % 12) as usize),
        ];
        for (f, form) in forms.iter().enumerate() {
            for shuffled in [false, true] {
                let mut keys: Vec<String> = (0..3000)
                    .map(|_| form(rng.gen_range(0..40_000_000)))
                    .collect();
                keys.extend((1..2000).map(form));
                if shuffled {
                    keys.shuffle(&mut rng);
                }
                let ca = StringChunked::from_iter_values(PlSmallStr::EMPTY, keys.iter());
                let (order, duplicate) = sorted_keys(&ca, Path::new("t"), "id", "deal").unwrap();
                let mut expected: Vec<(&str, u32)> = (keys.iter().enumerate())
                    .map(|(i, k)| (k.as_str(), i as u32))
                    .collect();
                expected.sort_unstable();
                let rows: Vec<u32> = expected.iter().map(|e| e.1).collect();
                assert_eq!(order, rows, "form {f}");
                let first = expected
                    .windows(2)
                    .find(|w| w[0].0 == w[1].0)
                    .map(|w| w[0].0);
                assert_eq!(duplicate, first, "form {f}");
            }
        }
        // Unique keys: no duplicate. A null key names its row.
        let ca = StringChunked::from_iter_values(PlSmallStr::EMPTY, ["b", "a", "ab"].iter());
        assert_eq!(
            sorted_keys(&ca, Path::new("t"), "id", "deal").unwrap(),
            (vec![1, 2, 0], None)
        );
        // Ties in the eight bytes after the shared prefix "key-" as the
        // first and the last run, and one key alone between them; the
        // duplicate reported is the first in key order, not in the file.
        let keys = [
            "key-zzzzzzzz2",
            "key-aaaaaaaa2",
            "key-m",
            "key-aaaaaaaa1",
            "key-zzzzzzzz2",
            "key-zzzzzzzz1",
            "key-aaaaaaaa1",
        ];
        let ca = StringChunked::from_iter_values(PlSmallStr::EMPTY, keys.iter());
        assert_eq!(
            sorted_keys(&ca, Path::new("t"), "id", "deal").unwrap(),
            (vec![3, 6, 1, 2, 5, 0, 4], Some("key-aaaaaaaa1"))
        );
        // One key, and one key many times over (a single run).
        let ca = StringChunked::from_iter_values(PlSmallStr::EMPTY, ["only"].iter());
        assert_eq!(
            sorted_keys(&ca, Path::new("t"), "id", "deal").unwrap(),
            (vec![0], None)
        );
        let ca = StringChunked::from_iter_values(PlSmallStr::EMPTY, ["same"; 5].iter());
        assert_eq!(
            sorted_keys(&ca, Path::new("t"), "id", "deal").unwrap(),
            (vec![0, 1, 2, 3, 4], Some("same"))
        );
        let ca = StringChunked::from_iter_options(
            PlSmallStr::EMPTY,
            [Some("b"), None, Some("a")].into_iter(),
        );
        let err = sorted_keys(&ca, Path::new("t"), "id", "deal")
            .err()
            .unwrap();
        assert!(err.to_string().contains("row 2"), "{err}");
    }

    /// `account_rows` against a plain map of the accounts.
    fn rows_as_a_map_finds_them(ids: &[String], keys: &[Option<String>]) -> Vec<u32> {
        let map: std::collections::HashMap<&str, u32> = (ids.iter().enumerate())
            .map(|(i, id)| (id.as_str(), i as u32))
            .collect();
        let found = account_rows(
            ids,
            &StringChunked::from_iter_options(PlSmallStr::EMPTY, keys.iter().cloned()),
        );
        let expected: Vec<u32> = (keys.iter())
            .map(|k| k.as_deref().and_then(|k| map.get(k.trim()).copied()))
            .map(|r| r.unwrap_or(u32::MAX))
            .collect();
        assert_eq!(found, expected);
        found
    }

    /// Each deal's account, found as a plain map finds it: in a file in
    /// key order, grouped by account, in reverse, shuffled and grouped at
    /// random; accounts without deals between, keys between two accounts,
    /// past the last or before the first, keys padded with spaces, nulls;
    /// account keys that share a long prefix and tie in the eight bytes
    /// after it, or are prefixes of others.
    #[test]
    fn account_rows_finds_what_a_map_finds_in_any_order() {
        use rand::{seq::SliceRandom, Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(23);
        let mut ids: Vec<String> = (0..6_000u32)
            .map(|i| match i % 5 {
                0 => format!("A{:06}", 2 * i),
                1 => format!("0065g00000{i:08}AAA"),
                2 => format!("0065g00000{i:08}"),
                3 => format!("0065g00000{:08}x{i}", i % 7),
                _ => format!("Zé{i}"),
            })
            .collect();
        ids.push("A".to_string());
        ids.sort();
        let mut in_order: Vec<Option<String>> = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let deals = [0, 0, 1, 2, 3, 5][rng.gen_range(0..6)];
            for _ in 0..deals {
                in_order.push(Some(id.clone()));
            }
            match i % 50 {
                0 => in_order.push(Some(format!("{id}!"))), // after it, before the next
                1 => in_order.push(Some(format!(" {id}\t"))),
                2 => in_order.push(None),
                _ => {}
            }
        }
        in_order.extend(["zzz", "", " ", "0", "0065g0000000000003x"].map(|k| Some(k.to_string())));
        let reversed: Vec<Option<String>> = in_order.iter().rev().cloned().collect();
        let mut shuffled = in_order.clone();
        shuffled.shuffle(&mut rng);
        let mut groups: Vec<Vec<Option<String>>> = (in_order.chunk_by(|a, b| a == b))
            .map(<[Option<String>]>::to_vec)
            .collect();
        groups.shuffle(&mut rng);
        for keys in [&in_order, &reversed, &shuffled, &groups.concat()] {
            let found = rows_as_a_map_finds_them(&ids, keys);
            assert!(found.iter().filter(|&&r| r == u32::MAX).count() > 100);
        }
        // Hand-worked: the accounts share "0065g00000", and two of them
        // tie in the eight bytes after it ("12345678"), where a deal's key
        // that is a prefix of both finds neither.
        let ids: Vec<String> = [
            "0065g00000123456",
            "0065g0000012345678AAA",
            "0065g0000012345678AAB",
            "0065g00000999",
        ]
        .map(String::from)
        .into();
        let keys = [
            "0065g0000012345678AAB",
            "0065g00000123456",
            "0065g0000012345678",
            "0065g00000999",
            "0065g0000012345678AAA",
            "0065g00000",
        ];
        let keys: Vec<Option<String>> = keys.map(|k| Some(k.to_string())).into();
        assert_eq!(
            rows_as_a_map_finds_them(&ids, &keys),
            [2, 0, u32::MAX, 3, 1, u32::MAX]
        );
        // Keys known whole from their eight bytes and length: the same
        // bytes (zeros past the end) but different lengths.
        let ids: Vec<String> = ["k", "k\0", "k\0\0", "k\0\0x"].map(String::from).into();
        let keys = ["k\0", "k\0\0\0", "k\0\0", "k", "k\0\0y", "k\0\0x"];
        let keys: Vec<Option<String>> = keys.map(|k| Some(k.to_string())).into();
        assert_eq!(
            rows_as_a_map_finds_them(&ids, &keys),
            [1, u32::MAX, 2, 0, u32::MAX, 3]
        );
        let one = ["A1".to_string()];
        let keys = [Some("A1"), None, Some("A0"), Some("A1 ")].map(|k| k.map(String::from));
        assert_eq!(
            rows_as_a_map_finds_them(&one, &keys),
            [0, u32::MAX, u32::MAX, 0]
        );
    }
}
