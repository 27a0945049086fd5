//! The evidence request's rules (clause 9.2.2): its clauses and controls
//! read against the catalog, asked by whoever records it unless named, and
//! kept as it was once its answer is accepted. The answer and the
//! auditor's comment are recorded by the moves that give them (declared in
//! `pawl_domain::register::EVIDENCE_REQUEST`).

use crate::rules::{Cx, KindRules};
use crate::AppError;
use pawl_domain::register::{Value, EVIDENCE_REQUEST};
use pawl_store::{Record, StoreError};

pub struct EvidenceRequestRules;

impl KindRules for EvidenceRequestRules {
    type Found = ();
    const CREATOR: Option<&'static str> = Some("requested_by");

    async fn check(&self, _: &Cx<'_>, current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
        if let Some(c) = current.filter(|c| c.status.as_deref() == Some("accepted")) {
            return Err(AppError::Store(StoreError::Conflict(format!(
                "{} was accepted and is kept as it was; ask again in a new request",
                c.title()
            ))));
        }
        Ok(crate::input::catalog_ids(&EVIDENCE_REQUEST, values)?)
    }
}
