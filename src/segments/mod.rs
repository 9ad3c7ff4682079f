//! What distinguishes each segment from the rest, in the features' original
//! units, a short readable name built from it, the figures the report gives
//! each segment, and whether the best one converts better than chance.

mod best;
mod describe;
mod name;
mod report;

pub use best::{
    best_segment_test, held_out_best_segment_test, BestSegmentTest, BEST_SEGMENT_PERMUTATIONS,
    BEST_SEGMENT_SEED,
};
pub use describe::{describe, distinctions, Description, Distinction, TOP_DISTINCTIONS};
pub use name::{make_names_unique, name, NAMED_FIELD_MAX_LEVELS};
pub use report::{reports, SegmentInputs, SegmentReport};
