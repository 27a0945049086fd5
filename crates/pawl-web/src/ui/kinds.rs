//! What each declared kind adds to its record page: the one table that
//! ties a kind's declaration to the page module that draws its sections.
//! The generic record page reaches a kind's sections only through
//! [`sections`].

use super::section::Section;
use crate::{ApiError, AppState};
use pawl_app::Principal;
use pawl_domain::register::{self as declared, Kind};
use pawl_store::Record;
use std::future::Future;
use std::pin::Pin;

type Drawn<'a> = Pin<Box<dyn Future<Output = Result<Vec<Section>, ApiError>> + Send + 'a>>;
type Draw = for<'a> fn(&'a AppState, &'a Principal, &'a Record) -> Drawn<'a>;

static TABLE: &[(&Kind, Draw)] = &[
    (&declared::ASSET, |s, p, r| {
        Box::pin(super::risk::asset_sections(s, p, r))
    }),
    (&declared::DOCUMENT, |s, p, r| {
        Box::pin(super::document::sections(s, p, r))
    }),
    (&declared::NONCONFORMITY, |s, p, r| {
        Box::pin(super::nonconformity::nc_sections(s, p, r))
    }),
    (&declared::CORRECTIVE_ACTION, |s, p, r| {
        Box::pin(super::nonconformity::ca_sections(s, p, r))
    }),
    (&declared::AUDIT, |s, p, r| {
        Box::pin(super::internal_audit::audit_sections(s, p, r))
    }),
    (&declared::AUDIT_PROGRAMME, |s, p, r| {
        Box::pin(super::internal_audit::programme_sections(s, p, r))
    }),
    (&declared::IMPROVEMENT, |_, _, r| {
        Box::pin(std::future::ready(Ok(super::improvement::improvement_sections(r))))
    }),
    (&declared::INCIDENT, |s, p, r| {
        Box::pin(super::improvement::incident_sections(s, p, r))
    }),
    (&declared::CYCLE, |s, p, r| {
        Box::pin(super::improvement::cycle_sections(s, p, r))
    }),
    (&declared::SUPPLIER, |s, p, r| {
        Box::pin(super::context::supplier_sections(s, p, r))
    }),
    (&declared::INTERESTED_PARTY, |s, p, r| {
        Box::pin(super::context::party_sections(s, p, r))
    }),
    (&declared::TRAINING, |s, p, r| {
        Box::pin(super::context::training_sections(s, p, r))
    }),
    (&declared::METRIC, |s, p, r| {
        Box::pin(super::performance::metric_sections(s, p, r))
    }),
    (&declared::MANAGEMENT_REVIEW, |s, p, r| {
        Box::pin(super::performance::review_sections(s, p, r))
    }),
];

/// The sections a record's kind adds to its page; none for most kinds.
pub(super) async fn sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    match TABLE.iter().find(|(k, _)| std::ptr::eq(*k, r.kind)) {
        Some((_, draw)) => draw(s, p, r).await,
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_a_declared_kind_once() {
        assert_eq!(declared::check_kind_table(TABLE.iter().map(|(k, _)| *k)), Ok(()));
    }
}
