//! The demo company's performance evaluation (6.2, 9.1, 9.3): fourteen
//! metrics, nine measured by people over the past year and five computed
//! by pawl, five objectives measured by them, and two management reviews:
//! the earlier approved with its pack frozen, the next one planned.

use crate::{App, AppError};
use pawl_domain::audit::Actor;
use pawl_domain::register::{MANAGEMENT_REVIEW, METRIC, OBJECTIVE, REVIEW_DECISION};
use serde_json::json;

const PRIYA: &str = "priya.shah@demo.example";
const TOM: &str = "tom.becker@demo.example";
const LENA: &str = "lena.okafor@demo.example";

fn day(back: i64) -> String {
    (crate::today() - time::Duration::days(back)).to_string()
}

/// A metric people measure: title, unit, frequency, direction, target,
/// warning, critical, who measures it, and its values oldest first.
type Measured<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a [f64],
);

const MEASURED: &[Measured] = &[
    (
        "Phishing drill click rate",
        "%",
        "monthly",
        "lower",
        "5",
        "8",
        "12",
        TOM,
        &[14.0, 13.5, 12.0, 11.0, 11.5, 9.0, 9.5, 8.0, 7.5, 9.0, 8.5, 8.8],
    ),
    (
        "Critical vulnerabilities patched within 14 days",
        "%",
        "monthly",
        "higher",
        "95",
        "90",
        "80",
        LENA,
        &[78.0, 81.0, 84.0, 86.0, 88.0, 91.0, 90.0, 93.0, 94.0, 96.0, 95.0, 97.0],
    ),
    (
        "Backup restore tests passed",
        "%",
        "quarterly",
        "higher",
        "100",
        "95",
        "90",
        LENA,
        &[100.0, 90.0, 100.0, 100.0],
    ),
    (
        "Mean time to contain a security incident",
        "hours",
        "monthly",
        "lower",
        "24",
        "36",
        "48",
        PRIYA,
        &[52.0, 40.0, 44.0, 30.0, 28.0, 26.0, 35.0, 22.0, 20.0, 18.0, 23.0, 19.0],
    ),
    (
        "Privileged accounts reviewed",
        "%",
        "quarterly",
        "higher",
        "100",
        "90",
        "75",
        TOM,
        &[70.0, 85.0, 95.0, 100.0],
    ),
    (
        "Laptops with full-disk encryption",
        "%",
        "monthly",
        "higher",
        "100",
        "98",
        "95",
        TOM,
        &[
            96.0, 96.5, 97.0, 97.5, 98.0, 98.5, 99.0, 99.0, 99.5, 100.0, 100.0, 100.0,
        ],
    ),
    (
        "Access reviews completed on time",
        "%",
        "quarterly",
        "higher",
        "100",
        "90",
        "75",
        TOM,
        &[80.0, 92.0, 88.0, 100.0],
    ),
    (
        "Days to remediate a high vulnerability",
        "days",
        "monthly",
        "lower",
        "30",
        "45",
        "60",
        LENA,
        &[62.0, 58.0, 51.0, 47.0, 44.0, 40.0, 38.0, 41.0, 35.0, 31.0, 29.0, 27.0],
    ),
    (
        "Security awareness quiz score",
        "%",
        "quarterly",
        "higher",
        "85",
        "75",
        "60",
        PRIYA,
        &[72.0, 78.0, 83.0, 86.0],
    ),
];

/// Metrics pawl computes: title, what it counts, unit, direction, target, warning, critical.
const COMPUTED: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        "Annex A controls implemented",
        "controls_implemented",
        "%",
        "higher",
        "90",
        "80",
        "60",
    ),
    (
        "Corrective actions overdue",
        "corrective_actions_overdue",
        "actions",
        "lower",
        "0",
        "2",
        "5",
    ),
    (
        "Training completion",
        "training_completion",
        "%",
        "higher",
        "95",
        "85",
        "70",
    ),
    (
        "Lessons learned that drove a change",
        "lessons_driven",
        "%",
        "higher",
        "80",
        "60",
        "40",
    ),
    (
        "Incidents in the last 30 days",
        "incidents_month",
        "incidents",
        "lower",
        "2",
        "4",
        "8",
    ),
];

pub async fn ensure(app: &App, org_id: &str) -> Result<(), AppError> {
    if app
        .store
        .org(org_id)
        .records(&METRIC, &Default::default(), &Default::default())
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
    let mut metrics = Vec::new();
    for (title, unit, frequency, direction, target, warning, critical, by, values) in MEASURED {
        let m = d
            .create(
                &METRIC,
                json!({"title": title, "unit": unit, "frequency": frequency, "direction": direction,
                    "target": target, "warning": warning, "critical": critical, "measured_by": by,
                    "analysed_by": PRIYA, "analysed_when": "Monthly at the ISMS meeting; trends at each management review",
                    "method": "Collected by the owner from the source system at month end."}),
            )
            .await?;
        let step = pawl_domain::metric::frequency_days(frequency);
        let mut tx = app.store.write(org_id, &d.actor).await?;
        for (i, v) in values.iter().enumerate() {
            let back = step * (values.len() - 1 - i) as i64 + 3;
            tx.add_measurement(&m.id, &day(back), *v, "", "entered").await?;
        }
        crate::performance::refresh_metric(&mut tx, &m.id).await?;
        tx.commit().await?;
        metrics.push(m);
    }
    for (title, code, unit, direction, target, warning, critical) in COMPUTED {
        let m = d
            .create(
                &METRIC,
                json!({"title": title, "built_in": code, "unit": unit, "frequency": "monthly", "direction": direction,
                    "target": target, "warning": warning, "critical": critical, "analysed_by": PRIYA,
                    "analysed_when": "At each management review", "method": "Computed by pawl from its own registers."}),
            )
            .await?;
        crate::performance::compute(&app.store, org_id, &d.actor, &m.id).await?;
        metrics.push(m);
    }
    let id = |title: &str| {
        metrics
            .iter()
            .find(|m| m.text("title") == title)
            .map(|m| m.id.clone())
            .unwrap_or_default()
    };

    // Objectives (6.2), each measured by its metrics.
    let objectives = [
        (
            "Staff resist phishing",
            "Phishing drill click rate under 5 % and quiz scores above 85 % by the end of next June",
            "Quarterly targeted training for the teams that click most; monthly drills; a report button in every mail client.",
            "Awareness budget; the security team, two days a month",
            PRIYA,
            200,
            &["Phishing drill click rate", "Security awareness quiz score"][..],
        ),
        (
            "Critical vulnerabilities fixed fast",
            "95 % of critical vulnerabilities patched within 14 days, every month",
            "Automatic patching for laptops; a patch window each week for servers; escalation after 7 days.",
            "Platform team; the patch management tool",
            LENA,
            120,
            &["Critical vulnerabilities patched within 14 days"][..],
        ),
        (
            "Recover the platform within its recovery time",
            "Every quarterly restore test passes within the 4-hour recovery time objective",
            "Restore tests every quarter into an isolated account; fix and retest any failure within the month.",
            "Platform team; a second backup region",
            LENA,
            300,
            &["Backup restore tests passed"][..],
        ),
        (
            "Everyone trained and aware",
            "95 % of people complete their security training on time",
            "Yearly awareness course and role-based training, with reminders from pawl and escalation to line managers.",
            "The LMS; HR business partners",
            PRIYA,
            90,
            &["Training completion"][..],
        ),
        (
            "Certification-ready control set",
            "90 % of applicable Annex A controls implemented before the certification audit",
            "Close the control gaps in the treatment plan, largest risks first.",
            "The ISMS team; a consultant for 10 days",
            PRIYA,
            150,
            &["Annex A controls implemented"][..],
        ),
    ];
    for (title, target, plan, resources, owner, ahead, measured_by) in objectives {
        let o = d
            .create(
                &OBJECTIVE,
                json!({"title": title, "target": target, "plan": plan, "resources": resources, "owner": owner,
                    "due_date": day(-ahead), "evaluation": "Quarterly from the metrics; at each management review."}),
            )
            .await?;
        for m in measured_by {
            d.link((METRIC.key, &id(m)), "measures", (OBJECTIVE.key, &o.id)).await?;
        }
    }

    // The management review of the first half year: held, decided, approved.
    let first = d
        .create(
            &MANAGEMENT_REVIEW,
            json!({"title": "Management review, first half of the year", "planned_on": day(170), "held_on": day(165),
                "chair": crate::demo::ADMIN_EMAIL,
                "attendees": "Alex Rivera, CEO (chair)\nPriya Shah, ISMS manager\nLena Okafor, head of platform\nTom Becker, IT operations",
                "minutes": "Phishing click rate falls but stays above target: Sales clicks most.\nRestore test failed once (the database snapshot lagged); fixed and passed since.\nResources: a second backup region is approved.\nThe certification audit is planned for next spring."}),
        )
        .await?;
    let first = d.to(&first, "held", None).await?;
    let decisions = [
        (
            "Fund a second backup region",
            "resources",
            "action",
            LENA,
            120,
            Some("The second region runs; restore tests use it since."),
        ),
        (
            "Targeted phishing training for Sales",
            "improvement",
            "improvement",
            PRIYA,
            60,
            None,
        ),
        (
            "Re-rate the criticality of every supplier",
            "isms_change",
            "action",
            PRIYA,
            -20,
            None,
        ),
    ];
    for (decision, about, becomes, owner, back, outcome) in decisions {
        let r = d
            .create(
                &REVIEW_DECISION,
                json!({"review_id": first.id, "decision": decision, "decision_type": about, "becomes": becomes,
                    "owner": owner, "due_date": day(back), "outcome": outcome.unwrap_or("")}),
            )
            .await?;
        if outcome.is_some() {
            d.to(&r, "done", None).await?;
        }
    }
    d.to(&first, "approved", None).await?;

    // The next review, planned: its pack is compiled live.
    d.create(
        &MANAGEMENT_REVIEW,
        json!({"title": "Management review, second half of the year", "planned_on": day(-14),
            "chair": crate::demo::ADMIN_EMAIL}),
    )
    .await?;
    Ok(())
}
