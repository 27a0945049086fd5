//! Backups and moves between engines: every table read in one snapshot,
//! and written back in the order the schema creates the tables (parents
//! first) into an empty database of either engine, in one transaction. Ids,
//! history and the audit chain move as they are, byte for byte.

use crate::audit::{event_from_row, VerifyOutcome, EVENT_COLUMNS};
use crate::migrate::MIGRATIONS;
use crate::{Store, StoreError};
use futures_util::TryStreamExt;
use pawl_domain::audit::{ChainBreak, ChainVerifier};
use serde_json::Value as Json;
use sqlx::{Any, Row, Transaction};
use std::fmt::Write as _;

/// What a backup leaves out: the migrations' own table (the target runs
/// them), the search index (rebuilt from the records), sessions (people
/// sign in again), sign-in attempts, evidence chunks (the archive
/// carries each file whole, by its SHA-256), and one-time links and
/// password resets (secrets for one person, which a copy must not carry;
/// a message whose link is gone is not sent).
const LEFT_OUT: &[&str] = &[
    "pawl_migrations",
    "record_search",
    "sessions",
    "sign_in_attempts",
    "evidence_chunks",
    "notification_secrets",
    "password_resets",
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

/// The name at the start of `s`.
fn identifier(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The tables in the order the migrations create them.
fn creation_order() -> Vec<&'static str> {
    let mut out = Vec::new();
    for (_, _, sql) in MIGRATIONS {
        let mut rest: &str = sql;
        while let Some(at) = rest.find("CREATE TABLE ") {
            rest = &rest[at + "CREATE TABLE ".len()..];
            let name = identifier(rest.trim_start_matches("IF NOT EXISTS "));
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// Every column that names an account, as (table, column): those the
/// migrations declare `REFERENCES users`, in a table's definition or added
/// to it later. A backup of one organisation carries each account its rows
/// name, or the restore would break those references.
fn account_columns() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for (_, _, sql) in MIGRATIONS {
        let mut table = "";
        for line in sql.lines().map(str::trim) {
            if line.starts_with("--") {
                continue;
            }
            if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                table = identifier(rest.trim_start_matches("IF NOT EXISTS "));
                continue;
            }
            if line.starts_with(')') {
                table = "";
                continue;
            }
            if !line.contains("REFERENCES users") {
                continue;
            }
            let (t, column) = match line.strip_prefix("ALTER TABLE ") {
                Some(rest) => {
                    let t = identifier(rest);
                    match rest.split_once(" ADD COLUMN ") {
                        Some((_, c)) => (t, identifier(c)),
                        None => continue,
                    }
                }
                None => (table, identifier(line)),
            };
            if !t.is_empty() && !column.is_empty() && !out.contains(&(t, column)) {
                out.push((t, column));
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

/// What a backup of one organisation reads of the accounts (`users`),
/// column by column: the accounts its rows name (`accounts`, a query of
/// their ids). A password hash comes only with an account that belongs to
/// this organisation and no other, since whoever holds the archive could
/// try to crack it and sign in elsewhere; another organisation's id
/// (where the person last worked, which created the account) is left out.
fn account_select(names: &[String], accounts: &str) -> String {
    let select = names
        .iter()
        .map(|c| match c.as_str() {
            "password_hash" => "CASE WHEN id IN (SELECT user_id FROM memberships WHERE org_id = $1) \
                 AND id NOT IN (SELECT user_id FROM memberships WHERE org_id <> $1) \
                 THEN password_hash ELSE '' END"
                .to_owned(),
            c if c.ends_with("org_id") => format!("CASE WHEN {c} = $1 THEN {c} END"),
            c => c.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("SELECT {select} FROM users WHERE id IN ({accounts})")
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

    /// The ids of every account that one organisation's rows name (its
    /// organisation id bound as `$1`), as a query: its members, and those
    /// who were once and still own, wrote or answered something there.
    async fn named_accounts(
        &self,
        tx: &mut Transaction<'static, Any>,
        tables: &[String],
    ) -> Result<String, StoreError> {
        let mut parts = Vec::new();
        for (table, column) in account_columns() {
            if !tables.iter().any(|t| t == table) {
                continue;
            }
            if columns(tx, self, table).await?.iter().any(|(n, _)| n == "org_id") {
                parts.push(format!("SELECT {column} FROM {table} WHERE org_id = $1"));
            }
        }
        if parts.is_empty() {
            parts.push("SELECT user_id FROM memberships WHERE org_id = $1".to_owned());
        }
        Ok(parts.join(" UNION "))
    }

    /// Reads every table a backup carries in one snapshot, while writers
    /// go on, handing each table and then each of its rows to `sink`: the
    /// whole instance, or one organisation (its rows, and the accounts its
    /// rows name, without what belongs to other organisations: see
    /// [`account_select`]).
    pub async fn dump(&self, sink: &mut impl DumpSink, organisation: Option<&str>) -> Result<(), StoreError> {
        let mut tx = self.read.begin_with(self.engine.begin_snapshot()).await?;
        let tables = self.backup_tables(&mut tx).await?;
        let accounts = match organisation {
            Some(_) => Some(self.named_accounts(&mut tx, &tables).await?),
            None => None,
        };
        for table in tables {
            let cols = columns(&mut tx, self, &table).await?;
            let names: Vec<String> = cols.iter().map(|(n, _)| n.clone()).collect();
            let all = format!("SELECT {} FROM {table}", names.join(", "));
            let sql = match (&accounts, table.as_str()) {
                (None, _) => all,
                (Some(_), "organisations") => format!("{all} WHERE id = $1"),
                (Some(accounts), "users") => account_select(&names, accounts),
                (Some(_), _) if names.iter().any(|n| n == "org_id") => format!("{all} WHERE org_id = $1"),
                // Nothing else is shared between organisations.
                (Some(_), _) => continue,
            };
            sink.table(&table, &names).await?;
            let sql = format!("{sql}{}", order_of(&table));
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
    /// organisation yet; nothing is visible until [`Loaded::commit`].
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
    /// `INSERT INTO table (columns) VALUES (`: each row adds its values.
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
        self.types.clear();
        for c in given {
            let Some((_, t)) = here.iter().find(|(n, _)| n == c) else {
                return Err(StoreError::Corrupt(format!(
                    "the backup's table {name} has a column {c:?} this schema does not"
                )));
            };
            self.types.push(*t);
        }
        self.insert = format!("INSERT INTO {name} ({}) VALUES (", given.join(", "));
        Ok(())
    }

    /// One row of the current table, each value bound as its column's type.
    ///
    /// A NULL is written as the literal, never bound: PostgreSQL fixes a
    /// statement's parameter types when it is first prepared, and sqlx keeps
    /// that statement for every later use of the same SQL. A NULL bound as
    /// text in a BIGINT column's place (the risk assessment without a
    /// residual score yet) would make the next row's number go to the
    /// server as text, which PostgreSQL refuses ("invalid byte sequence for
    /// encoding UTF8: 0x00"). With NULLs in the SQL, each statement's
    /// parameters always have their columns' types.
    async fn row(&mut self, values: Vec<Json>) -> Result<(), StoreError> {
        if values.len() != self.types.len() {
            return Err(StoreError::Corrupt(format!(
                "a row has {} values for {} columns",
                values.len(),
                self.types.len()
            )));
        }
        let mut sql = String::with_capacity(self.insert.len() + 6 * values.len());
        sql.push_str(&self.insert);
        let mut bound = 0;
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            if v.is_null() {
                sql.push_str("NULL");
            } else {
                bound += 1;
                let _ = write!(sql, "${bound}");
            }
        }
        sql.push(')');
        let mut q = sqlx::query(&sql);
        for (v, t) in values.iter().zip(&self.types) {
            q = match (v, t) {
                (Json::Null, _) => q,
                (Json::Number(n), ColumnType::Int) => q.bind(n.as_i64().ok_or_else(|| bad(v))?),
                (Json::Number(n), ColumnType::Float) => q.bind(n.as_f64().ok_or_else(|| bad(v))?),
                (Json::String(s), ColumnType::Text) => q.bind(s.as_str()),
                _ => return Err(bad(v)),
            };
        }
        q.execute(&mut *self.tx).await?;
        self.rows += 1;
        Ok(())
    }
}

impl Load {
    /// Rebuilds the search index from the restored records and verifies
    /// every organisation's audit chain, still inside the transaction: a
    /// backup whose chain breaks can be refused before anything is visible.
    pub async fn finish(mut self) -> Result<Loaded, StoreError> {
        crate::register::index_all(&mut self.tx, self.store.engine, pawl_domain::register::KINDS).await?;
        crate::risk::index_all(&mut self.tx, self.store.engine).await?;
        let chains = verify_chains(&mut self.tx).await?;
        Ok(Loaded {
            tx: self.tx,
            rows: self.rows,
            chains,
        })
    }
}

/// A backup written and checked but not yet committed: dropped, it leaves
/// the database as it was.
pub struct Loaded {
    tx: Transaction<'static, Any>,
    /// The rows written.
    pub rows: u64,
    /// Each organisation's slug and what recomputing its chain found.
    pub chains: Vec<(String, VerifyOutcome)>,
}

impl Loaded {
    /// Makes the restored rows visible.
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

/// Recomputes every organisation's chain as the transaction sees it, and
/// checks that it ends at the organisation's head.
async fn verify_chains(tx: &mut Transaction<'static, Any>) -> Result<Vec<(String, VerifyOutcome)>, StoreError> {
    let orgs: Vec<(String, String)> = sqlx::query_as("SELECT id, slug FROM organisations ORDER BY slug")
        .fetch_all(&mut **tx)
        .await?;
    let events = format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE org_id = $1 ORDER BY seq");
    let mut out = Vec::with_capacity(orgs.len());
    for (id, slug) in orgs {
        let mut verifier = ChainVerifier::new(&id);
        let mut broken = None;
        {
            let mut rows = sqlx::query(&events).bind(&id).fetch(&mut **tx);
            while let Some(r) = rows.try_next().await? {
                if let Err(b) = verifier.push(&event_from_row(&r)?) {
                    broken = Some(b);
                    break;
                }
            }
        }
        let head: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE org_id = $1")
            .bind(&id)
            .fetch_optional(&mut **tx)
            .await?;
        let outcome = match (broken, head) {
            (Some(b), _) => VerifyOutcome::Broken(b),
            (None, None) => VerifyOutcome::Broken(ChainBreak {
                seq: 1,
                reason: "the organisation has no audit head".into(),
            }),
            (None, Some((seq, hash))) => match verifier.finish(seq, &hash) {
                Ok(events) => VerifyOutcome::Intact { events },
                Err(b) => VerifyOutcome::Broken(b),
            },
        };
        out.push((slug, outcome));
    }
    Ok(out)
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

    #[test]
    fn every_column_naming_an_account_is_found_in_the_migrations() {
        let found = account_columns();
        for expected in [
            ("memberships", "user_id"),
            ("api_tokens", "user_id"),
            ("risks", "owner_user_id"),
            // Added by ALTER TABLE after the table was created.
            ("assets", "owner_user_id"),
            ("ca_verifications", "verifier_user_id"),
        ] {
            assert!(found.contains(&expected), "{expected:?} in {found:?}");
        }
        let tables = creation_order();
        for (t, c) in &found {
            assert!(tables.contains(t), "{t}.{c} is in a table the migrations create");
            assert!(!c.is_empty() && *c != "REFERENCES", "{t}.{c}");
        }
    }
}
