//! The findings under the title: the headlines in full, what was read and
//! how many segments were found. In HTML they are folded under the first
//! screen, which says the same in short.

use super::blocks::Block;
use crate::report::Report;

pub(super) fn findings(r: &Report) -> Vec<Block> {
    let dq = &r.data_quality;
    vec![Block::Folded {
        summary: "The findings in full".into(),
        blocks: vec![
            Block::List(r.headlines.clone()),
            Block::Para(format!(
                "{} accounts and {} deals read; {} deals used. k = {} segments ({}).",
                dq.accounts_read,
                dq.deals_read,
                dq.deals_used,
                r.clustering.k_chosen,
                r.clustering.reason
            )),
        ],
    }]
}
