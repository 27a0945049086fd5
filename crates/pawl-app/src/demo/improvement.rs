//! The demo company's continual improvement (clause 10.1): incidents and
//! near misses of last year and this, with their timelines; improvements
//! at every step, one sent back by an evaluation that found it not
//! effective and one that skipped a step; lessons learned, some of which
//! drove a change; staff suggestions accepted, declined and waiting; and
//! the 2025 cycle closed with its figures frozen, so that 2025 and 2026
//! compare.

use crate::{App, AppError};
use pawl_domain::audit::Actor;
use pawl_domain::register::{Value, CYCLE, IMPROVEMENT, INCIDENT, LESSON, SUGGESTION};
use pawl_store::Record;
use serde_json::json;

const PRIYA: &str = "priya.shah@demo.example";
const TOM: &str = "tom.becker@demo.example";
const LENA: &str = "lena.okafor@demo.example";
const SAM: &str = "sam.ng@demo.example";
const MARIA: &str = "maria.lind@demo.example";

impl super::Loader<'_> {
    /// Moves through several states in turn.
    async fn through(&self, r: &Record, states: &[&str]) -> Result<Record, AppError> {
        let mut r = r.clone();
        for s in states {
            r = self.to(&r, s, None).await?;
        }
        Ok(r)
    }

    async fn change(&self, r: &Record, fields: serde_json::Value) -> Result<Record, AppError> {
        let mut values = r.values.clone();
        for (k, v) in super::as_map(fields) {
            if let (Some(i), Some(s)) = (r.kind.index_of(&k), v.as_str()) {
                values[i] = match &values[i] {
                    Value::OptText(_) => Value::OptText(Some(s.to_owned())),
                    _ => Value::Text(s.to_owned()),
                };
            }
        }
        let mut tx = self.app.store.write(self.org_id, &self.actor).await?;
        let r = tx.update_record(r.kind, &r.id, values, None).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Names the member who reported or submitted a record, as a person
    /// would have through the report form.
    async fn by(&self, r: &Record, field: &str, email: &str, hidden: bool) -> Result<(), AppError> {
        let e = pawl_domain::identity::Email::parse(email)?;
        let u = self
            .app
            .store
            .user_by_email(&e)
            .await?
            .ok_or(pawl_store::StoreError::NotFound { entity: "demo member" })?;
        let mut tx = self.app.store.write(self.org_id, &self.actor).await?;
        if !hidden {
            let mut values = r.values.clone();
            if let Some(i) = r.kind.index_of(field) {
                values[i] = Value::Person {
                    user_id: Some(u.id.clone()),
                    name: email.to_owned(),
                };
            }
            tx.update_record(r.kind, &r.id, values, None).await?;
        }
        if r.kind.key == SUGGESTION.key {
            tx.set_submitter(&r.id, &u.id).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn reference(r: &Record) -> String {
    r.reference.clone().unwrap_or_default()
}

/// Creates the improvement data when the demo has no incidents yet.
pub async fn ensure(app: &App, org_id: &str) -> Result<(), AppError> {
    if !app.store.org(org_id).record_counts(&INCIDENT).await?.is_empty() {
        return Ok(());
    }
    let d = super::Loader {
        app,
        org_id,
        actor: Actor::system("demo loader"),
    };
    let y2025 = d
        .create(
            &CYCLE,
            json!({"name": "2025", "starts_on": "2025-01-01", "ends_on": "2025-12-31", "owner": PRIYA,
            "notes": "First full year after certification."}),
        )
        .await?;
    d.create(
        &CYCLE,
        json!({"name": "2026", "starts_on": "2026-01-01", "owner": PRIYA,
        "notes": "Surveillance year: improvements from last year's incidents must show results."}),
    )
    .await?;

    // Incidents and near misses.
    let mailbox = d
        .create(&INCIDENT, json!({"title": "Mailbox taken over after a phishing e-mail", "type": "incident",
            "description": "A sales manager approved an MFA push he had not asked for; the attacker set a forwarding rule.",
            "severity": "high", "handler": PRIYA, "occurred_on": "2025-03-10", "detected_on": "2025-03-11",
            "confidentiality": "serious", "integrity": "limited", "availability": "none",
            "containment": "Password reset, every session revoked, the forwarding rule removed.", "contained_on": "2025-03-11",
            "recovery": "Mailbox checked message by message; 14 customers told what they may have received.", "recovered_on": "2025-03-14",
            "review": "Push MFA can be approved by a tired or careless user. Move to phishing-resistant keys; teach staff to report unexpected prompts.",
            "review_due": "2025-04-15"}))
        .await?;
    d.by(&mailbox, "reported_by", TOM, false).await?;
    let mut tx = app.store.write(org_id, &d.actor).await?;
    tx.add_timeline(
        &mailbox.id,
        "2025-03-10T16:42",
        "MFA push approved from an unknown location",
    )
    .await?;
    tx.add_timeline(
        &mailbox.id,
        "2025-03-11T09:05",
        "Customer asks about an odd invoice e-mail; IT checks the mailbox",
    )
    .await?;
    tx.commit().await?;
    let mailbox = d
        .through(&mailbox, &["triaged", "contained", "recovered", "closed"])
        .await?;
    let laptop = d
        .create(&INCIDENT, json!({"title": "Laptop left on a train", "type": "incident",
            "description": "An engineer's laptop was left on the 18:10 to Leeds and not recovered.",
            "severity": "medium", "handler": TOM, "occurred_on": "2025-09-01", "detected_on": "2025-09-02",
            "confidentiality": "limited", "integrity": "none", "availability": "none",
            "containment": "Device wiped remotely; its certificates and tokens revoked.", "contained_on": "2025-09-02",
            "recovery": "Replacement issued from stock the next morning.", "recovered_on": "2025-09-03",
            "review": "Disk encryption made the loss a non-event. Onboarding should check encryption before a laptop leaves the office."}))
        .await?;
    d.by(&laptop, "reported_by", SAM, false).await?;
    let laptop = d
        .through(&laptop, &["triaged", "contained", "recovered", "closed"])
        .await?;
    let attachment = d
        .create(&INCIDENT, json!({"title": "Ransomware attachment stopped by the mail filter", "type": "near_miss",
            "description": "A fake courier notice with a macro document reached quarantine; two people asked for its release.",
            "severity": "low", "handler": LENA, "detected_on": "2025-06-18",
            "containment": "Release requests refused; sender domain blocked.", "contained_on": "2025-06-18",
            "recovery": "Nothing to recover.", "recovered_on": "2025-06-18",
            "review": "The filter worked; people still wanted the attachment."}))
        .await?;
    let attachment = d
        .through(&attachment, &["triaged", "contained", "recovered", "closed"])
        .await?;
    let export = d
        .create(&INCIDENT, json!({"title": "Client export sent to the wrong customer", "type": "incident",
            "description": "A monthly analytics export for one client was e-mailed to another with a similar name.",
            "severity": "high", "handler": PRIYA, "occurred_on": "2026-10-13", "detected_on": "2026-10-14",
            "confidentiality": "serious", "integrity": "none", "availability": "none",
            "containment": "The recipient confirmed deletion in writing; the client and the DPO were told.", "contained_on": "2026-10-14",
            "review_due": "2026-11-30"}))
        .await?;
    d.by(&export, "reported_by", LENA, false).await?;
    let export = d.through(&export, &["triaged", "contained"]).await?;
    let bucket = d
        .create(
            &INCIDENT,
            json!({"title": "Storage bucket public for 40 minutes", "type": "incident",
            "description": "A test bucket holding synthetic data was made public by a deployment script.",
            "severity": "medium", "handler": TOM, "occurred_on": "2026-08-05", "detected_on": "2026-08-05",
            "confidentiality": "limited", "integrity": "none", "availability": "none",
            "containment": "Bucket made private; access logs show two anonymous reads.", "contained_on": "2026-08-05",
            "recovery": "Script fixed; bucket policy checked across every account.", "recovered_on": "2026-08-07",
            "review_due": "2026-12-20"}),
        )
        .await?;
    let bucket = d.through(&bucket, &["triaged", "contained", "recovered"]).await?;
    let abroad = d
        .create(
            &INCIDENT,
            json!({"title": "Sign-in from abroad blocked by MFA", "type": "near_miss",
            "description": "Valid password, unknown country; the security key was not there.",
            "severity": "low", "handler": LENA, "detected_on": "2026-11-20"}),
        )
        .await?;
    d.to(&abroad, "triaged", None).await?;
    let door = d
        .create(
            &INCIDENT,
            json!({"title": "Server room door found unlocked at night", "type": "near_miss",
            "description": "The comms cupboard on the second floor was open at 21:30; nothing seemed touched.",
            "detected_on": "2026-12-01"}),
        )
        .await?;
    d.by(&door, "reported_by", SAM, false).await?;
    let usb = d
        .create(
            &INCIDENT,
            json!({"title": "USB stick found in the car park", "type": "incident",
            "description": "Handed in at reception; nobody knows whose it is.", "detected_on": "2026-11-03"}),
        )
        .await?;
    d.to(
        &usb,
        "dismissed",
        Some("Lost property: checked on an isolated machine, it holds holiday photos and no company data."),
    )
    .await?;

    // Lessons learned.
    let l_push = d
        .create(
            &LESSON,
            json!({"title": "Push MFA can be approved by a tired user", "source": "incident",
            "source_record": reference(&mailbox), "owner": PRIYA, "learned_on": "2025-03-20",
            "lesson": "A second factor that asks yes or no is phished by asking often enough.",
            "recommendation": "Phishing-resistant keys for everyone; report unexpected prompts."}),
        )
        .await?;
    let l_disk = d
        .create(
            &LESSON,
            json!({"title": "Encryption made a lost laptop a non-event", "source": "incident",
            "source_record": reference(&laptop), "owner": TOM, "learned_on": "2025-09-10",
            "lesson": "Because the disk was encrypted, losing the laptop exposed nothing.",
            "recommendation": "Check encryption at onboarding, not only in the device policy."}),
        )
        .await?;
    d.create(
        &LESSON,
        json!({"title": "The filter worked; people still wanted the attachment", "source": "near_miss",
        "source_record": reference(&attachment), "owner": LENA, "learned_on": "2025-06-25",
        "lesson": "Two people asked for a quarantined attachment to be released because it looked expected.",
        "recommendation": "Explain quarantine in the next awareness session."}),
    )
    .await?;
    let l_export = d
        .create(
            &LESSON,
            json!({"title": "Exports need a second pair of eyes", "source": "incident",
            "source_record": reference(&export), "owner": PRIYA, "learned_on": "2026-10-20",
            "lesson": "Similar client names and autocomplete make a wrong recipient easy.",
            "recommendation": "Send exports from the platform to a registered address, never by e-mail."}),
        )
        .await?;
    d.create(
        &LESSON,
        json!({"title": "Alert noise hides real events", "source": "audit_finding",
        "source_record": "Tune log alerts", "owner": TOM, "learned_on": "2026-04-12",
        "lesson": "Most security alerts are noise, so people stop reading them."}),
    )
    .await?;

    // Improvements at every step.
    let fido = d.id_of("applied_control", "Phishing-resistant MFA (FIDO2)").await?;
    let aup = d.id_of("document", "Acceptable use policy").await?;
    let awareness = d
        .id_of("applied_control", "Security awareness programme and phishing drills")
        .await?;
    let incident_process = d.id_of("document", "Incident response process").await?;
    let access_process = d.id_of("document", "Access management process").await?;
    let ops = d.id_of("document", "IT operations process").await?;

    let analysis = |severity: &str, causes: &str, impact: &str, resources: &str| json!({"severity": severity, "root_causes": causes, "impact": impact, "resources": resources});
    let develop = |plan: &str, roles: &str, by: &str, outcome: &str| json!({"plan": plan, "roles": roles, "target_date": by, "expected_outcome": outcome});

    let mfa = d
        .create(
            &IMPROVEMENT,
            json!({"title": "Phishing-resistant MFA for all staff", "source": "incident",
            "source_record": reference(&mailbox), "owner": TOM, "identified_on": "2025-03-20",
            "description": "Push approvals let an attacker into a mailbox."}),
        )
        .await?;
    d.link((l_push.kind.key, &l_push.id), "changed", (IMPROVEMENT.key, &mfa.id))
        .await?;
    let mfa = d
        .change(
            &mfa,
            analysis(
                "high",
                "Push MFA relies on the user noticing a prompt they did not expect.",
                "Any account can be taken over by a patient attacker.",
                "Security keys for 120 people, two days of IT time.",
            ),
        )
        .await?;
    let mfa = d.to(&mfa, "analyse", None).await?;
    let mfa = d
        .change(
            &mfa,
            develop(
                "Buy keys; enrol IT first; then teams by floor; switch push off.",
                "IT lead runs it; managers chase their teams.",
                "2025-07-31",
                "No account takeover, and 100 % of accounts on keys by 31 July.",
            ),
        )
        .await?;
    let mfa = d.to(&mfa, "develop", None).await?;
    let mfa = d.change(&mfa, json!({"changes": "Security keys enrolled for every account; push approval switched off.", "implemented_on": "2025-07-28"})).await?;
    d.link((mfa.kind.key, &mfa.id), "changed", ("applied_control", &fido))
        .await?;
    let mfa = d.to(&mfa, "implement", None).await?;
    let mfa = d.change(&mfa, json!({"measured_result": "All 118 accounts on keys by 28 July; no takeover in the five months since.", "evaluated_on": "2025-12-15"})).await?;
    let mfa = d.to(&mfa, "evaluate", None).await?;
    d.to(&mfa, "closed", None).await?;

    let onboarding = d
        .create(
            &IMPROVEMENT,
            json!({"title": "Encryption checked at onboarding", "source": "incident",
            "source_record": reference(&l_disk), "owner": TOM, "identified_on": "2025-09-10",
            "description": "The device policy requires encryption but nothing checks it when a laptop is handed out."}),
        )
        .await?;
    let onboarding = d
        .change(
            &onboarding,
            develop(
                "Add an encryption check to the laptop hand-out list.",
                "IT support",
                "2025-10-31",
                "Every laptop handed out from November has a recorded encryption check.",
            ),
        )
        .await?;
    let onboarding = d
        .to(
            &onboarding,
            "develop",
            Some("The cause is clear from the post-incident review; nothing to analyse further."),
        )
        .await?;
    let onboarding = d
        .change(
            &onboarding,
            json!({"changes": "Hand-out checklist and the acceptable use policy updated."}),
        )
        .await?;
    d.link((onboarding.kind.key, &onboarding.id), "changed", ("document", &aup))
        .await?;
    let onboarding = d.to(&onboarding, "implement", None).await?;
    let onboarding = d
        .change(
            &onboarding,
            json!({"measured_result": "12 of 12 laptops handed out since November have the check recorded."}),
        )
        .await?;
    let onboarding = d.to(&onboarding, "evaluate", None).await?;
    d.to(&onboarding, "closed", None).await?;

    // Sent back: the drill's click rate did not fall far enough.
    let drills = d
        .create(
            &IMPROVEMENT,
            json!({"title": "Follow-up training after phishing drills", "source": "near_miss",
            "source_record": reference(&attachment), "owner": LENA, "identified_on": "2025-06-25",
            "description": "People who click in a drill get no follow-up.", "metric": "Phishing drill click rate"}),
        )
        .await?;
    let drills = d
        .change(
            &drills,
            analysis(
                "medium",
                "Drills measure but do not teach.",
                "Clicks on real phishing, as in the mailbox takeover.",
                "An hour of Lena's time per drill.",
            ),
        )
        .await?;
    let drills = d.to(&drills, "analyse", None).await?;
    let drills = d
        .change(
            &drills,
            develop(
                "A five-minute course assigned to whoever clicks, within a day.",
                "Lena runs drills; managers follow up.",
                "2025-11-30",
                "Drill click rate under 5 % by the November drill.",
            ),
        )
        .await?;
    let drills = d.to(&drills, "develop", None).await?;
    let drills = d
        .change(
            &drills,
            json!({"changes": "Follow-up course assigned automatically after each drill."}),
        )
        .await?;
    d.link(
        (drills.kind.key, &drills.id),
        "changed",
        ("applied_control", &awareness),
    )
    .await?;
    let drills = d.to(&drills, "implement", None).await?;
    let drills = d
        .change(
            &drills,
            json!({"measured_result": "November drill: 9 % clicked, against a target under 5 %."}),
        )
        .await?;
    let drills = d.to(&drills, "evaluate", None).await?;
    let drills = d.to(&drills, "analyse", None).await?;
    let drills = d
        .change(
            &drills,
            develop(
                "Short monthly drills instead of two a year, with the course on the spot.",
                "Lena",
                "2027-03-31",
                "Click rate under 5 % in three drills running.",
            ),
        )
        .await?;
    d.to(&drills, "develop", None).await?;

    let alerts = d.id_of("finding", "Tune log alerts").await?;
    let alerts_ref = app
        .store
        .org(org_id)
        .record(&pawl_domain::register::FINDING, &alerts)
        .await?;
    d.create(
        &IMPROVEMENT,
        json!({"title": "Tune security log alerts", "source": "audit_finding",
        "source_record": reference(&alerts_ref), "owner": TOM, "identified_on": "2026-04-12",
        "description": "Most alerts are noise; the internal audit suggested tuning them."}),
    )
    .await?;
    let reviews = d
        .create(&IMPROVEMENT, json!({"title": "Automate quarterly access reviews", "source": "audit_finding",
            "owner": TOM, "identified_on": "2026-06-02",
            "description": "Access reviews are manual spreadsheets; the certification audit suggested automating them."}))
        .await?;
    let reviews = d
        .change(
            &reviews,
            analysis(
                "medium",
                "Spreadsheets are copied by hand from each SaaS admin console.",
                "Reviews late or incomplete; leavers keep access.",
                "A week of engineering; the identity provider's review module.",
            ),
        )
        .await?;
    d.to(&reviews, "analyse", None).await?;
    let exports = d
        .create(
            &IMPROVEMENT,
            json!({"title": "Exports delivered through the platform only", "source": "incident",
            "source_record": reference(&export), "owner": PRIYA, "identified_on": "2026-10-20",
            "description": "Exports by e-mail go to the wrong people."}),
        )
        .await?;
    d.link(
        (l_export.kind.key, &l_export.id),
        "changed",
        (IMPROVEMENT.key, &exports.id),
    )
    .await?;
    let exports = d
        .change(
            &exports,
            analysis(
                "high",
                "Manual e-mail with autocomplete; no check of the recipient.",
                "Personal data of one client disclosed to another.",
                "Two sprints of platform work.",
            ),
        )
        .await?;
    let exports = d.to(&exports, "analyse", None).await?;
    let exports = d
        .change(
            &exports,
            develop(
                "Registered delivery addresses per client; e-mail exports switched off.",
                "Product owner; support team.",
                "2027-01-31",
                "No export sent by e-mail after 31 January; zero misdirected exports in the quarter after.",
            ),
        )
        .await?;
    d.to(&exports, "develop", None).await?;
    let buckets = d
        .create(
            &IMPROVEMENT,
            json!({"title": "Block public storage by policy", "source": "incident",
            "source_record": reference(&bucket), "owner": TOM, "identified_on": "2026-08-07",
            "description": "Nothing stops a script from making a bucket public."}),
        )
        .await?;
    let buckets = d
        .change(
            &buckets,
            analysis(
                "medium",
                "Account-level public access block was never switched on.",
                "Customer data exposed if a real bucket were opened.",
                "A day of work.",
            ),
        )
        .await?;
    let buckets = d.to(&buckets, "analyse", None).await?;
    let buckets = d
        .change(
            &buckets,
            develop(
                "Switch on the public access block in every account; alert on any change.",
                "Platform team",
                "2026-12-31",
                "No bucket public in the monthly scan.",
            ),
        )
        .await?;
    let buckets = d.to(&buckets, "develop", None).await?;
    let buckets = d
        .change(
            &buckets,
            json!({"changes": "Public access block on in 7 of 9 accounts; IT operations process updated."}),
        )
        .await?;
    d.link((buckets.kind.key, &buckets.id), "changed", ("document", &ops))
        .await?;
    d.to(&buckets, "implement", None).await?;
    let leavers = d
        .create(
            &IMPROVEMENT,
            json!({"title": "Leavers lose access the same day", "source": "nonconformity",
            "source_record": "Leaver accounts not disabled within a day", "owner": TOM, "identified_on": "2026-03-02",
            "description": "The certification audit found leavers with access for more than a week."}),
        )
        .await?;
    let leavers = d
        .change(
            &leavers,
            analysis(
                "high",
                "HR tells IT by e-mail, sometimes days later.",
                "Former staff reach customer data.",
                "HR system integration.",
            ),
        )
        .await?;
    let leavers = d.to(&leavers, "analyse", None).await?;
    let leavers = d
        .change(
            &leavers,
            develop(
                "HR leaving date triggers account suspension.",
                "HR and IT",
                "2026-06-30",
                "Every leaver suspended on their last day, checked over three months.",
            ),
        )
        .await?;
    let leavers = d.to(&leavers, "develop", None).await?;
    let leavers = d
        .change(
            &leavers,
            json!({"changes": "Suspension automated from the HR system; access management process updated."}),
        )
        .await?;
    d.link(
        (leavers.kind.key, &leavers.id),
        "changed",
        ("document", &access_process),
    )
    .await?;
    let leavers = d.to(&leavers, "implement", None).await?;
    let leavers = d
        .change(
            &leavers,
            json!({"measured_result": "31 of 31 leavers since July suspended on their last day."}),
        )
        .await?;
    d.to(&leavers, "evaluate", None).await?;
    let ftp = d
        .create(
            &IMPROVEMENT,
            json!({"title": "Retire the legacy file transfer server", "source": "technology_change",
            "owner": TOM, "identified_on": "2026-05-15",
            "description": "Clients now upload through the platform; the old server still runs."}),
        )
        .await?;
    let ftp = d
        .change(
            &ftp,
            develop(
                "Tell the three remaining clients; switch off; delete after 30 days.",
                "Platform team",
                "2027-02-28",
                "Server off and its firewall rules removed.",
            ),
        )
        .await?;
    d.to(
        &ftp,
        "develop",
        Some("A retirement, not a weakness: nothing to analyse."),
    )
    .await?;
    let backup = d
        .create(
            &IMPROVEMENT,
            json!({"title": "Second backup provider", "source": "other", "owner": TOM,
            "identified_on": "2026-02-10", "description": "Keep a copy of backups with a second provider."}),
        )
        .await?;
    d.to(
        &backup,
        "withdrawn",
        Some("Covered by the provider's cross-region copies, checked in the restore test."),
    )
    .await?;
    d.link((l_disk.kind.key, &l_disk.id), "changed", ("document", &aup))
        .await?;
    d.link(
        (l_push.kind.key, &l_push.id),
        "changed",
        ("document", &incident_process),
    )
    .await?;

    // Staff suggestions.
    let champions = d
        .create(
            &SUGGESTION,
            json!({"title": "A security champion in each team",
            "description": "Someone in each team people can ask before they click or share."}),
        )
        .await?;
    d.by(&champions, "submitted_by", SAM, false).await?;
    d.to(&champions, "accepted", None).await?;
    let vault = d
        .create(
            &SUGGESTION,
            json!({"title": "Company password manager for personal accounts too",
            "description": "People reuse passwords at home; a family licence would help.", "hidden": "yes"}),
        )
        .await?;
    d.by(&vault, "submitted_by", SAM, true).await?;
    d.to(
        &vault,
        "declined",
        Some(
            "Personal accounts are outside the ISMS scope; the awareness course now covers password managers at home.",
        ),
    )
    .await?;
    let newsletter = d
        .create(
            &SUGGESTION,
            json!({"title": "A shorter security newsletter",
            "description": "One tip a week would be read; the monthly letter is not."}),
        )
        .await?;
    d.by(&newsletter, "submitted_by", MARIA, false).await?;

    // Last year is over: its figures are frozen for the comparison.
    d.to(&y2025, "closed", None).await?;
    Ok(())
}
