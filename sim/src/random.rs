//! Random draws keyed by what they are for, so that common random numbers
//! hold when designs are compared.
//!
//! With one sequential stream per trial, two designs of the same hospital
//! share their draws only until the first draw that differs; after that
//! every later draw lands on something else, and the designs meet different
//! random events. Here every draw is addressed by a [`Key`]: a 64-bit digest
//! of the run's seed, the trial, the mechanism that draws (its instance id),
//! the purpose of the draw and the stable identity of what it is about (a
//! device's type and ordinal within its type, a vulnerability's id). The same
//! key gives the same number in every design, whatever else was drawn before
//! it, so a defence added or removed elsewhere leaves every other draw alone.
//!
//! A key yields one uniform number ([`Key::uniform`]) or, when a mechanism
//! needs a sequence, a [`Stream`]: the xoshiro256++ generator seeded from the
//! key through SplitMix64. Both are portable and fixed by this crate's
//! version, so a trial's result depends only on (scenario, seed, trial).

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// A generator for a sequence of draws with one purpose: xoshiro256++
/// (Blackman and Vigna), seeded from a [`Key`].
pub type Stream = Xoshiro256PlusPlus;

/// The address of a random draw: a digest of everything that says what the
/// draw is for. Extend it with [`Key::with`] or [`Key::named`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Key(u64);

/// The finaliser of SplitMix64 (Stafford's variant 13): a bijection on 64
/// bits whose output bits each depend on every input bit.
#[inline(always)]
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// FNV-1a over the bytes of a name, then mixed: names of purposes,
/// instances and device types become key parts.
#[inline(always)]
pub const fn name_hash(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    mix(h)
}

/// The key part of a device's stable identity: its type's id and its
/// ordinal within the type, the same in every design that has the device,
/// wherever that design places it.
pub fn identity(type_id: &str, ordinal: u32) -> u64 {
    Key(name_hash(type_id)).with(u64::from(ordinal)).0
}

/// A key part made ready to extend keys with ([`Key::with_part`]): for
/// parts used again and again, such as a device's identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part(u64);

impl Part {
    /// The part `part`, as [`Key::with`] would use it.
    #[inline(always)]
    pub const fn new(part: u64) -> Part {
        Part(mix(part.wrapping_add(GOLDEN)))
    }
}

impl Key {
    /// The root key of a trial of a run seeded with `seed`.
    pub fn trial(seed: u64, trial: u32) -> Key {
        Key(mix(seed ^ GOLDEN)).with(u64::from(trial))
    }

    /// This key extended by one more part (an ordinal, an epoch, a hash).
    #[must_use]
    #[inline(always)]
    pub const fn with(self, part: u64) -> Key {
        self.with_part(Part::new(part))
    }

    /// This key extended by a part made ready beforehand: the same key as
    /// [`Key::with`] of the part's value, one mix cheaper.
    #[must_use]
    #[inline(always)]
    pub const fn with_part(self, part: Part) -> Key {
        Key(mix(self.0.rotate_left(23) ^ part.0))
    }

    /// This key extended by another key (e.g. the key of the compromise a
    /// draw answers).
    #[must_use]
    #[inline]
    pub const fn and(self, other: Key) -> Key {
        self.with(other.0)
    }

    /// This key extended by a name (a purpose such as `"entry"`, an id).
    #[must_use]
    #[inline(always)]
    pub const fn named(self, name: &str) -> Key {
        self.with(name_hash(name))
    }

    /// The key's own uniform draw in [0, 1).
    #[inline]
    pub fn uniform(self) -> f64 {
        (mix(self.0 ^ GOLDEN) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    #[inline]
    pub fn bernoulli(self, p: f64) -> bool {
        self.uniform() < p
    }

    /// The key's own draw from the unit exponential distribution (mean 1).
    #[inline]
    pub fn exp1(self) -> f64 {
        -(1.0 - self.uniform()).ln()
    }

    /// A generator for a sequence of draws under this key.
    pub fn stream(self) -> Stream {
        Stream::seed_from_u64(self.0)
    }

    /// The digest itself, for ordering (e.g. the eligible device with the
    /// smallest key enters first).
    #[inline]
    pub fn value(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn keys_are_reproducible_and_depend_on_every_part() {
        let k = Key::trial(1, 0);
        assert_eq!(k, Key::trial(1, 0));
        assert_ne!(k, Key::trial(1, 1));
        assert_ne!(k, Key::trial(2, 0));
        assert_ne!(k.named("entry"), k.named("detect"));
        assert_ne!(k.with(1).with(2), k.with(2).with(1), "order matters");
        assert_eq!(k.named("a").uniform(), Key::trial(1, 0).named("a").uniform());
        for part in [0, 1, 42, u64::MAX, name_hash("x")] {
            assert_eq!(k.with(part), k.with_part(Part::new(part)));
        }
        let mut a = k.stream();
        let mut b = k.stream();
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn uniforms_are_uniform_and_independent_across_neighbouring_keys() {
        // Keys that differ only in the last part (device ordinals) must give
        // independent uniforms: mean 1/2, variance 1/12, no lag-1 correlation.
        let root = Key::trial(20170512, 3).named("some-attack").named("threshold");
        let u: Vec<f64> = (0..200_000u64).map(|i| root.with(i).uniform()).collect();
        let n = u.len() as f64;
        let mean = u.iter().sum::<f64>() / n;
        let var = u.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let lag1 = u.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum::<f64>() / (n - 1.0) / var;
        assert!((mean - 0.5).abs() < 0.003, "mean {mean}");
        assert!((var - 1.0 / 12.0).abs() < 0.001, "variance {var}");
        assert!(lag1.abs() < 0.01, "lag-1 correlation {lag1}");
        // Ten equal bins, chi-square with 9 degrees of freedom below its 99.9% point.
        let mut bins = [0f64; 10];
        for x in &u {
            bins[(x * 10.0) as usize] += 1.0;
        }
        let expected = n / 10.0;
        let chi2: f64 = bins.iter().map(|b| (b - expected).powi(2) / expected).sum();
        assert!(chi2 < 27.88, "chi-square {chi2}");
    }

    #[test]
    fn the_exponential_draw_has_mean_one() {
        let root = Key::trial(5, 0);
        let n = 100_000u64;
        let mean = (0..n).map(|i| root.with(i).exp1()).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.01, "{mean}");
    }
}
