//! libFuzzer entry point: every input goes through `clob_fuzz::check` (src/lib.rs). Built and
//! run by scripts/fuzz.sh; a panic aborts and libFuzzer saves the input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clob_fuzz::check(data));
