//! f16 kernels with the x86 F16C conversions, eight elements per instruction.
//!
//! Converting through `half`'s slice functions costs a call and a feature check per eight
//! elements, which made the f16 kernels compute-bound on a 2-core VM (about 8 GB/s against 14 GB/s
//! copy); done here in registers, the loop is as light as the f32 one and memory sets its speed
//! again.
//!
//! The unsafe code: the functions are compiled for AVX + F16C and may be called only after
//! [`available`] said the CPU has both (the callers in `kernels.rs` check). Loads and stores are
//! unaligned 16-byte accesses through pointers of `chunks_exact(8)` chunks of `f16` (2 bytes
//! each): each chunk is exactly the 16 bytes accessed. Slices whose length is not a multiple of 8
//! leave a tail, done by the portable code.

#[cfg(target_arch = "x86_64")]
mod imp {
    use std::arch::x86_64::*;

    use half::f16;

    use crate::model::{Q, S};

    pub fn available() -> bool {
        std::arch::is_x86_feature_detected!("avx") && std::arch::is_x86_feature_detected!("f16c")
    }

    #[inline]
    #[target_feature(enable = "avx,f16c")]
    unsafe fn load(chunk: &[f16]) -> __m256 {
        debug_assert_eq!(chunk.len(), 8);
        // SAFETY: `chunk` holds 8 f16 = 16 readable bytes; loadu needs no alignment.
        unsafe { _mm256_cvtph_ps(_mm_loadu_si128(chunk.as_ptr().cast())) }
    }

    #[inline]
    #[target_feature(enable = "avx,f16c")]
    unsafe fn store(chunk: &mut [f16], v: __m256) {
        debug_assert_eq!(chunk.len(), 8);
        // SAFETY: `chunk` holds 8 f16 = 16 writable bytes; storeu needs no alignment.
        unsafe { _mm_storeu_si128(chunk.as_mut_ptr().cast(), _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v)) }
    }

    /// Defines `name(a, b, out)` computing `out = body` eight lanes at a time, `x` and `y` being
    /// lanes of `a` and `b`, `s` and `q` the scalars; returns the number of leading elements done
    /// (the rest is the caller's tail).
    macro_rules! map2 {
        ($name:ident, |$x:ident, $y:ident, $s:ident, $q:ident| $body:expr) => {
            /// # Safety
            /// Call only when [`available`] is true.
            #[allow(unused_variables)]
            #[target_feature(enable = "avx,f16c")]
            pub unsafe fn $name(a: &[f16], b: &[f16], out: &mut [f16]) -> usize {
                let ($s, $q) = (_mm256_set1_ps(S), _mm256_set1_ps(Q));
                let mut done = 0;
                for ((a, b), o) in a.chunks_exact(8).zip(b.chunks_exact(8)).zip(out.chunks_exact_mut(8)) {
                    // SAFETY: each chunk is 8 elements (see `load`, `store`); the features are on.
                    unsafe {
                        let ($x, $y) = (load(a), load(b));
                        store(o, $body);
                    }
                    done += 8;
                }
                done
            }
        };
    }

    map2!(add, |x, y, s, q| _mm256_add_ps(x, y));
    map2!(scale, |x, y, s, q| _mm256_mul_ps(s, x));
    map2!(add_scale, |x, y, s, q| _mm256_mul_ps(s, _mm256_add_ps(x, y)));
    // +0.0 as in the f32 copy: every kernel stores through the same conversion.
    map2!(copy, |x, y, s, q| _mm256_add_ps(x, _mm256_setzero_ps()));
    map2!(triad, |x, y, s, q| _mm256_add_ps(x, _mm256_mul_ps(q, y)));
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    pub fn available() -> bool {
        false
    }
}

pub use imp::*;
