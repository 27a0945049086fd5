//! The demo company's applied controls, its Statement of Applicability with
//! one approved version and a later draft, a year of check results, and
//! evidence files.

use super::RISKS;
use crate::control::{decision_of, ControlInput, DecisionInput};
use crate::{App, AppError};
use pawl_domain::audit::Actor;
use pawl_domain::catalog::Catalog;
use std::collections::HashMap;

/// (name, category, owner, status, implemented on, Annex A, risks treated by index into RISKS).
type DemoControl = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    &'static [usize],
);

const PRIYA: &str = "priya.shah@demo.example";
const TOM: &str = "tom.becker@demo.example";
const LENA: &str = "lena.okafor@demo.example";

const CONTROLS: &[DemoControl] = &[
    (
        "Information security policy set",
        "Governance",
        PRIYA,
        "implemented",
        Some("2025-02-01"),
        &["5.1", "5.4"],
        &[],
    ),
    (
        "Security roles and RACI",
        "Governance",
        PRIYA,
        "implemented",
        Some("2025-02-01"),
        &["5.2", "5.3"],
        &[],
    ),
    (
        "Change approval separates authors from approvers",
        "Governance",
        TOM,
        "implemented",
        Some("2025-04-10"),
        &["5.3", "8.32"],
        &[3, 36],
    ),
    (
        "Contacts with regulators and the ICO",
        "Governance",
        PRIYA,
        "implemented",
        Some("2025-03-01"),
        &["5.5"],
        &[15],
    ),
    (
        "Membership of the regional security forum",
        "Governance",
        PRIYA,
        "implemented",
        Some("2025-05-01"),
        &["5.6"],
        &[],
    ),
    (
        "Threat intelligence feed triage",
        "Operations",
        LENA,
        "in_progress",
        None,
        &["5.7"],
        &[],
    ),
    (
        "Security in the project template",
        "Governance",
        TOM,
        "implemented",
        Some("2025-06-01"),
        &["5.8"],
        &[],
    ),
    (
        "Asset inventory in the CMDB",
        "Operations",
        LENA,
        "implemented",
        Some("2025-03-15"),
        &["5.9"],
        &[18],
    ),
    (
        "Acceptable use policy and sign-off",
        "People",
        PRIYA,
        "implemented",
        Some("2025-02-15"),
        &["5.10", "6.2"],
        &[16, 26],
    ),
    (
        "Leaver checklist returns devices and revokes access",
        "People",
        PRIYA,
        "implemented",
        Some("2025-03-01"),
        &["5.11", "6.5"],
        &[7, 8],
    ),
    (
        "Data classification scheme",
        "Governance",
        PRIYA,
        "implemented",
        Some("2025-04-01"),
        &["5.12", "5.13"],
        &[23],
    ),
    (
        "Secure transfer with customers (SFTP, encrypted links)",
        "Technology",
        TOM,
        "implemented",
        Some("2025-05-20"),
        &["5.14"],
        &[],
    ),
    (
        "Role-based access with SSO",
        "Technology",
        LENA,
        "implemented",
        Some("2025-01-20"),
        &["5.15", "5.16", "8.2", "8.3"],
        &[8, 22, 25],
    ),
    (
        "Phishing-resistant MFA (FIDO2)",
        "Technology",
        LENA,
        "in_progress",
        None,
        &["5.17", "8.5"],
        &[0, 31],
    ),
    (
        "Quarterly access reviews",
        "Operations",
        LENA,
        "implemented",
        Some("2025-06-30"),
        &["5.18"],
        &[8, 22, 25],
    ),
    (
        "Supplier security assessment",
        "Suppliers",
        PRIYA,
        "implemented",
        Some("2025-04-15"),
        &["5.19", "5.20", "5.21"],
        &[9],
    ),
    (
        "Annual supplier review",
        "Suppliers",
        PRIYA,
        "implemented",
        Some("2025-09-01"),
        &["5.22"],
        &[9],
    ),
    (
        "Cloud service security baseline",
        "Technology",
        TOM,
        "implemented",
        Some("2025-05-01"),
        &["5.23"],
        &[2, 22],
    ),
    (
        "SaaS discovery and approval",
        "Technology",
        LENA,
        "planned",
        None,
        &["5.23"],
        &[18],
    ),
    (
        "Incident response plan and on-call rota",
        "Operations",
        LENA,
        "implemented",
        Some("2025-03-10"),
        &["5.24", "5.25", "5.26"],
        &[21],
    ),
    (
        "Post-incident reviews feed improvements",
        "Operations",
        PRIYA,
        "implemented",
        Some("2025-03-10"),
        &["5.27"],
        &[],
    ),
    (
        "Forensic evidence handling procedure",
        "Operations",
        LENA,
        "planned",
        None,
        &["5.28"],
        &[21],
    ),
    (
        "Business continuity plan for the platform",
        "Operations",
        TOM,
        "implemented",
        Some("2025-07-01"),
        &["5.29", "5.30"],
        &[10, 27],
    ),
    (
        "Legal and contractual requirements register",
        "Governance",
        PRIYA,
        "implemented",
        Some("2025-02-20"),
        &["5.31"],
        &[15, 39],
    ),
    (
        "Open-source licence scanning",
        "Technology",
        TOM,
        "implemented",
        Some("2025-08-01"),
        &["5.32"],
        &[14],
    ),
    (
        "Records retention schedule",
        "Governance",
        PRIYA,
        "implemented",
        Some("2025-04-01"),
        &["5.33"],
        &[],
    ),
    (
        "Privacy programme (DPIAs, RoPA)",
        "Governance",
        PRIYA,
        "implemented",
        Some("2025-03-01"),
        &["5.34"],
        &[15, 39],
    ),
    (
        "Independent review by the internal auditor",
        "Governance",
        PRIYA,
        "implemented",
        Some("2025-10-01"),
        &["5.35", "5.36"],
        &[],
    ),
    (
        "Runbooks for production operations",
        "Operations",
        TOM,
        "implemented",
        Some("2025-05-15"),
        &["5.37"],
        &[3],
    ),
    (
        "Pre-employment screening",
        "People",
        PRIYA,
        "implemented",
        Some("2025-01-10"),
        &["6.1"],
        &[7],
    ),
    (
        "Confidentiality clauses in contracts",
        "People",
        PRIYA,
        "implemented",
        Some("2025-01-10"),
        &["6.2", "6.6"],
        &[7],
    ),
    (
        "Security awareness programme and phishing drills",
        "People",
        PRIYA,
        "implemented",
        Some("2025-03-01"),
        &["6.3"],
        &[0, 16],
    ),
    (
        "Disciplinary process covers security breaches",
        "People",
        PRIYA,
        "implemented",
        Some("2025-01-10"),
        &["6.4"],
        &[],
    ),
    (
        "Remote working standard",
        "People",
        LENA,
        "implemented",
        Some("2025-02-01"),
        &["6.7"],
        &[30],
    ),
    (
        "Security event reporting channel",
        "People",
        LENA,
        "implemented",
        Some("2025-02-01"),
        &["6.8"],
        &[],
    ),
    (
        "Office access badges and visitor log",
        "Physical",
        PRIYA,
        "implemented",
        Some("2025-01-05"),
        &["7.1", "7.2", "7.3"],
        &[19],
    ),
    (
        "Office CCTV and alarm monitoring",
        "Physical",
        PRIYA,
        "implemented",
        Some("2025-01-05"),
        &["7.4"],
        &[19],
    ),
    (
        "Fire suppression and flood sensors in the comms room",
        "Physical",
        PRIYA,
        "implemented",
        Some("2025-01-05"),
        &["7.5", "7.11"],
        &[27],
    ),
    (
        "Clear desk and screen lock",
        "Physical",
        PRIYA,
        "implemented",
        Some("2025-02-01"),
        &["7.7"],
        &[],
    ),
    (
        "Equipment siting and maintenance contract",
        "Physical",
        LENA,
        "implemented",
        Some("2025-01-05"),
        &["7.8", "7.13"],
        &[],
    ),
    (
        "Laptop full-disk encryption and remote wipe",
        "Technology",
        LENA,
        "implemented",
        Some("2025-02-10"),
        &["7.9", "7.10", "8.1"],
        &[1, 11, 30],
    ),
    (
        "Certified media disposal",
        "Physical",
        LENA,
        "implemented",
        Some("2025-03-01"),
        &["7.14"],
        &[],
    ),
    (
        "Endpoint detection and response",
        "Technology",
        LENA,
        "implemented",
        Some("2025-04-01"),
        &["8.7"],
        &[1],
    ),
    (
        "Privileged access management (break-glass, JIT)",
        "Technology",
        LENA,
        "in_progress",
        None,
        &["8.2", "8.18"],
        &[22],
    ),
    (
        "Secrets scanning in repositories",
        "Technology",
        TOM,
        "implemented",
        Some("2025-06-01"),
        &["8.4", "8.12"],
        &[4],
    ),
    (
        "Capacity monitoring and autoscaling",
        "Technology",
        TOM,
        "implemented",
        Some("2025-05-01"),
        &["8.6"],
        &[13],
    ),
    (
        "Vulnerability scanning and patch SLAs",
        "Technology",
        TOM,
        "implemented",
        Some("2025-04-01"),
        &["8.8"],
        &[14, 12],
    ),
    (
        "Infrastructure as code with drift detection",
        "Technology",
        TOM,
        "implemented",
        Some("2025-05-01"),
        &["8.9"],
        &[2],
    ),
    (
        "Customer data deletion on contract end",
        "Technology",
        TOM,
        "implemented",
        Some("2025-07-01"),
        &["8.10"],
        &[15],
    ),
    (
        "Masking of personal data in non-production",
        "Technology",
        TOM,
        "in_progress",
        None,
        &["8.11"],
        &[23],
    ),
    (
        "Data loss prevention on e-mail and warehouse exports",
        "Technology",
        LENA,
        "planned",
        None,
        &["8.12"],
        &[23, 7],
    ),
    (
        "Immutable, cross-account backups",
        "Technology",
        TOM,
        "implemented",
        Some("2025-03-20"),
        &["8.13"],
        &[6],
    ),
    (
        "Multi-region failover",
        "Technology",
        TOM,
        "implemented",
        Some("2025-09-15"),
        &["8.14"],
        &[10],
    ),
    (
        "Central logging with 13 months' retention",
        "Technology",
        LENA,
        "implemented",
        Some("2025-04-15"),
        &["8.15", "8.17"],
        &[21],
    ),
    (
        "Security monitoring and alerting (SIEM)",
        "Technology",
        LENA,
        "implemented",
        Some("2025-06-15"),
        &["8.16"],
        &[21, 5],
    ),
    (
        "Controlled software installation on laptops",
        "Technology",
        LENA,
        "implemented",
        Some("2025-02-10"),
        &["8.19"],
        &[1],
    ),
    (
        "Network segmentation and firewalls",
        "Technology",
        TOM,
        "implemented",
        Some("2025-03-01"),
        &["8.20", "8.21", "8.22"],
        &[13],
    ),
    (
        "DNS filtering for staff devices",
        "Technology",
        LENA,
        "implemented",
        Some("2025-05-01"),
        &["8.23"],
        &[0],
    ),
    (
        "TLS everywhere with managed keys",
        "Technology",
        TOM,
        "implemented",
        Some("2025-02-01"),
        &["8.24"],
        &[28, 29],
    ),
    (
        "Secure development lifecycle",
        "Technology",
        TOM,
        "implemented",
        Some("2025-04-01"),
        &["8.25", "8.26", "8.27", "8.28"],
        &[12, 29],
    ),
    (
        "Security testing in CI (SAST, DAST)",
        "Technology",
        TOM,
        "implemented",
        Some("2025-06-01"),
        &["8.29"],
        &[12, 5],
    ),
    (
        "Separate development, staging and production",
        "Technology",
        TOM,
        "implemented",
        Some("2025-02-01"),
        &["8.31"],
        &[3],
    ),
    ("Test data policy", "Technology", TOM, "planned", None, &["8.33"], &[23]),
    (
        "Audit testing coordinated with operations",
        "Operations",
        PRIYA,
        "implemented",
        Some("2025-10-01"),
        &["8.34"],
        &[],
    ),
];

/// Annex A controls the demo company excludes, and why.
const EXCLUDED: &[(&str, &str)] = &[
    ("7.6", "No secure areas: production runs in the cloud provider's data centres, covered by its ISO 27001 certificate; the office holds no servers."),
    ("7.12", "The office network is the landlord's managed cabling; no production or customer data crosses it unencrypted."),
    ("8.30", "No development is outsourced; all engineers are employees."),
];

/// Controls (by index) whose checks have a year of results: (control,
/// what, method, days between tests, tester).
const CHECKS: &[(usize, &str, &str, i64, &str)] = &[
    (
        51,
        "Backups restore",
        "Restore a random customer database to staging and compare row counts",
        30,
        TOM,
    ),
    (
        14,
        "Access review completed",
        "Compare the SSO group report with HR's starter and leaver list",
        90,
        LENA,
    ),
    (
        31,
        "Phishing drill click rate below 5%",
        "Send a simulated phishing campaign to all staff",
        90,
        PRIYA,
    ),
    (
        46,
        "Critical vulnerabilities fixed within 14 days",
        "Sample the scanner's closed findings",
        30,
        TOM,
    ),
    (40, "Laptops encrypted", "Export the MDM compliance report", 30, LENA),
    (
        19,
        "Incident response works",
        "Tabletop exercise against a scenario",
        180,
        LENA,
    ),
];

/// Writes the controls part of the demo, once.
pub async fn ensure(app: &App, org_id: &str) -> Result<(), AppError> {
    let reader = app.store.org(org_id);
    let one = pawl_store::ListQuery {
        limit: Some(1),
        ..Default::default()
    };
    if reader.applied_controls(&Default::default(), &one).await?.total > 0 {
        return Ok(());
    }
    let actor = Actor::system("demo loader");
    let all = pawl_store::ListQuery {
        limit: Some(500),
        ..Default::default()
    };
    let risks: HashMap<String, String> = reader
        .risks(&Default::default(), &all)
        .await?
        .items
        .into_iter()
        .map(|r| (r.title, r.id))
        .collect();
    let mut ids = Vec::new();
    let mut tx = app.store.write(org_id, &actor).await?;
    for (name, category, owner, status, implemented_on, annex, treats) in CONTROLS {
        let input = ControlInput {
            name: (*name).into(),
            description: String::new(),
            category: (*category).into(),
            owner: (*owner).into(),
            status: (*status).into(),
            implemented_on: implemented_on.map(str::to_owned),
            documents: String::new(),
            annex: annex.iter().map(|a| (*a).to_owned()).collect(),
            risks: treats
                .iter()
                .filter_map(|i| RISKS.get(*i).and_then(|r| risks.get(r.0)).cloned())
                .collect(),
        };
        let draft = crate::control::control_draft(&app.store, org_id, &input).await?;
        ids.push(tx.create_applied_control(&draft).await?.id);
    }
    tx.commit().await?;

    // The SoA: every control decided, approved once, then changed since.
    let linked: Vec<&str> = CONTROLS.iter().flat_map(|c| c.5.iter().copied()).collect();
    let treated: Vec<&str> = CONTROLS
        .iter()
        .filter(|c| !c.6.is_empty())
        .flat_map(|c| c.5.iter().copied())
        .collect();
    let mut tx = app.store.write(org_id, &actor).await?;
    for c in &Catalog::get().annex_a {
        let id = c.id.as_str();
        let input = match EXCLUDED.iter().find(|(x, _)| *x == id) {
            Some((_, why)) => DecisionInput {
                applicable: false,
                justification: (*why).into(),
                ..Default::default()
            },
            None => {
                let mut reasons = Vec::new();
                if treated.contains(&id) {
                    reasons.push("risk_treatment".to_owned());
                }
                if ["5.31", "5.32", "5.33", "5.34", "5.5"].contains(&id) {
                    reasons.push("legal".into());
                }
                if ["5.14", "5.19", "5.20", "5.21", "5.22", "8.10"].contains(&id) {
                    reasons.push("contractual".into());
                }
                if reasons.is_empty() || !linked.contains(&id) {
                    reasons.push("business_need".into());
                }
                // Written as the ISMS manager would: why it is in, in a line.
                let mut why = Vec::new();
                if reasons.iter().any(|r| r == "risk_treatment") {
                    why.push("treats risks in the register");
                }
                if reasons.iter().any(|r| r == "legal") {
                    why.push("required by UK GDPR and the Data Protection Act 2018");
                }
                if reasons.iter().any(|r| r == "contractual") {
                    why.push("required by the security schedule of our customer contracts");
                }
                if reasons.iter().any(|r| r == "business_need") {
                    why.push("part of the security baseline the board approved");
                }
                let mut justification = why.join("; ");
                if let Some(first) = justification.get(..1) {
                    justification = first.to_uppercase() + &justification[1..] + ".";
                }
                DecisionInput {
                    applicable: true,
                    reasons,
                    justification,
                    ..Default::default()
                }
            }
        };
        tx.set_soa_decision(id, &decision_of(&input)?, None).await?;
    }
    tx.commit().await?;
    let current = crate::control::soa(&app.store, org_id, crate::control::Detail::Full).await?;
    let snapshot = serde_json::to_string(&current.rows).map_err(|e| AppError::Files(e.to_string()))?;
    let approver = Actor::system(super::ADMIN_EMAIL);
    let mut tx = app.store.write(org_id, &approver).await?;
    let warnings: Vec<String> = current
        .warnings
        .iter()
        .map(|w| format!("A.{}: {}", w.annex_id, w.message))
        .collect();
    tx.approve_soa(&snapshot, "Approved at the management review of 2026-06-12", &warnings)
        .await?;
    tx.commit().await?;
    // Since the approval: failover went live, and threat intelligence moved on.
    let mut tx = app.store.write(org_id, &actor).await?;
    let since = crate::control::decision_of(&DecisionInput {
        applicable: true,
        reasons: vec!["business_need".into()],
        justification: "Required by two enterprise customers' security schedules since 2026-09".into(),
        ..Default::default()
    })?;
    tx.set_soa_decision("5.7", &since, None).await?;
    tx.commit().await?;

    ensure_checks(app, org_id, &ids).await?;
    ensure_evidence(app, org_id, &ids).await
}

/// Checks with results over the past year; a few fell short.
async fn ensure_checks(app: &App, org_id: &str, ids: &[String]) -> Result<(), AppError> {
    let today = time::OffsetDateTime::now_utc().date();
    for (k, (control, what, method, days, by)) in CHECKS.iter().enumerate() {
        let Some(control_id) = ids.get(*control) else { continue };
        let mut date = today - time::Duration::days(365);
        // Results carry the name of whoever performs the check.
        let tester = Actor::system(by);
        let mut tx = app.store.write(org_id, &tester).await?;
        let check = tx
            .create_check(
                control_id,
                &pawl_store::ControlCheckDraft {
                    what: (*what).into(),
                    method: (*method).into(),
                    frequency_days: *days,
                    tester: (*by).into(),
                    next_due: date.to_string(),
                },
            )
            .await?;
        let mut n = 0;
        while date + time::Duration::days(*days) <= today {
            date += time::Duration::days(*days);
            n += 1;
            let (result, notes) = match (k + n) % 7 {
                3 => ("partial", "Two of ten samples were late; owners reminded"),
                5 if k % 2 == 0 => ("fail", "Did not meet the target; corrective action raised"),
                _ => ("pass", ""),
            };
            let next = date + time::Duration::days(*days);
            tx.record_check_result(&check.id, &date.to_string(), result, notes, &next.to_string())
                .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// A few evidence files, one of them stale, and a link.
async fn ensure_evidence(app: &App, org_id: &str, ids: &[String]) -> Result<(), AppError> {
    let actor = Actor::system("demo loader");
    let files: &[(usize, &str, &str, &str, &str)] = &[
        (
            51,
            "backup-restore-test-2026-10.txt",
            "Backup restore test, October 2026",
            "2026-10-14",
            "2027-01-14",
        ),
        (
            14,
            "access-review-2026-q3.csv",
            "Access review, third quarter 2026",
            "2026-09-30",
            "2026-12-31",
        ),
        (
            31,
            "phishing-drill-2026-q2.txt",
            "Phishing drill results, second quarter 2026",
            "2026-06-20",
            "2026-09-20",
        ),
        (
            40,
            "mdm-compliance-2026-11.csv",
            "Laptop encryption compliance report",
            "2026-11-02",
            "2026-12-02",
        ),
    ];
    for (control, name, title, observed, valid) in files {
        let Some(control_id) = ids.get(*control) else { continue };
        let body =
            format!("{title}\nRecorded by the demo loader for Kestrel Analytics Ltd.\nObserved on {observed}.\n");
        let mut w = app.blobs.writer().await?;
        w.write(body.as_bytes()).await?;
        let stored = w.seal(name).await?;
        let input = crate::evidence::EvidenceInput {
            title: (*title).into(),
            observed_from: Some((*observed).into()),
            valid_until: Some((*valid).into()),
            collected_by: Some(LENA.into()),
            controls: vec![control_id.clone()],
            ..Default::default()
        };
        crate::evidence::add(&app.store, org_id, &actor, LENA, &input, Some(stored)).await?;
    }
    let link = crate::evidence::EvidenceInput {
        title: "Cloud provider ISO/IEC 27001 certificate".into(),
        url: Some("https://example.com/cloud-provider/iso27001-certificate.pdf".into()),
        observed_from: Some("2026-03-01".into()),
        valid_until: Some("2028-02-28".into()),
        controls: ids.get(17).cloned().into_iter().collect(),
        annex: vec!["5.23".into()],
        ..Default::default()
    };
    crate::evidence::add(&app.store, org_id, &actor, PRIYA, &link, None).await?;
    Ok(())
}
