//! The store side of continual improvement (clause 10.1): incident
//! timelines, who submitted a suggestion, whether a lesson drove a change,
//! the counts an ISMS cycle's status is computed from, and the figures a
//! closed cycle froze.

use crate::row::{new_id, now};
use crate::{AuditedTx, OrgReader, StoreError};
use pawl_domain::cycle::CycleInputs;
use serde::Serialize;
use sqlx::Row;

/// A dated entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub id: String,
    pub incident_id: String,
    /// When it happened: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`.
    pub happened_at: String,
    pub entry: String,
    pub created_at: String,
    pub created_by: String,
}

/// Figures frozen with their hash (a closed cycle's, an approved review's
/// pack), as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenFigures {
    /// The figures as JSON text, exactly as hashed.
    pub figures: String,
    pub sha256: String,
    pub frozen_at: String,
    pub frozen_by: String,
}

/// `SUM` of a condition as a whole number on both engines, 0 when empty.
pub(crate) fn sum(cond: &str) -> String {
    format!("CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS BIGINT)")
}

impl OrgReader<'_> {
    pub async fn timeline(&self, incident_id: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, happened_at, entry, created_at, created_by FROM incident_timeline
             WHERE org_id = $1 AND incident_id = $2 ORDER BY happened_at, created_at, id",
        )
        .bind(&self.org_id)
        .bind(incident_id)
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, happened_at, entry, created_at, created_by)| TimelineEntry {
                id,
                incident_id: incident_id.to_owned(),
                happened_at,
                entry,
                created_at,
                created_by,
            })
            .collect())
    }

    /// What a cycle from `starts_on` to `ends_on` (inclusive) counts, as of
    /// `today`: each a single aggregate over a covering index.
    pub async fn cycle_inputs(&self, starts_on: &str, ends_on: &str, today: &str) -> Result<CycleInputs, StoreError> {
        let db = &self.store.read;
        let org = &self.org_id;
        let risk_figures = self.risk_figures(today, &crate::Unacceptable::default()).await?;
        let (risks, risks_overdue) = (risk_figures.live, risk_figures.overdue);
        // Approval times are full timestamps; a day's end is before the next day.
        let after_end = format!("{ends_on}~");
        let (in_cycle, last): (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT MAX(CASE WHEN approved_at >= $2 AND approved_at <= $3 THEN approved_at END), MAX(approved_at)
             FROM soa_versions WHERE org_id = $1",
        )
        .bind(org)
        .bind(starts_on)
        .bind(&after_end)
        .fetch_one(db)
        .await?;
        let day = |s: Option<String>| s.map(|s| s.chars().take(10).collect::<String>());
        let (actions, actions_done, actions_overdue): (i64, i64, i64) = sqlx::query_as(&format!(
            "SELECT COUNT(*), {}, {} FROM treatment_actions WHERE org_id = $1 AND deleted_at IS NULL",
            sum("status = 'done'"),
            sum("status <> 'done' AND due_date < $2")
        ))
        .bind(org)
        .bind(today)
        .fetch_one(db)
        .await?;
        let (documents, documents_published): (i64, i64) = sqlx::query_as(&format!(
            "SELECT COUNT(*), {} FROM documents WHERE org_id = $1 AND deleted_at IS NULL",
            sum("published_version_id IS NOT NULL")
        ))
        .bind(org)
        .fetch_one(db)
        .await?;
        let (trainings_required, trainings_done) = self.training_totals(starts_on, ends_on).await?;
        let (audits, audits_done): (i64, i64) = sqlx::query_as(&format!(
            "SELECT COUNT(*), {} FROM audits WHERE org_id = $1 AND deleted_at IS NULL
               AND status <> 'cancelled' AND start_date >= $2 AND start_date <= $3",
            sum("status IN ('reported', 'closed')")
        ))
        .bind(org)
        .bind(starts_on)
        .bind(ends_on)
        .fetch_one(db)
        .await?;
        // Read as the found-on index reads it, so only the cycle's records are visited.
        let (nonconformities, nonconformities_closed): (i64, i64) = sqlx::query_as(&format!(
            "SELECT COUNT(*), {} FROM nonconformities WHERE org_id = $1 AND deleted_at IS NULL
               AND COALESCE(detected_on, '9999-12-31') >= $2 AND COALESCE(detected_on, '9999-12-31') <= $3",
            sum("status = 'closed'")
        ))
        .bind(org)
        .bind(starts_on)
        .bind(ends_on)
        .fetch_one(db)
        .await?;
        let (improvements, improvements_decided, improvements_effective, improvements_sent_back): (i64, i64, i64, i64) =
            sqlx::query_as(&format!(
                "SELECT COUNT(*), {}, {}, {} FROM improvements WHERE org_id = $1 AND deleted_at IS NULL
                   AND identified_on >= $2 AND identified_on <= $3",
                sum("status IN ('closed', 'withdrawn')"),
                sum("status = 'closed'"),
                sum("sent_back > 0")
            ))
            .bind(org)
            .bind(starts_on)
            .bind(ends_on)
            .fetch_one(db)
            .await?;
        let (incidents, near_misses): (i64, i64) = sqlx::query_as(&format!(
            "SELECT {}, {} FROM incidents WHERE org_id = $1 AND deleted_at IS NULL
               AND detected_on >= $2 AND detected_on <= $3 AND status <> 'dismissed'",
            sum("incident_type = 'incident'"),
            sum("incident_type = 'near_miss'")
        ))
        .bind(org)
        .bind(starts_on)
        .bind(ends_on)
        .fetch_one(db)
        .await?;
        let (lessons, lessons_driven): (i64, i64) = sqlx::query_as(&format!(
            "SELECT COUNT(*), {} FROM lessons WHERE org_id = $1 AND deleted_at IS NULL
               AND learned_on >= $2 AND learned_on <= $3",
            sum("drove_change = 'driven'")
        ))
        .bind(org)
        .bind(starts_on)
        .bind(ends_on)
        .fetch_one(db)
        .await?;
        let (objectives, objectives_met): (i64, i64) = sqlx::query_as(&format!(
            "SELECT COUNT(*), {} FROM objectives WHERE org_id = $1 AND deleted_at IS NULL
               AND status <> 'withdrawn' AND due_date >= $2",
            sum("progress IN ('on_track', 'achieved')")
        ))
        .bind(org)
        .bind(starts_on)
        .fetch_one(db)
        .await?;
        let (metrics, metrics_measured): (i64, i64) = sqlx::query_as(&format!(
            "SELECT COUNT(*), {} FROM metrics WHERE org_id = $1 AND deleted_at IS NULL",
            sum("last_measured_on IS NOT NULL AND next_due >= $2")
        ))
        .bind(org)
        .bind(today)
        .fetch_one(db)
        .await?;
        let (review_held_on,): (Option<String>,) = sqlx::query_as(
            "SELECT MAX(held_on) FROM management_reviews WHERE org_id = $1 AND deleted_at IS NULL
               AND status IN ('held', 'approved') AND held_on >= $2 AND held_on <= $3",
        )
        .bind(org)
        .bind(starts_on)
        .bind(ends_on)
        .fetch_one(db)
        .await?;
        Ok(CycleInputs {
            objectives,
            objectives_met,
            metrics,
            metrics_measured,
            review_held_on,
            risks,
            risks_overdue,
            soa_approved_in_cycle: day(in_cycle),
            soa_last_approved: day(last),
            actions,
            actions_done,
            actions_overdue,
            documents,
            documents_published,
            trainings_required,
            trainings_done,
            audits,
            audits_done,
            nonconformities,
            nonconformities_closed,
            improvements,
            improvements_decided,
            improvements_effective,
            improvements_sent_back,
            incidents,
            near_misses,
            lessons,
            lessons_driven,
        })
    }

    /// Every live lesson and those that drove a change, for the dashboard.
    pub async fn lesson_counts(&self) -> Result<(i64, i64), StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT COUNT(*), {} FROM lessons WHERE org_id = $1 AND deleted_at IS NULL",
            sum("drove_change = 'driven'")
        ))
        .bind(&self.org_id)
        .fetch_one(&self.store.read)
        .await?)
    }

    /// The figures frozen for a record of `kind` (`cycle`, `management_review`).
    pub async fn frozen_figures(&self, kind: &str, record_id: &str) -> Result<Option<FrozenFigures>, StoreError> {
        let row = sqlx::query(
            "SELECT figures, sha256, frozen_at, frozen_by FROM frozen_figures
             WHERE org_id = $1 AND kind = $2 AND record_id = $3",
        )
        .bind(&self.org_id)
        .bind(kind)
        .bind(record_id)
        .fetch_optional(&self.store.read)
        .await?;
        row.map(|r| {
            Ok(FrozenFigures {
                figures: r.try_get(0)?,
                sha256: r.try_get(1)?,
                frozen_at: r.try_get(2)?,
                frozen_by: r.try_get(3)?,
            })
        })
        .transpose()
    }
}

impl AuditedTx {
    /// Adds a dated entry to an incident's timeline.
    pub async fn add_timeline(
        &mut self,
        incident_id: &str,
        happened_at: &str,
        entry: &str,
    ) -> Result<TimelineEntry, StoreError> {
        let e = TimelineEntry {
            id: new_id(),
            incident_id: incident_id.to_owned(),
            happened_at: happened_at.to_owned(),
            entry: entry.to_owned(),
            created_at: now(),
            created_by: self.actor.name.clone(),
        };
        sqlx::query(
            "INSERT INTO incident_timeline (id, org_id, incident_id, happened_at, entry, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&e.id)
        .bind(&self.org_id)
        .bind(&e.incident_id)
        .bind(&e.happened_at)
        .bind(&e.entry)
        .bind(&e.created_at)
        .bind(&e.created_by)
        .execute(&mut *self.tx)
        .await?;
        self.record::<(), _>("create", "incident_timeline", &e.id, None, Some(&e))
            .await?;
        Ok(e)
    }

    /// Who submitted a suggestion, kept apart from its fields so that a
    /// hidden name never reaches a list, a page or an export; only the
    /// submitter's own work reads it. The create event names them.
    pub async fn set_submitter(&mut self, suggestion_id: &str, user_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE suggestions SET submitter_user_id = $1 WHERE org_id = $2 AND id = $3")
            .bind(user_id)
            .bind(&self.org_id)
            .bind(suggestion_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Live links of `link_type` from a record to records of `to_kinds`.
    pub async fn links_from(
        &mut self,
        (kind, id): (&str, &str),
        link_type: &str,
        to_kinds: &[&str],
    ) -> Result<i64, StoreError> {
        let mut sql = crate::sql::Sql::new("");
        let (o, k, i, t) = (
            sql.text_arg(&self.org_id),
            sql.text_arg(kind),
            sql.text_arg(id),
            sql.text_arg(link_type),
        );
        let kinds: Vec<String> = to_kinds.iter().map(|s| (*s).to_owned()).collect();
        let list = sql.text_list(&kinds);
        sql.push(&format!(
            "SELECT COUNT(*) FROM record_links WHERE org_id = {o} AND from_kind = {k} AND from_id = {i}
               AND link_type = {t} AND to_kind IN ({list})"
        ));
        Ok(sql.scalar::<i64>().fetch_one(&mut *self.tx).await?)
    }

    /// Whether this exact link exists.
    pub async fn is_linked(
        &mut self,
        from: (&str, &str),
        link_type: &str,
        to: (&str, &str),
    ) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM record_links WHERE org_id = $1 AND from_kind = $2 AND from_id = $3
               AND link_type = $4 AND to_kind = $5 AND to_id = $6",
        )
        .bind(&self.org_id)
        .bind(from.0)
        .bind(from.1)
        .bind(link_type)
        .bind(to.0)
        .bind(to.1)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(n > 0)
    }

    /// Sets whether a lesson drove a change from its links: one it
    /// `changed` (a document, control, risk, training or improvement), or
    /// an improvement `derived_from` it. The link's own event is the trace.
    pub async fn refresh_lesson_change(&mut self, lesson_id: &str, change_kinds: &[&str]) -> Result<(), StoreError> {
        let mut sql = crate::sql::Sql::new("");
        let (o, l) = (sql.text_arg(&self.org_id), sql.text_arg(lesson_id));
        let kinds: Vec<String> = change_kinds.iter().map(|s| (*s).to_owned()).collect();
        let list = sql.text_list(&kinds);
        sql.push(&format!(
            "UPDATE lessons SET drove_change = CASE WHEN EXISTS (
                 SELECT 1 FROM record_links WHERE org_id = {o} AND from_kind = 'lesson' AND from_id = {l}
                   AND link_type = 'changed' AND to_kind IN ({list})
               ) OR EXISTS (
                 SELECT 1 FROM record_links WHERE org_id = {o} AND to_kind = 'lesson' AND to_id = {l}
                   AND link_type = 'derived_from' AND from_kind = 'improvement'
               ) THEN 'driven' ELSE 'none' END
             WHERE org_id = {o} AND id = {l}"
        ));
        sql.query().execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Stores a record's figures (a closing cycle's, an approved review's
    /// pack) with their hash, and records both in the audit trail, so that
    /// later tampering with either shows.
    pub async fn freeze(
        &mut self,
        kind: &str,
        record_id: &str,
        figures: &str,
        sha256: &str,
    ) -> Result<FrozenFigures, StoreError> {
        let f = FrozenFigures {
            figures: figures.to_owned(),
            sha256: sha256.to_owned(),
            frozen_at: now(),
            frozen_by: self.actor.name.clone(),
        };
        sqlx::query(
            "INSERT INTO frozen_figures (org_id, kind, record_id, figures, sha256, frozen_at, frozen_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&self.org_id)
        .bind(kind)
        .bind(record_id)
        .bind(&f.figures)
        .bind(&f.sha256)
        .bind(&f.frozen_at)
        .bind(&f.frozen_by)
        .execute(&mut *self.tx)
        .await?;
        #[derive(Serialize)]
        struct Frozen<'a> {
            figures_sha256: &'a str,
            figures: serde_json::Value,
        }
        let figures: serde_json::Value =
            serde_json::from_str(figures).map_err(|e| StoreError::Corrupt(format!("{kind} figures: {e}")))?;
        self.record_event(
            "freeze",
            kind,
            record_id,
            &Frozen {
                figures_sha256: sha256,
                figures,
            },
        )
        .await?;
        Ok(f)
    }
}
