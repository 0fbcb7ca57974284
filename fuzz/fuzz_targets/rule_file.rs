//! Arbitrary bytes into the rule-file loader: a broken rule file is an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = golive::engine::compile::compile("fuzz.yaml", &text, None);
});
