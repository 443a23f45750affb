//! A hasher for maps keyed by the database's ids (users, apps, days), which this node's caches look up thousands of
//! times per ranking: one multiply per integer instead of SipHash's rounds (the per-friend lookups of a ranking
//! rebuild spent most of their time hashing).
//!
//! Not for keys a client chooses: SipHash is there to resist collisions crafted by whoever picks the keys. These ids
//! are handed out by the database (sequential user and app ids, day starts), so no caller can aim them at one bucket.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` keyed by ids (see the module docs).
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// The Fx-style hash of integers: rotate, mix in, multiply by an odd constant (2⁶⁴/φ). Distinct ids differ in the low
/// bits the table indexes by, and the multiply spreads them into the high bits it tags entries with.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(K);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn sequential_ids_spread_over_buckets_and_tags() {
        let build = BuildHasherDefault::<IdHasher>::default();
        let hashes: Vec<u64> = (1..=4096_i64).map(|id| build.hash_one(id)).collect();
        let low: std::collections::HashSet<u64> = hashes.iter().map(|h| h & 4095).collect();
        assert_eq!(
            low.len(),
            4096,
            "the low 12 bits of 4096 consecutive ids are all distinct"
        );
        let tags: std::collections::HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert!(tags.len() > 100, "the top 7 bits vary: {}", tags.len());
        assert_ne!(build.hash_one((1_i64, 2_i64)), build.hash_one((2_i64, 1_i64)));
    }
}
