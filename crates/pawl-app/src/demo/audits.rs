//! The demo company's audits and nonconformities (clauses 9.2, 10.2): a
//! programme, last month's internal audit and this year's certification
//! audit with their checklists and findings, and nonconformities at every
//! stage: open, with an approved action plan, awaiting verification,
//! closed, and reopened after an action that did not work. Each root-cause
//! method is used at least once. The auditors' evidence requests are
//! accepted, answered, returned with a comment and still open.

use crate::{App, AppError};
use pawl_domain::audit::Actor;
use pawl_domain::nonconformity::{
    Barrier, BarrierState, Bone, Effectiveness, FaultNode, FaultTree, Fishbone, FiveWhys, Gate, RootCauseAnalysis, Why,
};
use pawl_domain::register::fields;
use pawl_domain::register::{Value, AUDIT, AUDIT_PROGRAMME, CORRECTIVE_ACTION, FINDING, NONCONFORMITY};
use pawl_store::{NewVerification, Record};
use serde_json::json;

const PRIYA: &str = "priya.shah@demo.example";
const TOM: &str = "tom.becker@demo.example";
const LENA: &str = "lena.okafor@demo.example";
const JORGE: &str = "jorge.morales@audit.example";

fn day(back: i64) -> String {
    (time::OffsetDateTime::now_utc().date() - time::Duration::days(back)).to_string()
}

fn why(why: &str, because: &str) -> Why {
    Why {
        why: why.into(),
        because: because.into(),
    }
}

fn event(e: &str) -> FaultNode {
    FaultNode {
        event: e.into(),
        gate: None,
        children: Vec::new(),
    }
}

/// Creates the audits and nonconformities when the demo has none.
pub async fn ensure(app: &App, org_id: &str) -> Result<(), AppError> {
    let reader = app.store.org(org_id);
    if !reader.record_counts(&AUDIT).await?.is_empty() {
        return Ok(());
    }
    let actor = Actor::system("demo loader");
    let create = |kind, input: serde_json::Value| {
        crate::register::create_as(&app.store, org_id, &actor, kind, super::as_map(input))
    };
    let programme = create(
        &AUDIT_PROGRAMME,
        json!({"title": "ISMS audit programme 2026-2028", "period_start": "2026-01-01", "period_end": "2028-12-31",
            "owner": PRIYA, "approach": "Every clause and applicable control once in three years; access, backups and suppliers every year, for their risks and last year's findings."}),
    )
    .await?;
    let mut tx = app.store.write(org_id, &actor).await?;
    tx.transition_record(&AUDIT_PROGRAMME, &programme.id, "approved", None)
        .await?;
    tx.commit().await?;

    let internal = create(
        &AUDIT,
        json!({"title": "Internal audit: operations and access", "audit_type": "internal", "programme_id": programme.id,
            "scope": "IT operations and access management at the Leeds office and in the cloud platform.",
            "criteria": "ISO/IEC 27001:2022, the Statement of Applicability, the access control policy",
            "clauses": "7.5, 9.1, 9.2", "annex_a": "A.5.15, A.5.18, A.8.13, A.8.15",
            "start_date": day(40), "end_date": day(38), "lead_auditor": JORGE, "team": "",
            "auditees": "Tom Becker (IT operations), Lena Okafor (people operations)"}),
    )
    .await?;
    let certification = create(
        &AUDIT,
        json!({"title": "Certification audit, stage 2", "audit_type": "certification", "programme_id": programme.id,
            "scope": "The ISMS of Kestrel Analytics Ltd as in the scope statement.",
            "criteria": "ISO/IEC 27001:2022", "clauses": "4, 5, 6, 7, 8, 9, 10", "annex_a": "A.5.18, A.8.2",
            "start_date": day(120), "end_date": day(117), "lead_auditor": "Anne Assessor",
            "certification_body": "Northern Certification Services"}),
    )
    .await?;
    let suppliers_audit = create(
        &AUDIT,
        json!({"title": "Internal audit: suppliers and incidents", "audit_type": "internal", "programme_id": programme.id,
            "scope": "Supplier management and incident response.", "clauses": "8.1, 10.2",
            "annex_a": "A.5.19, A.5.20, A.5.24, A.5.26", "start_date": day(-58), "end_date": day(-60), "lead_auditor": JORGE}),
    )
    .await?;
    // Results are recorded while an audit is in progress; reporting it
    // closes its checklist and findings, so that comes last.
    let mut tx = app.store.write(org_id, &actor).await?;
    for audit in [&internal, &certification] {
        tx.transition_record(&AUDIT, &audit.id, "in_progress", None).await?;
    }
    // The checklists: most conform; the backups and leavers did not.
    for audit in [&internal, &certification] {
        for item in reader.checklist(&audit.id).await? {
            let (result, notes) = match item.requirement.as_str() {
                "A.8.13" => ("nonconformity", "No restore test recorded in twelve months."),
                "A.5.18" if audit.id == certification.id => ("nonconformity", "Two of 25 leavers sampled kept access."),
                "A.8.15" => ("opportunity_for_improvement", "Logs are kept; alerts could be tuned."),
                "9.1" => ("observation", "KPIs are measured but not yet analysed for trends."),
                _ => ("conformity", "Sampled and seen to operate."),
            };
            tx.record_checklist_item(&audit.id, &item.id, result, notes, "Interviews and records sampled")
                .await?;
        }
    }
    tx.commit().await?;

    let finding = |audit: &Record, kind: &str, title: &str, description: &str, annex: &str| {
        create(
            &FINDING,
            json!({"audit_id": audit.id, "finding_type": kind, "title": title, "description": description,
                "annex_a": annex, "evidence": "Records sampled during the audit"}),
        )
    };
    let restores = finding(
        &internal,
        "minor_nonconformity",
        "Restore tests not performed",
        "The backup procedure asks for quarterly restore tests; none was recorded in twelve months.",
        "A.8.13",
    )
    .await?;
    finding(
        &internal,
        "observation",
        "KPIs not analysed",
        "Monitoring results are collected but trends are not discussed.",
        "",
    )
    .await?;
    finding(
        &internal,
        "opportunity_for_improvement",
        "Tune log alerts",
        "Security log alerts fire often and are mostly noise.",
        "A.8.15",
    )
    .await?;
    finding(
        &internal,
        "positive",
        "Clear access procedure",
        "Joiner requests are approved and recorded consistently.",
        "A.5.15",
    )
    .await?;
    let leavers = finding(
        &certification,
        "minor_nonconformity",
        "Leaver accounts not disabled within a day",
        "Two of 25 leavers sampled kept SaaS access for more than a week.",
        "A.5.18",
    )
    .await?;
    finding(
        &certification,
        "opportunity_for_improvement",
        "Automate access reviews",
        "Quarterly reviews are manual spreadsheets.",
        "A.5.18",
    )
    .await?;

    let mut tx = app.store.write(org_id, &actor).await?;
    for audit in [&internal, &certification] {
        tx.transition_record(&AUDIT, &audit.id, "reported", None).await?;
    }
    tx.transition_record(&AUDIT, &certification.id, "closed", None).await?;
    tx.commit().await?;

    let nc_of = |f: &Record| {
        let id = match f.value("nonconformity_id") {
            Some(Value::OptText(Some(id))) => id.clone(),
            _ => String::new(),
        };
        let reader = &reader;
        async move { Ok::<_, AppError>(reader.record(&NONCONFORMITY, &id).await?) }
    };
    let restore_nc = nc_of(&restores).await?;
    let leaver_nc = nc_of(&leavers).await?;
    let visitors = create(
        &NONCONFORMITY,
        json!({"title": "Visitor log gaps at the Leeds office", "source": "self_identified", "severity": "minor",
            "description": "Visitors on three days in June were not signed in.", "annex_a": "A.7.2", "owner": LENA,
            "detected_on": day(200), "containment": "Reception briefed the same day.", "contained_on": day(199)}),
    )
    .await?;
    let phishing = create(
        &NONCONFORMITY,
        json!({"title": "New starter entered credentials on a phishing page", "source": "incident", "severity": "major",
            "description": "A new starter entered SSO credentials on a look-alike page; the session was revoked within an hour.",
            "clauses": "7.3", "annex_a": "A.6.3, A.8.5", "owner": PRIYA, "detected_on": day(25), "due_date": day(-35),
            "containment": "Password reset and sessions revoked.", "contained_on": day(25),
            "correction": "Account reviewed; no data accessed.", "corrected_on": day(24)}),
    )
    .await?;
    create(
        &NONCONFORMITY,
        json!({"title": "Supplier security reviews overdue", "source": "monitoring", "severity": "minor",
            "description": "Three critical suppliers are past their annual review date.", "annex_a": "A.5.22",
            "owner": LENA, "detected_on": day(6), "due_date": day(-54)}),
    )
    .await?;
    let mut tx = app.store.write(org_id, &actor).await?;
    let owner = |email: &str, n: &Record| {
        let mut v = n.values.clone();
        fields::nonconformity::OWNER.set(
            &mut v,
            Value::Person {
                user_id: None,
                name: email.into(),
            },
        );
        v
    };
    for (nc, who) in [(&restore_nc, TOM), (&leaver_nc, LENA)] {
        let mut v = owner(who, nc);
        crate::register::resolve_people(&app.store, org_id, &NONCONFORMITY, &mut v).await?;
        tx.update_record(&NONCONFORMITY, &nc.id, v, None).await?;
    }
    let analyses = [
        (
            &restore_nc,
            RootCauseAnalysis {
                statement: "The backup procedure had no owner for restore tests".into(),
                category: "process".into(),
                five_whys: Some(FiveWhys {
                    problem: "No restore test in twelve months".into(),
                    whys: vec![
                        why("Why was no restore tested?", "Nobody was asked to run one"),
                        why(
                            "Why was nobody asked?",
                            "The procedure says 'quarterly' but names no owner",
                        ),
                        why(
                            "Why does it name no owner?",
                            "It was written before the operations team existed",
                        ),
                    ],
                }),
                ..Default::default()
            },
        ),
        (
            &leaver_nc,
            RootCauseAnalysis {
                statement: "SaaS accounts are outside the HR-driven leaver process".into(),
                category: "technology".into(),
                fishbone: Some(Fishbone {
                    problem: "Leavers keep SaaS access".into(),
                    bones: vec![
                        Bone {
                            category: "Process".into(),
                            causes: vec!["Leaver checklist lists only SSO apps".into()],
                        },
                        Bone {
                            category: "Technology".into(),
                            causes: vec!["Eight SaaS tools use local accounts".into(), "No SCIM".into()],
                        },
                        Bone {
                            category: "People".into(),
                            causes: vec!["Team leads own tool admin".into()],
                        },
                    ],
                }),
                ..Default::default()
            },
        ),
        (
            &visitors,
            RootCauseAnalysis {
                statement: "Cover receptionists were never shown the visitor procedure".into(),
                category: "people".into(),
                barriers: vec![
                    Barrier {
                        barrier: "Reception sign-in".into(),
                        expected: "Every visitor signs in".into(),
                        state: BarrierState::Failed,
                        why: "Cover staff did not know the procedure".into(),
                    },
                    Barrier {
                        barrier: "Badge-controlled doors".into(),
                        expected: "No one enters without a badge".into(),
                        state: BarrierState::Worked,
                        why: String::new(),
                    },
                ],
                ..Default::default()
            },
        ),
        (
            &phishing,
            RootCauseAnalysis {
                statement: "New starters meet phishing before their awareness training".into(),
                category: "people".into(),
                fault_tree: Some(FaultTree {
                    top: FaultNode {
                        event: "Credentials phished".into(),
                        gate: Some(Gate::And),
                        children: vec![
                            event("Look-alike page not blocked"),
                            FaultNode {
                                event: "User entered password".into(),
                                gate: Some(Gate::Or),
                                children: vec![event("No training yet"), event("No phishing-resistant MFA")],
                            },
                        ],
                    },
                }),
                ..Default::default()
            },
        ),
    ];
    for (nc, a) in &analyses {
        tx.set_root_cause(&nc.id, a, None).await?;
    }
    tx.commit().await?;

    // The actions, each at its stage.
    let action = |nc: &Record, what: &str, owner: &str, criteria: &str, due: String, verify_from: String| {
        create(
            &CORRECTIVE_ACTION,
            json!({"nonconformity_id": nc.id, "description": what, "owner": owner, "effectiveness_criteria": criteria,
                "due_date": due, "verify_not_before": verify_from, "completion_evidence": "Change record in the service desk"}),
        )
    };
    let failed = action(
        &restore_nc,
        "Add a quarterly restore test to the on-call calendar",
        TOM,
        "Two consecutive quarterly restore tests recorded and passed",
        day(30),
        day(20),
    )
    .await?;
    let retry = action(
        &restore_nc,
        "Name the backup owner in the procedure and automate the restore test",
        TOM,
        "Automated restore test passes every week for a quarter",
        day(-20),
        day(-90),
    )
    .await?;
    let scim = action(
        &leaver_nc,
        "Move the eight SaaS tools to SSO with automatic deprovisioning",
        TOM,
        "No leaver sampled keeps access past their last day, over two months",
        day(10),
        day(5),
    )
    .await?;
    let briefing = action(
        &visitors,
        "Brief all cover receptionists and add the procedure to their induction",
        LENA,
        "Visitor log complete for three months of spot checks",
        day(150),
        day(100),
    )
    .await?;
    let drills = action(
        &phishing,
        "Phishing drill and awareness session in the first week of employment",
        PRIYA,
        "No new starter fails the first-week drill over a quarter",
        day(-30),
        day(-90),
    )
    .await?;
    let mut tx = app.store.write(org_id, &actor).await?;
    for (nc, to) in [
        (&restore_nc, &["actioned", "awaiting_verification"][..]),
        (&leaver_nc, &["actioned", "awaiting_verification"][..]),
        (&visitors, &["actioned", "awaiting_verification"][..]),
        (&phishing, &["actioned"][..]),
    ] {
        for t in to {
            tx.transition_record(&NONCONFORMITY, &nc.id, t, None).await?;
        }
    }
    tx.transition_record(&CORRECTIVE_ACTION, &drills.id, "in_progress", None)
        .await?;
    for (ca, by) in [(&failed, TOM), (&scim, TOM), (&briefing, LENA)] {
        let moved = tx
            .transition_record(&CORRECTIVE_ACTION, &ca.id, "implemented", None)
            .await?;
        let mut v = moved.values.clone();
        fields::corrective_action::IMPLEMENTED_BY.set(
            &mut v,
            Value::Person {
                user_id: None,
                name: by.into(),
            },
        );
        fields::corrective_action::IMPLEMENTED_ON.set(&mut v, Value::OptText(Some(day(60))));
        crate::register::resolve_people(&app.store, org_id, &CORRECTIVE_ACTION, &mut v).await?;
        tx.update_record(&CORRECTIVE_ACTION, &ca.id, v, None).await?;
    }
    let jorge = app
        .store
        .user_by_email(&pawl_domain::identity::Email::parse(JORGE)?)
        .await?
        .ok_or(pawl_store::StoreError::NotFound { entity: "demo auditor" })?;
    for (ca, result, notes) in [
        (
            &failed,
            Effectiveness::NotEffective,
            "The second restore test was skipped during the holidays; the cause is still there.",
        ),
        (
            &briefing,
            Effectiveness::Effective,
            "Three months of spot checks: every visitor signed in.",
        ),
    ] {
        tx.add_verification(&NewVerification {
            action_id: ca.id.clone(),
            result,
            verified_on: day(15),
            verifier_user_id: jorge.id.clone(),
            verifier: JORGE.into(),
            notes: notes.into(),
            evidence: "Spot-check records".into(),
        })
        .await?;
        tx.force_status(&CORRECTIVE_ACTION, &ca.id, result.as_str()).await?;
    }
    tx.force_status(&NONCONFORMITY, &restore_nc.id, "reopened").await?;
    tx.transition_record(&CORRECTIVE_ACTION, &retry.id, "in_progress", None)
        .await?;
    // The visitor procedure's new version is the change to the ISMS.
    if let Some(doc) = reader.find_record("document", "Document control process").await? {
        tx.link_records(
            (CORRECTIVE_ACTION.key, briefing.id.as_str()),
            "changed",
            ("document", doc.as_str()),
            "induction updated",
        )
        .await?;
    }
    tx.transition_record(&NONCONFORMITY, &visitors.id, "closed", None)
        .await?;
    tx.commit().await?;

    // What the auditors asked to see: accepted for last month's audit; for
    // the one coming up, one answered, one returned with a comment and
    // one still open. Each is (audit, what, controls, who answers, due,
    // the answer and what the auditor made of it).
    type Judged = Option<(&'static str, Option<(&'static str, Option<&'static str>)>)>;
    let accepted = Some(("accepted", None));
    let requests: [(&Record, &str, &str, &str, String, Judged); 5] = [
        (
            &internal,
            "The last two access reviews, with who signed them off",
            "A.5.18",
            TOM,
            day(45),
            Some((
                "Reviews of 2 September and 2 October, tickets SEC-101 and SEC-118",
                accepted,
            )),
        ),
        (
            &internal,
            "Backup job reports for the last quarter",
            "A.8.13",
            TOM,
            day(44),
            Some((
                "Weekly job reports from the backup console, in the evidence list",
                accepted,
            )),
        ),
        (
            &suppliers_audit,
            "The supplier register with each critical supplier's last review",
            "A.5.19, A.5.22",
            PRIYA,
            day(-50),
            Some((
                "The supplier register export and the three critical suppliers' review notes",
                None,
            )),
        ),
        (
            &suppliers_audit,
            "The incident response exercise report",
            "A.5.26",
            LENA,
            day(-54),
            Some((
                "The tabletop exercise of March",
                Some((
                    "returned",
                    Some("That exercise was last year's; show this year's or the plan for it"),
                )),
            )),
        ),
        (
            &suppliers_audit,
            "Incident reports of the last six months and their lessons",
            "A.5.24, A.5.27",
            PRIYA,
            day(-52),
            None,
        ),
    ];
    let kind = &pawl_domain::register::EVIDENCE_REQUEST;
    for (audit, title, annex, assignee, due, judged) in requests {
        let r = create(
            kind,
            json!({"title": title, "audit_id": audit.id, "annex_a": annex, "assignee": assignee,
                "requested_by": JORGE, "due_date": due}),
        )
        .await?;
        if let Some((answer, then)) = judged {
            crate::register::transition_as(&app.store, org_id, &actor, kind, &r.id, "answered", Some(answer)).await?;
            if let Some((to, comment)) = then {
                crate::register::transition_as(&app.store, org_id, &actor, kind, &r.id, to, comment).await?;
            }
        }
    }
    Ok(())
}
