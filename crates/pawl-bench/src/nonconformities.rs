//! Nonconformities at scale (issue 10): 50,000 nonconformities over five
//! years on a spread of clauses, controls and cause categories, each with
//! two corrective actions, recurrence kept as they are written. Times the
//! register page, the recurring filter (recurrence over the whole
//! organisation), one nonconformity's recurrences, the ageing report and
//! the corrective-action page.

use crate::registers::timed;
use crate::{engines, rt, TempDir};
use anyhow::Result;
use pawl_domain::audit::Actor;
use pawl_domain::identity::OrgSlug;
use pawl_domain::register::{Value, CAUSE_CATEGORIES, CORRECTIVE_ACTION, NONCONFORMITY};
use pawl_store::{ListQuery, Location, RecordFilter, Store};
use std::time::Instant;

pub fn nonconformities(n: usize, actions_each: usize) -> Result<()> {
    println!("# pawl nonconformities benchmark: {n} nonconformities, {actions_each} corrective actions each");
    let dir = TempDir::new("nonconformities")?;
    let engines = engines(&dir);
    let rt = rt()?;
    for (name, location) in &engines {
        rt.block_on(engine(name, location, n, actions_each))?;
    }
    Ok(())
}

const CLAUSES: [&str; 8] = ["7.2", "7.5.3", "8.1", "9.1", "9.2", "9.3", "10.2", "6.1.3"];

fn set(kind: &pawl_domain::register::Kind, v: &mut [Value], field: &str, x: Value) {
    if let Some(i) = kind.index_of(field) {
        v[i] = x;
    }
}

async fn engine(engine: &str, location: &Location, n: usize, actions_each: usize) -> Result<()> {
    println!("\n## {engine}");
    let store = Store::open(location).await?;
    let system = Actor::system("bench");
    let slug = OrgSlug::parse(&format!("nc-{}", std::process::id()))?;
    let org = store.create_organisation(&system, &slug, "Bench Ltd").await?;
    let catalog = pawl_domain::catalog::Catalog::get();
    let today = time::OffsetDateTime::now_utc().date();
    let started = Instant::now();
    let mut first = None;
    let mut done = 0;
    while done < n {
        let mut tx = store.write(&org.id, &system).await?;
        for _ in 0..1000.min(n - done) {
            let i = done;
            let mut v = NONCONFORMITY.empty();
            let annex = catalog.annex_a[(i * 7) % catalog.annex_a.len()].annex_ref();
            let clause = CLAUSES[i % CLAUSES.len()];
            let category = CAUSE_CATEGORIES[(i / 3) % CAUSE_CATEGORIES.len()].code;
            let detected = today - time::Duration::days((i * 1826 / n) as i64);
            set(
                &NONCONFORMITY,
                &mut v,
                "title",
                Value::Text(format!("Nonconformity {i} in team {}", i % 41)),
            );
            set(&NONCONFORMITY, &mut v, "source", Value::Text("internal_audit".into()));
            set(
                &NONCONFORMITY,
                &mut v,
                "description",
                Value::Text("Found in a sample.".into()),
            );
            set(
                &NONCONFORMITY,
                &mut v,
                "severity",
                Value::Text(if i % 5 == 0 { "major" } else { "minor" }.into()),
            );
            set(&NONCONFORMITY, &mut v, "clauses", Value::Text(clause.into()));
            set(&NONCONFORMITY, &mut v, "annex_a", Value::Text(annex.clone()));
            set(
                &NONCONFORMITY,
                &mut v,
                "detected_on",
                Value::OptText(Some(detected.to_string())),
            );
            set(
                &NONCONFORMITY,
                &mut v,
                "due_date",
                Value::OptText(Some((detected + time::Duration::days(60)).to_string())),
            );
            set(
                &NONCONFORMITY,
                &mut v,
                "root_cause_category",
                Value::Text(category.into()),
            );
            let keys = pawl_store::RecurrenceKeys {
                detected_on: detected.to_string(),
                window_start: (detected - time::Duration::days(365)).to_string(),
                window_end: (detected + time::Duration::days(365)).to_string(),
                keys: pawl_domain::nonconformity::recurrence_keys(&[clause.into()], &[annex]),
            };
            let nc = tx.create_record(&NONCONFORMITY, v).await?;
            tx.set_recurrence_keys(&nc.id, Some(&keys)).await?;
            for a in 0..actions_each {
                let mut v = CORRECTIVE_ACTION.empty();
                set(
                    &CORRECTIVE_ACTION,
                    &mut v,
                    "nonconformity_id",
                    Value::OptText(Some(nc.id.clone())),
                );
                set(
                    &CORRECTIVE_ACTION,
                    &mut v,
                    "description",
                    Value::Text(format!("Action {a} of {i}")),
                );
                set(
                    &CORRECTIVE_ACTION,
                    &mut v,
                    "effectiveness_criteria",
                    Value::Text("Works for a quarter".into()),
                );
                set(
                    &CORRECTIVE_ACTION,
                    &mut v,
                    "due_date",
                    Value::OptText(Some((detected + time::Duration::days(45)).to_string())),
                );
                tx.create_record(&CORRECTIVE_ACTION, v).await?;
            }
            // Older ones closed, as a real register is.
            if detected < today - time::Duration::days(365) {
                tx.force_status(&NONCONFORMITY, &nc.id, "closed").await?;
            }
            first.get_or_insert(nc.id);
            done += 1;
        }
        tx.commit().await?;
    }
    println!(
        "setup: {n} nonconformities and {} actions, each audited, recurrence kept: {:.1} s",
        n * actions_each,
        started.elapsed().as_secs_f64()
    );
    if engine == "postgres" {
        pawl_store::engine::analyze_for_benchmark(&store).await?;
    }
    let reader = store.org(&org.id);
    let page = |sort: Option<&str>| ListQuery {
        limit: Some(50),
        sort: sort.map(str::to_owned),
        ..Default::default()
    };
    timed("register page, first 50 by reference, with total", 1000, || async {
        Ok(reader
            .records(&NONCONFORMITY, &RecordFilter::default(), &page(None))
            .await?)
    })
    .await?;
    let open = pawl_app::register::filter(&NONCONFORMITY, &[("status".into(), "open".into())])?;
    timed("register page, open ones by due date", 1000, || async {
        Ok(reader.records(&NONCONFORMITY, &open, &page(Some("due_date"))).await?)
    })
    .await?;
    let recurring = pawl_app::register::filter(&NONCONFORMITY, &[("recurring".into(), "recurring".into())])?;
    let flagged = reader.records(&NONCONFORMITY, &recurring, &page(None)).await?.total;
    timed(
        &format!("recurrence over the organisation: recurring ones, first page with total ({flagged})"),
        1000,
        || async { Ok(reader.records(&NONCONFORMITY, &recurring, &page(None)).await?) },
    )
    .await?;
    let one = first.unwrap_or_default();
    let count = reader.recurrences(&one).await?.len();
    timed(
        &format!("one nonconformity's recurrences ({count}, at most 200 listed)"),
        500,
        || async { Ok(reader.recurrences(&one).await?) },
    )
    .await?;
    timed("ageing of open nonconformities and actions", 200, || async {
        Ok(reader.ageing(today).await?)
    })
    .await?;
    timed(
        "corrective-action page, first 50 by due date, with total",
        1000,
        || async {
            Ok(reader
                .records(&CORRECTIVE_ACTION, &RecordFilter::default(), &page(None))
                .await?)
        },
    )
    .await?;
    let started = Instant::now();
    let mut tx = store.write(&org.id, &system).await?;
    let mut v = NONCONFORMITY.empty();
    set(&NONCONFORMITY, &mut v, "title", Value::Text("One more".into()));
    set(&NONCONFORMITY, &mut v, "source", Value::Text("monitoring".into()));
    set(&NONCONFORMITY, &mut v, "severity", Value::Text("minor".into()));
    let nc = tx.create_record(&NONCONFORMITY, v).await?;
    let keys = pawl_store::RecurrenceKeys {
        detected_on: today.to_string(),
        window_start: (today - time::Duration::days(365)).to_string(),
        window_end: (today + time::Duration::days(365)).to_string(),
        keys: vec!["cause:process".into(), "clause:9.2".into()],
    };
    tx.set_recurrence_keys(&nc.id, Some(&keys)).await?;
    tx.commit().await?;
    println!(
        "one more nonconformity with its recurrence, written: {:.2} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    store.close().await;
    Ok(())
}
