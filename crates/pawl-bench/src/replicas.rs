//! Replicas on one PostgreSQL (issue 16): audited writes and list reads
//! per second through 1, 2 and 3 release servers from eight concurrent
//! clients, and a 500 MB evidence file uploaded and downloaded through
//! PostgreSQL with the server's peak memory. On this machine's two cores
//! the point is that replicas add no loss and little cost, not speed.

use crate::{free_port, healthy, pawl_binary, rss_kib, rt, Server, TempDir};
use anyhow::{bail, Context, Result};
use pawl_domain::audit::Actor;
use pawl_domain::identity::OrgSlug;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn start(bin: &Path, url: &str, data: &Path) -> Result<(Server, u16)> {
    let port = free_port()?;
    let server = Server(
        Command::new(bin)
            .args(["--database-url", url, "--data-dir"])
            .arg(data)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("PAWL_LOG", "error")
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
    Ok((server, port))
}

/// One request over a fresh connection; the status and the body.
fn request(port: u16, head: &str, body: &[u8]) -> Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let status = std::str::from_utf8(&buf[..buf.len().min(12)])?
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .context("no status")?;
    let at = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(buf.len(), |i| i + 4);
    Ok((status, buf[at..].to_vec()))
}

fn post_json(port: u16, path: &str, token: &str, json: &str) -> Result<(u16, Vec<u8>)> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        json.len()
    );
    request(port, &head, json.as_bytes())
}

fn get(port: u16, path: &str, token: &str) -> Result<(u16, Vec<u8>)> {
    let head =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    request(port, &head, &[])
}

/// `total` requests from eight threads, round robin over `ports`; per second.
fn throughput(ports: &[u16], total: usize, f: impl Fn(u16, usize) -> Result<u16> + Sync) -> Result<f64> {
    let started = Instant::now();
    let failed = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for w in 0..8 {
            let (f, failed) = (&f, &failed);
            scope.spawn(move || {
                for i in (w..total).step_by(8) {
                    if !matches!(f(ports[i % ports.len()], i), Ok(200 | 201)) {
                        failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let failed = failed.into_inner();
    if failed > 0 {
        bail!("{failed} of {total} requests failed");
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

fn peak_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .context("no VmHWM")
}

pub fn replicas(writes: usize, upload_mb: usize) -> Result<()> {
    let Ok(url) = std::env::var("PAWL_BENCH_DATABASE_URL") else {
        bail!("replicas run on PostgreSQL: set PAWL_BENCH_DATABASE_URL, or run scripts/bench replicas");
    };
    println!("# pawl replicas benchmark: {writes} audited writes and reads per run, {upload_mb} MB of evidence");
    let bin = pawl_binary()?;
    let rt = rt()?;
    let store = rt.block_on(pawl_store::Store::open(&pawl_store::Location::Postgres(url.clone())))?;
    let data = TempDir::new("replicas")?;
    let app = pawl_app::App::new(store.clone(), data.0.join("evidence"));
    let system = Actor::system("bench");
    let (org, token) = rt.block_on(async {
        let slug = OrgSlug::parse(&format!("rep-{}", std::process::id()))?;
        let org = store.create_organisation(&system, &slug, "Bench Ltd").await?;
        let (me, _) = pawl_app::members::add_member(
            &app,
            &org.id,
            &system,
            "ops@bench.example",
            "admin",
            Some("correct horse battery staple"),
        )
        .await?;
        let (token, _) = pawl_app::auth::issue_token(&app, &org.id, &system, &me.user_id, "bench").await?;
        anyhow::Ok((org, token))
    })?;
    for n in 1..=3 {
        let mut servers = Vec::new();
        let mut ports = Vec::new();
        for _ in 0..n {
            let dir = data.0.join(format!("r{}", ports.len()));
            let (s, p) = start(&bin, &url, &dir)?;
            servers.push(s);
            ports.push(p);
        }
        let w = throughput(&ports, writes, |port, i| {
            Ok(post_json(
                port,
                "/api/v1/assets",
                &token,
                &format!("{{\"name\":\"Asset {n}-{i}\"}}"),
            )?
            .0)
        })?;
        let r = throughput(&ports, writes, |port, _| {
            Ok(get(port, "/api/v1/assets?limit=50", &token)?.0)
        })?;
        println!("{n} replica(s): {w:.0} audited writes/s, {r:.0} list reads/s (8 clients)");
        drop(servers);
    }
    let verified = rt.block_on(store.verify_audit_chain(&org.id))?;
    println!("audit chain after every run: {verified:?}");

    // 500 MB of evidence through PostgreSQL, with the server's peak memory.
    let (server, port) = start(&bin, &url, &data.0.join("evidence-server"))?;
    let idle = rss_kib(server.0.id())?;
    let (_, body) = post_json(
        port,
        "/api/v1/controls",
        &token,
        "{\"name\":\"Backups\",\"annex\":[\"8.13\"]}",
    )?;
    let control: serde_json::Value = serde_json::from_slice(&body)?;
    let boundary = "pawlbenchboundary";
    let pre = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"control\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n",
        control["id"].as_str().unwrap_or_default()
    );
    let post = format!("\r\n--{boundary}--\r\n");
    let size = upload_mb << 20;
    let head = format!(
        "POST /api/v1/evidence HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        pre.len() + size + post.len()
    );
    let started = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.write_all(head.as_bytes())?;
    s.write_all(pre.as_bytes())?;
    let block: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    for _ in 0..upload_mb {
        s.write_all(&block)?;
    }
    s.write_all(post.as_bytes())?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)?;
    let up = started.elapsed().as_secs_f64();
    let at = reply.windows(4).position(|w| w == b"\r\n\r\n").map_or(0, |i| i + 4);
    let e: serde_json::Value = serde_json::from_slice(&reply[at..]).context("the upload's answer")?;
    let after_up = peak_kib(server.0.id())?;
    let started = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.write_all(
        format!(
            "GET /api/v1/evidence/{}/download HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
            e["id"].as_str().unwrap_or_default()
        )
        .as_bytes(),
    )?;
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let down = started.elapsed().as_secs_f64();
    if got < size {
        bail!("the download gave {got} bytes of {size}");
    }
    let after_down = peak_kib(server.0.id())?;
    println!(
        "evidence of {upload_mb} MB through PostgreSQL: upload {up:.1} s ({:.0} MB/s), download {down:.1} s ({:.0} MB/s); server RSS idle {:.0} MB, peak {:.0} MB after upload, {:.0} MB after download",
        upload_mb as f64 / up,
        upload_mb as f64 / down,
        idle as f64 / 1024.0,
        after_up as f64 / 1024.0,
        after_down as f64 / 1024.0
    );
    drop(server);
    rt.block_on(store.close());
    Ok(())
}
