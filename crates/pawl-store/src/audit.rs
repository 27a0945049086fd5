//! Reading and verifying the audit trail.

use crate::page::{Cursor, ListQuery, Page};
use crate::{OrgReader, Store, StoreError};
use pawl_domain::audit::{AuditEvent, ChainBreak, ChainVerifier};
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) const EVENT_COLUMNS: &str =
    "org_id, seq, occurred_at, actor_kind, actor_id, actor_name, action, entity_type,
    entity_id, before_json, after_json, prev_hash, hash";

pub(crate) fn event_from_row(r: &AnyRow) -> Result<AuditEvent, sqlx::Error> {
    Ok(AuditEvent {
        org_id: r.try_get(0)?,
        seq: r.try_get(1)?,
        occurred_at: r.try_get(2)?,
        actor_kind: r.try_get(3)?,
        actor_id: r.try_get(4)?,
        actor_name: r.try_get(5)?,
        action: r.try_get(6)?,
        entity_type: r.try_get(7)?,
        entity_id: r.try_get(8)?,
        before: r.try_get(9)?,
        after: r.try_get(10)?,
        prev_hash: r.try_get(11)?,
        hash: r.try_get(12)?,
    })
}

/// Narrows the trail to one record or one kind of record.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Part of the actor's name: an e-mail address, a token's name.
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Events on or after this day (YYYY-MM-DD).
    pub from: Option<String>,
    /// Events on or before this day (YYYY-MM-DD).
    pub to: Option<String>,
    /// Leaves out signing in, signing out and failed sign-ins, which
    /// outnumber the changes an auditor reads the trail for.
    pub without_sign_ins: bool,
}

/// The actions of signing in and out.
pub const SIGN_IN_ACTIONS: [&str; 3] = ["sign_in", "sign_out", "sign_in_failed"];

/// A filtered trail counts its matches up to one more than this.
pub const FILTERED_COUNT_CAP: i64 = 10_000;

/// The result of recomputing a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyOutcome {
    Intact { events: i64 },
    Broken(ChainBreak),
}

impl OrgReader<'_> {
    /// The conditions of a filter over this organisation's trail, with
    /// their values bound as `$1`, `$2`, … in order.
    fn trail_conditions(&self, filter: &AuditFilter) -> (String, Vec<String>) {
        let mut cond = String::from(" WHERE org_id = $1");
        let mut binds: Vec<String> = vec![self.org_id.clone()];
        if let Some(t) = &filter.entity_type {
            binds.push(t.clone());
            cond.push_str(&format!(" AND entity_type = ${}", binds.len()));
        }
        if let Some(id) = &filter.entity_id {
            binds.push(id.clone());
            cond.push_str(&format!(" AND entity_id = ${}", binds.len()));
        }
        if let Some(a) = &filter.action {
            binds.push(a.clone());
            cond.push_str(&format!(" AND action = ${}", binds.len()));
        }
        if let Some(who) = &filter.actor {
            binds.push(crate::engine::contains_pattern(who));
            let p = format!("${}", binds.len());
            cond.push_str(&format!(" AND {}", self.store.engine.contains("actor_name", &p)));
        }
        // Instants are stored as RFC 3339 text in UTC, so days compare as
        // text: every instant of day `to` sorts below "{to}T99".
        if let Some(from) = &filter.from {
            binds.push(from.clone());
            cond.push_str(&format!(" AND occurred_at >= ${}", binds.len()));
        }
        if let Some(to) = &filter.to {
            binds.push(format!("{to}T99"));
            cond.push_str(&format!(" AND occurred_at < ${}", binds.len()));
        }
        if filter.without_sign_ins {
            let quoted: Vec<String> = SIGN_IN_ACTIONS.iter().map(|a| format!("'{a}'")).collect();
            cond.push_str(&format!(" AND action NOT IN ({})", quoted.join(", ")));
        }
        (cond, binds)
    }

    /// Up to `limit` events of the filtered trail after sequence number
    /// `after`, oldest first, without a count: an export reads the whole
    /// trail this way, a batch at a time.
    pub async fn audit_events_after(
        &self,
        filter: &AuditFilter,
        after: i64,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let (cond, binds) = self.trail_conditions(filter);
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events{cond} AND seq > ${} ORDER BY seq LIMIT {limit}",
            binds.len() + 1
        );
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query.bind(after).fetch_all(&self.store.read).await?;
        Ok(rows.iter().map(event_from_row).collect::<Result<Vec<_>, _>>()?)
    }

    /// The trail, newest first by default; `cursor` keys are sequence numbers.
    pub async fn audit_events(&self, filter: &AuditFilter, q: &ListQuery) -> Result<Page<AuditEvent>, StoreError> {
        let (cond, binds) = self.trail_conditions(filter);
        // A filtered count stops past FILTERED_COUNT_CAP: counting every
        // match of a common filter over a million events costs more than
        // the page, and "more than 10,000" says what a reader needs.
        let filtered = binds.len() > 1 || filter.without_sign_ins;
        let total_sql = if filtered {
            format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM audit_events{cond} LIMIT {}) t",
                FILTERED_COUNT_CAP + 1
            )
        } else {
            // Unfiltered, the trail holds as many events as its head's
            // sequence number (numbered from 1, none ever removed): one row
            // read, where a count read the whole trail (11 ms at 100,000
            // events, 53 ms at a million).
            "SELECT COALESCE((SELECT seq FROM audit_heads WHERE org_id = $1), 0)".to_owned()
        };
        let mut total = sqlx::query_scalar::<_, i64>(&total_sql);
        for b in &binds {
            total = total.bind(b);
        }
        let total = total.fetch_one(&self.store.read).await?;

        let desc = q.order == crate::SortOrder::Desc || q.sort.is_none();
        let after_seq = q
            .cursor
            .as_ref()
            .map(|c| c.key.parse::<i64>())
            .transpose()
            .map_err(|_| {
                StoreError::Invalid(pawl_domain::DomainError::field(
                    "cursor",
                    "not a cursor this server issued",
                ))
            })?;
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM audit_events{cond}");
        if after_seq.is_some() {
            sql.push_str(&format!(
                " AND seq {} ${}",
                if desc { "<" } else { ">" },
                binds.len() + 1
            ));
        }
        sql.push_str(&format!(
            " ORDER BY seq {} LIMIT {}",
            if desc { "DESC" } else { "ASC" },
            q.limit() + 1
        ));
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        if let Some(s) = after_seq {
            query = query.bind(s);
        }
        let rows = query.fetch_all(&self.store.read).await?;
        let events = rows.iter().map(event_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(events, q.limit(), total, |e| Cursor {
            key: e.seq.to_string(),
            id: String::new(),
        }))
    }

    /// Every event about one record, oldest first: its history.
    pub async fn history(&self, entity_type: &str, entity_id: &str) -> Result<Vec<AuditEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE org_id = $1 AND entity_type = $2 AND entity_id = $3 ORDER BY seq"
        );
        let rows = sqlx::query(&sql)
            .bind(&self.org_id)
            .bind(entity_type)
            .bind(entity_id)
            .fetch_all(&self.store.read)
            .await?;
        Ok(rows.iter().map(event_from_row).collect::<Result<Vec<_>, _>>()?)
    }
}

/// A verification with the head it ended at: the head's hash is what an
/// auditor notes down, so that a later verification shows nothing before
/// it has changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    pub outcome: VerifyOutcome,
    /// The sequence number of the newest event.
    pub head_seq: i64,
    /// The newest event's hash.
    pub head_hash: String,
}

impl Store {
    /// Recomputes an organisation's whole chain and checks that it ends at
    /// the organisation's head. Events and head are read from one snapshot,
    /// so writes made meanwhile neither break nor hide anything.
    pub async fn verify_audit_chain(&self, org_id: &str) -> Result<VerifyOutcome, StoreError> {
        Ok(self.check_audit_chain(org_id).await?.outcome)
    }

    /// [`Store::verify_audit_chain`], with the head the chain was checked against.
    pub async fn check_audit_chain(&self, org_id: &str) -> Result<ChainCheck, StoreError> {
        let mut verifier = ChainVerifier::new(org_id);
        let (scanned, head) = match &self.sqlite_path {
            Some(path) => {
                let (path, org) = (path.clone(), org_id.to_owned());
                let (scanned, v) = tokio::task::spawn_blocking(move || {
                    let r = crate::engine::scan_sqlite_audit(&path, &org, &mut verifier);
                    (r, verifier)
                })
                .await
                .map_err(|e| StoreError::Corrupt(format!("verification stopped: {e}")))?;
                verifier = v;
                scanned?
            }
            None => self.scan_audit(org_id, &mut verifier).await?,
        };
        let (head_seq, head_hash) = head.ok_or(StoreError::NotFound { entity: "organisation" })?;
        let outcome = match scanned {
            Err(brk) => VerifyOutcome::Broken(brk),
            Ok(()) => match verifier.finish(head_seq, &head_hash) {
                Ok(events) => VerifyOutcome::Intact { events },
                Err(brk) => VerifyOutcome::Broken(brk),
            },
        };
        Ok(ChainCheck {
            outcome,
            head_seq,
            head_hash,
        })
    }

    /// Feeds events to the verifier in batches through the portable queries,
    /// inside one snapshot; returns the scan's outcome and the head.
    async fn scan_audit(
        &self,
        org_id: &str,
        verifier: &mut ChainVerifier,
    ) -> Result<crate::engine::ScanResult, StoreError> {
        const BATCH: i64 = 20_000;
        let mut tx = self.read.begin_with(self.engine.begin_snapshot()).await?;
        let head: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?;
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT {BATCH}"
        );
        let mut last_seq = i64::MIN;
        loop {
            let rows = sqlx::query(&sql)
                .bind(org_id)
                .bind(last_seq)
                .fetch_all(&mut *tx)
                .await?;
            for r in &rows {
                let e = event_from_row(r)?;
                if let Err(brk) = verifier.push(&e) {
                    return Ok((Err(brk), head));
                }
                last_seq = e.seq;
            }
            if (rows.len() as i64) < BATCH {
                return Ok((Ok(()), head));
            }
        }
    }
}
