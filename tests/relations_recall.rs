//! Recall of the relation rules on the synthetic monorepo (`examples/monorepo`): every fault the
//! generator injected (PDB minAvailable ≥ replicas, HPA target missing, Service selecting no
//! pod, EXPOSE ≠ containerPort) is found in the file its manifest names, and those rules find
//! nothing in the fault-free services.

#[path = "../examples/monorepo/generator.rs"]
mod generator;

use std::collections::BTreeSet;

use golive::settings::{self, Settings};
use golive::{Input, check};

#[test]
fn every_injected_relation_fault_is_found_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    generator::generate(dir.path(), 50, 42).unwrap_or_else(|e| panic!("generate: {e}"));
    let manifest = std::fs::read_to_string(dir.path().join("faults.tsv"))
        .unwrap_or_else(|e| panic!("faults.tsv: {e}"));
    let injected: BTreeSet<(String, String)> = manifest
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(rule, path)| (rule.to_owned(), path.to_owned()))
        .collect();
    let kinds: BTreeSet<&str> = (0..10)
        .filter_map(generator::Fault::of_service)
        .map(generator::Fault::rule)
        .collect();
    for rule in &kinds {
        let count = injected.iter().filter(|(r, _)| r == rule).count();
        assert_eq!(count, 5, "50 services carry 5 faults for `{rule}`");
    }

    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("built-in rules: {e:?}"));
    let report = check(
        Input::Dir(dir.path()),
        "monorepo",
        &Settings::defaults(rules),
    );
    let found: BTreeSet<(String, String)> = report
        .findings
        .iter()
        .filter(|f| kinds.contains(f.rule.as_str()))
        .map(|f| (f.rule.clone(), f.path.clone().unwrap_or_default()))
        .collect();
    let missed: Vec<_> = injected.difference(&found).collect();
    let spurious: Vec<_> = found.difference(&injected).collect();
    assert!(missed.is_empty(), "injected faults not found: {missed:?}");
    assert!(
        spurious.is_empty(),
        "findings on fault-free services: {spurious:?}"
    );
}
