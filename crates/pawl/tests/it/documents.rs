//! Documented information end to end through the API, on both engines: the
//! hierarchy, versions through approval by someone other than their author,
//! publication, acknowledgement by the audience, reviews, comparison and
//! the mandatory documents.

use crate::harness::{field_message, ok_as, send, spawn_app, Engine, TestApp, ADMIN_EMAIL};
use crate::on_both_engines;
use reqwest::Method;
use serde_json::{json, Value};

/// As the administrator.
async fn ok(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    ok_as(app, &app.admin_token, method, path, body).await
}

async fn document(app: &TestApp, body: Value) -> String {
    ok(app, Method::POST, "/api/v1/documents", Some(body)).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

on_both_engines! {
    async fn documents_form_a_tree_of_four_levels(engine: Engine) {
        let app = spawn_app(engine).await;
        let policy = document(&app, json!({"title": "Information security policy", "level": "policy", "clauses": "5.2"})).await;
        let created = ok(&app, Method::GET, &format!("/api/v1/documents/{policy}"), None).await;
        assert_eq!(created["owner"], ADMIN_EMAIL, "the creator owns it when nobody is named");
        assert_eq!(created["reference"], "DOC-0001");
        let process = document(&app, json!({"title": "Access management", "level": "process", "parent_id": policy})).await;
        let procedure = document(&app, json!({"title": "Joiners and leavers", "level": "procedure", "parent_id": "DOC-0002"})).await;
        document(&app, json!({"title": "Disable an account", "level": "work_instruction", "parent_id": procedure})).await;

        let (status, p) = send(&app, &app.admin_token, Method::POST, "/api/v1/documents",
            Some(json!({"title": "Badges", "level": "procedure", "parent_id": policy}))).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "parent_id").contains("is a policy, but a procedure sits under a process"), "{p}");
        let (status, p) = send(&app, &app.admin_token, Method::POST, "/api/v1/documents",
            Some(json!({"title": "Second policy", "level": "policy", "parent_id": policy, "clauses": "5.2, 99.1", "audience": "wizards"}))).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "parent_id").contains("has no parent"), "{p}");
        assert!(field_message(&p, "clauses").contains("\"99.1\" is not in"), "{p}");
        assert!(field_message(&p, "audience").contains("\"wizards\""), "{p}");
        let (status, p) = send(&app, &app.admin_token, Method::PATCH, &format!("/api/v1/documents/{policy}"),
            Some(json!({"published_version": "9.9"}))).await;
        assert_eq!(status, 422, "derived fields are pawl's: {p}");

        let tree = ok(&app, Method::GET, &format!("/api/v1/documents/{policy}/tree"), None).await;
        let levels: Vec<(&str, i64)> = tree["items"].as_array().unwrap().iter()
            .map(|n| (n["level"].as_str().unwrap(), n["depth"].as_i64().unwrap())).collect();
        assert_eq!(levels, [("policy", 0), ("process", 1), ("procedure", 2), ("work_instruction", 3)]);
        let trace = ok(&app, Method::GET, &format!("/api/v1/documents/{procedure}/trace"), None).await;
        let up: Vec<&str> = trace["items"].as_array().unwrap().iter().map(|n| n["reference"].as_str().unwrap()).collect();
        assert_eq!(up, ["DOC-0003", "DOC-0002", "DOC-0001"]);

        let (status, p) = send(&app, &app.admin_token, Method::DELETE, &format!("/api/v1/documents/{process}"), None).await;
        assert_eq!(status, 409);
        assert!(p["detail"].as_str().unwrap().contains("DOC-0003 Joiners and leavers"), "the refusal names the children: {p}");
    }
}

on_both_engines! {
    async fn a_version_is_approved_by_someone_else_published_and_acknowledged(engine: Engine) {
        let app = spawn_app(engine).await;
        let approver = app.member_token("ciso@example.com", "manager").await;
        let staff = app.member_token("sam@example.com", "staff").await;
        let viewer = app.member_token("vic@example.com", "viewer").await;
        let id = document(&app, json!({"title": "Acceptable use", "level": "policy", "audience": "staff", "annex_a": "A.5.10"})).await;
        let versions = format!("/api/v1/documents/{id}/versions");

        let (status, p) = send(&app, &app.admin_token, Method::POST, &versions,
            Some(json!({"content": "Be careful.", "change_summary": "First issue", "approver": ADMIN_EMAIL}))).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "approver").contains("segregation of duties"), "{p}");
        let v = ok(&app, Method::POST, &versions, Some(json!({"content": "Lock your screen.\n\nReport lost laptops.",
            "change_summary": "First issue", "approver": "ciso@example.com", "reviewers": ["vic@example.com"]}))).await;
        assert_eq!((v["number"].as_str(), v["status"].as_str()), (Some("1.0"), Some("draft")));
        let (status, p) = send(&app, &app.admin_token, Method::POST, &versions, Some(json!({"content": "x", "change_summary": "again"}))).await;
        assert_eq!(status, 409, "one version in the works at a time: {p}");

        let mv = |to: &str| json!({"to": to});
        ok(&app, Method::POST, &format!("{versions}/1.0/transitions"), Some(mv("in_review"))).await;
        let work = ok(&app, Method::GET, "/api/v1/my-work", None).await;
        assert!(!work["items"].as_array().unwrap().iter().any(|w| w["role"] == "Approver"), "the author approves nothing");
        let (_, work) = send(&app, &approver, Method::GET, "/api/v1/my-work", None).await;
        assert!(work["items"].as_array().unwrap().iter().any(|w| w["role"] == "Approver" && w["title"].as_str().unwrap().contains("(version 1.0)")), "{work}");
        let (status, p) = send(&app, &app.admin_token, Method::POST, &format!("{versions}/1.0/transitions"), Some(mv("approved"))).await;
        assert_eq!(status, 403);
        assert!(p["detail"].as_str().unwrap().contains("segregation of duties"), "{p}");
        let (status, p) = send(&app, &app.admin_token, Method::POST, &format!("{versions}/1.0/transitions"), Some(mv("published"))).await;
        assert_eq!(status, 422, "{p}");
        assert!(field_message(&p, "status").contains("In review (in_review) cannot move to Published"), "{p}");
        let (status, _) = send(&app, &approver, Method::POST, &format!("{versions}/1.0/transitions"), Some(mv("approved"))).await;
        assert_eq!(status, 200);
        let published = ok(&app, Method::POST, &format!("{versions}/1.0/transitions"), Some(mv("published"))).await;
        assert!(published["published_at"].is_string());
        let doc = ok(&app, Method::GET, &format!("/api/v1/documents/{id}"), None).await;
        assert_eq!((doc["published_version"].as_str(), doc["working_version"].as_str()), (Some("1.0"), Some("")));
        assert!(doc["next_review"].is_string() && doc["ack_due"].is_string(), "{doc}");

        let (_, reading) = send(&app, &staff, Method::GET, "/api/v1/me/reading", None).await;
        assert_eq!(reading["items"][0]["acknowledged_at"], Value::Null, "{reading}");
        let (_, work) = send(&app, &staff, Method::GET, "/api/v1/my-work", None).await;
        let item = work["items"].as_array().unwrap().iter().find(|w| w["role"] == "To read and acknowledge").cloned().unwrap_or_default();
        assert_eq!(item["href"], format!("/read/{id}"), "{work}");
        let acks = format!("/api/v1/documents/{id}/acknowledgements");
        let (status, p) = send(&app, &viewer, Method::POST, &acks, None).await;
        assert_eq!(status, 403, "only the audience acknowledges: {p}");
        let (status, o) = send(&app, &staff, Method::POST, &acks, None).await;
        assert_eq!((status, o["acknowledged_version"].as_str()), (201, Some("1.0")), "{o}");
        let (status, _) = send(&app, &staff, Method::POST, &acks, None).await;
        assert_eq!(status, 409, "once per major version");

        // A minor version asks nobody again; a major one asks everyone.
        ok(&app, Method::POST, &versions, Some(json!({"content": "Lock your screen.\n\nReport lost laptops at once.", "change_summary": "Wording", "approver": "ciso@example.com"}))).await;
        ok(&app, Method::POST, &format!("{versions}/1.1/transitions"), Some(mv("in_review"))).await;
        send(&app, &approver, Method::POST, &format!("{versions}/1.1/transitions"), Some(mv("approved"))).await;
        ok(&app, Method::POST, &format!("{versions}/1.1/transitions"), Some(mv("published"))).await;
        let status_of = |all: &Value| all["items"].as_array().unwrap().iter().map(|v| (v["number"].as_str().unwrap().to_owned(), v["status"].as_str().unwrap().to_owned())).collect::<Vec<_>>();
        assert_eq!(status_of(&ok(&app, Method::GET, &versions, None).await), [("1.1".into(), "published".into()), ("1.0".into(), "superseded".into())]);
        let (_, list) = send(&app, &app.admin_token, Method::GET, &acks, None).await;
        let sam = list["items"].as_array().unwrap().iter().find(|o| o["person"] == "sam@example.com").cloned().unwrap();
        assert_eq!(sam["acknowledged_version"], "1.0", "1.0 answers for 1.1: {list}");

        ok(&app, Method::POST, &versions, Some(json!({"content": "Lock your screen.\n\nReport lost phones and laptops at once.", "change_summary": "Phones too", "major": true, "approver": "ciso@example.com"}))).await;
        ok(&app, Method::POST, &format!("{versions}/2.0/transitions"), Some(mv("in_review"))).await;
        send(&app, &approver, Method::POST, &format!("{versions}/2.0/transitions"), Some(mv("approved"))).await;
        ok(&app, Method::POST, &format!("{versions}/2.0/transitions"), Some(mv("published"))).await;
        let (_, reading) = send(&app, &staff, Method::GET, "/api/v1/me/reading", None).await;
        assert_eq!((reading["items"][0]["published_version"].as_str(), &reading["items"][0]["acknowledged_at"]), (Some("2.0"), &Value::Null), "{reading}");

        let diff = ok(&app, Method::GET, &format!("/api/v1/documents/{id}/diff?from=1.0&to=2.0"), None).await;
        let parts = diff["parts"].as_array().unwrap();
        assert!(parts.iter().any(|p| p["change"] == "added" && p["text"].as_str().unwrap().contains("phones")), "{diff}");
        assert!(parts.iter().any(|p| p["change"] == "same" && p["text"].as_str().unwrap().contains("Lock your screen")), "{diff}");
        let (status, p) = send(&app, &app.admin_token, Method::GET, &format!("/api/v1/documents/{id}/diff?from=1.0&to=7.0"), None).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "to").contains("no version 7.0"), "{p}");

        let report = ok(&app, Method::GET, "/api/v1/acknowledgements", None).await;
        assert_eq!(report["total"]["required"], 1, "{report}");
        assert_eq!(report["total"]["acknowledged"], 0);
        let csv = app.api().get(app.url("/api/v1/acknowledgements/export")).bearer_auth(&app.admin_token).send().await.unwrap().text().await.unwrap();
        assert!(csv.starts_with("Document,Title,Published version,Person") && csv.contains("sam@example.com"), "{csv}");
        assert_eq!(ok(&app, Method::GET, "/api/v1/audit/verify", None).await["intact"], true);
    }
}

on_both_engines! {
    async fn reviews_move_the_date_and_mandatory_documents_follow_the_soa(engine: Engine) {
        let app = spawn_app(engine).await;
        let id = document(&app, json!({"title": "Information security policy", "level": "policy", "clauses": "5.2", "review_months": 6})).await;
        let review = ok(&app, Method::POST, &format!("/api/v1/documents/{id}/reviews"), Some(json!({"outcome": "no_change", "note": "Still right"}))).await;
        let doc = ok(&app, Method::GET, &format!("/api/v1/documents/{id}"), None).await;
        assert_eq!(doc["next_review"], review["next_review"]);
        assert!(review["next_review"].as_str().unwrap() > review["reviewed_on"].as_str().unwrap());
        let (status, p) = send(&app, &app.admin_token, Method::POST, &format!("/api/v1/documents/{id}/reviews"), Some(json!({"outcome": "fine"}))).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "outcome").contains("no_change"), "{p}");

        let status_of = |all: &Value, reference: &str| all["items"].as_array().unwrap().iter()
            .find(|i| i["reference"].as_str().unwrap().starts_with(reference)).map(|i| i["status"].as_str().unwrap().to_owned()).unwrap();
        let before = ok(&app, Method::GET, "/api/v1/mandatory-documents", None).await;
        assert_eq!(before["items"].as_array().unwrap().len(), 27);
        assert_eq!(status_of(&before, "5.2"), "missing", "a draft covers nothing");
        let helper = app.member_token("ciso@example.com", "manager").await;
        let versions = format!("/api/v1/documents/{id}/versions");
        ok(&app, Method::POST, &versions, Some(json!({"content": "We protect information.", "change_summary": "First", "approver": "ciso@example.com"}))).await;
        ok(&app, Method::POST, &format!("{versions}/1.0/transitions"), Some(json!({"to": "in_review"}))).await;
        send(&app, &helper, Method::POST, &format!("{versions}/1.0/transitions"), Some(json!({"to": "approved"}))).await;
        ok(&app, Method::POST, &format!("{versions}/1.0/transitions"), Some(json!({"to": "published"}))).await;
        let r = app.api().put(app.url("/api/v1/soa/A.8.27")).bearer_auth(&app.admin_token)
            .json(&json!({"applicable": false, "justification": "We build no systems"})).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        let after = ok(&app, Method::GET, "/api/v1/mandatory-documents", None).await;
        assert_eq!(status_of(&after, "5.2"), "covered");
        assert_eq!(status_of(&after, "A.8.27"), "not_required");
        assert_eq!(status_of(&after, "A.8.9"), "missing");
    }
}

on_both_engines! {
    async fn a_version_can_be_a_pdf_kept_by_its_hash(engine: Engine) {
        let app = spawn_app(engine).await;
        app.member_token("ciso@example.com", "manager").await;
        let id = document(&app, json!({"title": "Business continuity plan", "level": "policy"})).await;
        let upload = |name: &'static str, bytes: &'static [u8]| {
            reqwest::multipart::Form::new()
                .text("change_summary", "Signed copy")
                .text("approver", "ciso@example.com")
                .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name))
        };
        let url = app.url(&format!("/api/v1/documents/{id}/versions/file"));
        let r = app.api().post(&url).bearer_auth(&app.admin_token).multipart(upload("plan.png", b"\x89PNG\r\n\x1a\n....")).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let p: Value = r.json().await.unwrap();
        assert!(field_message(&p, "file").contains("PDF, DOCX or ODT"), "{p}");
        let r = app.api().post(&url).bearer_auth(&app.admin_token).multipart(upload("plan.pdf", b"%PDF-1.7 the plan")).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        assert_eq!((v["number"].as_str(), v["file"]["content_type"].as_str()), (Some("1.0"), Some("application/pdf")), "{v}");
        let got = app.api().get(app.url(&format!("/api/v1/documents/{id}/versions/1.0/file"))).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.unwrap().as_ref(), b"%PDF-1.7 the plan");
        let (status, p) = send(&app, &app.admin_token, Method::GET, &format!("/api/v1/documents/{id}/diff?from=1.0&to=1.0"), None).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "from").contains("is a file"), "{p}");
    }
}

on_both_engines! {
    async fn what_a_document_shows_is_safe_and_its_owner_sees_reviews_due(engine: Engine) {
        let app = spawn_app(engine).await;
        let approver = app.member_token("ciso@example.com", "manager").await;
        app.member_token("sam@example.com", "staff").await;
        let id = document(&app, json!({"title": "Clear desk", "level": "policy", "audience": "everyone",
            "annex_a": "A.7.7", "classification": "internal"})).await;
        let versions = format!("/api/v1/documents/{id}/versions");
        let hostile = "# Clear desk\n\n<script>alert('x')</script>\n\n[click](javascript:alert(1)) and <img src=x onerror=alert(2)>\n\nLock papers away.";
        ok(&app, Method::POST, &versions, Some(json!({"content": hostile, "change_summary": "First issue", "approver": "ciso@example.com"}))).await;
        ok(&app, Method::POST, &format!("{versions}/1.0/transitions"), Some(json!({"to": "in_review"}))).await;
        send(&app, &approver, Method::POST, &format!("{versions}/1.0/transitions"), Some(json!({"to": "approved"}))).await;
        ok(&app, Method::POST, &format!("{versions}/1.0/transitions"), Some(json!({"to": "published"}))).await;

        // The pages render the Markdown and never the script, handler or link.
        let (staff, _) = app.signed_in("sam@example.com").await;
        let page = staff.get(app.url(&format!("/read/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Lock papers away."), "{page}");
        for bad in ["<script>alert", "javascript:", "<img"] {
            assert!(!page.contains(bad), "{bad} reached the page: {page}");
        }
        assert!(page.contains("&lt;img src=x onerror=alert(2)&gt;"), "raw HTML is shown as text");

        // The applied control it describes shows on the printable page.
        let control = ok(&app, Method::POST, "/api/v1/controls", Some(json!({"name": "Clear desk sweeps", "status": "implemented"}))).await;
        let cid = control["id"].as_str().unwrap();
        ok(&app, Method::POST, "/api/v1/links", Some(json!({"from": format!("document:{id}"), "type": "describes", "to": format!("applied_control:{cid}")}))).await;
        let (admin, _) = app.signed_in(ADMIN_EMAIL).await;
        let print = admin.get(app.url(&format!("/documents/{id}/print"))).send().await.unwrap().text().await.unwrap();
        assert!(print.contains("Describes Applied control") && print.contains("Clear desk sweeps"), "{print}");
        assert!(print.contains("A.7.7") && print.contains("Internal") && print.contains(ADMIN_EMAIL), "{print}");
        assert!(!print.contains("<script>alert"), "{print}");

        // A review date in the past puts the document in its owner's work, overdue.
        ok(&app, Method::PATCH, &format!("/api/v1/documents/{id}"), Some(json!({"next_review": "2026-01-31"}))).await;
        let work = ok(&app, Method::GET, "/api/v1/my-work", None).await;
        let item = work["items"].as_array().unwrap().iter().find(|w| w["id"] == id.as_str()).cloned().unwrap_or_default();
        assert_eq!((item["role"].as_str(), item["due"].as_str(), item["overdue"].as_bool()),
            (Some("Document owner"), Some("2026-01-31"), Some(true)), "{work}");
        let due = ok(&app, Method::GET, "/api/v1/documents?due_by=2026-12-01", None).await;
        assert_eq!(due["total"], 1, "{due}");

        // The auditor's export of acknowledgements is a real workbook.
        let r = app.api().get(app.url("/api/v1/acknowledgements/export?format=xlsx")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("an XLSX is a zip");
        let mut strings = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/sharedStrings.xml").unwrap(), &mut strings).unwrap();
        assert!(strings.contains("Version acknowledged") && strings.contains("sam@example.com") && strings.contains("Waiting"), "{strings}");
    }
}

on_both_engines! {
    async fn who_must_read_follows_the_audience_roles_and_members(engine: Engine) {
        let app = spawn_app(engine).await;
        let approver = app.member_token("ciso@example.com", "manager").await;
        app.member_token("sam@example.com", "staff").await;
        let id = document(&app, json!({"title": "Clean desk", "level": "policy", "audience": "staff"})).await;
        let versions = format!("/api/v1/documents/{id}/versions");
        ok(&app, Method::POST, &versions, Some(json!({"content": "Clear it.", "change_summary": "First", "approver": "ciso@example.com"}))).await;
        ok(&app, Method::POST, &format!("{versions}/1.0/transitions"), Some(json!({"to": "in_review"}))).await;
        send(&app, &approver, Method::POST, &format!("{versions}/1.0/transitions"), Some(json!({"to": "approved"}))).await;
        ok(&app, Method::POST, &format!("{versions}/1.0/transitions"), Some(json!({"to": "published"}))).await;
        async fn totals(app: &TestApp) -> (i64, i64) {
            let r = ok(app, Method::GET, "/api/v1/acknowledgements", None).await;
            (r["total"]["required"].as_i64().unwrap(), r["total"]["acknowledged"].as_i64().unwrap())
        }
        assert_eq!(totals(&app).await, (1, 0));
        let kim = app.member_token("kim@example.com", "staff").await;
        assert_eq!(totals(&app).await, (2, 0), "a newcomer in the audience is asked");
        let (status, _) = send(&app, &kim, Method::POST, &format!("/api/v1/documents/{id}/acknowledgements"), None).await;
        assert_eq!(status, 201);
        assert_eq!(totals(&app).await, (2, 1));
        let members = ok(&app, Method::GET, "/api/v1/members?q=kim", None).await;
        let kim_id = members["items"][0]["id"].as_str().unwrap().to_owned();
        ok(&app, Method::PATCH, &format!("/api/v1/members/{kim_id}"), Some(json!({"role": "viewer"}))).await;
        assert_eq!(totals(&app).await, (1, 0), "out of the audience, out of the report");
        ok(&app, Method::PATCH, &format!("/api/v1/documents/{id}"), Some(json!({"audience": "everyone"}))).await;
        assert_eq!(totals(&app).await, (4, 1), "everyone now, and kim's reading of 1.0 still counts");
        ok(&app, Method::DELETE, &format!("/api/v1/members/{kim_id}"), None).await;
        assert_eq!(totals(&app).await, (3, 0));
        ok(&app, Method::DELETE, &format!("/api/v1/documents/{id}"), None).await;
        assert_eq!(totals(&app).await, (0, 0), "a retired document asks no one");
    }
}
