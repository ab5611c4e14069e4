//! What the collector knows about a model file before (and without) loading it: its size, its
//! sha256 (computed once and cached by path, size and modification time), and what its GGUF
//! header says (name, architecture, quantisation, and whether the file holds all the tensor data
//! the header describes).

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::io::Read;
use std::path::{Path, PathBuf};

use edgebench_dataset::model_registry::{ModelRegistry, row_name};
use edgebench_dataset::schema::Sha256Hex;
use serde::{Deserialize, Serialize};

/// Facts about a model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelFile {
    pub path: PathBuf,
    pub file_name: String,
    pub size_bytes: u64,
    pub sha256: Sha256Hex,
    pub header: Result<GgufHeader, String>,
    /// The model's name in the rows when it was chosen before the campaign ([`ModelFile::name_rows`]);
    /// `None` leaves the GGUF's own name.
    #[serde(default)]
    pub dataset_name: Option<String>,
}

/// The parts of a GGUF header the dataset records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GgufHeader {
    pub name: Option<String>,
    pub architecture: Option<String>,
    pub file_type: Option<String>,
    /// Bytes the header says the file holds (data offset + the end of the last tensor).
    pub expected_bytes: u64,
    /// Set when `collect synth` wrote the file (its `edgebench.synthetic.*` keys).
    #[serde(default)]
    pub synthetic: Option<SyntheticMark>,
}

/// How a synthetic-weight GGUF was made, as `collect synth` records it in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticMark {
    pub generator: String,
    pub seed: u64,
    pub preset: Option<String>,
    pub source_sha256: Option<String>,
}

/// The GGUF keys of a [`SyntheticMark`].
pub mod synthetic_keys {
    pub const GENERATOR: &str = "edgebench.synthetic.generator";
    pub const SEED: &str = "edgebench.synthetic.seed";
    pub const PRESET: &str = "edgebench.synthetic.preset";
    pub const SOURCE_SHA256: &str = "edgebench.synthetic.source_sha256";
}

impl ModelFile {
    /// How the weights were made, when `collect synth` made them.
    pub fn synthetic(&self) -> Option<&SyntheticMark> {
        self.header.as_ref().ok().and_then(|h| h.synthetic.as_ref())
    }

    /// The model name used in the dataset: the one chosen for the rows ([`ModelFile::name_rows`]),
    /// else [`ModelFile::gguf_name`].
    pub fn model_name(&self) -> String {
        self.dataset_name.clone().unwrap_or_else(|| self.gguf_name())
    }

    /// GGUF `general.name`, else the file stem: what a file says it is, which is often not the
    /// name people use ("Smollm2 135M 8k Lc100K Mix1 Ep2" for SmolLM2-135M-Instruct).
    pub fn gguf_name(&self) -> String {
        self.header
            .as_ref()
            .ok()
            .and_then(|h| h.name.clone())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| self.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default())
    }

    /// Chooses the name the rows give the model: `given` (`--model-name`), else the registry's
    /// canonical name for the file's sha256 or, for a `collect synth` file, its preset; else none
    /// is chosen and the GGUF's own name stays. A synthetic file's name always ends with
    /// " (synthetic weights)", so a row never passes for the trained model.
    pub fn name_rows(&mut self, given: Option<&str>, registry: Option<&ModelRegistry>) {
        let synthetic = self.synthetic().cloned();
        let preset = synthetic.as_ref().and_then(|s| s.preset.as_deref());
        let chosen = given.map(str::to_owned).or_else(|| registry?.canonical_name(self.sha256.as_str(), preset).map(str::to_owned));
        self.dataset_name = chosen.map(|name| row_name(&name, synthetic.is_some()));
    }

    /// Why this file cannot be loaded, when its header alone tells.
    pub fn known_problem(&self) -> Option<String> {
        match &self.header {
            Err(e) => Some(e.clone()),
            Ok(h) if h.expected_bytes > self.size_bytes => Some(format!(
                "{}: truncated GGUF: the header describes {} bytes of data but the file has {} bytes; download the file again",
                self.path.display(),
                h.expected_bytes,
                self.size_bytes
            )),
            Ok(_) => None,
        }
    }
}

/// Names each model for its rows ([`ModelFile::name_rows`]): `given[i]` for the i-th model (from
/// `--model-name`), else the model registry of the dataset at `out`. A registry that does not
/// parse is an error, not a silent fall-back to the GGUF's names, since rows keep the name they
/// are written with.
pub fn name_models(models: &mut [ModelFile], given: &[String], out: &Path) -> Result<(), String> {
    if !given.is_empty() && given.len() != models.len() {
        return Err(format!(
            "{} --model-name for {} --model: give one name per model, in the order of --model, or none",
            given.len(),
            models.len()
        ));
    }
    if let Some(bad) = given.iter().find(|n| n.trim().is_empty() || n.chars().any(char::is_control) || n.len() > 1024) {
        return Err(format!("--model-name {bad:?}: give a name of one line (at most 1024 bytes), not empty"));
    }
    let registry = ModelRegistry::load(out).map_err(|e| format!("{e}\n(the dataset's model registry names new rows: fix it first)"))?;
    for (i, model) in models.iter_mut().enumerate() {
        model.name_rows(given.get(i).map(|n| n.trim()), registry.as_ref());
    }
    Ok(())
}

/// Inspects a model file. Errors only for what makes a campaign impossible to plan (missing or
/// unreadable file, not a GGUF at all); a damaged GGUF is returned with its problem, so that its
/// runs are attempted and recorded as failed.
pub fn inspect(path: &Path, cache: &Sha256Cache) -> Result<ModelFile, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: cannot read the model file: {e}; check the path", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{}: not a file; give the path of a .gguf file", path.display()));
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map_err(|e| format!("{}: cannot read the first bytes: {e}", path.display()))?;
    if &magic != b"GGUF" {
        return Err(format!(
            "{}: not a GGUF file (it starts with {:?}, not \"GGUF\"); convert the model with llama.cpp's convert_hf_to_gguf.py",
            path.display(),
            String::from_utf8_lossy(&magic)
        ));
    }
    let sha256 = cache.sha256(path, &meta)?;
    Ok(ModelFile {
        path: path.to_owned(),
        file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        size_bytes: meta.len(),
        sha256,
        header: read_header(path),
        dataset_name: None,
    })
}

/// Reads the GGUF header with ggml's own parser (metadata only, no tensor data).
pub fn read_header(path: &Path) -> Result<GgufHeader, String> {
    let c_path = CString::new(path.to_string_lossy().as_bytes()).map_err(|_| "path contains a NUL byte".to_string())?;
    let params = llama_cpp_sys_2::gguf_init_params { no_alloc: true, ctx: std::ptr::null_mut() };
    // SAFETY: gguf_init_from_file reads the file and returns an owned context or null.
    let ctx = unsafe { llama_cpp_sys_2::gguf_init_from_file(c_path.as_ptr(), params) };
    if ctx.is_null() {
        return Err(format!("{}: the GGUF header cannot be parsed (corrupt or truncated header); download the file again", path.display()));
    }
    let get_str = |key: &str| -> Option<String> {
        let k = CString::new(key).ok()?;
        // SAFETY: ctx is valid until gguf_free below; returned strings are owned by ctx.
        unsafe {
            let id = llama_cpp_sys_2::gguf_find_key(ctx, k.as_ptr());
            if id < 0 || llama_cpp_sys_2::gguf_get_kv_type(ctx, id) != llama_cpp_sys_2::GGUF_TYPE_STRING {
                return None;
            }
            let s = llama_cpp_sys_2::gguf_get_val_str(ctx, id);
            (!s.is_null()).then(|| CStr::from_ptr(s).to_string_lossy().into_owned())
        }
    };
    let file_type = {
        let k = CString::new("general.file_type").expect("no NUL");
        // SAFETY: as above.
        unsafe {
            let id = llama_cpp_sys_2::gguf_find_key(ctx, k.as_ptr());
            if id < 0 {
                None
            } else {
                let t = llama_cpp_sys_2::gguf_get_kv_type(ctx, id);
                let v = if t == llama_cpp_sys_2::GGUF_TYPE_UINT32 {
                    Some(llama_cpp_sys_2::gguf_get_val_u32(ctx, id))
                } else if t == llama_cpp_sys_2::GGUF_TYPE_INT32 {
                    u32::try_from(llama_cpp_sys_2::gguf_get_val_i32(ctx, id)).ok()
                } else {
                    None
                };
                v.map(file_type_name)
            }
        }
    };
    // SAFETY: as above.
    let expected_bytes = unsafe {
        let data = llama_cpp_sys_2::gguf_get_data_offset(ctx) as u64;
        let n = llama_cpp_sys_2::gguf_get_n_tensors(ctx);
        let end = (0..n)
            .map(|i| llama_cpp_sys_2::gguf_get_tensor_offset(ctx, i) as u64 + llama_cpp_sys_2::gguf_get_tensor_size(ctx, i) as u64)
            .max()
            .unwrap_or(0);
        data + end
    };
    let seed = {
        let k = CString::new(synthetic_keys::SEED).expect("no NUL");
        // SAFETY: as above; the getter matches the type checked first.
        unsafe {
            let id = llama_cpp_sys_2::gguf_find_key(ctx, k.as_ptr());
            (id >= 0 && llama_cpp_sys_2::gguf_get_kv_type(ctx, id) == llama_cpp_sys_2::GGUF_TYPE_UINT64)
                .then(|| llama_cpp_sys_2::gguf_get_val_u64(ctx, id))
        }
    };
    let synthetic = match (get_str(synthetic_keys::GENERATOR), seed) {
        (Some(generator), Some(seed)) => Some(SyntheticMark {
            generator,
            seed,
            preset: get_str(synthetic_keys::PRESET),
            source_sha256: get_str(synthetic_keys::SOURCE_SHA256),
        }),
        _ => None,
    };
    let header = GgufHeader {
        name: get_str("general.name"),
        architecture: get_str("general.architecture"),
        file_type,
        expected_bytes,
        synthetic,
    };
    // SAFETY: ctx came from gguf_init_from_file and is freed once.
    unsafe { llama_cpp_sys_2::gguf_free(ctx) };
    Ok(header)
}

/// Name of a `general.file_type` value (`llama_ftype` in llama.h).
pub fn file_type_name(v: u32) -> String {
    let name = match v {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        39 => "NVFP4",
        40 => "Q1_0",
        41 => "Q2_0",
        other => return format!("file_type {other}"),
    };
    name.to_owned()
}

/// sha256 of model files, cached by (canonical path, size, mtime) in a JSON file, so that a
/// multi-gigabyte model is hashed once and not at every campaign.
pub struct Sha256Cache {
    file: Option<PathBuf>,
}

#[derive(Serialize, Deserialize, Default)]
struct CacheFile {
    entries: BTreeMap<String, CacheEntry>,
}

#[derive(Serialize, Deserialize)]
struct CacheEntry {
    size: u64,
    mtime_ns: i128,
    sha256: Sha256Hex,
}

impl Sha256Cache {
    /// A cache stored in `file` (None: no caching).
    pub fn new(file: Option<PathBuf>) -> Self {
        Sha256Cache { file }
    }

    /// The default cache file: `$EDGEBENCH_CACHE/sha256.json` (default `~/.cache/edgebench`).
    pub fn default_location() -> Self {
        let dir = std::env::var_os("EDGEBENCH_CACHE")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("edgebench")))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/edgebench")));
        Sha256Cache { file: dir.map(|d| d.join("sha256.json")) }
    }

    pub fn sha256(&self, path: &Path, meta: &std::fs::Metadata) -> Result<Sha256Hex, String> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()).to_string_lossy().into_owned();
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(-1);
        let mut cache: CacheFile = self
            .file
            .as_ref()
            .and_then(|f| std::fs::read(f).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        if let Some(e) = cache.entries.get(&key)
            && e.size == meta.len()
            && e.mtime_ns == mtime_ns
        {
            return Ok(e.sha256.clone());
        }
        let sha = hash_file(path)?;
        if let Some(f) = &self.file {
            cache.entries.insert(key, CacheEntry { size: meta.len(), mtime_ns, sha256: sha.clone() });
            if let Some(dir) = f.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            // The cache is an optimisation: failing to write it is not an error.
            let _ = edgebench_dataset::fsutil::write_atomic(f, serde_json::to_string(&cache).unwrap_or_default().as_bytes());
        }
        Ok(sha)
    }
}

pub(crate) fn hash_file(path: &Path) -> Result<Sha256Hex, String> {
    use sha2::Digest;
    let mut file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Sha256Hex::parse(&hex(&hasher.finalize())).map_err(|e| e.to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, synthetic: Option<&str>) -> ModelFile {
        ModelFile {
            path: PathBuf::from(format!("/m/{name}.gguf")),
            file_name: format!("{name}.gguf"),
            size_bytes: 1,
            sha256: Sha256Hex::of(name.as_bytes()),
            header: Ok(GgufHeader {
                name: Some(format!("gguf {name}")),
                architecture: None,
                file_type: Some("Q8_0".into()),
                expected_bytes: 1,
                synthetic: synthetic.map(|preset| SyntheticMark { generator: "g".into(), seed: 0, preset: Some(preset.into()), source_sha256: None }),
            }),
            dataset_name: None,
        }
    }

    #[test]
    fn rows_are_named_by_the_flag_then_the_registry_then_the_file() {
        let known = file("known", None);
        let twin = file("twin", Some("qwen2.5-1.5b"));
        let line = |name: &str, extra: &str| format!(r#"{{"name":"{name}","files":[{{"sha256":"{}","file_name":"k.gguf","weight_type":"Q8_0","weights":"trained","source":"s"}}]{extra}}}"#, known.sha256);
        let registry = ModelRegistry::parse(&line("Known-Model", r#","synthetic_presets":["qwen2.5-1.5b"]"#)).unwrap();
        let mut models = vec![known.clone(), twin.clone(), file("stranger", None)];
        for m in &mut models {
            m.name_rows(None, Some(&registry));
        }
        let names: Vec<String> = models.iter().map(ModelFile::model_name).collect();
        assert_eq!(names, ["Known-Model", "Known-Model (synthetic weights)", "gguf stranger"]);
        let mut given = twin;
        given.name_rows(Some("Mine"), Some(&registry));
        assert_eq!(given.model_name(), "Mine (synthetic weights)", "a synthetic file's rows say so whatever the name");
        let mut bare = known;
        bare.name_rows(None, None);
        assert_eq!(bare.model_name(), "gguf known");
    }

    #[test]
    fn names_must_match_the_models_one_to_one() {
        let dir = std::env::temp_dir();
        let mut models = vec![file("a", None)];
        let e = name_models(&mut models, &["x".into(), "y".into()], &dir).unwrap_err();
        assert!(e.contains("2 --model-name for 1 --model"), "{e}");
        let e = name_models(&mut models, &[" ".into()], &dir).unwrap_err();
        assert!(e.contains("not empty"), "{e}");
    }
}
