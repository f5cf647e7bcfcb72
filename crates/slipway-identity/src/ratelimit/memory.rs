//! Counters in this process: sharded maps, pruned of ended windows as they grow.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};

const SHARDS: usize = 16;
const PRUNE_ABOVE: usize = 4096;

/// One caller's counter: window number, window end, requests counted.
#[derive(Debug, Clone, Copy)]
struct Counter {
    window: i64,
    end: i64,
    count: u64,
}

/// Per-process window counters.
pub struct MemoryCounters {
    hasher: RandomState,
    shards: [Mutex<HashMap<String, Counter>>; SHARDS],
}

impl Default for MemoryCounters {
    fn default() -> Self {
        Self { hasher: RandomState::new(), shards: std::array::from_fn(|_| Mutex::new(HashMap::new())) }
    }
}

impl MemoryCounters {
    /// Adds one to the counter of `key` in `bucket` for window `n` (ending at `end`); returns the new count.
    pub fn increment(&self, bucket: &str, key: &str, n: i64, end: i64, now: i64) -> u64 {
        let id = format!("{bucket}\u{1f}{key}");
        let shard = &self.shards[usize::try_from(self.hasher.hash_one(&id) % SHARDS as u64).unwrap_or(0)];
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, c| c.end > now);
        }
        let fresh = Counter { window: n, end, count: 0 };
        let entry = map.entry(id).or_insert(fresh);
        if entry.window != n {
            *entry = fresh;
        }
        entry.count += 1;
        entry.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_windows_are_pruned() {
        let c = MemoryCounters::default();
        let lens = |c: &MemoryCounters| c.shards.iter().map(|s| s.lock().unwrap().len()).collect::<Vec<_>>();
        // Fill until every shard is past the bound (keys spread by a random hasher, so count, do not assume).
        let mut i = 0;
        while lens(&c).iter().any(|&n| n <= PRUNE_ABOVE) {
            c.increment("b", &i.to_string(), 1, 10, 5);
            i += 1;
        }
        assert_eq!(lens(&c).iter().sum::<usize>(), i, "windows that have not ended are kept");
        // Their window ends at 10; at 15 the first write into each shard drops them.
        let ended = |c: &MemoryCounters| {
            c.shards.iter().map(|s| s.lock().unwrap().values().filter(|v| v.end == 10).count()).sum::<usize>()
        };
        let mut late = 0;
        while ended(&c) > 0 {
            c.increment("b", &format!("late{late}"), 2, 20, 15);
            late += 1;
            assert!(late < 100_000, "ended windows were never pruned");
        }
        assert_eq!(lens(&c).iter().sum::<usize>(), late, "only the live windows remain");
    }
}
