//! The catalogue's own rules: every built-in rule file compiles, its id is its file stem and its
//! folder is its category, its docs are complete, it has pass and fail fixtures, the nine
//! categories are all covered, and `docs/rules.md` is the current generated reference.

use std::path::Path;

use golive::engine::{Category, builtin};
use golive::report::catalog;
use golive::settings;

#[test]
fn every_rule_is_complete() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        rules.len(),
        builtin::files().len(),
        "every rules/**/*.yaml file is a rule"
    );
    let mut problems = Vec::new();
    for rule in &rules {
        let folder = rule.origin.split('/').nth(1).unwrap_or("");
        if folder != rule.category.as_str() {
            problems.push(format!(
                "{}: lives in rules/{folder}/ but has category {}",
                rule.id, rule.category
            ));
        }
        let d = &rule.docs;
        for (field, text, min_words) in [
            ("summary", &d.summary, 8),
            ("rationale", &d.rationale, 15),
            ("remediation", &d.remediation, 8),
        ] {
            let words = text.split_whitespace().count();
            if words < min_words {
                problems.push(format!(
                    "{}: {field} has {words} words, want ≥ {min_words}",
                    rule.id
                ));
            }
        }
        for sub in ["pass", "fail"] {
            let dir = root.join("fixtures/rules").join(&rule.id).join(sub);
            let cases = std::fs::read_dir(&dir)
                .map(|d| d.flatten().count())
                .unwrap_or(0);
            if cases == 0 {
                problems.push(format!("{}: no fixture case in {}", rule.id, dir.display()));
            }
        }
    }
    for category in Category::ALL {
        if !rules.iter().any(|r| r.category == category) {
            problems.push(format!("category {category} has no rule"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A built-in regex first searches with the DFAs `build.rs` compiled, loaded without validation
/// at run time: here each is validated, and both engines must find the same match in every
/// fixture file and line, and in texts where Unicode case folding matters.
#[test]
fn compiled_regexes_are_valid_and_match_as_built_ones() {
    use golive::engine::pattern::{self, BothEngines};
    assert_eq!(pattern::invalid_compiled(), Vec::<&str>::new());
    let sources: Vec<&str> = builtin::dfa_sources().collect();
    assert!(
        sources.len() > 80,
        "build.rs compiled {} regexes",
        sources.len()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut texts: Vec<String> = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                texts.extend(text.lines().map(str::to_owned));
                texts.push(text);
            }
        }
    }
    texts.extend(["", " ", "\u{212a}ubelet", "Unhea\u{17f}lthy", "été RESTORE"].map(str::to_owned));
    texts.sort();
    texts.dedup();
    let mut disagreements = Vec::new();
    for source in sources {
        let engines = BothEngines::of(source).unwrap_or_else(|| panic!("{source} builds"));
        for text in &texts {
            let [compiled, built] = engines.find(text);
            if compiled != built {
                disagreements.push(format!("{source} on {text:?}: {compiled:?} vs {built:?}"));
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// Built-in rules build their regexes lazily at run time; here every one is built, so a pattern
/// over the size limit fails the suite instead of silently matching nothing.
#[test]
fn every_builtin_rule_compiles_eagerly() {
    for (path, text) in builtin::files() {
        let stem = path
            .rsplit('/')
            .next()
            .and_then(|n| n.strip_suffix(".yaml"))
            .unwrap_or("");
        if let Err(error) = golive::engine::compile::compile(path, text, Some(stem)) {
            panic!("{error:?}");
        }
    }
}

/// Unicode `\w \s \d \b` cost up to ten times more to build than their ASCII forms, and a
/// run builds every regex it uses: built-in rules use the ASCII forms (rules/README.md).
#[test]
fn builtin_regexes_use_ascii_classes() {
    let unicode_class =
        regex::Regex::new(r"(^|[^\\])(\\\\)*\\[wWsSdDbB]").unwrap_or_else(|e| panic!("{e}"));
    let offenders: Vec<String> = builtin::files()
        .iter()
        .flat_map(|(path, text)| {
            text.lines()
                .filter(|l| l.trim_start().starts_with("regex:"))
                .filter(|l| {
                    unicode_class.is_match(&l.replace(r"(?-u:\b)", "").replace(r"(?-u:\B)", ""))
                })
                .map(move |l| format!("{path}: {}", l.trim()))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "use ASCII classes:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn fixture_folders_belong_to_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    let strays: Vec<String> = std::fs::read_dir(&root)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .collect::<Vec<String>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|name: &String| !rules.iter().any(|r| &r.id == name))
        .collect();
    assert!(
        strays.is_empty(),
        "fixture folders without a rule: {strays:?}"
    );
}

#[test]
fn rule_reference_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    let generated = catalog::render(&rules, catalog::Listing::Markdown);
    let path = root.join("docs/rules.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != generated {
        if std::env::var_os("GOLIVE_BLESS").is_some() {
            std::fs::create_dir_all(root.join("docs")).ok();
            std::fs::write(&path, &generated).ok();
            return;
        }
        panic!(
            "docs/rules.md is stale: run `GOLIVE_BLESS=1 cargo test --test catalog` and commit it"
        );
    }
}

/// `golive schema` describes the real format: every built-in rule file validates against it, and
/// a misspelled key does not.
#[test]
fn rule_schema_accepts_every_builtin_rule() {
    let schema: serde_json::Value = serde_json::from_str(&golive::engine::spec::json_schema())
        .unwrap_or_else(|e| panic!("{e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
    for (path, text) in builtin::files() {
        let rule: serde_json::Value =
            serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(&rule)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:?}");
    }
    let (path, text) = builtin::files()[0];
    let mut rule: serde_json::Value =
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}"));
    rule["severty"] = serde_json::json!("high");
    assert!(!validator.is_valid(&rule), "unknown keys are refused");
}

/// Built-in rules start from the JSON `build.rs` prepares from the same spec types: it gives
/// exactly the rule the YAML gives, and every built-in has it (a spec change that stopped the
/// JSON from reading back would otherwise fall back to the slower YAML path unnoticed).
#[test]
fn prepared_json_gives_the_same_rules_as_the_yaml() {
    use golive::engine::compile::{compile_builtin, compile_prepared};
    assert_eq!(builtin::files().len(), builtin::prepared().len());
    for ((path, text), json) in builtin::files().iter().zip(builtin::prepared()) {
        let json = json.unwrap_or_else(|| panic!("{path}: build.rs prepared no JSON"));
        let stem = path
            .rsplit('/')
            .next()
            .and_then(|n| n.strip_suffix(".yaml"));
        let from_yaml = compile_builtin(path, text, stem).unwrap_or_else(|e| panic!("{e:?}"));
        // Read back on its own: `compile_prepared` would quietly fall back to the YAML.
        serde_json::from_str::<golive::engine::spec::RuleSpec>(json)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let from_json =
            compile_prepared(path, text, Some(json), stem).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(format!("{from_yaml:?}"), format!("{from_json:?}"), "{path}");
    }
}
