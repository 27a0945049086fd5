//! Sign-in attempts kept in the database (Annex A 8.5), so that every
//! replica of pawl on one database counts every attempt: a limit held in
//! one process's memory would let an attacker spread guesses across them.

use crate::row::new_id;
use crate::{Store, StoreError};

impl Store {
    /// Reads the recent attempt times (unix milliseconds, oldest first) of
    /// each key and asks `decide` whether another may begin, in one write
    /// transaction that holds the keys, so that attempts made at once, on
    /// any replica, are counted one after another. When `decide` gives no
    /// wait the attempt is recorded under every key and its ids returned;
    /// else the wait. Attempts older than the window are forgotten.
    pub async fn begin_sign_in(
        &self,
        keys: &[String],
        now_ms: i64,
        window_ms: i64,
        decide: impl FnOnce(&[Vec<i64>]) -> Option<u64>,
    ) -> Result<Result<Vec<String>, u64>, StoreError> {
        let mut sorted = keys.to_vec();
        // One order for every transaction, so that two never wait on each other.
        sorted.sort();
        let mut tx = self.write.begin_with(self.engine.begin_write()).await?;
        if let Some(lock) = self.engine.key_lock() {
            for k in &sorted {
                sqlx::query(lock).bind(k).execute(&mut *tx).await?;
            }
        }
        sqlx::query("DELETE FROM sign_in_attempts WHERE attempted_at < $1")
            .bind(now_ms - window_ms)
            .execute(&mut *tx)
            .await?;
        let mut times = Vec::with_capacity(keys.len());
        for k in keys {
            let t: Vec<i64> =
                sqlx::query_scalar("SELECT attempted_at FROM sign_in_attempts WHERE key = $1 ORDER BY attempted_at")
                    .bind(k)
                    .fetch_all(&mut *tx)
                    .await?;
            times.push(t);
        }
        if let Some(wait) = decide(&times) {
            tx.commit().await?;
            return Ok(Err(wait));
        }
        let mut ids = Vec::with_capacity(keys.len());
        for k in keys {
            let id = new_id();
            sqlx::query("INSERT INTO sign_in_attempts (id, key, attempted_at) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(k)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(Ok(ids))
    }

    /// A sign-in succeeded: every attempt under `cleared` is forgotten, and
    /// the attempts `ids` (the same one under other keys).
    pub async fn sign_in_succeeded(&self, cleared: &str, ids: &[String]) -> Result<(), StoreError> {
        let mut tx = self.write.begin_with(self.engine.begin_write()).await?;
        sqlx::query("DELETE FROM sign_in_attempts WHERE key = $1")
            .bind(cleared)
            .execute(&mut *tx)
            .await?;
        for id in ids {
            sqlx::query("DELETE FROM sign_in_attempts WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
