//! Applied controls, the SoA, checks, evidence and crosswalks through the
//! API, UI and CLI, on both engines.

use crate::harness::{spawn_app, spawn_app_with, Engine, TestApp, ADMIN_EMAIL};
use crate::on_both_engines;
use serde_json::{json, Value};

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Value,
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut r = app
        .api()
        .request(method, app.url(path))
        .bearer_auth(&app.admin_token)
        .json(&body);
    if let Some(tag) = if_match {
        r = r.header("If-Match", tag);
    }
    r.send().await.unwrap()
}

async fn get(app: &TestApp, path: &str) -> Value {
    let r = app
        .api()
        .get(app.url(path))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "GET {path}");
    r.json().await.unwrap()
}

/// Decides every Annex A control not yet decided as applicable, as a
/// person completing the SoA would.
async fn decide_all(app: &TestApp) {
    let soa = get(app, "/api/v1/soa").await;
    for r in soa["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["decided"] == false)
    {
        let path = format!("/api/v1/soa/{}", r["annex_id"].as_str().unwrap());
        let r = send(
            app,
            reqwest::Method::PUT,
            &path,
            json!({"applicable": true, "reasons": ["business_need"]}),
            None,
        )
        .await;
        assert_eq!(r.status(), 200);
    }
}

fn row<'a>(soa: &'a Value, annex: &str) -> &'a Value {
    soa["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["annex_id"] == annex)
        .unwrap()
}

on_both_engines! {
    async fn controls_drive_the_soa_its_warnings_versions_and_exports(engine: Engine) {
        use reqwest::Method;
        let app = spawn_app(engine).await;
        let risk: Value = send(&app, Method::POST, "/api/v1/risks", json!({"title": "Loss of backups"}), None).await.json().await.unwrap();

        let r = send(&app, Method::POST, "/api/v1/controls", json!({"name": "Backups", "annex": ["A.9.99"], "status": "sometimes"}), None).await;
        assert_eq!(r.status(), 422);
        let problem: Value = r.json().await.unwrap();
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&"annex") && fields.contains(&"status"), "{problem}");

        let r = send(&app, Method::POST, "/api/v1/controls", json!({
            "name": "Immutable backups", "annex": ["A.8.13", "5.30"], "risks": ["R-0001"], "owner": ADMIN_EMAIL
        }), None).await;
        assert_eq!(r.status(), 201);
        let c: Value = r.json().await.unwrap();
        assert_eq!(c["reference"], "C-0001");
        assert_eq!(c["annex"], json!(["5.30", "8.13"]));
        assert_eq!(c["risk_ids"], json!([risk["id"]]));
        assert_eq!(c["status"], "planned");
        let id = c["id"].as_str().unwrap();
        assert_eq!(get(&app, "/api/v1/controls?annex=8.13").await["total"], 1);
        assert_eq!(get(&app, "/api/v1/controls?annex=8.14").await["total"], 0);
        let rid = risk["id"].as_str().unwrap();
        assert_eq!(get(&app, &format!("/api/v1/controls?risk={rid}")).await["items"][0]["id"], c["id"]);
        let (browser, _) = app.signed_in(ADMIN_EMAIL).await;
        let page = browser.get(app.url(&format!("/risks/{rid}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("C-0001 Immutable backups"), "the risk page names its existing controls");

        let soa = get(&app, "/api/v1/soa").await;
        assert_eq!(soa["total"], 93);
        assert_eq!(row(&soa, "8.13")["implementation"], "planned");
        assert_eq!(row(&soa, "8.13")["decided"], false);
        assert!(soa["warnings"].as_array().unwrap().iter().any(|w| w["annex_id"] == "8.13"));

        let r = send(&app, Method::PATCH, &format!("/api/v1/controls/{id}"), json!({"name": "Immutable backups", "annex": ["8.13"], "risks": ["R-0001"], "status": "implemented", "implemented_on": "2026-05-01"}), Some("\"v7\"")).await;
        assert_eq!(r.status(), 412);
        let r = send(&app, Method::PATCH, &format!("/api/v1/controls/{id}"), json!({"name": "Immutable backups", "annex": ["8.13"], "risks": ["R-0001"], "status": "implemented", "implemented_on": "2026-05-01"}), Some("\"v1\"")).await;
        assert_eq!(r.status(), 200);
        let soa = get(&app, "/api/v1/soa").await;
        assert_eq!(row(&soa, "8.13")["implementation"], "implemented");
        assert_eq!(row(&soa, "5.30")["implementation"], "not_started", "the link to 5.30 was removed");

        // Exclusions need a justification; excluding what a risk relies on warns.
        let r = send(&app, Method::PUT, "/api/v1/soa/A.8.13", json!({"applicable": false}), None).await;
        assert_eq!(r.status(), 422);
        let r = send(&app, Method::PUT, "/api/v1/soa/8.13", json!({"applicable": false, "justification": "Backups are the provider's"}), Some("\"v0\"")).await;
        assert_eq!(r.status(), 200);
        let soa = get(&app, "/api/v1/soa").await;
        assert_eq!(row(&soa, "8.13")["implementation"], "not_applicable");
        assert!(soa["warnings"].as_array().unwrap().iter().any(|w| w["annex_id"] == "8.13" && w["message"].as_str().unwrap().contains("R-0001")), "{}", soa["warnings"]);
        // An excluded control lists no applied control; the one still linked is named in a warning.
        assert_eq!(row(&soa, "8.13")["applied_controls"], json!([]));
        assert!(soa["warnings"].as_array().unwrap().iter().any(|w| w["annex_id"] == "8.13"
            && w["message"].as_str().unwrap().contains("Immutable backups still linked")), "{}", soa["warnings"]);
        let r = send(&app, Method::PUT, "/api/v1/soa/8.13", json!({"applicable": true, "reasons": ["risk_treatment"]}), Some("\"v0\"")).await;
        assert_eq!(r.status(), 412, "a stale decision is refused");
        let r = send(&app, Method::PUT, "/api/v1/soa/8.13", json!({"applicable": true, "reasons": ["risk_treatment"], "status_override": "partial"}), None).await;
        assert_eq!(r.status(), 422, "an override needs its reason");

        let r = send(&app, Method::POST, "/api/v1/soa/versions", json!({"note": ""}), None).await;
        assert_eq!(r.status(), 422);
        let r = send(&app, Method::POST, "/api/v1/soa/versions", json!({"note": "Management review 2026"}), None).await;
        assert_eq!(r.status(), 422, "an SoA with undecided controls is not approved");
        assert!(r.text().await.unwrap().contains("92 undecided, from A.5.1"));
        let r = send(&app, Method::PUT, "/api/v1/soa/9.99", json!({"applicable": true, "reasons": ["legal"]}), None).await;
        assert_eq!(r.status(), 404);
        decide_all(&app).await;
        let r = send(&app, Method::POST, "/api/v1/soa/versions", json!({"note": "Management review 2026"}), None).await;
        assert_eq!(r.status(), 422, "open warnings need the approver's acknowledgement");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], "acknowledge_warnings", "{p}");
        let open = get(&app, "/api/v1/soa").await["warnings"].as_array().unwrap().len();
        let r = send(&app, Method::POST, "/api/v1/soa/versions", json!({"note": "Management review 2026", "acknowledge_warnings": true}), None).await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["acknowledged_warnings"].as_array().unwrap().len(), open);
        assert_eq!(get(&app, "/api/v1/soa/versions").await["items"][0]["acknowledged_warnings"].as_array().unwrap().len(), open);
        let contributor = app.member_token("carol@acme.example", "contributor").await;
        let r = app.api().post(app.url("/api/v1/soa/versions")).bearer_auth(&contributor).json(&json!({"note": "mine"})).send().await.unwrap();
        assert_eq!(r.status(), 403, "only managers and admins approve the SoA");

        let r = send(&app, Method::PUT, "/api/v1/soa/8.13", json!({"applicable": true, "reasons": ["risk_treatment"]}), None).await;
        assert_eq!(r.status(), 200);
        let changes = get(&app, "/api/v1/soa/compare?from=1").await;
        assert_eq!(changes["total"], 1);
        assert_eq!(changes["items"][0]["annex_id"], "8.13");
        let said = changes["items"][0]["changes"].to_string();
        assert!(said.contains("excluded → applicable") && said.contains("not applicable → implemented"), "{said}");
        assert!(said.contains("reasons for inclusion: none → Risk treatment"), "{said}");
        assert!(said.contains("justification: “Backups are the provider's” → none"), "the old and new text are shown: {said}");

        let csv = app.api().get(app.url("/api/v1/soa/export?version=1")).bearer_auth(&app.admin_token).send().await.unwrap().text().await.unwrap();
        assert!(csv.lines().next().unwrap().contains("version 1 approved by"), "{csv}");
        assert_eq!(csv.lines().filter(|l| l.starts_with("A.")).count(), 93);
        assert!(csv.contains("A.8.13,Information backup,No,"), "{csv}");
        let xlsx = app.api().get(app.url("/api/v1/soa/export?format=xlsx")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK\x03\x04"));
        let r = app.api().get(app.url("/api/v1/soa/export?version=9")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 404);

        let history = get(&app, &format!("/api/v1/history/applied_control/{id}")).await;
        assert_eq!(history["items"].as_array().unwrap().len(), 2);
        assert_eq!(get(&app, "/api/v1/audit/verify").await["intact"], true);
    }
}

on_both_engines! {
    async fn checks_record_dated_results_and_move_their_due_date(engine: Engine) {
        use reqwest::Method;
        let app = spawn_app(engine).await;
        let c: Value = send(&app, Method::POST, "/api/v1/controls", json!({"name": "Access reviews", "annex": ["5.18"]}), None).await.json().await.unwrap();
        let id = c["id"].as_str().unwrap();
        let r = send(&app, Method::POST, &format!("/api/v1/controls/{id}/checks"), json!({"what": "", "frequency_days": 0}), None).await;
        assert_eq!(r.status(), 422);
        let r = send(&app, Method::POST, &format!("/api/v1/controls/{id}/checks"), json!({"what": "Review complete", "frequency_days": 30, "first_due": "2026-01-01", "tester": "Lena"}), None).await;
        assert_eq!(r.status(), 201);
        let check: Value = r.json().await.unwrap();
        let check_id = check["id"].as_str().unwrap();
        assert!(get(&app, "/api/v1/checks/due").await["items"].as_array().unwrap().iter().any(|k| k["id"] == check_id));

        let r = send(&app, Method::POST, &format!("/api/v1/checks/{check_id}/results"), json!({"result": "fail"}), None).await;
        assert_eq!(r.status(), 422, "a failure needs notes");
        let r = send(&app, Method::POST, &format!("/api/v1/checks/{check_id}/results"), json!({"result": "pass", "performed_on": "2999-01-01"}), None).await;
        assert_eq!(r.status(), 422, "results cannot be dated in the future");
        let r = send(&app, Method::POST, &format!("/api/v1/checks/{check_id}/results"), json!({"result": "partial", "notes": "Two leavers still active", "performed_on": "2026-02-01"}), None).await;
        assert_eq!(r.status(), 201);
        let r = send(&app, Method::POST, &format!("/api/v1/checks/{check_id}/results"), json!({"result": "pass", "performed_on": "2026-03-01"}), None).await;
        assert_eq!(r.status(), 201);
        let checks = get(&app, &format!("/api/v1/controls/{id}/checks")).await;
        assert_eq!(checks["items"][0]["next_due"], "2026-03-31");
        let results = get(&app, &format!("/api/v1/controls/{id}/results")).await;
        let seen: Vec<&str> = results["items"].as_array().unwrap().iter().map(|r| r["result"].as_str().unwrap()).collect();
        assert_eq!(seen, ["partial", "pass"], "oldest first: effectiveness over time");
        let r = send(&app, Method::POST, "/api/v1/checks/nope/results", json!({"result": "pass"}), None).await;
        assert_eq!(r.status(), 404);

        // Evidence of a check's result shows with the check's control.
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(&app.admin_token)
            .multipart(upload(&[("check", check_id), ("observed_from", "2026-03-01")], Some(("access-review-march.csv", b"user,kept\n".to_vec()))))
            .send().await.unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(get(&app, &format!("/api/v1/evidence?check={check_id}")).await["total"], 1);
        let (browser, _) = app.signed_in(ADMIN_EMAIL).await;
        let page = browser.get(app.url(&format!("/controls/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(">access-review-march.csv</a>") && page.contains("Two leavers still active"), "{page}");

        // Controls, checks and evidence export like any register, with the
        // records they name by name (issue 25).
        let csv = |path: &'static str| {
            let app = &app;
            async move {
                let r = app.api().get(app.url(path)).bearer_auth(&app.admin_token).send().await.unwrap();
                assert_eq!(r.status(), 200, "{path}");
                assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
                r.text().await.unwrap()
            }
        };
        let controls = csv("/api/v1/controls/export").await;
        let reference = c["reference"].as_str().unwrap();
        assert!(controls.starts_with("Reference,Name,"), "{controls}");
        assert!(controls.lines().any(|l| l.starts_with(&format!("{reference},Access reviews,")) && l.contains(",5.18,")), "{controls}");
        let checks = csv("/api/v1/checks/export").await;
        assert!(checks.lines().any(|l| l.starts_with(&format!("{reference} Access reviews,Review complete,")) && l.contains(",30,Lena,2026-03-31,")), "{checks}");
        let evidence = csv("/api/v1/evidence/export").await;
        let row = evidence.lines().find(|l| l.contains("access-review-march.csv")).unwrap_or_else(|| panic!("{evidence}"));
        assert!(row.contains(",Review complete,") && row.contains(",2026-03-01,"), "the check it supports, by name: {row}");
        let r = app.api().get(app.url("/api/v1/evidence/export?format=xlsx")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert!(r.bytes().await.unwrap().starts_with(b"PK\x03\x04"));
        let r = app.api().get(app.url("/api/v1/checks/export?format=pdf")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pawl"))
            .args(&app.db.cli_args)
            .args(["export", "checks", "--org", "acme", "--output"])
            .arg(app.db.dir.0.join("checks.csv"))
            .env("PAWL_LOG", "warn")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("exported 1 control checks"));
        assert_eq!(std::fs::read_to_string(app.db.dir.0.join("checks.csv")).unwrap(), checks);
    }
}

fn upload(fields: &[(&str, &str)], file: Option<(&str, Vec<u8>)>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((name, bytes)) = file {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    }
    form
}

on_both_engines! {
    async fn evidence_is_stored_by_hash_versioned_and_checked_on_download(engine: Engine) {
        use reqwest::Method;
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let c: Value = send(&app, Method::POST, "/api/v1/controls", json!({"name": "Backups", "annex": ["8.13"]}), None).await.json().await.unwrap();
        let control = c["id"].as_str().unwrap();
        let pdf = b"%PDF-1.7\nrestore test passed\n".to_vec();
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t)
            .multipart(upload(&[("control", control), ("observed_from", "2026-10-01"), ("observed_to", "2026-10-31"), ("valid_until", "2020-01-01")], Some(("restore.txt", pdf.clone()))))
            .send().await.unwrap();
        assert_eq!(r.status(), 201);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["content_type"], "application/pdf", "the type comes from the bytes, not the name");
        assert_eq!(e["title"], "restore.txt");
        assert_eq!(e["size"], pdf.len());
        assert_eq!(e["stale"], true);
        assert_eq!(e["controls"], json!([control]));
        let sha = e["sha256"].as_str().unwrap().to_owned();
        assert_eq!(sha.len(), 64);
        let id = e["id"].as_str().unwrap();

        let r = app.api().get(app.url(&format!("/api/v1/evidence/{id}/download"))).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);

        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t)
            .multipart(upload(&[("supersedes", id), ("control", control), ("title", "Restore test")], Some(("restore-2.pdf", b"%PDF-1.7\nsecond run\n".to_vec()))))
            .send().await.unwrap();
        assert_eq!(r.status(), 201);
        let v2: Value = r.json().await.unwrap();
        assert_eq!((v2["series_id"].as_str(), v2["series_version"].as_i64()), (Some(id), Some(2)));
        assert_eq!(get(&app, &format!("/api/v1/evidence/{id}/versions")).await["total"], 2);
        assert_eq!(get(&app, &format!("/api/v1/evidence?control={control}")).await["total"], 2);

        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t).multipart(upload(&[("title", "Nothing")], None)).send().await.unwrap();
        assert_eq!(r.status(), 422, "a file or a link is needed");
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t).multipart(upload(&[("url", "javascript:alert(1)")], None)).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t).multipart(upload(&[("url", "https://example.com/cert.pdf"), ("title", "Certificate"), ("control", "no-such-control")], None)).send().await.unwrap();
        assert_eq!(r.status(), 422, "links must name real records");
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t).multipart(upload(&[("url", "https://example.com/cert.pdf"), ("title", "Certificate"), ("annex", "A.5.23")], None)).send().await.unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(get(&app, "/api/v1/evidence?annex=5.23").await["total"], 1);

        // A changed file is refused on the way out, wherever it is kept.
        match &app.db.location {
            pawl_store::Location::SqliteFile(_) => {
                let path = app.db.dir.0.join("evidence").join(&sha[..2]).join(&sha);
                std::fs::write(&path, b"%PDF-1.7\nforged\n").unwrap();
            }
            pawl_store::Location::Postgres(url) => {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query("UPDATE evidence_chunks SET bytes = $1 WHERE sha256 = $2")
                    .bind(b"%PDF-1.7\nforged\n".to_vec())
                    .bind(&sha)
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
        }
        let r = app.api().get(app.url(&format!("/api/v1/evidence/{id}/download"))).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 500);
        assert!(r.text().await.unwrap().contains("no longer matches"));
    }
}

on_both_engines! {
    async fn crosswalks_follow_implemented_controls(engine: Engine) {
        use reqwest::Method;
        let app = spawn_app(engine).await;
        let before = get(&app, "/api/v1/crosswalks/nist-sp800-53r5").await;
        let ac3 = |v: &Value| v["items"].as_array().unwrap().iter().find(|r| r["id"] == "AC-3").unwrap().clone();
        assert_eq!(ac3(&before)["coverage"], "gap");
        let annex = ac3(&before)["annex"].clone();
        let r = send(&app, Method::POST, "/api/v1/controls", json!({"name": "Access control", "annex": annex, "status": "implemented"}), None).await;
        assert_eq!(r.status(), 201);
        let after = get(&app, "/api/v1/crosswalks/nist-sp800-53r5").await;
        assert_eq!(ac3(&after)["coverage"], "covered");
        assert!(after["covered"].as_i64().unwrap() > before["covered"].as_i64().unwrap());
        let gaps = get(&app, "/api/v1/crosswalks/nist-csf-2.0?coverage=gap").await;
        assert!(gaps["items"].as_array().unwrap().iter().all(|r| r["coverage"] == "gap"));
        assert_eq!(get(&app, "/api/v1/crosswalks").await["total"], 2);
        let r = app.api().get(app.url("/api/v1/crosswalks/iso-9001")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 404);
    }
}

on_both_engines! {
    async fn the_controls_pages_work_with_errors_beside_fields(engine: Engine) {
        let app = spawn_app(engine).await;
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let r = c.post(app.url("/controls/new")).form(&[("_csrf", csrf.as_str()), ("name", ""), ("annex", "A.5.99")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"annex-error\"") && html.contains("id=\"name-error\""), "errors sit beside their fields");
        assert!(html.contains("value=\"A.5.99\""), "what was typed is kept");
        let r = c.post(app.url("/controls/new")).form(&[("_csrf", csrf.as_str()), ("name", "MFA everywhere"), ("annex", "A.8.5, 5.17"), ("status", "implemented")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let page_url = r.headers()["location"].to_str().unwrap().to_owned();
        let page = c.get(app.url(&page_url)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("C-0001 MFA everywhere") && page.contains("A.8.5 Secure authentication"), "{page}");
        let control_id = page_url.trim_start_matches("/controls/").split('?').next().unwrap().to_owned();

        let r = c.post(app.url(&format!("/controls/{control_id}/checks"))).form(&[("_csrf", csrf.as_str()), ("what", "MFA enforced for all"), ("frequency_days", "30")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let form = reqwest::multipart::Form::new()
            .text("control", control_id.clone())
            .part("file", reqwest::multipart::Part::bytes(b"MFA report".to_vec()).file_name("mfa.txt"));
        let r = c.post(app.url(&format!("/evidence?_csrf={csrf}"))).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let page = c.get(app.url(&format!("/controls/{control_id}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("MFA enforced for all") && page.contains(">mfa.txt</a>"), "{page}");
        let evidence = page.split("href=\"/evidence/").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let item = c.get(app.url(&format!("/evidence/{evidence}"))).send().await.unwrap().text().await.unwrap();
        assert!(item.contains(&format!("<a href=\"/controls/{control_id}\">C-0001 MFA everywhere</a>")), "the evidence names what it supports: {item}");
        assert!(item.contains("<dt>Valid until</dt><dd>no end date</dd>"));
        let annex_page = c.get(app.url("/catalog/annex-a/8.5")).send().await.unwrap().text().await.unwrap();
        assert!(annex_page.contains("C-0001 MFA everywhere") && annex_page.contains(">mfa.txt</a>"), "the Annex A page shows how it is met and the proof");

        let list = c.get(app.url("/controls")).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("id=\"checks-due\"") && list.contains("MFA enforced for all"), "a check due today is listed");
        let home = c.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(home.contains("Applicable Annex A controls implemented") && home.contains("Control checks due"));
        let soa = c.get(app.url("/soa")).send().await.unwrap().text().await.unwrap();
        assert!(soa.contains("id=\"a-8.5\"") && soa.contains("Implemented"));
        let r = c.post(app.url("/soa/7.4")).form(&[("_csrf", csrf.as_str()), ("applicable", "no"), ("justification", ""), ("version", "0")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("id=\"justification-error\""));
        let r = c.post(app.url("/soa/7.4")).form(&[("_csrf", csrf.as_str()), ("applicable", "no"), ("justification", "No premises"), ("version", "0")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let rows = |html: &str| html.matches("<tr id=\"a-").count();
        let people = c.get(app.url("/soa?theme=People")).send().await.unwrap().text().await.unwrap();
        assert_eq!(rows(&people), 8, "the people controls");
        assert!(people.contains("8 of 93 Annex A controls match."));
        let excluded = c.get(app.url("/soa?applicability=excluded")).send().await.unwrap().text().await.unwrap();
        assert!(rows(&excluded) == 1 && excluded.contains("id=\"a-7.4\""), "{excluded}");
        let implemented = c.get(app.url("/soa?implementation=implemented&warning=1")).send().await.unwrap().text().await.unwrap();
        assert!(rows(&implemented) < 93);
        let r = c.post(app.url("/soa/versions")).form(&[("_csrf", csrf.as_str()), ("note", "First approval")]).send().await.unwrap();
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/soa?error="), "undecided controls block approval");
        decide_all(&app).await;
        let soa = c.get(app.url("/soa")).send().await.unwrap().text().await.unwrap();
        assert!(soa.contains("name=\"acknowledge_warnings\" required"), "the form asks to confirm the warnings");
        let r = c.post(app.url("/soa/versions")).form(&[("_csrf", csrf.as_str()), ("note", "First approval")]).send().await.unwrap();
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/soa?error="), "unacknowledged warnings block approval");
        let r = c.post(app.url("/soa/versions")).form(&[("_csrf", csrf.as_str()), ("note", "First approval"), ("acknowledge_warnings", "on")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/soa?notice="));
        let soa = c.get(app.url("/soa")).send().await.unwrap().text().await.unwrap();
        assert!(soa.contains("warnings acknowledged") || soa.contains("warning acknowledged"));
        for path in ["/controls", "/evidence", "/soa/print?version=1", "/soa/compare?from=1", "/soa/compare?from=1&to=", "/soa/compare?from=1&to=1", "/catalog/annex-a/8.5", "/crosswalks/nist-csf-2.0?coverage=gap", "/crosswalks/nist-sp800-53r5", "/soa/5.1"] {
            assert_eq!(c.get(app.url(path)).send().await.unwrap().status(), 200, "{path}");
        }
        let xlsx = c.get(app.url("/soa/export.xlsx?version=1")).send().await.unwrap();
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));

        app.member_token("val@acme.example", "viewer").await;
        let (viewer, vcsrf) = app.signed_in("val@acme.example").await;
        assert_eq!(viewer.get(app.url("/soa")).send().await.unwrap().status(), 200);
        let r = viewer.post(app.url("/soa/versions")).form(&[("_csrf", vcsrf.as_str()), ("note", "x")]).send().await.unwrap();
        assert_eq!(r.status(), 403);
    }
}

/// The CLI exports the SoA and stores evidence, refusing an unknown control.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_exports_the_soa_and_adds_evidence() {
    let app = spawn_app(Engine::Sqlite).await;
    let r = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/controls",
        json!({"name": "Backups", "annex": ["8.13"]}),
        None,
    )
    .await;
    assert_eq!(r.status(), 201);
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pawl"))
            .args(&app.db.cli_args)
            .args(args)
            .env("PAWL_LOG", "warn")
            .output()
            .unwrap()
    };
    let dir = crate::harness::TempDir::new();
    let out_csv = dir.0.join("soa.csv");
    let out = run(&[
        "soa",
        "export",
        "--org",
        "acme",
        "--format",
        "csv",
        "--output",
        out_csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = std::fs::read_to_string(&out_csv).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("Acme Ltd: Statement of Applicability, draft"),
        "{csv}"
    );
    let out_xlsx = dir.0.join("soa.xlsx");
    let out = run(&[
        "soa",
        "export",
        "--org",
        "acme",
        "--format",
        "xlsx",
        "--output",
        out_xlsx.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(std::fs::read(&out_xlsx).unwrap().starts_with(b"PK"));

    let file = dir.0.join("backup-report.pdf");
    std::fs::write(&file, b"%PDF-1.4 backup report").unwrap();
    let out = run(&[
        "evidence",
        "add",
        "--org",
        "acme",
        "--control",
        "C-0001",
        "--valid-until",
        "2030-01-01",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = get(&app, "/api/v1/evidence").await;
    assert_eq!(listed["items"][0]["file_name"], "backup-report.pdf");
    assert_eq!(listed["items"][0]["content_type"], "application/pdf");
    let out = run(&[
        "evidence",
        "add",
        "--org",
        "acme",
        "--control",
        "C-0042",
        file.to_str().unwrap(),
    ]);
    assert!(!out.status.success(), "an unknown control is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("C-0042"));
    let out = run(&[
        "--max-evidence-mb",
        "0",
        "evidence",
        "add",
        "--org",
        "acme",
        "--control",
        "C-0001",
        file.to_str().unwrap(),
    ]);
    assert!(!out.status.success(), "the CLI keeps the same size limit as the server");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("larger than 0 MB"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "evidence",
        "add",
        "--org",
        "acme",
        "--control",
        "C-0001",
        "--url",
        "https://example.com/backup-dashboard",
        "--title",
        "Backup dashboard",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("recorded https://example.com/backup-dashboard"));
    assert_eq!(get(&app, "/api/v1/evidence").await["total"], 2);
}

const FRAMEWORK: &str = "requirement,group,text,annex,clauses\n\
7.2.1,Conditions,Identify purposes,A.5.34,\n\
7.2.2,Conditions,Lawful basis,\"A.5.34; A.5.31\",\n\
7.4.5,Privacy by default,De-identify at the end,A.8.10; A.8.11,\n\
6.1,ISMS,Extend the ISMS,,6.1.2\n";

on_both_engines! {
    async fn frameworks_import_with_their_mapping_and_crosswalk_like_shipped_ones(engine: Engine) {
        use reqwest::Method;
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let put = |path: &str, body: &str| {
            app.api().put(app.url(path)).bearer_auth(t).header("content-type", "text/csv").body(body.to_owned()).send()
        };
        let r = put("/api/v1/crosswalks/iso27701?name=ISO%2FIEC%2027701", "requirement,annex,clauses\nX-1,A.9.9,\nX-1,,11.1\n").await.unwrap();
        assert_eq!(r.status(), 422);
        let report: Value = r.json().await.unwrap();
        assert_eq!(report["refused"], true);
        let errors: Vec<(i64, i64)> = report["errors"].as_array().unwrap().iter().map(|e| (e["line"].as_i64().unwrap(), e["column"].as_i64().unwrap())).collect();
        assert_eq!(errors, [(2, 2), (3, 1), (3, 3)], "{report}");
        assert_eq!(get(&app, "/api/v1/crosswalks").await["total"], 2, "a refused file writes nothing");
        let r = put("/api/v1/crosswalks/nist-csf-2.0?name=Mine", FRAMEWORK).await.unwrap();
        assert_eq!(r.status(), 422, "a shipped framework cannot be replaced");
        let r = put("/api/v1/crosswalks/iso27701?name=ISO%2FIEC%2027701&dry_run=true", FRAMEWORK).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["version"], Value::Null);
        let r = put("/api/v1/crosswalks/iso27701?name=ISO%2FIEC%2027701%20(our%20mapping)", FRAMEWORK).await.unwrap();
        assert_eq!(r.status(), 200);
        let report: Value = r.json().await.unwrap();
        assert_eq!((report["requirements"].as_i64(), report["version"].as_i64()), (Some(4), Some(1)));

        send(&app, Method::POST, "/api/v1/controls", json!({"name": "Privacy programme", "annex": ["5.34"], "status": "implemented"}), None).await;
        let cw = get(&app, "/api/v1/crosswalks/iso27701").await;
        assert_eq!(cw["name"], "ISO/IEC 27701 (our mapping)");
        let coverage: Vec<&str> = cw["items"].as_array().unwrap().iter().map(|r| r["coverage"].as_str().unwrap()).collect();
        assert_eq!(coverage, ["covered", "partial", "gap", "management_system"]);
        let list = get(&app, "/api/v1/crosswalks").await;
        assert!(list["items"].as_array().unwrap().iter().any(|f| f["key"] == "iso27701" && f["source"] == "imported"));

        let r = put("/api/v1/crosswalks/iso27701?name=ISO%2FIEC%2027701", "requirement,annex\n7.2.1,A.5.34\n").await.unwrap();
        assert_eq!(r.json::<Value>().await.unwrap()["version"], 2);
        assert_eq!(get(&app, "/api/v1/crosswalks/iso27701").await["total"], 1, "re-importing replaces");
        let history = get(&app, "/api/v1/history/framework/iso27701").await;
        assert_eq!(history["items"].as_array().unwrap().len(), 2);

        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let form = reqwest::multipart::Form::new().text("key", "dora").text("name", "DORA").part("file", reqwest::multipart::Part::bytes(b"requirement,annex\nArt.9,A.8.99\n".to_vec()).file_name("dora.csv"));
        let r = c.post(app.url(&format!("/crosswalks/import?_csrf={csrf}"))).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("line 2, column 2"));
        let form = reqwest::multipart::Form::new().text("key", "dora").text("name", "DORA").part("file", reqwest::multipart::Part::bytes(b"requirement,annex\nArt.9,A.8.8\n".to_vec()).file_name("dora.csv"));
        let r = c.post(app.url(&format!("/crosswalks/import?_csrf={csrf}"))).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let page = c.get(app.url("/crosswalks/dora")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Art.9") && page.contains(">DORA</a>"));
    }
}

/// The CLI imports a framework, naming each problem's line and column.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_imports_a_framework() {
    let app = spawn_app(Engine::Sqlite).await;
    let dir = crate::harness::TempDir::new();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pawl"))
            .args(&app.db.cli_args)
            .args([
                "framework",
                "import",
                "--org",
                "acme",
                "--key",
                "iso27701",
                "--name",
                "ISO/IEC 27701",
            ])
            .arg(file)
            .env("PAWL_LOG", "warn")
            .output()
            .unwrap()
    };
    let bad = dir.0.join("bad.csv");
    std::fs::write(&bad, "requirement,annex\n7.2.1,A.5.99\n").unwrap();
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.csv:2:2: error:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let good = dir.0.join("good.csv");
    std::fs::write(&good, FRAMEWORK).unwrap();
    let out = run(&good);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 requirements imported (version 1)"));
    assert_eq!(get(&app, "/api/v1/crosswalks/iso27701").await["total"], 4);
}

on_both_engines! {
    async fn evidence_over_the_size_limit_is_refused_and_leaves_no_file(engine: Engine) {
        let app = spawn_app_with(engine, |a| a.blobs.max_file = 64 * 1024).await;
        let t = &app.admin_token;
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t)
            .multipart(upload(&[("title", "Too big")], Some(("big.bin", vec![7u8; 200 * 1024]))))
            .send().await.unwrap();
        assert_eq!(r.status(), 422);
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "file", "{problem}");
        let tmp = app.db.dir.0.join("evidence").join("tmp");
        let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "no partial upload is left behind");
        assert_eq!(get(&app, "/api/v1/evidence").await["total"], 0);
        // Evidence refused after its file arrived leaves no file either.
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t)
            .multipart(upload(&[("url", "https://example.com/x"), ("valid_until", "someday")], Some(("small.txt", vec![b'a'; 1024]))))
            .send().await.unwrap();
        assert_eq!(r.status(), 422);
        let stored = |root: &std::path::Path| -> usize {
            std::fs::read_dir(root).map(|d| d.flatten().filter(|e| e.file_name() != "tmp").map(|e| std::fs::read_dir(e.path()).map(|x| x.count()).unwrap_or(0)).sum()).unwrap_or(0)
        };
        let root = app.db.dir.0.join("evidence");
        // Files are kept in the data folder on SQLite and in the database on PostgreSQL.
        let kept = || async {
            match &app.db.location {
                pawl_store::Location::SqliteFile(_) => stored(&root) as i64,
                pawl_store::Location::Postgres(url) => {
                    use sqlx::Connection;
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    sqlx::query_scalar::<_, i64>("SELECT COUNT(DISTINCT sha256) FROM evidence_chunks").fetch_one(&mut c).await.unwrap()
                }
            }
        };
        assert_eq!(kept().await, 0, "no blob without its record");
        assert_eq!(std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0), 0);
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t)
            .multipart(upload(&[("title", "Fits")], Some(("small.txt", vec![b'a'; 1024]))))
            .send().await.unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(kept().await, 1);
    }
}

on_both_engines! {
    async fn browser_forms_without_a_file_and_removed_records_behave(engine: Engine) {
        use reqwest::Method;
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let risk: Value = send(&app, Method::POST, "/api/v1/risks", json!({"title": "Supplier breach"}), None).await.json().await.unwrap();
        let c: Value = send(&app, Method::POST, "/api/v1/controls", json!({"name": "Supplier reviews", "annex": ["5.22"], "risks": [risk["id"]]}), None).await.json().await.unwrap();
        let control = c["id"].as_str().unwrap();

        // A browser sends an empty, nameless file part and empty text fields
        // when nothing is chosen: a link alone is fine.
        let form = reqwest::multipart::Form::new()
            .text("url", "https://example.com/supplier-report")
            .text("title", "Supplier report")
            .text("annex", "")
            .text("control", control.to_owned())
            .part("file", reqwest::multipart::Part::bytes(Vec::new()).file_name(""));
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let two = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(b"one".to_vec()).file_name("a.txt"))
            .part("file", reqwest::multipart::Part::bytes(b"two".to_vec()).file_name("b.txt"));
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(t).multipart(two).send().await.unwrap();
        assert_eq!(r.status(), 422, "one file per piece of evidence");

        let r = send(&app, Method::POST, &format!("/api/v1/controls/{control}/checks"), json!({"what": "Reviews done", "first_due": "2026-01-01"}), None).await;
        assert_eq!(r.status(), 201);
        assert_eq!(get(&app, "/api/v1/checks/due").await["total"], 1);

        // A retired risk leaves the control's links.
        let r = app.api().delete(app.url(&format!("/api/v1/risks/{}", risk["id"].as_str().unwrap()))).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(get(&app, &format!("/api/v1/controls/{control}")).await["risk_ids"], json!([]));

        // A removed control takes its checks with it.
        let r = send(&app, Method::DELETE, &format!("/api/v1/controls/{control}"), Value::Null, None).await;
        assert_eq!(r.status(), 204);
        assert_eq!(get(&app, "/api/v1/checks/due").await["total"], 0);
        let soa = get(&app, "/api/v1/soa").await;
        assert_eq!(row(&soa, "5.22")["implementation"], "not_started");
    }
}

on_both_engines! {
    async fn a_patch_changes_only_what_it_names(engine: Engine) {
        use reqwest::Method;
        let app = spawn_app(engine).await;
        let risk: Value = send(&app, Method::POST, "/api/v1/risks", json!({"title": "Laptop theft", "review_interval_days": 100000000}), None).await.json().await.unwrap();
        assert_eq!(risk["errors"][0]["field"], "review_interval_days", "an absurd interval is refused, not a crash: {risk}");
        let risk: Value = send(&app, Method::POST, "/api/v1/risks", json!({"title": "Laptop theft"}), None).await.json().await.unwrap();
        let rid = risk["id"].as_str().unwrap();

        let c: Value = send(&app, Method::POST, "/api/v1/controls", json!({"name": "Disk encryption", "annex": ["8.1"], "risks": [rid], "status": "implemented", "implemented_on": "2026-01-10"}), None).await.json().await.unwrap();
        let id = c["id"].as_str().unwrap();
        let r = send(&app, Method::PATCH, &format!("/api/v1/controls/{id}"), json!({"owner": ADMIN_EMAIL}), None).await;
        assert_eq!(r.status(), 200);
        let after: Value = r.json().await.unwrap();
        assert_eq!((after["status"].as_str(), after["implemented_on"].as_str()), (Some("implemented"), Some("2026-01-10")));
        assert_eq!((after["annex"].clone(), after["risk_ids"].clone()), (json!(["8.1"]), json!([rid])), "links are kept");
        assert_eq!(after["owner"], ADMIN_EMAIL);
        let r = send(&app, Method::PATCH, &format!("/api/v1/controls/{id}"), json!({"risks": []}), None).await;
        assert_eq!(r.json::<Value>().await.unwrap()["risk_ids"], json!([]), "an empty list clears");

        let a: Value = send(&app, Method::POST, "/api/v1/assets", json!({"name": "CRM", "confidentiality": 5, "integrity": 4, "owner": "Sales"}), None).await.json().await.unwrap();
        let r = send(&app, Method::PATCH, &format!("/api/v1/assets/{}", a["id"].as_str().unwrap()), json!({"location": "eu-west-1"}), None).await;
        let a: Value = r.json().await.unwrap();
        assert_eq!((a["confidentiality"].as_i64(), a["integrity"].as_i64(), a["owner"].as_str()), (Some(5), Some(4), Some("Sales")));
        assert_eq!(a["location"], "eu-west-1");

        let act: Value = send(&app, Method::POST, "/api/v1/treatment-actions", json!({"risk_id": rid, "description": "Roll out BitLocker", "owner": "IT", "due_date": "2027-01-31"}), None).await.json().await.unwrap();
        let r = send(&app, Method::PATCH, &format!("/api/v1/treatment-actions/{}", act["id"].as_str().unwrap()), json!({"status": "done"}), None).await;
        assert_eq!(r.status(), 200);
        let act: Value = r.json().await.unwrap();
        assert_eq!((act["status"].as_str(), act["owner"].as_str(), act["due_date"].as_str()), (Some("done"), Some("IT"), Some("2027-01-31")));

        // Evidence naming a control that does not exist leaves no file behind.
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(&app.admin_token)
            .multipart(upload(&[("control", "no-such-control")], Some(("scan.pdf", b"%PDF-1.4 scan".to_vec()))))
            .send().await.unwrap();
        assert_eq!(r.status(), 422);
        let root = app.db.dir.0.join("evidence");
        let stored: usize = std::fs::read_dir(&root).map(|d| d.flatten().filter(|e| e.file_name() != "tmp").count()).unwrap_or(0);
        assert_eq!(stored, 0, "no file without its record");

        // A stale SoA form says so above the form and keeps what was typed.
        let (b, csrf) = app.signed_in(ADMIN_EMAIL).await;
        send(&app, Method::PUT, "/api/v1/soa/7.4", json!({"applicable": true, "reasons": ["legal"]}), None).await;
        let r = b.post(app.url("/soa/7.4")).form(&[("_csrf", csrf.as_str()), ("applicable", "no"), ("justification", "No premises"), ("status_override", ""), ("version", "0")]).send().await.unwrap();
        assert_eq!(r.status(), 412);
        let html = r.text().await.unwrap();
        assert!(html.contains("alert-error") && html.contains("No premises"), "{html}");
        let r = b.post(app.url(&format!("/risks/{rid}/actions"))).form(&[("_csrf", csrf.as_str()), ("description", "Encrypt"), ("due_date", "next week")]).send().await.unwrap();
        assert_eq!(r.status(), 422, "the form checks a due date as the API does");
    }
}
