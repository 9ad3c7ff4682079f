//! Errors for the few statistics routines that can reject their input.

/// Input that a statistics routine cannot work with.
///
/// Most routines return `Option` and give `None` for degenerate input
/// (too few observations, zero variance); this error is used where the
/// input is malformed rather than merely uninformative.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StatsError {
    /// Two inputs that must be paired element by element differ in length.
    #[error("length mismatch: {left} elements against {right}")]
    LengthMismatch {
        /// Length of the first input.
        left: usize,
        /// Length of the second input.
        right: usize,
    },
    /// The input holds no observations.
    #[error("no observations")]
    Empty,
    /// A duration is negative, infinite or NaN.
    #[error(
        "invalid duration {value} at index {index}: durations must be finite and non-negative"
    )]
    InvalidDuration {
        /// Position of the offending duration.
        index: usize,
        /// The offending value.
        value: f64,
    },
}
