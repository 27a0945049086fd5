//! Evidence files kept in the database, in chunks (PostgreSQL), so that
//! every replica serves every file and one database backup holds them.
//! A file goes in and comes out a chunk at a time, never whole in memory.

use crate::{Store, StoreError};
use futures_util::TryStreamExt;
use sqlx::{Any, Transaction};

/// The columns that name a stored file by its SHA-256: (table, column).
pub const FILE_COLUMNS: &[(&str, &str)] = &[("evidence", "sha256"), ("document_versions", "file_sha256")];

/// A file being written into the database, chunk by chunk, in one
/// transaction: it is there whole or not at all.
pub struct BlobWrite {
    tx: Transaction<'static, Any>,
    sha256: String,
    next: i64,
}

impl Store {
    /// Whether the database holds the file with this SHA-256.
    pub async fn has_blob(&self, sha256: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM evidence_chunks WHERE sha256 = $1 AND n = 0")
            .bind(sha256)
            .fetch_one(&self.read)
            .await?;
        Ok(n > 0)
    }

    /// Every stored file's SHA-256 that a record names, in every organisation.
    pub async fn file_hashes(&self) -> Result<Vec<String>, StoreError> {
        let sql = FILE_COLUMNS
            .iter()
            .map(|(t, c)| format!("SELECT {c} FROM {t} WHERE {c} IS NOT NULL"))
            .collect::<Vec<_>>()
            .join(" UNION ");
        Ok(sqlx::query_scalar(&sql).fetch_all(&self.read).await?)
    }

    /// Starts writing a file whose SHA-256 the caller has checked.
    pub async fn write_blob(&self, sha256: &str) -> Result<BlobWrite, StoreError> {
        let mut tx = self.write.begin_with(self.engine.begin_write()).await?;
        // Writing the same bytes again replaces them with themselves.
        sqlx::query("DELETE FROM evidence_chunks WHERE sha256 = $1")
            .bind(sha256)
            .execute(&mut *tx)
            .await?;
        Ok(BlobWrite {
            tx,
            sha256: sha256.to_owned(),
            next: 0,
        })
    }

    /// Hands a stored file's chunks to `visit` in order, one at a time.
    pub async fn read_blob<F, Fut>(&self, sha256: &str, mut visit: F) -> Result<u64, StoreError>
    where
        F: FnMut(Vec<u8>) -> Fut,
        Fut: std::future::Future<Output = Result<(), StoreError>>,
    {
        let mut rows =
            sqlx::query_scalar::<_, Vec<u8>>("SELECT bytes FROM evidence_chunks WHERE sha256 = $1 ORDER BY n")
                .bind(sha256)
                .fetch(&self.read);
        let mut size = 0;
        while let Some(chunk) = rows.try_next().await? {
            size += chunk.len() as u64;
            visit(chunk).await?;
        }
        Ok(size)
    }
}

impl BlobWrite {
    pub async fn chunk(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO evidence_chunks (sha256, n, bytes) VALUES ($1, $2, $3)")
            .bind(&self.sha256)
            .bind(self.next)
            .bind(bytes.to_vec())
            .execute(&mut *self.tx)
            .await?;
        self.next += 1;
        Ok(())
    }

    pub async fn finish(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}
