//! Performance evaluation end to end, on both engines (6.2, 9.1, 9.3):
//! metrics measured by hand, by scripts, from files and by pawl itself,
//! with "no data" where a register is empty; objectives following their
//! metrics; a management review whose pack is compiled live, frozen and
//! hashed at approval and compared with by the next; and readiness.

use crate::harness::{field_message, ok_as as ok, send, spawn_app, Engine};
use crate::on_both_engines;
use reqwest::Method;
use serde_json::json;

fn days(n: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(n)).to_string()
}

on_both_engines! {
    async fn metrics_are_entered_pushed_imported_and_computed(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let (status, p) = send(&app, &admin, Method::POST, "/api/v1/metrics", Some(json!({
            "title": "Click rate", "frequency": "monthly", "direction": "lower", "target": "5", "warning": "3"}))).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "warning").contains("at or above the target"), "{p}");
        let m = ok(&app, &admin, Method::POST, "/api/v1/metrics", Some(json!({
            "title": "Click rate", "unit": "%", "frequency": "monthly", "direction": "lower",
            "target": "5", "warning": "8", "critical": "12"}))).await;
        assert_eq!((m["status_now"].as_str(), m["next_due"].as_str()), (Some("no_data"), Some(days(0).as_str())));
        let id = m["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/metrics/{id}/measurements");
        let (status, p) = send(&app, &admin, Method::POST, &path, Some(json!({"value": "lots", "measured_on": days(2)}))).await;
        assert_eq!(status, 422);
        assert_eq!(p["errors"].as_array().unwrap().len(), 2, "the value and the future date: {p}");
        ok(&app, &admin, Method::POST, &path, Some(json!({"value": 9.5, "measured_on": days(-40)}))).await;
        let m = ok(&app, &admin, Method::GET, &format!("/api/v1/metrics/{id}"), None).await;
        assert_eq!((m["status_now"].as_str(), m["last_value"].as_str()), (Some("warning"), Some("9.5")));
        assert_eq!(m["next_due"], days(-9), "monthly: due a month after the last");

        // An objective measured by it follows it.
        let o = ok(&app, &admin, Method::POST, "/api/v1/objectives", Some(json!({
            "title": "Resist phishing", "target": "click rate under 5 %", "plan": "Drills", "owner": crate::harness::ADMIN_EMAIL,
            "due_date": days(200), "evaluation": "Quarterly"}))).await;
        let oid = o["id"].as_str().unwrap().to_owned();
        assert_eq!(o["progress"], "no_data");
        ok(&app, &admin, Method::POST, "/api/v1/links", Some(json!({"from": format!("metric:{id}"), "type": "measures", "to": format!("objective:{oid}")}))).await;
        assert_eq!(ok(&app, &admin, Method::GET, &format!("/api/v1/objectives/{oid}"), None).await["progress"], "at_risk");

        // A script pushes; the same day again replaces the value, the trail keeps both.
        ok(&app, &admin, Method::POST, &path, Some(json!({"value": "13"}))).await;
        ok(&app, &admin, Method::POST, &path, Some(json!({"value": "4,5 %", "note": "CI job"}))).await;
        let list = ok(&app, &admin, Method::GET, &path, None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");
        assert_eq!((list["items"][0]["value"].as_f64(), list["items"][0]["source"].as_str()), (Some(4.5), Some("api")));
        assert_eq!(ok(&app, &admin, Method::GET, &format!("/api/v1/metrics/{id}"), None).await["status_now"], "on_target");
        assert_eq!(ok(&app, &admin, Method::GET, &format!("/api/v1/objectives/{oid}"), None).await["progress"], "on_track");
        let events = ok(&app, &admin, Method::GET, &format!("/api/v1/audit/events?entity_id={id}&action=measure"), None).await;
        assert_eq!(events["items"].as_array().unwrap().len(), 3, "every measurement in the trail: {events}");

        // A file: every problem by line and column, all or nothing.
        let dir = crate::harness::TempDir::new();
        let bad = dir.0.join("bad.csv");
        std::fs::write(&bad, format!("metric,measured_on,value\nMET-0001,{},6\nMET-0001,{},six\n", days(-70), days(-100))).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pawl")).args(&app.db.cli_args)
            .args(["metric", "import", bad.to_str().unwrap(), "--org", "acme"]).env("PAWL_LOG", "warn").output().unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("bad.csv:3:3"), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(ok(&app, &admin, Method::GET, &path, None).await["items"].as_array().unwrap().len(), 2, "nothing recorded");
        let good = dir.0.join("good.csv");
        std::fs::write(&good, format!("metric,measured_on,value,by\nClick rate,{},6,drill tool\nMET-0001,{},7,drill tool\n", days(-70), days(-100))).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pawl")).args(&app.db.cli_args)
            .args(["metric", "import", good.to_str().unwrap(), "--org", "acme"]).env("PAWL_LOG", "warn").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let list = ok(&app, &admin, Method::GET, &path, None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 4);
        assert!(list["items"].as_array().unwrap().iter().any(|m| m["note"] == "by: drill tool" && m["source"] == "import"));

        // pawl's own: no data while the register is empty, never 0 % or 100 %.
        let lessons = ok(&app, &admin, Method::POST, "/api/v1/metrics", Some(json!({
            "title": "Lessons that drove a change", "built_in": "lessons_driven", "frequency": "monthly", "direction": "higher", "target": "80"}))).await;
        let lid = lessons["id"].as_str().unwrap().to_owned();
        let c = ok(&app, &admin, Method::POST, &format!("/api/v1/metrics/{lid}/compute"), None).await;
        assert!(c["value"].is_null() && c["measurement"].is_null(), "{c}");
        assert_eq!(ok(&app, &admin, Method::GET, &format!("/api/v1/metrics/{lid}"), None).await["status_now"], "no_data");
        let (status, _) = send(&app, &admin, Method::POST, &format!("/api/v1/metrics/{lid}/measurements"), Some(json!({"value": 50}))).await;
        assert_eq!(status, 409, "pawl computes it");
        let (status, _) = send(&app, &admin, Method::POST, &format!("/api/v1/metrics/{id}/compute"), None).await;
        assert_eq!(status, 409, "people measure it");
        ok(&app, &admin, Method::POST, "/api/v1/lessons", Some(json!({"title": "Test restores", "source": "other", "lesson": "x"}))).await;
        let c = ok(&app, &admin, Method::POST, &format!("/api/v1/metrics/{lid}/compute"), None).await;
        assert_eq!(c["value"].as_f64(), Some(0.0), "one lesson, none drove a change: {c}");
        assert_eq!(ok(&app, &admin, Method::GET, &format!("/api/v1/metrics/{lid}"), None).await["status_now"], "warning");

        // A breach becomes an improvement, linked to the metric.
        let imp = ok(&app, &admin, Method::POST, "/api/v1/improvements", Some(json!({
            "title": "Lessons change nothing", "description": "Below target", "source": "metric_breach", "source_record": "MET-0002"}))).await;
        let links = ok(&app, &admin, Method::GET, &format!("/api/v1/links?from=improvement:{}", imp["id"].as_str().unwrap()), None).await;
        assert!(links["items"].as_array().unwrap().iter().any(|l| l["to"]["kind"] == "metric" && l["to"]["id"] == lid.as_str()), "{links}");
        let staff = app.member_token("sam@example.com", "staff").await;
        let (status, _) = send(&app, &staff, Method::POST, &path, Some(json!({"value": 1}))).await;
        assert_eq!(status, 403);
    }
}

on_both_engines! {
    async fn a_review_pack_is_compiled_live_frozen_at_approval_and_compared_by_the_next(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let tom = app.member_token("tom@example.com", "contributor").await;
        let r = ok(&app, &admin, Method::POST, "/api/v1/management-reviews", Some(json!({
            "title": "Review H1", "planned_on": days(-10), "chair": crate::harness::ADMIN_EMAIL}))).await;
        let id = r["id"].as_str().unwrap().to_owned();
        let pack = ok(&app, &admin, Method::GET, &format!("/api/v1/management-reviews/{id}/pack"), None).await;
        assert_eq!(pack["frozen"], false);
        let sections = pack["pack"]["sections"].as_array().unwrap();
        assert_eq!(sections.len(), 11, "one per input of 9.3.2");
        let nc = sections.iter().find(|s| s["key"] == "nonconformities").unwrap();
        assert_eq!((nc["empty"].as_bool(), nc["summary"].as_str()), (Some(true), Some("The nonconformity register holds nothing.")));

        let moves = format!("/api/v1/management-reviews/{id}/transitions");
        let (status, p) = send(&app, &admin, Method::POST, &moves, Some(json!({"to": "held"}))).await;
        assert_eq!(status, 422);
        assert_eq!(p["errors"].as_array().unwrap().len(), 3, "held on, attendees, minutes: {p}");
        ok(&app, &admin, Method::PATCH, &format!("/api/v1/management-reviews/{id}"), Some(json!({
            "held_on": days(-9), "attendees": "CEO\nISMS manager", "minutes": "Risks reviewed."}))).await;
        ok(&app, &admin, Method::POST, &moves, Some(json!({"to": "held"}))).await;
        ok(&app, &admin, Method::POST, "/api/v1/nonconformities", Some(json!({
            "title": "Backups untested", "source": "internal_audit", "severity": "minor", "description": "x", "clauses": "8.1",
            "owner": crate::harness::ADMIN_EMAIL, "detected_on": days(-8), "due_date": days(30)}))).await;
        let d = ok(&app, &admin, Method::POST, "/api/v1/review-decisions", Some(json!({
            "review_id": "MR-0001", "decision": "Test restores quarterly", "decision_type": "improvement", "becomes": "improvement",
            "owner": crate::harness::ADMIN_EMAIL, "due_date": days(60)}))).await;
        let imp = d["improvement_id"].as_str().expect("the decision opened an improvement").to_owned();
        let imp = ok(&app, &admin, Method::GET, &format!("/api/v1/improvements/{imp}"), None).await;
        assert_eq!((imp["source"].as_str(), imp["source_record"].as_str()), (Some("management_review"), Some("MR-0001")));
        ok(&app, &admin, Method::POST, "/api/v1/review-decisions", Some(json!({
            "review_id": id, "decision": "Hire a second analyst", "decision_type": "resources", "becomes": "action",
            "owner": "tom@example.com", "due_date": days(-1)}))).await;

        let (status, _) = send(&app, &tom, Method::POST, &moves, Some(json!({"to": "approved"}))).await;
        assert_eq!(status, 403, "top management approves");
        let approved = ok(&app, &admin, Method::POST, &moves, Some(json!({"to": "approved"}))).await;
        let frozen = ok(&app, &admin, Method::GET, &format!("/api/v1/management-reviews/{id}/pack"), None).await;
        assert_eq!((frozen["frozen"].as_bool(), frozen["intact"].as_bool()), (Some(true), Some(true)));
        assert_eq!(frozen["sha256"], approved["pack_hash"]);
        assert_eq!(frozen["pack"]["decisions"].as_array().unwrap().len(), 2);
        let figure = |p: &serde_json::Value, section: &str, key: &str| {
            p["pack"]["sections"].as_array().unwrap().iter().find(|s| s["key"] == section).unwrap()["figures"]
                .as_array().unwrap().iter().find(|f| f["key"] == key).unwrap().clone()
        };
        assert_eq!(figure(&frozen, "nonconformities", "open")["value"], 1);
        let events = ok(&app, &admin, Method::GET, &format!("/api/v1/audit/events?entity_id={id}&action=freeze"), None).await;
        assert_eq!(events["items"].as_array().unwrap().len(), 1, "the freeze is in the trail: {events}");
        let mandatory = ok(&app, &admin, Method::GET, "/api/v1/mandatory-documents", None).await;
        let status = |reference: &str| mandatory["items"].as_array().unwrap().iter()
            .find(|i| i["reference"].as_str().unwrap().starts_with(reference)).map(|i| i["status"].as_str().unwrap().to_owned()).unwrap();
        assert_eq!((status("9.3.3"), status("10.2 f)")), ("covered".to_owned(), "covered".to_owned()), "the review and the register are the records 9.3.3 and 10.2 ask for");

        // Later records leave the frozen pack alone; the next review compares with it.
        ok(&app, &admin, Method::POST, "/api/v1/nonconformities", Some(json!({
            "title": "Leaver kept access", "source": "incident", "severity": "major", "description": "x", "clauses": "7.5", "annex_a": "5.18",
            "owner": crate::harness::ADMIN_EMAIL, "detected_on": days(-1), "due_date": days(20)}))).await;
        let again = ok(&app, &admin, Method::GET, &format!("/api/v1/management-reviews/{id}/pack"), None).await;
        assert_eq!(again["pack"], frozen["pack"]);
        let next = ok(&app, &admin, Method::POST, "/api/v1/management-reviews", Some(json!({"title": "Review H2", "planned_on": days(20)}))).await;
        let live = ok(&app, &admin, Method::GET, &format!("/api/v1/management-reviews/{}/pack", next["id"].as_str().unwrap()), None).await;
        assert_eq!(live["pack"]["previous"], "MR-0001");
        let open = figure(&live, "nonconformities", "open");
        assert_eq!((open["value"].as_i64(), open["previous"].as_i64(), open["change"].as_i64()), (Some(2), Some(1), Some(1)));
        let actions = figure(&live, "previous_actions", "overdue");
        assert_eq!(actions["value"], 1, "the earlier review's overdue decision: {live}");

        let r = app.api().get(app.url(&format!("/api/v1/management-reviews/{id}/pack.pdf"))).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
        let dir = crate::harness::TempDir::new();
        let out_file = dir.0.join("pack.pdf");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pawl")).args(&app.db.cli_args)
            .args(["review", "pack", "--org", "acme", "--review", "MR-0001", "--output", out_file.to_str().unwrap()])
            .env("PAWL_LOG", "warn").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("frozen pack"));
        assert!(std::fs::read(&out_file).unwrap().starts_with(b"%PDF-"));
    }
}

on_both_engines! {
    async fn readiness_names_what_is_missing_and_the_cycle_counts_the_review(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let r = ok(&app, &admin, Method::GET, "/api/v1/readiness", None).await;
        let item = |r: &serde_json::Value, key: &str| r["items"].as_array().unwrap().iter().find(|i| i["key"] == key).unwrap().clone();
        for key in ["soa", "management_review", "internal_audit", "objectives", "metrics", "risk_assessment"] {
            let i = item(&r, key);
            assert_eq!(i["state"], "missing", "{key}: {i}");
            assert!(i["href"].as_str().is_some_and(|h| h.starts_with('/')), "{key} links to its fix");
        }
        assert_eq!(item(&r, "evidence")["state"], "not_started", "no evidence: nothing expired, and nothing kept either");
        let staff = app.member_token("sam@example.com", "staff").await;
        assert_eq!(send(&app, &staff, Method::GET, "/api/v1/readiness", None).await.0, 403);

        let cycle = ok(&app, &admin, Method::POST, "/api/v1/cycles", Some(json!({"name": "This year", "starts_on": days(-100)}))).await;
        let status_path = format!("/api/v1/cycles/{}/status", cycle["id"].as_str().unwrap());
        let review_item = |s: &serde_json::Value| {
            s["phases"].as_array().unwrap().iter().flat_map(|p| p["items"].as_array().unwrap().clone())
                .find(|i| i["key"] == "management_review").unwrap()
        };
        assert_eq!(review_item(&ok(&app, &admin, Method::GET, &status_path, None).await)["status"], "not_met");
        let mr = ok(&app, &admin, Method::POST, "/api/v1/management-reviews", Some(json!({
            "title": "Review", "planned_on": days(-5), "held_on": days(-5), "attendees": "Board", "minutes": "Done"}))).await;
        ok(&app, &admin, Method::POST, &format!("/api/v1/management-reviews/{}/transitions", mr["id"].as_str().unwrap()), Some(json!({"to": "held"}))).await;
        assert_eq!(review_item(&ok(&app, &admin, Method::GET, &status_path, None).await)["status"], "met");
        assert_eq!(item(&ok(&app, &admin, Method::GET, "/api/v1/readiness", None).await, "management_review")["state"], "ready");
    }
}

on_both_engines! {
    async fn risks_above_acceptance_follow_the_method_after_treatment(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let metric = |code: &str| json!({"title": code, "built_in": code, "frequency": "monthly", "direction": "lower", "target": "0"});
        let above = ok(&app, &admin, Method::POST, "/api/v1/metrics", Some(metric("risks_above_acceptance"))).await;
        let overdue = ok(&app, &admin, Method::POST, "/api/v1/metrics", Some(metric("risks_overdue"))).await;
        let compute = |m: &serde_json::Value| format!("/api/v1/metrics/{}/compute", m["id"].as_str().unwrap());
        assert!(ok(&app, &admin, Method::POST, &compute(&above), None).await["value"].is_null(), "no risks: no data");
        // Critical before treatment and not yet assessed after: above.
        ok(&app, &admin, Method::POST, "/api/v1/risks", Some(json!({"title": "Ransomware", "likelihood": 4, "impact": 5}))).await;
        // Critical before, low after treatment: within the criteria.
        let treated = ok(&app, &admin, Method::POST, "/api/v1/risks", Some(json!({"title": "Phishing", "likelihood": 5, "impact": 5,
            "residual_likelihood": 1, "residual_impact": 2}))).await;
        // Medium: within the criteria, but past its review date.
        ok(&app, &admin, Method::POST, "/api/v1/risks", Some(json!({"title": "Laptop theft", "likelihood": 2, "impact": 3,
            "next_review": days(-3)}))).await;
        assert_eq!(ok(&app, &admin, Method::POST, &compute(&above), None).await["value"].as_f64(), Some(1.0));
        assert_eq!(ok(&app, &admin, Method::POST, &compute(&overdue), None).await["value"].as_f64(), Some(1.0));
        let id = treated["id"].as_str().unwrap();
        let r = app.api().patch(app.url(&format!("/api/v1/risks/{id}"))).bearer_auth(&admin)
            .json(&json!({"residual_likelihood": 5, "residual_impact": 5})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(ok(&app, &admin, Method::POST, &compute(&above), None).await["value"].as_f64(), Some(2.0), "treatment failed");
        let r = ok(&app, &admin, Method::GET, "/api/v1/readiness", None).await;
        let risks = r["items"].as_array().unwrap().iter().find(|i| i["key"] == "risk_assessment").unwrap().clone();
        assert_eq!((risks["state"].as_str(), risks["count"].as_i64()), (Some("overdue"), Some(1)), "{risks}");
    }
}

on_both_engines! {
    async fn a_manager_measures_computes_and_reads_the_pack_in_the_browser(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let m = ok(&app, &admin, Method::POST, "/api/v1/metrics", Some(json!({
            "title": "Patch rate", "unit": "%", "frequency": "monthly", "direction": "higher", "target": "95", "critical": "80"}))).await;
        let id = m["id"].as_str().unwrap().to_owned();
        let (c, csrf) = app.signed_in(crate::harness::ADMIN_EMAIL).await;
        let page = format!("/metrics/{id}/measurements");
        let r = c.post(app.url(&page)).form(&[("_csrf", csrf.as_str()), ("measured_on", ""), ("value", "ninety")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"m-value-error\"") && html.contains("ninety") && html.contains("is not a number"), "beside the field");
        let r = c.post(app.url(&page)).form(&[("_csrf", csrf.as_str()), ("measured_on", ""), ("value", "72")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let html = c.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Critical: 72 % on") && html.contains("<svg") && html.contains("Open an improvement for this breach"), "status by label, the trend and the breach");
        assert!(!html.contains("on_target") && !html.contains("no_data"));

        let built = ok(&app, &admin, Method::POST, "/api/v1/metrics", Some(json!({
            "title": "Lessons", "built_in": "lessons_driven", "frequency": "monthly", "direction": "higher", "target": "80"}))).await;
        let r = c.post(app.url(&format!("/metrics/{}/compute", built["id"].as_str().unwrap()))).form(&[("_csrf", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.contains("No+data") || to.contains("No%20data"), "{to}");

        let review = ok(&app, &admin, Method::POST, "/api/v1/management-reviews", Some(json!({"title": "Review", "planned_on": days(5)}))).await;
        let html = c.get(app.url(&format!("/management-reviews/{}/pack", review["id"].as_str().unwrap()))).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("9.3.2 d 2") && html.contains("Monitoring and measurement results") && html.contains("The nonconformity register holds nothing."));
        assert!(html.contains("Download the PDF"));
        let html = c.get(app.url("/readiness")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Statement of Applicability approved") && html.contains("Missing"));
        let home = c.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(home.contains("Audit readiness:") && home.contains("1 critical"), "the home page's metric status");
    }
}
