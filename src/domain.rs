//! Domain types every layer shares. A leaf: it imports nothing from the crate.

use serde::{Deserialize, Serialize};

/// A deal outcome after mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeLabel {
    Won,
    Lost,
    Open,
}
