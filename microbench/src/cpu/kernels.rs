//! The loops. Each is a plain zip over slices, which the compiler vectorises (checked once in the
//! release build's disassembly: packed `addps`/`mulps` in every f32 loop, `vcvtph2ps`/`vcvtps2ph`
//! in the f16 conversions; `scripts/check-fusion-vectorised.sh` repeats the check). They are
//! `#[inline(never)]` so that the check can find them by name, and so that every kernel is one call
//! per thread, like a launch.
//!
//! f16 loops convert to f32, compute and convert back, as ggml's CPU back-end does: eight lanes in
//! registers with F16C where the CPU has it ([`super::f16c`]), else blocks of [`BLOCK`] elements on
//! the stack (in L1, so memory sees only the f16 vectors).

use half::f16;
use half::slice::HalfFloatSliceExt;

use super::f16c;
use crate::model::{Q, S};

/// f16 elements converted per step: 2 KiB of f32 per operand, well inside L1.
pub const BLOCK: usize = 512;

#[inline(never)]
pub fn add_f32(a: &[f32], b: &[f32], t: &mut [f32]) {
    for ((t, a), b) in t.iter_mut().zip(a).zip(b) {
        *t = a + b;
    }
}

#[inline(never)]
pub fn scale_f32(t: &[f32], out: &mut [f32]) {
    for (o, t) in out.iter_mut().zip(t) {
        *o = S * t;
    }
}

#[inline(never)]
pub fn add_scale_f32(a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, a), b) in out.iter_mut().zip(a).zip(b) {
        *o = S * (a + b);
    }
}

/// STREAM copy. The `+ 0.0` is not decoration: a plain element copy is recognised as `memcpy`,
/// whose large-copy path uses streaming stores, while STREAM's copy is a loop whose stores
/// write-allocate like those of every other kernel here. Adding +0.0 is exact for every value the
/// vectors hold (no −0.0), and the compiler may not drop it (it would turn −0.0 into +0.0).
#[inline(never)]
pub fn copy_f32(a: &[f32], out: &mut [f32]) {
    for (o, a) in out.iter_mut().zip(a) {
        *o = a + 0.0;
    }
}

#[inline(never)]
pub fn triad_f32(a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, a), b) in out.iter_mut().zip(a).zip(b) {
        *o = a + Q * b;
    }
}

/// Write-only probe: every element set to `S` (a value with no repeated byte, so the loop stays a
/// vector store loop and does not become `memset`).
#[inline(never)]
pub fn fill_f32(out: &mut [f32]) {
    for o in out.iter_mut() {
        *o = S;
    }
}

/// Read-only probe: the sum of `a`, over 16 independent partial sums so that the loop is bound by
/// loads, not by the latency of one chain of additions.
#[inline(never)]
pub fn sum_f32(a: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let chunks = a.chunks_exact(16);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (s, x) in acc.iter_mut().zip(c) {
            *s += x;
        }
    }
    acc.iter().sum::<f32>() + tail
}

fn map2_f16(a: &[f16], b: &[f16], out: &mut [f16], f: impl Fn(&[f32], &[f32], &mut [f32])) {
    let (mut fa, mut fb, mut fo) = ([0f32; BLOCK], [0f32; BLOCK], [0f32; BLOCK]);
    for ((a, b), o) in a.chunks(BLOCK).zip(b.chunks(BLOCK)).zip(out.chunks_mut(BLOCK)) {
        let n = a.len();
        a.convert_to_f32_slice(&mut fa[..n]);
        b.convert_to_f32_slice(&mut fb[..n]);
        f(&fa[..n], &fb[..n], &mut fo[..n]);
        o.convert_from_f32_slice(&fo[..n]);
    }
}

fn map1_f16(a: &[f16], out: &mut [f16], f: impl Fn(&[f32], &mut [f32])) {
    let (mut fa, mut fo) = ([0f32; BLOCK], [0f32; BLOCK]);
    for (a, o) in a.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
        let n = a.len();
        a.convert_to_f32_slice(&mut fa[..n]);
        f(&fa[..n], &mut fo[..n]);
        o.convert_from_f32_slice(&fo[..n]);
    }
}

/// Runs the F16C kernel where the CPU has it, and the portable one on what it leaves.
macro_rules! f16_kernel {
    ($name:ident, $fast:ident, |$a:ident, $b:ident, $out:ident| $portable:expr) => {
        #[inline(never)]
        pub fn $name(a: &[f16], b: &[f16], out: &mut [f16]) {
            let done = if f16c::available() {
                // SAFETY: the CPU has AVX and F16C, the kernel's only requirement.
                unsafe { f16c::$fast(a, b, out) }
            } else {
                0
            };
            let ($a, $b, $out) = (&a[done..], &b[done..], &mut out[done..]);
            $portable
        }
    };
}

// Copy and scale read only `a`; they are given it twice so that all five share one shape.
f16_kernel!(add_f16, add, |a, b, out| map2_f16(a, b, out, add_f32));
f16_kernel!(scale_f16, scale, |a, _b, out| map1_f16(a, out, scale_f32));
f16_kernel!(add_scale_f16, add_scale, |a, b, out| map2_f16(a, b, out, add_scale_f32));
f16_kernel!(copy_f16, copy, |a, _b, out| map1_f16(a, out, copy_f32));
f16_kernel!(triad_f16, triad, |a, b, out| map2_f16(a, b, out, triad_f32));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{self, Kernel};

    /// The F16C path (where the CPU has it) and the portable tail give the exact results, on a
    /// length that leaves a tail of 5.
    #[test]
    fn f16_kernels_are_exact_with_and_without_a_tail() {
        let n = 8 * 9 + 5;
        let a: Vec<f16> = (0..n).map(|i| f16::from_f32(model::input_a(i))).collect();
        let b: Vec<f16> = (0..n).map(|i| f16::from_f32(model::input_b(i))).collect();
        let mut t = vec![f16::ZERO; n];
        let mut out = vec![f16::ZERO; n];
        let got = |out: &[f16]| out.iter().map(|h| h.to_f32()).collect::<Vec<_>>();
        let want = |k: Kernel| (0..n).map(|i| model::expected_out(k, i)).collect::<Vec<_>>();
        add_f16(&a, &b, &mut t);
        scale_f16(&t, &t, &mut out);
        assert_eq!(got(&out), want(Kernel::Unfused));
        add_scale_f16(&a, &b, &mut out);
        assert_eq!(got(&out), want(Kernel::Fused));
        copy_f16(&a, &a, &mut out);
        assert_eq!(got(&out), want(Kernel::Copy));
        triad_f16(&a, &b, &mut out);
        assert_eq!(got(&out), want(Kernel::Triad));
    }
}
