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

use crate::schema::v1::OpClass;

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

fn first_match(namespace: Namespace, lowered: &str) -> Option<&'static ClassRule> {
    KERNEL_CLASS_RULES.iter().find(|rule| rule.namespace == namespace && rule.matches(lowered))
}

/// The base name of a GPU kernel: without `void ` or another return type, template arguments
/// (`<...>`, nested), the parameter list and namespaces — the same as Nsight Systems' `shortName`.
///
/// `void mul_mat_q<(ggml_type)133, (int)128>(char const*, int)` → `mul_mat_q`;
/// `cutlass::Kernel2<cutlass_80_...>(Params)` → `Kernel2` (hence the full-name rules);
/// `(anonymous namespace)::k(int)` → `k`. A name with nothing outside brackets (CUPTI's
/// `[CUDA memcpy HtoD]`) is returned trimmed. One pass over the name: linear time on any input.
pub fn kernel_base_name(name: &str) -> String {
    let name = name.trim();
    // Characters outside every bracket pair, and where the parameter list began in them: the
    // last top-level `(...)` group not followed by `::` (which would be `(anonymous namespace)`).
    let mut top = String::new();
    let mut depth: usize = 0;
    let mut group_start = 0usize;
    let mut params_at: Option<usize> = None;
    let mut previous = '\0';
    for (i, c) in name.char_indices() {
        let arrow = previous == '-' && c == '>';
        previous = c;
        match c {
            // `->` (member access printed inside template arguments) closes nothing.
            '>' if arrow && depth == 0 => top.push(c),
            '>' if arrow => {}
            '<' | '(' | '[' => {
                if depth == 0 {
                    group_start = top.len();
                }
                depth += 1;
            }
            '>' | ')' | ']' => {
                if depth == 1 && c == ')' && !name[i + 1..].starts_with("::") {
                    params_at = Some(group_start);
                }
                // A stray closer (`->`, `operator>`) is ignored rather than underflowing.
                depth = depth.saturating_sub(1);
            }
            _ if depth == 0 => top.push(c),
            _ => {}
        }
    }
    let head = top[..params_at.unwrap_or(top.len())].trim_end();
    let last_word = head.rsplit(char::is_whitespace).next().unwrap_or("");
    let base = last_word.rsplit("::").next().unwrap_or("").trim_start_matches(['*', '&']);
    if base.is_empty() { name.to_owned() } else { base.to_owned() }
}

/// The class of a GPU kernel name as a profiler printed it (demangled or short).
pub fn classify_kernel(name: &str) -> OpClass {
    let base = kernel_base_name(name).to_ascii_lowercase();
    if let Some(rule) = first_match(Namespace::Kernel, &base) {
        return rule.class;
    }
    let full = name.trim().to_ascii_lowercase();
    first_match(Namespace::KernelFullName, &full).map_or(OpClass::Other, |rule| rule.class)
}

/// The class of a ggml op, given its `ggml_op_desc` (`MUL_MAT`, `RMS_NORM`, `SILU`, `SWIGLU`...),
/// for matrix products the number of token columns (`src1->ne[1]`) and whether the first source
/// is a weight (its buffer's usage is `GGML_BACKEND_BUFFER_USAGE_WEIGHTS`).
///
/// Matrix products: first source not a weight → attention (KQ and KQV without flash attention);
/// one token column → gemv; otherwise (more columns, or unknown) → gemm. Empty ops (see
/// [`is_empty_ggml_op`]) are `misc`; unknown ops are `other`.
pub fn classify_ggml_op(op_desc: &str, token_columns: Option<u64>, src0_is_weight: bool) -> OpClass {
    let op = op_desc.trim().to_ascii_lowercase();
    let Some(rule) = first_match(Namespace::GgmlOp, &op) else {
        return OpClass::Other;
    };
    match rule.refinement {
        Refinement::MatrixProduct if !src0_is_weight => OpClass::Attention,
        Refinement::MatrixProduct if token_columns == Some(1) => OpClass::Gemv,
        Refinement::MatrixProduct | Refinement::EmptyOp | Refinement::None => rule.class,
    }
}

/// Whether a ggml op computes nothing (`NONE`, `VIEW`, `RESHAPE`, `PERMUTE`, `TRANSPOSE`: ggml's
/// `ggml_op_is_empty`); op profiles drop these nodes.
pub fn is_empty_ggml_op(op_desc: &str) -> bool {
    let op = op_desc.trim().to_ascii_lowercase();
    first_match(Namespace::GgmlOp, &op).is_some_and(|rule| rule.refinement == Refinement::EmptyOp)
}

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
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    #[test]
    fn kernel_class_base_names() {
        let cases = [
            ("void mul_mat_q<(ggml_type)133, (int)128, (int)8, (bool)0>(char const*, int const*)", "mul_mat_q"),
            ("mul_mat_vec_q<(ggml_type)2, 1, false>", "mul_mat_vec_q"),
            ("cutlass::Kernel2<cutlass_80_tensorop_s1688gemm_64x64_16x6_tn_align4>(Params)", "Kernel2"),
            (
                "void cublasLt::splitKreduce_kernel<32, 16, int, float>(cublasLt::cublasSplitKParams<float>)",
                "splitKreduce_kernel",
            ),
            ("(anonymous namespace)::helper(int)", "helper"),
            (
                "void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>>(int)",
                "vectorized_elementwise_kernel",
            ),
            ("k_bin_bcast<&op_add, float, float, float>", "k_bin_bcast"),
            ("  rms_norm_f32<1024>  ", "rms_norm_f32"),
            ("ampere_h16816gemm_128x64_ldg8_stages_64x3_tn", "ampere_h16816gemm_128x64_ldg8_stages_64x3_tn"),
            ("void foo<a->b>(int) const [clone .kd]", "foo"),
            ("[CUDA memcpy HtoD]", "[CUDA memcpy HtoD]"),
            ("std::enable_if<true, void>::type k_get_rows<float>(float const*)", "k_get_rows"),
            ("", ""),
        ];
        for (name, want) in cases {
            assert_eq!(kernel_base_name(name), want, "base name of {name:?}");
        }
    }

    #[test]
    fn kernel_class_hostile_names_are_bounded() {
        let start = std::time::Instant::now();
        for hostile in [
            "<".repeat(1 << 20),
            ">".repeat(1 << 20),
            "(".repeat(1 << 20),
            ")::".repeat(1 << 18),
            format!("void {}x", "a::".repeat(1 << 18)),
            "é𝄞<\u{0}>(".repeat(1 << 16),
            "gemm ".repeat(1 << 18),
        ] {
            let _ = kernel_base_name(&hostile);
            let _ = classify_kernel(&hostile);
            let _ = classify_ggml_op(&hostile, Some(1), true);
        }
        assert!(start.elapsed().as_secs() < 20, "hostile names took {:?}", start.elapsed());
    }

    #[test]
    fn kernel_class_named_kernels() {
        use OpClass::*;
        let cases: &[(&str, OpClass)] = &[
            ("void mul_mat_q<(ggml_type)133, (int)128, (int)8, (bool)0>(char const*, int const*, float*, int)", Gemm),
            ("mul_mat_q<q8_0,64>", Gemm),
            ("void mul_mat_q_stream_k_fixup<(ggml_type)2, 64, false>(int const*, float*)", Gemm),
            ("mul_mat_f<__half2,32,2,8,false>", Gemm),
            ("void mul_mat_vec_q<(ggml_type)3, 1, false>(void const*, void const*, float*)", Gemv),
            ("mul_mat_vec_f<__half,float,1,256,true,false>", Gemv),
            ("ampere_h16816gemm_128x64_ldg8_stages_64x3_tn", Gemm),
            ("ampere_sgemm_128x64_tn", Gemm),
            (
                "sm80_xmma_gemm_f16f16_f16f32_f32_tn_n_tilesize128x128x32_stage4_warpsize2x2x1_tensor16x8x16_kernel",
                Gemm,
            ),
            (
                "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas",
                Gemm,
            ),
            ("nvjet_tst_128x64_64x8_1x2_h_bz_coopB_NNT", Gemm),
            ("nvjet_sm90_hsh_128x256_64x4_2x1_v_bz_coopA_TNN", Gemm),
            (
                "cutlass::Kernel2<cutlass_80_tensorop_s1688gemm_64x64_16x6_tn_align4>(cutlass_80_tensorop_s1688gemm_64x64_16x6_tn_align4::Params)",
                Gemm,
            ),
            ("void cutlass::Kernel2<cutlass_80_wmma_tensorop_h161616gemm_32x32_128x1_tn_align8>(Params)", Gemm),
            (
                "cutlass3x_sm90_tensorop_h64x128x16gemm_f16_f16_f32_f16_f16_128x128x64_1x1x1_0_tnn_align8_warpspecialized_cooperative_epi_tma",
                Gemm,
            ),
            (
                "void cublasLt::splitKreduce_kernel<32, 16, int, float, float, float, float, true, false, false>(cublasLt::cublasSplitKParams<float>)",
                Gemm,
            ),
            (
                "void gemv2T_kernel_val<int, int, float, float, float, float, 128, 16, 4, 4, false, false>(cublasGemvParamsEx<int, float const*, float const*, float*>, float, float)",
                Gemv,
            ),
            (
                "void gemvx::kernel<int, int, float, float, float, float, false, true, true, false, 7, false, cublasGemvParamsEx<int, float const*, float const*, float*>>(cublasGemvParamsEx<int, float const*, float const*, float*>, float, float)",
                Gemv,
            ),
            ("void flash_attn_ext_f16<64, 64, 8, 2, false, false, false>(char const*, char const*)", Attention),
            ("flash_attn_ext_vec<128, 1, (ggml_type)1, (ggml_type)1, false>", Attention),
            ("soft_max_f32<true, 32, 32>", Attention),
            ("void k_bin_bcast<&op_add, float, float, float>(float const*, float const*, float*)", Elementwise),
            ("k_bin_bcast<op_add>", Elementwise),
            ("unary_op_kernel<&op_silu, float>", Elementwise),
            ("unary_gated_op_kernel<&op_silu, float>", Elementwise),
            ("rms_norm_f32<1024>", Norm),
            ("norm_f32<1024>", Norm),
            ("rms_norm_mul_rope_f32<true>", Norm),
            ("void rope_neox<true, false, float, float>(float const*, float*, int)", Rope),
            ("rope_norm<false, true, float, __half>", Rope),
            ("void quantize_mmq_q8_1<(mmq_q8_1_ds_layout)1>(float const*, int const*, void*)", Quantize),
            ("quantize_q8_1", Quantize),
            ("dequantize_block_q4_K<__half>", Quantize),
            ("convert_unary<float, __half>", Quantize),
            ("void cpy_scalar<&cpy_1_scalar<float, float>>(char const*, char*)", Memory),
            ("cpy_scalar_contiguous<float, __half>", Memory),
            ("void k_get_rows_float<float, float>(float const*, int const*, float*)", Memory),
            ("k_get_rows<32, 2, &dequantize_q4_0, float>", Memory),
            ("k_set_rows<long, float, __half>", Memory),
            ("[CUDA memcpy HtoD]", Memory),
            ("[CUDA memset]", Memory),
            ("argmax_f32", Misc),
            ("void k_argsort_f32_i32<(ggml_sort_order)1>(float const*, int*, int)", Misc),
            ("topk_moe_cuda<8, false>", Misc),
            ("void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<float>>(int)", Elementwise),
            ("foo_bar", Other),
            ("void foo_bar<int>(int)", Other),
            ("", Other),
        ];
        for (name, want) in cases {
            assert_eq!(classify_kernel(name), *want, "class of {name:?}");
        }
    }

    #[test]
    fn kernel_class_ggml_ops() {
        use OpClass::*;
        assert_eq!(classify_ggml_op("MUL_MAT", Some(1), true), Gemv);
        assert_eq!(classify_ggml_op("MUL_MAT", Some(7), true), Gemm);
        assert_eq!(classify_ggml_op("MUL_MAT", None, true), Gemm);
        assert_eq!(classify_ggml_op("MUL_MAT_ID", Some(1), true), Gemv);
        assert_eq!(classify_ggml_op("MUL_MAT_ID", Some(32), true), Gemm);
        assert_eq!(classify_ggml_op("OUT_PROD", Some(4), true), Gemm);
        assert_eq!(classify_ggml_op("MUL_MAT", Some(1), false), Attention);
        assert_eq!(classify_ggml_op("MUL_MAT", Some(64), false), Attention);
        assert_eq!(classify_ggml_op("FLASH_ATTN_EXT", None, false), Attention);
        assert_eq!(classify_ggml_op("SOFT_MAX", None, false), Attention);
        for (op, want) in [
            ("RMS_NORM", Norm),
            ("NORM", Norm),
            ("ROPE", Rope),
            ("ADD", Elementwise),
            ("MUL", Elementwise),
            ("SCALE", Elementwise),
            ("SILU", Elementwise),
            ("GELU", Elementwise),
            ("GELU_ERF", Elementwise),
            ("SWIGLU", Elementwise),
            ("GEGLU_QUICK", Elementwise),
            ("UNARY", Elementwise),
            ("GLU", Elementwise),
            ("CPY", Memory),
            ("CONT", Memory),
            ("GET_ROWS", Memory),
            ("SET_ROWS", Memory),
            ("CONCAT", Memory),
            ("ARGMAX", Misc),
            ("ARGSORT", Misc),
            ("TOP_K", Misc),
            ("SUM_ROWS", Misc),
            ("SSM_SCAN", Misc),
            ("RWKV_WKV7", Misc),
            ("VIEW", Misc),
            ("SOMETHING_NEW", Other),
            ("", Other),
        ] {
            assert_eq!(classify_ggml_op(op, Some(1), true), want, "class of op {op:?}");
        }
        for op in ["NONE", "VIEW", "RESHAPE", "PERMUTE", "TRANSPOSE", "view"] {
            assert!(is_empty_ggml_op(op), "{op} is empty");
        }
        for op in ["MUL_MAT", "CPY", "CONT", "VIEWS", ""] {
            assert!(!is_empty_ggml_op(op), "{op} is not empty");
        }
    }

    #[test]
    fn kernel_class_rules_are_well_formed() {
        for rule in KERNEL_CLASS_RULES {
            assert!(!rule.pattern.is_empty());
            assert!(
                rule.pattern.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "pattern {:?} must be lower-case (names are lower-cased before matching)",
                rule.pattern
            );
            assert_ne!(rule.class, OpClass::Other, "`other` is what no rule matches");
        }
        let md = rules_markdown();
        assert_eq!(md.lines().count(), KERNEL_CLASS_RULES.len() + 2);
        assert!(md.contains("| kernel base name | 1 | prefix | `flash_attn` | `attention` |"), "{md}");
        assert!(md.contains("| ggml op | 1 | exact | `mul_mat` | `gemm`; `gemv` with 1 token column"), "{md}");
        // Every rule is reachable: an earlier rule of the same namespace never shadows it whole.
        for (i, rule) in KERNEL_CLASS_RULES.iter().enumerate() {
            let first = first_match(rule.namespace, rule.pattern).expect("a pattern matches itself");
            assert!(
                std::ptr::eq(first, rule) || first.class == rule.class || rule.kind != PatternKind::Exact,
                "rule {i} ({:?}) is shadowed by {:?}",
                rule.pattern,
                first.pattern
            );
        }
    }

    /// The vendored llama.cpp sources of `llama-cpp-sys-2` 0.1.160, as cargo unpacked them.
    fn ggml_sources() -> PathBuf {
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
            .expect("CARGO_HOME or HOME is set");
        let registry = cargo_home.join("registry").join("src");
        let found = std::fs::read_dir(&registry).ok().into_iter().flatten().flatten().find_map(|index| {
            let dir = index.path().join("llama-cpp-sys-2-0.1.160/llama.cpp/ggml/src");
            dir.join("ggml-cuda").is_dir().then_some(dir)
        });
        found.unwrap_or_else(|| {
            panic!(
                "the vendored llama.cpp sources of llama-cpp-sys-2 0.1.160 were not found under {} \
                 (expected */llama-cpp-sys-2-0.1.160/llama.cpp/ggml/src/ggml-cuda): run `cargo fetch` \
                 in the workspace (the collector depends on that crate) and run the test again",
                registry.display()
            )
        })
    }

    fn cuda_sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())).flatten() {
            let path = entry.path();
            if path.is_dir() {
                cuda_sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "cu" || e == "cuh") {
                out.push(path);
            }
        }
    }

    /// Kernel names defined as `[static] __global__ [__launch_bounds__(..)] void [__launch_bounds__(..)] NAME(`.
    fn global_kernel_names(source: &str) -> Vec<String> {
        let mut names = Vec::new();
        for (at, _) in source.match_indices("__global__") {
            let mut rest = &source[at + "__global__".len()..];
            let mut name = None;
            // A handful of tokens at most: qualifiers, `void`, launch bounds, then the name.
            for _ in 0..8 {
                rest = rest.trim_start();
                if let Some(after) = rest.strip_prefix("__launch_bounds__") {
                    let after = after.trim_start();
                    let mut depth = 0usize;
                    let end = after.char_indices().find_map(|(i, c)| {
                        match c {
                            '(' => depth += 1,
                            ')' => depth -= 1,
                            _ => {}
                        }
                        (depth == 0).then_some(i + 1)
                    });
                    rest = &after[end.unwrap_or(after.len())..];
                    continue;
                }
                let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
                let word = &rest[..len];
                rest = &rest[len..];
                if word.is_empty() {
                    break;
                }
                if rest.trim_start().starts_with('(') && word != "void" {
                    name = Some(word.to_owned());
                    break;
                }
            }
            if let Some(name) = name {
                names.push(name);
            }
        }
        names
    }

    #[test]
    fn kernel_class_every_ggml_cuda_kernel_has_a_class() {
        let dir = ggml_sources().join("ggml-cuda");
        let mut files = Vec::new();
        cuda_sources(&dir, &mut files);
        let mut names = std::collections::BTreeSet::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
            names.extend(global_kernel_names(&text));
        }
        assert!(
            names.len() > 100,
            "only {} kernels found in {}: did the extraction break?",
            names.len(),
            dir.display()
        );
        for known in
            ["mul_mat_q", "mul_mat_vec_q", "flash_attn_ext_f16", "ssm_scan_f32", "gated_delta_net_cuda", "concat_cont"]
        {
            assert!(names.contains(known), "{known} was not extracted from {}", dir.display());
        }
        // The kernels of no named class, as ggml-cuda 0.26 defines them (white-space separated).
        let expected_misc: Vec<&str> = "\
            arange_f32 argmax_f32 col2im_1d_kernel conv2d_dw_kernel conv2d_kernel conv2d_reduce_split_k \
            conv2d_transpose_kernel conv3d_kernel conv3d_reduce_split_k conv_transpose_1d_kernel \
            count_equal cross_entropy_loss_back_f32 cross_entropy_loss_f32 cumsum_cub_kernel \
            cumsum_kernel diag_kernel divide_by_count dsv4_hc_comb_f32 dsv4_hc_post_f32 dsv4_hc_pre_f32 \
            fwht_cuda gated_delta_net_cuda gated_linear_attn_f32 get_batch_pointers \
            ggml_cuda_ar_add_kernel ggml_cuda_ar_kernel im2col_3d_kernel im2col_kernel init_indices \
            init_offsets k_argsort_f32_i32 moe_weighted_reduction_f32 opt_step_adamw_f32 \
            opt_step_sgd_f32 pool1d_nchw_kernel pool2d_nchw_kernel reduce_rows_f32 \
            reduce_rows_f32_strided rwkv_wkv7_f32 rwkv_wkv7_f32_t1_warp_row rwkv_wkv_f32 \
            solve_tri_f32_fast ssm_conv_f32 ssm_conv_long_token_f32 ssm_scan_f32 ssm_scan_f32_group \
            ssm_ssd_init_state_kernel ssm_ssd_pre_matmul_kernel ssm_ssd_prepare_dt_kernel \
            ssm_ssd_scale_state_kernel timestep_embedding_f32 top_k_radix_gather top_k_radix_histogram \
            top_k_radix_init top_k_radix_reset_counters top_k_radix_select topk_moe_cuda upscale_f32 \
            upscale_f32_bicubic upscale_f32_bilinear upscale_f32_bilinear_antialias"
            .split_whitespace()
            .collect();
        let mut problems: Vec<String> = expected_misc
            .iter()
            .filter(|m| !names.contains(**m))
            .map(|m| format!("{m}: in the expected misc list but not defined in the sources"))
            .collect();
        for name in &names {
            let class = classify_kernel(name);
            let listed = expected_misc.contains(&name.as_str());
            if class == OpClass::Other {
                problems.push(format!("{name}: no rule matches (`other`): add a rule"));
            } else if (class == OpClass::Misc) != listed {
                problems.push(format!(
                    "{name}: class `{class}`, but the expected misc list {} it",
                    if listed { "has" } else { "lacks" }
                ));
            }
        }
        assert!(problems.is_empty(), "ggml-cuda kernels in {}:\n{}", dir.display(), problems.join("\n"));
    }

    /// Every op, unary op and GLU op name in ggml's name tables (`GGML_OP_NAME`,
    /// `GGML_UNARY_OP_NAME`, `GGML_GLU_OP_NAME` in ggml.c) gets a class other than `other`.
    #[test]
    fn kernel_class_every_ggml_op_has_a_class() {
        let file = ggml_sources().join("ggml.c");
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let mut names = Vec::new();
        for table in ["GGML_OP_NAME[", "GGML_UNARY_OP_NAME[", "GGML_GLU_OP_NAME["] {
            let start = text.find(table).unwrap_or_else(|| panic!("{table} not found in {}", file.display()));
            let body = &text[start..];
            let body = &body[..body.find("};").expect("table ends")];
            names.extend(body.split('"').skip(1).step_by(2).map(str::to_owned));
        }
        assert!(names.len() > 120, "only {} op names found in {}", names.len(), file.display());
        let unclassified: Vec<_> =
            names.iter().filter(|n| classify_ggml_op(n, Some(2), true) == OpClass::Other).collect();
        assert!(unclassified.is_empty(), "ggml ops with no rule: {unclassified:?}");
    }
}
