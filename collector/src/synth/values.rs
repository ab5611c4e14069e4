//! The values of synthetic weights: seeded, row by row, with the scale a trained layer has.
//!
//! Every row has its own generator state, derived from the seed, the tensor's name and the row
//! index, so a row's values do not depend on how rows are split between threads, and the same
//! request writes the same bytes. Values are uniform on [−√3·σ, √3·σ] (variance σ²): matrices
//! σ = 1/√fan-in (`ne[0]`), so activations keep their scale through a layer; embeddings and
//! biases σ = 0.02 (the usual initialisation); norm weights 1 ± 0.05. Nothing comes near the
//! F16 or BF16 range, and no value is NaN.

use super::presets::Role;

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator of full-period 64-bit values; good
/// enough for values whose only job is to be deterministic, finite and of the right scale.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform on [−1, 1), 24 bits.
    pub fn next_signed_unit(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32) * (2.0 / (1u64 << 24) as f32) - 1.0
    }
}

/// FNV-1a of a tensor name: part of every row's seed.
pub fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3))
}

/// Fills `row` (row `index` of a tensor with hash `name`) for the given role.
pub fn fill_row(row: &mut [f32], seed: u64, name: u64, index: u64, role: Role, fan_in: i64) {
    let mut rng = SplitMix64::new(seed ^ name ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
    // Decorrelate neighbouring seeds.
    rng.next_u64();
    let (centre, sigma) = match role {
        Role::Projection => (0.0, 1.0 / (fan_in.max(1) as f32).sqrt()),
        Role::Embedding | Role::Bias => (0.0, 0.02),
        Role::Norm => (1.0, 0.05 / 3f32.sqrt()),
        Role::RopeFactors => (1.0, 0.0),
    };
    let half_width = 3f32.sqrt() * sigma;
    for v in row.iter_mut() {
        *v = centre + half_width * rng.next_signed_unit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_deterministic_and_scaled() {
        let mut a = vec![0f32; 4096];
        let mut b = vec![0f32; 4096];
        fill_row(&mut a, 7, name_hash("blk.0.ffn_up.weight"), 3, Role::Projection, 4096);
        fill_row(&mut b, 7, name_hash("blk.0.ffn_up.weight"), 3, Role::Projection, 4096);
        assert_eq!(a, b);
        fill_row(&mut b, 7, name_hash("blk.0.ffn_up.weight"), 4, Role::Projection, 4096);
        assert_ne!(a, b, "rows differ");
        let var = a.iter().map(|v| v * v).sum::<f32>() / a.len() as f32;
        assert!((var * 4096.0 - 1.0).abs() < 0.1, "variance 1/fan-in: {var}");
        let mut n = vec![0f32; 1000];
        fill_row(&mut n, 7, name_hash("output_norm.weight"), 0, Role::Norm, 1000);
        assert!(n.iter().all(|v| (0.94..=1.06).contains(v) && v.is_finite()));
    }
}
