//! Streams a synthetic GGUF to disk: metadata from ggml's writer, then each tensor's data at its
//! offset, generated and converted block of rows by block of rows (bounded memory whatever the
//! model's size), into a temporary file renamed into place only when complete.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use edgebench_dataset::schema::Sha256Hex;
use sha2::Digest;

use super::gguf::{self, GgmlType, Gguf};
use super::presets::Role;
use super::values;
use super::SynthRequest;

/// Where a tensor's values come from.
#[derive(Debug, Clone)]
pub enum Contents {
    Generated(Role),
    /// Given values (RoPE factors of a preset), stored as F32.
    Floats(Vec<f32>),
    /// Raw bytes of a source file (absolute offset, length): a twin's RoPE factors.
    CopiedFrom(PathBuf, u64, u64),
}

#[derive(Debug, Clone)]
pub struct Planned {
    pub name: String,
    pub ne: Vec<i64>,
    pub ty: GgmlType,
    pub role: Role,
    pub contents: Contents,
}

pub struct Written {
    pub sha256: Sha256Hex,
    pub bytes: u64,
}

/// Floats generated per block: 16 Mi values (64 MiB), split across threads.
const BLOCK_VALUES: i64 = 1 << 24;

/// A file that is deleted unless `keep` is called: nothing partial survives an error.
struct TempFile(Option<PathBuf>);

impl TempFile {
    fn keep(mut self, to: &Path) -> Result<(), String> {
        let from = self.0.take().expect("kept once");
        std::fs::rename(&from, to).map_err(|e| format!("moving {} to {}: {e}", from.display(), to.display()))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn temp_path(out: &Path, tag: &str) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    out.with_file_name(format!(".{name}.{tag}.{}.partial", std::process::id()))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("writing {}: {e}", path.display())
}

/// The bytes of rows `rows` of tensor `t`, converted to its type.
fn block_bytes(t: &Planned, seed: u64, rows: std::ops::Range<i64>, threads: usize) -> Result<Vec<u8>, String> {
    let n_per_row = t.ne[0];
    let name = values::name_hash(&t.name);
    let Contents::Generated(role) = t.contents else { unreachable!("only generated tensors are made in blocks") };
    let count = rows.end - rows.start;
    let per_thread = ((count + threads as i64 - 1) / threads as i64).max(1);
    let parts: Vec<Result<Vec<u8>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as i64)
            .map(|i| rows.start + i * per_thread..(rows.start + (i + 1) * per_thread).min(rows.end))
            .filter(|r| !r.is_empty())
            .map(|r| {
                s.spawn(move || {
                    let mut floats = vec![0f32; ((r.end - r.start) * n_per_row) as usize];
                    for (k, row) in floats.chunks_mut(n_per_row as usize).enumerate() {
                        values::fill_row(row, seed, name, (r.start + k as i64) as u64, role, n_per_row);
                    }
                    let mut out = Vec::new();
                    gguf::quantize_rows(t.ty, &floats, n_per_row, &mut out)?;
                    Ok(out)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a writer thread panicked".into()))).collect()
    });
    let mut bytes = Vec::new();
    for p in parts {
        bytes.extend(p?);
    }
    Ok(bytes)
}

/// Writes `meta` and every planned tensor to `out`, returning the file's sha256 and size.
pub fn write_file(meta: &Gguf, planned: &[Planned], r: &SynthRequest, out: &Path, progress: &mut dyn FnMut(&str)) -> Result<Written, String> {
    let tmp_path = temp_path(out, "writing");
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp_path).map_err(io(&tmp_path))?;
    let tmp = TempFile(Some(tmp_path.clone()));
    let mut w = std::io::BufWriter::with_capacity(8 << 20, file);
    let mut hasher = sha2::Sha256::new();
    let mut put = |w: &mut std::io::BufWriter<std::fs::File>, bytes: &[u8]| -> Result<(), String> {
        hasher.update(bytes);
        w.write_all(bytes).map_err(io(&tmp_path))
    };
    let header = meta.meta_bytes();
    put(&mut w, &header)?;
    let data_start = header.len() as u64;
    let infos = meta.tensors();
    let align = meta.alignment();
    let mut at = data_start;
    let total: i64 = planned.iter().map(|t| t.ne.iter().product::<i64>()).sum();
    let mut done: i64 = 0;
    let mut last_report = std::time::Instant::now();
    for (t, info) in planned.iter().zip(&infos) {
        if t.name != info.name {
            return Err(format!("internal: tensor order differs ({} vs {})", t.name, info.name));
        }
        let start = data_start + info.offset;
        if start < at {
            return Err(format!("internal: tensor {} overlaps the previous one", t.name));
        }
        put(&mut w, &vec![0u8; (start - at) as usize])?;
        at = start;
        let mut written = 0u64;
        match &t.contents {
            Contents::Floats(v) => {
                let mut bytes = Vec::new();
                gguf::quantize_rows(t.ty, v, t.ne[0], &mut bytes)?;
                put(&mut w, &bytes)?;
                written += bytes.len() as u64;
            }
            Contents::CopiedFrom(path, offset, len) => {
                let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
                f.seek(SeekFrom::Start(*offset)).map_err(|e| format!("{}: {e}", path.display()))?;
                let mut bytes = vec![0u8; *len as usize];
                f.read_exact(&mut bytes).map_err(|e| format!("{}: tensor {} is cut short: {e}", path.display(), t.name))?;
                put(&mut w, &bytes)?;
                written += bytes.len() as u64;
            }
            Contents::Generated(_) => {
                let rows: i64 = t.ne[1..].iter().product();
                let rows_per_block = (BLOCK_VALUES / t.ne[0]).max(1);
                let mut row = 0;
                while row < rows {
                    let end = (row + rows_per_block).min(rows);
                    let bytes = block_bytes(t, r.seed, row..end, r.threads.max(1))?;
                    put(&mut w, &bytes)?;
                    written += bytes.len() as u64;
                    done += (end - row) * t.ne[0];
                    row = end;
                    if last_report.elapsed().as_secs() >= 5 {
                        progress(&format!("{:.0}% of {} values written", 100.0 * done as f64 / total as f64, total));
                        last_report = std::time::Instant::now();
                    }
                }
            }
        }
        if written != info.size {
            return Err(format!("internal: tensor {} is {written} bytes, the header says {}", t.name, info.size));
        }
        at += written;
        // ggml pads after every tensor, the last one too.
        let pad = (align - at % align) % align;
        put(&mut w, &vec![0u8; pad as usize])?;
        at += pad;
    }
    let file = w.into_inner().map_err(|e| format!("writing {}: {}", tmp_path.display(), e.error()))?;
    file.sync_all().map_err(io(&tmp_path))?;
    drop(file);
    let sha256 = Sha256Hex::parse(&hex(&hasher.finalize())).map_err(|e| e.to_string())?;
    tmp.keep(out)?;
    Ok(Written { sha256, bytes: at })
}

/// Q4_K_M: every matrix in F16 first, then llama.cpp's quantiser chooses each tensor's type.
pub fn write_then_quantize(meta: &Gguf, planned: &[Planned], r: &SynthRequest, ftype: u32, progress: &mut dyn FnMut(&str)) -> Result<Written, String> {
    let f16 = temp_path(&r.out, "f16");
    let f16_guard = TempFile(Some(f16.clone()));
    write_file(meta, planned, r, &f16, progress)?;
    progress("quantising with llama.cpp's llama_model_quantize");
    let q = temp_path(&r.out, "quantised");
    let q_guard = TempFile(Some(q.clone()));
    gguf::llama_quantize(&f16, &q, ftype, r.threads.max(1) as i32)?;
    drop(f16_guard);
    let sha256 = crate::model_file::hash_file(&q)?;
    let bytes = std::fs::metadata(&q).map_err(|e| format!("{}: {e}", q.display()))?.len();
    q_guard.keep(&r.out)?;
    Ok(Written { sha256, bytes })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
