//! The demo company's documented information: an information security
//! policy and topic policies, the processes, procedures and work
//! instructions under them, most published and some read, one version in
//! review, one draft, reviews falling due and acknowledgements waiting.

use crate::document::{add_version_as, VersionInput};
use crate::{App, AppError};
use pawl_domain::audit::Actor;
use pawl_domain::register::DOCUMENT;
use pawl_domain::time_fmt::add_months;
use pawl_store::Named;
use serde_json::json;

/// What each demo document is and how far it has come.
struct Doc {
    title: &'static str,
    level: &'static str,
    parent: &'static str,
    owner: &'static str,
    audience: &'static str,
    clauses: &'static str,
    annex_a: &'static str,
    /// What the document says, one line per rule or step.
    points: &'static [&'static str],
    /// Published versions after 1.0: (major, summary) for each.
    later: &'static [(bool, &'static str)],
    /// Months from now to its next review; negative when overdue.
    review_in: i64,
    /// Days the audience has left to acknowledge; negative when overdue.
    ack_in: i64,
}

const PRIYA: &str = "priya.shah@demo.example";
const TOM: &str = "tom.becker@demo.example";
const LENA: &str = "lena.okafor@demo.example";
const ISP: &str = "Information security policy";

const DOCS: &[Doc] = &[
    Doc { title: ISP, level: "policy", parent: "", owner: PRIYA, audience: "everyone", clauses: "5.2, 5.1, 6.2", annex_a: "A.5.1",
        points: &["Kestrel protects the confidentiality, integrity and availability of the information customers entrust to it.", "Security objectives are set each year and reviewed by management.", "Every employee and contractor follows the topic policies below.", "Breaches of this policy are handled through the disciplinary process."],
        later: &[(true, "Objectives for 2026 and the new topic policies")], review_in: 9, ack_in: 14 },
    Doc { title: "Acceptable use policy", level: "policy", parent: "", owner: PRIYA, audience: "everyone", clauses: "", annex_a: "A.5.10, A.6.2",
        points: &["Company laptops are for work; light personal use is fine.", "Lock the screen whenever you step away.", "Never share your password or MFA codes.", "Report a lost or stolen device within the hour."],
        later: &[(false, "Clarified personal use")], review_in: 4, ack_in: 20 },
    Doc { title: "Access control policy", level: "policy", parent: "", owner: TOM, audience: "staff, contributor, manager", clauses: "", annex_a: "A.5.15, A.5.18, A.8.2",
        points: &["Access follows least privilege and is approved by the system owner.", "Privileged access is reviewed every quarter.", "Accounts of leavers are disabled on their last day."],
        later: &[], review_in: -1, ack_in: -5 },
    Doc { title: "Incident management policy", level: "policy", parent: "", owner: PRIYA, audience: "everyone", clauses: "", annex_a: "A.5.24, A.6.8",
        points: &["Anyone who sees a security event or a near miss reports it at once.", "The ISMS manager triages every report within one working day.", "Lessons learned from each incident are recorded and acted on."],
        later: &[], review_in: 6, ack_in: 10 },
    Doc { title: "Supplier security policy", level: "policy", parent: "", owner: LENA, audience: "manager, contributor", clauses: "", annex_a: "A.5.19, A.5.20",
        points: &["Suppliers that handle customer data are assessed before the contract is signed.", "Contracts carry security and breach-notification clauses."],
        later: &[], review_in: 11, ack_in: 30 },
    Doc { title: "Risk management process", level: "process", parent: ISP, owner: PRIYA, audience: "manager, contributor", clauses: "6.1.2, 6.1.3, 8.2, 8.3", annex_a: "",
        points: &["Risks are identified per asset and scored on the approved method.", "Risks above the acceptance level get a treatment plan with owners and dates.", "The register is reviewed every quarter and after major changes."],
        later: &[], review_in: 5, ack_in: 30 },
    Doc { title: "Document control process", level: "process", parent: ISP, owner: PRIYA, audience: "manager, contributor", clauses: "7.5, 7.5.1, 7.5.2, 7.5.3", annex_a: "",
        points: &["Documents live in pawl in four levels, each under a parent one level up.", "Every version names an approver who is not its author.", "Each document is reviewed at least yearly."],
        later: &[], review_in: 8, ack_in: 30 },
    Doc { title: "Internal audit process", level: "process", parent: ISP, owner: PRIYA, audience: "manager", clauses: "9.2, 9.2.2", annex_a: "",
        points: &["A three-year programme covers every clause and applicable control.", "Auditors never audit their own work.", "Findings become nonconformities or improvement items."],
        later: &[], review_in: -2, ack_in: 30 },
    Doc { title: "Change management process", level: "process", parent: ISP, owner: TOM, audience: "contributor", clauses: "", annex_a: "A.8.32",
        points: &["Every production change has a ticket, a reviewer and a rollback plan.", "Emergency changes are reviewed within two working days."],
        later: &[], review_in: 7, ack_in: 30 },
    Doc { title: "IT operations process", level: "process", parent: ISP, owner: TOM, audience: "contributor", clauses: "", annex_a: "A.5.37, A.8.13",
        points: &["Operating procedures are written down and kept current.", "Backups run nightly and are restored as a test every quarter."],
        later: &[], review_in: 10, ack_in: 30 },
    Doc { title: "Access management process", level: "process", parent: "Access control policy", owner: TOM, audience: "contributor", clauses: "", annex_a: "A.5.16, A.5.18",
        points: &["Access requests come through the service desk with the owner's approval.", "HR tells IT of joiners, movers and leavers the day they are known."],
        later: &[], review_in: 3, ack_in: 30 },
    Doc { title: "Incident response process", level: "process", parent: "Incident management policy", owner: PRIYA, audience: "manager, contributor", clauses: "", annex_a: "A.5.25, A.5.26, A.5.27",
        points: &["Triage sets the severity; severity sets who is called.", "Containment first, then eradication and recovery.", "A post-incident review within ten working days."],
        later: &[(false, "Added on-call numbers")], review_in: 6, ack_in: 30 },
    Doc { title: "Supplier management process", level: "process", parent: "Supplier security policy", owner: LENA, audience: "manager", clauses: "", annex_a: "A.5.21, A.5.22",
        points: &["Suppliers are tiered by criticality.", "Critical suppliers are reviewed every year, others every two years."],
        later: &[], review_in: 9, ack_in: 30 },
    Doc { title: "Risk assessment procedure", level: "procedure", parent: "Risk management process", owner: PRIYA, audience: "contributor", clauses: "8.2", annex_a: "",
        points: &["List the threats to the asset and the weaknesses they could use.", "Score likelihood and impact on the 1-to-5 scales.", "Record existing controls before scoring the residual risk."],
        later: &[], review_in: 5, ack_in: 30 },
    Doc { title: "Joiners, movers and leavers procedure", level: "procedure", parent: "Access management process", owner: TOM, audience: "contributor", clauses: "", annex_a: "A.5.18, A.6.5",
        points: &["Create accounts from the HR ticket only.", "A mover keeps old access for at most five days.", "A leaver's accounts are disabled by 18:00 on the last day."],
        later: &[], review_in: 4, ack_in: 30 },
    Doc { title: "Privileged access review procedure", level: "procedure", parent: "Access management process", owner: TOM, audience: "contributor", clauses: "", annex_a: "A.8.2",
        points: &["Export the admin groups of each system.", "The system owner confirms or removes every entry.", "Keep the signed export as evidence."],
        later: &[], review_in: 2, ack_in: 30 },
    Doc { title: "Incident triage procedure", level: "procedure", parent: "Incident response process", owner: PRIYA, audience: "manager, contributor", clauses: "", annex_a: "A.5.25",
        points: &["Read the report and ask the reporter what they saw.", "Set the severity from the table in the process.", "Open the incident record and call whoever the severity names."],
        later: &[], review_in: 6, ack_in: 30 },
    Doc { title: "Breach notification procedure", level: "procedure", parent: "Incident response process", owner: PRIYA, audience: "manager", clauses: "", annex_a: "A.5.26, A.5.31",
        points: &["Decide within 24 hours whether personal data was affected.", "Notify the regulator within 72 hours of becoming aware.", "Tell affected customers without undue delay."],
        later: &[], review_in: 6, ack_in: 30 },
    Doc { title: "Supplier due diligence procedure", level: "procedure", parent: "Supplier management process", owner: LENA, audience: "manager", clauses: "", annex_a: "A.5.19, A.5.20",
        points: &["Send the security questionnaire before the contract.", "Check the certificates the supplier claims.", "Record the result and the next review date."],
        later: &[], review_in: 8, ack_in: 30 },
    Doc { title: "Backup and restore procedure", level: "procedure", parent: "IT operations process", owner: TOM, audience: "contributor", clauses: "", annex_a: "A.8.13",
        points: &["Nightly snapshots are kept 35 days, monthly ones a year.", "Each quarter restore one database to staging and time it."],
        later: &[], review_in: 10, ack_in: 30 },
    Doc { title: "Secure configuration procedure", level: "procedure", parent: "IT operations process", owner: TOM, audience: "contributor", clauses: "", annex_a: "A.8.9",
        points: &["New servers start from the hardened image.", "Drift from the baseline is reported weekly."],
        later: &[], review_in: 10, ack_in: 30 },
    Doc { title: "Disable a leaver's accounts", level: "work_instruction", parent: "Joiners, movers and leavers procedure", owner: TOM, audience: "contributor", clauses: "", annex_a: "A.5.18",
        points: &["Suspend the identity-provider account.", "Revoke active sessions and API tokens.", "Transfer the leaver's files to their manager."],
        later: &[], review_in: 4, ack_in: 30 },
    Doc { title: "Run the quarterly access review", level: "work_instruction", parent: "Privileged access review procedure", owner: TOM, audience: "contributor", clauses: "", annex_a: "A.8.2",
        points: &["Run the export script for each system.", "Send each owner their list with a deadline of five days.", "Close the review ticket with the signed lists attached."],
        later: &[], review_in: 2, ack_in: 30 },
    Doc { title: "Report a lost laptop", level: "work_instruction", parent: "Incident triage procedure", owner: PRIYA, audience: "everyone", clauses: "", annex_a: "A.6.8",
        points: &["Call the service desk on 4400 or write to security@kestrel.example.", "Say when and where you last had it.", "IT wipes it remotely; you get a loan laptop the same day."],
        later: &[], review_in: 6, ack_in: 21 },
    Doc { title: "Restore a database from backup", level: "work_instruction", parent: "Backup and restore procedure", owner: TOM, audience: "contributor", clauses: "", annex_a: "A.8.13",
        points: &["Pick the snapshot by time in the console.", "Restore to a new instance, never over the live one.", "Check row counts against the monitoring dashboard."],
        later: &[], review_in: 10, ack_in: 30 },
];

fn content(d: &Doc, note: &str) -> String {
    let mut md = format!(
        "# {}\n\n## Purpose\n\nHow Kestrel Analytics handles this, for everyone it names.\n\n## What we do\n\n",
        d.title
    );
    for p in d.points {
        md.push_str(&format!("- {p}\n"));
    }
    if !note.is_empty() {
        md.push_str(&format!("\n## Changes\n\n{note}\n"));
    }
    md
}

/// Creates the documents when the demo has none.
pub async fn ensure(app: &App, org_id: &str) -> Result<(), AppError> {
    let reader = app.store.org(org_id);
    if !reader.record_counts(&DOCUMENT).await?.is_empty() {
        return Ok(());
    }
    let user = |email: &str| {
        let email = email.to_owned();
        async move {
            let e = pawl_domain::identity::Email::parse(&email)?;
            let u = app
                .store
                .user_by_email(&e)
                .await?
                .ok_or(pawl_store::StoreError::NotFound { entity: "demo member" })?;
            Ok::<Named, AppError>(Named {
                user_id: u.id,
                name: email,
            })
        }
    };
    let admin = user(super::ADMIN_EMAIL).await?;
    let priya = user(PRIYA).await?;
    let readers = [
        user(PRIYA).await?,
        user(TOM).await?,
        user(LENA).await?,
        user("sam.ng@demo.example").await?,
    ];
    let actor = Actor::system("demo loader");
    let today = time::OffsetDateTime::now_utc().date();
    for (i, d) in DOCS.iter().enumerate() {
        let mut input = json!({"title": d.title, "level": d.level, "owner": d.owner, "audience": d.audience,
            "clauses": d.clauses, "annex_a": d.annex_a, "classification": "internal"});
        if !d.parent.is_empty() {
            input["parent_id"] = json!(d.parent);
        }
        let doc = crate::register::create_as(&app.store, org_id, &actor, &DOCUMENT, super::as_map(input)).await?;
        // The policy owner writes; Priya approves, or the administrator
        // approves what Priya wrote (the author never approves).
        let (author, approver) = if d.owner == PRIYA {
            (&priya, &admin)
        } else {
            (&admin, &priya)
        };
        let mut steps = vec![(false, "First issue")];
        steps.extend(d.later.iter().copied());
        let review_by = add_months(today, d.review_in).to_string();
        let ack_by = (today + time::Duration::days(d.ack_in)).to_string();
        for (n, (major, summary)) in steps.iter().enumerate() {
            let v = add_version_as(
                &app.store,
                org_id,
                &actor,
                &author.user_id,
                &author.name,
                &doc.id,
                &VersionInput {
                    content: content(d, if n == 0 { "" } else { summary }),
                    change_summary: (*summary).to_owned(),
                    major: *major,
                    approver: Some(approver.name.clone()),
                    reviewers: vec![TOM.to_owned()],
                },
                None,
            )
            .await?;
            let mut tx = app.store.write(org_id, &actor).await?;
            tx.transition_document_version(&v.id, "in_review", None, None, None)
                .await?;
            tx.transition_document_version(&v.id, "approved", None, None, None)
                .await?;
            let new_major = n == 0 || *major;
            tx.transition_document_version(
                &v.id,
                "published",
                None,
                Some(review_by.clone()),
                new_major.then(|| ack_by.clone()),
            )
            .await?;
            // The managers and contributors read most of it; Sam, on the
            // staff, has read the acceptable use policy's first version only.
            if n == 0 {
                for r in &readers {
                    let in_audience = reader.in_audience(&doc.id, &r.user_id).await?;
                    let reads = match r.name.as_str() {
                        "sam.ng@demo.example" => d.title == "Acceptable use policy",
                        LENA => i % 3 != 0,
                        _ => i % 4 != 1,
                    };
                    if in_audience && reads && !(d.title == ISP && steps.len() > 1) {
                        tx.acknowledge_document(&doc.id, r).await?;
                    }
                }
            }
            tx.commit().await?;
        }
    }
    // Work in progress: a new major version of the access control policy
    // in review, and a minor draft of the change process.
    let draft = |d: &'static Doc, rule: &'static str, before: &'static str, summary: &'static str, major: bool| {
        let (admin, actor, reader) = (&admin, &actor, &reader);
        async move {
            let Some(id) = reader.find_record(DOCUMENT.key, d.title).await? else {
                return Ok::<_, AppError>(None);
            };
            let input = VersionInput {
                content: content(d, summary).replace(before, &format!("- {rule}\n{before}")),
                change_summary: summary.into(),
                major,
                approver: Some(PRIYA.into()),
                reviewers: vec![TOM.into(), LENA.into()],
            };
            Ok(Some(
                add_version_as(
                    &app.store,
                    org_id,
                    actor,
                    &admin.user_id,
                    &admin.name,
                    &id,
                    &input,
                    None,
                )
                .await?,
            ))
        }
    };
    let mfa = "Every remote login uses multi-factor authentication.";
    if let Some(v) = draft(
        &DOCS[2],
        mfa,
        "- Accounts of leavers",
        "Multi-factor authentication for remote access",
        true,
    )
    .await?
    {
        let mut tx = app.store.write(org_id, &actor).await?;
        tx.transition_document_version(&v.id, "in_review", None, None, None)
            .await?;
        tx.commit().await?;
    }
    let standard = "Standard changes from the catalogue need no second reviewer.";
    draft(&DOCS[8], standard, "- Emergency", "Standard changes", false).await?;
    link_controls_and_risks(app, org_id, &actor).await
}

/// What some documents describe (applied controls) and address (risks),
/// so that an auditor can go from a policy to the control that carries it
/// out and the risk it answers.
const LINKS: &[(&str, &str, &str, &str)] = &[
    (ISP, "describes", "applied_control", "Information security policy set"),
    (
        "Acceptable use policy",
        "describes",
        "applied_control",
        "Acceptable use policy and sign-off",
    ),
    (
        "Access control policy",
        "describes",
        "applied_control",
        "Role-based access with SSO",
    ),
    (
        "Access control policy",
        "addresses",
        "risk",
        "Unreviewed access after role changes",
    ),
    (
        "Run the quarterly access review",
        "describes",
        "applied_control",
        "Quarterly access reviews",
    ),
    (
        "Disable a leaver's accounts",
        "describes",
        "applied_control",
        "Leaver checklist returns devices and revokes access",
    ),
    (
        "Disable a leaver's accounts",
        "addresses",
        "risk",
        "Insider copies customer data before leaving",
    ),
    (
        "Incident response process",
        "describes",
        "applied_control",
        "Incident response plan and on-call rota",
    ),
    (
        "Supplier due diligence procedure",
        "describes",
        "applied_control",
        "Supplier security assessment",
    ),
    (
        "Supplier due diligence procedure",
        "addresses",
        "risk",
        "Key supplier breach exposes our data",
    ),
    (
        "Report a lost laptop",
        "addresses",
        "risk",
        "Laptop theft with unencrypted data",
    ),
];

async fn link_controls_and_risks(app: &App, org_id: &str, actor: &Actor) -> Result<(), AppError> {
    let reader = app.store.org(org_id);
    let mut tx = app.store.write(org_id, actor).await?;
    for &(doc, link_type, kind, target) in LINKS {
        let (Some(d), Some(t)) = (
            reader.find_record(DOCUMENT.key, doc).await?,
            reader.find_record(kind, target).await?,
        ) else {
            continue;
        };
        tx.link_records((DOCUMENT.key, d.as_str()), link_type, (kind, t.as_str()), "")
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
