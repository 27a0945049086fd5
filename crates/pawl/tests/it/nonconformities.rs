//! Nonconformity and corrective action end to end through the API, on
//! both engines (clause 10.2): no action plan before a root cause, actions
//! verified by someone other than their implementer and not before their
//! date, not effective reopens, closing needs every action verified and
//! the change recorded; recurrence (the same clause or control within a
//! year, never a cause category alone) flags both nonconformities.

use crate::harness::{field_message, ok_as as ok, send, spawn_app, Engine};
use crate::on_both_engines;
use reqwest::Method;
use serde_json::json;

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

on_both_engines! {
    async fn a_nonconformity_closes_only_when_its_actions_are_verified_effective(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let tom = app.member_token("tom@example.com", "contributor").await;
        let auditor = app.member_token("jo@audit.example", "auditor").await;
        let nc = ok(&app, &admin, Method::POST, "/api/v1/nonconformities", Some(json!({
            "title": "Backups never restored", "source": "internal_audit", "severity": "minor",
            "description": "No restore test in twelve months.", "clauses": "9.2", "annex_a": "8.13", "owner": "tom@example.com"}))).await;
        let id = nc["id"].as_str().unwrap().to_owned();
        assert_eq!((nc["reference"].as_str(), nc["status"].as_str(), nc["annex_a"].as_str()), (Some("NC-0001"), Some("open"), Some("A.8.13")));
        assert_eq!(nc["detected_on"], today(), "found today when no date is given");
        let mv = |to: &str| json!({"to": to});
        let transitions = format!("/api/v1/nonconformities/{id}/transitions");

        let (status, p) = send(&app, &admin, Method::POST, &transitions, Some(mv("actioned"))).await;
        assert_eq!(status, 403);
        assert!(p["detail"].as_str().unwrap().contains("no root cause recorded"), "{p}");

        let rc = format!("/api/v1/nonconformities/{id}/root-cause");
        let (status, p) = send(&app, &admin, Method::PUT, &rc, Some(json!({
            "statement": "x", "category": "luck", "five_whys": {"problem": "p", "whys": [{"why": "Why?", "because": ""}]}}))).await;
        assert_eq!(status, 422, "{p}");
        field_message(&p, "category");
        field_message(&p, "five_whys.whys[0].because");
        let analysis = ok(&app, &admin, Method::PUT, &rc, Some(json!({
            "statement": "Restore tests were never scheduled", "category": "process",
            "five_whys": {"problem": "Backups never restored", "whys": [
                {"why": "Why was no restore done?", "because": "Nobody was asked to"},
                {"why": "Why was nobody asked?", "because": "The backup procedure has no restore step"}]},
            "fishbone": {"problem": "No restore test", "bones": [{"category": "Process", "causes": ["No schedule"]}]},
            "fault_tree": {"top": {"event": "Restore untested", "gate": "and", "children": [{"event": "No schedule"}, {"event": "No owner"}]}},
            "barriers": [{"barrier": "Quarterly restore test", "expected": "Show a backup restores", "state": "missing"}]}))).await;
        assert_eq!(analysis["methods"], json!(["5 whys", "Fishbone", "Fault tree", "Barrier analysis"]));
        assert_eq!(analysis["version"], 1);
        let nc = ok(&app, &admin, Method::GET, &format!("/api/v1/nonconformities/{id}"), None).await;
        assert_eq!((nc["root_cause"].as_str(), nc["root_cause_category"].as_str()), (Some("Restore tests were never scheduled"), Some("process")));
        let (status, p) = send(&app, &admin, Method::PATCH, &format!("/api/v1/nonconformities/{id}"), Some(json!({"root_cause": "typed"}))).await;
        assert_eq!(status, 422, "the root cause comes from the analysis: {p}");

        let (status, p) = send(&app, &admin, Method::POST, &transitions, Some(mv("actioned"))).await;
        assert_eq!(status, 403);
        assert!(p["detail"].as_str().unwrap().contains("no corrective action"), "{p}");
        let (status, p) = send(&app, &admin, Method::POST, "/api/v1/corrective-actions", Some(json!({
            "nonconformity_id": "NC-0001", "description": "Schedule a quarterly restore test"}))).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "effectiveness_criteria").contains("cannot be empty"), "criteria are set when it is planned");
        let ca = ok(&app, &admin, Method::POST, "/api/v1/corrective-actions", Some(json!({
            "nonconformity_id": "NC-0001", "description": "Schedule a quarterly restore test", "owner": "tom@example.com",
            "effectiveness_criteria": "Two restore tests pass in a row", "verify_not_before": today()}))).await;
        let ca_id = ca["id"].as_str().unwrap().to_owned();
        assert_eq!((ca["reference"].as_str(), ca["status"].as_str()), (Some("CA-0001"), Some("planned")));
        let work = ok(&app, &tom, Method::GET, "/api/v1/my-work", None).await;
        assert!(work["items"].as_array().unwrap().iter().any(|w| w["id"] == ca_id.as_str() && w["role"] == "Action owner"), "{work}");
        ok(&app, &admin, Method::POST, &transitions, Some(mv("actioned"))).await;
        let (status, p) = send(&app, &admin, Method::POST, &transitions, Some(mv("awaiting_verification"))).await;
        assert_eq!(status, 403);
        assert!(p["detail"].as_str().unwrap().contains("CA-0001"), "{p}");

        let ca_moves = format!("/api/v1/corrective-actions/{ca_id}/transitions");
        let (status, p) = send(&app, &tom, Method::POST, &ca_moves, Some(mv("implemented"))).await;
        assert_eq!(status, 422);
        field_message(&p, "completion_evidence");
        ok(&app, &tom, Method::PATCH, &format!("/api/v1/corrective-actions/{ca_id}"), Some(json!({"completion_evidence": "Change CHG-118"}))).await;
        let done = ok(&app, &tom, Method::POST, &ca_moves, Some(mv("implemented"))).await;
        assert_eq!((done["implemented_by"].as_str(), done["implemented_on"].as_str()), (Some("tom@example.com"), Some(today().as_str())));
        ok(&app, &admin, Method::POST, &transitions, Some(mv("awaiting_verification"))).await;

        let verify = format!("/api/v1/corrective-actions/{ca_id}/verifications");
        let (status, p) = send(&app, &tom, Method::POST, &verify, Some(json!({"result": "effective", "notes": "Looks good"}))).await;
        assert_eq!(status, 403, "a contributor does not verify: {p}");
        let (status, p) = send(&app, &auditor, Method::POST, &verify, Some(json!({"result": "maybe", "notes": ""}))).await;
        assert_eq!(status, 422);
        field_message(&p, "result");
        field_message(&p, "notes");
        let v = ok(&app, &auditor, Method::POST, &verify, Some(json!({"result": "not_effective", "notes": "The second test failed", "evidence": "Restore log 2026-Q4"}))).await;
        assert_eq!(v["verifier"], "jo@audit.example");
        let ca = ok(&app, &admin, Method::GET, &format!("/api/v1/corrective-actions/{ca_id}"), None).await;
        assert_eq!(ca["status"], "not_effective");
        let nc = ok(&app, &admin, Method::GET, &format!("/api/v1/nonconformities/{id}"), None).await;
        assert_eq!(nc["status"], "reopened", "not effective reopens it for new actions");
        let (status, _) = send(&app, &auditor, Method::POST, &verify, Some(json!({"result": "effective", "notes": "again"}))).await;
        assert_eq!(status, 403, "a verified action is not verified twice");
        let (status, p) = send(&app, &admin, Method::POST, &transitions, Some(mv("actioned"))).await;
        assert_eq!(status, 403);
        assert!(p["detail"].as_str().unwrap().contains("new since the last one was found not effective"), "{p}");

        // A second action, owned and implemented by the administrator, verified no earlier than its date.
        let later = (time::OffsetDateTime::now_utc().date() + time::Duration::days(30)).to_string();
        let ca2 = ok(&app, &admin, Method::POST, "/api/v1/corrective-actions", Some(json!({
            "nonconformity_id": id, "description": "Add the restore step to the procedure", "owner": "admin@example.com",
            "effectiveness_criteria": "Restore step run in the next two quarters", "verify_not_before": later,
            "completion_evidence": "DOC-0007 version 2.0"}))).await;
        let ca2_id = ca2["id"].as_str().unwrap().to_owned();
        ok(&app, &admin, Method::POST, &transitions, Some(mv("actioned"))).await;
        let ca2_moves = format!("/api/v1/corrective-actions/{ca2_id}/transitions");
        ok(&app, &admin, Method::POST, &ca2_moves, Some(mv("implemented"))).await;
        let verify2 = format!("/api/v1/corrective-actions/{ca2_id}/verifications");
        let (status, p) = send(&app, &admin, Method::POST, &verify2, Some(json!({"result": "effective", "notes": "mine"}))).await;
        assert_eq!(status, 403);
        assert!(p["detail"].as_str().unwrap().contains("cannot verify it"), "the implementer never verifies: {p}");
        let (status, p) = send(&app, &auditor, Method::POST, &verify2, Some(json!({"result": "effective", "notes": "too soon"}))).await;
        assert_eq!(status, 403);
        assert!(p["detail"].as_str().unwrap().contains(&format!("from {later}")), "{p}");
        let (status, p) = send(&app, &admin, Method::PATCH, &format!("/api/v1/corrective-actions/{ca2_id}"), Some(json!({"verify_not_before": today()}))).await;
        assert_eq!(status, 422, "what the verifier judges by is fixed once implemented: {p}");
        field_message(&p, "verify_not_before");
        ok(&app, &admin, Method::POST, &ca2_moves, Some(mv("in_progress"))).await;
        ok(&app, &admin, Method::PATCH, &format!("/api/v1/corrective-actions/{ca2_id}"), Some(json!({"verify_not_before": today()}))).await;
        ok(&app, &admin, Method::POST, &ca2_moves, Some(mv("implemented"))).await;
        ok(&app, &auditor, Method::POST, &verify2, Some(json!({"result": "effective", "notes": "Two restores passed"}))).await;

        ok(&app, &admin, Method::POST, &transitions, Some(mv("awaiting_verification"))).await;
        let closure = ok(&app, &admin, Method::GET, &format!("/api/v1/nonconformities/{id}/closure"), None).await;
        assert_eq!(closure["can_close"], false);
        let (status, p) = send(&app, &admin, Method::POST, &transitions, Some(mv("closed"))).await;
        assert_eq!(status, 403);
        assert!(p["detail"].as_str().unwrap().contains("no change to the ISMS is recorded"), "{p}");
        let control = ok(&app, &admin, Method::POST, "/api/v1/controls", Some(json!({"name": "Quarterly restore test", "status": "implemented"}))).await;
        ok(&app, &admin, Method::POST, "/api/v1/links", Some(json!({"from": format!("corrective_action:{ca2_id}"), "type": "changed",
            "to": format!("applied_control:{}", control["id"].as_str().unwrap())}))).await;
        let closed = ok(&app, &admin, Method::POST, &transitions, Some(mv("closed"))).await;
        assert_eq!(closed["status"], "closed");
        let (status, _) = send(&app, &admin, Method::POST, "/api/v1/corrective-actions", Some(json!({
            "nonconformity_id": id, "description": "One more", "effectiveness_criteria": "x"}))).await;
        assert_eq!(status, 403, "a closed nonconformity takes no new actions");

        let (status, p) = send(&app, &admin, Method::DELETE, &format!("/api/v1/nonconformities/{id}"), None).await;
        assert_eq!(status, 409, "its actions would be left without it: {p}");
        assert!(p["detail"].as_str().unwrap().contains("CA-0001, CA-0002"), "{p}");

        let history = ok(&app, &admin, Method::GET, &format!("/api/v1/audit/events?entity_type=corrective_action&entity_id={ca_id}"), None).await;
        assert!(history["items"].as_array().unwrap().iter().any(|e| e["action"] == "verify"), "{history}");
        assert_eq!(ok(&app, &admin, Method::GET, "/api/v1/audit/verify", None).await["intact"], true);
    }
}

on_both_engines! {
    async fn an_organisation_may_allow_a_plan_before_the_root_cause(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let nc = ok(&app, &admin, Method::POST, "/api/v1/nonconformities", Some(json!({"title": "Badge lost", "source": "self_identified",
            "severity": "minor", "description": "d"}))).await;
        let id = nc["id"].as_str().unwrap();
        ok(&app, &admin, Method::POST, "/api/v1/corrective-actions", Some(json!({"nonconformity_id": id, "description": "Cancel the badge",
            "effectiveness_criteria": "Badge refused at the door"}))).await;
        let transitions = format!("/api/v1/nonconformities/{id}/transitions");
        let (status, _) = send(&app, &admin, Method::POST, &transitions, Some(json!({"to": "actioned"}))).await;
        assert_eq!(status, 403, "not by default");
        let org = ok(&app, &admin, Method::PATCH, "/api/v1/organisation", Some(json!({"allow_plan_without_root_cause": true}))).await;
        assert_eq!(org["allow_plan_without_root_cause"], true);
        ok(&app, &admin, Method::POST, &transitions, Some(json!({"to": "actioned"}))).await;
    }
}

on_both_engines! {
    async fn open_nonconformities_and_actions_age_in_bands(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let long_ago = (time::OffsetDateTime::now_utc().date() - time::Duration::days(100)).to_string();
        for (on, due) in [(today(), today()), (long_ago.clone(), long_ago)] {
            ok(&app, &admin, Method::POST, "/api/v1/nonconformities", Some(json!({"title": "t", "source": "monitoring",
                "severity": "minor", "description": "d", "detected_on": on, "due_date": due}))).await;
        }
        let ageing = ok(&app, &admin, Method::GET, "/api/v1/nonconformity-ageing", None).await;
        let bands: Vec<(String, i64, i64)> = ageing["nonconformities"].as_array().unwrap().iter()
            .map(|b| (b["band"].as_str().unwrap().to_owned(), b["open"].as_i64().unwrap(), b["overdue"].as_i64().unwrap())).collect();
        assert_eq!(bands, [("0-30 days".into(), 1, 0), ("31-90 days".into(), 0, 0), ("91-180 days".into(), 1, 1), ("over 180 days".into(), 0, 0)]);
        assert_eq!(ageing["corrective_actions"][0]["open"], 0);
        let (c, _) = app.signed_in(crate::harness::ADMIN_EMAIL).await;
        let page = c.get(app.url("/ageing")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("91-180 days") && page.contains("The overdue nonconformities"), "{page}");
    }
}

on_both_engines! {
    async fn nonconformities_on_the_same_requirement_within_a_year_recur(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let nc = |title: &str, clauses: &str, annex: &str, on: &str| {
            let body = json!({"title": title, "source": "self_identified", "severity": "minor", "description": "d",
                "clauses": clauses, "annex_a": annex, "detected_on": on});
            let app = &app;
            let admin = admin.clone();
            async move { ok(app, &admin, Method::POST, "/api/v1/nonconformities", Some(body)).await["id"].as_str().unwrap().to_owned() }
        };
        let a = nc("Access review skipped", "", "A.5.18", "2026-03-01").await;
        let b = nc("Leaver kept access", "", "A.5.18, A.8.2", "2026-10-15").await;
        let old = nc("Access review late", "", "A.5.18", "2024-01-10").await;
        let other = nc("Visitor log missing", "7.5.3", "A.7.2", "2026-09-01").await;
        let flag = |id: String| {
            let app = &app;
            let admin = admin.clone();
            async move { ok(app, &admin, Method::GET, &format!("/api/v1/nonconformities/{id}"), None).await["recurring"].as_str().unwrap().to_owned() }
        };
        assert_eq!(flag(a.clone()).await, "recurring");
        assert_eq!(flag(b.clone()).await, "recurring", "flagged on both");
        assert_eq!(flag(old.clone()).await, "", "more than twelve months before");
        assert_eq!(flag(other.clone()).await, "");
        let rec = ok(&app, &admin, Method::GET, &format!("/api/v1/nonconformities/{b}/recurrences"), None).await;
        let shared: Vec<&str> = rec["items"].as_array().unwrap().iter().map(|r| r["shared"].as_str().unwrap()).collect();
        assert_eq!(shared, ["control A.5.18"], "{rec}");
        let list = ok(&app, &admin, Method::GET, "/api/v1/nonconformities?recurring=recurring", None).await;
        assert_eq!(list["total"], 2, "{list}");

        // A shared root-cause category alone is no recurrence: "People"
        // spans requirements that have nothing to do with each other.
        for id in [&other, &old] {
            ok(&app, &admin, Method::PUT, &format!("/api/v1/nonconformities/{id}/root-cause"),
                Some(json!({"statement": "Training never covered it", "category": "people"}))).await;
        }
        ok(&app, &admin, Method::PATCH, &format!("/api/v1/nonconformities/{old}"), Some(json!({"detected_on": "2026-05-01"}))).await;
        assert_eq!(flag(other.clone()).await, "", "the visitor log and access reviews share only a cause category");
        let rec = ok(&app, &admin, Method::GET, &format!("/api/v1/nonconformities/{other}/recurrences"), None).await;
        assert_eq!(rec["items"], json!([]), "{rec}");
        assert_eq!(flag(old.clone()).await, "recurring", "moved into the window of those on A.5.18");
        // Retiring one clears those left with nothing to recur with.
        ok(&app, &admin, Method::DELETE, &format!("/api/v1/nonconformities/{a}"), None).await;
        assert_eq!(flag(b.clone()).await, "recurring", "still recurs with the moved one on A.5.18");
        ok(&app, &admin, Method::DELETE, &format!("/api/v1/nonconformities/{old}"), None).await;
        assert_eq!(flag(b).await, "", "nothing left to recur with");
        assert_eq!(flag(other).await, "");
    }
}

on_both_engines! {
    async fn the_root_cause_page_draws_each_method_and_names_a_bad_line(engine: Engine) {
        let app = spawn_app(engine).await;
        let nc = ok(&app, &app.admin_token, Method::POST, "/api/v1/nonconformities", Some(json!({
            "title": "Phishing click", "source": "incident", "severity": "major", "description": "d"}))).await;
        let id = nc["id"].as_str().unwrap();
        let (c, csrf) = app.signed_in(crate::harness::ADMIN_EMAIL).await;
        let url = app.url(&format!("/nonconformities/{id}/root-cause"));
        let form = |tree: &str| vec![
            ("_csrf", csrf.clone()), ("statement", "No phishing drills".into()), ("category", "people".into()),
            ("why_problem", "A clerk entered a password".into()), ("why", "Why?".into()), ("because", "The page looked real".into()),
            ("fish_problem", "Credential phished".into()), ("bone", "People".into()), ("causes", "No drills\nNew starter".into()),
            ("fault_tree", tree.into()),
            ("barrier", "Mail filter".into()), ("expected", "Block the mail".into()), ("barrier_state", "failed".into()), ("barrier_why", "New domain".into()),
        ];
        let r = c.post(&url).form(&form("Clicked\n  Child")).send().await.unwrap();
        let page = r.text().await.unwrap();
        assert!(page.contains("line 1: an event with events under it"), "the problem names the line");
        assert!(page.contains("No phishing drills"), "what was typed is kept");
        let r = c.post(&url).form(&form("OR: Password entered\n  Page looked real\n  No MFA prompt")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let page = c.get(&url).send().await.unwrap().text().await.unwrap();
        assert_eq!(page.matches("<svg").count(), 2, "a fishbone and a fault tree");
        assert!(page.contains(">OR<") && page.contains("No drills") && page.contains("Failed"), "{page}");
        let record = c.get(app.url(&format!("/nonconformities/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(record.contains("No phishing drills") && record.contains("Plan a corrective action"), "{record}");
    }
}

on_both_engines! {
    async fn the_same_analysis_saved_again_records_nothing(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let nc = ok(&app, &admin, Method::POST, "/api/v1/nonconformities", Some(json!({"title": "Badge lost", "source": "self_identified",
            "severity": "minor", "description": "d", "annex_a": "A.7.2"}))).await;
        let id = nc["id"].as_str().unwrap();
        let rc = format!("/api/v1/nonconformities/{id}/root-cause");
        let analysis = json!({"statement": "Badges are not collected from leavers", "category": "process",
            "five_whys": {"problem": "Badge lost", "whys": [{"why": "Why was it not returned?", "because": "Nobody asked for it"}]}});
        assert_eq!(ok(&app, &admin, Method::PUT, &rc, Some(analysis.clone())).await["version"], 1);
        assert_eq!(ok(&app, &admin, Method::PUT, &rc, Some(analysis)).await["version"], 1, "nothing changed, so no new version");
        let events = ok(&app, &admin, Method::GET, &format!("/api/v1/audit/events?entity_type=nonconformity&entity_id={id}"), None).await;
        let actions: Vec<&str> = events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions.iter().filter(|a| **a == "root_cause").count(), 1, "{actions:?}");
        assert_eq!(actions.iter().filter(|a| **a == "update").count(), 1, "the statement and category copied once: {actions:?}");
        let changed = ok(&app, &admin, Method::PUT, &rc, Some(json!({"statement": "Badges are not collected from leavers", "category": "people"}))).await;
        assert_eq!(changed["version"], 2, "a real change is a new version");
    }
}
