//! Hash maps for the hot path.
//!
//! The aggregation does several map lookups per record on small integer keys, where
//! std's SipHash (built to resist hash flooding from untrusted keys) costs more than the
//! lookup itself. These maps use foldhash with a fixed seed: several times faster, and
//! the same iteration order on every run for the same insertions. The keys are symbols,
//! minutes and series ids we assign ourselves; the strings behind them come from logs,
//! but an attacker who can write CloudTrail records at will has easier ways to slow a
//! batch job down than crafting collisions.

use std::hash::BuildHasher;

pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
pub type FastSet<T> = std::collections::HashSet<T, foldhash::fast::FixedState>;

/// A 64-bit hash of a value, the same on every run.
pub fn stable_hash<T: std::hash::Hash>(value: &T) -> u64 {
    foldhash::fast::FixedState::with_seed(0x7472_6169_6c73_6967).hash_one(value)
}
