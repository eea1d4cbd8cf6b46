//! The attacks' catalogue is declared once, in Rust (src/attacks/catalogue.rs). The page's prose
//! (www/attack-methods.js) and the API's types (www/api.d.ts) name the same methods: these tests
//! fail when an attack is added, renamed or removed on one side only.

use std::collections::BTreeSet;
use std::path::Path;

use adversarial_digits::attacks::Method;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn catalogue() -> BTreeSet<String> {
    Method::ALL.iter().map(|m| m.name().to_string()).collect()
}

/// The quoted names in `text` between `start` and the first `end` after it.
fn quoted_between(text: &str, start: &str, end: &str) -> BTreeSet<String> {
    let from = text.find(start).unwrap_or_else(|| panic!("`{start}` not found")) + start.len();
    let to = from + text[from..].find(end).unwrap_or_else(|| panic!("no `{end}` after `{start}`"));
    text[from..to].split('\'').skip(1).step_by(2).map(str::to_string).collect()
}

#[test]
fn the_api_types_name_every_method_of_the_catalogue() {
    let types = read("www/api.d.ts");
    assert_eq!(quoted_between(&types, "export type AttackMethod =", ";"), catalogue(), "www/api.d.ts's AttackMethod");
}

#[test]
fn the_page_has_prose_for_every_method_and_no_other() {
    let prose = read("www/attack-methods.js");
    let block = &prose[prose.find("export const ATTACK_PROSE = {").expect("ATTACK_PROSE")..];
    let block = &block[..block.find("\n};").expect("the end of ATTACK_PROSE")];
    // Its keys: the lines `  'name': {`.
    let names: BTreeSet<String> = block
        .lines()
        .filter_map(|l| l.strip_prefix("  '").and_then(|l| l.strip_suffix("': {")))
        .map(str::to_string)
        .collect();
    assert_eq!(names, catalogue(), "www/attack-methods.js's ATTACK_PROSE");
}
