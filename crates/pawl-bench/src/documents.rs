//! Documented information at scale (issue 9): 10,000 documents in four
//! levels under 100 policies; 50 of them published for 2,000 people, most
//! of whom have acknowledged most of them. Times the register page, one
//! policy's tree, the trace up from a work instruction, the acknowledgement
//! report and one person's reading list and my-work.

use crate::registers::timed;
use crate::{engines, rt, TempDir};
use anyhow::Result;
use pawl_domain::audit::Actor;
use pawl_domain::document::VersionNumber;
use pawl_domain::identity::{Email, OrgSlug, Role};
use pawl_domain::register::{Value, DOCUMENT};
use pawl_store::{ListQuery, Location, Named, NewMember, NewVersion, RecordFilter, Store};
use std::time::Instant;

pub fn documents(n: usize, people: usize, published: usize) -> Result<()> {
    println!("# pawl documents benchmark: {n} documents, {published} published for {people} people");
    let dir = TempDir::new("documents")?;
    let engines = engines(&dir);
    let rt = rt()?;
    for (name, location) in &engines {
        rt.block_on(engine(name, location, n, people, published))?;
    }
    Ok(())
}

fn values(title: String, level: &str, parent: Option<String>, owner: &Named) -> Vec<Value> {
    let mut v = DOCUMENT.empty();
    let mut set = |f: &str, x: Value| v[DOCUMENT.index_of(f).unwrap_or(0)] = x;
    set("title", Value::Text(title));
    set("level", Value::Text(level.into()));
    set("parent_id", Value::OptText(parent));
    set(
        "owner",
        Value::Person {
            user_id: Some(owner.user_id.clone()),
            name: owner.name.clone(),
        },
    );
    set("classification", Value::Text("internal".into()));
    v
}

async fn engine(engine: &str, location: &Location, n: usize, people: usize, published: usize) -> Result<()> {
    println!("\n## {engine}");
    let store = Store::open(location).await?;
    let system = Actor::system("bench");
    let slug = OrgSlug::parse(&format!("docs-{}", std::process::id()))?;
    let org = store.create_organisation(&system, &slug, "Bench Ltd").await?;
    let started = Instant::now();
    let mut members = Vec::with_capacity(people);
    for chunk in (0..people).collect::<Vec<_>>().chunks(500) {
        let mut tx = store.write(&org.id, &system).await?;
        for i in chunk {
            let (m, _) = tx
                .add_member(&NewMember {
                    email: Email::parse(&format!("person{i:04}@bench.example"))?,
                    name: String::new(),
                    role: if *i < 20 { Role::Manager } else { Role::Staff },
                    // No one signs in: the hash needs no real password.
                    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$bench$bench".into(),
                    address: pawl_store::AddressProof::Proven,
                })
                .await?;
            members.push(Named {
                user_id: m.user_id,
                name: m.email,
            });
        }
        tx.commit().await?;
    }
    let owner = members[0].clone();
    let approver = members[1].clone();

    // 1% policies, 4% processes, 20% procedures, the rest work instructions,
    // each under a parent one level up, in transactions of 1,000.
    let shares = [("policy", n / 100), ("process", n / 25), ("procedure", n / 5)];
    let mut levels: Vec<(&str, usize)> = shares.to_vec();
    levels.push(("work_instruction", n - shares.iter().map(|s| s.1).sum::<usize>()));
    let mut above: Vec<String> = Vec::new();
    let mut all: Vec<String> = Vec::new();
    for (level, count) in levels {
        let mut here = Vec::with_capacity(count);
        let mut done = 0;
        while done < count {
            let mut tx = store.write(&org.id, &system).await?;
            for _ in 0..1000.min(count - done) {
                let parent = (!above.is_empty()).then(|| above[done % above.len()].clone());
                let title = format!("{level} {done:05} for team {}", done % 37);
                let r = tx
                    .create_record(&DOCUMENT, values(title, level, parent, &owner))
                    .await?;
                here.push(r.id);
                done += 1;
            }
            tx.commit().await?;
        }
        all.extend(here.iter().cloned());
        above = here;
    }
    // The first `published` documents are published for everyone.
    let mut tx = store.write(&org.id, &system).await?;
    for id in all.iter().take(published) {
        tx.set_document_audience(id, &[("everyone".into(), None)]).await?;
        let v = tx
            .create_document_version(
                id,
                NewVersion {
                    number: VersionNumber::FIRST,
                    content: "# Policy\n\nEveryone follows this.\n".into(),
                    file: None,
                    change_summary: "First issue".into(),
                    author: owner.clone(),
                    approver: Some(approver.clone()),
                    reviewers: Vec::new(),
                },
            )
            .await?;
        for to in ["in_review", "approved", "published"] {
            tx.transition_document_version(&v.id, to, None, Some("2027-06-30".into()), Some("2026-12-31".into()))
                .await?;
        }
    }
    tx.commit().await?;
    // Nine in ten people have read most documents; the rest fewer.
    let mut acks = 0;
    for (i, person) in members.iter().enumerate() {
        let mut tx = store.write(&org.id, &system).await?;
        for (j, id) in all.iter().take(published).enumerate() {
            if (i + j) % 10 != 0 && !(i % 10 == 0 && j % 2 == 0) {
                tx.acknowledge_document(id, person).await?;
                acks += 1;
            }
        }
        tx.commit().await?;
    }
    println!(
        "setup: {people} people, {n} documents, {published} published, {acks} acknowledgements, each audited: {:.1} s",
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
        Ok(reader.records(&DOCUMENT, &RecordFilter::default(), &page(None)).await?)
    })
    .await?;
    timed("register page, by next review", 1000, || async {
        Ok(reader
            .records(&DOCUMENT, &RecordFilter::default(), &page(Some("next_review")))
            .await?)
    })
    .await?;
    let procedures = pawl_app::register::filter(&DOCUMENT, &[("level".into(), "procedure".into())])?;
    timed("register page, level filter (a fifth), with total", 200, || async {
        Ok(reader.records(&DOCUMENT, &procedures, &page(None)).await?)
    })
    .await?;
    let policy = all[0].clone();
    let size = reader.document_tree(&policy).await?.len();
    timed(
        &format!("one policy's tree ({size} documents, four levels)"),
        1000,
        || async { Ok(reader.document_tree(&policy).await?) },
    )
    .await?;
    let leaf = all[all.len() - 1].clone();
    timed("trace from a work instruction up to its policy", 1000, || async {
        Ok(reader.document_trace(&leaf).await?)
    })
    .await?;
    let pairs = reader.obligations(None).await?.len();
    timed(
        &format!("acknowledgement report ({pairs} person-document pairs, per document and per person)"),
        50,
        || async { Ok(pawl_app::document::ack_report(&store, &org.id).await?) },
    )
    .await?;
    let someone = members[10].user_id.clone();
    timed("one person's reading list", 500, || async {
        Ok(reader.reading_list(&someone).await?)
    })
    .await?;
    timed("one person's my-work (documents to read among it)", 500, || async {
        Ok(reader.my_work(&someone, 1000).await?)
    })
    .await?;
    store.close().await;
    Ok(())
}
