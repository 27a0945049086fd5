//! `pawl-bench`: builds organisations at realistic scale and prints figures
//! for BENCHMARKS.md. Run it through `scripts/bench`, which builds in release
//! mode and provides a throwaway PostgreSQL.
//!
//! Usage: `pawl-bench foundation [--events N]`, `pawl-bench risk [--risks N]`
//! `pawl-bench controls [--controls N] [--upload-mb N]` or
//! `pawl-bench registers [--records N]` or
//! `pawl-bench documents [--documents N] [--people N] [--published N]` or
//! `pawl-bench nonconformities [--records N] [--actions-each N]` or
//! `pawl-bench performance [--risks N] [--records N] [--events N]` or
//! `pawl-bench replicas [--records N] [--upload-mb N]` or
//! `pawl-bench pages [--risks N] [--requests N]` or
//! `pawl-bench notify [--people N] [--records N]`

mod controls;
mod documents;
mod improvement;
mod nonconformities;
mod notify;
mod organisation;
mod pages;
mod performance;
mod registers;
mod replicas;

use anyhow::{bail, Context, Result};
use pawl_domain::audit::Actor;
use pawl_domain::identity::{Email, OrgSlug, Role};
use pawl_store::{AuditFilter, ListQuery, Location, NewMember, Store, VerifyOutcome};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut events = 1_000_000_i64;
    let mut risks = 100_000_usize;
    let mut applied_controls = 5_000_usize;
    let mut upload_mb = 500_usize;
    let (mut documents, mut people, mut published) = (10_000_usize, 2_000_usize, 50_usize);
    let mut actions_each = 2_usize;
    let mut requests = 400_usize;
    let mut records_given = None;
    let mut it = args.iter();
    let Some(what) = it.next() else {
        bail!("usage: pawl-bench foundation [--events N]");
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--events" => events = it.next().context("--events needs a number")?.parse()?,
            "--risks" => risks = it.next().context("--risks needs a number")?.parse()?,
            "--controls" => applied_controls = it.next().context("--controls needs a number")?.parse()?,
            "--records" => records_given = Some(it.next().context("--records needs a number")?.parse()?),
            "--actions-each" => actions_each = it.next().context("--actions-each needs a number")?.parse()?,
            "--documents" => documents = it.next().context("--documents needs a number")?.parse()?,
            "--people" => people = it.next().context("--people needs a number")?.parse()?,
            "--published" => published = it.next().context("--published needs a number")?.parse()?,
            "--requests" => requests = it.next().context("--requests needs a number")?.parse()?,
            "--upload-mb" => upload_mb = it.next().context("--upload-mb needs a number")?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    match what.as_str() {
        "foundation" => foundation(events),
        "risk" => risk(risks),
        "controls" => controls::controls(applied_controls, upload_mb),
        "registers" => registers::registers(records_given.unwrap_or(100_000)),
        "documents" => documents::documents(documents, people, published),
        "nonconformities" => nonconformities::nonconformities(records_given.unwrap_or(50_000), actions_each),
        "improvement" => improvement::improvement(records_given.unwrap_or(50_000), events),
        "organisation" => organisation::organisation(people, records_given.unwrap_or(5_000)),
        "performance" => performance::performance(risks, records_given.unwrap_or(50_000), events),
        "replicas" => replicas::replicas(records_given.unwrap_or(3_000), upload_mb),
        "pages" => pages::pages(risks, requests),
        "notify" => notify::notify(people, records_given.unwrap_or(100_000)),
        other => {
            bail!("unknown benchmark {other}; try foundation, risk, controls, registers, documents, nonconformities, improvement, organisation, performance, replicas, pages or notify")
        }
    }
}

/// SQLite in `dir`, and PostgreSQL when `PAWL_BENCH_DATABASE_URL` names one.
fn engines(dir: &TempDir) -> Vec<(&'static str, Location)> {
    let pg = std::env::var("PAWL_BENCH_DATABASE_URL").ok();
    [
        Some(("sqlite", Location::SqliteFile(dir.0.join("pawl.db")))),
        pg.map(|u| ("postgres", Location::Postgres(u))),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Appends plain events until the organisation's audit trail holds
/// `events`, ten thousand a transaction: the trail a long-lived
/// organisation has.
pub(crate) async fn top_up_events(store: &Store, org_id: &str, actor: &Actor, events: i64) -> Result<()> {
    let have = store.org(org_id).audit_event_count().await?;
    let payload = serde_json::json!({"title": "Supplier access review", "status": "in progress", "owner": "priya.shah@demo.example"});
    let mut remaining = events - have;
    while remaining > 0 {
        let batch = remaining.min(10_000);
        let mut tx = store.write(org_id, actor).await?;
        for i in 0..batch {
            tx.record_event("update", "bench_record", &format!("r-{}", i % 5000), &payload)
                .await?;
        }
        tx.commit().await?;
        remaining -= batch;
    }
    Ok(())
}

fn rt() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Result<TempDir> {
        let p = std::env::temp_dir().join(format!("pawl-bench-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn foundation(events: i64) -> Result<()> {
    println!("# pawl foundation benchmark");
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    startup_and_memory()?;
    let dir = TempDir::new("store")?;
    let engines = engines(&dir);
    if engines.len() < 2 {
        println!("(PostgreSQL skipped: set PAWL_BENCH_DATABASE_URL, or run scripts/bench)");
    }
    let rt = rt()?;
    for (name, location) in engines {
        rt.block_on(writes_and_verify(name, &location, events))?;
    }
    Ok(())
}

/// The `pawl` binary built beside this one.
pub(crate) fn pawl_binary() -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    let p = me.with_file_name("pawl");
    if !p.exists() {
        bail!("{} not found: build it with cargo build --release -p pawl", p.display());
    }
    Ok(p)
}

pub(crate) fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub(crate) fn healthy(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let req = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}

pub(crate) fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .context("no VmRSS")
}

pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(bin: &Path, data: &Path, port: u16, demo: bool) -> Result<(Server, Duration)> {
    let started = Instant::now();
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data)
        .env("PAWL_LOG", "warn")
        .env_remove("PAWL_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if demo {
        cmd.arg("--demo");
    }
    let server = Server(cmd.spawn()?);
    while !healthy(port) {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("pawl did not become healthy in 30 s");
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    Ok((server, started.elapsed()))
}

fn startup_and_memory() -> Result<()> {
    let bin = pawl_binary()?;
    let data = TempDir::new("serve")?;
    println!("\n## start-up and memory (release binary, SQLite)");
    let (first, t_first) = start_server(&bin, &data.0, free_port()?, true)?;
    drop(first);
    println!(
        "first start with --demo (creates database and demo data): {} ms",
        t_first.as_millis()
    );
    let mut times = Vec::new();
    let mut rss = 0;
    for _ in 0..5 {
        let (server, t) = start_server(&bin, &data.0, free_port()?, true)?;
        times.push(t.as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_secs(1));
        rss = rss_kib(server.0.id())?;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "start to first healthy response (existing database, 5 runs): median {:.0} ms, max {:.0} ms",
        times[2], times[4]
    );
    println!("idle RSS after start: {:.1} MB", rss as f64 / 1024.0);
    Ok(())
}

async fn writes_and_verify(engine: &str, location: &Location, events: i64) -> Result<()> {
    println!("\n## {engine}");
    let store = Store::open(location).await?;
    let actor = Actor::system("bench");
    let slug = OrgSlug::parse(&format!("bench-{}", std::process::id()))?;
    let org = store.create_organisation(&actor, &slug, "Bench Ltd").await?;

    // One audited write = the change and its chained event in one transaction.
    let hash = "$argon2id$precomputed".to_owned();
    for (writers, total) in [(1_usize, 5_000_usize), (8, 20_000)] {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..writers {
            let (store, org_id, actor, hash) = (store.clone(), org.id.clone(), actor.clone(), hash.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0..total / writers {
                    let mut tx = store.write(&org_id, &actor).await?;
                    tx.add_member(&NewMember {
                        email: Email::parse(&format!("w{writers}-{w}-{i}@bench.example"))?,
                        name: String::new(),
                        role: Role::Viewer,
                        password_hash: hash.clone(),
                        address: pawl_store::AddressProof::Proven,
                    })
                    .await?;
                    tx.commit().await?;
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "audited writes (new member + event, one transaction each), {writers} writer(s): {:.0}/s",
            total as f64 / secs
        );
    }

    let have = store.org(&org.id).audit_event_count().await?;
    let started = Instant::now();
    top_up_events(&store, &org.id, &actor, events).await?;
    println!(
        "bulk-appended {} events in {:.1} s (setup only)",
        events - have,
        started.elapsed().as_secs_f64()
    );
    audit_trail_filters(&store, &org.id).await?;
    let started = Instant::now();
    let outcome = store.verify_audit_chain(&org.id).await?;
    let secs = started.elapsed().as_secs_f64();
    match outcome {
        VerifyOutcome::Intact { events } => {
            println!(
                "audit verify: {events} events in {secs:.2} s = {:.0} events/s",
                events as f64 / secs
            )
        }
        VerifyOutcome::Broken(b) => bail!("chain broken in the benchmark: {b}"),
    }
    store.close().await;
    Ok(())
}

/// The audit trail page's filters over the whole trail: the first page of
/// 50, newest first, with the count of matches the page shows.
async fn audit_trail_filters(store: &Store, org_id: &str) -> Result<()> {
    let reader = store.org(org_id);
    let some = |s: &str| Some(s.to_owned());
    let cases = [
        ("no filter", AuditFilter::default()),
        (
            "a kind of record with few events (member)",
            AuditFilter {
                entity_type: some("member"),
                ..Default::default()
            },
        ),
        (
            "an action nearly every event has (update)",
            AuditFilter {
                action: some("update"),
                ..Default::default()
            },
        ),
        (
            "an action few events have (create)",
            AuditFilter {
                action: some("create"),
                ..Default::default()
            },
        ),
        (
            "a person with no events",
            AuditFilter {
                actor: some("nobody@bench.example"),
                ..Default::default()
            },
        ),
        (
            "a day with no events",
            AuditFilter {
                from: some("2001-01-01"),
                to: some("2001-01-01"),
                ..Default::default()
            },
        ),
    ];
    let page = ListQuery {
        limit: Some(50),
        order: pawl_store::SortOrder::Desc,
        ..Default::default()
    };
    for (what, filter) in cases {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..10 {
            let t = Instant::now();
            total = reader.audit_events(&filter, &page).await?.total;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "audit trail, {what} ({total} match): p50 {:.1} ms, max {:.1} ms",
            percentile(&times, 0.5),
            times[times.len() - 1]
        );
    }
    Ok(())
}

/// Runs a command to completion, sampling its peak RSS (VmHWM) as it goes.
fn run_measured(bin: &Path, args: &[String]) -> Result<(f64, f64)> {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .env("PAWL_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut peak = 0.0_f64;
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", child.id())) {
            if let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|n| n.parse::<f64>().ok())
            {
                peak = peak.max(kb / 1024.0);
            }
        }
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("{} {:?} failed", bin.display(), args);
            }
            return Ok((started.elapsed().as_secs_f64(), peak));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A realistic register as CSV: varied text, scores, owners and dates.
pub(crate) fn register_csv(n: usize) -> String {
    let treatments = ["Mitigate", "Accept", "Transfer", "Avoid"];
    let statuses = ["Assessed", "Treatment planned", "In treatment", "Identified", "Closed"];
    let mut s = String::from("Risk ID,Title,Description,Asset,Risk owner,Likelihood,Impact,Treatment,Residual likelihood,Residual impact,Next review,Status\n");
    for i in 0..n {
        let (l, im) = (1 + i % 5, 1 + (i / 5) % 5);
        s.push_str(&format!(
            "R-{i:06},Risk {i} to service {},\"Scenario {i}: a threat exploits a weakness in component {}\",Asset {},owner{}@bench.example,{l},{im},{},{},{},{:02}/{:02}/2027,{}\n",
            i % 97,
            i % 1013,
            i % 40,
            i % 25,
            treatments[i % 4],
            1 + (l - 1) / 2,
            1 + (im - 1) / 2,
            1 + i % 28,
            1 + i % 12,
            statuses[i % 5],
        ));
    }
    s
}

fn risk(n: usize) -> Result<()> {
    println!("# pawl risk register benchmark: {n} risks");
    let dir = TempDir::new("risk")?;
    let engines = engines(&dir);
    let csv = register_csv(n);
    println!("input CSV: {:.1} MB", csv.len() as f64 / 1e6);
    let rt = rt()?;
    for (name, location) in engines {
        rt.block_on(risk_engine(name, &location, &csv, &dir.0))?;
    }
    Ok(())
}

async fn risk_engine(engine: &str, location: &Location, csv: &str, dir: &Path) -> Result<()> {
    use pawl_store::{ListQuery, RiskFilter};
    println!("\n## {engine}");
    let store = Store::open(location).await?;
    let actor = Actor::system("bench");
    let slug = OrgSlug::parse(&format!("risk-{}", std::process::id()))?;
    let org = store.create_organisation(&actor, &slug, "Bench Ltd").await?;

    // The import runs as the real CLI in a child process, so that its peak
    // memory is its own.
    let db_args: Vec<String> = match location {
        Location::SqliteFile(p) => vec!["--data-dir".into(), p.parent().unwrap_or(dir).display().to_string()],
        Location::Postgres(u) => vec!["--database-url".into(), u.clone()],
    };
    let file = dir.join("register.csv");
    std::fs::write(&file, csv)?;
    let mut args = db_args.clone();
    args.extend(["risk", "import"].map(String::from));
    args.push(file.display().to_string());
    args.extend(["--org", slug.as_str()].map(String::from));
    let (secs, peak) = run_measured(&pawl_binary()?, &args)?;
    let imported = store
        .org(&org.id)
        .risks(
            &Default::default(),
            &ListQuery {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?
        .total;
    println!("import of {imported} rows (CLI, one transaction, audited, with assessments): {secs:.2} s; peak RSS {peak:.0} MB");
    if engine == "postgres" {
        // What autovacuum does on a live server soon after a bulk load.
        pawl_store::engine::analyze_for_benchmark(&store).await?;
    }
    let reader = store.org(&org.id);
    let filter = RiskFilter {
        status: Some("in_treatment".into()),
        ..Default::default()
    };
    let q = ListQuery {
        limit: Some(50),
        sort: Some("residual".into()),
        order: pawl_store::SortOrder::Desc,
        ..Default::default()
    };
    let mut times = Vec::new();
    let mut some_id = String::new();
    for _ in 0..500 {
        let t = Instant::now();
        let page = reader.risks(&filter, &q).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        some_id = page.items[0].id.clone();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "list page (50 rows, status filter, residual sort, with total): p50 {:.2} ms, p99 {:.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    let mut times = Vec::new();
    let searched = ListQuery {
        q: Some("service 42".into()),
        ..q.clone()
    };
    for _ in 0..100 {
        let t = Instant::now();
        reader.risks(&RiskFilter::default(), &searched).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "list page with text search: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    let mut times = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        reader.risk(&some_id).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "one risk: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    let mut times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        reader.heat_map(true).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "heat map (residual, all live risks): p50 {:.1} ms, max {:.1} ms",
        percentile(&times, 0.5),
        times[times.len() - 1]
    );

    // Exports run as the CLI too.
    for format in ["xlsx", "csv"] {
        let path = dir.join(format!("{engine}.{format}"));
        let mut args = db_args.clone();
        args.extend(["risk", "export", "--org", slug.as_str(), "--format", format, "--output"].map(String::from));
        args.push(path.display().to_string());
        let (secs, peak) = run_measured(&pawl_binary()?, &args)?;
        println!(
            "{} export of the register (CLI): {secs:.2} s, {:.1} MB file; peak RSS {peak:.0} MB",
            format.to_uppercase(),
            std::fs::metadata(&path)?.len() as f64 / 1e6
        );
    }
    store.close().await;
    Ok(())
}
