//! The paper's seven models as architectures: hyper-parameters from each model's published
//! `config.json`, and the tensor list llama.cpp expects for it.
//!
//! Sources (the `config.json` of each repository on Hugging Face, main branch):
//! - Qwen2.5-0.5B/1.5B/3B-Instruct: huggingface.co/Qwen/Qwen2.5-{0.5B,1.5B,3B}-Instruct
//! - Llama-3.2-1B-Instruct: huggingface.co/meta-llama/Llama-3.2-1B-Instruct (rope_scaling
//!   `llama3`: factor 32, low_freq_factor 1, high_freq_factor 4, original context 8192)
//! - DeepSeek-R1-Distill-Qwen-1.5B: huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B
//!   (a Qwen2 architecture: Qwen2.5-Math-1.5B's shapes, untied output, RoPE base 10 000)
//! - Gemma-2-2B-it: huggingface.co/google/gemma-2-2b-it (logit soft-capping 50 / 30, sliding window
//!   4096, head size 256)
//! - "QwQ-1.5B": Qwen published no QwQ below 32B. The paper describes it as a Qwen2-style model
//!   ("RoPE, SwiGLU, RMSNorm, and Attention QKV bias") of 1.5B parameters run in BF16, and models
//!   published under that name are fine-tunes of Qwen2.5-1.5B-Instruct; so the preset has
//!   Qwen2.5-1.5B-Instruct's shapes under its own name.
//!
//! Each preset's parameter count (all tensors but RoPE frequency factors) is checked against the
//! published count in the tests.

/// llama.cpp architectures the presets use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Qwen2,
    Llama,
    Gemma2,
}

impl Arch {
    pub fn gguf_name(self) -> &'static str {
        match self {
            Arch::Qwen2 => "qwen2",
            Arch::Llama => "llama",
            Arch::Gemma2 => "gemma2",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The name `collect synth` takes.
    pub name: &'static str,
    /// The model it has the shapes of, as its authors name it.
    pub model: &'static str,
    pub config_url: &'static str,
    pub arch: Arch,
    pub hidden: i64,
    pub ffn: i64,
    pub layers: i64,
    pub heads: i64,
    pub kv_heads: i64,
    pub head_dim: i64,
    pub vocab: i64,
    pub context: u32,
    pub rope_theta: f32,
    pub rms_eps: f32,
    /// Output projection shares the token embedding.
    pub tied: bool,
    /// Parameters as published (safetensors total), RoPE frequency factors excluded.
    pub published_params: u64,
}

const QWEN_VOCAB: i64 = 151_936;

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "qwen2.5-0.5b",
        model: "Qwen2.5-0.5B-Instruct",
        config_url: "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/blob/main/config.json",
        arch: Arch::Qwen2,
        hidden: 896,
        ffn: 4864,
        layers: 24,
        heads: 14,
        kv_heads: 2,
        head_dim: 64,
        vocab: QWEN_VOCAB,
        context: 32_768,
        rope_theta: 1_000_000.0,
        rms_eps: 1e-6,
        tied: true,
        published_params: 494_032_768,
    },
    Preset {
        name: "qwen2.5-1.5b",
        model: "Qwen2.5-1.5B-Instruct",
        config_url: "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct/blob/main/config.json",
        arch: Arch::Qwen2,
        hidden: 1536,
        ffn: 8960,
        layers: 28,
        heads: 12,
        kv_heads: 2,
        head_dim: 128,
        vocab: QWEN_VOCAB,
        context: 32_768,
        rope_theta: 1_000_000.0,
        rms_eps: 1e-6,
        tied: true,
        published_params: 1_543_714_304,
    },
    Preset {
        name: "qwen2.5-3b",
        model: "Qwen2.5-3B-Instruct",
        config_url: "https://huggingface.co/Qwen/Qwen2.5-3B-Instruct/blob/main/config.json",
        arch: Arch::Qwen2,
        hidden: 2048,
        ffn: 11_008,
        layers: 36,
        heads: 16,
        kv_heads: 2,
        head_dim: 128,
        vocab: QWEN_VOCAB,
        context: 32_768,
        rope_theta: 1_000_000.0,
        rms_eps: 1e-6,
        tied: true,
        published_params: 3_085_938_688,
    },
    Preset {
        name: "llama-3.2-1b",
        model: "Llama-3.2-1B-Instruct",
        config_url: "https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct/blob/main/config.json",
        arch: Arch::Llama,
        hidden: 2048,
        ffn: 8192,
        layers: 16,
        heads: 32,
        kv_heads: 8,
        head_dim: 64,
        vocab: 128_256,
        context: 131_072,
        rope_theta: 500_000.0,
        rms_eps: 1e-5,
        tied: true,
        published_params: 1_235_814_400,
    },
    Preset {
        name: "deepseek-r1-distill-qwen-1.5b",
        model: "DeepSeek-R1-Distill-Qwen-1.5B",
        config_url: "https://huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B/blob/main/config.json",
        arch: Arch::Qwen2,
        hidden: 1536,
        ffn: 8960,
        layers: 28,
        heads: 12,
        kv_heads: 2,
        head_dim: 128,
        vocab: QWEN_VOCAB,
        context: 131_072,
        rope_theta: 10_000.0,
        rms_eps: 1e-6,
        tied: false,
        published_params: 1_777_088_000,
    },
    Preset {
        name: "qwq-1.5b",
        model: "QwQ-1.5B",
        config_url: "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct/blob/main/config.json",
        arch: Arch::Qwen2,
        hidden: 1536,
        ffn: 8960,
        layers: 28,
        heads: 12,
        kv_heads: 2,
        head_dim: 128,
        vocab: QWEN_VOCAB,
        context: 32_768,
        rope_theta: 1_000_000.0,
        rms_eps: 1e-6,
        tied: true,
        published_params: 1_543_714_304,
    },
    Preset {
        name: "gemma-2-2b",
        model: "gemma-2-2b-it",
        config_url: "https://huggingface.co/google/gemma-2-2b-it/blob/main/config.json",
        arch: Arch::Gemma2,
        hidden: 2304,
        ffn: 9216,
        layers: 26,
        heads: 8,
        kv_heads: 4,
        head_dim: 256,
        vocab: 256_000,
        context: 8192,
        rope_theta: 10_000.0,
        rms_eps: 1e-6,
        tied: true,
        published_params: 2_614_341_888,
    },
];

pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

pub fn names() -> String {
    PRESETS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

/// What a tensor is, which sets the scale of its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Token embedding or output projection.
    Embedding,
    /// A projection matrix: values with the variance of 1/fan-in.
    Projection,
    /// An RMSNorm weight (llama.cpp stores Gemma's as 1 + w too): near 1.
    Norm,
    Bias,
    /// RoPE frequency factors: computed, not drawn; not counted as parameters.
    RopeFactors,
}

impl Role {
    /// The role a tensor name implies (for twins of existing files).
    pub fn of(name: &str) -> Role {
        if name.starts_with("rope_freqs") {
            Role::RopeFactors
        } else if name.contains("norm") {
            Role::Norm
        } else if name.ends_with(".bias") {
            Role::Bias
        } else if name.starts_with("token_embd") || name.starts_with("output.") {
            Role::Embedding
        } else {
            Role::Projection
        }
    }
}

/// One tensor of a preset: name, dimensions in ggml order (`ne[0]` = row length), role.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTensor {
    pub name: String,
    pub ne: Vec<i64>,
    pub role: Role,
}

impl Preset {
    /// Every tensor, in the order llama.cpp's converter writes them.
    pub fn tensors(&self) -> Vec<PlannedTensor> {
        let t = |name: String, ne: Vec<i64>, role: Role| PlannedTensor { name, ne, role };
        let (h, q, kv) = (self.hidden, self.heads * self.head_dim, self.kv_heads * self.head_dim);
        let mut out = Vec::new();
        if self.arch == Arch::Llama {
            out.push(t("rope_freqs.weight".into(), vec![self.head_dim / 2], Role::RopeFactors));
        }
        out.push(t("token_embd.weight".into(), vec![h, self.vocab], Role::Embedding));
        for i in 0..self.layers {
            let b = |s: &str| format!("blk.{i}.{s}");
            out.push(t(b("attn_norm.weight"), vec![h], Role::Norm));
            out.push(t(b("attn_q.weight"), vec![h, q], Role::Projection));
            out.push(t(b("attn_k.weight"), vec![h, kv], Role::Projection));
            out.push(t(b("attn_v.weight"), vec![h, kv], Role::Projection));
            if self.arch == Arch::Qwen2 {
                out.push(t(b("attn_q.bias"), vec![q], Role::Bias));
                out.push(t(b("attn_k.bias"), vec![kv], Role::Bias));
                out.push(t(b("attn_v.bias"), vec![kv], Role::Bias));
            }
            out.push(t(b("attn_output.weight"), vec![q, h], Role::Projection));
            if self.arch == Arch::Gemma2 {
                out.push(t(b("post_attention_norm.weight"), vec![h], Role::Norm));
            }
            out.push(t(b("ffn_norm.weight"), vec![h], Role::Norm));
            out.push(t(b("ffn_gate.weight"), vec![h, self.ffn], Role::Projection));
            out.push(t(b("ffn_up.weight"), vec![h, self.ffn], Role::Projection));
            out.push(t(b("ffn_down.weight"), vec![self.ffn, h], Role::Projection));
            if self.arch == Arch::Gemma2 {
                out.push(t(b("post_ffw_norm.weight"), vec![h], Role::Norm));
            }
        }
        out.push(t("output_norm.weight".into(), vec![h], Role::Norm));
        if !self.tied {
            out.push(t("output.weight".into(), vec![h, self.vocab], Role::Embedding));
        }
        out
    }

    /// Parameters: every tensor but the RoPE frequency factors.
    pub fn params(&self) -> u64 {
        self.tensors().iter().filter(|t| t.role != Role::RopeFactors).map(|t| t.ne.iter().product::<i64>() as u64).sum()
    }

    /// Llama 3's RoPE frequency factors (its `rope_scaling`: factor 32, low 1, high 4, original
    /// context 8192), computed as llama.cpp's converter computes them.
    pub fn rope_factors(&self) -> Vec<f32> {
        let (factor, low, high, original) = (32.0f64, 1.0f64, 4.0f64, 8192.0f64);
        let (low_wavelen, high_wavelen) = (original / low, original / high);
        (0..self.head_dim / 2)
            .map(|i| {
                let freq = 1.0 / (self.rope_theta as f64).powf((2 * i) as f64 / self.head_dim as f64);
                let wavelen = 2.0 * std::f64::consts::PI / freq;
                let f = if wavelen < high_wavelen {
                    1.0
                } else if wavelen > low_wavelen {
                    factor
                } else {
                    let smooth = (original / wavelen - low) / (high - low);
                    1.0 / ((1.0 - smooth) / factor + smooth)
                };
                f as f32
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The acceptance list of issue 13: each preset's tensors add up to the published count.
    #[test]
    fn parameter_counts_are_the_published_ones() {
        for p in PRESETS {
            assert_eq!(p.params(), p.published_params, "{}", p.name);
        }
        let counts: Vec<(&str, u64)> = PRESETS.iter().map(|p| (p.name, p.params())).collect();
        assert!(counts.contains(&("qwen2.5-0.5b", 494_032_768)));
        assert!(counts.contains(&("qwen2.5-1.5b", 1_543_714_304)));
        assert!(counts.contains(&("qwen2.5-3b", 3_085_938_688)));
        assert!(counts.contains(&("llama-3.2-1b", 1_235_814_400)));
        assert!(counts.contains(&("deepseek-r1-distill-qwen-1.5b", 1_777_088_000)));
        assert!(counts.contains(&("gemma-2-2b", 2_614_341_888)));
    }

    #[test]
    fn names_are_unique_and_found_in_any_case() {
        for p in PRESETS {
            assert_eq!(find(&p.name.to_uppercase()).unwrap().name, p.name);
            let tensors = p.tensors();
            let mut names: Vec<&str> = tensors.iter().map(|t| t.name.as_str()).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), tensors.len(), "{}", p.name);
        }
        assert!(find("qwen3-0.6b").is_none());
    }

    #[test]
    fn llama3_rope_factors_span_one_to_the_scaling_factor() {
        let f = find("llama-3.2-1b").unwrap().rope_factors();
        assert_eq!(f.len(), 32);
        assert_eq!(f[0], 1.0);
        assert_eq!(*f.last().unwrap(), 32.0);
        assert!(f.windows(2).all(|w| w[1] >= w[0]));
    }
}
