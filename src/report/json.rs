//! `report.json`: the [`Report`](super::Report) as pretty-printed JSON.

use super::Report;
use crate::error::{Error, Result};

pub fn render(report: &Report) -> Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(report)
        .map_err(|e| Error::Internal(format!("serialising report.json: {e}")))?;
    out.push(b'\n');
    Ok(out)
}
