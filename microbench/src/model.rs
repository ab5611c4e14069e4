//! The kernels, the bytes they move and the bounds that follow.
//!
//! Bytes are counted as STREAM counts them: each element explicitly read or written, once. A CPU
//! whose stores write-allocate also reads every line it stores to, before writing it: that traffic
//! is real but not credited (STREAM: "one additional read per iteration … not counted"). So the
//! memory-bound limit of fused / unfused time is the ratio of the *moved* bytes:
//!
//! | variant | credited (STREAM) | moved with write-allocate |
//! |---|---|---|
//! | unfused: `t = a + b`, `out = s·t` | 5 vectors | 7 (4 + 3) |
//! | fused: `out = s·(a + b)` | 3 | 4 |
//!
//! giving 3/5 = 0.6 on a GPU (whose L2 merges full-line writes without reading them) or with
//! streaming stores, and 4/7 ≈ 0.571 with ordinary CPU stores.

use serde::Serialize;

/// Element type of the vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    F32,
    F16,
}

impl Dtype {
    pub fn bytes(self) -> u64 {
        match self {
            Dtype::F32 => 4,
            Dtype::F16 => 2,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Dtype::F32 => "f32",
            Dtype::F16 => "f16",
        }
    }
    pub fn parse(s: &str) -> Option<Dtype> {
        match s {
            "f32" => Some(Dtype::F32),
            "f16" => Some(Dtype::F16),
            _ => None,
        }
    }
}

/// The paper's two variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    Unfused,
    Fused,
}

/// A timed kernel sequence: the two variants of the experiment and the two STREAM kernels that
/// measure the device's bandwidth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    /// `t = a + b`, then (a second launch) `out = s·t`.
    Unfused,
    /// `out = s·(a + b)`.
    Fused,
    /// STREAM copy: `out = a`.
    Copy,
    /// STREAM triad: `out = a + q·b`.
    Triad,
}

impl Kernel {
    pub const ALL: [Kernel; 4] = [Kernel::Unfused, Kernel::Fused, Kernel::Copy, Kernel::Triad];

    /// Kernel launches (on a CPU: parallel passes separated by a barrier).
    pub fn launches(self) -> u32 {
        match self {
            Kernel::Unfused => 2,
            _ => 1,
        }
    }

    /// Vectors read or written, as STREAM counts them.
    pub fn credited_vectors(self) -> u64 {
        match self {
            Kernel::Unfused => 5,
            Kernel::Fused | Kernel::Triad => 3,
            Kernel::Copy => 2,
        }
    }

    /// Vectors that cross the memory bus: the credited ones, plus one read per stored vector when
    /// stores write-allocate.
    pub fn moved_vectors(self, write_allocate: bool) -> u64 {
        let stores = match self {
            Kernel::Unfused => 2,
            _ => 1,
        };
        self.credited_vectors() + if write_allocate { stores } else { 0 }
    }

    /// Bytes credited for one run over `elements` elements of `dtype`.
    pub fn credited_bytes(self, dtype: Dtype, elements: u64) -> u64 {
        self.credited_vectors() * elements * dtype.bytes()
    }

    pub fn variant(self) -> Option<Variant> {
        match self {
            Kernel::Unfused => Some(Variant::Unfused),
            Kernel::Fused => Some(Variant::Fused),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kernel::Unfused => "unfused",
            Kernel::Fused => "fused",
            Kernel::Copy => "copy",
            Kernel::Triad => "triad",
        }
    }
}

/// The memory-bound limit of fused / unfused time: the ratio of the bytes the two move.
pub fn bound(write_allocate: bool) -> f64 {
    Kernel::Fused.moved_vectors(write_allocate) as f64 / Kernel::Unfused.moved_vectors(write_allocate) as f64
}

/// The scale factor `s` of the experiment and `q` of the triad: powers of two, so every result
/// below is exact in f16 as in f32, and the check can ask for equality.
pub const S: f32 = 0.5;
pub const Q: f32 = 0.25;

/// `a[i]`: 1, 1.25 … 2.5, repeating; exact in f16.
pub fn input_a(i: usize) -> f32 {
    1.0 + (i % 7) as f32 * 0.25
}

/// `b[i]`: 0.5, 0.625 … 1, repeating; exact in f16.
pub fn input_b(i: usize) -> f32 {
    0.5 + (i % 5) as f32 * 0.125
}

/// The exact value of element `i` of `out` after `kernel` (and of `t` after the unfused pair).
pub fn expected_out(kernel: Kernel, i: usize) -> f32 {
    let (a, b) = (input_a(i), input_b(i));
    match kernel {
        Kernel::Unfused | Kernel::Fused => S * (a + b),
        Kernel::Copy => a,
        Kernel::Triad => a + Q * b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_the_byte_ratios() {
        assert_eq!(bound(false), 0.6);
        assert!((bound(true) - 4.0 / 7.0).abs() < 1e-12);
        assert_eq!(Kernel::Unfused.credited_bytes(Dtype::F32, 1 << 20), 5 * 4 << 20);
        assert_eq!(Kernel::Copy.credited_bytes(Dtype::F16, 10), 40);
        assert_eq!(Kernel::Triad.moved_vectors(true), 4);
    }

    #[test]
    fn every_expected_value_is_exact_in_f16() {
        for i in 0..70 {
            for k in Kernel::ALL {
                let v = expected_out(k, i);
                assert_eq!(half::f16::from_f32(v).to_f32(), v, "{k:?} {i}");
            }
            let t = input_a(i) + input_b(i);
            assert_eq!(half::f16::from_f32(t).to_f32(), t);
        }
    }
}
