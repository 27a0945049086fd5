//! The organisation around the ISMS at scale (issue 12): 2,000 people, 20
//! training campaigns a year for three years with a completion each per
//! person and campaign (120,000), and 5,000 suppliers. Times the
//! completion chart over three years, a campaign's completion status, a
//! cycle's training figure, one person's my-work (which reads their
//! training) and the supplier register.

use crate::registers::timed;
use crate::{engines, rt, TempDir};
use anyhow::Result;
use pawl_domain::audit::Actor;
use pawl_domain::identity::{Email, OrgSlug, Role};
use pawl_domain::register::{Kind, Value, SUPPLIER, TRAINING};
use pawl_store::{ListQuery, Location, NewCompletion, NewMember, RecordFilter, Store};
use std::time::Instant;

pub fn organisation(people: usize, suppliers: usize) -> Result<()> {
    println!("# pawl organisation benchmark: {people} people, 20 campaigns a year for 3 years, {suppliers} suppliers");
    let dir = TempDir::new("organisation")?;
    let engines = engines(&dir);
    let rt = rt()?;
    for (name, location) in &engines {
        rt.block_on(engine(name, location, people, suppliers))?;
    }
    Ok(())
}

fn set(kind: &Kind, v: &mut [Value], field: &str, x: Value) {
    if let Some(i) = kind.index_of(field) {
        v[i] = x;
    }
}

async fn engine(engine: &str, location: &Location, people: usize, suppliers: usize) -> Result<()> {
    println!("\n## {engine}");
    let store = Store::open(location).await?;
    let system = Actor::system("bench");
    let slug = OrgSlug::parse(&format!("org-{}", std::process::id()))?;
    let org = store.create_organisation(&system, &slug, "Bench Ltd").await?;
    let today = time::OffsetDateTime::now_utc().date();
    let started = Instant::now();
    let mut members = Vec::with_capacity(people);
    let mut tx = store.write(&org.id, &system).await?;
    for i in 0..people {
        let (m, _) = tx
            .add_member(&NewMember {
                email: Email::parse(&format!("person{i}@bench.example"))?,
                name: String::new(),
                role: if i % 10 == 0 { Role::Contributor } else { Role::Staff },
                password_hash: "not-a-password".into(),
                address: pawl_store::AddressProof::Proven,
            })
            .await?;
        members.push(m);
    }
    tx.commit().await?;
    let mut campaigns = Vec::new();
    for year in 0..3 {
        for c in 0..20 {
            let due = today - time::Duration::days(365 * year + (c * 17) as i64);
            let mut v = TRAINING.empty();
            set(
                &TRAINING,
                &mut v,
                "title",
                Value::Text(format!("Campaign {c} of year -{year}")),
            );
            set(&TRAINING, &mut v, "audience", Value::Text("everyone".into()));
            set(&TRAINING, &mut v, "due_date", Value::OptText(Some(due.to_string())));
            set(&TRAINING, &mut v, "recurrence", Value::Text("once".into()));
            let mut tx = store.write(&org.id, &system).await?;
            let t = tx.create_record(&TRAINING, v).await?;
            tx.set_training_audience(&t.id, &[("everyone".into(), None)]).await?;
            tx.commit().await?;
            campaigns.push((t.id, due));
        }
    }
    let mut n = 0;
    for (id, due) in &campaigns {
        let batch: Vec<NewCompletion> = members
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 10 != 9)
            .map(|(i, m)| NewCompletion {
                training_id: id.clone(),
                email: m.email.clone(),
                user_id: Some(m.user_id.clone()),
                completed_on: (*due - time::Duration::days((i % 60) as i64)).to_string(),
                notes: String::new(),
                source: "import".into(),
            })
            .collect();
        n += batch.len();
        let mut tx = store.write(&org.id, &system).await?;
        tx.add_completions(&batch).await?;
        tx.commit().await?;
    }
    let mut tx = store.write(&org.id, &system).await?;
    for i in 0..suppliers {
        let mut v = SUPPLIER.empty();
        set(&SUPPLIER, &mut v, "name", Value::Text(format!("Supplier {i:05}")));
        let crit = ["low", "medium", "high", "critical"][i % 4];
        set(&SUPPLIER, &mut v, "criticality", Value::Text(crit.into()));
        let last = today - time::Duration::days((i % 800) as i64);
        set(&SUPPLIER, &mut v, "last_review", Value::OptText(Some(last.to_string())));
        let next = last + time::Duration::days(pawl_domain::register::review_interval_days(crit));
        set(&SUPPLIER, &mut v, "next_review", Value::OptText(Some(next.to_string())));
        tx.create_record(&SUPPLIER, v).await?;
        if i % 1000 == 999 {
            tx.commit().await?;
            tx = store.write(&org.id, &system).await?;
        }
    }
    tx.commit().await?;
    println!(
        "setup: {people} members, {} campaigns, {n} completions, {suppliers} suppliers, each audited: {:.1} s",
        campaigns.len(),
        started.elapsed().as_secs_f64()
    );
    if engine == "postgres" {
        pawl_store::engine::analyze_for_benchmark(&store).await?;
    }
    let reader = store.org(&org.id);
    let from = format!("{}-{:02}-01", today.year() - 3, u8::from(today.month()));
    timed(
        "completion chart: every campaign, per month over three years",
        200,
        || async { Ok(reader.completions_by_month(None, &from).await?) },
    )
    .await?;
    let one = campaigns[0].0.clone();
    timed("completion chart: one campaign", 500, || async {
        Ok(reader.completions_by_month(Some(&one), &from).await?)
    })
    .await?;
    timed("one campaign's completion, person by person (2,000)", 200, || async {
        Ok(reader.trainees(&one).await?)
    })
    .await?;
    let (start, end) = (format!("{}-01-01", today.year()), format!("{}-12-31", today.year()));
    timed(
        "a cycle's training figure: people trained over the year's campaigns",
        100,
        || async { Ok(reader.training_totals(&start, &end).await?) },
    )
    .await?;
    let someone = members[123].user_id.clone();
    timed("one person's my-work, with their training", 500, || async {
        Ok(reader.my_work(&someone, 1000).await?)
    })
    .await?;
    let page = |sort: Option<&str>| ListQuery {
        limit: Some(50),
        sort: sort.map(str::to_owned),
        ..Default::default()
    };
    timed("supplier register, first 50 by name, with total", 1000, || async {
        Ok(reader.records(&SUPPLIER, &RecordFilter::default(), &page(None)).await?)
    })
    .await?;
    let due = pawl_app::register::filter(&SUPPLIER, &[("due_by".into(), today.to_string())])?;
    timed("supplier reviews due, soonest first, with total", 1000, || async {
        Ok(reader.records(&SUPPLIER, &due, &page(Some("next_review"))).await?)
    })
    .await?;
    let critical = pawl_app::register::filter(&SUPPLIER, &[("criticality".into(), "critical".into())])?;
    timed("critical suppliers, first 50 by name, with total", 1000, || async {
        Ok(reader.records(&SUPPLIER, &critical, &page(None)).await?)
    })
    .await?;
    store.close().await;
    Ok(())
}
