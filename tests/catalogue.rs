//! The attacks' catalogue is declared once, in Rust (src/attacks/catalogue.rs). The page's prose
//! (www/attack-methods.js) and the API's types (www/api.d.ts) name the same methods: these tests
//! fail when an attack is added, renamed or removed on one side only.

use std::collections::BTreeSet;
use std::path::Path;

use adversarial_digits::attacks::{AttackOptions, Method};

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

/// The field names declared in `interface` of www/api.d.ts (lines `  name: …;` or `  name?: …;`).
fn interface_fields(types: &str, interface: &str) -> BTreeSet<String> {
    let start = format!("export interface {interface} {{");
    let from = types.find(&start).unwrap_or_else(|| panic!("{interface} in www/api.d.ts"));
    let block = &types[from..from + types[from..].find("\n}").expect("the end of the interface")];
    block
        .lines()
        .skip(1)
        .filter(|l| !l.trim_start().starts_with("//") && !l.trim_start().starts_with("/*") && !l.trim_start().starts_with('*'))
        .filter_map(|l| l.trim().split_once(':').map(|(name, _)| name.trim_end_matches('?').to_string()))
        .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect()
}

#[test]
fn the_api_types_declare_every_attack_option_the_engine_reads() {
    // What the engine deserialises (each method's own parameters flattened in), against the API's
    // AttackOptions less what the API itself takes (the digit, its label, the method, the network,
    // the signal, the progress callback).
    let wire: BTreeSet<String> = serde_json::to_value(AttackOptions::default()).unwrap().as_object().unwrap().keys().cloned().collect();
    let mut declared = interface_fields(&read("www/api.d.ts"), "AttackOptions");
    for own in ["pixels", "label", "method", "model", "signal", "onProgress"] {
        assert!(declared.remove(own), "www/api.d.ts's AttackOptions lacks `{own}`");
    }
    assert_eq!(declared, wire, "www/api.d.ts's AttackOptions against src/attacks/options.rs");
}

#[test]
fn the_api_types_declare_the_catalogue_entries_fields() {
    let types = read("www/api.d.ts");
    let from = types.find("export interface AttackMethodInfo {").expect("AttackMethodInfo in www/api.d.ts");
    let block = &types[from..from + types[from..].find("\n}").expect("the end of AttackMethodInfo")];
    // Its fields: the lines `  name: …;` or `  name?: …;`.
    let declared: BTreeSet<String> = block
        .lines()
        .skip(1)
        .filter_map(|l| l.trim().split_once(':').map(|(name, _)| name.trim_end_matches('?').to_string()))
        .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect();
    for method in Method::ALL {
        let entry = serde_json::to_value(method.info()).unwrap();
        let fields: BTreeSet<String> = entry.as_object().unwrap().keys().cloned().collect();
        assert_eq!(declared, fields, "{method}: www/api.d.ts's AttackMethodInfo against the catalogue's entry");
    }
}
