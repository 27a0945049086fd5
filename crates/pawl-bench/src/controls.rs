//! `pawl-bench controls`: the SoA and crosswalks with thousands of applied
//! controls, SoA exports, and evidence upload through the real server.

use crate::{engines, free_port, pawl_binary, percentile, rt, start_server, TempDir};
use anyhow::{bail, Context, Result};
use pawl_app::control::{self as service, ControlInput, DecisionInput};
use pawl_app::App;
use pawl_domain::audit::Actor;
use pawl_domain::identity::OrgSlug;
use pawl_store::{Location, Store};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

pub fn controls(n: usize, upload_mb: usize) -> Result<()> {
    println!("# pawl controls benchmark: {n} applied controls, {upload_mb} MB evidence upload");
    let dir = TempDir::new("controls")?;
    let engines = engines(&dir);
    let rt = rt()?;
    let mut token = String::new();
    for (name, location) in &engines {
        let t = rt.block_on(soa_and_crosswalks(name, location, &dir, n))?;
        if *name == "sqlite" {
            token = t;
        }
    }
    upload(&dir, &token, upload_mb)
}

/// Fills an organisation and times the SoA, crosswalks and exports in
/// process; returns an API token of the organisation's admin.
async fn soa_and_crosswalks(engine: &str, location: &Location, dir: &TempDir, n: usize) -> Result<String> {
    println!("\n## {engine}");
    let store = Store::open(location).await?;
    let app = App::new(store.clone(), dir.0.join("evidence"));
    let system = Actor::system("bench");
    let slug = OrgSlug::parse(&format!("ctl-{}", std::process::id()))?;
    let org = store.create_organisation(&system, &slug, "Bench Ltd").await?;
    let (admin, _) = pawl_app::members::add_member(
        &app,
        &org.id,
        &system,
        "admin@bench.example",
        "admin",
        Some("bench-password-1"),
    )
    .await?;
    let (token, _) = pawl_app::auth::issue_token(&app, &org.id, &system, &admin.user_id, "bench").await?;

    let started = Instant::now();
    let mut risk_ids = Vec::new();
    for i in 0..200 {
        let input = pawl_app::risk::RiskInput {
            title: Some(format!("Risk {i}")),
            ..Default::default()
        };
        risk_ids.push(pawl_app::risk::create_risk(&store, &org.id, &system, &input).await?.id);
    }
    let catalog = &pawl_domain::catalog::Catalog::get().annex_a;
    let statuses = ["implemented", "implemented", "implemented", "in_progress", "planned"];
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut tx = store.write(&org.id, &system).await?;
        for &i in chunk {
            let input = ControlInput {
                name: format!("Applied control {i}"),
                category: "Technology".into(),
                status: statuses[i % statuses.len()].into(),
                annex: vec![catalog[i % 93].id.clone(), catalog[(i * 7 + 3) % 93].id.clone()],
                risks: vec![risk_ids[i % risk_ids.len()].clone()],
                ..Default::default()
            };
            let draft = service::control_draft(&store, &org.id, &input).await?;
            tx.create_applied_control(&draft).await?;
        }
        tx.commit().await?;
    }
    let mut tx = store.write(&org.id, &system).await?;
    for (k, c) in catalog.iter().enumerate() {
        let input = if k % 31 == 5 {
            DecisionInput {
                applicable: false,
                justification: "Not relevant to a cloud-only company".into(),
                ..Default::default()
            }
        } else {
            DecisionInput {
                applicable: true,
                reasons: vec!["risk_treatment".into()],
                ..Default::default()
            }
        };
        tx.set_soa_decision(&c.id, &service::decision_of(&input)?, None).await?;
    }
    tx.commit().await?;
    println!(
        "setup: 200 risks, {n} applied controls, 93 SoA decisions in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let time = |label: &str, times: &mut Vec<f64>| {
        times.sort_by(f64::total_cmp);
        println!(
            "{label}: p50 {:.2} ms, p99 {:.2} ms",
            percentile(times, 0.5),
            percentile(times, 0.99)
        );
    };
    for (label, detail) in [
        (
            "SoA as its page needs it (93 rows, counts, warnings)",
            service::Detail::Page,
        ),
        (
            "SoA in full (93 rows with every linked control and risk)",
            service::Detail::Full,
        ),
    ] {
        let mut times = Vec::new();
        for _ in 0..100 {
            let t = Instant::now();
            let soa = service::soa(&store, &org.id, detail).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if soa.rows.len() != 93 {
                bail!("the SoA has {} rows", soa.rows.len());
            }
        }
        time(label, &mut times);
    }
    for f in pawl_domain::crosswalk::frameworks() {
        let mut times = Vec::new();
        for _ in 0..100 {
            let t = Instant::now();
            service::crosswalk(&store, &org.id, f).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        time(
            &format!("crosswalk {} ({} requirements)", f.key, f.requirements.len()),
            &mut times,
        );
    }
    let t = Instant::now();
    let (heading, rows) = service::soa_for_export(&store, &org.id, None).await?;
    let xlsx = pawl_reports::xlsx::soa_bytes(&heading, &rows)?;
    println!(
        "SoA XLSX export: {:.1} ms, {:.0} KB",
        t.elapsed().as_secs_f64() * 1000.0,
        xlsx.len() as f64 / 1024.0
    );
    if engine == "sqlite" {
        let port = free_port()?;
        let (_server, _) = start_server(&pawl_binary()?, &dir.0, port, false)?;
        for (label, path) in [("GET /api/v1/soa", "/api/v1/soa"), ("GET /soa (page)", "/soa")] {
            let mut times = Vec::new();
            for _ in 0..100 {
                let t = Instant::now();
                let status = get(port, path, &token)?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                if status != 200 {
                    bail!("{path} answered {status}");
                }
            }
            time(&format!("{label} over HTTP"), &mut times);
        }
    }
    store.close().await;
    Ok(token)
}

fn get(port: u16, path: &str, token: &str) -> Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    status_of(&buf)
}

fn status_of(response: &[u8]) -> Result<u16> {
    let head = String::from_utf8_lossy(&response[..response.len().min(64)]).into_owned();
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP response: {head:?}"))
}

/// Streams `mb` megabytes as a multipart evidence upload to a real server,
/// sampling the server's peak memory.
fn upload(dir: &TempDir, token: &str, mb: usize) -> Result<()> {
    println!("\n## evidence upload (release server, SQLite, loopback)");
    let port = free_port()?;
    let (server, _) = start_server(&pawl_binary()?, &dir.0, port, false)?;
    let pid = server.0.id();
    let hwm = || -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .context("no VmHWM")
    };
    // Warm the server up, then measure two sizes: memory must not follow the file.
    for size in [mb / 10, mb] {
        let before = hwm()?;
        let secs = post_file(port, token, size << 20)?;
        println!(
            "{size} MB: {:.2} s, {:.0} MB/s (received, hashed, written, recorded); server peak RSS {:.0} MB (was {:.0} MB)",
            secs,
            size as f64 / secs,
            hwm()?,
            before
        );
    }
    Ok(())
}

fn post_file(port: u16, token: &str, bytes: usize) -> Result<f64> {
    let boundary = "pawlbenchboundary7d3f";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nBench upload\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    let started = Instant::now();
    write!(
        s,
        "POST /api/v1/evidence HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        head.len() + bytes + tail.len()
    )?;
    s.write_all(head.as_bytes())?;
    // One megabyte of varied bytes, sent again and again: the client should
    // not spend the CPU the server needs.
    let mut chunk = vec![0u8; 1 << 20];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in chunk.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len());
        s.write_all(&chunk[..n])?;
        left -= n;
    }
    s.write_all(tail.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let secs = started.elapsed().as_secs_f64();
    let status = status_of(&buf)?;
    if status != 201 {
        bail!("upload answered {status}: {}", String::from_utf8_lossy(&buf));
    }
    Ok(secs)
}
