//! Performance evaluation at scale (issue 13): 100,000 risks, 50,000
//! nonconformities with corrective actions, a million audit events, twelve
//! metrics with a year of measurements, objectives and two management
//! reviews, the earlier approved. Times the home page (the dashboard),
//! readiness and a review's pack, live, frozen and as PDF, through the
//! release server over HTTP, as a person's browser or a script meets them.

use crate::registers::timed;
use crate::{engines, free_port, healthy, pawl_binary, rt, Server, TempDir};
use anyhow::{bail, Context, Result};
use pawl_app::App;
use pawl_domain::audit::Actor;
use pawl_domain::identity::OrgSlug;
use pawl_domain::register::{
    Kind, Value, CORRECTIVE_ACTION, MANAGEMENT_REVIEW, METRIC, NONCONFORMITY, OBJECTIVE, REVIEW_DECISION,
};
use pawl_store::{Location, Store};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn performance(risks: usize, ncs: usize, events: i64) -> Result<()> {
    println!("# pawl performance evaluation benchmark: {risks} risks, {ncs} nonconformities, {events} audit events");
    let dir = TempDir::new("performance")?;
    let engines = engines(&dir);
    let csv = crate::register_csv(risks);
    let rt = rt()?;
    for (name, location) in &engines {
        rt.block_on(engine(name, location, &dir.0, &csv, ncs, events))?;
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

fn input(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// A GET with a bearer token over a fresh connection; the status and the
/// body's length.
fn get(port: u16, path: &str, token: &str) -> Result<(u16, usize)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    let req =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let head = String::from_utf8_lossy(&buf[..buf.len().min(12)]).into_owned();
    let status = head.get(9..12).and_then(|c| c.parse().ok()).context("no HTTP status")?;
    Ok((status, buf.len()))
}

fn serve(bin: &Path, db_args: &[String], port: u16) -> Result<Server> {
    let server = Server(
        Command::new(bin)
            .args(db_args)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("PAWL_LOG", "warn")
            .env_remove("PAWL_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let started = Instant::now();
    while !healthy(port) {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("pawl did not become healthy in 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(server)
}

async fn engine(engine: &str, location: &Location, dir: &Path, csv: &str, ncs: usize, events: i64) -> Result<()> {
    println!("\n## {engine}");
    let store = Store::open(location).await?;
    let app = App::new(store.clone(), dir.join("evidence"));
    let system = Actor::system("bench");
    let slug = OrgSlug::parse(&format!("perf-{}", std::process::id()))?;
    let org = store.create_organisation(&system, &slug, "Bench Ltd").await?;
    let (me, _) = pawl_app::members::add_member(
        &app,
        &org.id,
        &system,
        "manager@bench.example",
        "manager",
        Some("correct horse battery staple"),
    )
    .await?;
    let (token, _) = pawl_app::auth::issue_token(&app, &org.id, &system, &me.user_id, "bench").await?;
    let started = Instant::now();
    let report = pawl_app::risk::import_table(
        &store,
        &org.id,
        &pawl_app::risk::RiskEditor::system(&system),
        pawl_domain::risk::import::read_csv(csv.as_bytes()),
        &Default::default(),
        false,
    )
    .await?;
    if report.refused {
        bail!(
            "the risk import failed: {:?}",
            &report.errors[..report.errors.len().min(3)]
        );
    }
    let today = time::OffsetDateTime::now_utc().date();
    let mut done = 0;
    while done < ncs {
        let mut tx = store.write(&org.id, &system).await?;
        for _ in 0..1000.min(ncs - done) {
            let i = done;
            let found = today - time::Duration::days((i * 1826 / ncs) as i64);
            let k = &NONCONFORMITY;
            let mut v = k.empty();
            set(
                k,
                &mut v,
                "title",
                text(format!("Nonconformity {i} in process {}", i % 41)),
            );
            set(
                k,
                &mut v,
                "source",
                text(["internal_audit", "incident", "self_identified"][i % 3]),
            );
            set(k, &mut v, "description", text("Found."));
            set(k, &mut v, "severity", text(if i % 7 == 0 { "major" } else { "minor" }));
            set(k, &mut v, "detected_on", date(found));
            set(k, &mut v, "due_date", date(found + time::Duration::days(60)));
            let nc = tx.create_record(k, v).await?;
            let old = found < today - time::Duration::days(180);
            if i % 2 == 0 {
                let k = &CORRECTIVE_ACTION;
                let mut v = k.empty();
                set(k, &mut v, "nonconformity_id", Value::OptText(Some(nc.id.clone())));
                set(k, &mut v, "description", text("Fix the cause."));
                set(k, &mut v, "due_date", date(found + time::Duration::days(45)));
                let a = tx.create_record(k, v).await?;
                tx.force_status(
                    k,
                    &a.id,
                    if old {
                        "effective"
                    } else {
                        ["planned", "in_progress", "implemented"][i % 3]
                    },
                )
                .await?;
            }
            if old {
                tx.force_status(&NONCONFORMITY, &nc.id, "closed").await?;
            }
            done += 1;
        }
        tx.commit().await?;
    }
    let mut metrics = Vec::new();
    for m in 0..12 {
        let r = pawl_app::register::create_as(
            &store,
            &org.id,
            &system,
            &METRIC,
            input(
                serde_json::json!({"title": format!("Metric {m}"), "frequency": "monthly", "direction": "higher",
                "target": "95", "warning": "90", "critical": "80", "unit": "%"}),
            ),
        )
        .await?;
        let mut tx = store.write(&org.id, &system).await?;
        for back in 0..12 {
            let v = 78.0 + ((m * 7 + back * 3) % 20) as f64;
            tx.add_measurement(
                &r.id,
                &(today - time::Duration::days(back * 30 + 2)).to_string(),
                v,
                "",
                "entered",
            )
            .await?;
        }
        pawl_app::performance::refresh_metric(&mut tx, &r.id).await?;
        tx.commit().await?;
        metrics.push(r);
    }
    for o in 0..5 {
        let r = pawl_app::register::create_as(
            &store,
            &org.id,
            &system,
            &OBJECTIVE,
            input(
                serde_json::json!({"title": format!("Objective {o}"), "target": "95 %", "plan": "Work",
                "owner": "manager@bench.example", "due_date": (today + time::Duration::days(200)).to_string(),
                "evaluation": "Quarterly"}),
            ),
        )
        .await?;
        let mut tx = store.write(&org.id, &system).await?;
        for m in metrics.iter().skip(o * 2).take(2) {
            tx.link_records(("metric", &m.id), "measures", ("objective", &r.id), "")
                .await?;
        }
        pawl_app::register::after_link(
            &mut tx,
            &[("objective".into(), r.id.clone()), ("metric".into(), r.id.clone())],
        )
        .await?;
        tx.commit().await?;
    }
    let first = pawl_app::register::create_as(
        &store,
        &org.id,
        &system,
        &MANAGEMENT_REVIEW,
        input(
            serde_json::json!({"title": "First review", "planned_on": (today - time::Duration::days(180)).to_string(),
            "held_on": (today - time::Duration::days(178)).to_string(), "attendees": "Board", "minutes": "Reviewed."}),
        ),
    )
    .await?;
    pawl_app::register::transition_as(&store, &org.id, &system, &MANAGEMENT_REVIEW, &first.id, "held", None).await?;
    for d in 0..5 {
        pawl_app::register::create_as(
            &store,
            &org.id,
            &system,
            &REVIEW_DECISION,
            input(serde_json::json!({"review_id": first.id, "decision": format!("Decision {d}"), "decision_type": "isms_change",
                "becomes": "action", "owner": "manager@bench.example", "due_date": (today - time::Duration::days(30 - d * 20)).to_string()})),
        )
        .await?;
    }
    let freeze = Instant::now();
    pawl_app::register::transition_as(
        &store,
        &org.id,
        &system,
        &MANAGEMENT_REVIEW,
        &first.id,
        "approved",
        None,
    )
    .await?;
    let freeze = freeze.elapsed();
    let next = pawl_app::register::create_as(
        &store,
        &org.id,
        &system,
        &MANAGEMENT_REVIEW,
        input(
            serde_json::json!({"title": "Next review", "planned_on": (today + time::Duration::days(10)).to_string()}),
        ),
    )
    .await?;
    // The cycle today falls in, whose status the home page shows.
    pawl_app::register::create_as(
        &store,
        &org.id,
        &system,
        &pawl_domain::register::CYCLE,
        input(serde_json::json!({"name": "This year", "starts_on": (today - time::Duration::days(100)).to_string()})),
    )
    .await?;
    crate::top_up_events(&store, &org.id, &system, events).await?;
    println!(
        "setup: {} risks, {ncs} nonconformities, {} corrective actions, 12 metrics with 12 measurements each, 5 objectives, 2 reviews, a cycle, {events} audit events: {:.1} s",
        report.created,
        ncs / 2,
        started.elapsed().as_secs_f64()
    );
    println!(
        "approving a review (pack compiled, frozen and hashed): {:.1} ms",
        freeze.as_secs_f64() * 1000.0
    );
    if engine == "postgres" {
        pawl_store::engine::analyze_for_benchmark(&store).await?;
    }
    timed("pack compiled in process (live)", 200, || async {
        Ok(pawl_app::performance::pack(&store, &org.id, &next).await?)
    })
    .await?;
    timed("readiness in process", 200, || async {
        Ok(pawl_app::performance::readiness(&store, &org.id).await?)
    })
    .await?;
    let live = pawl_app::performance::pack(&store, &org.id, &next).await?;
    timed("PDF of the pack drawn in process", 200, || async {
        Ok(pawl_reports::pdf::review_pack(&live))
    })
    .await?;
    println!("PDF size: {} bytes", pawl_reports::pdf::review_pack(&live).len());
    store.close().await;

    let db_args: Vec<String> = match location {
        Location::SqliteFile(p) => vec!["--data-dir".into(), p.parent().unwrap_or(dir).display().to_string()],
        Location::Postgres(u) => vec!["--database-url".into(), u.clone()],
    };
    let port = free_port()?;
    let _server = serve(&pawl_binary()?, &db_args, port)?;
    let page = |path: String, runs: usize, what: &'static str| {
        let token = token.clone();
        async move {
            let (status, _) = get(port, &path, &token)?;
            if status != 200 {
                bail!("{path} answered {status}");
            }
            timed(what, runs, || {
                let (path, token) = (path.clone(), token.clone());
                async move { get(port, &path, &token) }
            })
            .await
        }
    };
    page(
        "/".into(),
        200,
        "HTTP: the home page (dashboard: PDCA status, readiness, my work, heat map, metrics, ageing)",
    )
    .await?;
    page("/api/v1/readiness".into(), 200, "HTTP: GET /api/v1/readiness").await?;
    page(
        format!("/api/v1/management-reviews/{}/pack", next.id),
        200,
        "HTTP: review pack, live (JSON)",
    )
    .await?;
    page(
        format!("/api/v1/management-reviews/{}/pack", first.id),
        200,
        "HTTP: review pack, frozen (JSON)",
    )
    .await?;
    page(
        format!("/api/v1/management-reviews/{}/pack.pdf", next.id),
        100,
        "HTTP: review pack as PDF, live",
    )
    .await?;
    page(
        format!("/management-reviews/{}/pack", next.id),
        200,
        "HTTP: review pack page, live",
    )
    .await?;
    Ok(())
}
