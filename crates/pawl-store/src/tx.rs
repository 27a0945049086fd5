//! The audited write path: a transaction that cannot change data without
//! appending to the organisation's hash chain (clause 7.5.3, Annex A 8.15).

use crate::{row, Store, StoreError};
use pawl_domain::audit::{event_hash, Actor, AuditEvent};
use serde::Serialize;
use sqlx::{Any, Transaction};

/// A write transaction on one organisation, acting as one actor.
///
/// Every mutating method lives on this type and records an audit event
/// before returning; dropping it without [`AuditedTx::commit`] rolls back
/// the change and its events together.
pub struct AuditedTx {
    pub(crate) tx: Transaction<'static, Any>,
    pub(crate) org_id: String,
    pub(crate) actor: Actor,
    /// The chain's tip after this transaction's last append, written to the
    /// head row once, at commit.
    pending_head: Option<(i64, String)>,
}

impl Store {
    /// Starts an audited write on `org_id` as `actor`.
    pub async fn write(&self, org_id: &str, actor: &Actor) -> Result<AuditedTx, StoreError> {
        let tx = self.write.begin_with(self.engine.begin_write()).await?;
        Ok(AuditedTx {
            tx,
            org_id: org_id.to_owned(),
            actor: actor.clone(),
            pending_head: None,
        })
    }
}

impl AuditedTx {
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Appends one event. `before` and `after` are the record's audit views:
    /// never secrets such as password hashes.
    pub(crate) async fn record<B: Serialize, A: Serialize>(
        &mut self,
        action: &str,
        entity_type: &str,
        entity_id: &str,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<(), StoreError> {
        // Bumping the head row first takes its row lock (PostgreSQL) inside
        // the already exclusive write transaction (SQLite), so two writers,
        // even in two processes, can never take the same sequence number.
        let row: Option<(i64, String)> =
            sqlx::query_as("UPDATE audit_heads SET seq = seq + 1 WHERE org_id = $1 RETURNING seq, hash")
                .bind(&self.org_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let (seq, stored_prev) = row.ok_or(StoreError::NotFound { entity: "organisation" })?;
        let prev_hash = match self.pending_head.take() {
            Some((_, h)) => h,
            None => stored_prev,
        };
        let json = |v: Option<&dyn erased::Json>| v.map(|v| v.to_json()).transpose();
        let mut event = AuditEvent {
            org_id: self.org_id.clone(),
            seq,
            occurred_at: row::now(),
            actor_kind: self.actor.kind.as_str().to_owned(),
            actor_id: self.actor.id.clone(),
            actor_name: self.actor.name.clone(),
            action: action.to_owned(),
            entity_type: entity_type.to_owned(),
            entity_id: entity_id.to_owned(),
            before: json(before.map(|b| b as &dyn erased::Json))?,
            after: json(after.map(|a| a as &dyn erased::Json))?,
            prev_hash,
            hash: String::new(),
        };
        event.hash = event_hash(&event);
        sqlx::query(
            "INSERT INTO audit_events (org_id, seq, occurred_at, actor_kind, actor_id, actor_name, action,
                entity_type, entity_id, before_json, after_json, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&event.org_id)
        .bind(event.seq)
        .bind(&event.occurred_at)
        .bind(&event.actor_kind)
        .bind(&event.actor_id)
        .bind(&event.actor_name)
        .bind(&event.action)
        .bind(&event.entity_type)
        .bind(&event.entity_id)
        .bind(&event.before)
        .bind(&event.after)
        .bind(&event.prev_hash)
        .bind(&event.hash)
        .execute(&mut *self.tx)
        .await?;
        self.pending_head = Some((seq, event.hash));
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

    pub async fn commit(mut self) -> Result<(), StoreError> {
        if let Some((seq, hash)) = self.pending_head.take() {
            sqlx::query("UPDATE audit_heads SET hash = $1 WHERE org_id = $2 AND seq = $3")
                .bind(hash)
                .bind(&self.org_id)
                .bind(seq)
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}

/// Serialisation behind a trait object, so `record` can take either side
/// as absent without naming a type for it.
mod erased {
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
