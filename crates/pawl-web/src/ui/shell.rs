//! The shell around every signed-in page: who is signed in, where, and
//! the navigation the access policy lets them open.

use super::page::{static_version, NavGroup, NavItem, Shell};
use crate::error::ApiError;
use crate::AppState;
use pawl_app::{Principal, Via};

fn item(key: &'static str, label: &'static str, href: &str) -> NavItem {
    NavItem {
        key,
        label,
        href: href.to_owned(),
    }
}

impl Shell {
    pub async fn new(state: &AppState, p: &Principal, current: &'static str) -> Result<Shell, ApiError> {
        let organisations = state
            .app
            .store
            .memberships_of_user(&p.user_id)
            .await?
            .into_iter()
            .map(|(o, _)| (o.slug, o.name))
            .collect();
        let mut nav = vec![
            NavGroup {
                title: "Plan",
                items: vec![
                    item("risks", "Risk register", "/risks"),
                    item("risk-method", "Risk method", "/risk-method"),
                    item("soa", "Statement of Applicability", "/soa"),
                ],
            },
            NavGroup {
                title: "Do",
                items: vec![
                    item("controls", "Applied controls", "/controls"),
                    item("evidence", "Evidence", "/evidence"),
                    item("read", "My reading", "/read"),
                    item("documents-tree", "Document tree", "/documents/tree"),
                    item("documents-acks", "Acknowledgements", "/documents/acknowledgements"),
                    item("documents-mandatory", "Mandatory documents", "/documents/mandatory"),
                    item("training-report", "Training report", "/trainings/report"),
                ],
            },
            NavGroup {
                title: "Check",
                items: vec![
                    item("readiness", "Audit readiness", "/readiness"),
                    item("report", "Report a problem or idea", "/report"),
                ],
            },
            NavGroup {
                title: "Act",
                items: vec![
                    item("ageing", "Ageing and overdue", "/ageing"),
                    item("improvements-board", "Improvement board", "/improvements/board"),
                    item("cycles-compare", "Year over year", "/cycles/compare"),
                ],
            },
            NavGroup {
                title: "Catalog",
                items: vec![
                    item("annex-a", "Annex A controls", "/catalog/annex-a"),
                    item("clauses", "Clauses 4 to 10", "/catalog/clauses"),
                    item("crosswalks", "Crosswalks", "/crosswalks/nist-csf-2.0"),
                ],
            },
            NavGroup {
                title: "Administration",
                items: vec![
                    item("members", "Members", "/admin/members"),
                    item("organisation", "Organisation", "/admin/organisation"),
                    item("tokens", "API tokens", "/account/tokens"),
                    item("outbox", "Sent messages", "/admin/outbox"),
                    item("calendar", "Calendar feeds", "/account/calendar"),
                    item("account", "Your account", "/account"),
                    item("audit", "Audit trail", "/audit"),
                ],
            },
        ];
        // Every declared register is listed in its PDCA area.
        for k in pawl_domain::register::KINDS {
            if let Some(g) = nav.iter_mut().find(|g| g.title == k.area) {
                g.items.push(NavItem {
                    key: k.path,
                    label: k.plural,
                    href: format!("/{}", k.path),
                });
            }
        }
        // Navigation offers only what the access policy lets this role open.
        for g in &mut nav {
            g.items.retain(|i| crate::policy::may_open(p, &i.href));
        }
        nav.retain(|g| !g.items.is_empty());
        Ok(Shell {
            email: p.email.clone(),
            name: p.display_name().to_owned(),
            role: p.role.label(),
            org_name: p.organisation.name.clone(),
            org_slug: p.organisation.slug.clone(),
            organisations,
            csrf: match &p.via {
                Via::Session { csrf_token, .. } => csrf_token.clone(),
                Via::ApiToken { .. } => String::new(),
            },
            current,
            nav,
            version: env!("CARGO_PKG_VERSION"),
            static_version: static_version(),
            unread: state
                .app
                .store
                .org(&p.organisation.id)
                .unread_notifications(&p.user_id)
                .await?,
        })
    }
}
