//! The one unsafe door to llama.cpp's per-node timing: a context created through `llama-cpp-sys-2`
//! with the graph scheduler's eval callback (`cb_eval`), which llama-cpp-2 0.1.160 no longer
//! exposes.
//!
//! How the timing works (ggml-backend.cpp, `ggml_backend_sched_compute_splits`): with a callback
//! installed, the scheduler asks it about each graph node (`ask = true`). Nodes the callback does
//! not want are batched with the following ones; for a wanted node the scheduler computes the
//! range up to it as one graph view, **synchronises the back-end**, and passes the node back
//! (`ask = false`). So a wall-clock stamp at the ask and one at the hand-back time that node on
//! any back-end, CPU included, at a price the capture records: every node pays a graph launch
//! and a synchronisation, and ggml's op fusion, which works on consecutive nodes of one graph,
//! cannot happen. Empty ops (NONE, VIEW, RESHAPE, PERMUTE, TRANSPOSE) are not wanted: they do no
//! work and ride along with the next node. Outside a phase (between prompts) no node is wanted,
//! so the scheduler computes whole graphs as usual.
//!
//! Invariants this module keeps:
//! - The callback state is boxed and owned by [`ProfiledContext`], which frees the llama.cpp
//!   context (the only holder of the raw pointer to the state) in `Drop`, before the box.
//! - The callback runs on the thread that calls `llama_decode` (the scheduler calls it
//!   synchronously), never concurrently with the methods of [`ProfiledContext`], which all take
//!   `&mut self` or only read the logits after the decode returned.
//! - The callback never unwinds into C: it does nothing that can panic but allocate (an
//!   allocation failure aborts, it does not unwind).
//! - The model outlives the context: `ProfiledContext<'m>` borrows the `LlamaModel`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ffi::{CStr, c_char, c_void};
use std::marker::PhantomData;
use std::ptr::NonNull;

use edgebench_dataset::schema::v1::Phase;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_sys_2 as sys;
use serde::{Deserialize, Serialize};

use crate::telemetry::monotonic_ns;
use crate::worker::Decoder;

/// One distinct node signature of one phase and its times over every execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeStat {
    /// `ggml_op_desc`: the op name, or the unary/GLU sub-op (`SILU`, `SWIGLU`).
    pub op: String,
    /// Type of the first source (for a matrix product, the weights), `ggml_type_name`.
    pub src0_type: Option<String>,
    /// Whether the first source lives in a weights buffer (a matrix product that does not
    /// multiply weights is the attention's KQ or KQV product).
    pub src0_is_weight: bool,
    /// `src0[..] src1[..] -> [..]`, ggml `ne` with trailing 1s dropped.
    pub shape_signature: String,
    /// `src1->ne[1]` of a matrix product: the token columns.
    pub token_columns: Option<u64>,
    pub calls: u64,
    pub total_ns: f64,
    pub min_ns: f64,
    pub max_ns: f64,
    pub median_ns: f64,
    pub stddev_ns: f64,
}

/// What identifies a node signature; cheap to build and hash inside the timed loop (the strings
/// are formed once, at the end).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct NodeKey {
    phase: Phase,
    /// `ggml_op_desc` returns static strings, so the address identifies the name.
    desc: usize,
    src0_type: Option<u32>,
    src0_is_weight: bool,
    ne_src0: Option<[i64; 4]>,
    ne_src1: Option<[i64; 4]>,
    ne_dst: [i64; 4],
}

#[derive(Default)]
struct CallbackState {
    /// The phase being timed; `None` between prompts (nothing is timed).
    phase: Option<Phase>,
    started_ns: u64,
    /// Durations in ns (saturated at u32::MAX, 4.3 s a node), per signature.
    nodes: HashMap<NodeKey, Vec<u32>, BuildHasherDefault<KeyHasher>>,
}

/// A multiply-rotate hasher for [`NodeKey`]s: the lookup runs once per graph node, outside the
/// node's timed interval but inside the phase's, so it must cost nanoseconds, not SipHash's
/// tens; the keys are our own, not an adversary's.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
}

/// A llama.cpp context whose scheduler times every non-empty graph node of the phase entered.
pub struct ProfiledContext<'m> {
    ctx: NonNull<sys::llama_context>,
    n_vocab: usize,
    state: Box<CallbackState>,
    _model: PhantomData<&'m LlamaModel>,
}

// `LlamaModel` is `#[repr(transparent)]` over llama-cpp-2's `Ptr<llama_model>`, itself
// `#[repr(transparent)]` over `NonNull<llama_model>` (llama-cpp-2 0.1.160: src/model.rs:25-30,
// src/ptr.rs:5-6; Cargo.toml pins that version exactly). The field is private, so the pointer is
// read through that layout; this assertion fails the build if the wrapper ever grows.
const _: () = assert!(size_of::<LlamaModel>() == size_of::<*mut sys::llama_model>());

fn model_ptr(model: &LlamaModel) -> *mut sys::llama_model {
    // SAFETY: see the layout argument above; the pointer is non-null and valid while `model` is.
    unsafe { *(model as *const LlamaModel).cast::<*mut sys::llama_model>() }
}

impl<'m> ProfiledContext<'m> {
    /// A context with the same parameters a measured run gives llama-cpp-2 (its defaults plus
    /// context size, batch and threads), and the eval callback installed.
    pub fn new(model: &'m LlamaModel, n_ctx: u32, n_batch: u32, n_threads: u32) -> Result<Self, String> {
        let raw_model = model_ptr(model);
        // SAFETY: plain getters on a live model.
        let (n_params, n_vocab) = unsafe { (sys::llama_model_n_params(raw_model), sys::llama_vocab_n_tokens(sys::llama_model_get_vocab(raw_model))) };
        if n_params != model.n_params() {
            return Err("the model pointer read from llama-cpp-2 does not match the model (llama-cpp-2 layout changed?)".into());
        }
        let mut state = Box::<CallbackState>::default();
        // SAFETY: returns a plain struct by value.
        let mut params = unsafe { sys::llama_context_default_params() };
        params.n_ctx = n_ctx;
        params.n_batch = n_batch;
        params.n_threads = n_threads as i32;
        params.n_threads_batch = n_threads as i32;
        params.cb_eval = Some(on_node);
        params.cb_eval_user_data = (&mut *state as *mut CallbackState).cast::<c_void>();
        // SAFETY: a live model and valid parameters; the state outlives the context (Drop order).
        let ctx = unsafe { sys::llama_init_from_model(raw_model, params) };
        let ctx = NonNull::new(ctx).ok_or("llama_init_from_model returned null")?;
        Ok(ProfiledContext { ctx, n_vocab: usize::try_from(n_vocab).unwrap_or(0), state, _model: PhantomData })
    }
}

impl Drop for ProfiledContext<'_> {
    fn drop(&mut self) {
        // SAFETY: the context was created by llama_init_from_model and is freed once; the state
        // box is dropped after this, when no callback can run any more.
        unsafe { sys::llama_free(self.ctx.as_ptr()) };
    }
}

impl Decoder for ProfiledContext<'_> {
    fn clear(&mut self) {
        // SAFETY: a live context; clearing its memory (KV cache) data included.
        unsafe { sys::llama_memory_clear(sys::llama_get_memory(self.ctx.as_ptr()), true) };
        self.state.phase = None;
    }

    fn eval(&mut self, tokens: &[LlamaToken], _first_pos: i32) -> Result<(), String> {
        // `llama_batch_get_one` places the tokens after the sequence's last position, which is
        // `_first_pos` as the caller clears the memory before each prompt and evaluates in order;
        // it asks for the logits of the last token only, as a measured run does.
        let mut ids: Vec<sys::llama_token> = tokens.iter().map(|t| t.0).collect();
        let n = i32::try_from(ids.len()).map_err(|_| "too many tokens for one batch".to_owned())?;
        // SAFETY: `ids` outlives the call; llama_decode does not keep the batch.
        let rc = unsafe { sys::llama_decode(self.ctx.as_ptr(), sys::llama_batch_get_one(ids.as_mut_ptr(), n)) };
        match rc {
            0 => Ok(()),
            rc => Err(format!("llama_decode returned {rc}")),
        }
    }

    fn synchronize(&mut self) {
        // SAFETY: a live context.
        unsafe { sys::llama_synchronize(self.ctx.as_ptr()) };
    }

    fn last_logits(&self) -> &[f32] {
        // SAFETY: after a decode that asked for the last token's logits, llama.cpp returns a
        // pointer to n_vocab floats that stays valid until the next decode (which needs &mut self).
        unsafe {
            let p = sys::llama_get_logits_ith(self.ctx.as_ptr(), -1);
            if p.is_null() { &[] } else { std::slice::from_raw_parts(p, self.n_vocab) }
        }
    }

    fn enter_phase(&mut self, phase: Phase) {
        self.state.phase = Some(phase);
    }

    fn take_op_profile(&mut self) -> Vec<(Phase, Vec<NodeStat>)> {
        self.state.phase = None;
        let nodes = std::mem::take(&mut self.state.nodes);
        [Phase::Prefill, Phase::Decode]
            .into_iter()
            .map(|phase| {
                let mut stats: Vec<NodeStat> =
                    nodes.iter().filter(|(k, _)| k.phase == phase).map(|(k, times)| node_stat(k, times)).collect();
                stats.sort_by(|a, b| b.total_ns.total_cmp(&a.total_ns).then_with(|| a.shape_signature.cmp(&b.shape_signature)));
                (phase, stats)
            })
            .filter(|(_, stats)| !stats.is_empty())
            .collect()
    }
}

/// The scheduler's eval callback (see the module docs for the protocol).
unsafe extern "C" fn on_node(t: *mut sys::ggml_tensor, ask: bool, user_data: *mut c_void) -> bool {
    // SAFETY: user_data is the boxed state installed in `ProfiledContext::new`, alive while the
    // context is, and only touched from the decoding thread (module invariants).
    let state = unsafe { &mut *user_data.cast::<CallbackState>() };
    let Some(phase) = state.phase else { return !ask };
    if ask {
        // SAFETY: the scheduler passes a live graph node.
        if unsafe { is_empty_op((*t).op) } {
            return false;
        }
        state.started_ns = monotonic_ns();
        return true;
    }
    let elapsed = monotonic_ns().saturating_sub(state.started_ns);
    // SAFETY: as above; its sources are live tensors or null.
    let key = unsafe { node_key(t, phase) };
    state.nodes.entry(key).or_default().push(u32::try_from(elapsed).unwrap_or(u32::MAX));
    true
}

fn is_empty_op(op: sys::ggml_op) -> bool {
    matches!(op, sys::GGML_OP_NONE | sys::GGML_OP_RESHAPE | sys::GGML_OP_TRANSPOSE | sys::GGML_OP_VIEW | sys::GGML_OP_PERMUTE)
}

/// # Safety
/// `t` must be a live ggml tensor whose `src` entries are live tensors or null.
unsafe fn node_key(t: *mut sys::ggml_tensor, phase: Phase) -> NodeKey {
    unsafe {
        let src0 = (*t).src[0];
        let src1 = (*t).src[1];
        let src0_is_weight = !src0.is_null()
            && !(*src0).buffer.is_null()
            && sys::ggml_backend_buffer_get_usage((*src0).buffer) == sys::GGML_BACKEND_BUFFER_USAGE_WEIGHTS;
        NodeKey {
            phase,
            desc: sys::ggml_op_desc(t) as usize,
            src0_type: (!src0.is_null()).then(|| (*src0).type_),
            src0_is_weight,
            ne_src0: (!src0.is_null()).then(|| (*src0).ne),
            ne_src1: (!src1.is_null()).then(|| (*src1).ne),
            ne_dst: (*t).ne,
        }
    }
}

fn static_str(p: *const c_char) -> String {
    if p.is_null() {
        return "?".into();
    }
    // SAFETY: ggml's name tables are static NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn shape(ne: &[i64; 4]) -> String {
    let used = ne.iter().rposition(|&n| n != 1).map_or(1, |i| i + 1);
    let dims: Vec<String> = ne[..used].iter().map(i64::to_string).collect();
    format!("[{}]", dims.join(","))
}

fn node_stat(key: &NodeKey, times: &[u32]) -> NodeStat {
    let op = static_str(key.desc as *const c_char);
    let mut sorted: Vec<f64> = times.iter().map(|&t| f64::from(t)).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len().max(1) as f64;
    let total: f64 = sorted.iter().sum();
    let mean = total / n;
    let variance = sorted.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / n;
    let mid = sorted.len() / 2;
    let median = match sorted.len() {
        0 => 0.0,
        len if len % 2 == 1 => sorted[mid],
        _ => (sorted[mid - 1] + sorted[mid]) / 2.0,
    };
    let mut signature = Vec::new();
    if let Some(ne) = &key.ne_src0 {
        signature.push(format!("src0{}", shape(ne)));
    }
    if let Some(ne) = &key.ne_src1 {
        signature.push(format!("src1{}", shape(ne)));
    }
    signature.push(format!("-> {}", shape(&key.ne_dst)));
    let is_matrix_product = matches!(op.as_str(), "MUL_MAT" | "MUL_MAT_ID" | "OUT_PROD");
    NodeStat {
        // SAFETY: ggml_type_name returns a static string for any type value.
        src0_type: key.src0_type.map(|t| static_str(unsafe { sys::ggml_type_name(t) })),
        src0_is_weight: key.src0_is_weight,
        shape_signature: signature.join(" "),
        token_columns: if is_matrix_product { key.ne_src1.map(|ne| ne[1].max(0) as u64) } else { None },
        op,
        calls: sorted.len() as u64,
        total_ns: total,
        min_ns: sorted.first().copied().unwrap_or(0.0),
        max_ns: sorted.last().copied().unwrap_or(0.0),
        median_ns: median,
        stddev_ns: variance.sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::shape;

    #[test]
    fn shapes_drop_trailing_ones_but_keep_inner_ones() {
        assert_eq!(shape(&[576, 1, 1, 1]), "[576]");
        assert_eq!(shape(&[576, 7, 1, 1]), "[576,7]");
        assert_eq!(shape(&[64, 1, 9, 1]), "[64,1,9]");
        assert_eq!(shape(&[1, 1, 1, 1]), "[1]");
    }
}
