//! Notifications at scale (issue 27): an organisation of 2,000 people
//! (20 ISMS managers) whose 100,000 risks, imported as a register is, each
//! name an owner and a review date spread over the year either side of
//! today. The day's reminder run is timed, then the dispatcher sends what
//! it wrote to a real SMTP server on loopback (aiosmtpd, through
//! `scripts/smtp_sink.py`, found with `PAWL_TEST_PYTHON`), and a write with
//! its outbox row is timed against one without.

use crate::{engines, rt, TempDir};
use anyhow::{bail, Context, Result};
use pawl_app::notify::Mailer;
use pawl_domain::audit::Actor;
use pawl_domain::identity::{Email, OrgSlug, Role};
use pawl_domain::register::INCIDENT;
use pawl_store::{Location, NewMember, Store};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// The register: each owner holds 50 risks, whose review dates fall on 50
/// days in a row somewhere from 200 days past to 199 ahead.
fn register_csv(records: usize, people: usize, today: time::Date) -> String {
    let mut s = String::from("Risk ID,Title,Risk owner,Likelihood,Impact,Next review,Status\n");
    for i in 0..records {
        let review = today + time::Duration::days((i % 400) as i64 - 200);
        s.push_str(&format!(
            "R-{i:06},Risk {i} to service {},person{:04}@bench.example,{},{},{review},Assessed\n",
            i % 97,
            (i / 50) % people,
            1 + i % 5,
            1 + (i / 5) % 5
        ));
    }
    s
}

/// aiosmtpd on a loopback port, stopped when dropped, and the folder it
/// writes to, removed then.
struct Sink {
    child: Child,
    _folder: TempDir,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_sink() -> Result<(Sink, u16)> {
    let python = std::env::var("PAWL_TEST_PYTHON").context("set PAWL_TEST_PYTHON (scripts/bench does)")?;
    let port = crate::free_port()?;
    let folder = TempDir::new("smtp")?;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp_sink.py");
    let mut child = Command::new(python)
        .arg(script)
        .args(["--port", &port.to_string(), "--folder"])
        .arg(&folder.0)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().context("no stdout")?),
        &mut line,
    )?;
    if line.trim() != "ready" {
        bail!("the SMTP server did not start");
    }
    Ok((Sink { child, _folder: folder }, port))
}

pub fn notify(people: usize, records: usize) -> Result<()> {
    println!("# pawl notifications benchmark: {people} people, {records} risks with owners and review dates");
    let dir = TempDir::new("notify")?;
    rt()?.block_on(async {
        for (name, location) in engines(&dir) {
            engine(name, &location, people, records).await?;
        }
        Ok(())
    })
}

async fn engine(name: &str, location: &Location, people: usize, records: usize) -> Result<()> {
    println!("\n## {name}");
    let store = Store::open(location).await?;
    store.set_dispatching();
    let system = Actor::system("bench");
    let slug = OrgSlug::parse(&format!("notify-{}", std::process::id()))?;
    let org = store.create_organisation(&system, &slug, "Bench Ltd").await?;
    for chunk in (0..people).collect::<Vec<_>>().chunks(500) {
        let mut tx = store.write(&org.id, &system).await?;
        for i in chunk {
            tx.add_member(&NewMember {
                email: Email::parse(&format!("person{i:04}@bench.example"))?,
                name: format!("Person {i}"),
                role: if *i < 20 { Role::Manager } else { Role::Contributor },
                // No one signs in: the hash needs no real password.
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$bench$bench".into(),
                address: pawl_store::AddressProof::Proven,
            })
            .await?;
        }
        tx.commit().await?;
    }
    let today = pawl_app::today();
    let started = Instant::now();
    let report = pawl_app::risk::import_table(
        &store,
        &org.id,
        &pawl_app::risk::RiskEditor::system(&system),
        pawl_domain::risk::import::read_csv(register_csv(records, people, today).as_bytes()),
        &Default::default(),
        false,
    )
    .await?;
    if report.refused {
        bail!("the import failed: {:?}", &report.errors[..report.errors.len().min(3)]);
    }
    println!(
        "setup: {people} members, {records} risks imported in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let r = pawl_app::notify::remind(&store, &org.id, today).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "reminder run: {} records due on a reminder day, {} people reminded (one message each), {} overdue 14 days or more \
         escalated to {} managers: {secs:.2} s",
        r.items, r.people, r.escalated, r.managers
    );

    let (_sink, port) = smtp_sink()?;
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "pawl <isms@bench.example>",
        "https://isms.bench.example",
    )?;
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let n = pawl_app::notify::round(&store, &mailer).await?;
        if n == 0 {
            break;
        }
        sent += n;
    }
    let secs = started.elapsed().as_secs_f64();
    let failed = store.undelivered(Some(&org.id), 10).await?;
    if !failed.is_empty() {
        bail!("{} messages were not sent: {}", failed.len(), failed[0].last_error);
    }
    println!(
        "dispatcher, one server, to aiosmtpd on loopback: {sent} e-mails in {secs:.1} s, {:.0} a minute",
        sent as f64 / secs * 60.0
    );

    // A write with its outbox row against one without: incidents, which
    // announce to every ISMS manager, in an organisation with one manager
    // and in one with none.
    let mut per_create = Vec::new();
    for managers in [0, 1] {
        let slug = OrgSlug::parse(&format!("outbox-{managers}-{}", std::process::id()))?;
        let o = store.create_organisation(&system, &slug, "Outbox Ltd").await?;
        if managers == 1 {
            let mut tx = store.write(&o.id, &system).await?;
            tx.add_member(&NewMember {
                email: Email::parse("manager@outbox.example")?,
                name: "Manager".into(),
                role: Role::Manager,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$bench$bench".into(),
                address: pawl_store::AddressProof::Proven,
            })
            .await?;
            tx.commit().await?;
        }
        let n = 2_000;
        let started = Instant::now();
        for i in 0..n {
            let input = serde_json::json!({
                "title": format!("Lost laptop {i}"), "description": "Left on a train", "type": "incident"});
            let serde_json::Value::Object(map) = input else {
                unreachable!()
            };
            pawl_app::register::create_as(&store, &o.id, &system, &INCIDENT, map).await?;
        }
        per_create.push(started.elapsed().as_secs_f64() * 1000.0 / n as f64);
    }
    println!(
        "incident create, one client: {:.3} ms without an outbox row, {:.3} ms with one ({:+.1} %)",
        per_create[0],
        per_create[1],
        (per_create[1] / per_create[0] - 1.0) * 100.0
    );
    store.close().await;
    Ok(())
}
