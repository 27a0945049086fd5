//! Beside the audit registers (clause 9.2): each audit's checklist, kept in
//! step with the clauses and controls in its scope, and what the auditors
//! own in that scope (objectivity).

use crate::row::now;
use crate::sql::Sql;
use crate::{AuditedTx, OrgReader, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// One requirement in an audit's scope and what was found.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistItem {
    pub id: String,
    pub audit_id: String,
    pub position: i64,
    /// A clause (`9.2`) or an Annex A control (`A.8.13`).
    pub requirement: String,
    pub title: String,
    /// See `pawl_domain::internal_audit::RESULTS`.
    pub result: String,
    pub notes: String,
    pub evidence: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// A record someone owns within an audit's scope.
#[derive(Debug, Clone, Serialize)]
pub struct Owned {
    pub kind: String,
    pub id: String,
    pub reference: String,
    pub title: String,
    pub owner_user_id: String,
    pub owner: String,
    /// The clauses or Annex A controls it touches, as stored ("A.5.1, 5.2").
    pub touches: String,
}

const ITEM: &str = "id, audit_id, position, requirement, title, result, notes, evidence, updated_at, updated_by";

fn item_from_row(r: &AnyRow) -> Result<ChecklistItem, StoreError> {
    Ok(ChecklistItem {
        id: r.try_get(0)?,
        audit_id: r.try_get(1)?,
        position: r.try_get(2)?,
        requirement: r.try_get(3)?,
        title: r.try_get(4)?,
        result: r.try_get(5)?,
        notes: r.try_get(6)?,
        evidence: r.try_get(7)?,
        updated_at: r.try_get(8)?,
        updated_by: r.try_get(9)?,
    })
}

impl OrgReader<'_> {
    /// An audit's checklist in catalog order.
    pub async fn checklist(&self, audit_id: &str) -> Result<Vec<ChecklistItem>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ITEM} FROM audit_checklist_items WHERE org_id = $1 AND audit_id = $2 ORDER BY position, requirement"
        ))
        .bind(&self.org_id)
        .bind(audit_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter().map(item_from_row).collect()
    }

    /// The live applied controls and documents that these members own,
    /// with what they touch: the caller decides which are in scope.
    pub async fn owned_by(&self, user_ids: &[String]) -> Result<Vec<Owned>, StoreError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let people = sql.text_list(user_ids);
        sql.push(&format!(
            "SELECT 'applied_control', c.id, c.reference, c.name, c.owner_user_id, c.owner_name, ''
             FROM applied_controls c WHERE c.org_id = {org} AND c.deleted_at IS NULL AND c.owner_user_id IN ({people})
             UNION ALL
             SELECT 'document', d.id, d.reference, d.title, d.owner_user_id, d.owner_name,
                    d.clauses || ', ' || d.annex_a
             FROM documents d WHERE d.org_id = {org} AND d.deleted_at IS NULL AND d.owner_user_id IN ({people})"
        ));
        let rows = sql.query().fetch_all(&self.store.read).await?;
        let mut owned = rows
            .iter()
            .map(|r| {
                Ok(Owned {
                    kind: r.try_get(0)?,
                    id: r.try_get(1)?,
                    reference: r.try_get(2)?,
                    title: r.try_get(3)?,
                    owner_user_id: r.try_get(4)?,
                    owner: r.try_get(5)?,
                    touches: r.try_get(6)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // A control touches the Annex A controls it is linked to.
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let people = sql.text_list(user_ids);
        sql.push(&format!(
            "SELECT x.control_id, x.annex_id FROM applied_control_annex x
             JOIN applied_controls c ON c.id = x.control_id AND c.org_id = x.org_id
             WHERE x.org_id = {org} AND c.deleted_at IS NULL AND c.owner_user_id IN ({people})"
        ));
        for r in sql.query().fetch_all(&self.store.read).await? {
            let (control, annex): (String, String) = (r.try_get(0)?, r.try_get(1)?);
            if let Some(o) = owned
                .iter_mut()
                .find(|o| o.kind == "applied_control" && o.id == control)
            {
                if !o.touches.is_empty() {
                    o.touches.push_str(", ");
                }
                o.touches.push_str(&annex);
            }
        }
        Ok(owned)
    }
}

impl AuditedTx {
    /// Keeps an audit's checklist in step with its scope: adds the items
    /// now in scope, drops those out of scope that nobody has assessed,
    /// keeps every answered one, and orders them as `items` are.
    pub async fn sync_checklist(&mut self, audit_id: &str, items: &[(String, String)]) -> Result<(), StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ITEM} FROM audit_checklist_items WHERE org_id = $1 AND audit_id = $2"
        ))
        .bind(&self.org_id)
        .bind(audit_id)
        .fetch_all(&mut *self.tx)
        .await?;
        let current: Vec<ChecklistItem> = rows.iter().map(item_from_row).collect::<Result<_, _>>()?;
        let (mut added, mut dropped) = (Vec::new(), Vec::new());
        // Answered items out of scope stay, after those in scope.
        let mut kept = items.len() as i64;
        for c in &current {
            if items.iter().any(|(r, _)| *r == c.requirement) {
                continue;
            }
            if c.result == "not_assessed" && c.notes.is_empty() && c.evidence.is_empty() {
                sqlx::query("DELETE FROM audit_checklist_items WHERE org_id = $1 AND id = $2")
                    .bind(&self.org_id)
                    .bind(&c.id)
                    .execute(&mut *self.tx)
                    .await?;
                dropped.push(c.requirement.clone());
            } else {
                sqlx::query("UPDATE audit_checklist_items SET position = $3 WHERE org_id = $1 AND id = $2")
                    .bind(&self.org_id)
                    .bind(&c.id)
                    .bind(kept)
                    .execute(&mut *self.tx)
                    .await?;
                kept += 1;
            }
        }
        let now = now();
        for (position, (requirement, title)) in items.iter().enumerate() {
            match current.iter().find(|c| c.requirement == *requirement) {
                Some(c) if c.position != position as i64 => {
                    sqlx::query("UPDATE audit_checklist_items SET position = $3 WHERE org_id = $1 AND id = $2")
                        .bind(&self.org_id)
                        .bind(&c.id)
                        .bind(position as i64)
                        .execute(&mut *self.tx)
                        .await?;
                }
                Some(_) => {}
                None => {
                    sqlx::query(
                        "INSERT INTO audit_checklist_items (id, org_id, audit_id, position, requirement, title, result,
                            notes, evidence, updated_at, updated_by)
                         VALUES ($1, $2, $3, $4, $5, $6, 'not_assessed', '', '', $7, $8)",
                    )
                    .bind(crate::row::new_id())
                    .bind(&self.org_id)
                    .bind(audit_id)
                    .bind(position as i64)
                    .bind(requirement)
                    .bind(title)
                    .bind(&now)
                    .bind(&self.actor.name)
                    .execute(&mut *self.tx)
                    .await?;
                    added.push(requirement.clone());
                }
            }
        }
        if !added.is_empty() || !dropped.is_empty() {
            #[derive(Serialize)]
            struct Change<'a> {
                added: &'a [String],
                dropped: &'a [String],
            }
            self.record::<(), _>(
                "checklist",
                "audit",
                audit_id,
                None,
                Some(&Change {
                    added: &added,
                    dropped: &dropped,
                }),
            )
            .await?;
        }
        Ok(())
    }

    /// Records what the auditors found on one checklist item. The same
    /// result, notes and evidence saved again change nothing, and leave no
    /// event whose before and after are alike in the audit trail.
    pub async fn record_checklist_item(
        &mut self,
        audit_id: &str,
        item_id: &str,
        result: &str,
        notes: &str,
        evidence: &str,
    ) -> Result<ChecklistItem, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ITEM} FROM audit_checklist_items WHERE org_id = $1 AND audit_id = $2 AND id = $3"
        ))
        .bind(&self.org_id)
        .bind(audit_id)
        .bind(item_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let before = row
            .as_ref()
            .map(item_from_row)
            .transpose()?
            .ok_or(StoreError::NotFound {
                entity: "checklist item",
            })?;
        if (before.result.as_str(), before.notes.as_str(), before.evidence.as_str()) == (result, notes, evidence) {
            return Ok(before);
        }
        let after = ChecklistItem {
            result: result.to_owned(),
            notes: notes.to_owned(),
            evidence: evidence.to_owned(),
            updated_at: now(),
            updated_by: self.actor.name.clone(),
            ..before.clone()
        };
        sqlx::query(
            "UPDATE audit_checklist_items SET result = $3, notes = $4, evidence = $5, updated_at = $6, updated_by = $7
             WHERE org_id = $1 AND id = $2",
        )
        .bind(&self.org_id)
        .bind(item_id)
        .bind(&after.result)
        .bind(&after.notes)
        .bind(&after.evidence)
        .bind(&after.updated_at)
        .bind(&after.updated_by)
        .execute(&mut *self.tx)
        .await?;
        self.record("assess", "audit", audit_id, Some(&before), Some(&after))
            .await?;
        Ok(after)
    }
}
