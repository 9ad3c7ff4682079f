//! The parquet reader, the data contract and feature inference: any bytes are
//! accepted or rejected with exit status 2.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

static SCRATCH: OnceLock<harness::Scratch> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let scratch = SCRATCH.get_or_init(|| {
        harness::Scratch::new(
            std::env::temp_dir().join(format!("abm-fuzz-parquet-{}", std::process::id())),
        )
    });
    harness::table(scratch, data, "parquet");
});
