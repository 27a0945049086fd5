//! Sign-in throttling (Annex A 8.5, secure authentication), per account and
//! per client address. Past a small allowance each further failure doubles
//! the wait before the next attempt, rather than locking out: a crowd that
//! shares one proxy address is slowed, never shut out for everyone. The
//! attempts are kept in the database, so that every replica counts them.

use crate::AppError;
use pawl_store::Store;

/// Failures older than this are forgotten, in milliseconds (15 minutes).
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures an account may have in the window before it waits.
const PER_ACCOUNT: usize = 5;
/// Failures one client address may have in the window before it waits:
/// more than an account's, since an office or a proxy can stand behind one.
const PER_ADDRESS: usize = 50;
/// The wait after the first failure past an allowance, in milliseconds; it
/// doubles with each.
const FIRST_DELAY_MS: i64 = 2000;

/// One sign-in attempt, counted as a failure from the moment it begins, so
/// that attempts made in parallel cannot all pass before any is counted.
#[must_use = "an attempt counts as a failure unless it is marked a success"]
pub struct Attempt {
    account_key: String,
    ids: Vec<String>,
}

/// How long a key with `times` (unix milliseconds, oldest first) must still
/// wait at `now`, in milliseconds, if at all.
fn wait_for(times: &[i64], allowance: usize, now: i64) -> Option<i64> {
    let over = times.len().checked_sub(allowance)?;
    let delay = FIRST_DELAY_MS
        .checked_mul(1i64 << over.min(20))
        .unwrap_or(WINDOW_MS)
        .min(WINDOW_MS);
    let since = now - times.last()?;
    Some(delay - since).filter(|w| *w > 0)
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Begins an attempt, or says how many seconds to wait first.
pub async fn begin(store: &Store, account: &str, address: &str) -> Result<Attempt, AppError> {
    let keys = [format!("a:{account}"), format!("ip:{address}")];
    let now = now_ms();
    let decided = store
        .begin_sign_in(&keys, now, WINDOW_MS, |times| {
            let wait = [PER_ACCOUNT, PER_ADDRESS]
                .iter()
                .zip(times)
                .filter_map(|(allowance, t)| wait_for(t, *allowance, now))
                .max()?;
            Some(((wait + 999) / 1000).max(1) as u64)
        })
        .await?;
    match decided {
        Ok(ids) => Ok(Attempt {
            account_key: keys[0].clone(),
            ids,
        }),
        Err(secs) => Err(AppError::RateLimited { retry_after_secs: secs }),
    }
}

/// The attempt succeeded: the account starts afresh, and the address
/// forgets this one attempt (others from it still count).
pub async fn succeeded(store: &Store, attempt: Attempt) -> Result<(), AppError> {
    Ok(store.sign_in_succeeded(&attempt.account_key, &attempt.ids).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_allowance_each_failure_doubles_the_wait() {
        let now = 1_000_000_000;
        let within: Vec<i64> = vec![now; PER_ACCOUNT - 1];
        assert_eq!(
            wait_for(&within, PER_ACCOUNT, now),
            None,
            "attempts within the allowance do not wait"
        );
        let times: Vec<i64> = vec![now; PER_ACCOUNT + 3];
        assert_eq!(wait_for(&times, PER_ACCOUNT, now), Some(16_000));
        assert_eq!(
            wait_for(&times, PER_ACCOUNT, now + 10_000),
            Some(6_000),
            "time already waited counts"
        );
        let many: Vec<i64> = vec![now; PER_ACCOUNT + 40];
        assert_eq!(
            wait_for(&many, PER_ACCOUNT, now),
            Some(WINDOW_MS),
            "never longer than the window"
        );
    }
}
