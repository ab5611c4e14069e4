//! Prompt sets: the built-in set, the three file formats, detection, the canonical sha256, and
//! every refusal (each message names the file and the line).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use edgebench_collector::prompts::{self, COT_TRIGGER, MAX_FILE_BYTES, Prompt, PromptError, PromptFormat, PromptSet};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/prompts").join(name)
}

fn prompt(id: &str, question: &str, reference: Option<&str>) -> Prompt {
    Prompt { id: id.into(), question: question.into(), reference: reference.map(Into::into) }
}

/// Writes `content` to `name` in a fresh directory and loads it.
fn load_text(name: &str, content: &[u8], format: Option<PromptFormat>) -> (tempfile::TempDir, Result<PromptSet, PromptError>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    let result = prompts::load(&path, format);
    (dir, result)
}

/// Loads `content` expecting an error; returns its message after checking that it names the file.
fn error_of(name: &str, content: &str, format: Option<PromptFormat>) -> String {
    let (_dir, result) = load_text(name, content.as_bytes(), format);
    let message = result.expect_err("the file must be refused").to_string();
    assert!(message.contains(name), "the message must name the file: {message}");
    message
}

fn assert_contains(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "expected `{part}` in: {message}");
    }
}

// ---------------------------------------------------------------------------------------------
// The built-in set

#[test]
fn builtin_has_fifty_prompts_with_unique_ids_and_references() {
    let set = prompts::builtin();
    assert_eq!(set.name, "builtin");
    assert_eq!(set.prompts.len(), 50);
    let ids: HashSet<&str> = set.prompts.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), 50, "ids are unique");
    for p in &set.prompts {
        assert!(!p.id.trim().is_empty());
        let reference = p.reference.as_deref().unwrap_or_else(|| panic!("{} has no reference", p.id));
        let last = reference.rsplit_once(". ").map_or(reference, |(_, last)| last);
        assert!(
            last.starts_with("The answer is ") && last.len() > "The answer is .".len() && last.ends_with('.'),
            "{}: the reference must end with `The answer is X.`: {reference}",
            p.id
        );
        assert!(
            !p.question.to_lowercase().contains("step by step"),
            "{}: a question must not contain the CoT trigger",
            p.id
        );
        assert!(!p.question.contains(COT_TRIGGER));
        let words = p.question.split_whitespace().count();
        assert!(words < 60, "{}: questions stay short ({words} words)", p.id);
        assert_eq!(p.question, p.question.trim());
    }
}

#[test]
fn builtin_mixes_the_reasoning_kinds_of_the_protocol() {
    let set = prompts::builtin();
    let kinds: HashSet<&str> = set.prompts.iter().map(|p| p.id.split('-').next().unwrap()).collect();
    for kind in ["arith", "rate", "unit", "alg", "logic", "date", "common", "prob"] {
        assert!(kinds.contains(kind), "no `{kind}-` prompt in the built-in set");
    }
}

#[test]
fn builtin_file_is_valid_edgebench_jsonl_and_loads_identically() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts/builtin.jsonl");
    let loaded = prompts::load(&path, None).unwrap();
    let builtin = prompts::builtin();
    assert_eq!(loaded.prompts, builtin.prompts);
    assert_eq!(loaded.sha256, builtin.sha256);
    assert_eq!(loaded.name, "builtin.jsonl");
}

/// The built-in set's sha256 is recorded in every run (`runs.prompt_set_sha256`): a change to
/// the set or to the canonical form must be deliberate. When the set is edited on purpose,
/// update this digest (and say so in the change log: runs measured before and after differ).
#[test]
fn builtin_sha256_is_pinned() {
    assert_eq!(prompts::builtin().sha256.as_str(), BUILTIN_SHA256);
}
const BUILTIN_SHA256: &str = "23eaa426b50844d20c8a175e8f4d3e786dde37647c36d6b185a4749ecb7925d6";

// ---------------------------------------------------------------------------------------------
// What is submitted

#[test]
fn with_cot_appends_the_trigger_on_its_own_line() {
    assert_eq!(COT_TRIGGER, "Let's think step by step.");
    let p = prompt("x", "What is 2 + 2?", None);
    assert_eq!(p.with_cot(), "What is 2 + 2?\nLet's think step by step.");
    for p in prompts::builtin().prompts {
        assert_eq!(p.with_cot(), format!("{}\n{COT_TRIGGER}", p.question));
    }
}

// ---------------------------------------------------------------------------------------------
// The canonical sha256

#[test]
fn sha256_is_of_the_documented_canonical_jsonl() {
    let set = PromptSet::new(
        "anything",
        vec![prompt("a", "Q \"one\"\nnext", Some("R é")), prompt("b", "Q2", None)],
    );
    let canonical = "{\"id\":\"a\",\"question\":\"Q \\\"one\\\"\\nnext\",\"reference\":\"R é\"}\n{\"id\":\"b\",\"question\":\"Q2\",\"reference\":null}\n";
    assert_eq!(set.canonical_jsonl(), canonical);
    assert_eq!(set.sha256, edgebench_dataset::schema::Sha256Hex::of(canonical.as_bytes()));
    // The name is not part of it.
    assert_eq!(PromptSet::new("other", set.prompts.clone()).sha256, set.sha256);
}

#[test]
fn sha256_is_stable_and_changes_with_any_prompt_change() {
    let base = vec![prompt("a", "Q1", Some("R1")), prompt("b", "Q2", Some("R2"))];
    let sha = PromptSet::new("s", base.clone()).sha256;
    assert_eq!(PromptSet::new("s", base.clone()).sha256, sha, "same prompts, same digest");
    assert_eq!(prompts::builtin().sha256, prompts::builtin().sha256);

    let mut changed = Vec::new();
    let mut v = base.clone();
    v[1].question.push('?');
    changed.push(v);
    let mut v = base.clone();
    v[0].id = "a2".into();
    changed.push(v);
    let mut v = base.clone();
    v[0].reference = Some("R1 ".into());
    changed.push(v);
    let mut v = base.clone();
    v[0].reference = None;
    changed.push(v);
    let mut v = base.clone();
    v.swap(0, 1);
    changed.push(v);
    changed.push(base[..1].to_vec());
    let mut digests = HashSet::from([sha.clone()]);
    for v in changed {
        assert!(digests.insert(PromptSet::new("s", v.clone()).sha256), "a change must change the digest: {v:?}");
    }
}

#[test]
fn same_prompts_in_any_format_hash_the_same() {
    let jsonl = prompts::load(&fixture("alpaca.jsonl"), None).unwrap();
    let array = prompts::load(&fixture("alpaca.json"), None).unwrap();
    let edgebench = prompts::load(&fixture("alpaca_as_edgebench.jsonl"), None).unwrap();
    assert_eq!(jsonl.prompts, array.prompts);
    assert_eq!(jsonl.prompts, edgebench.prompts);
    assert_eq!(jsonl.sha256, array.sha256);
    assert_eq!(jsonl.sha256, edgebench.sha256);
    assert_eq!(jsonl.name, "alpaca.jsonl");
    assert_eq!(array.name, "alpaca.json");
}

// ---------------------------------------------------------------------------------------------
// Formats

#[test]
fn edgebench_jsonl_loads_with_optional_references_and_blank_lines() {
    let set = prompts::load(&fixture("edgebench.jsonl"), None).unwrap();
    assert_eq!(set.name, "edgebench.jsonl");
    assert_eq!(
        set.prompts,
        vec![
            prompt("sum", "What is 17 plus 25?", Some("17 + 25 = 42. The answer is 42.")),
            prompt("no-ref", "Name a colour of the rainbow.", None),
            prompt("null-ref", "How many days are in a week?", None),
        ]
    );
    assert_eq!(prompts::load(&fixture("edgebench.jsonl"), Some(PromptFormat::Edgebench)).unwrap(), set);
}

#[test]
fn alpaca_maps_instruction_input_and_output() {
    let expected = vec![
        prompt("alpaca-0", "Add the two numbers.\n\n17 and 25", Some("17 + 25 = 42. The answer is 42.")),
        prompt("alpaca-1", "Name the largest planet in the solar system.", Some("Jupiter is the largest planet. The answer is Jupiter.")),
        prompt(
            "alpaca-2",
            "How many legs do three spiders have?",
            Some("A spider has 8 legs, so three spiders have 3 × 8 = 24. The answer is 24."),
        ),
    ];
    for name in ["alpaca.jsonl", "alpaca.json"] {
        assert_eq!(prompts::load(&fixture(name), None).unwrap().prompts, expected, "{name}");
        assert_eq!(prompts::load(&fixture(name), Some(PromptFormat::Alpaca)).unwrap().prompts, expected, "{name}");
    }
}

#[test]
fn alpaca_json_array_on_one_line_and_with_a_bom() {
    let text = "\u{feff} [{\"instruction\":\"I\",\"output\":\"O\"},{\"instruction\":\"J\",\"input\":\"K\",\"output\":\"P\"}]";
    let (_dir, set) = load_text("one-line.json", text.as_bytes(), None);
    assert_eq!(set.unwrap().prompts, vec![prompt("one-line-0", "I", Some("O")), prompt("one-line-1", "J\n\nK", Some("P"))]);
}

#[test]
fn gsm8k_answers_become_references_ending_with_the_answer_sentence() {
    let set = prompts::load(&fixture("gsm8k.jsonl"), None).unwrap();
    assert_eq!(
        set.prompts,
        vec![
            prompt(
                "gsm8k-0",
                "A gardener plants 4 rows of 9 tulips and then buys 15 more. How many tulips does she have?",
                Some("She planted 4*9=36 tulips.\nWith the new ones she has 36+15=51 tulips.\nThe answer is 51."),
            ),
            prompt(
                "gsm8k-1",
                "Jo reads 12 pages a day. How many days does she need for a 96-page book?",
                Some("She needs 96/12=8 days.\nThe answer is 8."),
            ),
        ]
    );
    for p in &set.prompts {
        let r = p.reference.as_deref().unwrap();
        assert!(!r.contains("<<") && !r.contains(">>") && !r.contains("####"), "{r}");
    }
}

#[test]
fn gsm8k_conversion_details() {
    assert_eq!(prompts::strip_calculator_annotations("$<<2*3=6>>6 and <<48/2=24>>24"), "$6 and 24");
    assert_eq!(prompts::strip_calculator_annotations("a << b without end"), "a << b without end");
    assert_eq!(prompts::gsm8k_reference("x=<<1+1=2>>2\n####  2,000 "), Some("x=2\nThe answer is 2,000.".into()));
    assert_eq!(prompts::gsm8k_reference("#### 7"), Some("The answer is 7.".into()));
    assert_eq!(prompts::gsm8k_reference("no final line"), None);
    assert_eq!(prompts::gsm8k_reference("empty final\n####   "), None);
}

#[test]
fn an_explicit_format_overrides_detection() {
    // Detected as GSM8K, read as edgebench: the id it lacks is reported.
    let message = error_of("mixed.jsonl", "{\"question\":\"Q\",\"answer\":\"A\\n#### 1\"}\n", Some(PromptFormat::Edgebench));
    assert_contains(&message, &["line 1", "missing required field `id`", "edgebench"]);
    // Ambiguous keys, resolved by the caller.
    let text = "{\"id\":\"a\",\"question\":\"Q\",\"answer\":\"#### 3\",\"reference\":\"R\"}\n";
    let (_dir, set) = load_text("both.jsonl", text.as_bytes(), Some(PromptFormat::Edgebench));
    assert_eq!(set.unwrap().prompts, vec![prompt("a", "Q", Some("R"))]);
    let (_dir, set) = load_text("both.jsonl", text.as_bytes(), Some(PromptFormat::Gsm8k));
    assert_eq!(set.unwrap().prompts, vec![prompt("both-0", "Q", Some("The answer is 3."))]);
}

#[test]
fn format_names_parse_and_display() {
    for (name, format) in [("edgebench", PromptFormat::Edgebench), ("alpaca", PromptFormat::Alpaca), ("gsm8k", PromptFormat::Gsm8k)] {
        assert_eq!(name.parse::<PromptFormat>().unwrap(), format);
        assert_eq!(format.to_string(), name);
    }
    let message = "csv".parse::<PromptFormat>().unwrap_err().to_string();
    assert_contains(&message, &["`csv`", "edgebench", "alpaca", "gsm8k"]);
}

// ---------------------------------------------------------------------------------------------
// Detection

#[test]
fn detection_by_the_keys_of_the_first_record() {
    let cases = [
        ("{\"id\":\"a\",\"question\":\"Q\"}", PromptFormat::Edgebench),
        ("{\"id\":\"a\",\"question\":\"Q\",\"reference\":\"R\"}", PromptFormat::Edgebench),
        ("{\"instruction\":\"I\",\"input\":\"\",\"output\":\"O\"}", PromptFormat::Alpaca),
        ("{\"question\":\"Q\",\"answer\":\"#### 4\"}", PromptFormat::Gsm8k),
    ];
    for (line, format) in cases {
        let (_dir, detected) = load_text("d.jsonl", line.as_bytes(), None);
        let (_dir, explicit) = load_text("d.jsonl", line.as_bytes(), Some(format));
        assert_eq!(detected.unwrap(), explicit.unwrap(), "{line}");
    }
}

#[test]
fn unknown_or_ambiguous_keys_ask_for_the_format() {
    let message = error_of("odd.jsonl", "\n{\"prompt\":\"Q\",\"completion\":\"A\"}\n", None);
    assert_contains(&message, &["line 2", "cannot tell the prompt format", "`prompt`", "`completion`", "--prompts-format"]);
    let message = error_of("amb.jsonl", "{\"instruction\":\"I\",\"question\":\"Q\",\"answer\":\"A\"}\n", None);
    assert_contains(&message, &["line 1", "`instruction`", "`question`", "`answer`", "--prompts-format"]);
    let message = error_of("amb.json", "[\n  {\"question\":\"Q\",\"answer\":\"A\",\"reference\":\"R\"}\n]", None);
    assert_contains(&message, &["line 2 (array element 0)", "--prompts-format"]);
}

// ---------------------------------------------------------------------------------------------
// Refusals: each names the file and the line

#[test]
fn invalid_json_line_is_refused_with_its_line() {
    let text = "{\"id\":\"a\",\"question\":\"Q\"}\n\n{\"id\":\"b\",\"question\":\n";
    let message = error_of("broken.jsonl", text, None);
    assert_contains(&message, &["broken.jsonl, line 3", "invalid JSON", "one complete JSON object"]);
    // Not silently skipped, even after valid lines or with a format given.
    let message = error_of("broken.jsonl", "{\"id\":\"a\",\"question\":\"Q\"}\n{not json\n", Some(PromptFormat::Edgebench));
    assert_contains(&message, &["line 2", "invalid JSON"]);
    // Two objects on one line.
    let message = error_of("two.jsonl", "{\"id\":\"a\",\"question\":\"Q\"} {\"id\":\"b\",\"question\":\"Q\"}\n", None);
    assert_contains(&message, &["line 1", "invalid JSON"]);
}

#[test]
fn a_pretty_printed_single_object_is_refused_with_a_hint() {
    let message = error_of("pretty.json", "{\n  \"id\": \"a\",\n  \"question\": \"Q\"\n}\n", None);
    assert_contains(&message, &["line 1", "invalid JSON", "JSON array"]);
}

#[test]
fn invalid_json_array_is_refused_with_its_line() {
    let text = "[\n  {\"instruction\": \"I\", \"output\": \"O\"},\n  {\"instruction\": \"J\",\n   \"output\": \"P\" \"oops\"}\n]\n";
    let message = error_of("broken.json", text, None);
    assert_contains(&message, &["broken.json, line 4", "invalid JSON"]);
}

#[test]
fn missing_field_is_refused_with_its_line() {
    let message = error_of("m.jsonl", "{\"id\":\"a\",\"question\":\"Q\"}\n{\"id\":\"b\",\"reference\":\"R\",\"question \":\"Q\"}\n", None);
    assert_contains(&message, &["m.jsonl, line 2", "missing required field `question`", "`question `"]);
    let message = error_of("m.jsonl", "{\"instruction\":\"I\",\"output\":\"O\"}\n{\"instruction\":\"J\"}\n", None);
    assert_contains(&message, &["line 2", "missing required field `output`", "alpaca"]);
    let message = error_of("m.jsonl", "{\"question\":\"Q\",\"answer\":\"#### 1\"}\n{\"question\":\"Q\"}\n", None);
    assert_contains(&message, &["line 2", "missing required field `answer`"]);
}

#[test]
fn missing_field_in_a_json_array_names_the_elements_line() {
    let text = "[\n  {\"instruction\": \"I\", \"output\": \"O\"},\n  {\"instruction\": \"J\", \"output\": \"P\"},\n\n  {\n    \"input\": \"x\",\n    \"output\": \"Q\"\n  }\n]\n";
    let message = error_of("a.json", text, None);
    assert_contains(&message, &["a.json, line 5 (array element 2)", "missing required field `instruction`"]);
}

#[test]
fn wrong_types_are_refused_with_their_line() {
    let message = error_of("t.jsonl", "{\"id\":\"a\",\"question\":\"Q\"}\n{\"id\":\"b\",\"question\":5}\n", None);
    assert_contains(&message, &["t.jsonl, line 2", "`question` must be a string, found a number"]);
    let message = error_of("t.jsonl", "{\"id\":7,\"question\":\"Q\"}\n", None);
    assert_contains(&message, &["line 1", "`id` must be a string, found a number"]);
    let message = error_of("t.jsonl", "{\"id\":\"a\",\"question\":\"Q\",\"reference\":[\"R\"]}\n", None);
    assert_contains(&message, &["line 1", "`reference` must be a string or null, found an array"]);
    let message = error_of("t.jsonl", "{\"instruction\":\"I\",\"input\":{},\"output\":\"O\"}\n", None);
    assert_contains(&message, &["line 1", "`input` must be a string or null, found an object"]);
    let message = error_of("t.json", "[{\"instruction\":\"I\",\"output\":\"O\"},\n true]", None);
    assert_contains(&message, &["t.json, line 2 (array element 1)", "expected a JSON object, found a boolean"]);
    let message = error_of("t.jsonl", "{\"id\":\"a\",\"question\":\"Q\"}\n\"just a string\"\n", None);
    assert_contains(&message, &["line 2", "expected a JSON object, found a string"]);
}

#[test]
fn empty_question_is_refused_with_its_line() {
    let message = error_of("e.jsonl", "{\"id\":\"a\",\"question\":\"Q\"}\n{\"id\":\"b\",\"question\":\"  \\n \"}\n", None);
    assert_contains(&message, &["e.jsonl, line 2", "`question` is empty"]);
    let message = error_of("e.jsonl", "{\"instruction\":\"\",\"input\":\"text\",\"output\":\"O\"}\n", None);
    assert_contains(&message, &["line 1", "`instruction` is empty"]);
    let message = error_of("e.jsonl", "{\"id\":\" \",\"question\":\"Q\"}\n", None);
    assert_contains(&message, &["line 1", "`id` is empty"]);
}

#[test]
fn duplicate_id_is_refused_with_both_lines() {
    let text = "{\"id\":\"a\",\"question\":\"Q1\"}\n{\"id\":\"b\",\"question\":\"Q2\"}\n\n{\"id\":\"a\",\"question\":\"Q3\"}\n";
    let message = error_of("dup.jsonl", text, None);
    assert_contains(&message, &["dup.jsonl, line 4", "duplicate id `a`", "first used at line 1"]);
    // Ids are compared after trimming, as loaded.
    let message = error_of("dup.jsonl", "{\"id\":\"a\",\"question\":\"Q1\"}\n{\"id\":\" a \",\"question\":\"Q2\"}\n", None);
    assert_contains(&message, &["line 2", "duplicate id `a`"]);
}

#[test]
fn gsm8k_answer_without_final_line_is_refused_with_its_line() {
    let message = error_of("g.jsonl", "{\"question\":\"Q\",\"answer\":\"#### 1\"}\n{\"question\":\"Q\",\"answer\":\"It is 2.\"}\n", None);
    assert_contains(&message, &["g.jsonl, line 2", "`#### X`"]);
}

#[test]
fn empty_set_is_refused() {
    for (name, text, line) in [("empty.jsonl", "", "line 1"), ("blank.jsonl", "\n  \n\n", "line 4"), ("empty.json", "[\n]\n", "line 3")] {
        let message = error_of(name, text, None);
        assert_contains(&message, &[line, "no prompts"]);
    }
}

#[test]
fn non_utf8_is_refused_with_its_line() {
    let (_dir, result) = load_text("latin1.jsonl", b"{\"id\":\"a\",\"question\":\"Q\"}\n{\"id\":\"b\",\"question\":\"caf\xe9\"}\n", None);
    let message = result.unwrap_err().to_string();
    assert_contains(&message, &["latin1.jsonl, line 2", "UTF-8"]);
}

#[test]
fn unreadable_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.jsonl");
    let message = prompts::load(&missing, None).unwrap_err().to_string();
    assert_contains(&message, &["nowhere.jsonl", "cannot read", "--prompts builtin"]);
    let message = prompts::load(dir.path(), None).unwrap_err().to_string();
    assert_contains(&message, &[&dir.path().display().to_string(), "cannot read", "directory"]);
}

#[test]
fn file_over_the_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jsonl");
    // Sparse: costs no disk, and would take long to parse if it were read.
    std::fs::File::create(&path).unwrap().set_len(MAX_FILE_BYTES + 1).unwrap();
    let message = prompts::load(&path, None).unwrap_err().to_string();
    assert_contains(&message, &["huge.jsonl", "64 MiB", &(MAX_FILE_BYTES + 1).to_string()]);
    // Exactly at the limit is read (and here refused for its content, not its size).
    std::fs::File::create(&path).unwrap().set_len(MAX_FILE_BYTES).unwrap();
    let message = prompts::load(&path, None).unwrap_err().to_string();
    assert!(!message.contains("MiB limit"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// first(n)

#[test]
fn first_n_keeps_the_first_prompts_and_rehashes() {
    let set = prompts::builtin();
    let three = set.first(3).unwrap();
    assert_eq!(three.name, "builtin");
    assert_eq!(three.prompts, set.prompts[..3].to_vec());
    assert_ne!(three.sha256, set.sha256);
    assert_eq!(three.sha256, PromptSet::new("x", set.prompts[..3].to_vec()).sha256);
    assert_eq!(set.first(50).unwrap(), set);
    assert_eq!(three.first(3).unwrap(), three);

    let message = set.first(0).unwrap_err().to_string();
    assert_contains(&message, &["first 0", "`builtin`", "from 1 to 50"]);
    let message = set.first(51).unwrap_err().to_string();
    assert_contains(&message, &["first 51", "has 50", "from 1 to 50"]);
}
