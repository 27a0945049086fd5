//! What an outside probe of the release build found (issue 14), kept as
//! tests so that it stays fixed.

use crate::harness::{spawn_app, Engine, ADMIN_EMAIL, PASSWORD};
use crate::on_both_engines;
use serde_json::Value;

/// The probe's 1.6 KB workbook: only A1 and XFD1048576 hold values, so a
/// reader that makes a dense range of it asks for 2^34 cells.
fn sparse_workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Title").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    book.save_to_buffer().unwrap()
}

on_both_engines! {
    async fn hostile_spreadsheets_get_a_problem_and_the_server_stays_up(engine: Engine) {
        let app = spawn_app(engine).await;
        let send = |body: Vec<u8>| app.api().post(app.url("/api/v1/risks/import?dry_run=true")).bearer_auth(&app.admin_token).body(body).send();
        let refused = |report: &Value, text: &str| {
            assert!(report["errors"][0]["message"].as_str().unwrap().contains(text), "{report}");
        };

        let r = send(sparse_workbook()).await.unwrap();
        assert_eq!(r.status(), 422);
        let report: Value = r.json().await.unwrap();
        assert_eq!((report["errors"][0]["line"].as_u64(), report["errors"][0]["column"].as_u64()), (Some(1_048_576), Some(16_384)), "{report}");
        refused(&report, "at most 200 columns");

        // A million columns on one line: refused at the line, not answered column by column.
        let r = send(format!("Title{}\nA\n", ",x".repeat(1_000_000)).into_bytes()).await.unwrap();
        assert_eq!(r.status(), 422);
        let body = r.bytes().await.unwrap();
        assert!(body.len() < 2_000, "{} bytes", body.len());
        refused(&serde_json::from_slice(&body).unwrap(), "longer than 1 MiB");
        let r = send(format!("Title{}\nA\n", ",x".repeat(300)).into_bytes()).await.unwrap();
        assert_eq!(r.status(), 422);
        refused(&r.json().await.unwrap(), "301 columns; a register may have at most 200");

        // Columns it does not know, within the bound: one warning for them all.
        let odd: Vec<String> = (0..150).map(|i| format!("Odd{i}")).collect();
        let r = send(format!("Title,{}\nA\n", odd.join(",")).into_bytes()).await.unwrap();
        assert_eq!(r.status(), 200);
        let report: Value = r.json().await.unwrap();
        assert_eq!(report["warnings"].as_array().unwrap().len(), 1, "{report}");
        assert!(report["warnings"][0]["message"].as_str().unwrap().starts_with("150 columns not recognised"));

        let r = app.api().get(app.url("/api/v1/health")).send().await.unwrap();
        assert_eq!(r.status(), 200, "still serving");
    }
}

on_both_engines! {
    async fn sign_in_refuses_null_origins_and_goes_only_to_paths_here(engine: Engine) {
        let app = spawn_app(engine).await;
        let c = app.browser();
        let form = |next: &str| [("email", ADMIN_EMAIL.to_owned()), ("password", PASSWORD.to_owned()), ("next", next.to_owned())];
        let r = c.post(app.url("/login")).header("origin", "null").form(&form("/")).send().await.unwrap();
        assert_eq!(r.status(), 403, "login CSRF from a sandboxed frame");
        assert!(r.headers().get("set-cookie").is_none());
        // Browsers drop tabs and newlines from a Location: /<TAB>/host is //host.
        for next in ["/\t/evil.example", "/\n/x", "/\r\n/evil.example", "/ /evil.example"] {
            let r = c.post(app.url("/login")).form(&form(next)).send().await.unwrap();
            assert_eq!(r.status(), 303, "{next:?}");
            assert_eq!(r.headers()["location"], "/", "{next:?}");
        }
        let r = c.post(app.url("/login")).form(&form("/risks?status=accepted")).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/risks?status=accepted");
    }
}

on_both_engines! {
    async fn control_characters_are_refused_at_the_edge_by_field(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let r = app.api().post(app.url("/api/v1/risks")).bearer_auth(t).json(&serde_json::json!({"title": "a\u{0}b"})).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], "title", "{p}");
        let r = app.api().post(app.url("/api/v1/assets")).bearer_auth(t).json(&serde_json::json!({"name": "ok", "tags": ["x", "y\u{1}"]})).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], "tags[1]");
        let r = app.api().get(app.url("/api/v1/risks?q=%00")).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], "q");
        let r = app.api().get(app.url("/api/v1/risks/%00")).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let r = app.api().post(app.url("/api/v1/risks/import?dry_run=true")).bearer_auth(t).body("Title,Category\nA,x\u{0}y\n").send().await.unwrap();
        assert_eq!(r.status(), 422);
        let report: Value = r.json().await.unwrap();
        assert_eq!((report["errors"][0]["line"].as_u64(), report["errors"][0]["column"].as_u64()), (Some(2), Some(2)));
        // Tabs and line breaks are text, and stored as sent.
        let r = app.api().post(app.url("/api/v1/risks")).bearer_auth(t).json(&serde_json::json!({"title": "Tabs", "description": "one\ttwo\nthree"})).send().await.unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.json::<Value>().await.unwrap()["description"], "one\ttwo\nthree");
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let r = c.post(app.url("/admin/organisation")).form(&[("name", "Evil\u{0}Ltd"), ("_csrf", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("name: contains the control character U+0000"));
        assert_eq!(app.store().organisation(&app.org_id).await.unwrap().name, "Acme Ltd");
    }
}

on_both_engines! {
    async fn wrong_methods_stale_tags_and_odd_dates_get_the_right_answer(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let c = app.api();
        let r = c.put(app.url("/api/v1/health")).send().await.unwrap();
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()["allow"], "GET, HEAD");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let r = c.request(reqwest::Method::OPTIONS, app.url("/login")).send().await.unwrap();
        assert_eq!((r.status().as_u16(), r.headers()["allow"].to_str().unwrap()), (405, "GET, HEAD, POST"));
        let r = c.get(app.url("/api/v1/no-such-thing")).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["content-type"], "application/problem+json");

        let risk: Value = c.post(app.url("/api/v1/risks")).bearer_auth(t).json(&serde_json::json!({"title": "Tagged"})).send().await.unwrap().json().await.unwrap();
        let path = format!("/api/v1/risks/{}", risk["id"].as_str().unwrap());
        for tag in ["\"stale-version\"", "W/\"v1\"", "\"v99\""] {
            let r = c.patch(app.url(&path)).bearer_auth(t).header("if-match", tag).json(&serde_json::json!({"category": "x"})).send().await.unwrap();
            assert_eq!(r.status(), 412, "{tag}");
        }
        let r = c.patch(app.url(&path)).bearer_auth(t).header("if-match", "\"v1\"").json(&serde_json::json!({"category": "x"})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        for date in ["0000-01-01", "-0001-01-01", "2201-01-01"] {
            let r = c.patch(app.url(&path)).bearer_auth(t).json(&serde_json::json!({"next_review": date})).send().await.unwrap();
            assert_eq!(r.status(), 422, "{date}");
            assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], "next_review");
        }
    }
}

#[cfg(unix)]
#[test]
fn the_data_folder_and_database_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("pawl-private-{}", std::process::id()));
    let data = dir.join("data");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pawl"))
        .args(["--data-dir", data.to_str().unwrap(), "migrate"])
        .env_remove("PAWL_DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("pawl.db")), 0o600);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The real `pawl` on a SQLite data folder of its own.
fn cli_on(data: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_pawl"));
    c.arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("PAWL_DATABASE_URL")
        .env("PAWL_LOG", "warn");
    c
}

/// A copy of the data folder taken while pawl wrote can hold a damaged
/// file whose audit chain still verifies; neither verify nor serve may call
/// it sound.
#[tokio::test]
async fn a_damaged_database_fails_verify_and_is_not_served() {
    let dir = std::env::temp_dir().join(format!("pawl-damaged-{}", std::process::id()));
    let data = dir.join("data");
    let run = |args: &[&str]| cli_on(&data, args).output().unwrap();
    assert!(run(&["org", "create", "acme", "--name", "Acme"]).status.success());
    let out = run(&["audit", "verify", "--org", "acme"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    // Everything into the main file first, so the damage is not covered by the log.
    let db = data.join("pawl.db");
    {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    }
    // Give the last page a b-tree type that cannot be: the file still opens.
    let mut bytes = std::fs::read(&db).unwrap();
    let last = bytes.len() - 4096;
    bytes[last] = 0xFF;
    std::fs::write(&db, bytes).unwrap();

    let out = run(&["audit", "verify", "--org", "acme"]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("database DAMAGED"), "{said}");
    let out = run(&["serve", "--addr", "127.0.0.1:0"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("the database is damaged"), "{said}");
    std::fs::remove_dir_all(&dir).unwrap();
}

on_both_engines! {
    /// Every API route, generated from the policy table, against every role:
    /// a role without the route's permission gets 403, one with it never does.
    /// A route added to the table is in this test without anyone writing it.
    async fn every_api_route_answers_every_role_as_the_policy_says(engine: Engine) {
        use pawl_domain::access::allows;
        use pawl_domain::identity::Role;
        use pawl_web::policy::{all_routes, Rule};
        let app = spawn_app(engine).await;
        let mut tokens = Vec::new();
        for role in Role::ALL {
            let token = if role == Role::Admin {
                app.admin_token.clone()
            } else {
                app.member_token(&format!("{}@acme.example", role.as_str()), role.as_str()).await
            };
            tokens.push((role, token));
        }
        // An id that names nothing: allowed requests end in 404 or 422, never in 403.
        let none = "01000000-0000-7000-8000-000000000000";
        let mut checked = 0;
        for (method, path, rule) in all_routes().filter(|(_, p, _)| p.starts_with("/api/")) {
            let Rule::Needs(permission) = rule else { continue };
            let mut url = String::new();
            for part in path.split('/') {
                if part.starts_with('{') { url.push_str(none) } else { url.push_str(part) }
                url.push('/');
            }
            url.pop();
            for (role, token) in &tokens {
                let r = app.api().request(method.parse().unwrap(), app.url(&url)).bearer_auth(token)
                    .header("content-type", "application/json").body("{}").send().await.unwrap();
                let status = r.status().as_u16();
                if allows(*role, permission) {
                    assert!(status != 403 && status < 500, "{method} {path} as {role:?}: {status}");
                } else {
                    assert_eq!(status, 403, "{method} {path} as {role:?} must be refused");
                }
                checked += 1;
            }
        }
        assert!(checked > 400, "{checked} checks");
    }
}

/// A workbook whose one sheet inflates to `mib` MiB of spaces.
fn inflating_workbook(mib: usize) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let block = vec![b' '; 1 << 20];
    for _ in 0..mib {
        zip.write_all(&block).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Reading any file stays under 200 MB: each hostile file from the probe is
/// imported (dry run) by the real CLI in a child process whose high-water
/// mark (VmHWM) is sampled while it runs.
#[cfg(target_os = "linux")]
#[test]
fn reading_hostile_files_stays_under_200_mb() {
    let dir = std::env::temp_dir().join(format!("pawl-memory-{}", std::process::id()));
    let data = dir.join("data");
    let pawl = |args: &[&str]| {
        cli_on(&data, args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    assert!(pawl(&["org", "create", "acme", "--name", "Acme"])
        .wait()
        .unwrap()
        .success());
    let files: [(&str, Vec<u8>); 4] = [
        ("sparse.xlsx", sparse_workbook()),
        ("bomb.xlsx", inflating_workbook(1024)),
        (
            "wide.csv",
            format!("Title{}\nA\n", ",x".repeat(25_000_000)).into_bytes(),
        ),
        ("tall.csv", format!("Title\n{}", "a\n".repeat(30_000_000)).into_bytes()),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut child = pawl(&["risk", "import", path.to_str().unwrap(), "--org", "acme", "--dry-run"]);
        let mut peak_kb = 0u64;
        let status = loop {
            if let Ok(s) = std::fs::read_to_string(format!("/proc/{}/status", child.id())) {
                let hwm = s
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok());
                peak_kb = peak_kb.max(hwm.unwrap_or(0));
            }
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert_eq!(status.code(), Some(1), "{name} is refused, not crashed on");
        assert!(peak_kb < 200 * 1024, "{name}: peak {} MB", peak_kb / 1024);
        std::fs::remove_file(&path).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

on_both_engines! {
    async fn percent_and_underscore_in_a_search_are_characters(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        for name in ["Backups 100% verified", "Access reviews", "Patch_management"] {
            let r = app.api().post(app.url("/api/v1/controls")).bearer_auth(t).json(&serde_json::json!({"name": name, "annex": ["8.13"]})).send().await.unwrap();
            assert_eq!(r.status(), 201);
        }
        for (q, n) in [("%25", 1), ("_", 1), ("%5C", 0), ("review", 1)] {
            let r: Value = app.api().get(app.url(&format!("/api/v1/controls?q={q}"))).bearer_auth(t).send().await.unwrap().json().await.unwrap();
            assert_eq!(r["total"], n, "q={q}: a % or _ matches only itself");
        }
        let members: Value = app.api().get(app.url("/api/v1/members?q=%25")).bearer_auth(t).send().await.unwrap().json().await.unwrap();
        assert_eq!(members["total"], 0, "{members}");
    }
}

on_both_engines! {
    async fn evidence_refuses_unknown_parts_and_sorts_and_https_gets_hsts(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let form = reqwest::multipart::Form::new()
            .text("title", "Backup report")
            .text("colour", "blue")
            .part("file", reqwest::multipart::Part::bytes(b"report".to_vec()).file_name("r.txt"));
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], "colour");
        let form = reqwest::multipart::Form::new().text("title", "a\u{0}b");
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let r = app.api().get(app.url("/api/v1/evidence?sort=password")).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], "sort");
        let r = app.api().get(app.url("/api/v1/health")).header("x-forwarded-proto", "https").send().await.unwrap();
        assert!(r.headers()["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
        let r = app.api().get(app.url("/api/v1/health")).send().await.unwrap();
        assert!(r.headers().get("strict-transport-security").is_none(), "not on plain HTTP");
    }
}

on_both_engines! {
    async fn a_page_size_outside_its_range_is_refused(engine: Engine) {
        let app = spawn_app(engine).await;
        for path in ["/api/v1/risks?limit=0", "/api/v1/assets?limit=501", "/api/v1/controls?limit=4294967295"] {
            let r = app.api().get(app.url(path)).bearer_auth(&app.admin_token).send().await.unwrap();
            assert_eq!(r.status(), 422, "{path}");
            assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], "limit", "{path}");
        }
        let r = app.api().get(app.url("/api/v1/risks?limit=4294967296")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 400, "past u32: a malformed query");
    }
}

on_both_engines! {
    async fn parallel_wrong_passwords_are_evaluated_within_the_allowance_and_logged(engine: Engine) {
        let app = spawn_app(engine).await;
        let attempts = (0..20).map(|_| {
            let c = app.browser();
            let url = app.url("/login");
            async move {
                c.post(url).form(&[("email", ADMIN_EMAIL), ("password", "not the password")]).send().await.unwrap().status().as_u16()
            }
        });
        let statuses = futures_join_all(attempts).await;
        assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15, "{statuses:?}");
        let events: Value = app.api().get(app.url("/api/v1/audit/events?entity_type=user&limit=100")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        let failed: Vec<&Value> = events["items"].as_array().unwrap().iter().filter(|e| e["action"] == "sign_in_failed").collect();
        assert_eq!(failed.len(), 5, "each evaluated failure is in the trail: {events}");
        assert_eq!(failed[0]["after"]["address"], "127.0.0.1");
    }
}

/// Runs futures concurrently on this task, without a dependency for it.
async fn futures_join_all<F: std::future::Future<Output = u16> + Send + 'static>(
    fs: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

on_both_engines! {
    /// What schemathesis found: an empty If-Match and an upload that is not
    /// multipart get problems that say so, not 412 or plain text.
    async fn an_empty_if_match_and_a_bodyless_upload_are_problems(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let asset: serde_json::Value = app.api().post(app.url("/api/v1/assets")).bearer_auth(t)
            .json(&serde_json::json!({"name": "Laptop fleet"})).send().await.unwrap().json().await.unwrap();
        let r = app.api().patch(app.url(&format!("/api/v1/assets/{}", asset["id"].as_str().unwrap()))).bearer_auth(t)
            .header("if-match", "").json(&serde_json::json!({"name": "Laptops"})).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("If-Match is empty"));
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
}

on_both_engines! {
    /// If-Match is optional unless the organisation requires it; then a
    /// change without it is 428, and one with it goes through.
    async fn an_organisation_may_require_if_match(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let asset: Value = app.api().post(app.url("/api/v1/assets")).bearer_auth(t)
            .json(&serde_json::json!({"name": "Laptop fleet"})).send().await.unwrap().json().await.unwrap();
        let url = app.url(&format!("/api/v1/assets/{}", asset["id"].as_str().unwrap()));
        let r = app.api().patch(&url).bearer_auth(t).json(&serde_json::json!({"name": "Laptops"})).send().await.unwrap();
        assert_eq!(r.status(), 200, "optional by default");

        let r = app.api().patch(app.url("/api/v1/organisation")).bearer_auth(t)
            .json(&serde_json::json!({"require_if_match": true})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let org: Value = r.json().await.unwrap();
        assert_eq!((org["require_if_match"].as_bool(), org["name"].as_str()), (Some(true), Some("Acme Ltd")), "the name is kept");

        let r = app.api().patch(&url).bearer_auth(t).json(&serde_json::json!({"name": "Laptops and phones"})).send().await.unwrap();
        assert_eq!(r.status(), 428);
        assert!(r.text().await.unwrap().contains("Acme Ltd requires every change to name the version it read"));
        let etag = app.api().get(&url).bearer_auth(t).send().await.unwrap().headers()["etag"].to_str().unwrap().to_owned();
        let r = app.api().patch(&url).bearer_auth(t).header("if-match", &etag).json(&serde_json::json!({"name": "Laptops and phones"})).send().await.unwrap();
        assert_eq!(r.status(), 200);

        // The page's form turns it off again; its forms always send their version.
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let html = c.get(app.url("/admin/organisation")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("name=\"require_if_match\" checked"));
        let version = html.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let r = c.post(app.url("/admin/organisation")).form(&[("_csrf", csrf.as_str()), ("name", "Acme Ltd"), ("version", &version)]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let org: Value = app.api().get(app.url("/api/v1/organisation")).bearer_auth(t).send().await.unwrap().json().await.unwrap();
        assert_eq!(org["require_if_match"], false);
    }
}
