//! Beside the nonconformity and corrective-action registers (clause 10.2):
//! each nonconformity's root-cause analysis, verifications of corrective
//! actions, and recurrence.
//!
//! Recurrence is kept, not searched for: every live nonconformity's
//! clauses and controls (`pawl_domain::nonconformity::recurrence_keys`,
//! which says why a cause category is none) are rows of `nonconformity_keys`
//! with the twelve months either side of when it was found. Two
//! nonconformities recur when they share a key and each lies in the
//! other's window, which is symmetric; so adding one flags exactly the
//! rows an index range read finds, and only removing one needs the others
//! checked again.

use crate::row::{check_version, new_id, now};
use crate::sql::Sql;
use crate::{AuditedTx, OrgReader, StoreError};
use pawl_domain::nonconformity::{Effectiveness, RootCauseAnalysis};
use pawl_domain::register::{Value, CORRECTIVE_ACTION, NONCONFORMITY};
use serde::Serialize;
use sqlx::Row;

/// A nonconformity's stored analysis.
#[derive(Debug, Clone, Serialize)]
pub struct StoredAnalysis {
    pub analysis: RootCauseAnalysis,
    pub updated_at: String,
    pub updated_by: String,
    pub version: i64,
}

/// One verification of a corrective action's effectiveness.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub id: String,
    pub action_id: String,
    pub result: String,
    pub verified_on: String,
    pub verifier_user_id: String,
    pub verifier: String,
    pub notes: String,
    pub evidence: String,
    pub created_at: String,
}

/// What a new verification says.
#[derive(Debug, Clone)]
pub struct NewVerification {
    pub action_id: String,
    pub result: Effectiveness,
    pub verified_on: String,
    pub verifier_user_id: String,
    pub verifier: String,
    pub notes: String,
    pub evidence: String,
}

/// Another nonconformity that recurs with one, on a shared key.
#[derive(Debug, Clone, Serialize)]
pub struct Recurrence {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub detected_on: String,
    /// `clause:9.2` or `annex:A.8.13`.
    pub key: String,
}

/// The keys of one nonconformity and the window they recur in.
#[derive(Debug, Clone)]
pub struct RecurrenceKeys {
    pub detected_on: String,
    pub window_start: String,
    pub window_end: String,
    pub keys: Vec<String>,
}

impl OrgReader<'_> {
    /// The root-cause analysis of a nonconformity, if one was recorded.
    pub async fn root_cause(&self, nonconformity_id: &str) -> Result<Option<StoredAnalysis>, StoreError> {
        let row = sqlx::query(
            "SELECT analysis, updated_at, updated_by, version FROM root_cause_analyses
             WHERE org_id = $1 AND nonconformity_id = $2",
        )
        .bind(&self.org_id)
        .bind(nonconformity_id)
        .fetch_optional(&self.store.read)
        .await?;
        row.map(|r| {
            let text: String = r.try_get(0)?;
            Ok(StoredAnalysis {
                analysis: serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("root-cause analysis of {nonconformity_id}: {e}")))?,
                updated_at: r.try_get(1)?,
                updated_by: r.try_get(2)?,
                version: r.try_get(3)?,
            })
        })
        .transpose()
    }

    /// The verifications of a corrective action, newest first.
    pub async fn verifications(&self, action_id: &str) -> Result<Vec<Verification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT id, action_id, result, verified_on, verifier_user_id, {}, notes, evidence, created_at
                 FROM ca_verifications WHERE org_id = $1 AND action_id = $2 ORDER BY created_at DESC, id DESC",
            crate::person_name("verifier_user_id", "verifier_name")
        ))
        .bind(&self.org_id)
        .bind(action_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Verification {
                    id: r.try_get(0)?,
                    action_id: r.try_get(1)?,
                    result: r.try_get(2)?,
                    verified_on: r.try_get(3)?,
                    verifier_user_id: r.try_get(4)?,
                    verifier: r.try_get(5)?,
                    notes: r.try_get(6)?,
                    evidence: r.try_get(7)?,
                    created_at: r.try_get(8)?,
                })
            })
            .collect()
    }

    /// (reference, status) of a nonconformity's live corrective actions.
    pub async fn action_states(&self, nonconformity_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        action_states(&self.store.read, &self.org_id, nonconformity_id).await
    }

    /// How many changes to the ISMS a nonconformity or its actions record
    /// (links of type `changed`).
    pub async fn changes_recorded(&self, nonconformity_id: &str) -> Result<usize, StoreError> {
        changes_recorded(&self.store.read, &self.org_id, nonconformity_id).await
    }

    /// The other live nonconformities that recur with one: sharing a
    /// clause or control within twelve months either side.
    pub async fn recurrences(&self, nonconformity_id: &str) -> Result<Vec<Recurrence>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT n.id, n.reference, n.title, b.detected_on, b.key
             FROM nonconformity_keys a
             JOIN nonconformity_keys b ON b.org_id = a.org_id AND b.key = a.key
                 AND b.nonconformity_id <> a.nonconformity_id
                 AND b.detected_on >= a.window_start AND b.detected_on <= a.window_end
             JOIN nonconformities n ON n.id = b.nonconformity_id AND n.org_id = b.org_id
             WHERE a.nonconformity_id = $2 AND {} = $1
             ORDER BY b.detected_on DESC, n.reference, b.key LIMIT 200",
            self.store.engine.unindexed("a.org_id")
        ))
        .bind(&self.org_id)
        .bind(nonconformity_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Recurrence {
                    id: r.try_get(0)?,
                    reference: r.try_get(1)?,
                    title: r.try_get(2)?,
                    detected_on: r.try_get(3)?,
                    key: r.try_get(4)?,
                })
            })
            .collect()
    }
}

async fn action_states<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    org_id: &str,
    nonconformity_id: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT reference, status FROM corrective_actions
         WHERE org_id = $1 AND nonconformity_id = $2 AND deleted_at IS NULL ORDER BY reference",
    )
    .bind(org_id)
    .bind(nonconformity_id)
    .fetch_all(e)
    .await?)
}

async fn changes_recorded<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    org_id: &str,
    nonconformity_id: &str,
) -> Result<usize, StoreError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM record_links WHERE org_id = $1 AND link_type = 'changed' AND (
             (from_kind = 'nonconformity' AND from_id = $2)
             OR (from_kind = 'corrective_action' AND from_id IN (
                 SELECT id FROM corrective_actions WHERE org_id = $1 AND nonconformity_id = $2 AND deleted_at IS NULL)))",
    )
    .bind(org_id)
    .bind(nonconformity_id)
    .fetch_one(e)
    .await?;
    Ok(n as usize)
}

impl AuditedTx {
    /// [`OrgReader::action_states`] inside this transaction.
    pub async fn action_states(&mut self, nonconformity_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        action_states(&mut *self.tx, &self.org_id, nonconformity_id).await
    }

    /// [`OrgReader::changes_recorded`] inside this transaction.
    pub async fn changes_recorded(&mut self, nonconformity_id: &str) -> Result<usize, StoreError> {
        changes_recorded(&mut *self.tx, &self.org_id, nonconformity_id).await
    }

    /// Records a nonconformity's root-cause analysis, replacing the last,
    /// and keeps its statement and category on the nonconformity. The same
    /// analysis saved again changes nothing: no new version, and no event
    /// whose before and after are alike in the audit trail.
    pub async fn set_root_cause(
        &mut self,
        nonconformity_id: &str,
        analysis: &RootCauseAnalysis,
        expected: Option<i64>,
    ) -> Result<StoredAnalysis, StoreError> {
        let nc = self.record_for_update(&NONCONFORMITY, nonconformity_id).await?;
        let before: Option<(String, i64, String, String)> = sqlx::query_as(
            "SELECT analysis, version, updated_at, updated_by FROM root_cause_analyses
             WHERE org_id = $1 AND nonconformity_id = $2",
        )
        .bind(&self.org_id)
        .bind(nonconformity_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let old_version = before.as_ref().map_or(0, |b| b.1);
        check_version("root-cause analysis", old_version, expected)?;
        let before_analysis: Option<RootCauseAnalysis> =
            before.as_ref().and_then(|(t, ..)| serde_json::from_str(t).ok());
        if let Some((_, _, updated_at, updated_by)) =
            before.as_ref().filter(|_| before_analysis.as_ref() == Some(analysis))
        {
            return Ok(StoredAnalysis {
                analysis: analysis.clone(),
                updated_at: updated_at.clone(),
                updated_by: updated_by.clone(),
                version: old_version,
            });
        }
        let text = serde_json::to_string(analysis)
            .map_err(|e| StoreError::Corrupt(format!("cannot encode the analysis: {e}")))?;
        let stored = StoredAnalysis {
            analysis: analysis.clone(),
            updated_at: now(),
            updated_by: self.actor.name.clone(),
            version: old_version + 1,
        };
        let sql = if before.is_some() {
            "UPDATE root_cause_analyses SET analysis = $3, updated_at = $4, updated_by = $5, version = $6
             WHERE org_id = $1 AND nonconformity_id = $2"
        } else {
            "INSERT INTO root_cause_analyses (org_id, nonconformity_id, analysis, updated_at, updated_by, version)
             VALUES ($1, $2, $3, $4, $5, $6)"
        };
        sqlx::query(sql)
            .bind(&self.org_id)
            .bind(nonconformity_id)
            .bind(&text)
            .bind(&stored.updated_at)
            .bind(&stored.updated_by)
            .bind(stored.version)
            .execute(&mut *self.tx)
            .await?;
        self.record(
            "root_cause",
            NONCONFORMITY.key,
            nonconformity_id,
            before_analysis.as_ref(),
            Some(analysis),
        )
        .await?;
        let mut values = nc.values.clone();
        for (field, value) in [
            ("root_cause", &analysis.statement),
            ("root_cause_category", &analysis.category),
        ] {
            if let Some(i) = NONCONFORMITY.index_of(field) {
                values[i] = Value::Text(value.clone());
            }
        }
        self.update_record(&NONCONFORMITY, nonconformity_id, values, None)
            .await?;
        Ok(stored)
    }

    /// Records a verification of a corrective action; the caller moves the
    /// action (and, when it did not work, its nonconformity) in this
    /// transaction.
    pub async fn add_verification(&mut self, v: &NewVerification) -> Result<Verification, StoreError> {
        let stored = Verification {
            id: new_id(),
            action_id: v.action_id.clone(),
            result: v.result.as_str().to_owned(),
            verified_on: v.verified_on.clone(),
            verifier_user_id: v.verifier_user_id.clone(),
            verifier: v.verifier.clone(),
            notes: v.notes.clone(),
            evidence: v.evidence.clone(),
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO ca_verifications (id, org_id, action_id, result, verified_on, verifier_user_id, verifier_name,
                notes, evidence, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&stored.id)
        .bind(&self.org_id)
        .bind(&stored.action_id)
        .bind(&stored.result)
        .bind(&stored.verified_on)
        .bind(&stored.verifier_user_id)
        .bind(&stored.verifier)
        .bind(&stored.notes)
        .bind(&stored.evidence)
        .bind(&stored.created_at)
        .execute(&mut *self.tx)
        .await?;
        self.record::<(), _>("verify", "corrective_action", &v.action_id, None, Some(&stored))
            .await?;
        Ok(stored)
    }

    /// Replaces a nonconformity's recurrence keys (none when it is retired)
    /// and keeps every affected nonconformity's `recurring` flag true.
    pub async fn set_recurrence_keys(
        &mut self,
        nonconformity_id: &str,
        keys: Option<&RecurrenceKeys>,
    ) -> Result<(), StoreError> {
        // Its own keys by the primary key: the key index would read the organisation's.
        let own = format!("nonconformity_id = $2 AND {} = $1", self.engine.unindexed("org_id"));
        let old: Vec<(String, String, String)> = sqlx::query_as(&format!(
            "SELECT key, window_start, window_end FROM nonconformity_keys WHERE {own}"
        ))
        .bind(&self.org_id)
        .bind(nonconformity_id)
        .fetch_all(&mut *self.tx)
        .await?;
        let unchanged = match keys {
            Some(k) => {
                old.len() == k.keys.len()
                    && old
                        .iter()
                        .all(|(key, s, e)| k.keys.contains(key) && *s == k.window_start && *e == k.window_end)
            }
            None => old.is_empty(),
        };
        if unchanged {
            return Ok(());
        }
        sqlx::query(&format!("DELETE FROM nonconformity_keys WHERE {own}"))
            .bind(&self.org_id)
            .bind(nonconformity_id)
            .execute(&mut *self.tx)
            .await?;
        // Those it recurred with may recur with nothing now: read from the
        // keys in its old windows, each checked again through its own keys.
        let engine = self.engine;
        if !old.is_empty() {
            let mut sql = Sql::new("");
            let org = sql.text_arg(&self.org_id);
            let me = sql.text_arg(nonconformity_id);
            let ranges: Vec<String> = old
                .iter()
                .map(|(key, start, end)| {
                    let (k, s, e) = (sql.text_arg(key), sql.text_arg(start), sql.text_arg(end));
                    format!(
                        "SELECT b.nonconformity_id FROM nonconformity_keys b WHERE b.org_id = {org} AND b.key = {k}
                           AND b.detected_on >= {s} AND b.detected_on <= {e} AND b.nonconformity_id <> {me}"
                    )
                })
                .collect();
            sql.push(&format!(
                "UPDATE nonconformities SET recurring = '' WHERE id IN ({}) AND {} = {org} AND {} <> ''
                   AND NOT EXISTS (
                     SELECT 1 FROM nonconformity_keys a CROSS JOIN nonconformity_keys c
                     WHERE a.nonconformity_id = nonconformities.id AND {} = {org} AND c.org_id = a.org_id
                       AND c.key = a.key AND c.nonconformity_id <> a.nonconformity_id
                       AND c.detected_on >= a.window_start AND c.detected_on <= a.window_end)",
                ranges.join(" UNION "),
                engine.unindexed("org_id"),
                engine.unindexed("recurring"),
                engine.unindexed("a.org_id"),
            ));
            sql.query().execute(&mut *self.tx).await?;
        }
        sqlx::query("UPDATE nonconformities SET recurring = '' WHERE org_id = $1 AND id = $2")
            .bind(&self.org_id)
            .bind(nonconformity_id)
            .execute(&mut *self.tx)
            .await?;
        let Some(k) = keys.filter(|k| !k.keys.is_empty()) else {
            return Ok(());
        };
        for key in &k.keys {
            sqlx::query(
                "INSERT INTO nonconformity_keys (org_id, nonconformity_id, key, detected_on, window_start, window_end)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&self.org_id)
            .bind(nonconformity_id)
            .bind(key)
            .bind(&k.detected_on)
            .bind(&k.window_start)
            .bind(&k.window_end)
            .execute(&mut *self.tx)
            .await?;
        }
        // Every other one in its window on a shared key recurs. Those not yet
        // flagged are few, so they are read first, each checked through its
        // own keys; and this one recurs if any other is in its window.
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let me = sql.text_arg(nonconformity_id);
        let (s, e) = (sql.text_arg(&k.window_start), sql.text_arg(&k.window_end));
        let list = sql.text_list(&k.keys);
        sql.push(&format!(
            "UPDATE nonconformities SET recurring = 'recurring'
             WHERE org_id = {org} AND deleted_at IS NULL AND recurring = '' AND id <> {me}
               AND EXISTS (SELECT 1 FROM nonconformity_keys b WHERE b.nonconformity_id = nonconformities.id
                   AND {} = {org} AND b.key IN ({list}) AND b.detected_on >= {s} AND b.detected_on <= {e})",
            engine.unindexed("b.org_id"),
        ));
        sql.query().execute(&mut *self.tx).await?;
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let me = sql.text_arg(nonconformity_id);
        let (s, e) = (sql.text_arg(&k.window_start), sql.text_arg(&k.window_end));
        let list = sql.text_list(&k.keys);
        sql.push(&format!(
            "UPDATE nonconformities SET recurring = 'recurring' WHERE org_id = {org} AND id = {me}
               AND EXISTS (SELECT 1 FROM nonconformity_keys b WHERE b.org_id = {org} AND b.key IN ({list})
                   AND b.detected_on >= {s} AND b.detected_on <= {e} AND b.nonconformity_id <> {me})"
        ));
        sql.query().execute(&mut *self.tx).await?;
        Ok(())
    }
}

/// Open records of a register by age, and how many of them are overdue.
#[derive(Debug, Clone, Serialize)]
pub struct AgeBucket {
    /// e.g. "0-30 days".
    pub label: &'static str,
    pub open: i64,
    pub overdue: i64,
}

/// The age bands of the ageing report, by days open.
pub const AGE_BANDS: [(&str, i64); 4] = [
    ("0-30 days", 30),
    ("31-90 days", 90),
    ("91-180 days", 180),
    ("over 180 days", i64::MAX),
];

impl OrgReader<'_> {
    /// Open nonconformities (by when they were found) and open corrective
    /// actions (by when they were planned) in age bands on `today`, each
    /// with how many are past their due date: one grouped read each.
    pub async fn ageing(&self, today: time::Date) -> Result<(Vec<AgeBucket>, Vec<AgeBucket>), StoreError> {
        let mut out = Vec::new();
        for (kind, since) in [(&NONCONFORMITY, "detected_on"), (&CORRECTIVE_ACTION, "created_at")] {
            let mut sql = Sql::new("");
            let org = sql.text_arg(&self.org_id);
            let t = sql.text_arg(today.to_string());
            // The open states, each a range of the kind's ageing index.
            let open: Vec<String> = kind
                .workflow
                .map(|w| w.states.iter().filter(|s| s.open).map(|s| s.code.to_owned()).collect())
                .unwrap_or_default();
            let open = sql.text_list(&open);
            let table = kind.table;
            let mut cases = Vec::new();
            for (i, (_, days)) in AGE_BANDS.iter().enumerate().take(AGE_BANDS.len() - 1) {
                let from = sql.text_arg((today - time::Duration::days(*days)).to_string());
                cases.push(format!("WHEN {since} >= {from} THEN {i}"));
            }
            sql.push(&format!(
                "SELECT CAST(CASE {} ELSE {} END AS BIGINT) AS band, COUNT(*), SUM(CASE WHEN due_date < {t} THEN 1 ELSE 0 END)
                 FROM {table} WHERE org_id = {org} AND deleted_at IS NULL AND status IN ({open})
                 GROUP BY band",
                cases.join(" "),
                AGE_BANDS.len() - 1
            ));
            let rows = sql.query().fetch_all(&self.store.read).await?;
            let mut buckets: Vec<AgeBucket> = AGE_BANDS
                .iter()
                .map(|(label, _)| AgeBucket {
                    label,
                    open: 0,
                    overdue: 0,
                })
                .collect();
            for r in rows {
                let band: i64 = r.try_get(0)?;
                if let Some(b) = buckets.get_mut(band as usize) {
                    b.open = r.try_get(1)?;
                    b.overdue = r.try_get::<Option<i64>, _>(2)?.unwrap_or(0);
                }
            }
            out.push(buckets);
        }
        let cas = out.pop().unwrap_or_default();
        let ncs = out.pop().unwrap_or_default();
        Ok((ncs, cas))
    }
}
