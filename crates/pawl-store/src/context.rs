//! The store side of the organisation around the ISMS: who a training
//! campaign is for and who completed it (7.2, 7.3), suppliers'
//! due-diligence reviews (A.5.22), and whether a requirement of an
//! interested party is addressed (4.2).

use crate::row::{new_id, now};
use crate::sql::Sql;
use crate::{AuditedTx, OrgReader, StoreError};
use serde::Serialize;
use sqlx::Row;

/// A completion of a training campaign by one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completion {
    pub id: String,
    pub training_id: String,
    pub email: String,
    /// The member, when the address is a member's.
    pub user_id: Option<String>,
    pub completed_on: String,
    pub notes: String,
    /// `entered`, `import` or `api`.
    pub source: String,
    pub created_at: String,
    pub created_by: String,
}

/// A completion to record.
#[derive(Debug, Clone)]
pub struct NewCompletion {
    pub training_id: String,
    pub email: String,
    pub user_id: Option<String>,
    pub completed_on: String,
    pub notes: String,
    pub source: String,
}

/// A member a campaign is for, and whether they completed this round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trainee {
    pub user_id: String,
    pub email: String,
    /// The latest completion that counts, if any.
    pub completed_on: Option<String>,
}

/// A supplier's due-diligence review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplierReview {
    pub id: String,
    pub supplier_id: String,
    pub reviewed_on: String,
    /// satisfactory, concerns or unsatisfactory.
    pub result: String,
    pub notes: String,
    pub evidence: String,
    pub created_at: String,
    pub created_by: String,
}

/// Members in a campaign's audience, as SQL over `memberships m` and the
/// campaign `t`.
pub(crate) const IN_AUDIENCE: &str =
    "EXISTS (SELECT 1 FROM training_audience a WHERE a.org_id = t.org_id AND a.training_id = t.id
    AND (a.role = 'everyone' OR a.role = m.role OR a.user_id = m.user_id))";

/// A member's completion that counts for the campaign's current round.
pub(crate) const DONE: &str =
    "EXISTS (SELECT 1 FROM training_completions c WHERE c.org_id = t.org_id AND c.training_id = t.id
    AND c.user_id = m.user_id AND c.completed_on >= COALESCE(t.counts_from, '0000-01-01'))";

impl OrgReader<'_> {
    /// Whether an active campaign asks `user_id` to complete it, and whether
    /// they have this round: `None` when it is not theirs to complete.
    pub async fn training_of(&self, user_id: &str, training_id: &str) -> Result<Option<bool>, StoreError> {
        let done: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT CASE WHEN {DONE} THEN 1 ELSE 0 END FROM trainings t
             JOIN memberships m ON m.org_id = t.org_id AND m.user_id = $2
             WHERE t.org_id = $1 AND t.id = $3 AND t.deleted_at IS NULL AND t.status = 'active' AND {IN_AUDIENCE}"
        ))
        .bind(&self.org_id)
        .bind(user_id)
        .bind(training_id)
        .fetch_optional(&self.store.read)
        .await?;
        Ok(done.map(|d| d == 1))
    }

    /// Everyone a campaign is for, with the completion that counts.
    pub async fn trainees(&self, training_id: &str) -> Result<Vec<Trainee>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT m.user_id, u.email, (SELECT MAX(c.completed_on) FROM training_completions c
                 WHERE c.org_id = t.org_id AND c.training_id = t.id AND c.user_id = m.user_id
                   AND c.completed_on >= COALESCE(t.counts_from, '0000-01-01'))
             FROM trainings t JOIN memberships m ON m.org_id = t.org_id JOIN users u ON u.id = m.user_id
             WHERE t.org_id = $1 AND t.id = $2 AND {IN_AUDIENCE} ORDER BY u.email"
        ))
        .bind(&self.org_id)
        .bind(training_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Trainee {
                    user_id: r.try_get(0)?,
                    email: r.try_get(1)?,
                    completed_on: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// A campaign's completions, newest first, at most `limit`.
    pub async fn completions(&self, training_id: &str, limit: i64) -> Result<Vec<Completion>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, training_id, email, user_id, completed_on, notes, source, created_at, created_by
             FROM training_completions WHERE org_id = $1 AND training_id = $2
             ORDER BY completed_on DESC, email LIMIT $3",
        )
        .bind(&self.org_id)
        .bind(training_id)
        .bind(limit)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter().map(completion_from_row).collect()
    }

    /// One person's completions over every campaign, newest first, with
    /// each campaign's reference and title.
    pub async fn completions_of(
        &self,
        email: &str,
        limit: i64,
    ) -> Result<Vec<(Completion, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.training_id, c.email, c.user_id, c.completed_on, c.notes, c.source, c.created_at, c.created_by,
                    t.reference, t.title
             FROM training_completions c JOIN trainings t ON t.id = c.training_id
             WHERE c.org_id = $1 AND c.email = $2 ORDER BY c.completed_on DESC, t.reference LIMIT $3",
        )
        .bind(&self.org_id)
        .bind(email)
        .bind(limit)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter()
            .map(|r| Ok((completion_from_row(r)?, r.try_get(9)?, r.try_get(10)?)))
            .collect()
    }

    /// Completions per month (`YYYY-MM`) from `from` on, of one campaign or
    /// of all: the completion chart over time.
    pub async fn completions_by_month(
        &self,
        training_id: Option<&str>,
        from: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut sql = Sql::new("");
        let (o, f) = (sql.text_arg(&self.org_id), sql.text_arg(from));
        let one = match training_id {
            Some(t) => format!(" AND training_id = {}", sql.text_arg(t)),
            None => String::new(),
        };
        sql.push(&format!(
            "SELECT SUBSTR(completed_on, 1, 7) AS month, COUNT(*) FROM training_completions
             WHERE org_id = {o} AND completed_on >= {f}{one} GROUP BY SUBSTR(completed_on, 1, 7) ORDER BY month"
        ));
        let rows = sql.query().fetch_all(&self.store.read).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// For each of these campaigns, (id, people it is for, those who
    /// completed this round): the training report's table in one read.
    pub async fn training_progress(&self, training_ids: &[String]) -> Result<Vec<(String, i64, i64)>, StoreError> {
        if training_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("");
        let o = sql.text_arg(&self.org_id);
        let list = sql.text_list(training_ids);
        sql.push(&format!(
            "SELECT t.id, COUNT(*), CAST(COALESCE(SUM(CASE WHEN {DONE} THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM trainings t JOIN memberships m ON m.org_id = t.org_id
             WHERE t.org_id = {o} AND t.id IN ({list}) AND {IN_AUDIENCE} GROUP BY t.id"
        ));
        let rows = sql.query().fetch_all(&self.store.read).await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// For campaigns due between two dates: people they are for, counted
    /// once per campaign, and those who completed this round.
    pub async fn training_totals(&self, from: &str, to: &str) -> Result<(i64, i64), StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN {DONE} THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM trainings t JOIN memberships m ON m.org_id = t.org_id
             WHERE t.org_id = $1 AND t.deleted_at IS NULL AND t.due_date >= $2 AND t.due_date <= $3 AND {IN_AUDIENCE}"
        ))
        .bind(&self.org_id)
        .bind(from)
        .bind(to)
        .fetch_one(&self.store.read)
        .await?)
    }

    pub async fn supplier_reviews(&self, supplier_id: &str) -> Result<Vec<SupplierReview>, StoreError> {
        let rows: Vec<(String, String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, reviewed_on, result, notes, evidence, created_at, created_by FROM supplier_reviews
             WHERE org_id = $1 AND supplier_id = $2 ORDER BY reviewed_on DESC, created_at DESC",
        )
        .bind(&self.org_id)
        .bind(supplier_id)
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, reviewed_on, result, notes, evidence, created_at, created_by)| SupplierReview {
                    id,
                    supplier_id: supplier_id.to_owned(),
                    reviewed_on,
                    result,
                    notes,
                    evidence,
                    created_at,
                    created_by,
                },
            )
            .collect())
    }
}

fn completion_from_row(r: &sqlx::any::AnyRow) -> Result<Completion, StoreError> {
    Ok(Completion {
        id: r.try_get(0)?,
        training_id: r.try_get(1)?,
        email: r.try_get(2)?,
        user_id: r.try_get(3)?,
        completed_on: r.try_get(4)?,
        notes: r.try_get(5)?,
        source: r.try_get(6)?,
        created_at: r.try_get(7)?,
        created_by: r.try_get(8)?,
    })
}

impl AuditedTx {
    pub async fn set_training_audience(
        &mut self,
        training_id: &str,
        entries: &[(String, Option<String>)],
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM training_audience WHERE org_id = $1 AND training_id = $2")
            .bind(&self.org_id)
            .bind(training_id)
            .execute(&mut *self.tx)
            .await?;
        for (role, user) in entries {
            sqlx::query("INSERT INTO training_audience (org_id, training_id, role, user_id) VALUES ($1, $2, $3, $4)")
                .bind(&self.org_id)
                .bind(training_id)
                .bind(role)
                .bind(user)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Records completions; the same person, campaign and day twice is a
    /// conflict. One audit event per completion.
    pub async fn add_completions(&mut self, new: &[NewCompletion]) -> Result<Vec<Completion>, StoreError> {
        let mut out = Vec::with_capacity(new.len());
        for n in new {
            let c = Completion {
                id: new_id(),
                training_id: n.training_id.clone(),
                email: n.email.clone(),
                user_id: n.user_id.clone(),
                completed_on: n.completed_on.clone(),
                notes: n.notes.clone(),
                source: n.source.clone(),
                created_at: now(),
                created_by: self.actor.name.clone(),
            };
            sqlx::query(
                "INSERT INTO training_completions (id, org_id, training_id, email, user_id, completed_on, notes, source,
                    created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&c.id)
            .bind(&self.org_id)
            .bind(&c.training_id)
            .bind(&c.email)
            .bind(&c.user_id)
            .bind(&c.completed_on)
            .bind(&c.notes)
            .bind(&c.source)
            .bind(&c.created_at)
            .bind(&c.created_by)
            .execute(&mut *self.tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!(
                    "{} already completed this campaign on {}",
                    c.email, c.completed_on
                )),
                other => other,
            })?;
            self.record::<(), _>("complete", "training", &c.training_id, None, Some(&c))
                .await?;
            out.push(c);
        }
        Ok(out)
    }

    pub async fn add_supplier_review(
        &mut self,
        supplier_id: &str,
        reviewed_on: &str,
        result: &str,
        notes: &str,
        evidence: &str,
    ) -> Result<SupplierReview, StoreError> {
        let r = SupplierReview {
            id: new_id(),
            supplier_id: supplier_id.to_owned(),
            reviewed_on: reviewed_on.to_owned(),
            result: result.to_owned(),
            notes: notes.to_owned(),
            evidence: evidence.to_owned(),
            created_at: now(),
            created_by: self.actor.name.clone(),
        };
        sqlx::query(
            "INSERT INTO supplier_reviews (id, org_id, supplier_id, reviewed_on, result, notes, evidence, created_at,
                created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&r.id)
        .bind(&self.org_id)
        .bind(&r.supplier_id)
        .bind(&r.reviewed_on)
        .bind(&r.result)
        .bind(&r.notes)
        .bind(&r.evidence)
        .bind(&r.created_at)
        .bind(&r.created_by)
        .execute(&mut *self.tx)
        .await?;
        self.record::<(), _>("review", "supplier", supplier_id, None, Some(&r))
            .await?;
        Ok(r)
    }

    /// The latest review date of a supplier, if any.
    pub async fn last_supplier_review(&mut self, supplier_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT MAX(reviewed_on) FROM supplier_reviews WHERE org_id = $1 AND supplier_id = $2")
                .bind(&self.org_id)
                .bind(supplier_id)
                .fetch_one(&mut *self.tx)
                .await?,
        )
    }

    /// Sets whether a requirement is addressed: linked with `addresses`, in
    /// either direction, to a record of `kinds`. The link's event is the trace.
    pub async fn refresh_requirement(&mut self, requirement_id: &str, kinds: &[&str]) -> Result<(), StoreError> {
        let mut sql = Sql::new("");
        let (o, r) = (sql.text_arg(&self.org_id), sql.text_arg(requirement_id));
        let kinds: Vec<String> = kinds.iter().map(|s| (*s).to_owned()).collect();
        let list = sql.text_list(&kinds);
        sql.push(&format!(
            "UPDATE party_requirements SET addressed = CASE WHEN EXISTS (
                 SELECT 1 FROM record_links WHERE org_id = {o} AND link_type = 'addresses'
                   AND ((to_kind = 'requirement' AND to_id = {r} AND from_kind IN ({list}))
                     OR (from_kind = 'requirement' AND from_id = {r} AND to_kind IN ({list})))
               ) THEN 'addressed' ELSE 'unaddressed' END
             WHERE org_id = {o} AND id = {r}"
        ));
        sql.query().execute(&mut *self.tx).await?;
        Ok(())
    }
}
