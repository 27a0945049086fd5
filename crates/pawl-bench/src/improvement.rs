//! Continual improvement at scale (issue 11): 50,000 improvements over
//! five years at every step, 10,000 nonconformities, 5,000 incidents and
//! near misses and 5,000 lessons, the audit trail topped up to a million
//! events. Times the register page, the board, a live cycle's status, a
//! closed cycle's frozen figures, the comparison of two years and the
//! lessons' share.

use crate::registers::timed;
use crate::{engines, rt, TempDir};
use anyhow::Result;
use pawl_domain::audit::Actor;
use pawl_domain::identity::OrgSlug;
use pawl_domain::register::{
    Kind, Value, CYCLE, IMPROVEMENT, IMPROVEMENT_SOURCES, INCIDENT, LESSON, NONCONFORMITY, STEPS,
};
use pawl_store::{ListQuery, Location, RecordFilter, Store};
use std::time::Instant;

pub fn improvement(n: usize, events: i64) -> Result<()> {
    println!("# pawl improvement benchmark: {n} improvements, {events} audit events");
    let dir = TempDir::new("improvement")?;
    let engines = engines(&dir);
    let rt = rt()?;
    for (name, location) in &engines {
        rt.block_on(engine(name, location, n, events))?;
    }
    Ok(())
}

fn set(kind: &Kind, v: &mut [Value], field: &str, x: Value) {
    if let Some(i) = kind.index_of(field) {
        v[i] = x;
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn date(d: time::Date) -> Value {
    Value::OptText(Some(d.to_string()))
}

async fn engine(engine: &str, location: &Location, n: usize, events: i64) -> Result<()> {
    println!("\n## {engine}");
    let store = Store::open(location).await?;
    let system = Actor::system("bench");
    let slug = OrgSlug::parse(&format!("imp-{}", std::process::id()))?;
    let org = store.create_organisation(&system, &slug, "Bench Ltd").await?;
    let today = time::OffsetDateTime::now_utc().date();
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        let mut tx = store.write(&org.id, &system).await?;
        for _ in 0..1000.min(n - done) {
            let i = done;
            let found = today - time::Duration::days((i * 1826 / n) as i64);
            let mut v = IMPROVEMENT.empty();
            let k = &IMPROVEMENT;
            set(k, &mut v, "title", text(format!("Improvement {i} for team {}", i % 37)));
            set(k, &mut v, "description", text("Found in a review."));
            set(
                k,
                &mut v,
                "source",
                text(IMPROVEMENT_SOURCES[i % IMPROVEMENT_SOURCES.len()].code),
            );
            set(
                k,
                &mut v,
                "owner",
                Value::Person {
                    user_id: None,
                    name: format!("owner{}@bench.example", i % 40),
                },
            );
            set(k, &mut v, "identified_on", date(found));
            set(k, &mut v, "target_date", date(found + time::Duration::days(90)));
            set(k, &mut v, "sent_back", Value::Int(i64::from(i % 17 == 0)));
            // Older items are decided; this year's are spread over the steps.
            let status = if found < today - time::Duration::days(365) {
                if i % 9 == 0 {
                    "withdrawn"
                } else {
                    "closed"
                }
            } else {
                STEPS[i % STEPS.len()]
            };
            set(k, &mut v, "phase", text(pawl_domain::register::phase_of(status)));
            let r = tx.create_record(&IMPROVEMENT, v).await?;
            if status != "identify" {
                tx.force_status(&IMPROVEMENT, &r.id, status).await?;
            }
            if i % 5 == 0 {
                let mut v = NONCONFORMITY.empty();
                set(&NONCONFORMITY, &mut v, "title", text(format!("Nonconformity {i}")));
                set(&NONCONFORMITY, &mut v, "source", text("internal_audit"));
                set(&NONCONFORMITY, &mut v, "description", text("Found."));
                set(&NONCONFORMITY, &mut v, "severity", text("minor"));
                set(&NONCONFORMITY, &mut v, "detected_on", date(found));
                let nc = tx.create_record(&NONCONFORMITY, v).await?;
                if found < today - time::Duration::days(365) {
                    tx.force_status(&NONCONFORMITY, &nc.id, "closed").await?;
                }
            }
            if i % 10 == 0 {
                let mut v = INCIDENT.empty();
                set(&INCIDENT, &mut v, "title", text(format!("Incident {i}")));
                set(
                    &INCIDENT,
                    &mut v,
                    "type",
                    text(if i % 20 == 0 { "near_miss" } else { "incident" }),
                );
                set(&INCIDENT, &mut v, "description", text("Reported."));
                set(&INCIDENT, &mut v, "detected_on", date(found));
                tx.create_record(&INCIDENT, v).await?;
                let mut v = LESSON.empty();
                set(&LESSON, &mut v, "title", text(format!("Lesson {i}")));
                set(&LESSON, &mut v, "source", text("incident"));
                set(&LESSON, &mut v, "lesson", text("Learned."));
                set(&LESSON, &mut v, "learned_on", date(found));
                set(
                    &LESSON,
                    &mut v,
                    "change",
                    text(if i % 3 == 0 { "none" } else { "driven" }),
                );
                tx.create_record(&LESSON, v).await?;
            }
            done += 1;
        }
        tx.commit().await?;
    }
    let year = today.year();
    let mut cycles = Vec::new();
    for y in [year - 1, year] {
        let mut v = CYCLE.empty();
        set(&CYCLE, &mut v, "name", text(y.to_string()));
        set(&CYCLE, &mut v, "starts_on", text(format!("{y}-01-01")));
        set(&CYCLE, &mut v, "ends_on", text(format!("{y}-12-31")));
        let mut tx = store.write(&org.id, &system).await?;
        cycles.push(tx.create_record(&CYCLE, v).await?);
        tx.commit().await?;
    }
    let reader = store.org(&org.id);
    crate::top_up_events(&store, &org.id, &system, events).await?;
    println!(
        "setup: {n} improvements, {} nonconformities, {} incidents, {} lessons, {events} audit events: {:.1} s",
        n / 5,
        n / 10,
        n / 10,
        started.elapsed().as_secs_f64()
    );
    if engine == "postgres" {
        pawl_store::engine::analyze_for_benchmark(&store).await?;
    }
    let page = |sort: Option<&str>| ListQuery {
        limit: Some(50),
        sort: sort.map(str::to_owned),
        ..Default::default()
    };
    timed("register page, first 50 by reference, with total", 1000, || async {
        Ok(reader
            .records(&IMPROVEMENT, &RecordFilter::default(), &page(None))
            .await?)
    })
    .await?;
    let doing = pawl_app::register::filter(&IMPROVEMENT, &[("phase".into(), "do".into())])?;
    timed("register page, phase Do by done-by date, with total", 1000, || async {
        Ok(reader.records(&IMPROVEMENT, &doing, &page(Some("target_date"))).await?)
    })
    .await?;
    let owner = pawl_app::register::filter(&IMPROVEMENT, &[("owner".into(), "owner7@bench.example".into())])?;
    timed("register page, one owner's, with total", 1000, || async {
        Ok(reader.records(&IMPROVEMENT, &owner, &page(None)).await?)
    })
    .await?;
    timed("board: six columns, counts and 25 cards each", 500, || async {
        Ok(pawl_app::improvement::board(&store, &org.id, &RecordFilter::default(), 25).await?)
    })
    .await?;
    let source = pawl_app::register::filter(&IMPROVEMENT, &[("source".into(), "incident".into())])?;
    timed("board filtered by source", 500, || async {
        Ok(pawl_app::improvement::board(&store, &org.id, &source, 25).await?)
    })
    .await?;
    let live = reader.record(&CYCLE, &cycles[1].id).await?;
    timed("cycle status, live (this year)", 500, || async {
        Ok(pawl_app::cycle::status(&store, &org.id, &live).await?)
    })
    .await?;
    let started = Instant::now();
    let last = reader.record(&CYCLE, &cycles[0].id).await?;
    let mut tx = store.write(&org.id, &system).await?;
    tx.transition_record(&CYCLE, &last.id, "closed", None).await?;
    pawl_app::cycle::freeze(&store, &org.id, &mut tx, &last).await?;
    tx.commit().await?;
    println!(
        "closing last year: figures computed, frozen and hashed: {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let last = reader.record(&CYCLE, &cycles[0].id).await?;
    timed("cycle status, frozen (last year)", 500, || async {
        Ok(pawl_app::cycle::status(&store, &org.id, &last).await?)
    })
    .await?;
    let (a, b) = ((year - 1).to_string(), year.to_string());
    timed("year over year: the two cycles compared", 500, || async {
        Ok(pawl_app::cycle::compare(&store, &org.id, &a, &b).await?)
    })
    .await?;
    timed("lessons that drove a change (dashboard figure)", 1000, || async {
        Ok(reader.lesson_counts().await?)
    })
    .await?;
    store.close().await;
    Ok(())
}
