//! Arbitrary bytes into the YAML loader and the manifest router (Kubernetes, compose,
//! Prometheus, Grafana): no panic, no stack overflow, no unbounded alias expansion.
#![no_main]

use golive::model::DocKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = golive::parse::yaml::load(0, &text);
    let _ = golive::parse::parse(DocKind::Yaml, 0, "deploy/fuzz.yaml", &text);
    let _ = golive::parse::parse(DocKind::Json, 0, "fuzz.json", &text);
});
