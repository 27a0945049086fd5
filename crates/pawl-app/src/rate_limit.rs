//! Sign-in throttling (Annex A 8.5, secure authentication): a sliding
//! window per account and per client address, kept in memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(300);
const PER_ACCOUNT: usize = 5;
const PER_ADDRESS: usize = 20;
/// Bounds memory under a flood of distinct keys.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    /// Seconds to wait before another attempt, if the limit is reached.
    pub fn check(&self, account: &str, address: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for (key, limit) in [
            (format!("a:{account}"), PER_ACCOUNT),
            (format!("ip:{address}"), PER_ADDRESS),
        ] {
            if let Some(times) = map.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < WINDOW);
                if times.len() >= limit {
                    let oldest = times[0];
                    let secs = WINDOW.saturating_sub(now.duration_since(oldest)).as_secs().max(1);
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        wait
    }

    pub fn record_failure(&self, account: &str, address: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| times.last().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for key in [format!("a:{account}"), format!("ip:{address}")] {
            map.entry(key).or_default().push(now);
        }
    }

    pub fn record_success(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("a:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_for_one_account_is_throttled() {
        let l = LoginLimiter::default();
        for _ in 0..PER_ACCOUNT {
            assert_eq!(l.check("ada@x.io", "1.2.3.4"), None);
            l.record_failure("ada@x.io", "1.2.3.4");
        }
        assert!(l.check("ada@x.io", "5.6.7.8").is_some());
        assert_eq!(l.check("bob@x.io", "5.6.7.8"), None);
        l.record_success("ada@x.io");
        assert_eq!(l.check("ada@x.io", "5.6.7.8"), None);
    }
}
