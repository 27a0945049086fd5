//! Real processes (issue 16): `pawl serve` processes on one database,
//! writes spread over them from concurrent workers, and fault trials: a
//! process killed with SIGKILL under load, again and again. No write a
//! server acknowledged may be lost, and the audit chain must verify.

use crate::harness::{free_port, spawn_app, Engine, TestApp, ADMIN_EMAIL, PASSWORD};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Serve {
    child: Child,
    port: u16,
    args: Vec<String>,
    /// Settings given as the environment (the mail server's).
    env: Vec<(String, String)>,
}

impl Serve {
    async fn start_with(args: &[String], port: u16, env: &[(String, String)]) -> Serve {
        let child = Command::new(server_binary())
            .args(args)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("PAWL_LOG", "error")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let s = Serve {
            child,
            port,
            args: args.to_vec(),
            env: env.to_vec(),
        };
        s.healthy().await;
        s
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn healthy(&self) {
        let started = Instant::now();
        let c = reqwest::Client::new();
        while !c
            .get(self.url("/api/v1/health"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            assert!(started.elapsed() < Duration::from_secs(60), "pawl did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no shutdown, no flush.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn restart(&mut self) {
        self.kill();
        *self = Serve::start_with(&self.args, self.port, &self.env).await;
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The release build when the full suite built one (`PAWL_RELEASE_BIN`),
/// as operators run pawl; else the test build.
fn server_binary() -> String {
    std::env::var("PAWL_RELEASE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_pawl").to_owned())
}

/// Processes on the test app's database, each with a data folder of its own.
async fn serves(app: &TestApp, n: usize) -> (Vec<Serve>, Vec<crate::harness::TempDir>) {
    serves_with(app, n, &[]).await
}

async fn serves_with(app: &TestApp, n: usize, env: &[(String, String)]) -> (Vec<Serve>, Vec<crate::harness::TempDir>) {
    let mut out = Vec::new();
    let mut dirs = Vec::new();
    for _ in 0..n {
        let dir = crate::harness::TempDir::new();
        let mut args = app.db.cli_args.clone();
        if let Some(at) = args.iter().position(|a| a == "--data-dir") {
            if matches!(app.db.location, pawl_store::Location::Postgres(_)) {
                args[at + 1] = dir.0.display().to_string();
            }
        }
        out.push(Serve::start_with(&args, free_port(), env).await);
        dirs.push(dir);
    }
    (out, dirs)
}

/// Writes from `workers` workers, round robin over `ports`, until `stop`;
/// the ids every server acknowledged. A refused connection or a dropped
/// one is not acknowledged and is tried on the next server.
fn load(
    token: &str,
    ports: Arc<Mutex<Vec<u16>>>,
    workers: usize,
    stop: Arc<std::sync::atomic::AtomicBool>,
    each: Option<usize>,
) -> Vec<tokio::task::JoinHandle<Vec<String>>> {
    (0..workers)
        .map(|w| {
            let (token, ports, stop) = (token.to_owned(), ports.clone(), stop.clone());
            tokio::spawn(async move {
                let c = reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                let mut acked = Vec::new();
                let mut i = 0usize;
                loop {
                    if each.is_some_and(|n| acked.len() >= n)
                        || (each.is_none() && stop.load(std::sync::atomic::Ordering::Relaxed))
                    {
                        break;
                    }
                    let port = {
                        let p = ports.lock().unwrap();
                        p[(w + i) % p.len()]
                    };
                    i += 1;
                    let r = c
                        .post(format!("http://127.0.0.1:{port}/api/v1/assets"))
                        .bearer_auth(&token)
                        .json(&json!({"name": format!("Asset {w}-{i}")}))
                        .send()
                        .await;
                    if let Ok(r) = r {
                        if r.status() == 201 {
                            if let Ok(v) = r.json::<Value>().await {
                                acked.push(v["id"].as_str().unwrap().to_owned());
                            }
                        }
                    }
                }
                acked
            })
        })
        .collect()
}

async fn all_present_and_chain_intact(app: &TestApp, acked: &[String]) {
    let c = app.api();
    let total: Value = c
        .get(app.url("/api/v1/assets?limit=1"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(total["total"].as_u64().unwrap() >= acked.len() as u64, "{total}");
    for id in acked {
        let r = c
            .get(app.url(&format!("/api/v1/assets/{id}")))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged write {id} is there");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_pawl"))
        .args(&app.db.cli_args)
        .args(["audit", "verify", "--org", "acme"])
        .env("PAWL_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_on_one_postgresql_behave_as_one() {
    let app = spawn_app(Engine::Postgres).await;
    let (procs, _dirs) = serves(&app, 3).await;
    let ports = Arc::new(Mutex::new(procs.iter().map(|p| p.port).collect::<Vec<_>>()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut acked = Vec::new();
    for h in load(&app.admin_token, ports, 8, stop, Some(250)) {
        acked.extend(h.await.unwrap());
    }
    assert_eq!(acked.len(), 2000);
    // Evidence uploaded through one downloads through the others.
    let c = reqwest::Client::new();
    let control: Value = c
        .post(procs[0].url("/api/v1/controls"))
        .bearer_auth(&app.admin_token)
        .json(&json!({"name": "Backups", "annex": ["8.13"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bytes: Vec<u8> = (0..2_500_000u32).map(|i| (i % 253) as u8).collect();
    let form = reqwest::multipart::Form::new()
        .text("control", control["id"].as_str().unwrap().to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name("restore.bin"),
        );
    let e: Value = c
        .post(procs[0].url("/api/v1/evidence"))
        .bearer_auth(&app.admin_token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in &procs[1..] {
        let r = c
            .get(p.url(&format!("/api/v1/evidence/{}/download", e["id"].as_str().unwrap())))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);
    }
    // A session made through one works on the others.
    let browser = app.browser();
    let r = browser
        .post(procs[0].url("/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    for p in &procs[1..] {
        let me: Value = browser
            .get(p.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["email"], ADMIN_EMAIL);
    }
    all_present_and_chain_intact(&app, &acked).await;
}

/// A small pseudo-random sequence: which process dies, and when.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_under_load_thirty_times_loses_no_acknowledged_write() {
    let app = spawn_app(Engine::Postgres).await;
    let (mut procs, _dirs) = serves(&app, 3).await;
    let ports = Arc::new(Mutex::new(procs.iter().map(|p| p.port).collect::<Vec<_>>()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers = load(&app.admin_token, ports, 8, stop.clone(), None);
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(50 + next(&mut seed) % 150)).await;
        let victim = (next(&mut seed) % 3) as usize;
        procs[victim].restart().await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acked = Vec::new();
    for h in workers {
        acked.extend(h.await.unwrap());
    }
    assert!(acked.len() > 100, "the others kept serving: {}", acked.len());
    all_present_and_chain_intact(&app, &acked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_server_killed_during_writes_thirty_times_loses_no_acknowledged_write() {
    let app = spawn_app(Engine::Sqlite).await;
    let (mut procs, _dirs) = serves(&app, 1).await;
    let ports = Arc::new(Mutex::new(vec![procs[0].port]));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers = load(&app.admin_token, ports, 4, stop.clone(), None);
    let mut seed = 0x2545_f491_4f6c_dd1d;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(50 + next(&mut seed) % 150)).await;
        procs[0].restart().await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acked = Vec::new();
    for h in workers {
        acked.extend(h.await.unwrap());
    }
    assert!(!acked.is_empty());
    all_present_and_chain_intact(&app, &acked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_on_sqlite_record_for_record() {
    let app = spawn_app(Engine::Postgres).await;
    let (procs, _dirs) = serves(&app, 3).await;
    let ports = Arc::new(Mutex::new(procs.iter().map(|p| p.port).collect::<Vec<_>>()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers = load(&app.admin_token, ports, 6, stop.clone(), None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dir = crate::harness::TempDir::new();
    let file = dir.0.join("under-load.zip");
    let out = Command::new(env!("CARGO_BIN_EXE_pawl"))
        .args(&app.db.cli_args)
        .args(["backup", "--output", file.to_str().unwrap()])
        .env("PAWL_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for h in workers {
        h.await.unwrap();
    }
    let target = crate::harness::TestDb::new(Engine::Sqlite).await;
    let out = Command::new(env!("CARGO_BIN_EXE_pawl"))
        .args(&target.cli_args)
        .args(["restore", file.to_str().unwrap()])
        .env("PAWL_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("acme: audit chain intact"));
    // Every restored record is the source's record as it was: one snapshot.
    let (source, restored) = (app.db.store().await, target.store().await);
    let org = &app.org_id;
    let q = pawl_store::ListQuery {
        limit: Some(500),
        ..Default::default()
    };
    let mut page = restored
        .org(org)
        .records(&pawl_domain::register::ASSET, &Default::default(), &q)
        .await
        .unwrap();
    let total = page.total;
    assert!(total > 0, "the backup holds the writes made before it");
    let mut seen = 0;
    loop {
        for r in &page.items {
            let there = source
                .org(org)
                .record(&pawl_domain::register::ASSET, &r.id)
                .await
                .unwrap();
            assert_eq!(
                (&there.values, there.version),
                (&r.values, r.version),
                "{} as it was",
                r.id
            );
            seen += 1;
        }
        let Some(cursor) = page.next_cursor.clone() else { break };
        page = restored
            .org(org)
            .records(
                &pawl_domain::register::ASSET,
                &Default::default(),
                &pawl_store::ListQuery {
                    cursor: Some(pawl_store::Cursor::decode(&cursor).unwrap()),
                    ..q.clone()
                },
            )
            .await
            .unwrap();
    }
    assert_eq!(seen, total);
    assert!(
        restored.org(org).audit_event_count().await.unwrap() < source.org(org).audit_event_count().await.unwrap(),
        "the chain as it stood at the snapshot; writes went on after it"
    );
}

/// Incidents reported through `ports` in turn, each of which tells the one
/// ISMS manager; how many were acknowledged.
async fn report_incidents(token: &str, ports: &[u16], from: usize, n: usize) -> usize {
    let c = reqwest::Client::new();
    let mut acked = 0;
    for i in from..from + n {
        let r = c
            .post(format!("http://127.0.0.1:{}/api/v1/incidents", ports[i % ports.len()]))
            .bearer_auth(token)
            .json(&json!({"title": format!("Near miss {i}"), "description": "Seen at the door", "type": "near_miss"}))
            .send()
            .await;
        if r.is_ok_and(|r| r.status() == 201) {
            acked += 1;
        }
    }
    acked
}

/// The Message-IDs the SMTP server received, each with how many times.
fn received(sink: &crate::notify::SmtpSink) -> std::collections::BTreeMap<String, usize> {
    let mut ids = std::collections::BTreeMap::new();
    for (m, _) in sink.messages() {
        *ids.entry(m["headers"]["Message-ID"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    ids
}

async fn until_received(sink: &crate::notify::SmtpSink, distinct: usize) {
    let started = Instant::now();
    while received(sink).len() < distinct {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{} of {distinct} messages arrived",
            received(sink).len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two servers on one PostgreSQL, each with a dispatcher (issue 27): every
/// message is delivered, never by both at once; one server killed with
/// SIGKILL in the middle of sending loses no message (what it held is
/// taken again when its short lease runs out; a message it had handed to
/// the mail server but not marked may come twice, with its one Message-ID).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dispatchers_on_one_postgresql_send_each_message_and_lose_none_to_a_kill() {
    let sink = crate::notify::SmtpSink::start();
    let app = spawn_app(Engine::Postgres).await;
    app.member_token("priya@acme.example", "manager").await;
    let staff = app.member_token("sam@acme.example", "staff").await;
    let env: Vec<(String, String)> = [
        ("PAWL_SMTP_URL", sink.url()),
        ("PAWL_MAIL_FROM", "pawl <isms@acme.example>".to_owned()),
        ("PAWL_PUBLIC_URL", "https://isms.acme.example".to_owned()),
        ("PAWL_OUTBOX_LEASE_SECONDS", "3".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let (mut procs, _dirs) = serves_with(&app, 2, &env).await;
    let ports: Vec<u16> = procs.iter().map(|p| p.port).collect();

    // Both running: each message once.
    assert_eq!(report_incidents(&staff, &ports, 0, 150).await, 150);
    until_received(&sink, 150).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let once = received(&sink);
    assert_eq!(once.len(), 150);
    assert!(
        once.values().all(|n| *n == 1),
        "two dispatchers sent a message twice: {once:?}"
    );

    // One killed while both send.
    let writes = tokio::spawn({
        let (staff, ports) = (staff.clone(), ports.clone());
        async move { report_incidents(&staff, &ports, 150, 150).await }
    });
    while received(&sink).len() < 190 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    procs[0].kill();
    let acked = writes.await.unwrap();
    procs[0].restart().await;
    // Until every message written is sent; a bound, not a clock: what the
    // killed server held returns when its three-second lease runs out.
    let outbox = app.store().org(&app.org_id);
    let started = Instant::now();
    let written = loop {
        let all = outbox
            .outbox(pawl_store::OutboxFilter::default(), 10_000)
            .await
            .unwrap();
        if all.iter().all(|n| n.mail_state == pawl_domain::notify::MailState::Sent) {
            break all.len();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "messages still unsent after a minute"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // A report the killed server committed but could not answer was not
    // acknowledged, and is announced all the same: it happened.
    assert!(
        written >= 150 + acked,
        "{written} written for {} acknowledged reports",
        150 + acked
    );
    until_received(&sink, written).await;
    let after = received(&sink);
    assert_eq!(after.len(), written, "every message written was received");
    let repeats: usize = after.values().map(|n| n - 1).sum();
    assert!(
        repeats <= 8,
        "only what was in flight at the kill may come again: {repeats}"
    );
}
