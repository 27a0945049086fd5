//! The demo company's context and the organisation around its ISMS (4.1-
//! 4.3, 7.2, 7.3, A.5.19-5.30): ten context issues, eight interested
//! parties with their requirements, the scope in its second approved
//! version, two hundred people with a year of training completions over
//! four campaigns, competence records, twenty suppliers (two reviews
//! overdue, one failure) and two exercises whose gaps became improvements.

use crate::{App, AppError};
use pawl_domain::audit::Actor;
use pawl_domain::identity::{Email, Role};
use pawl_domain::register::fields;
use pawl_domain::register::{
    Value, COMPETENCE, CONTEXT_ISSUE, EXERCISE, IMPROVEMENT, INTERESTED_PARTY, REQUIREMENT, SCOPE, SUPPLIER,
    SUPPLIER_FAILURE, TRAINING,
};
use pawl_store::{NewCompletion, NewMember};
use serde_json::json;

const PRIYA: &str = "priya.shah@demo.example";
const TOM: &str = "tom.becker@demo.example";
const LENA: &str = "lena.okafor@demo.example";

/// The company has two hundred people; seven of them run or audit the ISMS.
pub const HEADCOUNT: usize = 200;

const FIRST: &[&str] = &[
    "amara", "ben", "chloe", "dev", "elena", "farid", "grace", "hugo", "isla", "jamal", "kira", "liam", "mei", "nils",
    "olga", "pavel", "quinn", "rosa", "sanjay", "tara",
];
const LAST: &[&str] = &[
    "adams", "bauer", "costa", "dubois", "evans", "fischer", "garcia", "hughes", "ito", "jensen",
];

fn day(back: i64) -> String {
    (crate::today() - time::Duration::days(back)).to_string()
}

/// A requirement: its title, type, and the record that addresses it.
type Requirement<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>);

/// The people beyond the seven demo accounts, as staff who can sign in with
/// the demo password, so that training is read over a real headcount.
async fn ensure_people(app: &App, org_id: &str, actor: &Actor, password: &str) -> Result<(), AppError> {
    let hash = crate::auth::hash_password(password)?;
    let mut tx = app.store.write(org_id, actor).await?;
    for i in 0..HEADCOUNT - super::PEOPLE.len() {
        let email = format!(
            "{}.{}{}@demo.example",
            FIRST[i % FIRST.len()],
            LAST[(i / FIRST.len()) % LAST.len()],
            i / 200
        );
        let email = email.replace("0@", "@");
        let capital = |w: &str| w[..1].to_uppercase() + &w[1..];
        tx.add_member(&NewMember {
            email: Email::parse(&email)?,
            name: format!(
                "{} {}",
                capital(FIRST[i % FIRST.len()]),
                capital(LAST[(i / FIRST.len()) % LAST.len()])
            ),
            role: Role::Staff,
            password_hash: hash.clone(),
            address: pawl_store::AddressProof::Proven,
        })
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates the context, training, supplier and exercise data when the demo
/// has none.
pub async fn ensure(app: &App, org_id: &str, password: &str) -> Result<(), AppError> {
    if app
        .store
        .org(org_id)
        .records(&SUPPLIER, &Default::default(), &Default::default())
        .await?
        .total
        > 0
    {
        return Ok(());
    }
    let d = super::Loader {
        app,
        org_id,
        actor: Actor::system("demo loader"),
    };
    ensure_people(app, org_id, &d.actor, password).await?;

    // Context (4.1): PESTLE, the organisation's choice.
    let fido = d.id_of("applied_control", "Phishing-resistant MFA (FIDO2)").await?;
    let legal_register = d
        .id_of("applied_control", "Legal and contractual requirements register")
        .await?;
    let privacy = d.id_of("applied_control", "Privacy programme (DPIAs, RoPA)").await?;
    let supplier_assessment = d.id_of("applied_control", "Supplier security assessment").await?;
    let continuity = d
        .id_of("applied_control", "Business continuity plan for the platform")
        .await?;
    let confidentiality = d
        .id_of("applied_control", "Confidentiality clauses in contracts")
        .await?;
    let awareness = d
        .id_of("applied_control", "Security awareness programme and phishing drills")
        .await?;
    let incident_plan = d
        .id_of("applied_control", "Incident response plan and on-call rota")
        .await?;
    let supplier_policy = d.id_of("document", "Supplier security policy").await?;
    let isp = d.id_of("document", "Information security policy").await?;
    let issues = [
        (
            "external",
            "legal",
            "UK GDPR and the Data (Use and Access) Act",
            "Customer analytics is personal data: fines, and customers' trust, depend on handling it lawfully.",
            Some(&privacy),
        ),
        (
            "external",
            "legal",
            "NIS2 obligations of our EU customers flow down to us",
            "EU clients ask for incident notice within 24 hours and supplier audits.",
            Some(&legal_register),
        ),
        (
            "external",
            "technological",
            "Credential phishing keeps getting better",
            "AI-written lures beat awareness training alone; strong authentication carries the weight.",
            Some(&fido),
        ),
        (
            "external",
            "economic",
            "Customers consolidate their vendors",
            "Larger deals bring security questionnaires and audit rights into every contract.",
            Some(&confidentiality),
        ),
        (
            "external",
            "political",
            "Data transfers to the US under review",
            "Our cloud provider's US parent may face new transfer rules.",
            None,
        ),
        (
            "external",
            "environmental",
            "Flooding risk at the Leeds office",
            "The office is in a flood zone; the platform is not, but staff access is.",
            Some(&continuity),
        ),
        (
            "internal",
            "social",
            "Half the staff work remotely",
            "Home networks and shared devices widen the attack surface.",
            Some(&awareness),
        ),
        (
            "internal",
            "technological",
            "Single cloud region for production",
            "A regional outage stops the service; recovery depends on the provider.",
            Some(&continuity),
        ),
        (
            "internal",
            "economic",
            "A small security team",
            "Two people carry the ISMS; automation and clear ownership matter.",
            None,
        ),
        (
            "internal",
            "social",
            "Fast hiring in engineering",
            "Forty new engineers this year need onboarding into secure development.",
            None,
        ),
    ];
    for (origin, category, title, effect, answered) in issues {
        let issue = d
            .create(
                &CONTEXT_ISSUE,
                json!({"title": title, "origin": origin, "category": category, "effect": effect,
                "owner": PRIYA, "reviewed_on": day(40)}),
            )
            .await?;
        if let Some(control) = answered {
            d.link(
                (CONTEXT_ISSUE.key, &issue.id),
                "addresses",
                ("applied_control", control),
            )
            .await?;
        }
    }

    // Interested parties (4.2) and their requirements.
    let parties: [(&str, &str, &str, &[Requirement]); 8] = [
        (
            "Enterprise customers",
            "customer",
            "Security of their data and proof of it.",
            &[
                (
                    "ISO/IEC 27001 certificate kept current",
                    "contractual",
                    Some(("document", isp.as_str())),
                ),
                (
                    "Breach notice within 24 hours",
                    "contractual",
                    Some(("applied_control", incident_plan.as_str())),
                ),
                ("Right to audit once a year", "contractual", None),
            ],
        ),
        (
            "Information Commissioner's Office",
            "regulator",
            "Lawful processing of personal data.",
            &[
                (
                    "Report personal data breaches within 72 hours",
                    "legal",
                    Some(("applied_control", incident_plan.as_str())),
                ),
                (
                    "Records of processing and DPIAs",
                    "legal",
                    Some(("applied_control", privacy.as_str())),
                ),
            ],
        ),
        (
            "Employees",
            "employee",
            "A safe workplace and clear rules.",
            &[(
                "Know how to report a security concern",
                "other",
                Some(("applied_control", awareness.as_str())),
            )],
        ),
        (
            "Board and investors",
            "owner",
            "Risk kept within appetite; no surprises.",
            &[("Quarterly report on security risk", "other", None)],
        ),
        (
            "Cloud provider",
            "supplier",
            "Use of the service within its terms.",
            &[(
                "Shared responsibility: customer-side controls",
                "contractual",
                Some(("applied_control", supplier_assessment.as_str())),
            )],
        ),
        (
            "Cyber insurer",
            "insurer",
            "Controls stated in the proposal stay in place.",
            &[
                (
                    "MFA on all remote access",
                    "contractual",
                    Some(("applied_control", fido.as_str())),
                ),
                ("Tested offline backups", "contractual", None),
            ],
        ),
        (
            "Payment processor",
            "supplier",
            "Card data kept out of our systems.",
            &[(
                "No card data stored",
                "contractual",
                Some(("document", supplier_policy.as_str())),
            )],
        ),
        (
            "Local community",
            "public",
            "Responsible handling of waste equipment.",
            &[("Certified disposal of old hardware", "legal", None)],
        ),
    ];
    for (name, kind, what, reqs) in parties {
        let party = d
            .create(
                &INTERESTED_PARTY,
                json!({"name": name, "type": kind, "description": what, "owner": PRIYA}),
            )
            .await?;
        for (title, ty, addressed_by) in reqs {
            let req = d
                .create(
                    &REQUIREMENT,
                    json!({"party_id": party.id, "title": title, "type": ty, "owner": PRIYA}),
                )
                .await?;
            if let Some(by) = addressed_by {
                d.link(*by, "addresses", (REQUIREMENT.key, &req.id)).await?;
            }
        }
    }

    // The scope (4.3): the first version superseded by the second.
    let first = d
        .create(&SCOPE, json!({"title": "ISMS scope, first version", "approver": "admin@demo.example",
            "statement": "The information security management system of Kestrel Analytics Ltd covering the analytics platform.",
            "boundaries": "The analytics platform in AWS eu-west-1; the engineering and customer success teams.",
            "interfaces": "Customers' data feeds; the cloud provider; the payment processor.",
            "exclusions": "None."}))
        .await?;
    d.to(&first, "in_review", None).await?;
    d.to(&first, "approved", None).await?;
    let second = d
        .create(&SCOPE, json!({"title": "ISMS scope, second version", "approver": "admin@demo.example",
            "statement": "The information security management system of Kestrel Analytics Ltd covering the design, development, operation and support of the Kestrel analytics platform and the data customers entrust to it.",
            "boundaries": "The platform in AWS eu-west-1 and eu-central-1 (backup); the Leeds office; engineering, customer success, people and finance teams; laptops and SaaS tools used by staff.",
            "interfaces": "Customers' data feeds and SSO; the cloud provider (shared responsibility); the payment processor; the outsourced payroll bureau.",
            "exclusions": "Annex A 7.6 (secure areas): production runs in the provider's certified data centres. Annex A 8.30 (outsourced development): none is outsourced."}))
        .await?;
    d.to(&second, "in_review", None).await?;
    d.to(&second, "approved", None).await?;

    // Training (7.2, 7.3): four campaigns, a year of completions.
    let campaigns = [
        (
            "Security awareness 2026",
            "Awareness",
            "everyone",
            day(-60),
            "yearly",
            0.86,
        ),
        (
            "Phishing refresher",
            "Phishing",
            "everyone",
            day(-25),
            "quarterly",
            0.55,
        ),
        (
            "Secure coding",
            "Secure development",
            "contributor, manager",
            day(20),
            "yearly",
            0.5,
        ),
        (
            "Incident response for managers",
            "Incident response",
            "manager, admin",
            day(90),
            "once",
            1.0,
        ),
    ];
    let mut completions = Vec::new();
    for (n, (title, topic, audience, due, recurrence, share)) in campaigns.into_iter().enumerate() {
        let t = d
            .create(
                &TRAINING,
                json!({"title": title, "topic": topic, "audience": audience, "due_date": due,
                "recurrence": recurrence, "owner": LENA,
                "description": "Assigned through the LMS; completions are imported each month."}),
            )
            .await?;
        let trainees = app.store.org(org_id).trainees(&t.id).await?;
        let done = (trainees.len() as f64 * share) as usize;
        for (i, p) in trainees.iter().enumerate() {
            // Sam, the demo's staff member, still has the phishing refresher to do.
            if i >= done || (n == 1 && p.email == "sam.ng@demo.example") {
                continue;
            }
            completions.push(NewCompletion {
                training_id: t.id.clone(),
                email: p.email.clone(),
                user_id: Some(p.user_id.clone()),
                completed_on: day(((i * 7 + n * 31) % 330) as i64 + 1),
                notes: if i % 9 == 0 { "Score: 90".into() } else { String::new() },
                source: "import".into(),
            });
        }
    }
    // The awareness course of last year too, so that the chart covers the year.
    let old = d
        .create(
            &TRAINING,
            json!({"title": "Security awareness 2025", "topic": "Awareness", "audience": "everyone",
            "due_date": day(300), "recurrence": "once", "owner": LENA}),
        )
        .await?;
    for (i, p) in app
        .store
        .org(org_id)
        .trainees(&old.id)
        .await?
        .iter()
        .enumerate()
        .take(150)
    {
        completions.push(NewCompletion {
            training_id: old.id.clone(),
            email: p.email.clone(),
            user_id: Some(p.user_id.clone()),
            completed_on: day(300 + (i % 60) as i64),
            notes: String::new(),
            source: "import".into(),
        });
    }
    d.to(&old, "closed", None).await?;
    let mut tx = app.store.write(org_id, &d.actor).await?;
    tx.add_completions(&completions).await?;
    tx.commit().await?;

    // Competence (7.2 d).
    for (person, requirement, qualifications, assessment, valid) in [
        (
            PRIYA,
            "ISMS manager: ISO/IEC 27001 lead implementer",
            "PECB Lead Implementer, 2023; eight years in security",
            "met",
            day(-500),
        ),
        (
            TOM,
            "Platform lead: cloud security",
            "AWS Security Specialty",
            "met",
            day(-200),
        ),
        (
            LENA,
            "Incident handler: GCIH or two years' SOC work",
            "Eighteen months' SOC work; GCIH booked",
            "developing",
            day(-120),
        ),
        (
            "jorge.morales@audit.example",
            "Internal auditor: ISO 19011 training",
            "Lead auditor course, 2022",
            "met",
            day(-700),
        ),
    ] {
        d.create(&COMPETENCE, json!({"person": person, "role_requirement": requirement, "qualifications": qualifications,
            "assessment": assessment, "assessed_on": day(60), "valid_until": valid, "evidence": "Certificate in the HR file"}))
            .await?;
    }

    // Suppliers (A.5.19-5.22): twenty, two reviews overdue, one failure.
    let suppliers = [
        (
            "Amazon Web Services",
            "critical",
            "Hosting of the platform",
            "Customer data (all)",
        ),
        ("Okta", "critical", "Single sign-on", "Staff identities"),
        ("Stripe", "high", "Payments", "Billing contacts"),
        (
            "Google Workspace",
            "high",
            "E-mail and documents",
            "Internal documents, e-mail",
        ),
        (
            "Atlassian",
            "high",
            "Issue tracking and wiki",
            "Designs, incident notes",
        ),
        (
            "GitHub",
            "critical",
            "Source code hosting and CI",
            "Source code, secrets in CI",
        ),
        ("Datadog", "high", "Monitoring and logs", "Logs with IP addresses"),
        ("PagerDuty", "medium", "On-call alerting", "Staff phone numbers"),
        ("Zendesk", "high", "Customer support", "Customer contacts, tickets"),
        ("HubSpot", "medium", "Marketing and CRM", "Prospect contacts"),
        ("Payroll Bureau Ltd", "high", "Payroll", "Staff bank details"),
        ("Leeds Facilities Ltd", "low", "Office cleaning and security", "None"),
        ("ShredSafe", "low", "Confidential waste", "Paper records"),
        ("Kandji", "medium", "Device management", "Device inventory"),
        ("1Password", "critical", "Password management", "Shared credentials"),
        ("Cloudflare", "high", "DNS and edge protection", "Traffic metadata"),
        ("Twilio", "medium", "SMS notifications", "Phone numbers"),
        ("Lattice", "low", "Performance reviews", "Staff reviews"),
        ("Snyk", "medium", "Dependency scanning", "Source code metadata"),
        ("Acme Pen Testing", "medium", "Yearly penetration test", "Test findings"),
    ];
    let mut ids = Vec::new();
    for (i, (name, criticality, services, data)) in suppliers.iter().enumerate() {
        let s = d
            .create(&SUPPLIER, json!({"name": name, "criticality": criticality, "services": services, "data_handled": data,
                "owner": if i % 2 == 0 { TOM } else { LENA }, "contract_start": day(900 - (i as i64) * 20),
                "contract_end": day(-400 + (i as i64) * 15),
                "security_clauses": "Confidentiality; breach notice within 48 hours; right to audit or an independent report; subprocessors listed."}))
            .await?;
        ids.push(s.id.clone());
        // Okta and Datadog were last reviewed long ago: overdue.
        let reviewed = match *name {
            "Okta" => 260,
            "Datadog" => 420,
            _ => 30 + (i as i64 * 11) % 150,
        };
        let mut tx = app.store.write(org_id, &d.actor).await?;
        tx.add_supplier_review(
            &s.id,
            &day(reviewed),
            if i % 6 == 5 { "concerns" } else { "satisfactory" },
            "Certificate and SOC 2 report read; questionnaire answers checked against the contract.",
            "Supplier file",
        )
        .await?;
        let mut values = s.values.clone();
        fields::supplier::LAST_REVIEW.set(&mut values, Value::OptText(Some(day(reviewed))));
        crate::context::check_supplier(&mut values);
        tx.update_record(&SUPPLIER, &s.id, values, None).await?;
        tx.commit().await?;
    }
    let failure = d
        .create(
            &SUPPLIER_FAILURE,
            json!({"supplier_id": ids[7], "title": "Alerts not delivered for three hours",
            "description": "An outage at the alerting provider delayed on-call pages during a database failover.",
            "occurred_on": day(75), "impact": "medium",
            "resolution": "Second alerting path by SMS added; the provider's post-mortem reviewed."}),
        )
        .await?;
    d.to(&failure, "resolved", None).await?;
    d.create(&pawl_domain::register::LESSON, json!({"title": "One alerting path is a single point of failure",
        "source": "supplier_failure", "source_record": failure.reference, "owner": TOM, "learned_on": day(70),
        "lesson": "When the alerting provider failed, nobody was paged.", "recommendation": "Keep a second, independent path."}))
        .await?;

    // Exercises (A.5.24-5.30): each gap became an improvement item.
    let ransomware = d
        .create(&EXERCISE, json!({"title": "Ransomware tabletop", "type": "tabletop", "facilitator": PRIYA,
            "scenario": "Friday 17:00: the finance share is encrypted and a ransom note names our customers.",
            "objectives": "Test decisions, roles and communication in the first four hours.",
            "planned_for": day(80), "held_on": day(75), "participants": "Leadership team, IT, customer success, legal adviser",
            "observations": "Containment decisions were quick. Gaps: nobody knew who notifies the cyber insurer; the customer notice template was out of date."}))
        .await?;
    d.to(&ransomware, "held", None).await?;
    let ransomware = d.to(&ransomware, "reported", None).await?;
    let restore = d
        .create(&EXERCISE, json!({"title": "Restore the customer database from backup", "type": "recovery_test",
            "facilitator": TOM, "scenario": "The production database is lost; restore last night's backup in the backup region.",
            "objectives": "Restore within four hours with at most 24 hours of data lost.",
            "planned_for": day(40), "held_on": day(38), "participants": "Platform team",
            "observations": "Restored in 3 h 10 min. Gap: the runbook missed a step for the read replicas."}))
        .await?;
    d.to(&restore, "held", None).await?;
    let restore = d.to(&restore, "reported", None).await?;
    d.create(
        &pawl_domain::register::LESSON,
        json!({"title": "Nobody knew who calls the insurer", "source": "exercise",
        "source_record": ransomware.reference, "owner": PRIYA, "learned_on": ransomware.text("held_on"),
        "lesson": "In the tabletop, the team lost twenty minutes working out who notifies the cyber insurer.",
        "recommendation": "Name the role in the incident response process."}),
    )
    .await?;
    for (exercise, title, description) in [
        (
            &ransomware,
            "Name who notifies the cyber insurer",
            "The ransomware tabletop found no one owns the call to the insurer.",
        ),
        (
            &ransomware,
            "Refresh the customer breach notice template",
            "The template predates our current contracts.",
        ),
        (
            &restore,
            "Add read replicas to the restore runbook",
            "The restore test found the runbook misses a step.",
        ),
    ] {
        d.create(
            &IMPROVEMENT,
            json!({"title": title, "description": description, "source": "exercise",
            "source_record": exercise.reference, "owner": PRIYA, "identified_on": exercise.text("held_on")}),
        )
        .await?;
    }
    d.create(
        &EXERCISE,
        json!({"title": "Phishing simulation, winter", "type": "simulation", "facilitator": LENA,
        "scenario": "A fake parcel notice to every member of staff.", "planned_for": day(-30)}),
    )
    .await?;
    Ok(())
}
