//! Applying the class table to a name: the base name of a GPU kernel, then the first matching
//! rule of each namespace in turn ([`super::KERNEL_CLASS_RULES`]).

use super::{ClassRule, KERNEL_CLASS_RULES, Namespace, Refinement};
use crate::schema::v1::OpClass;

/// The first rule of `namespace` that matches `lowered`, in table order.
pub(super) fn first_match(namespace: Namespace, lowered: &str) -> Option<&'static ClassRule> {
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

