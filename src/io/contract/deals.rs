//! The deals table under the contract: unique keys, each deal's account,
//! rows that break the contract dropped and counted (or an error, as the
//! config's drop policy says), and the as-of date applied.

use std::path::Path;

use polars::prelude::*;

use crate::dates::format_date;
use crate::domain::OutcomeLabel;
use crate::error::{Error, Location, Result};
use crate::io::read::{InputFile, Table};
use crate::io::spec::{DropPolicy, DropReason, InputSpec};

use super::accounts::Accounts;
use super::columns::key_strings;
use super::deal_columns::{deal_columns, DealCols, DealValues};
use super::drops::Drops;
use super::keys::{account_rows, sorted_keys};

/// Deals after validation, one entry per kept deal. Dates are days since 1970-01-01.
#[derive(Clone)]
pub struct Deals {
    /// Index into [`Accounts::ids`].
    pub account: Vec<u32>,
    pub created: Vec<i32>,
    /// Close date for won and lost deals; for open deals, the as-of date.
    pub closed: Vec<i32>,
    pub outcome: Vec<OutcomeLabel>,
    /// Deal value, NaN when unknown.
    pub amount: Vec<f64>,
    pub as_of: i32,
    pub file: InputFile,
}

impl Deals {
    /// Deals built in memory (a simulation, a test) rather than read: one
    /// entry per deal in each column, amounts unknown.
    pub fn in_memory(
        account: Vec<u32>,
        created: Vec<i32>,
        closed: Vec<i32>,
        outcome: Vec<OutcomeLabel>,
        as_of: i32,
    ) -> Deals {
        let n = account.len();
        Deals {
            account,
            created,
            closed,
            outcome,
            amount: vec![f64::NAN; n],
            as_of,
            file: InputFile::in_memory("deals", n as u64),
        }
    }

    pub fn len(&self) -> usize {
        self.account.len()
    }

    pub fn is_empty(&self) -> bool {
        self.account.is_empty()
    }

    /// Days from creation to close (or to the as-of date for open deals).
    pub fn duration(&self, i: usize) -> f64 {
        f64::from(self.days(i))
    }

    /// The day the first deal was created; the as-of date when there is no
    /// deal. Where a window without a start begins.
    pub fn first_created(&self) -> i32 {
        self.created.iter().copied().min().unwrap_or(self.as_of)
    }

    /// [`Deals::duration`] as a whole number of days, for histograms. Never
    /// negative: the contract drops deals closed before they were created.
    pub fn days(&self, i: usize) -> u32 {
        (self.closed[i] - self.created[i]).max(0) as u32
    }
}

/// Validate the deals table against the accounts, fix the as-of date and
/// count every dropped row.
pub fn deals(
    table: Table,
    accounts: &Accounts,
    spec: &InputSpec,
    drops: &mut Drops,
) -> Result<Deals> {
    let Table {
        df,
        columns,
        file,
        path,
    } = table;
    let c = &spec.deal_columns;
    let cols = DealCols::find(&df, &columns, &path, c)?;
    // A second thread sorts the keys and reads the outcomes, dates and
    // amounts while this one finds each deal's account; errors come in the
    // order of one after the other.
    let (columns, accounts_of) = std::thread::scope(|s| {
        let columns = s.spawn(|| {
            let order = deal_key_order(&path, &c.id, cols.id)?;
            Ok((order, deal_columns(&path, &cols, spec)?))
        });
        let accounts_of = key_strings(&path, &c.account_id, cols.account)
            .map(|acc_ids| (account_rows(&accounts.ids, &acc_ids), acc_ids));
        (crate::parallel::joined(columns), accounts_of)
    });
    let (
        order,
        DealValues {
            outcome,
            created,
            closed,
            amount,
        },
    ) = columns?;
    let (account, acc_ids) = accounts_of?;
    let rows = DealRows {
        account,
        created,
        closed,
        outcome,
        amount,
    };
    let keep = rows.valid(&order, &acc_ids, spec, &path, drops)?;
    // Only our own columns are read from here on: free the table (at ten
    // million deals, about a gigabyte of text and dates) before building
    // the deals.
    drop(order);
    drop(acc_ids);
    drop(df);
    let as_of = match spec.as_of {
        Some(d) => d,
        None => rows.latest_date(&keep).ok_or_else(|| {
            Error::input(
                "no deal remains after validation",
                Location::file(&path),
                "see the counts above: check the account keys and dates",
            )
        })?,
    };
    let out = rows.as_of(&keep, as_of, spec.stale_after_days, file, drops);
    if !out.outcome.iter().any(|o| *o != OutcomeLabel::Open) {
        return Err(Error::input(
            format!("no closed (won or lost) deal remains as of {}", format_date(as_of)),
            Location::file(&path).column(&c.outcome),
            "segments are judged on closed deals; check the outcome mapping, --as-of, and the drop counts",
        ));
    }
    Ok(out)
}

/// Deal keys: non-null and unique. The rows in key order: they are taken
/// in that order, so that the order of the input file changes no figure.
fn deal_key_order(path: &Path, name: &str, col: &Column) -> Result<Vec<u32>> {
    let ids = key_strings(path, name, col)?;
    let (order, duplicate) = sorted_keys(&ids, path, name, "deal")?;
    match duplicate {
        Some(dup) => Err(Error::input(
            "deal key is duplicated",
            Location::file(path).column(name).value(dup),
            "keep one row per opportunity; deduplicate the export",
        )),
        None => Ok(order),
    }
}

/// The deals' columns as read, per row in file order.
struct DealRows {
    account: Vec<u32>,
    created: Vec<Option<i32>>,
    closed: Vec<Option<i32>>,
    outcome: Vec<OutcomeLabel>,
    amount: Vec<f64>,
}

impl DealRows {
    /// Rows, in key order, that survive validation before the as-of date is
    /// known; the others are counted as dropped, or fail the run where the
    /// config's drop policy says so.
    fn valid(
        &self,
        order: &[u32],
        acc_ids: &StringChunked,
        spec: &InputSpec,
        path: &Path,
        drops: &mut Drops,
    ) -> Result<Vec<u32>> {
        let c = &spec.deal_columns;
        let policy_fail =
            |policy: DropPolicy, reason: &str, column: &str, value: String| -> Result<()> {
                if policy == DropPolicy::Error {
                    Err(Error::input(
                        format!("a deal is {reason}, and the config makes this an error"),
                        Location::file(path).column(column).value(value),
                        "fix the export, or set the [drops] policy to \"drop\"",
                    ))
                } else {
                    Ok(())
                }
            };
        let mut keep = Vec::with_capacity(self.account.len());
        for &i in order {
            let i = i as usize;
            let fault = if self.account[i] == u32::MAX {
                let v = acc_ids.get(i).unwrap_or("null").to_string();
                let why = "for an account not in the accounts table";
                Some((
                    spec.drops.unknown_account,
                    why,
                    &c.account_id,
                    v,
                    DropReason::UnknownAccount,
                ))
            } else if let Some(cr) = self.created[i] {
                let closed = self.outcome[i] != OutcomeLabel::Open;
                match self.closed[i] {
                    None if closed => Some((
                        spec.drops.missing_date,
                        "closed but has no close date",
                        &c.closed_at,
                        "null".into(),
                        DropReason::MissingClosedAt,
                    )),
                    Some(cl) if closed && cl < cr => Some((
                        spec.drops.closed_before_created,
                        "closed before it was created",
                        &c.closed_at,
                        format_date(cl),
                        DropReason::ClosedBeforeCreated,
                    )),
                    _ if self.amount[i] < 0.0 => Some((
                        spec.drops.negative_amount,
                        "of negative amount",
                        &c.amount,
                        self.amount[i].to_string(),
                        DropReason::NegativeAmount,
                    )),
                    _ => None,
                }
            } else {
                let why = "missing its creation date";
                Some((
                    spec.drops.missing_date,
                    why,
                    &c.created_at,
                    "null".into(),
                    DropReason::MissingCreatedAt,
                ))
            };
            match fault {
                Some((policy, why, column, value, reason)) => {
                    policy_fail(policy, why, column, value)?;
                    drops.count(reason);
                }
                None => keep.push(i as u32),
            }
        }
        Ok(keep)
    }

    /// The latest date among the kept rows: a creation date, or a close
    /// date of a closed deal (`None` when no row is kept).
    fn latest_date(&self, keep: &[u32]) -> Option<i32> {
        keep.iter()
            .map(|&i| {
                let i = i as usize;
                let cr = self.created[i].unwrap_or_default();
                if self.outcome[i] == OutcomeLabel::Open {
                    cr
                } else {
                    self.closed[i].unwrap_or(cr).max(cr)
                }
            })
            .max()
    }

    /// The kept deals as of `as_of`: later deals are dropped, deals closed
    /// after it are open at it, and open deals older than
    /// `stale_after_days` are lost (see [`stale_loss`]).
    fn as_of(
        &self,
        keep: &[u32],
        as_of: i32,
        stale_after_days: Option<u32>,
        file: InputFile,
        drops: &mut Drops,
    ) -> Deals {
        let mut out = Deals {
            account: Vec::with_capacity(keep.len()),
            created: Vec::with_capacity(keep.len()),
            closed: Vec::with_capacity(keep.len()),
            outcome: Vec::with_capacity(keep.len()),
            amount: Vec::with_capacity(keep.len()),
            as_of,
            file,
        };
        for &i in keep {
            let i = i as usize;
            // A kept row has its account and creation date.
            let cr = self.created[i].unwrap_or_default();
            if cr > as_of {
                drops.count(DropReason::CreatedAfterAsOf);
                continue;
            }
            let mut o = self.outcome[i];
            let mut close = self.closed[i].unwrap_or(as_of);
            if o != OutcomeLabel::Open && close > as_of {
                drops.deals_reopened_at_as_of += 1;
                o = OutcomeLabel::Open;
            }
            if o == OutcomeLabel::Open {
                close = as_of;
                if let Some(lost_at) = stale_loss(cr, as_of, stale_after_days) {
                    drops.deals_lost_as_stale += 1;
                    o = OutcomeLabel::Lost;
                    close = lost_at;
                }
            }
            out.account.push(self.account[i]);
            out.created.push(cr);
            out.closed.push(close);
            out.outcome.push(o);
            out.amount.push(self.amount[i]);
        }
        out
    }
}

/// With `[deals] stale_after_days = N`, an open deal created on day
/// `created` and more than N days old at `as_of` is lost at `created + N`.
pub fn stale_loss(created: i32, as_of: i32, stale_after_days: Option<u32>) -> Option<i32> {
    let n = i32::try_from(stale_after_days?).ok()?;
    (as_of - created > n).then_some(created + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_deal_older_than_stale_after_days_is_lost_at_created_plus_n() {
        assert_eq!(stale_loss(100, 200, Some(60)), Some(160));
        // Exactly N days old is not yet stale.
        assert_eq!(stale_loss(100, 160, Some(60)), None);
        assert_eq!(stale_loss(100, 161, Some(60)), Some(160));
        assert_eq!(stale_loss(100, 200, None), None);
    }
}
