//! The register machinery, tested once for every register: lists, changes,
//! workflows, links, evidence, exports, my-work and the API document, on
//! both engines. Assets and treatment actions stand in for every kind.

use crate::harness::{csrf_of, spawn_app, Engine, TestApp, ADMIN_EMAIL};
use crate::on_both_engines;
use reqwest::Method;
use serde_json::{json, Value};

async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut r = app.api().request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    if let Some(tag) = if_match {
        r = r.header("If-Match", tag);
    }
    r.send().await.unwrap()
}

async fn ok(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let r = call(app, &app.admin_token, method.clone(), path, body, None).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn problem(app: &TestApp, method: Method, path: &str, body: Option<Value>, status: u16) -> Value {
    let r = call(app, &app.admin_token, method.clone(), path, body, None).await;
    assert_eq!(r.status(), status, "{method} {path}");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    r.json().await.unwrap()
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn risk(app: &TestApp, title: &str, owner: &str) -> String {
    let r = ok(
        app,
        Method::POST,
        "/api/v1/risks",
        Some(json!({"title": title, "owner": owner})),
    )
    .await;
    r["id"].as_str().unwrap().to_owned()
}

on_both_engines! {
    async fn a_register_lists_filters_sorts_pages_and_searches(engine: Engine) {
        let app = spawn_app(engine).await;
        for (name, kind) in [("CRM", "application"), ("Laptops", "device"), ("HR files", "paper"), ("Billing", "application"),
            ("Office", "site"), ("Payroll 100% done", "application"), ("Backups", "service")] {
            ok(&app, Method::POST, "/api/v1/assets", Some(json!({"name": name, "asset_type": kind}))).await;
        }
        let all = ok(&app, Method::GET, "/api/v1/assets", None).await;
        assert_eq!(all["total"], 7);
        assert_eq!(names(&all), ["Backups", "Billing", "CRM", "HR files", "Laptops", "Office", "Payroll 100% done"], "by name by default");

        let apps = ok(&app, Method::GET, "/api/v1/assets?asset_type=application,site&sort=name&order=desc", None).await;
        assert_eq!((apps["total"].as_i64(), names(&apps)), (Some(4), vec!["Payroll 100% done".into(), "Office".into(), "CRM".into(), "Billing".into()]));

        let mut seen = Vec::new();
        let mut path = "/api/v1/assets?limit=3&sort=updated_at".to_owned();
        loop {
            let page = ok(&app, Method::GET, &path, None).await;
            assert_eq!(page["total"], 7, "every page tells the whole count");
            seen.extend(names(&page));
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/assets?limit=3&sort=updated_at&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 7, "keyset pages neither skip nor repeat: {seen:?}");
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 7);

        let found = ok(&app, Method::GET, "/api/v1/assets?q=bill", None).await;
        assert_eq!(names(&found), ["Billing"]);
        let words = ok(&app, Method::GET, "/api/v1/assets?q=hr%20fil", None).await;
        assert_eq!(names(&words), ["HR files"], "every word, as a word prefix");
        let literal = ok(&app, Method::GET, "/api/v1/assets?q=100%25", None).await;
        assert_eq!(names(&literal), ["Payroll 100% done"]);
        for wildcard in ["%25", "_", "*", "%22"] {
            let none = ok(&app, Method::GET, &format!("/api/v1/assets?q={wildcard}"), None).await;
            assert_eq!(none["total"], 0, "{wildcard} is no wildcard and matches nothing");
        }
        ok(&app, Method::PATCH, &format!("/api/v1/assets/{}", found["items"][0]["id"].as_str().unwrap()), Some(json!({"name": "Invoicing"}))).await;
        assert_eq!(ok(&app, Method::GET, "/api/v1/assets?q=bill", None).await["total"], 0, "the index follows a change");
        assert_eq!(names(&ok(&app, Method::GET, "/api/v1/assets?q=invoic", None).await), ["Invoicing"]);

        let p = problem(&app, Method::GET, "/api/v1/assets?colour=red", None, 422).await;
        assert!(p["errors"][0]["message"].as_str().unwrap().contains("filter by: asset_type, owner"), "{p}");
        let p = problem(&app, Method::GET, "/api/v1/assets?sort=password", None, 422).await;
        assert!(p["detail"].as_str().unwrap().contains("sort by one of: name"), "{p}");
        let p = problem(&app, Method::GET, "/api/v1/assets?q=%00", None, 422).await;
        assert_eq!(p["errors"][0]["field"], "q", "{p}");
    }
}

on_both_engines! {
    async fn changes_keep_what_they_leave_out_honour_if_match_and_retire(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = app.admin_token.clone();
        let r = call(&app, &t, Method::POST, "/api/v1/assets", Some(json!({"name": "CRM", "confidentiality": 5, "owner": ADMIN_EMAIL})), None).await;
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["etag"], "\"v1\"");
        let a: Value = r.json().await.unwrap();
        let id = a["id"].as_str().unwrap().to_owned();
        assert!(a["owner_user_id"].is_string(), "an owner named by a member's address is that member: {a}");

        let p = problem(&app, Method::POST, "/api/v1/assets", Some(json!({"name": "crm2", "integrity": 9, "size": "big", "description": "x".repeat(5001)})), 422).await;
        let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["size", "description", "integrity"], "every problem at once, each naming its field: {p}");
        let p = problem(&app, Method::POST, "/api/v1/assets", Some(json!({"name": "crm2", "description": "x\u{0}y"})), 422).await;
        assert_eq!(p["errors"][0]["field"], "description", "control characters are refused at the edge: {p}");
        let p = problem(&app, Method::POST, "/api/v1/assets", Some(json!({"name": "CRM"})), 409).await;
        assert!(p["detail"].as_str().unwrap().contains("name \"CRM\""), "{p}");
        let p = problem(&app, Method::POST, "/api/v1/assets", Some(json!({"name": "a".repeat(201)})), 422).await;
        assert!(p["errors"][0]["message"].as_str().unwrap().contains("200 characters"));

        let r = call(&app, &t, Method::PATCH, &format!("/api/v1/assets/{id}"), Some(json!({"location": "eu-west-1"})), Some("\"v1\"")).await;
        assert_eq!(r.status(), 200);
        let a: Value = r.json().await.unwrap();
        assert_eq!((a["name"].as_str(), a["confidentiality"].as_i64(), a["location"].as_str(), a["version"].as_i64()),
            (Some("CRM"), Some(5), Some("eu-west-1"), Some(2)), "a field left out keeps its value");
        let r = call(&app, &t, Method::PATCH, &format!("/api/v1/assets/{id}"), Some(json!({"location": "elsewhere"})), Some("\"v1\"")).await;
        assert_eq!(r.status(), 412);
        assert_eq!(r.headers()["etag"], "\"v2\"", "a stale If-Match learns the current version");
        let r = call(&app, &t, Method::PATCH, &format!("/api/v1/assets/{id}"), Some(json!({"location": "eu-west-1"})), Some("\"v2\"")).await;
        assert_eq!(r.json::<Value>().await.unwrap()["version"], 2, "a change that changes nothing is no new version");

        let r = call(&app, &t, Method::DELETE, &format!("/api/v1/assets/{id}"), None, Some("\"v2\"")).await;
        assert_eq!(r.status(), 204);
        problem(&app, Method::GET, &format!("/api/v1/assets/{id}"), None, 404).await;
        assert_eq!(ok(&app, Method::GET, "/api/v1/assets", None).await["total"], 0, "the kept count follows retirement");
        ok(&app, Method::POST, "/api/v1/assets", Some(json!({"name": "CRM"}))).await;
        assert_eq!(ok(&app, Method::GET, "/api/v1/assets", None).await["total"], 1, "a retired name may be used again");

        let history = ok(&app, Method::GET, &format!("/api/v1/history/asset/{id}"), None).await;
        let events = history["items"].as_array().unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["create", "update", "delete"]);
        let update = &events[1];
        assert_eq!((update["before"]["location"].as_str(), update["after"]["location"].as_str()), (Some(""), Some("eu-west-1")), "{update}");
        let verify = ok(&app, Method::GET, "/api/v1/audit/verify", None).await;
        assert_eq!(verify["intact"], true, "{verify}");
    }
}

on_both_engines! {
    async fn workflow_moves_are_declared_and_row_rules_hold_everywhere(engine: Engine) {
        let app = spawn_app(engine).await;
        let rid = risk(&app, "Lost laptop", ADMIN_EMAIL).await;
        let a = ok(&app, Method::POST, "/api/v1/treatment-actions", Some(json!({"risk_id": rid, "description": "Encrypt disks", "due_date": "2027-01-31"}))).await;
        let id = a["id"].as_str().unwrap().to_owned();
        assert_eq!(a["status"], "open", "a new record starts in the workflow's first state");
        let p = problem(&app, Method::POST, "/api/v1/treatment-actions", Some(json!({"risk_id": "nope", "description": "x"})), 422).await;
        assert_eq!(p["errors"][0]["field"], "risk_id", "{p}");

        let moved = ok(&app, Method::POST, &format!("/api/v1/treatment-actions/{id}/transitions"), Some(json!({"to": "done"}))).await;
        assert_eq!(moved["status"], "done");
        let p = problem(&app, Method::POST, &format!("/api/v1/treatment-actions/{id}/transitions"), Some(json!({"to": "open"})), 422).await;
        let msg = p["errors"][0]["message"].as_str().unwrap();
        assert!(msg.contains("Done (done)") && msg.contains("it can move to: In progress (in_progress)"), "{msg}");
        let p = problem(&app, Method::PATCH, &format!("/api/v1/treatment-actions/{id}"), Some(json!({"risk_id": "other"})), 422).await;
        assert!(p["errors"][0]["message"].as_str().unwrap().contains("cannot be changed"), "{p}");
        assert_eq!(ok(&app, Method::GET, "/api/v1/treatment-actions?status=done", None).await["total"], 1);
        assert_eq!(ok(&app, Method::GET, "/api/v1/treatment-actions?status=open,in_progress", None).await["total"], 0);
        problem(&app, Method::GET, "/api/v1/treatment-actions?status=finished", None, 422).await;
        problem(&app, Method::POST, &format!("/api/v1/assets/{id}/transitions"), Some(json!({"to": "done"})), 404).await;

        // A contributor may change only the actions of risks they own,
        // through the generic API as through the risk's page.
        let tom = app.member_token("tom@acme.example", "contributor").await;
        let r = call(&app, &tom, Method::PATCH, &format!("/api/v1/treatment-actions/{id}"), Some(json!({"description": "mine now"})), None).await;
        assert_eq!(r.status(), 403);
        let r = call(&app, &tom, Method::POST, "/api/v1/treatment-actions", Some(json!({"risk_id": rid, "description": "sneak"})), None).await;
        assert_eq!(r.status(), 403);
        let auditor = app.member_token("ann@audit.example", "auditor").await;
        let r = call(&app, &auditor, Method::POST, "/api/v1/assets", Some(json!({"name": "x"})), None).await;
        assert_eq!(r.status(), 403, "the route policy covers every register");
        let r = call(&app, &auditor, Method::GET, "/api/v1/assets", None, None).await;
        assert_eq!(r.status(), 200);

        // The UI offers the moves the state allows, in words.
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let page = c.get(app.url(&format!("/treatment-actions/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(">Reopen</button>") && !page.contains(">Mark done</button>"), "{page}");
        assert!(page.contains("Done") && !page.contains(">done<"), "labels, not codes");
        let r = c.post(app.url(&format!("/treatment-actions/{id}/transition"))).form(&[("_csrf", csrf.as_str()), ("to", "in_progress"), ("version", "2")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let list = c.get(app.url("/treatment-actions")).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("In progress") && list.contains("Lost laptop"), "the list names the risk and the state: {list}");
    }
}

on_both_engines! {
    async fn links_are_typed_shown_both_ways_and_kept_when_an_end_retires(engine: Engine) {
        let app = spawn_app(engine).await;
        let rid = risk(&app, "Ransomware", ADMIN_EMAIL).await;
        let a = ok(&app, Method::POST, "/api/v1/assets", Some(json!({"name": "File server"}))).await;
        let aid = a["id"].as_str().unwrap().to_owned();
        let l = ok(&app, Method::POST, "/api/v1/links", Some(json!({"from": format!("asset:{aid}"), "type": "relates_to", "to": format!("risk:{rid}"), "note": "holds the shares"}))).await;
        assert_eq!((l["from"]["title"].as_str(), l["to"]["reference"].as_str()), (Some("File server"), Some("R-0001")), "the answer names both ends as a read does");
        problem(&app, Method::POST, "/api/v1/links", Some(json!({"from": format!("asset:{aid}"), "type": "relates_to", "to": format!("risk:{rid}")})), 409).await;
        let p = problem(&app, Method::POST, "/api/v1/links", Some(json!({"from": format!("asset:{aid}"), "type": "fixes", "to": format!("risk:{rid}")})), 422).await;
        assert!(p["detail"].as_str().unwrap().contains("addresses, caused_by"), "{p}");
        problem(&app, Method::POST, "/api/v1/links", Some(json!({"from": format!("asset:{aid}"), "type": "relates_to", "to": "risk:missing"})), 422).await;
        problem(&app, Method::POST, "/api/v1/links", Some(json!({"from": format!("member:{aid}"), "type": "relates_to", "to": format!("risk:{rid}")})), 422).await;
        problem(&app, Method::GET, "/api/v1/links", None, 422).await;

        let from = ok(&app, Method::GET, &format!("/api/v1/links?from=asset:{aid}"), None).await;
        assert_eq!(from["items"][0]["to"]["reference"], "R-0001");
        assert_eq!(from["items"][0]["type"], "relates_to");
        let to = ok(&app, Method::GET, &format!("/api/v1/links?to=risk:{rid}"), None).await;
        assert_eq!(to["items"][0]["from"]["title"], "File server");

        ok(&app, Method::DELETE, &format!("/api/v1/assets/{aid}"), None).await;
        let to = ok(&app, Method::GET, &format!("/api/v1/links?to=risk:{rid}"), None).await;
        assert_eq!((to["total"].as_i64(), to["items"][0]["from"]["retired"].as_bool()), (Some(1), Some(true)), "a retired end keeps its link, marked");

        let (c, _) = app.signed_in(ADMIN_EMAIL).await;
        let a2 = ok(&app, Method::POST, "/api/v1/assets", Some(json!({"name": "Mail"}))).await;
        let a2id = a2["id"].as_str().unwrap().to_owned();
        let page = c.get(app.url(&format!("/assets/{a2id}"))).send().await.unwrap().text().await.unwrap();
        let csrf = csrf_of(&page);
        let r = c.post(app.url("/links")).form(&[("_csrf", csrf.as_str()), ("from", &format!("asset:{a2id}")), ("type", "derived_from"),
            ("to_kind", "risk"), ("to", "R-0001"), ("back", &format!("/assets/{a2id}"))]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let page = c.get(app.url(&format!("/assets/{a2id}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("is derived from</strong> risk <a href=\"/risks/"), "the link reads as words: {page}");
        let r = c.post(app.url("/links")).form(&[("_csrf", csrf.as_str()), ("from", &format!("asset:{a2id}")), ("type", "relates_to"),
            ("to_kind", "risk"), ("to", "R-9999"), ("back", "https://evil.example/")]).send().await.unwrap();
        assert_eq!(r.headers()["location"].to_str().unwrap().split('?').next(), Some("/"), "never sent to another site");

        ok(&app, Method::DELETE, &format!("/api/v1/links/{}", l["id"].as_str().unwrap()), None).await;
        let history = ok(&app, Method::GET, &format!("/api/v1/history/link/{}", l["id"].as_str().unwrap()), None).await;
        assert_eq!(history["total"], 2, "a link and its removal are both in the trail");

        // Another organisation's records cannot be linked, read or changed.
        let other = spawn_other_org(&app).await;
        let r = call(&app, &other, Method::GET, &format!("/api/v1/assets/{a2id}"), None, None).await;
        assert_eq!(r.status(), 404);
        let r = call(&app, &other, Method::GET, "/api/v1/assets", None, None).await;
        assert_eq!(r.json::<Value>().await.unwrap()["total"], 0);
        let mine = call(&app, &other, Method::POST, "/api/v1/assets", Some(json!({"name": "Theirs"})), None).await.json::<Value>().await.unwrap();
        let r = call(&app, &other, Method::POST, "/api/v1/links", Some(json!({"from": format!("asset:{}", mine["id"].as_str().unwrap()), "type": "relates_to", "to": format!("risk:{rid}")})), None).await;
        assert_eq!(r.status(), 422);
    }
}

/// An admin token of a second organisation on the same server.
async fn spawn_other_org(app: &TestApp) -> String {
    use pawl_domain::audit::Actor;
    let org = app
        .store()
        .create_organisation(
            &Actor::system("test"),
            &pawl_domain::identity::OrgSlug::parse("other").unwrap(),
            "Other Ltd",
        )
        .await
        .unwrap();
    let (m, _) = pawl_app::members::add_member(
        &app.app,
        &org.id,
        &Actor::system("test"),
        "boss@other.example",
        "admin",
        Some(crate::harness::PASSWORD),
    )
    .await
    .unwrap();
    pawl_app::auth::issue_token(&app.app, &org.id, &Actor::system("test"), &m.user_id, "t")
        .await
        .unwrap()
        .0
}

on_both_engines! {
    async fn my_work_gathers_what_names_me_overdue_first(engine: Engine) {
        let app = spawn_app(engine).await;
        let me = app.member_token("maya@acme.example", "manager").await;
        let rid = risk(&app, "Supplier outage", "maya@acme.example").await;
        for (what, due) in [("Later", "2099-06-30"), ("Long overdue", "2020-01-31"), ("Undated", "")] {
            ok(&app, Method::POST, "/api/v1/treatment-actions", Some(json!({"risk_id": rid, "description": what, "owner": "maya@acme.example", "due_date": due}))).await;
        }
        let done = ok(&app, Method::POST, "/api/v1/treatment-actions", Some(json!({"risk_id": rid, "description": "Finished", "owner": "maya@acme.example"}))).await;
        ok(&app, Method::POST, &format!("/api/v1/treatment-actions/{}/transitions", done["id"].as_str().unwrap()), Some(json!({"to": "done"}))).await;
        ok(&app, Method::POST, "/api/v1/treatment-actions", Some(json!({"risk_id": rid, "description": "Someone else's", "owner": ADMIN_EMAIL}))).await;
        ok(&app, Method::POST, "/api/v1/assets", Some(json!({"name": "Vendor portal", "owner": "maya@acme.example"}))).await;

        let r = call(&app, &me, Method::GET, "/api/v1/my-work", None, None).await;
        let work: Value = r.json().await.unwrap();
        let titles: Vec<&str> = work["items"].as_array().unwrap().iter().map(|w| w["title"].as_str().unwrap()).collect();
        assert_eq!(titles[0], "Long overdue", "{titles:?}");
        assert_eq!(work["items"][0]["overdue"], true);
        assert!(titles.iter().position(|t| *t == "Later") < titles.iter().position(|t| *t == "Undated"), "dated before undated: {titles:?}");
        for t in ["Supplier outage", "Vendor portal", "Undated"] {
            assert!(titles.contains(&t), "{t} is missing from {titles:?}");
        }
        assert!(!titles.contains(&"Finished") && !titles.contains(&"Someone else's"), "{titles:?}");

        let (c, _) = app.signed_in(ADMIN_EMAIL).await;
        let page = c.get(app.url("/my-work")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Someone else&#39;s") || page.contains("Someone else's"), "the admin sees their own work");
        assert!(!page.contains("Long overdue"));
    }
}

on_both_engines! {
    async fn exports_read_as_people_do_and_neutralise_formulas(engine: Engine) {
        let app = spawn_app(engine).await;
        ok(&app, Method::POST, "/api/v1/assets", Some(json!({"name": "=HYPERLINK(\"http://x\")", "asset_type": "app"}))).await;
        let rid = risk(&app, "Theft", ADMIN_EMAIL).await;
        ok(&app, Method::POST, "/api/v1/treatment-actions", Some(json!({"risk_id": rid, "description": "Lock the door", "due_date": "2027-03-01"}))).await;
        let r = call(&app, &app.admin_token, Method::GET, "/api/v1/assets/export?format=csv", None, None).await;
        assert_eq!(r.status(), 200);
        let csv = r.text().await.unwrap();
        assert!(csv.starts_with("Name,Type,Owner,System or location,Description,Confidentiality"), "{csv}");
        assert!(csv.contains("'=HYPERLINK"), "a formula is neutralised: {csv}");
        let r = call(&app, &app.admin_token, Method::GET, "/api/v1/treatment-actions/export?format=csv", None, None).await;
        let csv = r.text().await.unwrap();
        assert!(csv.lines().nth(1).unwrap().contains("Open,open"), "the state as a label, then its code: {csv}");
        assert!(csv.lines().nth(1).unwrap().starts_with("R-0001 Theft,"), "the risk by reference and title, not its id: {csv}");
        let (c, _) = app.signed_in(ADMIN_EMAIL).await;
        let r = c.get(app.url("/treatment-actions/export.xlsx")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.bytes().await.unwrap().starts_with(b"PK\x03\x04"));
        problem(&app, Method::GET, "/api/v1/assets/export?format=pdf", None, 422).await;

        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pawl"))
            .args(&app.db.cli_args)
            .args(["export", "treatment-actions", "--org", "acme", "--format", "xlsx", "--output"])
            .arg(app.db.dir.0.join("actions.xlsx"))
            .env("PAWL_LOG", "warn")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("exported 1 treatment actions"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pawl"))
            .args(&app.db.cli_args)
            .args(["export", "widgets", "--org", "acme", "--output", "/dev/null"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("there are: context-issues, interested-parties") && err.contains("assets, treatment-actions"), "{err}");
    }
}

on_both_engines! {
    async fn evidence_attaches_to_any_record(engine: Engine) {
        let app = spawn_app(engine).await;
        let a = ok(&app, Method::POST, "/api/v1/assets", Some(json!({"name": "CRM"}))).await;
        let aid = a["id"].as_str().unwrap();
        let form = reqwest::multipart::Form::new()
            .text("title", "Asset owner confirmation")
            .text("url", "https://intranet.example/crm-owner")
            .text("record", format!("asset:{aid}"));
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(&app.admin_token).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let form = reqwest::multipart::Form::new().text("url", "https://x.example/").text("record", "asset:missing");
        let r = app.api().post(app.url("/api/v1/evidence")).bearer_auth(&app.admin_token).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let (c, _) = app.signed_in(ADMIN_EMAIL).await;
        let page = c.get(app.url(&format!("/assets/{aid}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Asset owner confirmation"), "the record's page lists its evidence");
    }
}

#[tokio::test]
async fn every_declared_register_is_in_the_api_document() {
    let doc = serde_json::to_value(pawl_web::openapi_document()).unwrap();
    for kind in pawl_domain::register::KINDS {
        let base = format!("/api/v1/{}", kind.path);
        for (path, methods) in [
            (base.clone(), vec!["get", "post"]),
            (format!("{base}/{{id}}"), vec!["get", "patch", "delete"]),
            (format!("{base}/export"), vec!["get"]),
        ] {
            for m in methods {
                assert!(doc["paths"][&path][m].is_object(), "{m} {path} is not documented");
            }
        }
        if kind.workflow.is_some() {
            assert!(doc["paths"][format!("{base}/{{id}}/transitions")]["post"].is_object());
        }
        let name: String = kind.label.split(' ').map(|w| w[..1].to_uppercase() + &w[1..]).collect();
        for schema in [
            name.clone(),
            format!("{name}Input"),
            format!("{name}Patch"),
            format!("{name}List"),
        ] {
            assert!(
                doc["components"]["schemas"][&schema].is_object(),
                "schema {schema} is missing"
            );
        }
        for f in kind.fields {
            assert!(
                doc["components"]["schemas"][&name]["properties"][f.name].is_object(),
                "{name}.{} is undocumented",
                f.name
            );
        }
        let refused = &doc["paths"][&base]["post"]["responses"]["422"]["content"];
        assert!(
            refused["application/problem+json"].is_object(),
            "problems are documented as problem+json"
        );
    }
    assert_eq!(
        doc["components"]["schemas"]["Asset"]["properties"]["confidentiality"]["maximum"],
        5.0
    );
}
