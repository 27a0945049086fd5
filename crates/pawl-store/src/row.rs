//! Small helpers shared by the query modules.

use pawl_domain::time_fmt::format_instant;

/// A new record id: UUIDv7, so ids sort by creation time on both engines.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn now() -> String {
    format_instant(time::OffsetDateTime::now_utc())
}

/// The entity tag of a record version, as sent in `ETag`.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// Checks an `If-Match` version against the stored one.
pub(crate) fn check_version(entity: &'static str, stored: i64, expected: Option<i64>) -> Result<(), crate::StoreError> {
    match expected {
        Some(v) if v != stored => Err(crate::StoreError::PreconditionFailed {
            entity,
            current_etag: etag(stored),
        }),
        _ => Ok(()),
    }
}

/// A column list with each column qualified by a table alias:
/// `prefixed("a", "id, name")` is `a.id, a.name`.
pub(crate) fn prefixed(alias: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// (table, columns, entity) of a record type, for [`live_by_id`].
pub(crate) type RowSpec = (&'static str, &'static str, &'static str);

/// One live row of an organisation's `table` by id, read with `from_row`,
/// or `NotFound` naming `entity`. `lock` is empty on a pool, and the
/// engine's row lock inside a write (see [`crate::AuditedTx::held_by_id`]).
pub(crate) async fn live_by_id<'e, E, T>(
    exec: E,
    (table, columns, entity): RowSpec,
    org_id: &str,
    id: &str,
    from_row: fn(&sqlx::any::AnyRow) -> Result<T, crate::StoreError>,
    lock: &str,
) -> Result<T, crate::StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("SELECT {columns} FROM {table} WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL{lock}");
    let row = sqlx::query(&sql).bind(org_id).bind(id).fetch_optional(exec).await?;
    row.as_ref()
        .map(from_row)
        .transpose()?
        .ok_or(crate::StoreError::NotFound { entity })
}

impl crate::AuditedTx {
    /// A live row this transaction is about to change, held until commit.
    pub(crate) async fn held_by_id<T>(
        &mut self,
        spec: RowSpec,
        id: &str,
        from_row: fn(&sqlx::any::AnyRow) -> Result<T, crate::StoreError>,
    ) -> Result<T, crate::StoreError> {
        let lock = self.engine.lock_rows();
        live_by_id(&mut *self.tx, spec, &self.org_id, id, from_row, lock).await
    }
}

impl crate::AuditedTx {
    /// The first of `ids` that is not a live row of this organisation's
    /// `table`, checked with one query per 500 ids, not one per id.
    pub(crate) async fn first_missing(
        &mut self,
        table: &str,
        ids: &[String],
    ) -> Result<Option<String>, crate::StoreError> {
        for chunk in ids.chunks(500) {
            let mut sql = crate::sql::Sql::new("");
            let org = sql.text_arg(&self.org_id);
            let list = sql.text_list(chunk);
            sql.push(&format!(
                "SELECT id FROM {table} WHERE org_id = {org} AND deleted_at IS NULL AND id IN ({list})"
            ));
            let found: Vec<(String,)> = sql.query_as().fetch_all(&mut *self.tx).await?;
            if let Some(m) = chunk.iter().find(|id| !found.iter().any(|(f,)| f == *id)) {
                return Ok(Some(m.clone()));
            }
        }
        Ok(None)
    }

    /// Inserts link rows `(org_id, a, b)` into `table (org_id, ca, cb)` with
    /// multi-row statements.
    pub(crate) async fn insert_links(
        &mut self,
        (table, ca, cb): (&str, &str, &str),
        pairs: &[(String, String)],
    ) -> Result<(), crate::StoreError> {
        use crate::sql::Arg;
        for chunk in pairs.chunks(300) {
            let mut sql = crate::sql::Sql::bulk(self.engine);
            let rows: Vec<String> = chunk
                .iter()
                .map(|(a, b)| {
                    sql.row(vec![
                        Arg::Text(self.org_id.clone()),
                        Arg::Text(a.clone()),
                        Arg::Text(b.clone()),
                    ])
                })
                .collect();
            sql.push(&format!(
                "INSERT INTO {table} (org_id, {ca}, {cb}) VALUES {}",
                rows.join(", ")
            ));
            sql.query().execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}
