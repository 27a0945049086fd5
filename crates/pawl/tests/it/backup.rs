//! Backup and restore, and moving between engines (issues 16 and 26): a
//! backup taken from one engine while the server runs is restored into an
//! empty database of either; every table's rows match, the audit chain
//! verifies, evidence downloads, and the same records are served. An
//! archive changed after it was written is refused before anything is
//! written, one organisation's backup carries nothing of another's, and an
//! interrupted backup leaves the previous archive as it was.

use crate::harness::{ok_as as ok, spawn_app, Engine, TestDb, PASSWORD};
use crate::on_both_engines;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

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

/// A database as `pawl migrate-engine` names it.
fn location(db: &TestDb) -> String {
    match &db.location {
        pawl_store::Location::SqliteFile(p) => format!("sqlite:{}", p.parent().unwrap().display()),
        pawl_store::Location::Postgres(u) => u.clone(),
    }
}

/// Every table a backup carries, as (columns, rows as JSON text in sorted
/// order): two databases holding the same data give the same.
#[derive(Default)]
struct Tables {
    tables: BTreeMap<String, (Vec<String>, Vec<String>)>,
    current: String,
}

impl pawl_store::DumpSink for Tables {
    async fn table(&mut self, name: &str, columns: &[String]) -> Result<(), pawl_store::StoreError> {
        self.current = name.to_owned();
        self.tables.insert(name.to_owned(), (columns.to_vec(), Vec::new()));
        Ok(())
    }

    async fn row(&mut self, values: Vec<Value>) -> Result<(), pawl_store::StoreError> {
        let rows = &mut self.tables.get_mut(&self.current).unwrap().1;
        rows.push(serde_json::to_string(&values).unwrap());
        Ok(())
    }
}

async fn tables(store: &pawl_store::Store) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let mut t = Tables::default();
    store.dump(&mut t, None).await.unwrap();
    for (_, rows) in t.tables.values_mut() {
        rows.sort();
    }
    t.tables
}

/// Every table of `restored` holds exactly the rows of `source`.
async fn same_rows(source: &pawl_store::Store, restored: &pawl_store::Store, what: &str) {
    let (a, b) = (tables(source).await, tables(restored).await);
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}: the same tables"
    );
    for (name, (columns, rows)) in &a {
        let (columns_there, rows_there) = &b[name];
        assert_eq!(columns, columns_there, "{what}: the columns of {name}");
        if let Some((x, y)) = rows.iter().zip(rows_there).find(|(x, y)| x != y) {
            panic!("{what}: {name} differs:\n{x}\n{y}");
        }
        assert_eq!(rows.len(), rows_there.len(), "{what}: the rows of {name}");
    }
}

/// The files of an archive, by name, in their order.
fn entries(file: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(file).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
            (f.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

fn write_entries(file: &Path, entries: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(file).unwrap());
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every file under a folder.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    read.flat_map(|e| {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p)
        } else {
            vec![p]
        }
    })
    .collect()
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
        let out = pawl(&[], &["migrate-engine", "--from", &location(&app.db), "--to", &location(&target)]);
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
    async fn one_organisation_is_backed_up_alone_with_what_its_rows_need(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let actor = pawl_domain::audit::Actor::system("test");
        let globex = app.store().create_organisation(&actor, &pawl_domain::identity::OrgSlug::parse("globex").unwrap(), "Globex").await.unwrap();
        let (m, _) = pawl_app::members::add_member(&app.app, &globex.id, &actor, "hank@globex.example", "admin", Some(PASSWORD)).await.unwrap();
        let mut tx = app.store().write(&globex.id, &actor).await.unwrap();
        let mut v = pawl_domain::register::ASSET.empty();
        v[0] = pawl_domain::register::Value::Text("Globex secret plans".into());
        tx.create_record(&pawl_domain::register::ASSET, v).await.unwrap();
        tx.commit().await.unwrap();
        // Globex's admin is also in Acme, last worked in Globex, and holds a
        // token there: Acme's backup needs their account, not their password.
        let (shared, _) = pawl_app::members::add_member(&app.app, &globex.id, &actor, "sam@shared.example", "admin", Some(PASSWORD)).await.unwrap();
        pawl_app::members::add_member(&app.app, &app.org_id, &actor, "sam@shared.example", "viewer", None).await.unwrap();
        let (globex_token, _) = pawl_app::auth::issue_token(&app.app, &globex.id, &actor, &shared.user_id, "globex").await.unwrap();
        app.store().set_last_organisation(&shared.user_id, &globex.id).await.unwrap();
        // A former member of Acme owns an asset there and held a token.
        app.member_token("ola@acme.example", "contributor").await;
        ok(&app, &admin, Method::POST, "/api/v1/assets", Some(json!({"name": "Acme CRM", "owner": "ola@acme.example"}))).await;
        let members = ok(&app, &admin, Method::GET, "/api/v1/members?q=ola", None).await;
        ok(&app, &admin, Method::DELETE, &format!("/api/v1/members/{}", members["items"][0]["id"].as_str().unwrap()), None).await;

        let dir = crate::harness::TempDir::new();
        let file = dir.0.join("acme.zip");
        let out = pawl(&app.db.cli_args, &["backup", "--org", "acme", "--output", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("2 accounts come without a password"), "{}", text(&out.stdout));
        let archive = entries(&file);
        let rows = text(&archive.iter().find(|(n, _)| n == "tables.jsonl").unwrap().1);
        assert!(!rows.contains(&globex.id), "nothing names the other organisation: its tokens, members and records stay out");
        assert!(!rows.contains(&pawl_app::auth::sha256_hex(&globex_token)));
        assert!(!rows.contains("hank@globex.example"));

        let target = TestDb::new(other(engine)).await;
        let out = pawl(&target.cli_args, &["restore", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let said = text(&out.stdout);
        assert!(said.contains("2 accounts have no password here") && said.contains("sam@shared.example"), "{said}");
        assert!(said.contains("pawl user set-password"), "{said}");
        let store = target.store().await;
        let orgs = store.organisations().await.unwrap();
        assert_eq!(orgs.len(), 1, "only acme");
        assert_eq!(orgs[0].slug.as_str(), "acme");
        let assets = store.org(&orgs[0].id).records(&pawl_domain::register::ASSET, &Default::default(), &pawl_store::ListQuery::default()).await.unwrap();
        assert_eq!(assets.total, 1);
        let account = |email: &str| {
            let store = store.clone();
            let email = pawl_domain::identity::Email::parse(email).unwrap();
            async move { store.user_by_email(&email).await.unwrap() }
        };
        assert!(account("hank@globex.example").await.is_none(), "no other organisation's people: {}", m.user_id);
        let sam = account("sam@shared.example").await.expect("a member's account comes");
        assert_eq!(sam.password_hash, "", "but not the password of an account that opens another organisation");
        assert!(sam.home_org_id.is_none(), "nor the other organisation's id");
        let ola = account("ola@acme.example").await.expect("the account a record names comes, or the record could not");
        assert_eq!(ola.password_hash, "", "a former member needs no password");
        let acme_admin = account(crate::harness::ADMIN_EMAIL).await.unwrap();
        assert!(pawl_app::auth::verify_password(&acme_admin.password_hash, PASSWORD), "Acme's own people sign in as before");
        assert!(matches!(store.verify_audit_chain(&orgs[0].id).await.unwrap(), pawl_store::VerifyOutcome::Intact { .. }));
    }
}

on_both_engines! {
    async fn the_demo_organisation_restores_into_both_engines_and_moves_between_them(engine: Engine) {
        // The demo as `pawl serve --demo` loads it: a year of risk
        // assessments, the early ones without residual scores (NULLs in
        // integer columns, between rows that have numbers there).
        let source = TestDb::new(engine).await;
        pawl_app::demo::ensure_demo(&source.app().await, PASSWORD).await.unwrap();
        let store = source.store().await;
        let before = tables(&store).await;
        let assessments = &before["risk_assessments"];
        let residual = assessments.0.iter().position(|c| c == "residual_likelihood").unwrap();
        let residuals: Vec<Value> = assessments.1.iter().map(|r| serde_json::from_str::<Vec<Value>>(r).unwrap()[residual].clone()).collect();
        assert!(residuals.iter().any(Value::is_null) && residuals.iter().any(Value::is_i64), "the demo has both kinds");

        let dir = crate::harness::TempDir::new();
        let file = dir.0.join("demo.zip");
        let out = pawl(&source.cli_args, &["backup", "--output", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        for into in [Engine::Sqlite, Engine::Postgres] {
            let target = TestDb::new(into).await;
            let out = pawl(&target.cli_args, &["restore", file.to_str().unwrap()]);
            assert!(out.status.success(), "{engine:?} into {into:?}: {}", text(&out.stderr));
            let said = text(&out.stdout);
            assert!(said.contains("demo: audit chain intact"), "{said}");
            assert!(said.contains("rows are restored as the archive states them"), "{said}");
            let restored = target.app().await;
            same_rows(&store, &restored.store, &format!("{engine:?} restored into {into:?}")).await;
            for sha in store.file_hashes().await.unwrap() {
                restored.blobs.open_verified(&sha).await.unwrap_or_else(|e| panic!("evidence {sha}: {e}"));
            }
        }
        let target = TestDb::new(other(engine)).await;
        let out = pawl(&[], &["migrate-engine", "--from", &location(&source), "--to", &location(&target)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("demo: audit chain intact"), "{}", text(&out.stdout));
        same_rows(&store, &target.store().await, &format!("moved from {engine:?}")).await;
    }
}

/// The probe's edit: an account of one's own, and an admin membership of it.
fn forge(tables: &[u8], org_id: &str) -> Vec<u8> {
    let mut out = String::new();
    for line in text(tables).lines() {
        out.push_str(line);
        out.push('\n');
        let Ok(Value::Object(head)) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let columns: Vec<String> = serde_json::from_value(head["columns"].clone()).unwrap();
        let given: BTreeMap<&str, Value> = match head["table"].as_str().unwrap() {
            "users" => [
                ("id", json!("forged-user")),
                ("email", json!("mallory@evil.example")),
                ("password_hash", json!(pawl_app::auth::hash_password(PASSWORD).unwrap())),
                ("created_at", json!("2024-01-01T00:00:00Z")),
                ("version", json!(1)),
            ]
            .into(),
            "memberships" => [
                ("id", json!("forged-membership")),
                ("org_id", json!(org_id)),
                ("user_id", json!("forged-user")),
                ("role", json!("admin")),
                ("created_at", json!("2024-01-01T00:00:00Z")),
                ("updated_at", json!("2024-01-01T00:00:00Z")),
                ("version", json!(1)),
            ]
            .into(),
            _ => continue,
        };
        let row: Vec<Value> = columns
            .iter()
            .map(|c| given.get(c.as_str()).cloned().unwrap_or(json!("")))
            .collect();
        out.push_str(&serde_json::to_string(&row).unwrap());
        out.push('\n');
    }
    out.into_bytes()
}

/// Nothing of a refused restore is in the database or the data folder.
async fn nothing_written(target: &TestDb, evidence: &str) {
    let store = target.store().await;
    assert!(store.organisations().await.unwrap().is_empty(), "no organisation");
    let admin = pawl_domain::identity::Email::parse(crate::harness::ADMIN_EMAIL).unwrap();
    assert!(store.user_by_email(&admin).await.unwrap().is_none(), "no account");
    assert!(!store.has_blob(evidence).await.unwrap(), "no evidence in the database");
    assert_eq!(
        files_under(&target.dir.0.join("evidence")),
        Vec::<std::path::PathBuf>::new(),
        "no evidence file"
    );
}

async fn with_evidence(app: &crate::harness::TestApp) -> String {
    let c = ok(
        app,
        &app.admin_token,
        Method::POST,
        "/api/v1/controls",
        Some(json!({"name": "Backups", "annex": ["8.13"]})),
    )
    .await;
    let form = reqwest::multipart::Form::new()
        .text("control", c["id"].as_str().unwrap().to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.7\nrestore test\n".to_vec()).file_name("restore.pdf"),
        );
    let r = app
        .api()
        .post(app.url("/api/v1/evidence"))
        .bearer_auth(&app.admin_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["sha256"].as_str().unwrap().to_owned()
}

/// What changes a file of an archive: its new bytes, if it changes.
type Edit<'a> = dyn Fn(&str, &[u8]) -> Option<Vec<u8>> + 'a;

/// A copy of an archive's `files` in `dir`, with `edit` applied.
fn changed(dir: &Path, files: &[(String, Vec<u8>)], edit: &Edit) -> std::path::PathBuf {
    let path = dir.join(format!("changed-{}.zip", uuid::Uuid::new_v4().simple()));
    let files: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| (n.clone(), edit(n, b).unwrap_or_else(|| b.clone())))
        .collect();
    write_entries(&path, &files);
    path
}

/// Restores `path` into a new empty database, which must refuse it; the
/// database and what it said.
async fn refused(engine: Engine, path: &Path, extra: &[&str]) -> (TestDb, String) {
    let target = TestDb::new(engine).await;
    let mut args = vec!["restore", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = pawl(&target.cli_args, &args);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    (target, text(&out.stderr))
}

/// The manifest SHA-256 that `pawl backup` printed.
fn printed_digest(out: &std::process::Output) -> String {
    let said = text(&out.stdout);
    let at = said.find("manifest SHA-256 ").unwrap_or_else(|| panic!("{said}")) + "manifest SHA-256 ".len();
    said[at..at + 64].to_owned()
}

/// An organisation with one piece of evidence, backed up with `pawl
/// backup`: the app, the evidence's SHA-256, the folder, the archive and
/// what the command printed.
async fn backed_up(
    engine: Engine,
) -> (
    crate::harness::TestApp,
    String,
    crate::harness::TempDir,
    std::path::PathBuf,
    std::process::Output,
) {
    let app = spawn_app(engine).await;
    let sha = with_evidence(&app).await;
    let dir = crate::harness::TempDir::new();
    let file = dir.0.join("acme.zip");
    let out = pawl(&app.db.cli_args, &["backup", "--output", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (app, sha, dir, file, out)
}

on_both_engines! {
    async fn a_changed_archive_is_refused_before_anything_is_written(engine: Engine) {
        let (app, sha, dir, file, out) = backed_up(engine).await;
        let digest = printed_digest(&out);
        let written = entries(&file);
        let changed = |edit: &Edit| changed(&dir.0, &written, edit);

        // An account and an admin membership added to the rows.
        let forged = forge(&written.iter().find(|(n, _)| n == "tables.jsonl").unwrap().1, &app.org_id);
        let path = changed(&|n, _| (n == "tables.jsonl").then(|| forged.clone()));
        let (target, said) = refused(engine, &path, &[]).await;
        assert!(said.contains("tables.jsonl does not match the SHA-256"), "{said}");
        assert!(said.contains("nothing was restored"), "{said}");
        nothing_written(&target, &sha).await;

        // A changed evidence file, and a file the manifest does not list.
        let path = changed(&|n, b| n.starts_with("evidence/").then(|| [b, &b"%"[..]].concat()));
        let (target, said) = refused(engine, &path, &[]).await;
        assert!(said.contains(&format!("evidence/{sha} does not match")), "{said}");
        nothing_written(&target, &sha).await;
        let mut extra = written.clone();
        extra.push(("evidence/extra".to_owned(), b"more".to_vec()));
        let path = dir.0.join("extra.zip");
        write_entries(&path, &extra);
        let (target, said) = refused(engine, &path, &[]).await;
        assert!(said.contains("evidence/extra is in the archive but not in its manifest"), "{said}");
        nothing_written(&target, &sha).await;

        // The manifest rewritten to match the rows: only the digest that
        // `pawl backup` printed tells this archive from the one written.
        let tables_sha = pawl_app::auth::sha256_hex(&text(&forged));
        let path = changed(&|n, b| match n {
            "tables.jsonl" => Some(forged.clone()),
            "manifest.json" => {
                let mut m: Value = serde_json::from_slice(b).unwrap();
                for f in m["files"].as_array_mut().unwrap() {
                    if f["name"] == "tables.jsonl" {
                        f["sha256"] = json!(tables_sha);
                        f["bytes"] = json!(forged.len());
                    }
                }
                Some(serde_json::to_vec_pretty(&m).unwrap())
            }
            _ => None,
        });
        let (target, said) = refused(engine, &path, &["--manifest-sha256", &digest]).await;
        assert!(said.contains("it is not the archive that was made"), "{said}");
        nothing_written(&target, &sha).await;

        // The archive as written restores, and says what its chain does not vouch for.
        let target = TestDb::new(engine).await;
        let out = pawl(&target.cli_args, &["restore", file.to_str().unwrap(), "--manifest-sha256", &digest]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let said = text(&out.stdout);
        assert!(said.contains(&format!("whose own SHA-256 is {digest} as expected")), "{said}");
        assert!(said.contains("acme: audit chain intact"), "{said}");
        assert!(said.contains("not for rows that no event checks, such as accounts, password hashes, memberships"), "{said}");
    }
}

on_both_engines! {
    async fn a_failed_backup_leaves_the_previous_archive_as_it_was(engine: Engine) {
        let (app, sha, dir, file, _) = backed_up(engine).await;
        let before = std::fs::read(&file).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "password and token hashes are for the owner's eyes");
        }
        // The evidence file is damaged after the first backup, so the next
        // one fails after it has written its rows.
        match &app.db.location {
            pawl_store::Location::SqliteFile(_) => {
                let stored = files_under(&app.db.dir.0.join("evidence")).into_iter().find(|p| p.ends_with(&sha)).unwrap();
                std::fs::write(stored, b"damaged").unwrap();
            }
            pawl_store::Location::Postgres(url) => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query("UPDATE evidence_chunks SET bytes = $1").bind(b"damaged".to_vec()).execute(&mut conn).await.unwrap();
            }
        }
        let out = pawl(&app.db.cli_args, &["backup", "--output", file.to_str().unwrap()]);
        assert!(!out.status.success(), "{}", text(&out.stdout));
        assert_eq!(std::fs::read(&file).unwrap(), before, "the previous archive is untouched");
        assert_eq!(files_under(&dir.0), vec![file.clone()], "and no partial archive is left beside it");
    }
}
