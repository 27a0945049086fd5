//! ISMS cycles (clause 10.1): a cycle's status computed from the live
//! records while it is open, frozen and hashed into the audit trail when
//! it closes, and two cycles compared side by side.

use crate::rules::{Cx, KindRules, Move};
use crate::{today, AppError};
use pawl_domain::cycle::{figures, CycleFigures};
use pawl_domain::register::fields;
use pawl_domain::register::{Value, CYCLE};
use pawl_domain::{DomainError, Problems};
use pawl_store::{AuditedTx, ListQuery, Record, RecordFilter, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A cycle with its figures: live while open, as frozen once closed.
#[derive(Debug, Clone, Serialize)]
pub struct CycleStatus {
    pub id: String,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub status: String,
    /// The figures were frozen when the cycle closed, and are not live.
    pub frozen: bool,
    pub frozen_at: Option<String>,
    pub frozen_by: Option<String>,
    /// The SHA-256 of the frozen figures, as the audit trail records it.
    pub sha256: Option<String>,
    /// The frozen figures still match their hash.
    pub intact: bool,
    #[serde(flatten)]
    pub figures: CycleFigures,
}

fn day_after(d: &str) -> Option<String> {
    let d = pawl_domain::time_fmt::parse_date("ends_on", d).ok()?;
    d.replace_year(d.year() + 1)
        .ok()
        .map(|d| d.previous_day().unwrap_or(d).to_string())
}

/// The cycle register's rules (clause 10.1): dates that do not overlap,
/// and figures frozen when a cycle closes.
pub struct CycleRules;

impl KindRules for CycleRules {
    type Found = ();

    async fn check(&self, cx: &Cx<'_>, current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
        check(cx.store, cx.org_id, current, values).await
    }

    async fn after_move(
        &self,
        store: &Store,
        tx: &mut AuditedTx,
        m: &Move<'_>,
        moved: &Record,
    ) -> Result<(), AppError> {
        if m.to == "closed" {
            freeze(store, &m.mover.organisation.id, tx, moved).await?;
        }
        Ok(())
    }
}

/// A cycle's values before they are stored: a year from its start unless
/// its end is given; it may not overlap another, and a closed one keeps
/// its name and dates.
async fn check(store: &Store, org_id: &str, current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
    let k = &CYCLE;
    let starts = fields::cycle::STARTS_ON.text(values);
    if fields::cycle::ENDS_ON.text(values).is_empty() {
        if let Some(end) = day_after(&starts) {
            fields::cycle::ENDS_ON.set(values, Value::OptText(Some(end)));
        }
    }
    let ends = fields::cycle::ENDS_ON.text(values);
    let mut p = Problems::default();
    if !starts.is_empty() && !ends.is_empty() && ends <= starts {
        p.push("ends_on", "a cycle ends after it starts");
    }
    if let Some(c) = current.filter(|c| c.status.as_deref() == Some("closed")) {
        for f in ["name", "starts_on", "ends_on"] {
            if c.text(f) != k.text(values, f) {
                p.push(
                    f,
                    "the cycle is closed and its figures frozen; its name and dates cannot change",
                );
            }
        }
    }
    p.finish()?;
    let others = store
        .org(org_id)
        .records(
            &CYCLE,
            &RecordFilter::default(),
            &ListQuery {
                limit: Some(500),
                skip_total: true,
                ..Default::default()
            },
        )
        .await?;
    for o in others.items.iter().filter(|o| Some(&o.id) != current.map(|c| &c.id)) {
        if fields::cycle::STARTS_ON.text(&o.values) <= ends && starts <= fields::cycle::ENDS_ON.text(&o.values) {
            return Err(DomainError::field(
                "starts_on",
                format!(
                    "overlaps the cycle {} ({} to {}); cycles follow one another",
                    o.title(),
                    fields::cycle::STARTS_ON.text(&o.values),
                    fields::cycle::ENDS_ON.text(&o.values)
                ),
            )
            .into());
        }
    }
    Ok(())
}

async fn live_figures(store: &Store, org_id: &str, c: &Record) -> Result<CycleFigures, AppError> {
    let inputs = store
        .org(org_id)
        .cycle_inputs(
            &fields::cycle::STARTS_ON.text(&c.values),
            &fields::cycle::ENDS_ON.text(&c.values),
            &today().to_string(),
        )
        .await?;
    Ok(figures(&inputs))
}

fn sha256(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The status of a cycle: its frozen figures once closed, else live.
pub async fn status(store: &Store, org_id: &str, c: &Record) -> Result<CycleStatus, AppError> {
    let frozen = store.org(org_id).frozen_figures(CYCLE.key, &c.id).await?;
    let (figures, intact) = match &frozen {
        Some(f) => (
            serde_json::from_str::<CycleFigures>(&f.figures)
                .map_err(|e| AppError::Store(pawl_store::StoreError::Corrupt(format!("frozen cycle figures: {e}"))))?,
            sha256(&f.figures) == f.sha256,
        ),
        None => (live_figures(store, org_id, c).await?, true),
    };
    Ok(CycleStatus {
        id: c.id.clone(),
        name: c.title(),
        starts_on: fields::cycle::STARTS_ON.text(&c.values),
        ends_on: fields::cycle::ENDS_ON.text(&c.values),
        status: c.status.clone().unwrap_or_default(),
        frozen: frozen.is_some(),
        frozen_at: frozen.as_ref().map(|f| f.frozen_at.clone()),
        frozen_by: frozen.as_ref().map(|f| f.frozen_by.clone()),
        sha256: frozen.map(|f| f.sha256),
        intact,
        figures,
    })
}

/// Freezes a closing cycle's figures in `tx`: stored, hashed, the hash on
/// the cycle and both in the audit trail.
pub async fn freeze(store: &Store, org_id: &str, tx: &mut AuditedTx, c: &Record) -> Result<Record, AppError> {
    let figures = live_figures(store, org_id, c).await?;
    let json = serde_json::to_string(&figures)
        .map_err(|e| AppError::Store(pawl_store::StoreError::Corrupt(format!("cycle figures: {e}"))))?;
    let hash = sha256(&json);
    tx.freeze(CYCLE.key, &c.id, &json, &hash).await?;
    let mut values = c.values.clone();
    fields::cycle::FIGURES_HASH.set(&mut values, Value::Text(hash));
    Ok(tx.update_record(&CYCLE, &c.id, values, None).await?)
}

/// A cycle by its name (`2025`) or id.
pub async fn find(store: &Store, org_id: &str, name: &str, field: &str) -> Result<Record, AppError> {
    let reader = store.org(org_id);
    match reader.find_record(CYCLE.key, name).await? {
        Some(id) => Ok(reader.record(&CYCLE, &id).await?),
        None => Err(DomainError::field(field, format!("no cycle is named {name:?}")).into()),
    }
}

/// Two cycles side by side, each as its status page shows it.
pub async fn compare(store: &Store, org_id: &str, a: &str, b: &str) -> Result<(CycleStatus, CycleStatus), AppError> {
    let (ra, rb) = (find(store, org_id, a, "a").await, find(store, org_id, b, "b").await);
    let (ra, rb) = match (ra, rb) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(AppError::Invalid(DomainError::Invalid(mut e1))), Err(AppError::Invalid(DomainError::Invalid(e2)))) => {
            e1.extend(e2);
            return Err(DomainError::Invalid(e1).into());
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    Ok((status(store, org_id, &ra).await?, status(store, org_id, &rb).await?))
}

/// The open cycle that today falls in, if any: the home page's.
pub async fn current(store: &Store, org_id: &str) -> Result<Option<Record>, AppError> {
    let today = today().to_string();
    let page = store
        .org(org_id)
        .records(
            &CYCLE,
            &RecordFilter::default(),
            &ListQuery {
                limit: Some(500),
                skip_total: true,
                ..Default::default()
            },
        )
        .await?;
    Ok(page
        .items
        .into_iter()
        .find(|c| fields::cycle::STARTS_ON.text(&c.values) <= today && today <= fields::cycle::ENDS_ON.text(&c.values)))
}
