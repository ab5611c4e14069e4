//! The class table and its matching, against hand-picked names and against every kernel and op
//! that the vendored ggml sources define.

use super::classify::first_match;
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
