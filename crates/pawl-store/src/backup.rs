//! Backups and moves between engines: every table read in one snapshot,
//! and written back in the order the schema creates the tables (parents
//! first) into an empty database of either engine, in one transaction. Ids,
//! history and the audit chain move as they are, byte for byte.

use crate::migrate::MIGRATIONS;
use crate::{Store, StoreError};
use futures_util::TryStreamExt;
use serde_json::Value as Json;
use sqlx::{Any, Row, Transaction};

/// What a backup leaves out: the migrations' own table (the target runs
/// them), the search index (rebuilt from the records), sessions (people
/// sign in again), sign-in attempts, and evidence chunks (the archive
/// carries each file whole, by its SHA-256).
const LEFT_OUT: &[&str] = &[
    "pawl_migrations",
    "record_search",
    "sessions",
    "sign_in_attempts",
    "evidence_chunks",
];

/// Rows of a table that refers to itself, parents first: a document's
/// parent is exactly one level up.
fn order_of(table: &str) -> &'static str {
    match table {
        "documents" => {
            " ORDER BY CASE level WHEN 'policy' THEN 1 WHEN 'process' THEN 2 WHEN 'procedure' THEN 3 ELSE 4 END, id"
        }
        _ => "",
    }
}

/// The tables in the order the migrations create them.
fn creation_order() -> Vec<&'static str> {
    let mut out = Vec::new();
    for (_, _, sql) in MIGRATIONS {
        let mut rest: &str = sql;
        while let Some(at) = rest.find("CREATE TABLE ") {
            rest = &rest[at + "CREATE TABLE ".len()..];
            let name = rest.trim_start_matches("IF NOT EXISTS ");
            let end = name
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(name.len());
            if !out.contains(&&name[..end]) {
                out.push(&name[..end]);
            }
        }
    }
    out
}

/// How a column's values are read and written on either engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnType {
    Int,
    Float,
    Text,
}

fn column_type(declared: &str) -> ColumnType {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        ColumnType::Int
    } else if t.contains("double") || t.contains("real") || t.contains("float") || t.contains("numeric") {
        ColumnType::Float
    } else {
        ColumnType::Text
    }
}

/// Where a dump goes, table by table: an archive, or another database.
pub trait DumpSink {
    /// A table begins, with its columns in the order its rows give them.
    fn table(
        &mut self,
        name: &str,
        columns: &[String],
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    fn row(&mut self, values: Vec<Json>) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
}

async fn columns(
    tx: &mut Transaction<'static, Any>,
    store: &Store,
    table: &str,
) -> Result<Vec<(String, ColumnType)>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(store.engine.columns_of())
        .bind(table)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().map(|(n, t)| (n, column_type(&t))).collect())
}

fn value(row: &sqlx::any::AnyRow, i: usize, t: ColumnType) -> Result<Json, StoreError> {
    Ok(match t {
        ColumnType::Int => row.try_get::<Option<i64>, _>(i)?.map_or(Json::Null, Json::from),
        ColumnType::Float => row.try_get::<Option<f64>, _>(i)?.map_or(Json::Null, Json::from),
        ColumnType::Text => row.try_get::<Option<String>, _>(i)?.map_or(Json::Null, Json::from),
    })
}

impl Store {
    /// The tables a backup carries that this database has, parents first.
    async fn backup_tables(&self, tx: &mut Transaction<'static, Any>) -> Result<Vec<String>, StoreError> {
        let present: Vec<String> = sqlx::query_scalar(self.engine.tables()).fetch_all(&mut **tx).await?;
        Ok(creation_order()
            .into_iter()
            .filter(|t| present.iter().any(|p| p == t) && !LEFT_OUT.contains(t))
            .map(str::to_owned)
            .collect())
    }

    /// Reads every table a backup carries in one snapshot, while writers
    /// go on, handing each table and then each of its rows to `sink`: the
    /// whole instance, or one organisation (its rows, and the accounts of
    /// its members).
    pub async fn dump(&self, sink: &mut impl DumpSink, organisation: Option<&str>) -> Result<(), StoreError> {
        let mut tx = self.read.begin_with(self.engine.begin_snapshot()).await?;
        for table in self.backup_tables(&mut tx).await? {
            let cols = columns(&mut tx, self, &table).await?;
            let names: Vec<String> = cols.iter().map(|(n, _)| n.clone()).collect();
            let scope = match (organisation, table.as_str()) {
                (None, _) => "",
                (Some(_), "organisations") => " WHERE id = $1",
                (Some(_), "users") => " WHERE id IN (SELECT user_id FROM memberships WHERE org_id = $1)",
                (Some(_), _) if names.iter().any(|n| n == "org_id") => " WHERE org_id = $1",
                // Nothing else is shared between organisations.
                (Some(_), _) => continue,
            };
            sink.table(&table, &names).await?;
            let sql = format!("SELECT {} FROM {table}{scope}{}", names.join(", "), order_of(&table));
            let mut q = sqlx::query(&sql);
            if let Some(org) = organisation {
                q = q.bind(org);
            }
            let mut rows = q.fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                let values = cols
                    .iter()
                    .enumerate()
                    .map(|(i, (_, t))| value(&row, i, *t))
                    .collect::<Result<Vec<_>, _>>()?;
                sink.row(values).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Starts writing a backup into this database, which must hold no
    /// organisation yet; nothing is visible until [`Load::finish`].
    pub async fn load(&self) -> Result<Load, StoreError> {
        let mut tx = self.write.begin_with(self.engine.begin_write()).await?;
        let orgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organisations")
            .fetch_one(&mut *tx)
            .await?;
        if orgs > 0 {
            return Err(StoreError::Conflict(format!(
                "this database already holds {orgs} organisations; restore into an empty one"
            )));
        }
        // Whatever the migrations seeded gives way to the backup's rows.
        let tables = self.backup_tables(&mut tx).await?;
        for t in tables.iter().rev() {
            sqlx::query(&format!("DELETE FROM {t}")).execute(&mut *tx).await?;
        }
        Ok(Load {
            tx,
            store: self.clone(),
            tables,
            insert: String::new(),
            types: Vec::new(),
            rows: 0,
        })
    }
}

/// A backup being written into a database, table by table.
pub struct Load {
    tx: Transaction<'static, Any>,
    store: Store,
    tables: Vec<String>,
    insert: String,
    types: Vec<ColumnType>,
    rows: u64,
}

impl DumpSink for Load {
    /// The next table and the columns its rows give, each of which this
    /// database's table must have.
    async fn table(&mut self, name: &str, given: &[String]) -> Result<(), StoreError> {
        if !self.tables.iter().any(|t| t == name) {
            return Err(StoreError::Corrupt(format!(
                "the backup has a table {name:?} this schema does not"
            )));
        }
        let here = columns(&mut self.tx, &self.store, name).await?;
        let mut placeholders = Vec::with_capacity(given.len());
        self.types.clear();
        for (i, c) in given.iter().enumerate() {
            let Some((_, t)) = here.iter().find(|(n, _)| n == c) else {
                return Err(StoreError::Corrupt(format!(
                    "the backup's table {name} has a column {c:?} this schema does not"
                )));
            };
            self.types.push(*t);
            placeholders.push(match t {
                ColumnType::Int => format!("CAST(${} AS BIGINT)", i + 1),
                ColumnType::Float => format!("CAST(${} AS DOUBLE PRECISION)", i + 1),
                ColumnType::Text => format!("${}", i + 1),
            });
        }
        self.insert = format!(
            "INSERT INTO {name} ({}) VALUES ({})",
            given.join(", "),
            placeholders.join(", ")
        );
        Ok(())
    }

    /// One row of the current table.
    async fn row(&mut self, values: Vec<Json>) -> Result<(), StoreError> {
        if values.len() != self.types.len() {
            return Err(StoreError::Corrupt(format!(
                "a row has {} values for {} columns",
                values.len(),
                self.types.len()
            )));
        }
        let mut q = sqlx::query(&self.insert);
        for (v, t) in values.iter().zip(&self.types) {
            q = match (v, t) {
                (Json::Null, _) => q.bind(None::<String>),
                (Json::Number(n), ColumnType::Int) => q.bind(n.as_i64().ok_or_else(|| bad(v))?),
                (Json::Number(n), ColumnType::Float) => q.bind(n.as_f64().ok_or_else(|| bad(v))?),
                (Json::String(s), ColumnType::Text) => q.bind(s.clone()),
                _ => return Err(bad(v)),
            };
        }
        q.execute(&mut *self.tx).await?;
        self.rows += 1;
        Ok(())
    }
}

impl Load {
    /// Rebuilds the search index from the restored records and commits;
    /// the rows written.
    pub async fn finish(mut self) -> Result<u64, StoreError> {
        crate::register::index_all(&mut self.tx, self.store.engine, pawl_domain::register::KINDS).await?;
        crate::risk::index_all(&mut self.tx, self.store.engine).await?;
        self.tx.commit().await?;
        Ok(self.rows)
    }
}

fn bad(v: &Json) -> StoreError {
    StoreError::Corrupt(format!("the backup holds {v} where its column takes another type"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_come_in_the_order_the_schema_creates_them() {
        let order = creation_order();
        let at = |t: &str| order.iter().position(|x| *x == t).unwrap_or_else(|| panic!("{t}"));
        assert!(at("organisations") < at("users") || at("users") < at("memberships"));
        assert!(at("users") < at("memberships"));
        assert!(at("documents") < at("document_versions"));
        assert!(at("management_reviews") < at("review_decisions"));
        assert_eq!(column_type("DOUBLE PRECISION"), ColumnType::Float);
        assert_eq!(column_type("bigint"), ColumnType::Int);
        assert_eq!(column_type("TEXT"), ColumnType::Text);
    }
}
