//! The registers kept outside the register machinery, exported as tables
//! like any register (clause 7.5.3): applied controls, their checks and the
//! evidence list (its metadata; the files stay behind their downloads).
//! `pawl export` and `GET /api/v1/{path}/export` serve them beside the
//! declared registers.

use crate::AppError;
use pawl_store::{ControlFilter, Cursor, ListQuery, Page, Store};
use std::collections::HashMap;

/// A register outside the machinery that exports as a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outside {
    AppliedControls,
    ControlChecks,
    Evidence,
}

impl Outside {
    pub const ALL: [Outside; 3] = [Outside::AppliedControls, Outside::ControlChecks, Outside::Evidence];

    /// Its name in URLs and on the command line.
    pub fn path(self) -> &'static str {
        match self {
            Outside::AppliedControls => "controls",
            Outside::ControlChecks => "checks",
            Outside::Evidence => "evidence",
        }
    }

    /// For people: "Applied controls".
    pub fn plural(self) -> &'static str {
        match self {
            Outside::AppliedControls => "Applied controls",
            Outside::ControlChecks => "Control checks",
            Outside::Evidence => "Evidence",
        }
    }

    pub fn of_path(path: &str) -> Option<Outside> {
        Self::ALL.into_iter().find(|o| o.path() == path)
    }
}

/// A register as a header and rows of cells as people read them.
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table as CSV, formula-like cells neutralised.
    pub fn csv(&self) -> Result<Vec<u8>, AppError> {
        crate::csv_out::csv_bytes(&self.header, &self.rows)
    }
}

/// Reads every page of a list, 500 at a time.
async fn every_page<T, F, Fut>(mut page: F) -> Result<Vec<T>, AppError>
where
    F: FnMut(ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, pawl_store::StoreError>>,
{
    let (mut all, mut cursor) = (Vec::new(), None);
    loop {
        let p = page(ListQuery {
            limit: Some(500),
            cursor,
            skip_total: true,
            ..Default::default()
        })
        .await?;
        all.extend(p.items);
        match p.next_cursor {
            Some(c) => cursor = Some(Cursor::decode(&c)?),
            None => return Ok(all),
        }
    }
}

fn day(instant: &str) -> String {
    instant[..10.min(instant.len())].to_owned()
}

/// One register outside the machinery as a table, in its list's order.
pub async fn table(store: &Store, org_id: &str, which: Outside) -> Result<Table, AppError> {
    let reader = store.org(org_id);
    let filter = ControlFilter::default();
    let controls = every_page(|q| {
        let (reader, filter) = (&reader, &filter);
        async move { reader.applied_controls(filter, &q).await }
    })
    .await?;
    let control_name: HashMap<&str, String> = controls
        .iter()
        .map(|c| (c.id.as_str(), format!("{} {}", c.reference, c.name)))
        .collect();
    Ok(match which {
        Outside::AppliedControls => {
            let risk_refs: Vec<(String, String)> = controls
                .iter()
                .flat_map(|c| c.risk_ids.iter().map(|r| ("risk".to_owned(), r.clone())))
                .collect();
            let risks = reader.record_names(&risk_refs).await?;
            Table {
                header: vec![
                    "Reference",
                    "Name",
                    "Description",
                    "Category",
                    "Owner",
                    "Status",
                    "Implemented on",
                    "Annex A controls",
                    "Risks treated",
                    "Documents",
                    "Created",
                    "Updated",
                    "Version",
                ],
                rows: controls
                    .iter()
                    .map(|c| {
                        let treated: Vec<String> = c
                            .risk_ids
                            .iter()
                            .map(|r| {
                                risks
                                    .get(&("risk".to_owned(), r.clone()))
                                    .map_or_else(|| r.clone(), |n| n.reference.clone())
                            })
                            .collect();
                        vec![
                            c.reference.clone(),
                            c.name.clone(),
                            c.description.clone(),
                            c.category.clone(),
                            c.owner_name.clone(),
                            pawl_domain::control::ControlStatus::parse(&c.status)
                                .map_or_else(|_| c.status.clone(), |s| s.label().to_owned()),
                            c.implemented_on.clone().unwrap_or_default(),
                            c.annex_ids.join(", "),
                            treated.join(", "),
                            c.documents.clone(),
                            day(&c.created_at),
                            day(&c.updated_at),
                            c.version.to_string(),
                        ]
                    })
                    .collect(),
            }
        }
        Outside::ControlChecks => Table {
            header: vec![
                "Applied control",
                "What is checked",
                "Method",
                "Every (days)",
                "Tester",
                "Next due",
                "Created",
                "Updated",
                "Version",
            ],
            rows: reader
                .all_checks()
                .await?
                .into_iter()
                .map(|k| {
                    vec![
                        control_name.get(k.control_id.as_str()).cloned().unwrap_or(k.control_id),
                        k.what,
                        k.method,
                        k.frequency_days.to_string(),
                        k.tester,
                        k.next_due,
                        day(&k.created_at),
                        day(&k.updated_at),
                        k.version.to_string(),
                    ]
                })
                .collect(),
        },
        Outside::Evidence => {
            let checks: HashMap<String, String> =
                reader.all_checks().await?.into_iter().map(|k| (k.id, k.what)).collect();
            let evidence = every_page(|q| {
                let reader = &reader;
                async move { reader.evidence_list(&[], None, &q).await }
            })
            .await?;
            Table {
                header: vec![
                    "Title",
                    "Version",
                    "File",
                    "Type",
                    "Size (bytes)",
                    "SHA-256",
                    "Address",
                    "Observed from",
                    "Observed to",
                    "Collected by",
                    "Valid until",
                    "Applied controls",
                    "Control checks",
                    "Annex A controls",
                    "Added",
                ],
                rows: evidence
                    .into_iter()
                    .map(|e| {
                        let of = |t: &str, name: &dyn Fn(&str) -> String| -> String {
                            e.links
                                .iter()
                                .filter(|(k, _)| k == t)
                                .map(|(_, id)| name(id))
                                .collect::<Vec<_>>()
                                .join(", ")
                        };
                        let control = |id: &str| control_name.get(id).cloned().unwrap_or_else(|| id.to_owned());
                        let check = |id: &str| checks.get(id).cloned().unwrap_or_else(|| id.to_owned());
                        vec![
                            e.title.clone(),
                            e.series_version.to_string(),
                            e.file_name.clone().unwrap_or_default(),
                            e.content_type.clone().unwrap_or_default(),
                            e.size.map(|n| n.to_string()).unwrap_or_default(),
                            e.sha256.clone().unwrap_or_default(),
                            e.url.clone().unwrap_or_default(),
                            e.observed_from.clone().unwrap_or_default(),
                            e.observed_to.clone().unwrap_or_default(),
                            e.collected_by.clone(),
                            e.valid_until.clone().unwrap_or_default(),
                            of("applied_control", &control),
                            of("control_check", &check),
                            of("soa", &|id: &str| id.to_owned()),
                            day(&e.created_at),
                        ]
                    })
                    .collect(),
            }
        }
    })
}
