//! Sign-in throttling (Annex A 8.5, secure authentication), per account and
//! per client address. Past a small allowance each further failure doubles
//! the wait before the next attempt, rather than locking out: a crowd that
//! shares one proxy address is slowed, never shut out for everyone. Kept in
//! this process's memory; replicas sharing it through the database is
//! issue 16.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures older than this are forgotten.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures an account may have in the window before it waits.
const PER_ACCOUNT: usize = 5;
/// Failures one client address may have in the window before it waits:
/// more than an account's, since an office or a proxy can stand behind one.
const PER_ADDRESS: usize = 50;
/// The wait after the first failure past an allowance; it doubles with each.
const FIRST_DELAY: Duration = Duration::from_secs(2);
const MAX_DELAY: Duration = WINDOW;
/// Bounds memory under a flood of distinct keys.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

/// One sign-in attempt, counted as a failure from the moment it begins, so
/// that attempts made in parallel cannot all pass before any is counted.
#[must_use = "an attempt counts as a failure unless it is marked a success"]
pub struct Attempt {
    account: String,
    address: String,
    at: Instant,
}

/// How long a key with `times` (oldest first) must still wait, if at all.
fn wait_for(times: &[Instant], allowance: usize, now: Instant) -> Option<Duration> {
    let over = times.len().checked_sub(allowance)?;
    let delay = FIRST_DELAY
        .checked_mul(1u32.checked_shl(over.min(20) as u32).unwrap_or(u32::MAX))
        .unwrap_or(MAX_DELAY)
        .min(MAX_DELAY);
    let since = now.duration_since(*times.last()?);
    delay.checked_sub(since).filter(|w| !w.is_zero())
}

impl LoginLimiter {
    /// Begins an attempt, or says how many seconds to wait first. The check
    /// and the count happen under one lock.
    pub fn begin(&self, account: &str, address: &str) -> Result<Attempt, u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| times.last().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let keys = [
            (format!("a:{account}"), PER_ACCOUNT),
            (format!("ip:{address}"), PER_ADDRESS),
        ];
        let mut wait = Duration::ZERO;
        for (key, allowance) in &keys {
            if let Some(times) = map.get_mut(key) {
                times.retain(|t| now.duration_since(*t) < WINDOW);
                wait = wait.max(wait_for(times, *allowance, now).unwrap_or_default());
            }
        }
        if !wait.is_zero() {
            return Err(wait.as_secs_f64().ceil().max(1.0) as u64);
        }
        for (key, _) in keys {
            map.entry(key).or_default().push(now);
        }
        Ok(Attempt {
            account: account.to_owned(),
            address: address.to_owned(),
            at: now,
        })
    }

    /// The attempt succeeded: the account starts afresh, and the address
    /// forgets this one attempt (others from it still count).
    pub fn succeeded(&self, attempt: Attempt) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("a:{}", attempt.account));
        if let Some(times) = map.get_mut(&format!("ip:{}", attempt.address)) {
            if let Some(i) = times.iter().position(|t| *t == attempt.at) {
                times.remove(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_allowance_an_account_waits_longer_after_each_failure() {
        let l = LoginLimiter::default();
        for _ in 0..PER_ACCOUNT {
            let _failed = l.begin("ada@x.io", "1.2.3.4").expect("within the allowance");
        }
        let wait = l.begin("ada@x.io", "5.6.7.8").err().expect("the sixth waits");
        assert!((1..=2).contains(&wait), "{wait}");
        assert!(l.begin("bob@x.io", "5.6.7.8").is_ok(), "other accounts do not wait");
        let now = Instant::now();
        let times: Vec<Instant> = (0..PER_ACCOUNT + 3).map(|_| now).collect();
        assert_eq!(wait_for(&times, PER_ACCOUNT, now), Some(Duration::from_secs(16)));
        let many: Vec<Instant> = (0..PER_ACCOUNT + 40).map(|_| now).collect();
        assert_eq!(wait_for(&many, PER_ACCOUNT, now), Some(MAX_DELAY));
    }

    #[test]
    fn parallel_attempts_are_counted_before_any_is_evaluated() {
        let l = std::sync::Arc::new(LoginLimiter::default());
        let admitted: usize = (0..20)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || l.begin("ada@x.io", "1.2.3.4").is_ok())
            })
            .map(|h| usize::from(h.join().unwrap()))
            .sum();
        assert_eq!(admitted, PER_ACCOUNT);
    }

    #[test]
    fn a_success_clears_the_account_and_its_own_attempt_only() {
        let l = LoginLimiter::default();
        for _ in 0..PER_ACCOUNT - 1 {
            let _failed = l.begin("ada@x.io", "1.2.3.4").unwrap();
        }
        l.succeeded(l.begin("ada@x.io", "1.2.3.4").unwrap());
        for _ in 0..PER_ACCOUNT {
            let _failed = l.begin("ada@x.io", "1.2.3.4").expect("a fresh allowance");
        }
        let map = l.failures.lock().unwrap();
        assert_eq!(
            map["ip:1.2.3.4"].len(),
            2 * PER_ACCOUNT - 1,
            "the success is not an address failure"
        );
    }
}
