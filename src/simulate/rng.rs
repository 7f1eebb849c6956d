//! Seed derivation and small sampling helpers shared by the generators.
//!
//! Every generator draws from its own Xoshiro256++ stream whose seed is derived from
//! the user seed and a few integer tags, so work can be split across threads (per
//! account, region, day or file) and the output stays byte-for-byte reproducible.

use rand::{Rng, RngCore, SeedableRng};
use rand_distr::{Distribution, Gamma, Poisson};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator used everywhere in the simulator.
pub(super) type SimRng = Xoshiro256PlusPlus;

/// Tags that keep the derived seed streams of different purposes apart.
pub(super) mod tag {
    pub(in crate::simulate) const ACCOUNTS: u64 = 1;
    pub(in crate::simulate) const PRINCIPALS: u64 = 2;
    pub(in crate::simulate) const RESOURCES: u64 = 3;
    pub(in crate::simulate) const SCENARIO: u64 = 4;
    pub(in crate::simulate) const DAY: u64 = 5;
    pub(in crate::simulate) const DELIVERY: u64 = 6;
    pub(in crate::simulate) const MALFORMED: u64 = 7;
    pub(in crate::simulate) const EXTRAS: u64 = 8;
    pub(in crate::simulate) const REACH: u64 = 9;
}

pub(super) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub(super) const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// The base-32 alphabet AWS uses in access key ids and unique ids.
pub(super) const KEY_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub(super) const HEX: &[u8] = b"0123456789abcdef";

/// SplitMix64 finaliser: a cheap, well-mixed hash of one word.
pub(super) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(super) fn sub_seed(seed: u64, tags: &[u64]) -> u64 {
    tags.iter()
        .fold(splitmix(seed), |acc, &t| splitmix(acc ^ splitmix(t)))
}

pub(super) fn rng_for(seed: u64, tags: &[u64]) -> SimRng {
    SimRng::seed_from_u64(sub_seed(seed, tags))
}

/// Poisson draw; inversion is exact and much cheaper than building a distribution for
/// the small per-minute rates that dominate the simulation.
pub(super) fn poisson<R: Rng>(rng: &mut R, lambda: f64) -> u32 {
    if lambda.is_nan() || lambda <= 0.0 {
        return 0;
    }
    if lambda < 30.0 {
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p: f64 = rng.gen();
        while p > limit {
            k += 1;
            p *= rng.gen::<f64>();
        }
        return k;
    }
    match Poisson::new(lambda) {
        Ok(dist) => dist.sample(rng) as u32,
        Err(_) => lambda.round() as u32,
    }
}

/// A mean-one gamma multiplier; smaller shapes give burstier traffic.
pub(super) struct MeanOne(Option<Gamma<f64>>);

impl MeanOne {
    pub(super) fn new(shape: f64) -> Self {
        Self(Gamma::new(shape, 1.0 / shape).ok())
    }

    pub(super) fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        self.0.as_ref().map_or(1.0, |g| g.sample(rng))
    }
}

pub(super) fn chars<R: Rng>(rng: &mut R, n: usize, alphabet: &[u8]) -> String {
    (0..n)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

/// A public-looking IPv4 address whose first octet comes from `firsts`, so that
/// different kinds of caller (offices, AWS, attackers) never share addresses.
pub(super) fn ip<R: Rng>(rng: &mut R, firsts: &[u8]) -> String {
    let first = firsts[rng.gen_range(0..firsts.len())];
    format!(
        "{first}.{}.{}.{}",
        rng.gen_range(1..=254u8),
        rng.gen::<u8>(),
        rng.gen_range(1..=254u8)
    )
}

pub(super) fn pick<'a, T, R: Rng>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

pub(super) fn key_words<R: RngCore>(rng: &mut R) -> [u64; 2] {
    [rng.next_u64(), rng.next_u64()]
}

/// Random bytes for a v4-style UUID built from two key words.
pub(super) fn uuid_bytes(words: [u64; 2]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&words[0].to_le_bytes());
    out[8..].copy_from_slice(&words[1].to_le_bytes());
    out
}

pub(super) fn uuid_string(words: [u64; 2]) -> String {
    uuid::Builder::from_random_bytes(uuid_bytes(words))
        .into_uuid()
        .to_string()
}
