//! The one store path of every declared register (see
//! `pawl_domain::register`): list with filters, sort, keyset pages, search
//! and totals; get; create; change; move through the workflow; retire.
//! The SQL is built from the kind's declaration (its table and columns) and
//! is the same for every register; each register's table is created by a
//! migration of its own.
//!
//! Totals of unfiltered lists and of status filters come from
//! `register_counts`, kept in the write transaction, so that a page never
//! counts the whole register.

use crate::page::{Cursor, ListQuery, Page};
use crate::row::{check_version, new_id, now};
use crate::sql::{Arg, Sql};
use crate::{AuditedTx, OrgReader, StoreError};
use pawl_domain::register::{Field, FieldKind, Kind, Value, NO_DATE};
use pawl_domain::DomainError;
use serde::ser::SerializeMap;
use sqlx::any::AnyRow;
use sqlx::Row;

/// One record of a declared register.
#[derive(Debug, Clone)]
pub struct Record {
    pub kind: &'static Kind,
    pub id: String,
    pub reference: Option<String>,
    /// The workflow state, for kinds that have a workflow.
    pub status: Option<String>,
    /// In the order of `kind.fields`.
    pub values: Vec<Value>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl Record {
    pub fn value(&self, field: &str) -> Option<&Value> {
        self.kind.index_of(field).map(|i| &self.values[i])
    }

    /// A field as text ("" for a field the kind lacks).
    pub fn text(&self, field: &str) -> String {
        self.kind.text(&self.values, field)
    }

    /// What the record is called: its reference and title, e.g.
    /// "NC-0003 Backups not tested".
    pub fn title(&self) -> String {
        let t = self.value(self.kind.title).map(Value::display).unwrap_or_default();
        match &self.reference {
            Some(r) => format!("{r} {t}"),
            None => t,
        }
    }

    /// The due date, for kinds that declare one.
    pub fn due(&self) -> Option<String> {
        match self.kind.due.and_then(|d| self.value(d)) {
            Some(Value::OptText(d)) => d.clone(),
            _ => None,
        }
    }
}

/// The audit trail's and the API's view of a record: its common columns and
/// each field by name; a person also as `{name}_user_id`.
impl serde::Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        if self.kind.prefix.is_some() {
            m.serialize_entry("reference", &self.reference)?;
        }
        for (f, v) in self.kind.fields.iter().zip(&self.values) {
            match v {
                Value::Text(t) => m.serialize_entry(f.name, t)?,
                Value::OptText(t) => m.serialize_entry(f.name, t)?,
                Value::Int(n) => m.serialize_entry(f.name, n)?,
                Value::Person { user_id, name } => {
                    m.serialize_entry(f.name, name)?;
                    m.serialize_entry(&format!("{}_user_id", f.name), user_id)?;
                }
            }
        }
        if self.kind.workflow.is_some() {
            m.serialize_entry("status", &self.status)?;
        }
        m.serialize_entry("created_at", &self.created_at)?;
        m.serialize_entry("updated_at", &self.updated_at)?;
        m.serialize_entry("version", &self.version)?;
        m.end()
    }
}

/// What a list is narrowed to. Each entry names a declared filter field
/// and the values it may have (any of them).
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub fields: Vec<(&'static Field, Vec<String>)>,
    /// Workflow states, any of them.
    pub status: Vec<String>,
    /// Only records due on or before this date.
    pub due_by: Option<String>,
}

impl RecordFilter {
    fn is_only_status(&self) -> bool {
        self.fields.is_empty() && self.due_by.is_none()
    }
}

/// The columns of a field, in select order.
fn field_columns(f: &Field) -> Vec<String> {
    match f.kind {
        FieldKind::Person { .. } => vec![format!("{}_user_id", f.column), format!("{}_name", f.column)],
        _ => vec![f.column.to_owned()],
    }
}

/// `id, reference, status, <fields>, created_at, updated_at, version`, as
/// stored: for writes and for reads that are about to write.
fn columns(kind: &Kind) -> String {
    columns_with(kind, field_columns)
}

/// The same columns as read for people: a member is shown by the name on
/// their account ([`crate::person_name`]).
fn read_columns(kind: &Kind) -> String {
    columns_with(kind, |f| match f.kind {
        FieldKind::Person { .. } => vec![
            format!("{}_user_id", f.column),
            crate::person_name(&format!("{}_user_id", f.column), &format!("{}_name", f.column)),
        ],
        _ => field_columns(f),
    })
}

fn columns_with(kind: &Kind, of: impl Fn(&Field) -> Vec<String>) -> String {
    let mut c = vec!["id".to_owned()];
    if kind.prefix.is_some() {
        c.push("reference".into());
    }
    if kind.workflow.is_some() {
        c.push("status".into());
    }
    c.extend(kind.fields.iter().flat_map(of));
    c.extend(["created_at".into(), "updated_at".into(), "version".into()]);
    c.join(", ")
}

fn record_from_row(kind: &'static Kind, r: &AnyRow) -> Result<Record, StoreError> {
    let mut i = 0;
    let mut next = || {
        i += 1;
        i - 1
    };
    let id: String = r.try_get(next())?;
    let reference: Option<String> = if kind.prefix.is_some() {
        r.try_get(next())?
    } else {
        None
    };
    let status: Option<String> = if kind.workflow.is_some() {
        r.try_get(next())?
    } else {
        None
    };
    let mut values = Vec::with_capacity(kind.fields.len());
    for f in kind.fields {
        values.push(match f.kind {
            FieldKind::Number { .. } => Value::Int(r.try_get(next())?),
            FieldKind::Date | FieldKind::Record { .. } => Value::OptText(r.try_get(next())?),
            FieldKind::Person { .. } => Value::Person {
                user_id: r.try_get(next())?,
                name: r.try_get(next())?,
            },
            _ => Value::Text(r.try_get(next())?),
        });
    }
    Ok(Record {
        kind,
        id,
        reference,
        status,
        values,
        created_at: r.try_get(next())?,
        updated_at: r.try_get(next())?,
        version: r.try_get(next())?,
    })
}

fn args_of(values: &[Value]) -> Vec<Arg> {
    let mut args = Vec::with_capacity(values.len() + 2);
    for v in values {
        match v {
            Value::Text(t) => args.push(Arg::Text(t.clone())),
            Value::OptText(t) => args.push(Arg::OptText(t.clone())),
            Value::Int(n) => args.push(Arg::Int(*n)),
            Value::Person { user_id, name } => {
                args.push(Arg::OptText(user_id.clone()));
                args.push(Arg::Text(name.clone()));
            }
        }
    }
    args
}

/// (sort name, SQL expression, numeric) of each sort a kind allows.
fn sorts(kind: &Kind) -> Vec<(&'static str, String, bool)> {
    let mut s = Vec::new();
    if kind.prefix.is_some() {
        s.push(("reference", "reference".to_owned(), false));
    }
    for f in kind.fields.iter().filter(|f| f.sort) {
        s.push(match f.kind {
            FieldKind::Number { .. } => (f.name, f.column.to_owned(), true),
            FieldKind::Date => (f.name, format!("COALESCE({}, '{NO_DATE}')", f.column), false),
            FieldKind::Person { .. } => (f.name, format!("{}_name", f.column), false),
            _ => (f.name, f.column.to_owned(), false),
        });
    }
    if kind.workflow.is_some() {
        s.push(("status", "status".to_owned(), false));
    }
    s.push(("updated_at", "updated_at".to_owned(), false));
    s.push(("created_at", "created_at".to_owned(), false));
    s
}

/// The sort key of a record under a sort, for its cursor.
fn sort_key(r: &Record, sort: &str) -> String {
    match sort {
        "reference" => r.reference.clone().unwrap_or_default(),
        "status" => r.status.clone().unwrap_or_default(),
        "updated_at" => r.updated_at.clone(),
        "created_at" => r.created_at.clone(),
        field => r.value(field).map(Value::sort_key).unwrap_or_default(),
    }
}

/// What the full-text index holds of a record: its reference and the
/// fields its kind declares searchable.
fn search_text(r: &Record) -> String {
    let mut t = r.reference.clone().unwrap_or_default();
    if let Some(w) = r.reference.as_deref().and_then(crate::engine::reference_word) {
        t.push(' ');
        t.push_str(&w);
    }
    for (f, v) in r.kind.fields.iter().zip(&r.values) {
        if f.search {
            t.push(' ');
            t.push_str(&v.display());
        }
    }
    t
}

/// Adds `delta` to the kept count of live `kind` records in `status`.
pub(crate) async fn add_count(
    tx: &mut sqlx::AnyConnection,
    org_id: &str,
    kind: &str,
    status: &str,
    delta: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO register_counts (org_id, kind, status, n) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, kind, status) DO UPDATE SET n = register_counts.n + excluded.n",
    )
    .bind(org_id)
    .bind(kind)
    .bind(status)
    .bind(delta)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whether a kind has anything to search.
fn searchable(kind: &Kind) -> bool {
    kind.prefix.is_some() || kind.fields.iter().any(|f| f.search)
}

/// Fills the full-text index from every live record of `kinds`, for the
/// migrations that create and refill it: the kinds whose tables existed
/// then (a later kind's table starts empty and is indexed as it is written).
pub(crate) async fn index_all(
    tx: &mut sqlx::AnyConnection,
    engine: crate::Engine,
    kinds: &[&'static Kind],
) -> Result<(), StoreError> {
    for &kind in kinds.iter().filter(|k| searchable(k)) {
        let n = columns(kind).split(',').count();
        let sql = format!(
            "SELECT {}, org_id FROM {} WHERE deleted_at IS NULL",
            columns(kind),
            kind.table
        );
        let rows = sqlx::query(&sql).fetch_all(&mut *tx).await?;
        // The index holds none of them yet (the migrations that call this
        // create or empty it): multi-row inserts, not a statement a record.
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            let r = record_from_row(kind, row)?;
            found.push((row.try_get(n)?, r.id.clone(), search_text(&r)));
        }
        engine.search_add_by_org(tx, kind.key, found).await?;
    }
    Ok(())
}

fn conditions(
    sql: &mut Sql,
    kind: &Kind,
    org_id: &str,
    f: &RecordFilter,
    q: &ListQuery,
    engine: crate::Engine,
) -> String {
    let org = sql.text_arg(org_id);
    // A search's matches, and a person's records, are few: start from them,
    // not from an index on org_id.
    let by_person = f.fields.iter().any(|(f, _)| matches!(f.kind, FieldKind::Person { .. }));
    let org_col = if q.q.is_some() || by_person {
        engine.unindexed("org_id")
    } else {
        "org_id".to_owned()
    };
    let mut c = format!(" WHERE {org_col} = {org} AND deleted_at IS NULL");
    if !f.status.is_empty() {
        let list = sql.text_list(&f.status);
        c.push_str(&format!(" AND status IN ({list})"));
    }
    for (field, values) in &f.fields {
        let list = sql.text_list(values);
        match field.kind {
            // A person is named by account or by name: each side reads its
            // own index, where one OR across the two columns scans the register.
            FieldKind::Person { .. } => c.push_str(&format!(
                " AND id IN (SELECT id FROM {t} WHERE org_id = {org} AND deleted_at IS NULL AND {col}_name IN ({list})
                   UNION SELECT id FROM {t} WHERE org_id = {org} AND deleted_at IS NULL AND {col}_user_id IN ({list}))",
                t = kind.table,
                col = field.column
            )),
            _ => c.push_str(&format!(" AND {} IN ({list})", field.column)),
        }
    }
    if let (Some(d), Some(due)) = (&f.due_by, kind.due.and_then(|d| kind.field(d))) {
        let p = sql.text_arg(d.clone());
        // As the due-date indexes read it: an empty date sorts after every real one.
        c.push_str(&format!(" AND COALESCE({}, '{NO_DATE}') <= {p}", due.column));
        if let Some(w) = kind.workflow {
            let open: Vec<String> = w.states.iter().filter(|s| s.open).map(|s| s.code.to_owned()).collect();
            let list = sql.text_list(&open);
            c.push_str(&format!(" AND status IN ({list})"));
        }
    }
    if let Some(s) = &q.q {
        let terms = crate::engine::search_terms(s);
        if terms.is_empty() || !searchable(kind) {
            // Nothing a word index could match: no record matches.
            c.push_str(" AND 1 = 0");
        } else {
            c.push_str(" AND ");
            c.push_str(&engine.search_match(sql, org_id, kind.key, &terms));
        }
    }
    c
}

impl OrgReader<'_> {
    /// One page of a register.
    pub async fn records(
        &self,
        kind: &'static Kind,
        f: &RecordFilter,
        q: &ListQuery,
    ) -> Result<Page<Record>, StoreError> {
        let mut sql = Sql::new("");
        let cond = conditions(&mut sql, kind, &self.org_id, f, q, self.store.engine);
        let counted = !q.skip_total && q.q.is_none() && f.is_only_status();
        let total = if q.skip_total {
            0
        } else if counted {
            self.counted(kind, &f.status).await?
        } else {
            let mut count = sql.clone();
            count.push(&format!("SELECT COUNT(*) FROM {}{cond}", kind.table));
            count.scalar::<i64>().fetch_one(&self.store.read).await?
        };
        let all = sorts(kind);
        let wanted = q.sort.as_deref().unwrap_or(kind.default_sort);
        let (name, expr, numeric) = all.iter().find(|(n, _, _)| *n == wanted).ok_or_else(|| {
            StoreError::Invalid(DomainError::field(
                "sort",
                format!(
                    "sort by one of: {}",
                    all.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
                ),
            ))
        })?;
        let (keyset, order) = q.keyset(&mut sql, expr, "id", *numeric)?;
        // Kept counts are exact: a filter they say matches nothing needs no walk.
        if counted && total == 0 {
            return Ok(Page::from_rows(Vec::new(), q.limit(), 0, |r: &Record| Cursor {
                key: sort_key(r, name),
                id: r.id.clone(),
            }));
        }
        sql.push(&format!(
            "SELECT {} FROM {}{cond}{keyset}{order} LIMIT {}",
            read_columns(kind),
            kind.table,
            q.limit() + 1
        ));
        let rows = sql.query().fetch_all(&self.store.read).await?;
        let items = rows
            .iter()
            .map(|r| record_from_row(kind, r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, q.limit(), total, |r| Cursor {
            key: sort_key(r, name),
            id: r.id.clone(),
        }))
    }

    /// Live records of a kind, from the counts kept on every write; with
    /// `status`, only those in these states.
    async fn counted(&self, kind: &Kind, status: &[String]) -> Result<i64, StoreError> {
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let k = sql.text_arg(kind.key);
        sql.push(&format!(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM register_counts WHERE org_id = {org} AND kind = {k}"
        ));
        if !status.is_empty() {
            let list = sql.text_list(status);
            sql.push(&format!(" AND status IN ({list})"));
        }
        Ok(sql.scalar::<i64>().fetch_one(&self.store.read).await?)
    }

    /// Live records matching a filter, by state: a board's column heads and
    /// the home page's counts. A filter of states alone is read from the
    /// kept counts of those states, so that it costs nothing at any size.
    pub async fn status_counts(&self, kind: &'static Kind, f: &RecordFilter) -> Result<Vec<(String, i64)>, StoreError> {
        if f.is_only_status() {
            let mut counts = self.record_counts(kind).await?;
            if !f.status.is_empty() {
                counts.retain(|(state, _)| f.status.contains(state));
            }
            return Ok(counts);
        }
        let mut sql = Sql::new("");
        let cond = conditions(
            &mut sql,
            kind,
            &self.org_id,
            f,
            &ListQuery::default(),
            self.store.engine,
        );
        // A register without a workflow has one state, with no name.
        let by = if kind.workflow.is_some() {
            " GROUP BY status ORDER BY status"
        } else {
            ""
        };
        let status = if kind.workflow.is_some() { "status" } else { "''" };
        sql.push(&format!("SELECT {status}, COUNT(*) FROM {}{cond}{by}", kind.table));
        let rows = sql.query().fetch_all(&self.store.read).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Live records of a kind by state, from the kept counts.
    pub async fn record_counts(&self, kind: &Kind) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT status, n FROM register_counts WHERE org_id = $1 AND kind = $2 AND n > 0 ORDER BY status",
        )
        .bind(&self.org_id)
        .bind(kind.key)
        .fetch_all(&self.store.read)
        .await?)
    }

    pub async fn record(&self, kind: &'static Kind, id: &str) -> Result<Record, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL",
            read_columns(kind),
            kind.table
        );
        let row = sqlx::query(&sql)
            .bind(&self.org_id)
            .bind(id)
            .fetch_optional(&self.store.read)
            .await?;
        row.as_ref()
            .map(|r| record_from_row(kind, r))
            .transpose()?
            .ok_or(StoreError::NotFound { entity: kind.label })
    }
}

impl OrgReader<'_> {
    /// Records of a kind by id, retired ones too, with one query per 500.
    pub async fn records_by_ids(&self, kind: &'static Kind, ids: &[String]) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new("");
            let org = sql.text_arg(&self.org_id);
            let list = sql.text_list(chunk);
            sql.push(&format!(
                "SELECT {} FROM {} WHERE org_id = {org} AND id IN ({list})",
                read_columns(kind),
                kind.table
            ));
            for r in sql.query().fetch_all(&self.store.read).await? {
                out.push(record_from_row(kind, &r)?);
            }
        }
        Ok(out)
    }
}

impl AuditedTx {
    /// A live record this transaction is about to change, held until commit.
    pub async fn record_for_update(&mut self, kind: &'static Kind, id: &str) -> Result<Record, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL{}",
            columns(kind),
            kind.table,
            self.engine.lock_rows()
        );
        let row = sqlx::query(&sql)
            .bind(&self.org_id)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref()
            .map(|r| record_from_row(kind, r))
            .transpose()?
            .ok_or(StoreError::NotFound { entity: kind.label })
    }

    /// Adds a record with validated `values`; a new record of a kind with a
    /// workflow starts in its initial state.
    pub async fn create_record(&mut self, kind: &'static Kind, values: Vec<Value>) -> Result<Record, StoreError> {
        self.check_targets(kind, &values).await?;
        let now = now();
        let reference = match kind.prefix {
            Some(_) => {
                let n = self.bump_counter(kind.key).await?;
                kind.reference(n)
            }
            None => None,
        };
        let record = Record {
            kind,
            id: new_id(),
            reference,
            status: kind.workflow.map(|w| w.initial.to_owned()),
            values,
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        };
        let mut sql = Sql::new("");
        let mut args = vec![Arg::Text(record.id.clone()), Arg::Text(self.org_id.clone())];
        if let Some(r) = &record.reference {
            args.push(Arg::Text(r.clone()));
        }
        if let Some(s) = &record.status {
            args.push(Arg::Text(s.clone()));
        }
        args.extend(args_of(&record.values));
        args.extend([
            Arg::Text(record.created_at.clone()),
            Arg::Text(record.updated_at.clone()),
            Arg::Int(1),
        ]);
        let cols = columns(kind).replacen("id,", "id, org_id,", 1);
        let row = sql.row(args);
        sql.push(&format!("INSERT INTO {} ({cols}) VALUES {row}", kind.table));
        let done = sql.query().execute(&mut *self.tx).await;
        done.map_err(|e| unique_named(kind, &record, e))?;
        self.count(kind, record.status.as_deref(), 1).await?;
        if searchable(kind) {
            let body = search_text(&record);
            let org = self.org_id.clone();
            self.engine
                .search_put(&mut self.tx, &org, kind.key, &record.id, &body)
                .await?;
        }
        self.record::<(), _>("create", kind.key, &record.id, None, Some(&record))
            .await?;
        Ok(record)
    }

    /// Changes a record's fields to `values` (already merged with what was
    /// stored), if `expected` still names its version.
    pub async fn update_record(
        &mut self,
        kind: &'static Kind,
        id: &str,
        values: Vec<Value>,
        expected: Option<i64>,
    ) -> Result<Record, StoreError> {
        let before = self.record_for_update(kind, id).await?;
        check_version(kind.label, before.version, expected)?;
        if before.values == values {
            return Ok(before);
        }
        self.check_targets(kind, &values).await?;
        let after = Record {
            values,
            updated_at: now(),
            version: before.version + 1,
            ..before.clone()
        };
        let mut sql = Sql::new("");
        let mut sets = Vec::new();
        let cols: Vec<String> = kind.fields.iter().flat_map(field_columns).collect();
        for (c, a) in cols.iter().zip(args_of(&after.values)) {
            let p = sql.arg(a);
            sets.push(format!("{c} = {p}"));
        }
        let (u, v) = (sql.text_arg(after.updated_at.clone()), sql.int_arg(after.version));
        let (o, i) = (sql.text_arg(self.org_id.clone()), sql.text_arg(id));
        sql.push(&format!(
            "UPDATE {} SET {}, updated_at = {u}, version = {v} WHERE org_id = {o} AND id = {i}",
            kind.table,
            sets.join(", ")
        ));
        let done = sql.query().execute(&mut *self.tx).await;
        done.map_err(|e| unique_named(kind, &after, e))?;
        if searchable(kind) && search_text(&before) != search_text(&after) {
            let body = search_text(&after);
            let org = self.org_id.clone();
            self.engine.search_put(&mut self.tx, &org, kind.key, id, &body).await?;
        }
        self.record("update", kind.key, id, Some(&before), Some(&after)).await?;
        Ok(after)
    }

    /// Moves a record to another workflow state. The move must be declared;
    /// the caller has checked the permission it needs.
    pub async fn transition_record(
        &mut self,
        kind: &'static Kind,
        id: &str,
        to: &str,
        expected: Option<i64>,
    ) -> Result<Record, StoreError> {
        let workflow = kind.workflow.ok_or_else(|| {
            StoreError::Invalid(DomainError::field(
                "status",
                format!("{} have no workflow", kind.plural),
            ))
        })?;
        let before = self.record_for_update(kind, id).await?;
        check_version(kind.label, before.version, expected)?;
        workflow.transition(kind, before.status.as_deref().unwrap_or(""), to)?;
        self.write_status(before, to).await
    }

    /// The live records of a kind in one state, by id: few, e.g. the scope
    /// statement in force.
    pub async fn ids_in_state(&mut self, kind: &'static Kind, state: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT id FROM {} WHERE org_id = $1 AND status = $2 AND deleted_at IS NULL ORDER BY id",
            kind.table
        ))
        .bind(&self.org_id)
        .bind(state)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Moves a record to a state of its workflow that no transition
    /// declares: for the moves pawl makes itself (a verification's outcome,
    /// a nonconformity reopened by it), never for input.
    pub async fn force_status(&mut self, kind: &'static Kind, id: &str, to: &str) -> Result<Record, StoreError> {
        if kind.workflow.and_then(|w| w.state(to)).is_none() {
            return Err(StoreError::Corrupt(format!("{to} is not a state of {}", kind.plural)));
        }
        let before = self.record_for_update(kind, id).await?;
        if before.status.as_deref() == Some(to) {
            return Ok(before);
        }
        self.write_status(before, to).await
    }

    async fn write_status(&mut self, before: Record, to: &str) -> Result<Record, StoreError> {
        let (kind, id) = (before.kind, before.id.clone());
        let from = before.status.clone().unwrap_or_default();
        let after = Record {
            status: Some(to.to_owned()),
            updated_at: now(),
            version: before.version + 1,
            ..before.clone()
        };
        sqlx::query(&format!(
            "UPDATE {} SET status = $1, updated_at = $2, version = $3 WHERE org_id = $4 AND id = $5",
            kind.table
        ))
        .bind(to)
        .bind(&after.updated_at)
        .bind(after.version)
        .bind(&self.org_id)
        .bind(&id)
        .execute(&mut *self.tx)
        .await?;
        self.count(kind, Some(&from), -1).await?;
        self.count(kind, Some(to), 1).await?;
        self.record("transition", kind.key, &id, Some(&before), Some(&after))
            .await?;
        Ok(after)
    }

    /// Retires a record: it leaves lists, its history and links stay.
    pub async fn retire_record(
        &mut self,
        kind: &'static Kind,
        id: &str,
        expected: Option<i64>,
    ) -> Result<Record, StoreError> {
        let before = self.record_for_update(kind, id).await?;
        check_version(kind.label, before.version, expected)?;
        sqlx::query(&format!(
            "UPDATE {} SET deleted_at = $1 WHERE org_id = $2 AND id = $3",
            kind.table
        ))
        .bind(now())
        .bind(&self.org_id)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        self.count(kind, before.status.as_deref(), -1).await?;
        if searchable(kind) {
            self.engine.search_remove(&mut self.tx, id).await?;
        }
        self.record::<_, ()>("delete", kind.key, id, Some(&before), None)
            .await?;
        Ok(before)
    }

    /// Keeps `register_counts` in step with a change of `delta` records in
    /// `status` ("" for kinds without a workflow).
    async fn count(&mut self, kind: &Kind, status: Option<&str>, delta: i64) -> Result<(), StoreError> {
        add_count(&mut self.tx, &self.org_id, kind.key, status.unwrap_or(""), delta).await
    }

    /// Every record a field points at must be a live record of this
    /// organisation; the problem names the field.
    async fn check_targets(&mut self, kind: &Kind, values: &[Value]) -> Result<(), StoreError> {
        for (f, v) in kind.fields.iter().zip(values) {
            let (FieldKind::Record { kind: target }, Value::OptText(Some(id))) = (&f.kind, v) else {
                continue;
            };
            let table = crate::link::table_of(target)
                .ok_or_else(|| StoreError::Corrupt(format!("{} points at unknown kind {target}", f.name)))?;
            if self.first_missing(table, std::slice::from_ref(id)).await?.is_some() {
                return Err(StoreError::Invalid(DomainError::field(
                    f.name,
                    format!("no {} with id {id}", f.label.to_lowercase()),
                )));
            }
        }
        Ok(())
    }
}

/// A unique violation, told as the field whose value is taken.
fn unique_named(kind: &Kind, r: &Record, e: sqlx::Error) -> StoreError {
    match (StoreError::from(e), kind.unique) {
        (StoreError::Conflict(_), Some(u)) => StoreError::Conflict(format!(
            "a live {} with {} {:?} already exists",
            kind.label.to_lowercase(),
            kind.field(u).map_or(u, |f| f.label).to_lowercase(),
            r.value(u).map(Value::display).unwrap_or_default()
        )),
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawl_domain::register::{ASSET, TREATMENT_ACTION};

    #[test]
    fn columns_follow_the_declaration() {
        assert_eq!(
            columns(&ASSET),
            "id, name, asset_type, owner_user_id, owner_name, location, description, confidentiality, integrity, \
             availability, created_at, updated_at, version"
        );
        assert!(columns(&TREATMENT_ACTION).starts_with("id, status, risk_id, description, owner_user_id"));
    }

    #[test]
    fn search_reads_words_not_query_syntax() {
        assert_eq!(
            crate::engine::search_terms(" 50%_off \"Bill\"* OR x:* "),
            ["50", "off", "bill", "or", "x"]
        );
        assert!(crate::engine::search_terms("%_").is_empty());
    }
}
