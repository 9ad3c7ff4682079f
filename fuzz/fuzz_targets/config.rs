//! The config parser and checker: any text is accepted or rejected with exit status 2.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    harness::config(data);
});
