//! The audited write path: a transaction that cannot change data without
//! appending to the organisation's hash chain (clause 7.5.3, Annex A 8.15).

use crate::{row, Store, StoreError};
use pawl_domain::audit::{event_hash, Actor, AuditEvent};
use serde::Serialize;
use sqlx::{Any, Transaction};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The last known tip of each organisation's chain, so that an append
/// usually needs one statement on the head row instead of two. Only a
/// hint: the conditional update in [`AuditedTx::record`] detects a tip
/// moved by another process and falls back to reading it.
#[derive(Default)]
pub(crate) struct HeadCache(Mutex<HashMap<String, (i64, String)>>);

impl HeadCache {
    fn get(&self, org_id: &str) -> Option<(i64, String)> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(org_id).cloned()
    }

    fn set(&self, org_id: &str, head: (i64, String)) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(org_id.to_owned(), head);
    }
}

/// An event for [`AuditedTx::record_many`]: action, entity type, entity id,
/// and the record before and after as JSON text.
pub(crate) type PendingEvent<'a> = (&'a str, &'a str, String, Option<String>, Option<String>);

/// A write transaction on one organisation, acting as one actor.
///
/// Every mutating method lives on this type and records an audit event
/// before returning; dropping it without [`AuditedTx::commit`] rolls back
/// the change and its events together.
pub struct AuditedTx {
    pub(crate) tx: Transaction<'static, Any>,
    pub(crate) org_id: String,
    pub(crate) actor: Actor,
    /// The chain's tip after this transaction's last append.
    head: Option<(i64, String)>,
    heads: Arc<HeadCache>,
    pub(crate) engine: crate::Engine,
    /// Events this transaction appended, counted into `appends` on commit.
    appended: u64,
    appends: Arc<std::sync::atomic::AtomicU64>,
    /// Notifications this transaction wrote; the dispatcher is woken on commit.
    pub(crate) enqueued: u64,
    pub(crate) outbox: Arc<tokio::sync::Notify>,
    pub(crate) dispatching: bool,
}

impl Store {
    /// Starts an audited write on `org_id` as `actor`.
    pub async fn write(&self, org_id: &str, actor: &Actor) -> Result<AuditedTx, StoreError> {
        self.writes_allowed().await?;
        let tx = self.write.begin_with(self.engine.begin_write()).await?;
        Ok(AuditedTx {
            tx,
            org_id: org_id.to_owned(),
            actor: actor.clone(),
            head: None,
            heads: self.heads.clone(),
            engine: self.engine,
            appended: 0,
            appends: self.appends.clone(),
            enqueued: 0,
            outbox: self.outbox.clone(),
            dispatching: self.dispatching.load(std::sync::atomic::Ordering::Relaxed),
        })
    }
}

impl AuditedTx {
    /// The stored tip, locking its row on PostgreSQL (a no-op update takes
    /// the row lock; SQLite's write transaction is already exclusive).
    async fn locked_head(&mut self) -> Result<(i64, String), StoreError> {
        let row: Option<(i64, String)> =
            sqlx::query_as("UPDATE audit_heads SET seq = seq WHERE org_id = $1 RETURNING seq, hash")
                .bind(&self.org_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        row.ok_or(StoreError::NotFound { entity: "organisation" })
    }

    /// Appends one event. `before` and `after` are the record's audit views:
    /// never secrets such as password hashes.
    /// The next number of one of the organisation's counters (`risk`,
    /// `control`), starting at 1.
    pub(crate) async fn bump_counter(&mut self, name: &str) -> Result<i64, StoreError> {
        self.bump_counter_by(name, 1).await
    }

    /// Takes `by` numbers of a counter at once and returns the last.
    pub(crate) async fn bump_counter_by(&mut self, name: &str, by: i64) -> Result<i64, StoreError> {
        let bumped: Option<i64> = sqlx::query_scalar(
            "UPDATE counters SET value = value + $3 WHERE org_id = $1 AND name = $2 RETURNING value",
        )
        .bind(&self.org_id)
        .bind(name)
        .bind(by)
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(n) = bumped {
            return Ok(n);
        }
        sqlx::query("INSERT INTO counters (org_id, name, value) VALUES ($1, $2, $3)")
            .bind(&self.org_id)
            .bind(name)
            .bind(by)
            .execute(&mut *self.tx)
            .await?;
        Ok(by)
    }

    pub(crate) async fn record<B: Serialize, A: Serialize>(
        &mut self,
        action: &str,
        entity_type: &str,
        entity_id: &str,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<(), StoreError> {
        let json = |v: Option<&dyn erased::Json>| v.map(|v| v.to_json()).transpose();
        let before = json(before.map(|b| b as &dyn erased::Json))?;
        let after = json(after.map(|a| a as &dyn erased::Json))?;
        self.record_many(&[(action, entity_type, entity_id.to_owned(), before, after)])
            .await
    }

    /// Appends events with one head update and multi-row inserts. The head
    /// moves only from the tip the events were chained to: its update takes
    /// the row lock (PostgreSQL) inside the already exclusive write
    /// transaction (SQLite), so two writers, even in two processes, never
    /// take the same sequence number. A stale tip matches no row; then the
    /// real one is read and the events are chained to that.
    pub(crate) async fn record_many(&mut self, items: &[PendingEvent<'_>]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        self.appended += items.len() as u64;
        let tip = match self.head.take().or_else(|| self.heads.get(&self.org_id)) {
            Some(tip) => tip,
            None => self.locked_head().await?,
        };
        let occurred_at = row::now();
        let (org_id, actor) = (self.org_id.clone(), self.actor.clone());
        let build = |tip: &(i64, String)| -> Vec<AuditEvent> {
            let mut prev = tip.1.clone();
            items
                .iter()
                .enumerate()
                .map(|(i, (action, entity_type, entity_id, before, after))| {
                    let mut e = AuditEvent {
                        org_id: org_id.clone(),
                        seq: tip.0 + 1 + i as i64,
                        occurred_at: occurred_at.clone(),
                        actor_kind: actor.kind.as_str().to_owned(),
                        actor_id: actor.id.clone(),
                        actor_name: actor.name.clone(),
                        action: (*action).to_owned(),
                        entity_type: (*entity_type).to_owned(),
                        entity_id: entity_id.clone(),
                        before: before.clone(),
                        after: after.clone(),
                        prev_hash: prev.clone(),
                        hash: String::new(),
                    };
                    e.hash = event_hash(&e);
                    prev.clone_from(&e.hash);
                    e
                })
                .collect()
        };
        let mut tip = tip;
        let events = loop {
            let events = build(&tip);
            let last = events.last().expect("items is not empty");
            let moved = sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE org_id = $3 AND seq = $4")
                .bind(last.seq)
                .bind(&last.hash)
                .bind(&self.org_id)
                .bind(tip.0)
                .execute(&mut *self.tx)
                .await?
                .rows_affected();
            if moved == 1 {
                break events;
            }
            let fresh = self.locked_head().await?;
            if fresh == tip {
                return Err(StoreError::Corrupt("the audit head did not move".into()));
            }
            tip = fresh;
        };
        use crate::sql::{Arg, Sql};
        // 13 parameters an event; 500 events stay far below both engines' limits.
        for chunk in events.chunks(500) {
            let mut sql = Sql::bulk(self.engine);
            let rows: Vec<String> = chunk
                .iter()
                .map(|e| {
                    sql.row(vec![
                        Arg::Text(e.org_id.clone()),
                        Arg::Int(e.seq),
                        Arg::Text(e.occurred_at.clone()),
                        Arg::Text(e.actor_kind.clone()),
                        Arg::Text(e.actor_id.clone()),
                        Arg::Text(e.actor_name.clone()),
                        Arg::Text(e.action.clone()),
                        Arg::Text(e.entity_type.clone()),
                        Arg::Text(e.entity_id.clone()),
                        Arg::OptText(e.before.clone()),
                        Arg::OptText(e.after.clone()),
                        Arg::Text(e.prev_hash.clone()),
                        Arg::Text(e.hash.clone()),
                    ])
                })
                .collect();
            sql.push(&format!(
                "INSERT INTO audit_events (org_id, seq, occurred_at, actor_kind, actor_id, actor_name, action,
                    entity_type, entity_id, before_json, after_json, prev_hash, hash) VALUES {}",
                rows.join(", ")
            ));
            sql.query().execute(&mut *self.tx).await?;
        }
        let last = events.last().expect("items is not empty");
        self.head = Some((last.seq, last.hash.clone()));
        Ok(())
    }

    /// Records an event that changes no record, such as a sign-in.
    pub async fn record_event<A: Serialize>(
        &mut self,
        action: &str,
        entity_type: &str,
        entity_id: &str,
        details: &A,
    ) -> Result<(), StoreError> {
        self.record::<(), A>(action, entity_type, entity_id, None, Some(details))
            .await
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        if let Some(head) = self.head {
            self.heads.set(&self.org_id, head);
        }
        self.appends
            .fetch_add(self.appended, std::sync::atomic::Ordering::Relaxed);
        if self.enqueued > 0 {
            self.outbox.notify_one();
        }
        Ok(())
    }
}

/// Serialisation behind a trait object, so `record` can take either side
/// as absent without naming a type for it.
pub(crate) mod erased {
    use crate::StoreError;

    pub trait Json {
        fn to_json(&self) -> Result<String, StoreError>;
    }

    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> Result<String, StoreError> {
            serde_json::to_string(self).map_err(|e| StoreError::Corrupt(format!("cannot encode audit payload: {e}")))
        }
    }
}
