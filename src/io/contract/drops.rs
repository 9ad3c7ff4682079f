//! The deal rows the contract drops or reinterprets, counted by reason for
//! `report.json`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::io::spec::DropReason;

/// Rows dropped or reinterpreted, by reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Drops {
    /// Reason → rows dropped.
    pub deals_dropped: BTreeMap<DropReason, u64>,
    /// Won or lost deals closed after the as-of date, counted as open at the as-of date.
    pub deals_reopened_at_as_of: u64,
    /// Open deals older than `[deals] stale_after_days`, counted as lost.
    pub deals_lost_as_stale: u64,
}

impl Drops {
    pub(super) fn count(&mut self, reason: DropReason) {
        *self.deals_dropped.entry(reason).or_default() += 1;
    }
}
