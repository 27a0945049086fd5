//! The organisation around the ISMS end to end, on both engines (4.1-4.3,
//! 7.2, 7.3, A.5.19-5.30): issues in the organisation's chosen categories,
//! requirements addressed by links, a scope approved by someone other
//! than its author, training completions entered, pushed and imported
//! with my-work following them, supplier reviews dated by criticality,
//! and an exercise's gap raised as an improvement.

use crate::harness::{field_message, ok_as as ok, send, spawn_app, Engine};
use crate::on_both_engines;
use reqwest::Method;
use serde_json::{json, Value};

fn days(n: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(n)).to_string()
}

on_both_engines! {
    async fn issues_use_the_chosen_categories_and_requirements_follow_their_links(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let org = ok(&app, &admin, Method::GET, "/api/v1/organisation", None).await;
        assert_eq!(org["context_method"], "pestle");
        let (status, p) = send(&app, &admin, Method::PATCH, "/api/v1/organisation", Some(json!({"context_method": "porter"}))).await;
        assert_eq!(status, 422);
        field_message(&p, "context_method");
        ok(&app, &admin, Method::PATCH, "/api/v1/organisation", Some(json!({"context_method": "swot"}))).await;
        let (status, p) = send(&app, &admin, Method::POST, "/api/v1/context-issues", Some(json!({
            "title": "New privacy law", "origin": "external", "category": "legal", "effect": "More duties"}))).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "category").contains("SWOT"), "{p}");
        let issue = ok(&app, &admin, Method::POST, "/api/v1/context-issues", Some(json!({
            "title": "New privacy law", "origin": "external", "category": "threat", "effect": "More duties"}))).await;
        assert_eq!(issue["reference"], "ISS-0001");

        let party = ok(&app, &admin, Method::POST, "/api/v1/interested-parties", Some(json!({"name": "Customers", "type": "customer"}))).await;
        let req = ok(&app, &admin, Method::POST, "/api/v1/requirements", Some(json!({
            "party_id": "Customers", "title": "Breach notice within 24 hours", "type": "contractual"}))).await;
        assert_eq!((req["party_id"].as_str(), req["addressed"].as_str()), (party["id"].as_str(), Some("unaddressed")));
        assert_eq!(ok(&app, &admin, Method::GET, "/api/v1/requirements?addressed=unaddressed", None).await["total"], 1);
        let doc = ok(&app, &admin, Method::POST, "/api/v1/documents", Some(json!({"title": "Incident policy", "level": "policy"}))).await;
        let rid = req["id"].as_str().unwrap();
        let link = ok(&app, &admin, Method::POST, "/api/v1/links", Some(json!({
            "from": format!("document:{}", doc["id"].as_str().unwrap()), "type": "addresses", "to": format!("requirement:{rid}")}))).await;
        assert_eq!(ok(&app, &admin, Method::GET, &format!("/api/v1/requirements/{rid}"), None).await["addressed"], "addressed");
        send(&app, &admin, Method::DELETE, &format!("/api/v1/links/{}", link["id"].as_str().unwrap()), None).await;
        assert_eq!(ok(&app, &admin, Method::GET, &format!("/api/v1/requirements/{rid}"), None).await["addressed"], "unaddressed");
    }
}

on_both_engines! {
    async fn a_scope_version_is_approved_by_its_approver_and_supersedes_the_last(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let priya = app.member_token("priya@example.com", "manager").await;
        let (status, p) = send(&app, &admin, Method::POST, "/api/v1/scope", Some(json!({
            "title": "Scope v1", "statement": "All of Acme", "approver": crate::harness::ADMIN_EMAIL}))).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "approver").contains("segregation"), "{p}");
        let v1 = ok(&app, &admin, Method::POST, "/api/v1/scope", Some(json!({
            "title": "Scope v1", "statement": "All of Acme", "approver": "priya@example.com"}))).await;
        let id1 = v1["id"].as_str().unwrap().to_owned();
        ok(&app, &admin, Method::POST, &format!("/api/v1/scope/{id1}/transitions"), Some(json!({"to": "in_review"}))).await;
        let (status, p) = send(&app, &admin, Method::POST, &format!("/api/v1/scope/{id1}/transitions"), Some(json!({"to": "approved"}))).await;
        assert_eq!(status, 403, "only the approver it names approves it: {p}");
        let v1 = ok(&app, &priya, Method::POST, &format!("/api/v1/scope/{id1}/transitions"), Some(json!({"to": "approved"}))).await;
        assert_eq!((v1["status"].as_str(), v1["approved_on"].as_str()), (Some("approved"), Some(days(0).as_str())));
        let (status, _) = send(&app, &admin, Method::PATCH, &format!("/api/v1/scope/{id1}"), Some(json!({"statement": "Changed"}))).await;
        assert_eq!(status, 409, "an approved version is kept");
        let v2 = ok(&app, &admin, Method::POST, "/api/v1/scope", Some(json!({
            "title": "Scope v2", "statement": "All of Acme and its cloud", "approver": "priya@example.com"}))).await;
        let id2 = v2["id"].as_str().unwrap();
        ok(&app, &admin, Method::POST, &format!("/api/v1/scope/{id2}/transitions"), Some(json!({"to": "in_review"}))).await;
        ok(&app, &priya, Method::POST, &format!("/api/v1/scope/{id2}/transitions"), Some(json!({"to": "approved"}))).await;
        assert_eq!(ok(&app, &admin, Method::GET, &format!("/api/v1/scope/{id1}"), None).await["status"], "superseded");
        assert_eq!(ok(&app, &admin, Method::GET, "/api/v1/scope?status=approved", None).await["total"], 1, "one scope in force");
    }
}

on_both_engines! {
    async fn training_completions_entered_pushed_and_imported_clear_my_work(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let sam = app.member_token("sam@example.com", "staff").await;
        app.member_token("kim@example.com", "staff").await;
        let t = ok(&app, &admin, Method::POST, "/api/v1/trainings", Some(json!({
            "title": "Awareness 2026", "audience": "staff", "due_date": days(-5), "recurrence": "yearly"}))).await;
        let id = t["id"].as_str().unwrap().to_owned();
        assert_eq!(t["counts_from"], days(-370), "a yearly course counts for the year before it is due");
        let (status, p) = send(&app, &admin, Method::POST, "/api/v1/trainings", Some(json!({
            "title": "x", "audience": "nobody@else.example", "due_date": days(5), "recurrence": "once"}))).await;
        assert_eq!(status, 422);
        field_message(&p, "audience");
        let work = ok(&app, &sam, Method::GET, "/api/v1/my-work", None).await;
        let item = work["items"].as_array().unwrap().iter().find(|w| w["kind"] == "training").cloned().expect("training in my work");
        assert_eq!((item["role"].as_str(), item["overdue"].as_bool()), (Some("To complete"), Some(true)));

        let path = format!("/api/v1/trainings/{id}/completions");
        let (status, p) = send(&app, &admin, Method::POST, &path, Some(json!({"email": "sam@", "completed_on": days(3)}))).await;
        assert_eq!(status, 422);
        assert_eq!(p["errors"].as_array().unwrap().len(), 2, "the address and the future date: {p}");
        let (status, _) = send(&app, &admin, Method::POST, &path, Some(json!({"email": "sam@example.com", "completed_on": days(-400)}))).await;
        assert_eq!(status, 201);
        let status_now = ok(&app, &admin, Method::GET, &path, None).await;
        assert_eq!((status_now["required"].as_i64(), status_now["done"].as_i64()), (Some(2), Some(0)), "last year's completion does not count this round");
        ok(&app, &admin, Method::POST, &path, Some(json!({"email": "sam@example.com", "completed_on": days(-1), "notes": "LMS"}))).await;
        let (status, _) = send(&app, &admin, Method::POST, &path, Some(json!({"email": "sam@example.com", "completed_on": days(-1)}))).await;
        assert_eq!(status, 409);
        let work = ok(&app, &sam, Method::GET, "/api/v1/my-work", None).await;
        assert!(!work["items"].as_array().unwrap().iter().any(|w| w["kind"] == "training"), "done: {work}");

        let dir = crate::harness::TempDir::new();
        let bad = dir.0.join("bad.csv");
        std::fs::write(&bad, format!("campaign,email,completed_on\n{},kim@example.com,{}\nNo such course,kim@example.com,2026-01-01\n", t["reference"].as_str().unwrap(), days(-2))).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pawl")).args(&app.db.cli_args)
            .args(["training", "import", bad.to_str().unwrap(), "--org", "acme"]).env("PAWL_LOG", "warn").output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.csv:3:1") && err.contains("No such course"), "line and column: {err}");
        assert_eq!(ok(&app, &admin, Method::GET, &path, None).await["done"], 1, "all or nothing");
        let good = dir.0.join("good.csv");
        std::fs::write(&good, format!("campaign,email,completed_on,score\nAwareness 2026,kim@example.com,{},88\n", days(-2))).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pawl")).args(&app.db.cli_args)
            .args(["training", "import", good.to_str().unwrap(), "--org", "acme"]).env("PAWL_LOG", "warn").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let done = ok(&app, &admin, Method::GET, &path, None).await;
        assert_eq!(done["done"], 2);
        assert!(done["completions"].as_array().unwrap().iter().any(|c| c["notes"] == "score: 88" && c["source"] == "import"), "{done}");
        let kim = ok(&app, &admin, Method::GET, "/api/v1/training-completions?email=Kim@Example.com", None).await;
        assert_eq!(kim["items"].as_array().unwrap().len(), 1, "one person's completions over every campaign: {kim}");
        assert!(kim["items"][0]["training"].as_str().unwrap().ends_with("Awareness 2026"));
        let months = ok(&app, &admin, Method::GET, "/api/v1/training-completions/monthly", None).await;
        assert_eq!(months["items"].as_array().unwrap().len(), 12, "every month of the year, empty ones too");
        assert!(months["items"].as_array().unwrap().iter().map(|m| m["completions"].as_i64().unwrap()).sum::<i64>() >= 2);
        let (status, _) = send(&app, &admin, Method::GET, "/api/v1/training-completions/monthly?from=2026-13", None).await;
        assert_eq!(status, 422);
    }
}

on_both_engines! {
    async fn supplier_reviews_follow_criticality_and_exercises_raise_improvements(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let s = ok(&app, &admin, Method::POST, "/api/v1/suppliers", Some(json!({"name": "CloudCo", "criticality": "critical", "owner": crate::harness::ADMIN_EMAIL}))).await;
        assert_eq!(s["next_review"], days(0), "due diligence before anything else");
        let id = s["id"].as_str().unwrap().to_owned();
        let (status, p) = send(&app, &admin, Method::POST, &format!("/api/v1/suppliers/{id}/reviews"), Some(json!({
            "reviewed_on": days(1), "result": "fine", "notes": ""}))).await;
        assert_eq!(status, 422);
        assert_eq!(p["errors"].as_array().unwrap().len(), 3, "{p}");
        ok(&app, &admin, Method::POST, &format!("/api/v1/suppliers/{id}/reviews"), Some(json!({
            "reviewed_on": days(-10), "result": "satisfactory", "notes": "SOC 2 report read"}))).await;
        let s = ok(&app, &admin, Method::GET, &format!("/api/v1/suppliers/{id}"), None).await;
        assert_eq!((s["last_review"].as_str(), s["next_review"].as_str()), (Some(days(-10).as_str()), Some(days(172).as_str())));
        let s = ok(&app, &admin, Method::PATCH, &format!("/api/v1/suppliers/{id}"), Some(json!({"criticality": "low"}))).await;
        assert_eq!(s["next_review"], days(1085), "a low-criticality supplier every three years");
        let (status, _) = send(&app, &admin, Method::PATCH, &format!("/api/v1/suppliers/{id}"), Some(json!({"next_review": days(900)}))).await;
        assert_eq!(status, 422, "pawl sets the review dates");
        ok(&app, &admin, Method::POST, "/api/v1/supplier-failures", Some(json!({"supplier_id": "CloudCo", "title": "Outage", "impact": "high"}))).await;
        let lesson = ok(&app, &admin, Method::POST, "/api/v1/lessons", Some(json!({
            "title": "Have a second provider", "source": "supplier_failure", "source_record": "SF-0001", "lesson": "x"}))).await;
        assert_eq!(lesson["source_record"], "SF-0001");

        let ex = ok(&app, &admin, Method::POST, "/api/v1/exercises", Some(json!({"title": "Ransomware tabletop", "type": "tabletop", "scenario": "Files encrypted"}))).await;
        let moves = format!("/api/v1/exercises/{}/transitions", ex["id"].as_str().unwrap());
        let (status, p) = send(&app, &admin, Method::POST, &moves, Some(json!({"to": "held"}))).await;
        let named: Vec<&str> = p["errors"].as_array().map(|e| e.iter().map(|e| e["field"].as_str().unwrap()).collect()).unwrap_or_default();
        assert_eq!((status, named), (422, vec!["held_on", "participants"]));
        let imp = ok(&app, &admin, Method::POST, "/api/v1/improvements", Some(json!({
            "title": "Name who calls the insurer", "description": "Gap from the tabletop", "source": "exercise", "source_record": "EX-0001"}))).await;
        let links: Value = ok(&app, &admin, Method::GET, &format!("/api/v1/links?from=improvement:{}", imp["id"].as_str().unwrap()), None).await;
        assert!(links["items"].as_array().unwrap().iter().any(|l| l["to"]["kind"] == "exercise" && l["type"] == "derived_from"), "a link, not a copy: {links}");
    }
}
