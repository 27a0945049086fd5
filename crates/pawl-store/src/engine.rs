//! Everything that differs between SQLite and PostgreSQL, and nothing else.
//!
//! Queries elsewhere are written once, with `$1` placeholders (which both
//! engines accept) and portable types: ids and instants are TEXT, counters
//! BIGINT, JSON is TEXT.

use serde::Serialize;

/// What a scan of an audit chain found, and the head it found in the same
/// snapshot.
pub(crate) type ScanResult = (Result<(), pawl_domain::audit::ChainBreak>, Option<(i64, String)>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }

    /// Run on every new connection.
    pub(crate) fn connection_setup(self) -> &'static [&'static str] {
        match self {
            // WAL lets readers run beside the one writer; NORMAL sync is safe
            // with WAL (a crash may lose the last commits, never corrupt).
            // A 16 MB page cache (SQLite's default is 2 MB) keeps a bulk
            // import's index pages in memory instead of re-reading them from
            // the WAL; statement journals stay in memory for the same reason.
            //
            // The write-ahead log is copied into the database by
            // [`checkpoint_sqlite`], beside the writers, not by the commit
            // that fills it (SQLite's default, every 1,000 pages): that
            // commit held the one write lock while it copied some 4 MB and
            // synced the file, so every writer waited, and each page that
            // several commits change is now copied once per round, not once
            // per 1,000 pages. The commits still checkpoint past 20,000 pages
            // (80 MB), should the background round ever fall behind.
            Engine::Sqlite => &[
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = ON",
                "PRAGMA busy_timeout = 10000",
                "PRAGMA cache_size = -16384",
                "PRAGMA temp_store = MEMORY",
                "PRAGMA wal_autocheckpoint = 20000",
            ],
            Engine::Postgres => &["SET TIME ZONE 'UTC'"],
        }
    }

    /// How a write transaction starts. SQLite's IMMEDIATE takes the write
    /// lock up front, so two writers never deadlock upgrading a read lock.
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        }
    }

    /// A read-only transaction that sees one snapshot throughout.
    pub(crate) fn begin_snapshot(self) -> &'static str {
        match self {
            // A deferred SQLite read transaction already reads one snapshot.
            Engine::Sqlite => "BEGIN",
            Engine::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        }
    }

    /// Serialises schema migrations between processes sharing one database.
    pub(crate) fn migration_lock(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => Some("SELECT pg_advisory_xact_lock(727001)"),
        }
    }

    /// The tables of the database, by name.
    pub(crate) fn tables(self) -> &'static str {
        match self {
            Engine::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
            Engine::Postgres => {
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            }
        }
    }

    /// A table's columns (its name bound as `$1`) with their declared
    /// types, in order.
    pub(crate) fn columns_of(self) -> &'static str {
        match self {
            Engine::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
            Engine::Postgres => {
                "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
            }
        }
    }

    /// Holds a key (its text bound as `$1`) until the transaction ends, for
    /// counts that several processes keep in step, such as sign-in
    /// attempts. SQLite's write transaction already admits one writer.
    pub(crate) fn key_lock(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => Some("SELECT pg_advisory_xact_lock(727002, hashtext($1))"),
        }
    }

    /// Whether multi-row inserts use anonymous `?` placeholders. SQLite looks
    /// numbered ones (`$1`) up by name, a linear search each, which makes a
    /// statement with thousands of them quadratic; PostgreSQL knows only `$n`.
    pub(crate) fn bulk_placeholders_positional(self) -> bool {
        self == Engine::Sqlite
    }

    /// Appended to a read inside a write transaction so that the row stays
    /// as read until commit: an `If-Match` check then cannot pass for two
    /// writers at once.
    pub(crate) fn lock_rows(self) -> &'static str {
        match self {
            // SQLite's BEGIN IMMEDIATE already admits one writer at a time.
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE",
        }
    }

    /// [`Engine::lock_rows`] for a read that joins other tables: only the
    /// rows of `alias` are held.
    pub(crate) fn lock_rows_of(self, alias: &str) -> String {
        match self {
            Engine::Sqlite => String::new(),
            Engine::Postgres => format!(" FOR UPDATE OF {alias}"),
        }
    }

    /// The statement that checks the file's own structures, at most 100
    /// problems a row each, "ok" when sound; none on PostgreSQL.
    pub(crate) fn integrity_check(self, full: bool) -> Option<&'static str> {
        match (self, full) {
            (Engine::Sqlite, true) => Some("PRAGMA integrity_check(100)"),
            (Engine::Sqlite, false) => Some("PRAGMA quick_check(100)"),
            (Engine::Postgres, _) => None,
        }
    }

    /// `expr` with the same value, written so that SQLite's planner will not
    /// walk an index for it. It has no statistics to tell it that one
    /// condition keeps a few rows (a search, a person) and another many, and
    /// would otherwise walk an index on the many. PostgreSQL's planner has them.
    pub(crate) fn unindexed(self, expr: &str) -> String {
        match self {
            Engine::Sqlite => format!("+{expr}"),
            Engine::Postgres => expr.to_owned(),
        }
    }

    /// Case-insensitive substring match, as a SQL operator.
    fn ilike(self) -> &'static str {
        match self {
            // SQLite's LIKE is already case-insensitive for ASCII.
            Engine::Sqlite => "LIKE",
            Engine::Postgres => "ILIKE",
        }
    }

    /// "`column` contains the text of `pattern`", case-insensitively, where
    /// `pattern` was made by [`contains_pattern`]: `%` and `_` typed by a
    /// person are the characters, not wildcards that match everything.
    pub(crate) fn contains(self, column: &str, pattern: &str) -> String {
        format!("{column} {} {pattern} ESCAPE '\\'", self.ilike())
    }
}

/// The LIKE pattern for "contains `text`", its wildcards escaped.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.trim().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Engine {
    /// The full-text index of every register's records. SQLite: an FTS5 table
    /// whose `key` column holds one token per record, so that a record's row is
    /// found through the index when it changes; PostgreSQL: a `tsvector` per
    /// record under a GIN index. Both read text with the same rule (lower-cased
    /// words of letters and digits) and match word prefixes.
    pub(crate) fn search_schema(self) -> &'static str {
        match self {
            Engine::Sqlite => {
                "CREATE VIRTUAL TABLE record_search USING fts5(
                body, key, org_id UNINDEXED, kind UNINDEXED, record_id UNINDEXED,
                tokenize = 'unicode61 remove_diacritics 2')"
            }
            Engine::Postgres => {
                "CREATE TABLE record_search (
                org_id TEXT NOT NULL REFERENCES organisations(id),
                kind TEXT NOT NULL,
                record_id TEXT NOT NULL,
                body TSVECTOR NOT NULL,
                PRIMARY KEY (org_id, kind, record_id));
             CREATE INDEX record_search_body ON record_search USING GIN (body)"
            }
        }
    }

    /// Replaces a record's searchable text, inside the caller's transaction.
    pub(crate) async fn search_put(
        self,
        tx: &mut sqlx::AnyConnection,
        org_id: &str,
        kind: &str,
        record_id: &str,
        body: &str,
    ) -> Result<(), crate::StoreError> {
        match self {
            Engine::Sqlite => {
                self.search_remove(tx, record_id).await?;
                sqlx::query(
                    "INSERT INTO record_search (body, key, org_id, kind, record_id) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(body)
                .bind(search_key(record_id))
                .bind(org_id)
                .bind(kind)
                .bind(record_id)
                .execute(&mut *tx)
                .await?;
            }
            Engine::Postgres => {
                sqlx::query(
                    "INSERT INTO record_search (org_id, kind, record_id, body) VALUES ($1, $2, $3, to_tsvector('simple', $4))
                     ON CONFLICT (org_id, kind, record_id) DO UPDATE SET body = EXCLUDED.body",
                )
                .bind(org_id)
                .bind(kind)
                .bind(record_id)
                .bind(body)
                .execute(&mut *tx)
                .await?;
            }
        }
        Ok(())
    }

    /// Takes a record out of the search index.
    pub(crate) async fn search_remove(
        self,
        tx: &mut sqlx::AnyConnection,
        record_id: &str,
    ) -> Result<(), crate::StoreError> {
        match self {
            Engine::Sqlite => {
                sqlx::query("DELETE FROM record_search WHERE record_search MATCH $1")
                    .bind(format!("key : \"{}\"", search_key(record_id)))
                    .execute(&mut *tx)
                    .await?
            }
            Engine::Postgres => {
                sqlx::query("DELETE FROM record_search WHERE record_id = $1")
                    .bind(record_id)
                    .execute(&mut *tx)
                    .await?
            }
        };
        Ok(())
    }

    /// Adds the text of records new to the index, (id, text) each, in
    /// multi-row statements: the bulk path of imports.
    pub(crate) async fn search_add_many(
        self,
        tx: &mut sqlx::AnyConnection,
        org_id: &str,
        kind: &str,
        items: &[(String, String)],
    ) -> Result<(), crate::StoreError> {
        for chunk in items.chunks(500) {
            let mut sql = crate::sql::Sql::bulk(self);
            let mut rows = Vec::with_capacity(chunk.len());
            for (id, body) in chunk {
                rows.push(match self {
                    Engine::Sqlite => {
                        let b = sql.text_arg(body.clone());
                        let k = sql.text_arg(search_key(id));
                        let (o, kd, r) = (sql.text_arg(org_id), sql.text_arg(kind), sql.text_arg(id.clone()));
                        format!("({b}, {k}, {o}, {kd}, {r})")
                    }
                    Engine::Postgres => {
                        let (o, kd, r) = (sql.text_arg(org_id), sql.text_arg(kind), sql.text_arg(id.clone()));
                        let b = sql.text_arg(body.clone());
                        format!("({o}, {kd}, {r}, to_tsvector('simple', {b}))")
                    }
                });
            }
            let columns = match self {
                Engine::Sqlite => "body, key, org_id, kind, record_id",
                Engine::Postgres => "org_id, kind, record_id, body",
            };
            sql.push(&format!(
                "INSERT INTO record_search ({columns}) VALUES {}",
                rows.join(", ")
            ));
            sql.query().execute(&mut *tx).await?;
        }
        Ok(())
    }

    /// [`Engine::search_add_many`] for `(org_id, record_id, body)` rows of
    /// any organisations, as the migrations that fill the index read them.
    pub(crate) async fn search_add_by_org(
        self,
        tx: &mut sqlx::AnyConnection,
        kind: &str,
        rows: impl IntoIterator<Item = (String, String, String)>,
    ) -> Result<(), crate::StoreError> {
        let mut by_org: std::collections::BTreeMap<String, Vec<(String, String)>> = Default::default();
        for (org, id, body) in rows {
            by_org.entry(org).or_default().push((id, body));
        }
        for (org, items) in by_org {
            self.search_add_many(tx, &org, kind, &items).await?;
        }
        Ok(())
    }

    /// The condition "this row's `id` is a record of `kind` whose text has
    /// every one of `terms` as a word prefix". Terms are letters and digits
    /// only (see [`search_terms`]), so they cannot carry query syntax.
    pub(crate) fn search_match(self, sql: &mut crate::sql::Sql, org_id: &str, kind: &str, terms: &[String]) -> String {
        let (org, k) = (sql.text_arg(org_id), sql.text_arg(kind));
        match self {
            Engine::Sqlite => {
                let phrase: Vec<String> = terms.iter().map(|t| format!("\"{t}\"*")).collect();
                let q = sql.text_arg(format!("body : ({})", phrase.join(" AND ")));
                format!(
                    "id IN (SELECT record_id FROM record_search WHERE record_search MATCH {q} AND org_id = {org} AND kind = {k})"
                )
            }
            Engine::Postgres => {
                let q = sql.text_arg(terms.iter().map(|t| format!("{t}:*")).collect::<Vec<_>>().join(" & "));
                format!(
                    "id IN (SELECT record_id FROM record_search WHERE org_id = {org} AND kind = {k} AND body @@ to_tsquery('simple', {q}))"
                )
            }
        }
    }
}

/// How often [`checkpoint_sqlite`] copies the write-ahead log into the
/// database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Copies SQLite's write-ahead log into the database file every
/// [`CHECKPOINT_EVERY`] until the pool closes, through a reader's
/// connection: a passive checkpoint waits for no reader and no writer, so
/// writes go on while it copies and syncs. With nothing new in the log a
/// round is one cheap statement. A failed round is logged and the next one
/// tries again; the commits' own checkpoint past 20,000 pages remains.
pub(crate) async fn checkpoint_sqlite(read: sqlx::AnyPool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if read.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_all(&read).await {
            if read.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "cannot checkpoint the SQLite write-ahead log");
        }
    }
}

/// One token naming a record in SQLite's index: its id without dashes.
fn search_key(record_id: &str) -> String {
    let mut k = String::from("k");
    k.extend(record_id.chars().filter(|c| c.is_ascii_alphanumeric()));
    k
}

/// The words of a search, as both engines' indexes read text: lower-cased
/// runs of letters and digits; at most eight, each at most 40 characters.
/// A reference (`R-0041`, or its start `R-00`) is one word, as the index
/// holds it (see [`reference_word`]).
pub(crate) fn search_terms(q: &str) -> Vec<String> {
    q.split_whitespace()
        .flat_map(
            |chunk| match reference_word(chunk.trim_matches(|c: char| !c.is_alphanumeric())) {
                Some(w) => vec![w],
                None => chunk
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
        )
        .take(8)
        .map(|w| w.chars().take(40).collect::<String>().to_lowercase())
        .collect()
}

/// A reference as one word (`R-0041` as `R0041`), added to the indexed text
/// beside the reference itself: every reference shares its letter with the
/// whole register, so a search through that letter would read every entry.
pub(crate) fn reference_word(s: &str) -> Option<String> {
    let (letters, digits) = s.split_once('-')?;
    let ok = !letters.is_empty()
        && letters.chars().all(|c| c.is_ascii_alphabetic())
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit());
    ok.then(|| format!("{letters}{digits}"))
}

/// Feeds an organisation's audit events, in order, to `verifier` straight
/// from SQLite. Verification reads every byte of the trail; going around the
/// async driver makes it about ten times faster.
pub(crate) fn scan_sqlite_audit(
    path: &std::path::Path,
    org_id: &str,
    verifier: &mut pawl_domain::audit::ChainVerifier,
) -> Result<ScanResult, crate::StoreError> {
    use rusqlite::{types::ValueRef, OpenFlags};
    let failed = |e: rusqlite::Error| crate::StoreError::Corrupt(format!("reading the audit trail: {e}"));
    let conn =
        rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(failed)?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(failed)?;
    // One read transaction: the head and the events come from one snapshot.
    conn.execute_batch("BEGIN").map_err(failed)?;
    let head: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM audit_heads WHERE org_id = ?1", [org_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            other => Err(other),
        })
        .map_err(failed)?;
    let mut stmt = conn
        .prepare(
            "SELECT seq, occurred_at, actor_kind, actor_id, actor_name, action, entity_type, entity_id,
                before_json, after_json, prev_hash, hash
             FROM audit_events WHERE org_id = ?1 ORDER BY seq",
        )
        .map_err(failed)?;
    let mut rows = stmt.query([org_id]).map_err(failed)?;
    // One event, refilled for each row, so the scan does not allocate per row.
    let mut e = pawl_domain::audit::AuditEvent {
        org_id: org_id.to_owned(),
        seq: 0,
        occurred_at: String::new(),
        actor_kind: String::new(),
        actor_id: String::new(),
        actor_name: String::new(),
        action: String::new(),
        entity_type: String::new(),
        entity_id: String::new(),
        before: None,
        after: None,
        prev_hash: String::new(),
        hash: String::new(),
    };
    let not_text = |seq: i64| pawl_domain::audit::ChainBreak {
        seq,
        reason: "a stored field is not text".into(),
    };
    while let Some(row) = rows.next().map_err(failed)? {
        e.seq = row.get(0).map_err(failed)?;
        let text = |i: usize, into: &mut String| -> bool {
            match row.get_ref(i) {
                Ok(ValueRef::Text(t)) => match std::str::from_utf8(t) {
                    Ok(s) => {
                        into.clear();
                        into.push_str(s);
                        true
                    }
                    Err(_) => false,
                },
                _ => false,
            }
        };
        let optional = |i: usize, into: &mut Option<String>| -> bool {
            match row.get_ref(i) {
                Ok(ValueRef::Null) => {
                    *into = None;
                    true
                }
                _ => text(i, into.get_or_insert_with(String::new)),
            }
        };
        let ok = text(1, &mut e.occurred_at)
            && text(2, &mut e.actor_kind)
            && text(3, &mut e.actor_id)
            && text(4, &mut e.actor_name)
            && text(5, &mut e.action)
            && text(6, &mut e.entity_type)
            && text(7, &mut e.entity_id)
            && optional(8, &mut e.before)
            && optional(9, &mut e.after)
            && text(10, &mut e.prev_hash)
            && text(11, &mut e.hash);
        if !ok {
            return Ok((Err(not_text(e.seq)), head));
        }
        if let Err(brk) = verifier.push(&e) {
            return Ok((Err(brk), head));
        }
    }
    Ok((Ok(()), head))
}

/// Refreshes planner statistics, as PostgreSQL's autovacuum soon would after
/// a bulk load; SQLite plans without them. For benchmarks only.
pub async fn analyze_for_benchmark(store: &crate::Store) -> Result<(), crate::StoreError> {
    if store.engine() == Engine::Postgres {
        sqlx::raw_sql("VACUUM ANALYZE").execute(&store.write).await?;
    }
    Ok(())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            // 23505: PostgreSQL unique_violation; 2067/1555: SQLite UNIQUE and PRIMARY KEY.
            matches!(db.code().as_deref(), Some("23505") | Some("2067") | Some("1555"))
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// SQLite's word for a damaged file (SQLITE_CORRUPT, 11, and SQLITE_NOTADB,
/// 26); PostgreSQL reports damage as data_corrupted (XX001) or
/// index_corrupted (XX002).
pub(crate) fn is_corruption(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            matches!(
                db.code().as_deref(),
                Some("11") | Some("26") | Some("XX001") | Some("XX002")
            ) || db.message().contains("malformed")
        }
        _ => false,
    }
}

/// A database URL fit for logs: the password replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            super::redact_url("postgres://pawl:s3cret@db:5432/pawl"),
            "postgres://pawl:***@db:5432/pawl"
        );
        assert_eq!(super::redact_url("postgres://db/pawl"), "postgres://db/pawl");
    }

    #[test]
    fn references_are_one_word_and_other_text_splits() {
        assert_eq!(super::search_terms("R-004242"), ["r004242"]);
        assert_eq!(super::search_terms("(R-0042), backup"), ["r0042", "backup"]);
        assert_eq!(super::search_terms("off-site 24/7"), ["off", "site", "24", "7"]);
        assert_eq!(super::reference_word("AC-7"), Some("AC7".into()));
        assert_eq!(super::reference_word("R-"), None);
        assert_eq!(super::reference_word("x-y"), None);
    }
}
