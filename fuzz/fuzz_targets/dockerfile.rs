//! Arbitrary bytes into the Dockerfile parser: it must never panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = golive::parse::dockerfile::parse(0, &text);
});
