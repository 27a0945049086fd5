//! The register machinery at scale (issue 8): an organisation with
//! 100,000 records across kinds; the one list path, a record page's reads
//! with 20 links, and my-work for a person with 500 assigned items.

use crate::{engines, percentile, rt, TempDir};
use anyhow::Result;
use pawl_app::App;
use pawl_domain::audit::Actor;
use pawl_domain::identity::OrgSlug;
use pawl_domain::register::{Value, ASSET, TREATMENT_ACTION};
use pawl_store::{ListQuery, Location, RecordFilter, Store};
use std::future::Future;
use std::time::Instant;

pub fn registers(n: usize) -> Result<()> {
    println!("# pawl register machinery benchmark: {n} records across kinds");
    let dir = TempDir::new("registers")?;
    let engines = engines(&dir);
    let rt = rt()?;
    for (name, location) in &engines {
        rt.block_on(engine(name, location, &dir, n))?;
    }
    Ok(())
}

/// Runs `f` `runs` times and prints p50 and p99 in milliseconds.
pub(crate) async fn timed<F, Fut, T>(what: &str, runs: usize, mut f: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{what}: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    Ok(())
}

async fn engine(engine: &str, location: &Location, dir: &TempDir, n: usize) -> Result<()> {
    println!("\n## {engine}");
    let store = Store::open(location).await?;
    let app = App::new(store.clone(), dir.0.join("evidence"));
    let system = Actor::system("bench");
    let slug = OrgSlug::parse(&format!("reg-{}", std::process::id()))?;
    let org = store.create_organisation(&system, &slug, "Bench Ltd").await?;
    let (me, _) = pawl_app::members::add_member(
        &app,
        &org.id,
        &system,
        "maya@bench.example",
        "manager",
        Some("bench-password-1"),
    )
    .await?;
    let person = |mine: bool| Value::Person {
        user_id: mine.then(|| me.user_id.clone()),
        name: if mine {
            "maya@bench.example".into()
        } else {
            "Facilities".into()
        },
    };

    // 1,000 risks carry the treatment actions; then assets and actions in
    // transactions of 1,000, every 200th record assigned to one person.
    let started = Instant::now();
    let mut risk_ids = Vec::new();
    for i in 0..1000 {
        let input = pawl_app::risk::RiskInput {
            title: Some(format!("Risk {i}")),
            ..Default::default()
        };
        risk_ids.push(pawl_app::risk::create_risk(&store, &org.id, &system, &input).await?.id);
    }
    let actions = n * 2 / 5;
    let assets = n - actions;
    let mut made = 0;
    while made < n {
        let mut tx = store.write(&org.id, &system).await?;
        for _ in 0..1000.min(n - made) {
            let mine = made % 200 == 0;
            if made < assets {
                let mut v = ASSET.empty();
                v[0] = Value::Text(format!("Asset {made:06}"));
                v[1] = Value::Text(["application", "device", "service", "site", "paper"][made % 5].into());
                v[2] = person(mine);
                v[3] = Value::Text(format!("Rack {}", made % 97));
                tx.create_record(&ASSET, v).await?;
            } else {
                let mut v = TREATMENT_ACTION.empty();
                v[0] = Value::OptText(Some(risk_ids[made % risk_ids.len()].clone()));
                v[1] = Value::Text(format!("Action {made:06}: patch component {}", made % 311));
                v[2] = person(mine);
                v[3] = Value::OptText(Some(format!("2027-{:02}-{:02}", 1 + made % 12, 1 + made % 28)));
                tx.create_record(&TREATMENT_ACTION, v).await?;
            }
            made += 1;
        }
        tx.commit().await?;
    }
    println!(
        "setup: {assets} assets and {actions} treatment actions on 1,000 risks, each audited: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if engine == "postgres" {
        pawl_store::engine::analyze_for_benchmark(&store).await?;
    }
    let reader = store.org(&org.id);
    let page = |sort: Option<&str>, q: Option<&str>| ListQuery {
        limit: Some(50),
        sort: sort.map(str::to_owned),
        q: q.map(str::to_owned),
        ..Default::default()
    };

    timed(
        "asset list, first page of 50, default sort, with total",
        1000,
        || async {
            Ok(reader
                .records(&ASSET, &RecordFilter::default(), &page(None, None))
                .await?)
        },
    )
    .await?;
    timed("asset list, last changed first", 1000, || async {
        let q = ListQuery {
            order: pawl_store::SortOrder::Desc,
            ..page(Some("updated_at"), None)
        };
        Ok(reader.records(&ASSET, &RecordFilter::default(), &q).await?)
    })
    .await?;
    let open = RecordFilter {
        status: vec!["open".into()],
        ..Default::default()
    };
    timed(
        "treatment actions, status filter, by due date, with total",
        1000,
        || async { Ok(reader.records(&TREATMENT_ACTION, &open, &page(None, None)).await?) },
    )
    .await?;
    let none = RecordFilter {
        status: vec!["done".into()],
        ..Default::default()
    };
    timed("treatment actions, a status filter matching nothing", 1000, || async {
        Ok(reader.records(&TREATMENT_ACTION, &none, &page(None, None)).await?)
    })
    .await?;
    let typed = pawl_app::register::filter(&ASSET, &[("asset_type".into(), "site".into())])?;
    timed(
        "asset list, type filter (a fifth of the register), with total",
        200,
        || async { Ok(reader.records(&ASSET, &typed, &page(None, None)).await?) },
    )
    .await?;
    timed("asset list, free-text search (two words, 10 matches)", 100, || async {
        Ok(reader
            .records(&ASSET, &RecordFilter::default(), &page(None, Some("asset 00424")))
            .await?)
    })
    .await?;

    // A record with 20 links, read as its page reads it.
    let first = reader
        .records(&ASSET, &RecordFilter::default(), &page(None, None))
        .await?
        .items;
    let target = first[0].id.clone();
    let mut tx = store.write(&org.id, &system).await?;
    for (i, other) in first.iter().skip(1).take(10).enumerate() {
        tx.link_records(
            ("asset", &target),
            "relates_to",
            ("asset", &other.id),
            &format!("link {i}"),
        )
        .await?;
    }
    for rid in risk_ids.iter().take(10) {
        tx.link_records(("risk", rid), "addresses", ("asset", &target), "")
            .await?;
    }
    tx.commit().await?;
    timed(
        "record page reads: the record, 20 links both ways with their ends named",
        1000,
        || async {
            reader.record(&ASSET, &target).await?;
            reader.links("asset", &target, true).await?;
            Ok(reader.links("asset", &target, false).await?)
        },
    )
    .await?;

    let work = reader.my_work(&me.user_id, 1000).await?;
    println!("my-work holds {} items for one person", work.len());
    timed("my-work for that person", 500, || async {
        Ok(reader.my_work(&me.user_id, 1000).await?)
    })
    .await?;
    store.close().await;
    Ok(())
}
