//! A set of device indices with constant-time insert, remove and uniform
//! draw: what aggregate-rate attacks need to pick "a random susceptible
//! device in this zone" without scanning the zone.

use rand::{Rng, RngExt};

use crate::device::DeviceIndex;

const ABSENT: u32 = u32::MAX;

/// Devices drawn from a fixed universe `0..universe`.
#[derive(Clone, Debug)]
pub struct IndexedSet {
    items: Vec<DeviceIndex>,
    position: Vec<u32>,
}

impl IndexedSet {
    /// An empty set over devices `0..universe`.
    pub fn new(universe: usize) -> Self {
        IndexedSet { items: Vec::new(), position: vec![ABSENT; universe] }
    }

    /// How many devices it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether it holds `d`.
    pub fn contains(&self, d: DeviceIndex) -> bool {
        self.position[d as usize] != ABSENT
    }

    /// Adds `d`; returns false if it was already there.
    pub fn insert(&mut self, d: DeviceIndex) -> bool {
        if self.contains(d) {
            return false;
        }
        self.position[d as usize] = self.items.len() as u32;
        self.items.push(d);
        true
    }

    /// Removes `d`; returns false if it was not there.
    pub fn remove(&mut self, d: DeviceIndex) -> bool {
        let pos = self.position[d as usize];
        if pos == ABSENT {
            return false;
        }
        let last = self.items.pop().expect("non-empty when an item is present");
        if last != d {
            self.items[pos as usize] = last;
            self.position[last as usize] = pos;
        }
        self.position[d as usize] = ABSENT;
        true
    }

    /// A uniformly drawn member, if any.
    pub fn choose<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<DeviceIndex> {
        if self.items.is_empty() { None } else { Some(self.items[rng.random_range(0..self.items.len())]) }
    }

    /// The members, in no particular (but deterministic) order.
    pub fn iter(&self) -> impl Iterator<Item = DeviceIndex> + '_ {
        self.items.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Key;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        #[test]
        fn behaves_like_a_set(ops in proptest::collection::vec((any::<bool>(), 0u32..50), 0..300)) {
            let mut s = IndexedSet::new(50);
            let mut model = BTreeSet::new();
            for (add, d) in ops {
                if add {
                    prop_assert_eq!(s.insert(d), model.insert(d));
                } else {
                    prop_assert_eq!(s.remove(d), model.remove(&d));
                }
                prop_assert_eq!(s.len(), model.len());
            }
            let members: BTreeSet<u32> = s.iter().collect();
            prop_assert_eq!(members, model);
        }
    }

    #[test]
    fn draws_uniformly() {
        let mut s = IndexedSet::new(10);
        for d in [1, 3, 5, 7] {
            s.insert(d);
        }
        s.remove(3);
        let mut rng = Key::trial(1, 0).stream();
        let mut counts = [0u32; 10];
        for _ in 0..30_000 {
            counts[s.choose(&mut rng).unwrap() as usize] += 1;
        }
        for d in [1, 5, 7] {
            assert!((counts[d] as f64 - 10_000.0).abs() < 400.0, "{counts:?}");
        }
        assert_eq!(counts[3], 0);
    }
}

/// Devices split into fixed parts (a device belongs to one zone), each part
/// a set with constant-time insert, remove and uniform draw. One position
/// table serves every part, so memory is per device, not per device and zone.
#[derive(Clone, Debug)]
pub struct PartitionedSet {
    parts: Vec<Vec<DeviceIndex>>,
    position: Vec<u32>,
}

impl PartitionedSet {
    /// Empty parts `0..parts` over devices `0..universe`.
    pub fn new(universe: usize, parts: usize) -> Self {
        PartitionedSet { parts: vec![Vec::new(); parts], position: vec![ABSENT; universe] }
    }

    /// How many devices part `p` holds.
    pub fn len(&self, p: usize) -> usize {
        self.parts[p].len()
    }

    /// Whether `d` is in any part.
    pub fn contains(&self, d: DeviceIndex) -> bool {
        self.position[d as usize] != ABSENT
    }

    /// Adds `d` to part `p`; false if it was already present. A device must
    /// always be given the same part.
    pub fn insert(&mut self, p: usize, d: DeviceIndex) -> bool {
        if self.contains(d) {
            return false;
        }
        self.position[d as usize] = self.parts[p].len() as u32;
        self.parts[p].push(d);
        true
    }

    /// Removes `d` from part `p`; false if it was not present.
    pub fn remove(&mut self, p: usize, d: DeviceIndex) -> bool {
        let pos = self.position[d as usize];
        if pos == ABSENT {
            return false;
        }
        let items = &mut self.parts[p];
        debug_assert_eq!(items[pos as usize], d, "device removed from the part it was given");
        let last = items.pop().expect("non-empty when an item is present");
        if last != d {
            items[pos as usize] = last;
            self.position[last as usize] = pos;
        }
        self.position[d as usize] = ABSENT;
        true
    }

    /// A uniformly drawn member of part `p`, if any.
    pub fn choose<R: Rng + ?Sized>(&self, p: usize, rng: &mut R) -> Option<DeviceIndex> {
        let items = &self.parts[p];
        if items.is_empty() { None } else { Some(items[rng.random_range(0..items.len())]) }
    }
}

#[cfg(test)]
mod partitioned_tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        #[test]
        fn each_part_behaves_like_a_set(ops in proptest::collection::vec((any::<bool>(), 0u32..60), 0..300)) {
            // Device d belongs to part d % 3.
            let mut s = PartitionedSet::new(60, 3);
            let mut model = [BTreeSet::new(), BTreeSet::new(), BTreeSet::new()];
            for (add, d) in ops {
                let p = (d % 3) as usize;
                if add {
                    prop_assert_eq!(s.insert(p, d), model[p].insert(d));
                } else {
                    prop_assert_eq!(s.remove(p, d), model[p].remove(&d));
                }
                for (q, m) in model.iter().enumerate() {
                    prop_assert_eq!(s.len(q), m.len());
                }
            }
        }
    }
}

/// Counts in fixed slots (susceptible hosts per zone of a shared network),
/// with the total, a change to one slot, and the slot that holds the `x`th
/// unit, each in O(log n): a Fenwick tree. It draws a slot in proportion to
/// its count from thousands of slots without scanning them all.
#[derive(Clone, Debug, Default)]
pub struct WeightedCounts {
    tree: Vec<u32>,
    total: u32,
}

impl WeightedCounts {
    /// `slots` slots, each holding 0.
    pub fn new(slots: usize) -> Self {
        WeightedCounts { tree: vec![0; slots + 1], total: 0 }
    }

    /// The sum of every slot.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Adds `delta` to slot `i` (a slot never goes below zero).
    pub fn add(&mut self, i: usize, delta: i32) {
        self.total = self.total.wrapping_add_signed(delta);
        let mut k = i + 1;
        while k < self.tree.len() {
            self.tree[k] = self.tree[k].wrapping_add_signed(delta);
            k += k & k.wrapping_neg();
        }
    }

    /// The sum of slots `0..i`.
    pub fn before(&self, i: usize) -> u32 {
        let (mut k, mut sum) = (i, 0u32);
        while k > 0 {
            sum += self.tree[k];
            k -= k & k.wrapping_neg();
        }
        sum
    }

    /// The slot holding unit `x` (0-based) when units are laid out slot by
    /// slot: the `i` with `before(i) <= x < before(i + 1)`. `x` must be
    /// below the total.
    pub fn find(&self, mut x: u32) -> usize {
        let n = self.tree.len() - 1;
        let (mut pos, mut step) = (0usize, n.next_power_of_two());
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next] <= x {
                pos = next;
                x -= self.tree[next];
            }
            step >>= 1;
        }
        pos
    }
}

#[cfg(test)]
mod weighted_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn finds_the_slot_of_every_unit(counts in proptest::collection::vec(0u32..5, 1..40)) {
            let mut w = WeightedCounts::new(counts.len());
            for (i, &c) in counts.iter().enumerate() {
                w.add(i, c as i32);
            }
            prop_assert_eq!(w.total(), counts.iter().sum::<u32>());
            let mut x = 0;
            for (i, &c) in counts.iter().enumerate() {
                prop_assert_eq!(w.before(i), x);
                for _ in 0..c {
                    prop_assert_eq!(w.find(x), i);
                    x += 1;
                }
            }
        }
    }
}
