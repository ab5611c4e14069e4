//! ggml's own GGUF reader, writer and quantiser, through `llama-cpp-sys-2`: the one unsafe module
//! of `collect synth`.
//!
//! ggml aborts the whole process (GGML_ASSERT) on a wrong key type, a duplicate tensor name, a
//! shape its type cannot take or a type that needs an importance matrix. Every such condition is
//! checked here before the call, so bad input becomes an error, never an abort.
//!
//! Invariants:
//! - `Gguf::ctx` is a live `gguf_context` from `gguf_init_empty` / `gguf_init_from_file`, freed
//!   once in `Drop`; `Gguf::tensors` is a live no-alloc `ggml_context` (tensor metadata only)
//!   sized for `capacity` tensors, freed once in `Drop`.
//! - Strings passed in are `CString`s (no interior NUL, checked); strings returned by ggml are
//!   copied before the context can change or be freed.
//! - A getter is called only for a key id that `gguf_find_key` returned, with the type
//!   `gguf_get_kv_type` / `gguf_get_arr_type` reported.
//! - `ggml_new_tensor` is called only with 1..=4 positive dimensions whose first is a multiple of
//!   the type's block size, and `gguf_add_tensor` only with a name not yet in the file.
//! - `ggml_quantize_chunk` gets `nrows × n_per_row` readable floats and a destination of
//!   `nrows × ggml_row_size(type, n_per_row)` writable bytes, `start = 0`, and is never called for
//!   a type that requires an importance matrix.

use std::ffi::{CStr, CString, c_char};
use std::path::Path;

use llama_cpp_sys_2 as sys;

pub type GgmlType = sys::ggml_type;

fn cstring(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("`{}` contains a NUL byte", s.escape_debug()))
}

/// ggml's name of a type (`q8_0`, `bf16`, …).
pub fn type_name(ty: GgmlType) -> String {
    // SAFETY: ggml_type_name returns a static string for any type below GGML_TYPE_COUNT; others
    // are refused first.
    if ty >= sys::GGML_TYPE_COUNT {
        return format!("type {ty}");
    }
    unsafe { CStr::from_ptr(sys::ggml_type_name(ty)) }.to_string_lossy().into_owned()
}

/// The type ggml names `name`, if any (a type ggml has removed has no name and no match).
pub fn type_from_name(name: &str) -> Option<GgmlType> {
    (0..sys::GGML_TYPE_COUNT).find(|&t| {
        // SAFETY: as in `type_name`; removed types have a null or empty name.
        let p = unsafe { sys::ggml_type_name(t) };
        !p.is_null() && unsafe { CStr::from_ptr(p) }.to_str().is_ok_and(|n| n.eq_ignore_ascii_case(name))
    })
}

pub fn block_size(ty: GgmlType) -> i64 {
    // SAFETY: any type below GGML_TYPE_COUNT.
    unsafe { sys::ggml_blck_size(ty) }
}

/// Bytes of one row of `n` elements.
pub fn row_size(ty: GgmlType, n: i64) -> usize {
    // SAFETY: any type below GGML_TYPE_COUNT; `n` a multiple of the block size (checked by callers).
    unsafe { sys::ggml_row_size(ty, n) }
}

/// Whether ggml can write `ty` from floats without an importance matrix.
pub fn can_quantize(ty: GgmlType) -> bool {
    // SAFETY: any type below GGML_TYPE_COUNT.
    ty < sys::GGML_TYPE_COUNT && block_size(ty) > 0 && !unsafe { sys::ggml_quantize_requires_imatrix(ty) } && row_size(ty, block_size(ty)) > 0
}

/// Converts `nrows` rows of `n_per_row` floats into `ty` (F32, F16, BF16 or a quantised type),
/// appending to `out`.
pub fn quantize_rows(ty: GgmlType, src: &[f32], n_per_row: i64, out: &mut Vec<u8>) -> Result<(), String> {
    if !can_quantize(ty) {
        return Err(format!("ggml cannot write {} without an importance matrix", type_name(ty)));
    }
    if n_per_row <= 0 || n_per_row % block_size(ty) != 0 || src.len() as i64 % n_per_row != 0 {
        return Err(format!("rows of {n_per_row} elements do not fit {} blocks of {}", type_name(ty), block_size(ty)));
    }
    let nrows = src.len() as i64 / n_per_row;
    let bytes = nrows as usize * row_size(ty, n_per_row);
    let at = out.len();
    out.resize(at + bytes, 0);
    // SAFETY: the module invariant: src holds nrows × n_per_row floats, dst `bytes` bytes, start 0,
    // no importance matrix needed; ggml_quantize_init (inside) is thread-safe.
    let written = unsafe { sys::ggml_quantize_chunk(ty, src.as_ptr(), out[at..].as_mut_ptr().cast(), 0, nrows, n_per_row, std::ptr::null()) };
    if written != bytes {
        return Err(format!("ggml wrote {written} bytes of {}, not {bytes}", type_name(ty)));
    }
    Ok(())
}

/// One tensor as a GGUF file lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    /// Dimensions, ggml order (`ne[0]` is the row length), trailing 1s dropped.
    pub ne: Vec<i64>,
    pub ty: GgmlType,
    /// Offset of its data from the start of the data section.
    pub offset: u64,
    pub size: u64,
}

impl TensorInfo {
    pub fn elements(&self) -> i64 {
        self.ne.iter().product()
    }
}

/// A key's value, as much of it as `collect synth` copies or reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U32(u32),
    I32(i32),
    F32(f32),
    U64(u64),
    Bool(bool),
    Str(String),
    ArrStr(Vec<String>),
    ArrI32(Vec<i32>),
    ArrF32(Vec<f32>),
    /// Any other type: copied raw between files by `gguf_set_kv`-like means is not offered;
    /// `collect synth` refuses to drop it silently.
    Other(String),
}

pub struct Gguf {
    ctx: *mut sys::gguf_context,
    tensors: *mut sys::ggml_context,
}

impl Drop for Gguf {
    fn drop(&mut self) {
        // SAFETY: both pointers are live and owned (module invariant), freed once here.
        unsafe {
            sys::gguf_free(self.ctx);
            if !self.tensors.is_null() {
                sys::ggml_free(self.tensors);
            }
        }
    }
}

impl Gguf {
    /// An empty file able to hold `capacity` tensors.
    pub fn empty(capacity: usize) -> Gguf {
        // SAFETY: ggml_tensor_overhead is a pure size; a no-alloc context holds tensor headers only.
        unsafe {
            let params = sys::ggml_init_params {
                mem_size: sys::ggml_tensor_overhead() * (capacity + 1),
                mem_buffer: std::ptr::null_mut(),
                no_alloc: true,
            };
            Gguf { ctx: sys::gguf_init_empty(), tensors: sys::ggml_init(params) }
        }
    }

    /// The metadata and tensor list of an existing file (no tensor data is read).
    pub fn open(path: &Path) -> Result<Gguf, String> {
        let c = cstring(&path.to_string_lossy())?;
        let params = sys::gguf_init_params { no_alloc: true, ctx: std::ptr::null_mut() };
        // SAFETY: reads the file; null on any parse error.
        let ctx = unsafe { sys::gguf_init_from_file(c.as_ptr(), params) };
        if ctx.is_null() {
            return Err(format!("{}: not a GGUF file ggml can read (bad magic, truncated or corrupt header)", path.display()));
        }
        Ok(Gguf { ctx, tensors: std::ptr::null_mut() })
    }

    pub fn keys(&self) -> Vec<String> {
        // SAFETY: ids below gguf_get_n_kv; strings copied.
        unsafe { (0..sys::gguf_get_n_kv(self.ctx)).map(|i| CStr::from_ptr(sys::gguf_get_key(self.ctx, i)).to_string_lossy().into_owned()).collect() }
    }

    fn id(&self, key: &str) -> Option<i64> {
        let k = cstring(key).ok()?;
        // SAFETY: live ctx, valid C string.
        let id = unsafe { sys::gguf_find_key(self.ctx, k.as_ptr()) };
        (id >= 0).then_some(id)
    }

    /// The value of `key`, read with the type the file says it has.
    pub fn get(&self, key: &str) -> Option<Value> {
        let id = self.id(key)?;
        let str_at = |p: *const c_char| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
        // SAFETY: the module invariant: each getter matches the reported type; arrays are read
        // within their reported length; strings copied.
        unsafe {
            let ty = sys::gguf_get_kv_type(self.ctx, id);
            Some(match ty {
                sys::GGUF_TYPE_UINT32 => Value::U32(sys::gguf_get_val_u32(self.ctx, id)),
                sys::GGUF_TYPE_INT32 => Value::I32(sys::gguf_get_val_i32(self.ctx, id)),
                sys::GGUF_TYPE_FLOAT32 => Value::F32(sys::gguf_get_val_f32(self.ctx, id)),
                sys::GGUF_TYPE_UINT64 => Value::U64(sys::gguf_get_val_u64(self.ctx, id)),
                sys::GGUF_TYPE_BOOL => Value::Bool(sys::gguf_get_val_bool(self.ctx, id)),
                sys::GGUF_TYPE_STRING => Value::Str(str_at(sys::gguf_get_val_str(self.ctx, id))),
                sys::GGUF_TYPE_ARRAY => {
                    let n = sys::gguf_get_arr_n(self.ctx, id);
                    match sys::gguf_get_arr_type(self.ctx, id) {
                        sys::GGUF_TYPE_STRING => Value::ArrStr((0..n).map(|i| str_at(sys::gguf_get_arr_str(self.ctx, id, i))).collect()),
                        sys::GGUF_TYPE_INT32 => {
                            Value::ArrI32(std::slice::from_raw_parts(sys::gguf_get_arr_data(self.ctx, id).cast::<i32>(), n).to_vec())
                        }
                        sys::GGUF_TYPE_FLOAT32 => {
                            Value::ArrF32(std::slice::from_raw_parts(sys::gguf_get_arr_data(self.ctx, id).cast::<f32>(), n).to_vec())
                        }
                        other => Value::Other(format!("array of {}", CStr::from_ptr(sys::gguf_type_name(other)).to_string_lossy())),
                    }
                }
                other => Value::Other(CStr::from_ptr(sys::gguf_type_name(other)).to_string_lossy().into_owned()),
            })
        }
    }

    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), String> {
        let k = cstring(key)?;
        // SAFETY: live ctx; C strings and arrays live across the call, which copies them.
        unsafe {
            match value {
                Value::U32(v) => sys::gguf_set_val_u32(self.ctx, k.as_ptr(), *v),
                Value::I32(v) => sys::gguf_set_val_i32(self.ctx, k.as_ptr(), *v),
                Value::F32(v) => sys::gguf_set_val_f32(self.ctx, k.as_ptr(), *v),
                Value::U64(v) => sys::gguf_set_val_u64(self.ctx, k.as_ptr(), *v),
                Value::Bool(v) => sys::gguf_set_val_bool(self.ctx, k.as_ptr(), *v),
                Value::Str(s) => {
                    let v = cstring(s)?;
                    sys::gguf_set_val_str(self.ctx, k.as_ptr(), v.as_ptr());
                }
                Value::ArrStr(items) => {
                    let owned = items.iter().map(|s| cstring(s)).collect::<Result<Vec<_>, _>>()?;
                    let mut ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
                    sys::gguf_set_arr_str(self.ctx, k.as_ptr(), ptrs.as_mut_ptr(), ptrs.len());
                }
                Value::ArrI32(v) => sys::gguf_set_arr_data(self.ctx, k.as_ptr(), sys::GGUF_TYPE_INT32, v.as_ptr().cast(), v.len()),
                Value::ArrF32(v) => sys::gguf_set_arr_data(self.ctx, k.as_ptr(), sys::GGUF_TYPE_FLOAT32, v.as_ptr().cast(), v.len()),
                Value::Other(what) => return Err(format!("key {key}: values of type {what} are not copied by collect synth")),
            }
        }
        Ok(())
    }

    /// Copies every key of `src` (ggml's `gguf_set_kv`: all types, in `src`'s order).
    pub fn copy_all_keys(&mut self, src: &Gguf) {
        // SAFETY: both contexts live.
        unsafe { sys::gguf_set_kv(self.ctx, src.ctx) }
    }

    pub fn remove(&mut self, key: &str) {
        if let Ok(k) = cstring(key) {
            // SAFETY: live ctx, valid C string; a missing key is a no-op.
            unsafe { sys::gguf_remove_key(self.ctx, k.as_ptr()) };
        }
    }

    pub fn tensors(&self) -> Vec<TensorInfo> {
        // SAFETY: ids below gguf_get_n_tensors; ne points to GGML_MAX_DIMS values; names copied.
        unsafe {
            (0..sys::gguf_get_n_tensors(self.ctx))
                .map(|i| {
                    let ne = std::slice::from_raw_parts(sys::gguf_get_tensor_ne(self.ctx, i), 4);
                    let dims = ne.iter().rposition(|&d| d != 1).map_or(1, |p| p + 1);
                    TensorInfo {
                        name: CStr::from_ptr(sys::gguf_get_tensor_name(self.ctx, i)).to_string_lossy().into_owned(),
                        ne: ne[..dims].to_vec(),
                        ty: sys::gguf_get_tensor_type(self.ctx, i),
                        offset: sys::gguf_get_tensor_offset(self.ctx, i) as u64,
                        size: sys::gguf_get_tensor_size(self.ctx, i) as u64,
                    }
                })
                .collect()
        }
    }

    /// Lists a tensor (its data is written separately, at its offset).
    pub fn add_tensor(&mut self, name: &str, ne: &[i64], ty: GgmlType) -> Result<(), String> {
        if self.tensors.is_null() {
            return Err("tensors can only be added to a new file".into());
        }
        // GGML_MAX_NAME (ggml.h) is 64, NUL included; bindgen does not export the macro.
        const MAX_NAME: usize = 64;
        if name.len() >= MAX_NAME {
            return Err(format!("tensor name `{name}` is longer than ggml's {} bytes", MAX_NAME - 1));
        }
        if ne.is_empty() || ne.len() > 4 || ne.iter().any(|&d| d <= 0) {
            return Err(format!("tensor {name}: dimensions {ne:?} are not 1 to 4 positive numbers"));
        }
        if ty >= sys::GGML_TYPE_COUNT || block_size(ty) <= 0 || ne[0] % block_size(ty) != 0 {
            return Err(format!("tensor {name}: rows of {} elements cannot be stored as {} (blocks of {})", ne[0], type_name(ty), block_size(ty)));
        }
        let c = cstring(name)?;
        // SAFETY: live ctx and valid C string.
        if unsafe { sys::gguf_find_tensor(self.ctx, c.as_ptr()) } >= 0 {
            return Err(format!("tensor {name} is listed twice"));
        }
        // SAFETY: the module invariant: checked shape and type, room for the header (capacity).
        unsafe {
            let t = sys::ggml_new_tensor(self.tensors, ty, ne.len() as i32, ne.as_ptr());
            if t.is_null() {
                return Err(format!("tensor {name}: more tensors than the file was made for"));
            }
            sys::ggml_set_name(t, c.as_ptr());
            sys::gguf_add_tensor(self.ctx, t);
        }
        Ok(())
    }

    /// The header, key-value pairs and tensor list, padded to the alignment: the file's first
    /// bytes, after which the tensor data follows at each tensor's offset.
    pub fn meta_bytes(&self) -> Vec<u8> {
        // SAFETY: gguf_get_meta_data writes exactly gguf_get_meta_size bytes.
        unsafe {
            let mut buf = vec![0u8; sys::gguf_get_meta_size(self.ctx)];
            sys::gguf_get_meta_data(self.ctx, buf.as_mut_ptr().cast());
            buf
        }
    }

    /// Where the data section of an opened file starts.
    pub fn data_offset(&self) -> u64 {
        // SAFETY: live ctx.
        unsafe { sys::gguf_get_data_offset(self.ctx) as u64 }
    }

    pub fn alignment(&self) -> u64 {
        // SAFETY: live ctx.
        unsafe { sys::gguf_get_alignment(self.ctx) as u64 }
    }
}

/// llama.cpp's own quantiser (`llama_model_quantize`), for the mixed-type presets (`Q4_K_M`)
/// whose per-tensor choices only it makes.
pub fn llama_quantize(input: &Path, output: &Path, ftype: sys::llama_ftype, threads: i32) -> Result<(), String> {
    let (i, o) = (cstring(&input.to_string_lossy())?, cstring(&output.to_string_lossy())?);
    // SAFETY: default params, then plain fields; both paths valid C strings for the call.
    let rc = unsafe {
        let mut p = sys::llama_model_quantize_default_params();
        p.ftype = ftype;
        p.nthread = threads;
        sys::llama_model_quantize(i.as_ptr(), o.as_ptr(), &p)
    };
    if rc == 0 { Ok(()) } else { Err(format!("llama.cpp could not quantise {} (code {rc})", input.display())) }
}
