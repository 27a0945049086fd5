//! Every page of the navigation at scale (issue 26): the demo organisation
//! with 100,000 risks imported the way a person would (`pawl risk import`
//! of a register with members and plain names as owners, assets, dates,
//! statuses, treatments and levels), served by the release binary. Signs
//! in as the administrator, the ISMS manager and a member of staff, opens
//! each page their navigation offers from 8 and from 200 concurrent
//! clients (keep-alive connections on loopback, a bounded number of
//! requests), then creates risks through the API from 1 and 8 clients.

use crate::{free_port, healthy, pawl_binary, percentile, run_measured, Server, TempDir};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The demo people whose navigation is measured, by role.
const ROLES: [(&str, &str); 3] = [
    ("admin", "admin@demo.example"),
    ("manager", "priya.shah@demo.example"),
    ("staff", "sam.ng@demo.example"),
];

/// Owners as a real register names them: members by address (resolved to
/// their accounts) and people without an account by name.
const OWNERS: [&str; 10] = [
    "priya.shah@demo.example",
    "tom.becker@demo.example",
    "lena.okafor@demo.example",
    "Dana Whitfield",
    "Head of IT",
    "Marcus Olsen",
    "Facilities",
    "Ines Carvalho",
    "HR Director",
    "maria.lind@demo.example",
];

/// A register exported from a spreadsheet: references, titles,
/// descriptions, one or two assets, an owner (member or name), scores
/// before and after treatment, a treatment, a day-first review date and a
/// status.
pub(crate) fn owned_register_csv(n: usize) -> String {
    let treatments = ["Mitigate", "Accept", "Transfer", "Avoid", "Mitigate"];
    let statuses = ["Assessed", "Treatment planned", "In treatment", "Identified", "Closed"];
    let categories = ["Operational", "Technical", "People", "Supplier", "Legal"];
    let mut s = String::from(
        "Risk ID,Title,Description,Category,Asset,Risk owner,CIA,Likelihood,Impact,Treatment,Residual likelihood,Residual impact,Next review,Status\n",
    );
    for i in 0..n {
        let (l, im) = (1 + i % 5, 1 + (i / 5) % 5);
        let assets = if i % 3 == 0 {
            format!("Asset {}; Asset {}", i % 40, (i + 7) % 40)
        } else {
            format!("Asset {}", i % 40)
        };
        s.push_str(&format!(
            "R-{i:06},Risk {i} to service {},\"Scenario {i}: a threat exploits a weakness in component {}\",{},{assets},{},{},{l},{im},{},{},{},{:02}/{:02}/{},{}\n",
            i % 97,
            i % 1013,
            categories[i % 5],
            OWNERS[i % OWNERS.len()],
            ["C", "I", "A", "CI", "CIA"][i % 5],
            treatments[i % 5],
            1 + (l - 1) / 2,
            1 + (im - 1) / 2,
            1 + i % 28,
            1 + i % 12,
            // A fifth of the register is past its review date.
            if i % 5 == 0 { 2025 } else { 2027 },
            statuses[i % 5],
        ));
    }
    s
}

/// One keep-alive HTTP/1.1 connection, opened again when the server
/// closes it.
struct Client {
    port: u16,
    conn: Option<BufReader<TcpStream>>,
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Client {
    fn new(port: u16) -> Client {
        Client { port, conn: None }
    }

    fn send(&mut self, head: &str, body: &[u8]) -> Result<Reply> {
        // A reused connection the server has closed fails once; a fresh
        // one must not.
        let reused = self.conn.is_some();
        match self.try_send(head, body) {
            Ok(r) => Ok(r),
            Err(_) if reused => {
                self.conn = None;
                self.try_send(head, body)
            }
            Err(e) => Err(e),
        }
    }

    fn try_send(&mut self, head: &str, body: &[u8]) -> Result<Reply> {
        if self.conn.is_none() {
            let s = TcpStream::connect(("127.0.0.1", self.port))?;
            s.set_nodelay(true)?;
            self.conn = Some(BufReader::new(s));
        }
        let conn = self.conn.as_mut().context("no connection")?;
        let mut req = Vec::with_capacity(head.len() + body.len());
        req.extend_from_slice(head.as_bytes());
        req.extend_from_slice(body);
        conn.get_mut().write_all(&req)?;
        let mut line = String::new();
        if conn.read_line(&mut line)? == 0 {
            bail!("connection closed");
        }
        let status: u16 = line.get(9..12).and_then(|c| c.parse().ok()).context("no HTTP status")?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            conn.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((n, v)) = l.split_once(':') {
                headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _): &&(String, String)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_ascii_lowercase())
        };
        let mut body = Vec::new();
        if let Some(len) = find("content-length") {
            body.resize(len.parse()?, 0);
            conn.read_exact(&mut body)?;
        } else if find("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            loop {
                line.clear();
                conn.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)?;
                let at = body.len();
                body.resize(at + size, 0);
                conn.read_exact(&mut body[at..])?;
                line.clear();
                conn.read_line(&mut line)?;
                if size == 0 {
                    break;
                }
            }
        } else {
            conn.read_to_end(&mut body)?;
            self.conn = None;
        }
        if find("connection").is_some_and(|c| c == "close") {
            self.conn = None;
        }
        Ok(Reply { status, headers, body })
    }

    fn get(&mut self, path: &str, auth: &str) -> Result<Reply> {
        self.send(&format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n"), &[])
    }
}

/// The header that signs a request in: a session cookie or a bearer token.
fn cookie(session: &str) -> String {
    format!("Cookie: pawl_session={session}\r\n")
}

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}\r\n")
}

fn sign_in(port: u16, email: &str, password: &str) -> Result<String> {
    let form = format!("email={}&password={}&next=%2F", email.replace('@', "%40"), password);
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        form.len()
    );
    let r = Client::new(port).send(&head, form.as_bytes())?;
    let set = r
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.strip_prefix("pawl_session="))
        .with_context(|| format!("signing in as {email} answered {} without a session", r.status))?;
    Ok(set.split(';').next().unwrap_or_default().to_owned())
}

/// The links of the side navigation, in order, the home page first.
fn navigation(html: &str) -> Vec<String> {
    let Some(start) = html.find("<nav class=\"sidenav\"") else {
        return vec!["/".into()];
    };
    let nav = &html[start..];
    let nav = &nav[..nav.find("</nav>").unwrap_or(nav.len())];
    let mut out = Vec::new();
    for part in nav.split("href=\"").skip(1) {
        let href = part.split('"').next().unwrap_or_default().replace("&amp;", "&");
        if href.starts_with('/') && !out.contains(&href) {
            out.push(href);
        }
    }
    out
}

/// `total` requests from `clients` threads, each on its own connection:
/// (sorted latencies in ms, requests per second). Any answer but `ok`
/// fails the run.
fn load(
    port: u16,
    clients: usize,
    total: usize,
    ok: u16,
    f: impl Fn(&mut Client, usize) -> Result<Reply> + Sync,
) -> Result<(Vec<f64>, f64)> {
    let started = Instant::now();
    let results: Vec<Result<Vec<f64>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let f = &f;
                scope.spawn(move || {
                    let mut client = Client::new(port);
                    let mut times = Vec::new();
                    for i in (c..total).step_by(clients) {
                        let t = Instant::now();
                        let r = f(&mut client, i)?;
                        times.push(t.elapsed().as_secs_f64() * 1000.0);
                        if r.status != ok {
                            bail!(
                                "answered {} (expected {ok}): {}",
                                r.status,
                                String::from_utf8_lossy(&r.body[..r.body.len().min(300)])
                            );
                        }
                    }
                    Ok(times)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a client panicked"))))
            .collect()
    });
    let secs = started.elapsed().as_secs_f64();
    let mut times = Vec::with_capacity(total);
    for r in results {
        times.extend(r?);
    }
    times.sort_by(f64::total_cmp);
    Ok((times, total as f64 / secs))
}

pub fn pages(risks: usize, requests: usize) -> Result<()> {
    println!("# pawl pages benchmark: the demo organisation with {risks} imported risks, every page of the admin's, manager's and staff's navigation");
    let dir = TempDir::new("pages")?;
    let csv = owned_register_csv(risks);
    let file = dir.0.join("register.csv");
    std::fs::write(&file, &csv)?;
    println!(
        "input CSV: {:.1} MB, {risks} rows, owners: {} members and {} plain names in turn, a third with two of 40 assets",
        csv.len() as f64 / 1e6,
        OWNERS.iter().filter(|o| o.contains('@')).count(),
        OWNERS.iter().filter(|o| !o.contains('@')).count()
    );
    drop(csv);
    let mut engines = vec![(
        "sqlite",
        vec!["--data-dir".to_owned(), dir.0.join("sqlite").display().to_string()],
    )];
    match std::env::var("PAWL_BENCH_DATABASE_URL") {
        Ok(url) => engines.push(("postgres", postgres_database(&url, &dir.0)?)),
        Err(_) => println!("(PostgreSQL skipped: set PAWL_BENCH_DATABASE_URL, or run scripts/bench)"),
    }
    for (name, db_args) in engines {
        engine(name, &db_args, &file, requests)?;
    }
    Ok(())
}

/// A database of its own on the throwaway cluster (the demo organisation's
/// slug is fixed), with its data folder.
fn postgres_database(url: &str, dir: &Path) -> Result<Vec<String>> {
    let name = format!("pawl_pages_{}", std::process::id());
    crate::rt()?.block_on(async {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await?;
        anyhow::Ok(())
    })?;
    let (base, _) = url
        .rsplit_once('/')
        .context("a PostgreSQL URL ends with its database")?;
    Ok(vec![
        "--database-url".into(),
        format!("{base}/{name}"),
        "--data-dir".into(),
        dir.join("postgres").display().to_string(),
    ])
}

fn serve(bin: &Path, db_args: &[String], demo: bool) -> Result<(Server, u16, Duration)> {
    let port = free_port()?;
    let mut cmd = Command::new(bin);
    // Errors only: under 200 clients every statement is slow to someone.
    cmd.args(db_args)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("PAWL_LOG", "error")
        .env_remove("PAWL_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if demo {
        cmd.arg("--demo");
    }
    let started = Instant::now();
    let server = Server(cmd.spawn()?);
    while !healthy(port) {
        if started.elapsed() > Duration::from_secs(120) {
            bail!("pawl did not become healthy in 120 s");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok((server, port, started.elapsed()))
}

fn data_dir(db_args: &[String]) -> Result<PathBuf> {
    let at = db_args
        .iter()
        .position(|a| a == "--data-dir")
        .context("no data folder")?;
    Ok(PathBuf::from(&db_args[at + 1]))
}

fn engine(engine: &str, db_args: &[String], file: &Path, requests: usize) -> Result<()> {
    println!("\n## {engine}");
    let bin = pawl_binary()?;
    // The demo organisation, its people and its records, as `--demo` makes them.
    drop(serve(&bin, db_args, true)?);
    let password = std::fs::read_to_string(data_dir(db_args)?.join("demo-password.txt"))?
        .trim()
        .to_owned();
    let mut args = db_args.to_vec();
    args.extend(["risk", "import"].map(String::from));
    args.push(file.display().to_string());
    args.extend(["--org", "demo"].map(String::from));
    let (secs, peak) = run_measured(&bin, &args)?;
    println!("import (pawl risk import, CLI, all or nothing, audited): {secs:.2} s, peak RSS {peak:.0} MB");
    if engine == "postgres" {
        // What autovacuum does on a live server soon after a bulk load.
        crate::rt()?.block_on(async {
            let url = &db_args[1];
            let store = pawl_store::Store::connect(&pawl_store::Location::Postgres(url.clone())).await?;
            pawl_store::engine::analyze_for_benchmark(&store).await?;
            store.close().await;
            anyhow::Ok(())
        })?;
    }
    let mut args = db_args.to_vec();
    args.extend(
        [
            "token",
            "create",
            "--org",
            "demo",
            "--email",
            "admin@demo.example",
            "--name",
            "bench",
        ]
        .map(String::from),
    );
    let out = Command::new(&bin).args(&args).env("PAWL_LOG", "warn").output()?;
    if !out.status.success() {
        bail!("pawl token create failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let token = String::from_utf8(out.stdout)?
        .lines()
        .last()
        .context("no token printed")?
        .trim()
        .to_owned();
    if let Some(db) = db_args
        .iter()
        .position(|a| a == "--data-dir")
        .map(|i| PathBuf::from(&db_args[i + 1]))
    {
        if engine == "sqlite" {
            let size = std::fs::metadata(db.join("pawl.db"))?.len();
            println!("database file: {:.0} MB", size as f64 / 1e6);
        }
    }

    let (server, port, start) = serve(&bin, db_args, false)?;
    println!("start to first healthy response: {} ms", start.as_millis());
    let mut rows = Vec::new();
    for (role, email) in ROLES {
        let session = sign_in(port, email, &password)?;
        let auth = cookie(&session);
        let home = Client::new(port).get("/", &auth)?;
        if home.status != 200 {
            bail!("the home page answered {} to the {role}", home.status);
        }
        let nav = navigation(&String::from_utf8_lossy(&home.body));
        println!("\n### {role} ({email}): {} pages\n", nav.len());
        println!("| page | 8 clients p50 / p99 ms | req/s | 200 clients p50 / p99 ms | req/s | KB |");
        println!("|---|---|---|---|---|---|");
        for path in nav {
            let first = Client::new(port).get(&path, &auth)?;
            let mut cells = Vec::new();
            for clients in [8, 200] {
                let total = requests.max(clients * 2);
                let (times, rate) = load(port, clients, total, first.status, |c, _| c.get(&path, &auth))?;
                cells.push(format!(
                    "{:.1} / {:.1} | {rate:.0}",
                    percentile(&times, 0.5),
                    percentile(&times, 0.99)
                ));
                rows.push((role, path.clone(), clients, percentile(&times, 0.99)));
            }
            let shown = if first.status == 200 {
                path.clone()
            } else {
                format!("{path} ({})", first.status)
            };
            println!(
                "| {shown} | {} | {} | {:.0} |",
                cells[0],
                cells[1],
                first.body.len() as f64 / 1024.0
            );
        }
    }
    let over: Vec<_> = rows.iter().filter(|(_, _, c, p99)| *c == 8 && *p99 >= 50.0).collect();
    println!(
        "\npages over p99 50 ms at 8 clients: {}",
        if over.is_empty() {
            "none".to_owned()
        } else {
            over.iter()
                .map(|(r, p, _, p99)| format!("{r} {p} ({p99:.0} ms)"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );

    // Risks created through the API, one transaction and audit event each.
    let auth = bearer(&token);
    for clients in [1, 8] {
        let total = 2_000;
        let (times, rate) = load(port, clients, total, 201, |c, i| {
            let json = format!(
                "{{\"title\":\"Created risk {clients}-{i}\",\"owner\":\"{}\",\"likelihood\":\"{}\",\"impact\":\"{}\",\"treatment\":\"modify\"}}",
                OWNERS[i % OWNERS.len()],
                1 + i % 5,
                1 + (i / 5) % 5
            );
            let head = format!(
                "POST /api/v1/risks HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                json.len()
            );
            c.send(&head, json.as_bytes())
        })?;
        println!(
            "risk creates, POST /api/v1/risks, {clients} client(s), {total} requests: {rate:.0}/s, p50 {:.1} ms, p99 {:.1} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    drop(server);
    Ok(())
}
