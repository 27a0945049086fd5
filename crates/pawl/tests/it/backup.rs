//! Backup and restore, and moving between engines (issue 16): a backup
//! taken from one engine while the server runs is restored into an empty
//! database of the other; every table's rows match, the audit chain
//! verifies, evidence downloads, and the same records are served.

use crate::harness::{ok_as as ok, spawn_app, Engine, TestDb};
use crate::on_both_engines;
use reqwest::Method;
use serde_json::{json, Value};

fn other(e: Engine) -> Engine {
    match e {
        Engine::Sqlite => Engine::Postgres,
        Engine::Postgres => Engine::Sqlite,
    }
}

fn pawl(args: &[String], rest: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pawl"))
        .args(args)
        .args(rest)
        .env("PAWL_LOG", "warn")
        .output()
        .unwrap()
}

/// A page of a register as the API serves it, without what a restore
/// rightly changes (nothing, here): compared across the two databases.
async fn listing(client: &reqwest::Client, base: &str, token: &str, path: &str) -> Value {
    client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

on_both_engines! {
    async fn a_backup_restores_on_the_other_engine_with_its_chain_and_evidence(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        for i in 0..30 {
            ok(&app, &admin, Method::POST, "/api/v1/assets", Some(json!({"name": format!("Server {i}")}))).await;
        }
        let m = ok(&app, &admin, Method::POST, "/api/v1/metrics", Some(json!({
            "title": "Patch rate", "frequency": "monthly", "direction": "higher", "target": "95"}))).await;
        ok(&app, &admin, Method::POST, &format!("/api/v1/metrics/{}/measurements", m["id"].as_str().unwrap()), Some(json!({"value": 97.25}))).await;
        ok(&app, &admin, Method::POST, "/api/v1/documents", Some(json!({"title": "Policy", "level": "policy"}))).await;
        ok(&app, &admin, Method::POST, "/api/v1/documents", Some(json!({"title": "Process", "level": "process", "parent_id": "Policy"}))).await;
        let c = ok(&app, &admin, Method::POST, "/api/v1/controls", Some(json!({"name": "Backups", "annex": ["8.13"]}))).await;
        let bytes = b"%PDF-1.7\nrestore test passed\n".to_vec();
        let form = reqwest::multipart::Form::new()
            .text("control", c["id"].as_str().unwrap().to_owned())
            .part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name("restore.pdf"));
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(&admin).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let evidence: Value = r.json().await.unwrap();

        let dir = crate::harness::TempDir::new();
        let file = dir.0.join("pawl-backup.zip");
        let out = pawl(&app.db.cli_args, &["backup", "--output", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

        let target = TestDb::new(other(engine)).await;
        let out = pawl(&target.cli_args, &["restore", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("acme: audit chain intact"), "{said}");
        let again = pawl(&target.cli_args, &["restore", file.to_str().unwrap()]);
        assert!(!again.status.success(), "a restore goes into an empty database only");
        assert!(String::from_utf8_lossy(&again.stderr).contains("already holds 1 organisations"));

        // The restored instance serves the same records with the same tokens.
        let restored = target.app().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { pawl_web::serve(listener, restored, std::future::pending()).await.unwrap() });
        let client = app.api();
        for path in ["/api/v1/assets?limit=100", "/api/v1/documents", "/api/v1/audit/events?limit=100", "/api/v1/metrics"] {
            let (a, b) = (listing(&client, &app.url(""), &admin, path).await, listing(&client, &base, &admin, path).await);
            assert_eq!(a, b, "{path} is served the same");
        }
        let measured = listing(&client, &base, &admin, &format!("/api/v1/metrics/{}/measurements", m["id"].as_str().unwrap())).await;
        assert_eq!(measured["items"][0]["value"].as_f64(), Some(97.25));
        let search = listing(&client, &base, &admin, "/api/v1/assets?q=server").await;
        assert_eq!(search["total"], 30, "the search index is rebuilt");
        let v = listing(&client, &base, &admin, "/api/v1/audit/verify").await;
        assert_eq!(v["intact"], true, "{v}");
        let r = client.get(format!("{base}/api/v1/evidence/{}/download", evidence["id"].as_str().unwrap())).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.bytes().await.unwrap().to_vec(), bytes, "the evidence file came with it");

        // A damaged archive is refused with its reason, and nothing is written.
        let bad = dir.0.join("bad.zip");
        std::fs::write(&bad, b"PK\x03\x04 not really").unwrap();
        let empty = TestDb::new(engine).await;
        let out = pawl(&empty.cli_args, &["restore", bad.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a pawl backup"), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

on_both_engines! {
    async fn migrate_engine_moves_an_instance_preserving_its_chain(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        for i in 0..10 {
            ok(&app, &admin, Method::POST, "/api/v1/risks", Some(json!({"title": format!("Risk {i}"), "likelihood": 1 + i % 5, "impact": 3}))).await;
        }
        let target = TestDb::new(other(engine)).await;
        let arg = |db: &TestDb| match &db.location {
            pawl_store::Location::SqliteFile(p) => format!("sqlite:{}", p.parent().unwrap().display()),
            pawl_store::Location::Postgres(u) => u.clone(),
        };
        let out = pawl(&[], &["migrate-engine", "--from", &arg(&app.db), "--to", &arg(&target)]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("acme: audit chain intact"));
        let store = target.store().await;
        let org = store.organisations().await.unwrap().remove(0);
        assert_eq!(org.id, app.org_id, "ids move as they are");
        let risks = store.org(&org.id).risks(&Default::default(), &pawl_store::ListQuery::default()).await.unwrap();
        assert_eq!(risks.total, 10, "the kept counts move with the rows");
    }
}

on_both_engines! {
    async fn one_organisation_is_backed_up_alone_with_its_members(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        ok(&app, &admin, Method::POST, "/api/v1/assets", Some(json!({"name": "Acme CRM"}))).await;
        let actor = pawl_domain::audit::Actor::system("test");
        let globex = app.store().create_organisation(&actor, &pawl_domain::identity::OrgSlug::parse("globex").unwrap(), "Globex").await.unwrap();
        let (m, _) = pawl_app::members::add_member(&app.app, &globex.id, &actor, "hank@globex.example", "admin", Some(crate::harness::PASSWORD)).await.unwrap();
        let mut tx = app.store().write(&globex.id, &actor).await.unwrap();
        let mut v = pawl_domain::register::ASSET.empty();
        v[0] = pawl_domain::register::Value::Text("Globex secret plans".into());
        tx.create_record(&pawl_domain::register::ASSET, v).await.unwrap();
        tx.commit().await.unwrap();
        let dir = crate::harness::TempDir::new();
        let file = dir.0.join("acme.zip");
        let out = pawl(&app.db.cli_args, &["backup", "--org", "acme", "--output", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let target = TestDb::new(other(engine)).await;
        let out = pawl(&target.cli_args, &["restore", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let store = target.store().await;
        let orgs = store.organisations().await.unwrap();
        assert_eq!(orgs.len(), 1, "only acme");
        assert_eq!(orgs[0].slug.as_str(), "acme");
        let assets = store.org(&orgs[0].id).records(&pawl_domain::register::ASSET, &Default::default(), &pawl_store::ListQuery::default()).await.unwrap();
        assert_eq!(assets.total, 1);
        let hank = pawl_domain::identity::Email::parse("hank@globex.example").unwrap();
        assert!(store.user_by_email(&hank).await.unwrap().is_none(), "no other organisation's people: {}", m.user_id);
        assert!(matches!(store.verify_audit_chain(&orgs[0].id).await.unwrap(), pawl_store::VerifyOutcome::Intact { .. }));
    }
}
