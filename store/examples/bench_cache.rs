//! The in-memory cache tier, A/B: `store::MemoryCache` (on moka) against the hand-written
//! cache it replaced (one `HashMap` under one global lock, TTL checked on read, arbitrary
//! victims when full), kept here as the baseline, in the same run. Hits of 2 kB responses from
//! 1 to 4 threads over 2,000 keys, and a churn of inserts past the budget.
//! `cargo run --release -p store --example bench_cache`

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use store::MemoryCache;

/// Bounded in-process cache with a time-to-live, limited both in entries and in bytes.
struct Baseline {
    ttl: Duration,
    capacity: usize,
    max_bytes: usize,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, (Instant, Bytes)>,
    bytes: usize,
}

impl Entries {
    fn remove(&mut self, key: &str) {
        if let Some((_, v)) = self.map.remove(key) {
            self.bytes -= v.len();
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(&str, &Instant) -> bool) {
        let mut freed = 0;
        self.map.retain(|k, (at, v)| {
            let kept = keep(k, at);
            if !kept {
                freed += v.len();
            }
            kept
        });
        self.bytes -= freed;
    }
}

impl Baseline {
    fn with_byte_limit(ttl: Duration, capacity: usize, max_bytes: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            max_bytes: max_bytes.max(1),
            entries: Mutex::new(Entries::default()),
        }
    }

    /// The entry under `key` if it is still fresh, without counting a hit or a miss.
    pub fn peek(&self, key: &str) -> Option<Bytes> {
        let mut e = self.entries.lock().expect("cache lock poisoned");
        match e.map.get(key) {
            Some((at, v)) if at.elapsed() < self.ttl => Some(v.clone()),
            Some(_) => {
                e.remove(key);
                None
            }
            None => None,
        }
    }

    /// Stores `value` (nothing if it alone exceeds the byte budget).
    pub fn insert(&self, key: &str, value: Bytes) {
        if value.len() > self.max_bytes {
            return;
        }
        let mut e = self.entries.lock().expect("cache lock poisoned");
        e.remove(key);
        if e.map.len() >= self.capacity || e.bytes + value.len() > self.max_bytes {
            let ttl = self.ttl;
            e.retain(|_, at| at.elapsed() < ttl);
            let (cap, budget) = (self.capacity * 3 / 4, self.max_bytes / 4 * 3);
            let mut excess_n = e.map.len().saturating_sub(cap);
            let mut excess_b = (e.bytes + value.len()).saturating_sub(budget);
            if excess_n > 0 || excess_b > 0 {
                // Arbitrary victims, chosen in one pass.
                let mut victims = Vec::new();
                for (k, (_, v)) in &e.map {
                    if excess_n == 0 && excess_b == 0 {
                        break;
                    }
                    excess_n = excess_n.saturating_sub(1);
                    excess_b = excess_b.saturating_sub(v.len());
                    victims.push(k.clone());
                }
                for k in victims {
                    e.remove(&k);
                }
            }
        }
        e.bytes += value.len();
        e.map.insert(key.to_string(), (Instant::now(), value));
    }
}

/// The two caches behind one face.
trait Tier: Sync {
    fn get(&self, key: &str) -> Option<Bytes>;
    fn put(&self, key: &str, value: Bytes);
}

impl Tier for Baseline {
    fn get(&self, key: &str) -> Option<Bytes> {
        self.peek(key)
    }
    fn put(&self, key: &str, value: Bytes) {
        self.insert(key, value)
    }
}

impl Tier for MemoryCache {
    fn get(&self, key: &str) -> Option<Bytes> {
        self.peek(key)
    }
    fn put(&self, key: &str, value: Bytes) {
        self.insert(key, value)
    }
}

const KEYS: usize = 2_000;
const GETS: usize = 400_000;

/// Million hits per second over `threads` threads, each reading every key in turn.
fn hits(cache: &dyn Tier, keys: &[String], threads: usize) -> f64 {
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                let mut found = 0usize;
                for i in 0..GETS {
                    found += usize::from(cache.get(&keys[(i * 7 + t) % KEYS]).is_some());
                }
                assert_eq!(found, GETS, "every key is held");
            });
        }
    });
    (GETS * threads) as f64 / started.elapsed().as_secs_f64() / 1e6
}

/// Thousand inserts per second into a cache a quarter the size of what is inserted.
fn churn(cache: &dyn Tier, body: &Bytes) -> f64 {
    let n = 40_000;
    let started = Instant::now();
    for i in 0..n {
        cache.put(&format!("churn:{i}"), body.clone());
    }
    n as f64 / started.elapsed().as_secs_f64() / 1e3
}

fn main() {
    let body = Bytes::from(vec![7u8; 2_048]);
    let keys: Vec<String> = (0..KEYS)
        .map(|i| format!("nflp:v1:game:{i}:predictions"))
        .collect();
    let ttl = Duration::from_secs(600);
    println!("| operation | hand-written (baseline) | moka (MemoryCache) | ratio |");
    println!("|---|---:|---:|---:|");
    for threads in [1, 2, 4] {
        let base = Baseline::with_byte_limit(ttl, 10_000, 64 << 20);
        let moka = MemoryCache::with_byte_limit(ttl, 10_000, 64 << 20);
        for k in &keys {
            base.put(k, body.clone());
            moka.put(k, body.clone());
        }
        let (b, m) = (hits(&base, &keys, threads), hits(&moka, &keys, threads));
        println!(
            "| hits, {threads} thread(s) (M/s) | {b:.2} | {m:.2} | {:.2}× |",
            m / b
        );
    }
    let base = Baseline::with_byte_limit(ttl, 10_000, 10_000 * 2_048 / 4);
    let moka = MemoryCache::with_byte_limit(ttl, 10_000, 10_000 * 2_048 / 4);
    let (b, m) = (churn(&base, &body), churn(&moka, &body));
    println!(
        "| inserts past the budget (k/s) | {b:.0} | {m:.0} | {:.2}× |",
        m / b
    );
}
