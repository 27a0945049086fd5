//! Several pawl servers on one database behave as one (issue 16): a token
//! or a session made through one works on another, the sign-in limit
//! counts attempts made through any of them, and concurrent writes through
//! all of them keep one unbroken audit chain. Each replica has its own
//! pools and its own cached audit head, as separate processes would.

use crate::harness::{spawn_app, Engine, TestApp, ADMIN_EMAIL, PASSWORD};
use crate::on_both_engines;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// Another server on the test app's database.
async fn replica(app: &TestApp) -> SocketAddr {
    let other = app.db.app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { pawl_web::serve(listener, other, std::future::pending()).await.unwrap() });
    addr
}

on_both_engines! {
    async fn replicas_share_sessions_the_sign_in_limit_and_one_audit_chain(engine: Engine) {
        let app = spawn_app(engine).await;
        let others = [replica(&app).await, replica(&app).await];
        let on = |addr: &SocketAddr, path: &str| format!("http://{addr}{path}");
        let all: Vec<SocketAddr> = std::iter::once(app.addr).chain(others).collect();

        let r = app.api().get(on(&others[0], "/api/v1/me")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 200, "a token made through one replica works on another");
        let c = app.browser();
        let r = c.post(on(&others[0], "/login")).form(&[("email", ADMIN_EMAIL), ("password", PASSWORD), ("next", "/")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let me: Value = c.get(on(&others[1], "/api/v1/me")).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["email"], ADMIN_EMAIL, "a session made through one replica works on another");

        // Five failures spread over the replicas use up the account's allowance on all of them.
        for i in 0..5 {
            let r = app.browser().post(on(&all[i % 3], "/login")).form(&[("email", "tom@example.com"), ("password", "wrong")]).send().await.unwrap();
            assert_eq!(r.status(), 401, "attempt {i}");
        }
        let r = app.browser().post(on(&all[2], "/login")).form(&[("email", "tom@example.com"), ("password", "wrong")]).send().await.unwrap();
        assert_eq!(r.status(), 429, "the sixth waits, whichever replica it reaches");

        // Eight workers write through the three replicas in turn.
        let workers = (0..8).map(|w| {
            let (client, token, all) = (app.api(), app.admin_token.clone(), all.clone());
            tokio::spawn(async move {
                let mut done = Vec::new();
                for i in 0..25 {
                    let addr = all[(w + i) % 3];
                    let r = client.post(format!("http://{addr}/api/v1/assets")).bearer_auth(&token)
                        .json(&json!({"name": format!("Asset {w}-{i}")})).send().await.unwrap();
                    assert_eq!(r.status(), 201, "write {w}-{i}");
                    let v: Value = r.json().await.unwrap();
                    done.push(v["id"].as_str().unwrap().to_owned());
                }
                done
            })
        });
        let mut written = Vec::new();
        for w in workers {
            written.extend(w.await.unwrap());
        }
        assert_eq!(written.len(), 200);
        for (i, id) in written.iter().enumerate().step_by(17) {
            let r = app.api().get(on(&all[i % 3], &format!("/api/v1/assets/{id}"))).bearer_auth(&app.admin_token).send().await.unwrap();
            assert_eq!(r.status(), 200, "every acknowledged write is there");
        }
        let list: Value = app.api().get(app.url("/api/v1/assets?limit=1")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(list["total"], 200);
        let v: Value = app.api().get(on(&others[1], "/api/v1/audit/verify")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(v["intact"], true, "one unbroken chain: {v}");
        let health: Value = app.api().get(on(&others[0], "/api/v1/health")).send().await.unwrap().json().await.unwrap();
        assert_eq!((health["database_reachable"].as_bool(), health["status"].as_str()), (Some(true), Some("ok")));
        assert_eq!(health["schema_version"], health["schema_expected"]);
    }
}

on_both_engines! {
    async fn replicas_starting_at_once_on_an_empty_database_migrate_it_once(engine: Engine) {
        let db = crate::harness::TestDb::new(engine).await;
        let open = || async {
            pawl_store::Store::connect(&db.location)
                .await
                .expect("connect")
                .migrate()
                .await
                .expect("every replica starts")
        };
        let (a, b, c, d) = tokio::join!(open(), open(), open(), open());
        let mut applied = vec![a, b, c, d];
        applied.sort();
        let all = pawl_store::schema_version() as usize;
        assert_eq!(applied, [0, 0, 0, all], "exactly one ran the migrations, the others waited");
        let store = db.store().await;
        assert_eq!(store.applied_schema_version().await.unwrap(), pawl_store::schema_version());
    }
}

/// Uploads a file as evidence for a new control through `base`.
async fn upload(app: &TestApp, base: &str, bytes: &[u8]) -> Value {
    let c: Value = app
        .api()
        .post(format!("{base}/api/v1/controls"))
        .bearer_auth(&app.admin_token)
        .json(&json!({"name": "Backups", "annex": ["8.13"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("control", c["id"].as_str().unwrap().to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("restore.pdf"),
        );
    let r = app
        .api()
        .post(format!("{base}/api/v1/evidence"))
        .bearer_auth(&app.admin_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

/// A server on the test app's database with a data folder of its own, as
/// a replica on another machine has.
async fn replica_elsewhere(app: &TestApp) -> (String, crate::harness::TempDir) {
    let dir = crate::harness::TempDir::new();
    let other = pawl_app::App::new(app.db.store().await, dir.0.join("evidence"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { pawl_web::serve(listener, other, std::future::pending()).await.unwrap() });
    (base, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_evidence_lives_in_the_database_and_every_replica_serves_it() {
    let app = spawn_app(Engine::Postgres).await;
    let (elsewhere, _dir) = replica_elsewhere(&app).await;
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let e = upload(&app, &app.url(""), &bytes).await;
    let r = app
        .api()
        .get(format!(
            "{elsewhere}/api/v1/evidence/{}/download",
            e["id"].as_str().unwrap()
        ))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "a file uploaded through one replica downloads through another"
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes, "three chunks, in order");
    let on_disk = std::fs::read_dir(app.db.dir.0.join("evidence"))
        .map(|d| d.filter_map(Result::ok).filter(|e| e.file_name() != "tmp").count())
        .unwrap_or(0);
    assert_eq!(on_disk, 0, "nothing is left in the data folder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_kept_in_the_data_folder_move_into_the_database_with_their_hashes_checked() {
    let files = crate::harness::TempDir::new();
    let kept = files.0.join("evidence");
    let app = crate::harness::spawn_app_with(Engine::Postgres, |a| {
        a.blobs = pawl_app::evidence::Blobs::new(kept.clone())
    })
    .await;
    let e = upload(&app, &app.url(""), b"%PDF-1.7 an older file").await;
    let (elsewhere, _dir) = replica_elsewhere(&app).await;
    let download = format!("{elsewhere}/api/v1/evidence/{}/download", e["id"].as_str().unwrap());
    let r = app
        .api()
        .get(&download)
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 200, "another machine does not have the file yet");
    let mut args = app.db.cli_args.clone();
    let at = args.iter().position(|a| a == "--data-dir").unwrap();
    args[at + 1] = files.0.display().to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pawl"))
        .args(&args)
        .args(["evidence", "migrate", "--to-database"])
        .env("PAWL_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("moved 1 files"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r = app
        .api()
        .get(&download)
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.7 an older file");
}

on_both_engines! {
    async fn operators_read_each_replicas_metrics_with_the_token_only(engine: Engine) {
        let app = crate::harness::spawn_app_with(engine, |a| a.metrics_token = Some("scrape-secret".into())).await;
        let c = app.api();
        c.get(app.url("/api/v1/health")).send().await.unwrap();
        let asset: Value = c.post(app.url("/api/v1/assets")).bearer_auth(&app.admin_token).json(&json!({"name": "CRM"})).send().await.unwrap().json().await.unwrap();
        let id = asset["id"].as_str().unwrap();
        c.get(app.url(&format!("/api/v1/assets/{id}"))).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(c.get(app.url("/-/metrics")).send().await.unwrap().status(), 401);
        assert_eq!(c.get(app.url("/-/metrics")).bearer_auth(&app.admin_token).send().await.unwrap().status(), 401, "an API token is not the metrics token");
        let r = c.get(app.url("/-/metrics")).bearer_auth("scrape-secret").send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = r.text().await.unwrap();
        assert!(text.contains("pawl_http_requests_total{method=\"GET\",route=\"/api/v1/health\",status=\"200\"} 1"), "{text}");
        assert!(text.contains("route=\"/api/v1/assets/{id}\"") && !text.contains(id), "routes, never ids");
        assert!(text.contains("pawl_http_request_duration_seconds_bucket{route=\"/api/v1/assets\",le=\"+Inf\"} 1"));
        let appended: u64 = text.lines().find_map(|l| l.strip_prefix("pawl_audit_appends_total ")).unwrap().parse().unwrap();
        assert!(appended >= 1, "the asset's event: {appended}");
        assert!(text.contains("pawl_db_pool_connections{pool=\"read\",state=\"open\"}"));
        let plain = spawn_app(engine).await;
        assert_eq!(plain.api().get(plain.url("/-/metrics")).send().await.unwrap().status(), 404, "no token, no metrics");
    }
}
