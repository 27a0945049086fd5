//! The demo organisation: a fictional 200-person SaaS company, Kestrel
//! Analytics, whose people cover every role. Later areas add their records.

mod audits;
mod context;
mod controls;
mod documents;
mod improvement;
mod performance;

use crate::{members, App, AppError};
use pawl_domain::audit::Actor;
use pawl_domain::identity::OrgSlug;
use pawl_domain::register::{ASSET, TREATMENT_ACTION};
use pawl_store::StoreError;

pub const SLUG: &str = "demo";
pub const ADMIN_EMAIL: &str = "admin@demo.example";

/// The people of the demo company and their roles.
pub const PEOPLE: &[(&str, &str)] = &[
    (ADMIN_EMAIL, "admin"),
    ("priya.shah@demo.example", "manager"),
    ("tom.becker@demo.example", "contributor"),
    ("lena.okafor@demo.example", "contributor"),
    ("jorge.morales@audit.example", "auditor"),
    ("maria.lind@demo.example", "viewer"),
    ("sam.ng@demo.example", "staff"),
];

/// The names the demo people go by.
const NAMES: &[(&str, &str)] = &[
    (ADMIN_EMAIL, "Alex Rivera"),
    ("priya.shah@demo.example", "Priya Shah"),
    ("tom.becker@demo.example", "Tom Becker"),
    ("lena.okafor@demo.example", "Lena Okafor"),
    ("jorge.morales@audit.example", "Jorge Morales"),
    ("maria.lind@demo.example", "Maria Lind"),
    ("sam.ng@demo.example", "Sam Ng"),
];

/// Creates whatever of the demo organisation is missing. Every demo person
/// gets `password` so that each role can be tried; existing accounts keep theirs.
pub async fn ensure_demo(app: &App, password: &str) -> Result<(), AppError> {
    let actor = Actor::system("demo loader");
    let org = match app.store.organisation_by_slug(SLUG).await {
        Ok(org) => org,
        Err(StoreError::NotFound { .. }) => {
            let slug = OrgSlug::parse(SLUG)?;
            app.store
                .create_organisation(&actor, &slug, "Kestrel Analytics Ltd")
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    let reader = app.store.org(&org.id);
    for (email, role) in PEOPLE {
        let email_v = pawl_domain::identity::Email::parse(email)?;
        let present = match app.store.user_by_email(&email_v).await? {
            Some(u) => reader.membership_of(&u.id).await?.is_some(),
            None => false,
        };
        if !present {
            members::add_member(app, &org.id, &actor, email, role, Some(password)).await?;
        }
        // People are shown by name: a demo account without one gets its own.
        if let Some(user) = app.store.user_by_email(&email_v).await?.filter(|u| u.name.is_empty()) {
            let name = NAMES.iter().find(|(e, _)| e == email).map_or("", |(_, n)| n);
            app.store.set_user_name(&user.id, name).await?;
        }
    }
    ensure_risks(app, &org.id).await?;
    controls::ensure(app, &org.id).await?;
    documents::ensure(app, &org.id).await?;
    audits::ensure(app, &org.id).await?;
    improvement::ensure(app, &org.id).await?;
    context::ensure(app, &org.id, password).await?;
    performance::ensure(app, &org.id).await
}

/// Assets: (name, type, owner, location, C, I, A).
const ASSETS: &[(&str, &str, &str, &str, i64, i64, i64)] = &[
    (
        "Analytics platform (production)",
        "application",
        "tom.becker@demo.example",
        "AWS eu-west-1",
        4,
        5,
        5,
    ),
    (
        "Customer database",
        "database",
        "tom.becker@demo.example",
        "AWS RDS PostgreSQL",
        5,
        5,
        4,
    ),
    (
        "Source code repositories",
        "application",
        "tom.becker@demo.example",
        "GitHub organisation",
        4,
        5,
        3,
    ),
    (
        "CI/CD pipeline",
        "service",
        "tom.becker@demo.example",
        "GitHub Actions",
        3,
        5,
        3,
    ),
    (
        "Employee laptops",
        "endpoint fleet",
        "priya.shah@demo.example",
        "Remote and Leeds office",
        4,
        3,
        3,
    ),
    (
        "Identity provider (SSO)",
        "service",
        "priya.shah@demo.example",
        "Okta tenant",
        5,
        5,
        5,
    ),
    (
        "Corporate e-mail",
        "service",
        "priya.shah@demo.example",
        "Microsoft 365",
        4,
        3,
        4,
    ),
    (
        "HR system",
        "application",
        "lena.okafor@demo.example",
        "SaaS (HiBob)",
        5,
        4,
        2,
    ),
    (
        "Leeds office",
        "site",
        "lena.okafor@demo.example",
        "Leeds, 2nd floor",
        2,
        2,
        3,
    ),
    (
        "Backups",
        "data",
        "tom.becker@demo.example",
        "AWS S3, second region",
        5,
        5,
        4,
    ),
    (
        "Support ticketing",
        "application",
        "priya.shah@demo.example",
        "Zendesk",
        4,
        3,
        3,
    ),
    (
        "Data warehouse",
        "database",
        "tom.becker@demo.example",
        "Snowflake",
        5,
        4,
        3,
    ),
];

/// Risks: (title, category, threat, vulnerability, owner, cia, inherent l,i,
/// treatment, residual l,i, status, assets, action).
type DemoRisk = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    (i64, i64),
    &'static str,
    Option<(i64, i64)>,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
);

const RISKS: &[DemoRisk] = &[
    (
        "Phishing leads to stolen SSO credentials",
        "People",
        "Credential phishing",
        "Staff fall for convincing lures; MFA fatigue",
        "priya.shah@demo.example",
        "CIA",
        (4, 5),
        "modify",
        Some((2, 4)),
        "in_treatment",
        &["Identity provider (SSO)", "Corporate e-mail"],
        Some("Roll out phishing-resistant MFA (FIDO2 keys) to all staff"),
    ),
    (
        "Ransomware on employee laptops",
        "Technology",
        "Ransomware",
        "Local admin rights on some laptops",
        "priya.shah@demo.example",
        "IA",
        (3, 4),
        "modify",
        Some((2, 3)),
        "in_treatment",
        &["Employee laptops"],
        Some("Remove local admin rights; enforce EDR tamper protection"),
    ),
    (
        "Customer data exposed through misconfigured storage bucket",
        "Technology",
        "Accidental public exposure",
        "No guardrail against public buckets",
        "tom.becker@demo.example",
        "C",
        (3, 5),
        "modify",
        Some((1, 5)),
        "treatment_planned",
        &["Customer database", "Backups"],
        Some("Enable account-wide block of public access and a config rule"),
    ),
    (
        "Production outage from failed deployment",
        "Operations",
        "Faulty change",
        "No automatic rollback",
        "tom.becker@demo.example",
        "A",
        (4, 3),
        "modify",
        Some((2, 2)),
        "in_treatment",
        &["Analytics platform (production)", "CI/CD pipeline"],
        Some("Blue-green deployments with automatic rollback"),
    ),
    (
        "Leaked secrets in source code",
        "Technology",
        "Credential leak",
        "Secrets committed to repositories",
        "tom.becker@demo.example",
        "CI",
        (3, 4),
        "modify",
        Some((1, 4)),
        "assessed",
        &["Source code repositories"],
        Some("Secret scanning with push protection"),
    ),
    (
        "Compromise of CI/CD pipeline",
        "Technology",
        "Supply-chain attack",
        "Long-lived deploy keys in pipeline",
        "tom.becker@demo.example",
        "CIA",
        (2, 5),
        "modify",
        Some((1, 5)),
        "treatment_planned",
        &["CI/CD pipeline"],
        Some("Move to short-lived OIDC credentials for deployments"),
    ),
    (
        "Loss of backups through account compromise",
        "Technology",
        "Malicious deletion",
        "Backups in the same account as production",
        "tom.becker@demo.example",
        "A",
        (2, 5),
        "modify",
        Some((1, 4)),
        "closed",
        &["Backups"],
        None,
    ),
    (
        "Insider copies customer data before leaving",
        "People",
        "Data theft by leaver",
        "Broad read access to the data warehouse",
        "lena.okafor@demo.example",
        "C",
        (2, 4),
        "modify",
        Some((2, 3)),
        "in_treatment",
        &["Data warehouse"],
        Some("Quarterly access review of warehouse roles"),
    ),
    (
        "Unreviewed access after role changes",
        "People",
        "Privilege creep",
        "Mover process does not remove old access",
        "lena.okafor@demo.example",
        "CI",
        (3, 3),
        "modify",
        Some((2, 2)),
        "treatment_planned",
        &["Identity provider (SSO)", "HR system"],
        Some("Automate joiner-mover-leaver from the HR system"),
    ),
    (
        "Key supplier breach exposes our data",
        "Supplier",
        "Third-party breach",
        "Limited due diligence on smaller suppliers",
        "priya.shah@demo.example",
        "C",
        (3, 4),
        "share",
        Some((3, 3)),
        "assessed",
        &["Support ticketing"],
        None,
    ),
    (
        "Cloud region outage",
        "Operations",
        "Provider outage",
        "Single-region deployment",
        "tom.becker@demo.example",
        "A",
        (2, 4),
        "retain",
        Some((2, 4)),
        "accepted",
        &["Analytics platform (production)"],
        None,
    ),
    (
        "Laptop theft with unencrypted data",
        "Physical",
        "Theft",
        "Encryption not verified on older devices",
        "priya.shah@demo.example",
        "C",
        (3, 3),
        "modify",
        Some((3, 1)),
        "closed",
        &["Employee laptops"],
        None,
    ),
    (
        "SQL injection in the reporting API",
        "Technology",
        "Web attack",
        "Dynamic queries in legacy endpoints",
        "tom.becker@demo.example",
        "CI",
        (2, 5),
        "modify",
        Some((1, 4)),
        "in_treatment",
        &["Analytics platform (production)", "Customer database"],
        Some("Replace dynamic SQL in the reporting API; add DAST to CI"),
    ),
    (
        "DDoS against public endpoints",
        "Technology",
        "Denial of service",
        "No rate limiting at the edge",
        "tom.becker@demo.example",
        "A",
        (3, 3),
        "share",
        Some((2, 2)),
        "treatment_planned",
        &["Analytics platform (production)"],
        Some("Put public endpoints behind a managed WAF and DDoS protection"),
    ),
    (
        "Unpatched third-party libraries",
        "Technology",
        "Exploited vulnerability",
        "No dependency update routine",
        "tom.becker@demo.example",
        "CIA",
        (4, 3),
        "modify",
        Some((2, 3)),
        "in_treatment",
        &["Source code repositories"],
        Some("Weekly automated dependency updates with CI tests"),
    ),
    (
        "GDPR breach notification missed",
        "Compliance",
        "Late notification",
        "Incident process lacks a legal step",
        "priya.shah@demo.example",
        "C",
        (2, 4),
        "modify",
        Some((1, 3)),
        "treatment_planned",
        &[],
        Some("Add the 72-hour notification decision to the incident runbook"),
    ),
    (
        "Staff unaware of acceptable use policy",
        "People",
        "Misuse",
        "Policy not acknowledged by new joiners",
        "lena.okafor@demo.example",
        "CIA",
        (3, 2),
        "modify",
        Some((2, 2)),
        "assessed",
        &[],
        None,
    ),
    (
        "E-mail spoofing of our domain",
        "Technology",
        "Impersonation",
        "DMARC at p=none",
        "priya.shah@demo.example",
        "I",
        (4, 2),
        "modify",
        Some((1, 2)),
        "closed",
        &["Corporate e-mail"],
        None,
    ),
    (
        "Shadow IT SaaS holding customer data",
        "Operations",
        "Unmanaged processing",
        "No SaaS discovery",
        "priya.shah@demo.example",
        "C",
        (3, 3),
        "modify",
        None,
        "identified",
        &[],
        None,
    ),
    (
        "Visitor tailgating into the office",
        "Physical",
        "Unauthorised entry",
        "Single badge door, no reception",
        "lena.okafor@demo.example",
        "C",
        (2, 2),
        "retain",
        Some((2, 2)),
        "accepted",
        &["Leeds office"],
        None,
    ),
    (
        "Loss of key engineer knowledge",
        "People",
        "Key-person dependency",
        "Undocumented runbooks",
        "tom.becker@demo.example",
        "A",
        (3, 3),
        "modify",
        Some((2, 2)),
        "treatment_planned",
        &[],
        Some("Write and test runbooks for the top ten operational tasks"),
    ),
    (
        "Logging gaps prevent incident investigation",
        "Technology",
        "Undetected intrusion",
        "Short log retention, no central SIEM",
        "tom.becker@demo.example",
        "I",
        (3, 4),
        "modify",
        Some((2, 3)),
        "in_treatment",
        &["Analytics platform (production)"],
        Some("Centralise logs with 12-month retention"),
    ),
    (
        "Excessive admin rights in cloud account",
        "Technology",
        "Privilege misuse",
        "Standing admin roles",
        "tom.becker@demo.example",
        "CIA",
        (3, 4),
        "modify",
        Some((1, 4)),
        "treatment_planned",
        &["Analytics platform (production)", "Backups"],
        Some("Just-in-time admin access with approval"),
    ),
    (
        "Data warehouse exports to personal devices",
        "People",
        "Data leakage",
        "Export allowed from unmanaged devices",
        "tom.becker@demo.example",
        "C",
        (3, 3),
        "modify",
        None,
        "assessed",
        &["Data warehouse"],
        None,
    ),
    (
        "Payroll fraud through HR system change",
        "People",
        "Fraud",
        "Bank detail changes not verified",
        "lena.okafor@demo.example",
        "I",
        (2, 4),
        "modify",
        Some((1, 3)),
        "in_treatment",
        &["HR system"],
        Some("Call-back verification of bank detail changes"),
    ),
    (
        "Support agents see more data than needed",
        "Operations",
        "Over-exposure",
        "Ticket views show full customer records",
        "priya.shah@demo.example",
        "C",
        (3, 2),
        "modify",
        Some((2, 2)),
        "treatment_planned",
        &["Support ticketing"],
        None,
    ),
    (
        "AI assistant leaks confidential prompts",
        "Technology",
        "Data leakage",
        "No guidance on generative AI use",
        "priya.shah@demo.example",
        "C",
        (3, 3),
        "modify",
        None,
        "identified",
        &[],
        None,
    ),
    (
        "Fire or flood at the Leeds office",
        "Physical",
        "Environmental",
        "Office hosts network equipment only",
        "lena.okafor@demo.example",
        "A",
        (1, 2),
        "retain",
        Some((1, 2)),
        "accepted",
        &["Leeds office"],
        None,
    ),
    (
        "Certificate expiry takes the platform down",
        "Operations",
        "Expired certificate",
        "Manual renewal of some certificates",
        "tom.becker@demo.example",
        "A",
        (3, 3),
        "modify",
        Some((1, 3)),
        "closed",
        &["Analytics platform (production)"],
        None,
    ),
    (
        "Session hijacking in the customer portal",
        "Technology",
        "Web attack",
        "Long-lived session tokens",
        "tom.becker@demo.example",
        "CI",
        (2, 4),
        "modify",
        Some((1, 4)),
        "assessed",
        &["Analytics platform (production)"],
        None,
    ),
    (
        "Lost mobile phones with e-mail access",
        "Physical",
        "Theft or loss",
        "No mobile device management",
        "priya.shah@demo.example",
        "C",
        (3, 2),
        "modify",
        Some((2, 1)),
        "in_treatment",
        &["Corporate e-mail"],
        Some("Enrol phones with e-mail access in MDM"),
    ),
    (
        "Weak passwords on legacy internal tools",
        "Technology",
        "Brute force",
        "Tools outside SSO",
        "tom.becker@demo.example",
        "CI",
        (3, 3),
        "modify",
        Some((1, 3)),
        "treatment_planned",
        &[],
        Some("Put legacy tools behind SSO"),
    ),
    (
        "Regulator fine for data residency breach",
        "Compliance",
        "Non-compliance",
        "Some analytics jobs run outside the EU",
        "priya.shah@demo.example",
        "C",
        (2, 4),
        "avoid",
        Some((1, 4)),
        "in_treatment",
        &["Data warehouse"],
        Some("Pin all processing to EU regions"),
    ),
    (
        "Open-source licence violation",
        "Compliance",
        "Legal claim",
        "No licence scanning",
        "tom.becker@demo.example",
        "I",
        (2, 2),
        "modify",
        None,
        "identified",
        &["Source code repositories"],
        None,
    ),
    (
        "Social engineering of the service desk",
        "People",
        "Impersonation",
        "Weak caller verification for password resets",
        "priya.shah@demo.example",
        "CI",
        (3, 4),
        "modify",
        Some((2, 3)),
        "treatment_planned",
        &["Identity provider (SSO)"],
        Some("Verified identity check before any reset"),
    ),
    (
        "Test data contains real customer records",
        "Operations",
        "Data leakage",
        "Production copies used in staging",
        "tom.becker@demo.example",
        "C",
        (3, 4),
        "modify",
        Some((1, 4)),
        "in_treatment",
        &["Customer database"],
        Some("Synthetic data generator for staging"),
    ),
    (
        "Capacity exhaustion at month-end peaks",
        "Operations",
        "Overload",
        "No load testing before peaks",
        "tom.becker@demo.example",
        "A",
        (2, 3),
        "retain",
        Some((2, 3)),
        "accepted",
        &["Analytics platform (production)"],
        None,
    ),
    (
        "Sub-processor changes not communicated to customers",
        "Compliance",
        "Contract breach",
        "No change notice process",
        "priya.shah@demo.example",
        "C",
        (2, 3),
        "modify",
        None,
        "assessed",
        &[],
        None,
    ),
    (
        "Privileged access to production without logging",
        "Technology",
        "Undetected misuse",
        "Shared bastion account",
        "tom.becker@demo.example",
        "I",
        (2, 4),
        "modify",
        Some((1, 3)),
        "treatment_planned",
        &["Analytics platform (production)"],
        Some("Personal bastion accounts with session recording"),
    ),
    (
        "Former employee accounts remain active",
        "People",
        "Unauthorised access",
        "Leaver process depends on manual tickets",
        "lena.okafor@demo.example",
        "CIA",
        (3, 4),
        "modify",
        Some((1, 4)),
        "closed",
        &["Identity provider (SSO)", "HR system"],
        None,
    ),
];

/// Loads the demo register once: assets, forty risks at every status, with
/// treatment actions, acceptances and a re-assessment each for history.
async fn ensure_risks(app: &App, org_id: &str) -> Result<(), AppError> {
    use crate::risk::{create_risk, update_risk, RiskEditor, RiskInput, ScoreInput};
    let reader = app.store.org(org_id);
    let none = pawl_store::ListQuery {
        limit: Some(1),
        ..Default::default()
    };
    if reader.risks(&Default::default(), &none).await?.total > 0 {
        return Ok(());
    }
    let manager = Actor {
        kind: pawl_domain::audit::ActorKind::System,
        id: "demo".into(),
        name: "demo loader".into(),
    };
    let mut asset_ids = std::collections::HashMap::new();
    for (name, kind, owner, location, c, i, a) in ASSETS {
        let input = serde_json::json!({
            "name": name, "asset_type": kind, "owner": owner, "location": location,
            "confidentiality": c, "integrity": i, "availability": a,
        });
        let asset = crate::register::create_as(&app.store, org_id, &manager, &ASSET, as_map(input)).await?;
        asset_ids.insert(*name, asset.id);
    }
    let n = |v: i64| Some(Some(ScoreInput::Number(v)));
    // A year of history: the annual workshop identified the risks, a
    // treatment workshop reassessed them, so the register as it stood on a
    // past date differs from today's.
    let today = time::OffsetDateTime::now_utc().date();
    let days_ago = |d: i64| Some((today - time::Duration::days(d)).to_string());
    for (
        k,
        (title, category, threat, vulnerability, owner, cia, (l, i), treatment, residual, status, assets, action),
    ) in RISKS.iter().enumerate()
    {
        let first = RiskInput {
            title: Some((*title).into()),
            category: Some((*category).into()),
            threat: Some((*threat).into()),
            vulnerability: Some((*vulnerability).into()),
            owner: Some((*owner).into()),
            cia: Some((*cia).into()),
            // A risk just identified has not been scored yet.
            likelihood: if *status == "identified" { None } else { n(*l) },
            impact: if *status == "identified" { None } else { n(*i) },
            asset_ids: Some(assets.iter().filter_map(|a| asset_ids.get(a).cloned()).collect()),
            note: Some("Identified in the annual risk workshop".into()),
            assessed_on: days_ago(330),
            ..Default::default()
        };
        let risk = create_risk(&app.store, org_id, &manager, &first).await?;
        if *status == "identified" {
            continue;
        }
        let retained = *status == "accepted";
        let second = RiskInput {
            treatment: Some(Some((*treatment).into())),
            residual_likelihood: Some(residual.map(|r| ScoreInput::Number(r.0))),
            residual_impact: Some(residual.map(|r| ScoreInput::Number(r.1))),
            status: Some(if retained { "treatment_planned" } else { status }.to_string()),
            target_level: Some(Some("low".into())),
            review_interval_days: Some(if k % 3 == 0 { 90 } else { 365 }),
            // A few reviews are already overdue, so the review list has work.
            next_review: (k % 9 == 4).then(|| Some("2026-09-30".to_owned())),
            note: Some("Reassessed after the treatment workshop".into()),
            assessed_on: days_ago(200 - (k as i64 % 5) * 20),
            ..Default::default()
        };
        let risk = update_risk(
            &app.store,
            org_id,
            &RiskEditor::system(&manager),
            &risk.id,
            &second,
            None,
        )
        .await?;
        if let Some(what) = action {
            let input = serde_json::json!({
                "risk_id": risk.id, "description": what, "owner": owner,
                "due_date": format!("2027-{:02}-28", 1 + k % 12),
            });
            let action =
                crate::register::create_as(&app.store, org_id, &manager, &TREATMENT_ACTION, as_map(input)).await?;
            if *status == "in_treatment" {
                let mut tx = app.store.write(org_id, &manager).await?;
                tx.transition_record(&TREATMENT_ACTION, &action.id, "in_progress", None)
                    .await?;
                tx.commit().await?;
            }
        }
        if retained {
            let level = risk
                .residual
                .as_ref()
                .or(risk.inherent.as_ref())
                .map(|s| s.level.clone())
                .unwrap_or_default();
            let mut tx = app.store.write(org_id, &manager).await?;
            tx.accept_risk(
                &risk.id,
                &pawl_store::Acceptance {
                    id: String::new(),
                    risk_id: risk.id.clone(),
                    level,
                    accepted_by_id: "demo".into(),
                    accepted_by_name: ADMIN_EMAIL.into(),
                    role: "admin".into(),
                    rationale: "Within appetite; the cost of further treatment outweighs the benefit".into(),
                    accepted_on: "2026-03-15".into(),
                    // One acceptance has lapsed, so it is due again.
                    expires_on: if k == 19 { "2026-10-31" } else { "2027-03-15" }.into(),
                    created_at: String::new(),
                    on_behalf_of: (risk.owner_name != ADMIN_EMAIL).then(|| risk.owner_name.clone()),
                },
                None,
            )
            .await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// What the demo's loaders share: records created and moved through the
/// register service as the demo loader, so that the register's rules hold,
/// and links kept in step as a person's would be.
struct Loader<'a> {
    app: &'a App,
    org_id: &'a str,
    actor: Actor,
}

impl Loader<'_> {
    async fn create(
        &self,
        kind: &'static pawl_domain::register::Kind,
        input: serde_json::Value,
    ) -> Result<pawl_store::Record, AppError> {
        crate::register::create_as(&self.app.store, self.org_id, &self.actor, kind, as_map(input)).await
    }

    async fn to(&self, r: &pawl_store::Record, to: &str, reason: Option<&str>) -> Result<pawl_store::Record, AppError> {
        crate::register::transition_as(&self.app.store, self.org_id, &self.actor, r.kind, &r.id, to, reason).await
    }

    async fn link(&self, from: (&str, &str), link_type: &str, to: (&str, &str)) -> Result<(), AppError> {
        let mut tx = self.app.store.write(self.org_id, &self.actor).await?;
        tx.link_records(from, link_type, to, "").await?;
        let ends = [
            (from.0.to_owned(), from.1.to_owned()),
            (to.0.to_owned(), to.1.to_owned()),
        ];
        crate::register::after_link(&mut tx, &ends).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A record the demo made earlier, by reference or title.
    async fn id_of(&self, kind: &str, name: &str) -> Result<String, AppError> {
        self.app
            .store
            .org(self.org_id)
            .find_record(kind, name)
            .await?
            .ok_or_else(|| AppError::Store(StoreError::NotFound { entity: "demo record" }))
    }
}

fn as_map(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}
