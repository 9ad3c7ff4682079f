//! Input and output: reading tables, the data contract, run directories.

pub mod contract;
pub mod history;
pub mod read;
pub mod run_dir;
pub mod spec;

use crate::error::Result;
use contract::{Accounts, Deals, Drops};
use spec::InputSpec;

/// Accounts and deals read and checked against the data contract.
pub struct Inputs {
    pub accounts: Accounts,
    pub deals: Deals,
    /// The accounts' feature versions, when `--account-history` is given.
    pub history: Option<history::History>,
    pub drops: Drops,
    /// Deal rows in the file, before validation.
    pub deals_read: u64,
}

/// Read both tables named in `spec` and apply the data contract.
pub fn load(spec: &InputSpec, mut log: impl FnMut(String)) -> Result<Inputs> {
    log(format!(
        "reading accounts from {}",
        spec.accounts_path.display()
    ));
    let accounts = read_accounts(spec)?;
    log(format!("reading deals from {}", spec.deals_path.display()));
    // The deals table, the largest read, is decoded on other threads while
    // the accounts are checked; an error in the accounts still comes first.
    let (accounts, table) = std::thread::scope(|s| {
        let table = s.spawn(|| read_deals(spec));
        let accounts = contract::accounts(accounts, spec);
        (accounts, crate::parallel::joined(table))
    });
    let accounts = accounts?;
    if let Some(h) = &spec.account_history {
        log(format!("reading account history from {}", h.path.display()));
    }
    let history = history::read(spec, &accounts)?;
    let table = table?;
    let deals_read = table.file.rows;
    let mut drops = Drops::default();
    let deals = contract::deals(table, &accounts, spec, &mut drops)?;
    Ok(Inputs {
        accounts,
        deals,
        history,
        drops,
        deals_read,
    })
}

/// The accounts table, every column: any may be a feature.
pub fn read_accounts(spec: &InputSpec) -> Result<read::Table> {
    read::read_table(&spec.accounts_path, spec.accounts_csv_separator, None)
}

/// The deals table, only the columns the contract uses.
pub fn read_deals(spec: &InputSpec) -> Result<read::Table> {
    let c = &spec.deal_columns;
    read::read_table(
        &spec.deals_path,
        spec.deals_csv_separator,
        Some(&[
            c.id.as_str(),
            &c.account_id,
            &c.created_at,
            &c.closed_at,
            &c.outcome,
            &c.amount,
        ]),
    )
}
