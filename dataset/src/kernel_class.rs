//! The kernel class table: one ordered rule set, as data, that puts every GPU kernel name and
//! every ggml op into an [`OpClass`].
//!
//! Why data and not code: the same rules classify Nsight Systems, Nsight Compute and PyTorch
//! captures (GPU kernel names) and the collector's own ggml op profiles (op names), and the data
//! dictionary prints them ([`rules_markdown`]), so a reader of the dataset sees exactly which
//! rule gave a row its `op_class`. Rules are plain prefix / substring / equality tests on the
//! lower-cased base name (no regex engine: bounded, linear work on any input).
//!
//! Order matters and the first match wins: attention before GEMV before GEMM (so that
//! `flash_attn_*` and `gemv*` are not caught by broader matrix patterns), GEMM before everything
//! else (cuBLAS and CUTLASS names contain words such as `splitK` or `relu` epilogues). A name that
//! no rule matches is `other`, never dropped; `misc` is a *known* kernel or op that belongs to
//! none of the named classes (argmax, sorting, reductions, state-space scans...).
//!
//! Sources of the rules: the `__global__` kernels of ggml-cuda (a test extracts every one from the
//! vendored sources and checks none falls through to `other`), cuBLAS / cuBLASLt / CUTLASS names
//! seen in public profiles (`ampere_h16816gemm_*`, `sm90_xmma_gemm_*`, `nvjet_*`,
//! `cutlass::Kernel2<...>`, `gemv2T_kernel_val`), and ggml's op, unary-op and GLU-op name tables.
//!
//! Layout: this file holds the table itself (the shape of a rule, [`KERNEL_CLASS_RULES`] and its
//! printed form [`rules_markdown`]), since it is the file the data dictionary and ARCHITECTURE.md
//! name as where the rules are defined as data. The functions that apply the table to a name
//! ([`kernel_base_name`], [`classify_kernel`], [`classify_ggml_op`], [`is_empty_ggml_op`]) are in
//! `kernel_class/classify.rs`; the tests, which also check the table against ggml's own sources,
//! in `kernel_class/tests.rs`.

use crate::schema::v1::OpClass;

mod classify;
pub use classify::{classify_ggml_op, classify_kernel, is_empty_ggml_op, kernel_base_name};

/// Which names a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// A GPU kernel's base name ([`kernel_base_name`]: no return type, template arguments,
    /// parameters or namespaces), lower-cased.
    Kernel,
    /// The whole kernel name as printed (demangled), lower-cased; tried only when no
    /// [`Namespace::Kernel`] rule matched, for wrappers whose base name says nothing, such as
    /// `cutlass::Kernel2<cutlass_80_tensorop_s1688gemm_...>` (base name `Kernel2`).
    KernelFullName,
    /// A ggml op as `ggml_op_desc` names it (`MUL_MAT`, or the sub-op of `UNARY` / `GLU` such as
    /// `SILU`, `SWIGLU`), lower-cased.
    GgmlOp,
}

impl Namespace {
    pub fn as_str(&self) -> &'static str {
        match self {
            Namespace::Kernel => "kernel base name",
            Namespace::KernelFullName => "kernel full name",
            Namespace::GgmlOp => "ggml op",
        }
    }
}

/// How a rule's pattern is compared with the (lower-cased) name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    Prefix,
    Contains,
    Exact,
}

impl PatternKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            PatternKind::Prefix => "prefix",
            PatternKind::Contains => "contains",
            PatternKind::Exact => "exact",
        }
    }
}

/// What a matching rule means beyond its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refinement {
    /// The rule's class is the answer.
    None,
    /// A ggml matrix product: gemv with one token column, gemm otherwise, attention when its
    /// first source is not a weight (the KQ and KQV products of attention without flash
    /// attention). The rule's class (gemm) is the answer when the token columns are unknown.
    MatrixProduct,
    /// A ggml op that computes nothing (a view of its source): profiles drop it
    /// ([`is_empty_ggml_op`]); classified as the rule's class (misc) if asked.
    EmptyOp,
}

/// One row of the class table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassRule {
    pub namespace: Namespace,
    pub kind: PatternKind,
    /// Lower-case ASCII.
    pub pattern: &'static str,
    pub class: OpClass,
    pub refinement: Refinement,
}

impl ClassRule {
    /// Whether the rule matches `lowered` (already lower-cased, in this rule's namespace).
    pub fn matches(&self, lowered: &str) -> bool {
        match self.kind {
            PatternKind::Prefix => lowered.starts_with(self.pattern),
            PatternKind::Contains => lowered.contains(self.pattern),
            PatternKind::Exact => lowered == self.pattern,
        }
    }
}

const fn r(namespace: Namespace, kind: PatternKind, pattern: &'static str, class: OpClass) -> ClassRule {
    ClassRule { namespace, kind, pattern, class, refinement: Refinement::None }
}

use Namespace::{GgmlOp as G, Kernel as K, KernelFullName as F};
use OpClass::{
    Attention as ATT, Elementwise as ELT, Gemm as GEMM, Gemv as GEMV, Memory as MEM, Misc as MISC, Norm as NORM,
    Quantize as QUANT, Rope as ROPE,
};
use PatternKind::{Contains as C, Exact as X, Prefix as P};

const fn matrix_product(pattern: &'static str) -> ClassRule {
    ClassRule { namespace: G, kind: X, pattern, class: GEMM, refinement: Refinement::MatrixProduct }
}

const fn empty_op(pattern: &'static str) -> ClassRule {
    ClassRule { namespace: G, kind: X, pattern, class: MISC, refinement: Refinement::EmptyOp }
}

/// The class table, in order; within a namespace the first matching rule wins.
pub static KERNEL_CLASS_RULES: &[ClassRule] = &[
    // ---- GPU kernels, on the base name ----
    // Attention first: flash attention and its helpers, softmax (the non-flash path), masks.
    r(K, P, "flash_attn", ATT),
    r(K, C, "flash_fwd", ATT),
    r(K, C, "fmha", ATT),
    r(K, P, "soft_max", ATT),
    r(K, C, "softmax", ATT),
    r(K, P, "diag_mask", ATT),
    r(K, P, "lightning_indexer", ATT),
    // Matrix-vector products before the broader GEMM patterns.
    r(K, P, "mul_mat_vec", GEMV),
    r(K, C, "gemv", GEMV),
    // Matrix products: ggml's MMQ / MMF kernels and their helpers, cuBLAS, cuBLASLt, CUTLASS.
    r(K, P, "mul_mat_", GEMM),
    r(K, P, "mm_ids_helper", GEMM),
    r(K, P, "k_compute_batched_ptrs", GEMM),
    r(K, P, "k_compute_out_prod_ptrs", GEMM),
    r(K, C, "gemm", GEMM),
    r(K, C, "xmma", GEMM),
    r(K, C, "cutlass", GEMM),
    r(K, C, "nvjet", GEMM),
    r(K, C, "splitkreduce", GEMM),
    // Quantisation of activations (before MMQ / MMVQ) and dequantisation (before cuBLAS).
    r(K, P, "quantize_", QUANT),
    r(K, P, "dequantize_", QUANT),
    r(K, P, "convert_unary", QUANT),
    // Normalisation, including the fused RMS norm + multiply + RoPE kernel.
    r(K, C, "norm_f32", NORM),
    r(K, P, "rms_norm", NORM),
    r(K, C, "layer_norm", NORM),
    r(K, C, "layernorm", NORM),
    r(K, C, "rmsnorm", NORM),
    r(K, P, "rope_", ROPE),
    // Element-wise: binary broadcasts (ADD/SUB/MUL/DIV and fused add chains), activations, GLU.
    r(K, P, "k_bin_bcast", ELT),
    r(K, P, "k_repeat", ELT),
    r(K, P, "unary_", ELT),
    r(K, C, "swiglu", ELT),
    r(K, C, "geglu", ELT),
    r(K, P, "scale_f32", ELT),
    r(K, C, "add_id", ELT),
    r(K, C, "softcap", ELT),
    r(K, C, "clamp", ELT),
    r(K, C, "leaky_relu", ELT),
    r(K, C, "xielu", ELT),
    r(K, P, "silu_back", ELT),
    r(K, P, "snake_kernel", ELT),
    r(K, P, "tri_kernel", ELT),
    r(K, C, "elementwise_kernel", ELT),
    // Data movement: copies and type conversions, row gathers and scatters (embeddings, KV cache
    // writes), concatenation, padding, fills; CUPTI's memcpy / memset records.
    r(K, P, "cpy_", MEM),
    r(K, C, "get_rows", MEM),
    r(K, C, "set_rows", MEM),
    r(K, P, "concat", MEM),
    r(K, C, "pad_", MEM),
    r(K, P, "acc_f32", MEM),
    r(K, P, "fill_kernel", MEM),
    r(K, P, "roll_", MEM),
    r(K, C, "memcpy", MEM),
    r(K, C, "memset", MEM),
    // Known kernels of no named class: selection, sorting, reductions, recurrent and
    // state-space layers, convolutions, training, collectives.
    r(K, P, "argmax", MISC),
    r(K, C, "argsort", MISC),
    r(K, C, "top_k", MISC),
    r(K, C, "topk", MISC),
    r(K, P, "init_indices", MISC),
    r(K, P, "init_offsets", MISC),
    r(K, C, "reduce_rows", MISC),
    r(K, C, "reduce_kernel", MISC),
    r(K, P, "cumsum", MISC),
    r(K, P, "divide_by_count", MISC),
    r(K, P, "count_equal", MISC),
    r(K, P, "ssm_", MISC),
    r(K, P, "rwkv_", MISC),
    r(K, P, "gated_linear_attn", MISC),
    r(K, P, "gated_delta_net", MISC),
    r(K, P, "solve_tri", MISC),
    r(K, P, "get_batch_pointers", MISC),
    r(K, P, "moe_weighted_reduction", MISC),
    r(K, P, "dsv4_", MISC),
    r(K, P, "fwht", MISC),
    r(K, P, "diag_kernel", MISC),
    r(K, P, "conv", MISC),
    r(K, P, "im2col", MISC),
    r(K, P, "col2im", MISC),
    r(K, P, "pool", MISC),
    r(K, P, "upscale", MISC),
    r(K, P, "arange", MISC),
    r(K, P, "timestep_embedding", MISC),
    r(K, P, "cross_entropy", MISC),
    r(K, P, "opt_step", MISC),
    r(K, P, "ggml_cuda_ar_", MISC),
    // ---- GPU kernels, on the full name, when the base name matched nothing ----
    r(F, C, "fmha", ATT),
    r(F, C, "flash", ATT),
    r(F, C, "gemv", GEMV),
    r(F, C, "cutlass", GEMM),
    r(F, C, "xmma", GEMM),
    r(F, C, "gemm", GEMM),
    // ---- ggml ops (`ggml_op_desc`) ----
    matrix_product("mul_mat"),
    matrix_product("mul_mat_id"),
    matrix_product("out_prod"),
    r(G, X, "flash_attn_ext", ATT),
    r(G, X, "flash_attn_back", ATT),
    r(G, X, "soft_max", ATT),
    r(G, X, "soft_max_back", ATT),
    r(G, P, "diag_mask_", ATT),
    r(G, X, "lightning_indexer", ATT),
    r(G, X, "get_rel_pos", ATT),
    r(G, X, "add_rel_pos", ATT),
    r(G, X, "norm", NORM),
    r(G, X, "rms_norm", NORM),
    r(G, X, "rms_norm_back", NORM),
    r(G, X, "group_norm", NORM),
    r(G, X, "l2_norm", NORM),
    r(G, X, "rope", ROPE),
    r(G, X, "rope_back", ROPE),
    // Binary, scalar and unary element-wise ops; the UNARY and GLU sub-ops as their desc.
    r(G, X, "add", ELT),
    r(G, X, "add1", ELT),
    r(G, X, "add_id", ELT),
    r(G, X, "sub", ELT),
    r(G, X, "mul", ELT),
    r(G, X, "div", ELT),
    r(G, X, "scale", ELT),
    r(G, X, "sqr", ELT),
    r(G, X, "sqrt", ELT),
    r(G, X, "log", ELT),
    r(G, X, "sin", ELT),
    r(G, X, "cos", ELT),
    r(G, X, "clamp", ELT),
    r(G, X, "leaky_relu", ELT),
    r(G, X, "silu_back", ELT),
    r(G, X, "tri", ELT),
    r(G, X, "unary", ELT),
    r(G, X, "glu", ELT),
    r(G, X, "abs", ELT),
    r(G, X, "sgn", ELT),
    r(G, X, "neg", ELT),
    r(G, X, "step", ELT),
    r(G, X, "tanh", ELT),
    r(G, X, "elu", ELT),
    r(G, X, "relu", ELT),
    r(G, X, "sigmoid", ELT),
    r(G, P, "gelu", ELT),
    r(G, X, "silu", ELT),
    r(G, P, "hard", ELT),
    r(G, P, "exp", ELT),
    r(G, X, "softplus", ELT),
    r(G, X, "xielu", ELT),
    r(G, X, "floor", ELT),
    r(G, X, "ceil", ELT),
    r(G, X, "round", ELT),
    r(G, X, "trunc", ELT),
    r(G, X, "reglu", ELT),
    r(G, P, "geglu", ELT),
    r(G, P, "swiglu", ELT),
    // Data movement.
    r(G, X, "cpy", MEM),
    r(G, X, "cont", MEM),
    r(G, X, "dup", MEM),
    r(G, P, "get_rows", MEM),
    r(G, X, "set_rows", MEM),
    r(G, X, "concat", MEM),
    r(G, P, "repeat", MEM),
    r(G, P, "pad", MEM),
    r(G, X, "set", MEM),
    r(G, X, "acc", MEM),
    r(G, X, "roll", MEM),
    r(G, X, "fill", MEM),
    r(G, P, "win_", MEM),
    // Views: no computation.
    empty_op("none"),
    empty_op("view"),
    empty_op("reshape"),
    empty_op("permute"),
    empty_op("transpose"),
    // Known ops of no named class.
    r(G, X, "argmax", MISC),
    r(G, X, "argsort", MISC),
    r(G, X, "top_k", MISC),
    r(G, X, "sum", MISC),
    r(G, X, "sum_rows", MISC),
    r(G, X, "cumsum", MISC),
    r(G, X, "mean", MISC),
    r(G, X, "count_equal", MISC),
    r(G, X, "diag", MISC),
    r(G, P, "ssm_", MISC),
    r(G, P, "rwkv_", MISC),
    r(G, X, "gated_linear_attn", MISC),
    r(G, X, "gated_delta_net", MISC),
    r(G, X, "solve_tri", MISC),
    r(G, P, "dsv4_", MISC),
    r(G, P, "conv_", MISC),
    r(G, P, "im2col", MISC),
    r(G, P, "col2im", MISC),
    r(G, P, "pool_", MISC),
    r(G, X, "upscale", MISC),
    r(G, X, "arange", MISC),
    r(G, X, "timestep_embedding", MISC),
    r(G, P, "map_custom", MISC),
    r(G, X, "custom", MISC),
    r(G, P, "cross_entropy_loss", MISC),
    r(G, P, "opt_step_", MISC),
];

/// The class table as Markdown (namespace, order within it, pattern kind, pattern, class), for
/// the data dictionary.
pub fn rules_markdown() -> String {
    let mut out = String::from("| namespace | order | match | pattern | class |\n|---|---:|---|---|---|\n");
    let mut order = 0usize;
    let mut previous: Option<Namespace> = None;
    for rule in KERNEL_CLASS_RULES {
        order = if previous == Some(rule.namespace) { order + 1 } else { 1 };
        previous = Some(rule.namespace);
        let class = match rule.refinement {
            Refinement::None => format!("`{}`", rule.class),
            Refinement::MatrixProduct => format!(
                "`{}`; `gemv` with 1 token column; `attention` when the first source is not a weight",
                rule.class
            ),
            Refinement::EmptyOp => format!("dropped (empty op); `{}` if classified", rule.class),
        };
        out.push_str(&format!(
            "| {} | {} | {} | `{}` | {} |\n",
            rule.namespace.as_str(),
            order,
            rule.kind.as_str(),
            rule.pattern,
            class
        ));
    }
    out
}

#[cfg(test)]
mod tests;
