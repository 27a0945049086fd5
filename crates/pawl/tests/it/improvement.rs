//! Continual improvement end to end through the API, on both engines
//! (clause 10.1): an improvement's five steps with the fields each needs,
//! a skipped step only with its reason, an evaluation that finds the change
//! not effective sending it back; incidents and suggestions reported by
//! staff; lessons that drove a change; a cycle frozen when it closes.

use crate::harness::{field_message, ok_as as ok, send, spawn_app, Engine};
use crate::on_both_engines;
use reqwest::Method;
use serde_json::{json, Value};

fn mv(to: &str) -> Value {
    json!({"to": to})
}

fn errors_named(p: &Value) -> Vec<String> {
    let mut v: Vec<String> = p["errors"]
        .as_array()
        .map(|e| e.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

on_both_engines! {
    async fn an_improvement_goes_round_pdca_and_an_ineffective_evaluation_sends_it_back(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let item = ok(&app, &admin, Method::POST, "/api/v1/improvements", Some(json!({
            "title": "Phishing clicks too high", "description": "Drill click rate is 12 %."}))).await;
        let id = item["id"].as_str().unwrap().to_owned();
        assert_eq!((item["reference"].as_str(), item["status"].as_str(), item["source"].as_str(), item["phase"].as_str()),
            (Some("IMP-0001"), Some("identify"), Some("other"), Some("plan")), "a title and description are enough: {item}");
        let moves = format!("/api/v1/improvements/{id}/transitions");
        let (status, p) = send(&app, &admin, Method::POST, &moves, Some(mv("analyse"))).await;
        assert_eq!(status, 422, "{p}");
        assert_eq!(errors_named(&p), ["impact", "resources", "root_causes", "severity"], "every missing field is named");
        let (status, p) = send(&app, &admin, Method::PATCH, &format!("/api/v1/improvements/{id}"), Some(json!({"phase": "do"}))).await;
        assert_eq!((status, field_message(&p, "phase").contains("sets this")), (422, true), "the phase follows the step");
        let item = ok(&app, &admin, Method::PATCH, &format!("/api/v1/improvements/{id}"), Some(json!({
            "severity": "medium", "root_causes": "Drills measure but do not teach", "impact": "Real phishing succeeds",
            "resources": "An hour per drill", "status": "analyse"}))).await;
        assert_eq!((item["status"].as_str(), item["phase"].as_str()), (Some("analyse"), Some("plan")));
        let (status, p) = send(&app, &admin, Method::PATCH, &format!("/api/v1/improvements/{id}"), Some(json!({"root_causes": null}))).await;
        assert_eq!(status, 422, "a step keeps the fields it needs: {p}");
        field_message(&p, "root_causes");

        let (status, p) = send(&app, &admin, Method::POST, &moves, Some(mv("implement"))).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "reason").contains("needs a reason"), "skipping develop needs a reason: {p}");
        ok(&app, &admin, Method::PATCH, &format!("/api/v1/improvements/{id}"), Some(json!({
            "plan": "Course after each click", "roles": "Security lead", "target_date": "2026-11-30",
            "expected_outcome": "Click rate under 5 %", "status": "develop"}))).await;
        let item = ok(&app, &admin, Method::PATCH, &format!("/api/v1/improvements/{id}"), Some(json!({
            "changes": "Course assigned automatically", "status": "implement"}))).await;
        assert_eq!((item["phase"].as_str(), item["implemented_on"].is_string()), (Some("do"), true));
        ok(&app, &admin, Method::PATCH, &format!("/api/v1/improvements/{id}"), Some(json!({"measured_result": "9 % clicked"}))).await;
        let (status, p) = send(&app, &admin, Method::POST, &moves, Some(mv("evaluate"))).await;
        assert_eq!(status, 422);
        field_message(&p, "links");
        let asset = ok(&app, &admin, Method::POST, "/api/v1/assets", Some(json!({"name": "Awareness platform", "asset_type": "application"}))).await;
        ok(&app, &admin, Method::POST, "/api/v1/links", Some(json!({"from": format!("improvement:{id}"), "type": "changed",
            "to": format!("asset:{}", asset["id"].as_str().unwrap())}))).await;
        let item = ok(&app, &admin, Method::POST, &moves, Some(mv("evaluate"))).await;
        assert_eq!(item["phase"], "check");
        let board = ok(&app, &admin, Method::GET, "/api/v1/improvements/board?phase=check", None).await;
        let counts: Vec<i64> = board["columns"].as_array().unwrap().iter().map(|c| c["count"].as_i64().unwrap()).collect();
        assert_eq!(counts, [0, 0, 0, 0, 1, 0], "one column per step and one for the closed: {board}");
        assert_eq!(board["columns"][4]["cards"][0]["reference"], "IMP-0001");

        let item = ok(&app, &admin, Method::POST, &moves, Some(mv("analyse"))).await;
        assert_eq!((item["status"].as_str(), item["evaluation"].as_str(), item["sent_back"].as_i64(), item["phase"].as_str()),
            (Some("analyse"), Some("not_effective"), Some(1), Some("plan")), "not effective goes back to analysis: {item}");
        assert_eq!(item["measured_result"], "", "the next evaluation measures again");
        assert!(item["step_log"].as_str().unwrap().contains("not effective, back to analysis") && item["step_log"].as_str().unwrap().contains("9 % clicked"), "{item}");
        let (status, _) = send(&app, &admin, Method::POST, &moves, Some(mv("closed"))).await;
        assert_eq!(status, 422, "only an evaluation closes it");

        let other = ok(&app, &admin, Method::POST, "/api/v1/improvements", Some(json!({
            "title": "Retire the FTP server", "description": "Unused.", "source": "technology_change",
            "plan": "Switch off", "roles": "Ops", "target_date": "2026-12-31", "expected_outcome": "Server off"}))).await;
        let other_moves = format!("/api/v1/improvements/{}/transitions", other["id"].as_str().unwrap());
        let (status, p) = send(&app, &admin, Method::POST, &other_moves, Some(mv("develop"))).await;
        assert_eq!((status, field_message(&p, "reason").is_empty()), (422, false));
        let other = ok(&app, &admin, Method::POST, &other_moves, Some(json!({"to": "develop", "reason": "Nothing to analyse"}))).await;
        assert!(other["step_log"].as_str().unwrap().contains("skipped Analyse") && other["step_log"].as_str().unwrap().contains("Nothing to analyse"), "{other}");
        let (status, p) = send(&app, &admin, Method::POST, "/api/v1/improvements", Some(json!({
            "title": "From an NC", "description": "x", "source": "nonconformity", "source_record": "NC-0042"}))).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "source_record").contains("NC-0042"), "{p}");
        let board = ok(&app, &admin, Method::GET, "/api/v1/improvements/board?source=technology_change", None).await;
        assert_eq!(board["columns"][2]["count"], 1, "filtered by source: {board}");
        let (status, _) = send(&app, &admin, Method::GET, "/api/v1/improvements/board?phase=later", None).await;
        assert_eq!(status, 422);
        assert_eq!(ok(&app, &admin, Method::GET, "/api/v1/audit/verify", None).await["intact"], true);
    }
}

on_both_engines! {
    async fn staff_report_incidents_and_suggestions_and_read_the_decision(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let sam = app.member_token("sam@example.com", "staff").await;
        let inc = ok(&app, &sam, Method::POST, "/api/v1/incidents", Some(json!({
            "title": "Door left open", "description": "Server room open at night", "type": "near_miss"}))).await;
        let id = inc["id"].as_str().unwrap().to_owned();
        assert_eq!((inc["status"].as_str(), inc["reported_by"].as_str(), inc["type"].as_str()),
            (Some("reported"), Some("sam@example.com"), Some("near_miss")));
        let (status, p) = send(&app, &sam, Method::POST, "/api/v1/incidents", Some(json!({
            "title": "x", "description": "y", "type": "incident", "severity": "critical"}))).await;
        assert_eq!(status, 422, "a report has three fields: {p}");
        assert!(field_message(&p, "severity").contains("title, description, type"), "{p}");
        let (status, _) = send(&app, &sam, Method::GET, "/api/v1/incidents", None).await;
        assert_eq!(status, 403, "staff report; they do not read the register");
        let (status, _) = send(&app, &sam, Method::POST, "/api/v1/improvements", Some(json!({"title": "x", "description": "y"}))).await;
        assert_eq!(status, 403, "improvements take no reports");

        let moves = format!("/api/v1/incidents/{id}/transitions");
        let (status, p) = send(&app, &admin, Method::POST, &moves, Some(mv("triaged"))).await;
        assert_eq!((status, errors_named(&p)), (422, vec!["handler".to_owned(), "severity".to_owned()]), "{p}");
        ok(&app, &admin, Method::PATCH, &format!("/api/v1/incidents/{id}"), Some(json!({
            "severity": "low", "handler": "sam@example.com", "status": "triaged"}))).await;
        let timeline = format!("/api/v1/incidents/{id}/timeline");
        let (status, p) = send(&app, &admin, Method::POST, &timeline, Some(json!({"happened_at": "2999-01-01", "entry": "x"}))).await;
        assert_eq!(status, 422);
        field_message(&p, "happened_at");
        let (status, p) = send(&app, &admin, Method::POST, &timeline, Some(json!({"happened_at": "2026-01-01T25:00", "entry": ""}))).await;
        assert_eq!((status, errors_named(&p)), (422, vec!["entry".to_owned(), "happened_at".to_owned()]));
        ok(&app, &admin, Method::POST, &timeline, Some(json!({"happened_at": "2026-01-01T21:30", "entry": "Door found open"}))).await;
        let t = ok(&app, &admin, Method::GET, &timeline, None).await;
        let entries: Vec<&str> = t["items"].as_array().unwrap().iter().map(|e| e["entry"].as_str().unwrap()).collect();
        assert!(entries.contains(&"Door found open") && entries.contains(&"Reported by sam@example.com as near miss") && entries.contains(&"Triaged"), "{entries:?}");

        let hidden = ok(&app, &sam, Method::POST, "/api/v1/suggestions", Some(json!({
            "title": "Family password manager", "description": "People reuse passwords", "hidden": "yes"}))).await;
        assert_eq!(hidden["submitted_by"], "", "a hidden name reaches no page: {hidden}");
        let shown = ok(&app, &sam, Method::POST, "/api/v1/suggestions", Some(json!({
            "title": "Security champions", "description": "One per team"}))).await;
        assert_eq!(shown["submitted_by"], "sam@example.com");
        let list = ok(&app, &admin, Method::GET, "/api/v1/suggestions?q=password", None).await;
        assert!(!list.to_string().contains("sam@example.com"), "{list}");
        let hist = ok(&app, &admin, Method::GET, &format!("/api/v1/history/suggestion/{}", hidden["id"].as_str().unwrap()), None).await;
        assert!(hist["items"][0]["actor_name"].as_str().unwrap().contains("sam@example.com"), "the trail keeps who: {hist}");

        let hid = hidden["id"].as_str().unwrap();
        let (status, p) = send(&app, &admin, Method::POST, &format!("/api/v1/suggestions/{hid}/transitions"), Some(mv("declined"))).await;
        assert_eq!(status, 422);
        field_message(&p, "reason");
        ok(&app, &admin, Method::POST, &format!("/api/v1/suggestions/{hid}/transitions"),
            Some(json!({"to": "declined", "reason": "Personal accounts are out of scope"}))).await;
        let accepted = ok(&app, &admin, Method::POST, &format!("/api/v1/suggestions/{}/transitions", shown["id"].as_str().unwrap()), Some(mv("accepted"))).await;
        let imp = accepted["improvement_id"].as_str().expect("an accepted suggestion becomes an improvement").to_owned();
        let imp = ok(&app, &admin, Method::GET, &format!("/api/v1/improvements/{imp}"), None).await;
        assert_eq!((imp["source"].as_str(), imp["title"].as_str(), imp["source_record"].as_str()),
            (Some("staff_suggestion"), Some("Security champions"), Some("SUG-0002")));
        let links = ok(&app, &admin, Method::GET, &format!("/api/v1/links?from=improvement:{}", imp["id"].as_str().unwrap()), None).await;
        assert!(links.to_string().contains("derived_from"), "{links}");

        let work = ok(&app, &sam, Method::GET, "/api/v1/my-work", None).await;
        let mine: Vec<(&str, &str, &str)> = work["items"].as_array().unwrap().iter()
            .filter(|w| w["kind"] == "suggestion")
            .map(|w| (w["reference"].as_str().unwrap(), w["status"].as_str().unwrap(), w["note"].as_str().unwrap()))
            .collect();
        assert!(mine.contains(&("SUG-0001", "declined", "Personal accounts are out of scope")), "the submitter reads why, hidden or not: {mine:?}");
        assert!(mine.contains(&("SUG-0002", "accepted", "")), "{mine:?}");
    }
}

on_both_engines! {
    async fn a_lesson_shows_whether_it_drove_a_change(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let inc = ok(&app, &admin, Method::POST, "/api/v1/incidents", Some(json!({
            "title": "Laptop lost", "description": "On a train", "type": "incident"}))).await;
        let lesson = ok(&app, &admin, Method::POST, "/api/v1/lessons", Some(json!({
            "title": "Encryption saved us", "source": "incident", "source_record": inc["reference"], "lesson": "Encrypted disks"}))).await;
        let lid = lesson["id"].as_str().unwrap().to_owned();
        assert_eq!(lesson["change"], "none");
        let none = ok(&app, &admin, Method::GET, "/api/v1/lessons?change=none", None).await;
        assert_eq!(none["total"], 1, "the list the manager works through");
        let links = ok(&app, &admin, Method::GET, &format!("/api/v1/links?from=lesson:{lid}"), None).await;
        assert!(links.to_string().contains("derived_from"), "linked to its source: {links}");
        let summary = ok(&app, &admin, Method::GET, "/api/v1/lessons/summary", None).await;
        assert_eq!((summary["lessons"].as_i64(), summary["share_percent"].as_i64()), (Some(1), Some(0)));

        let imp = ok(&app, &admin, Method::POST, "/api/v1/improvements", Some(json!({
            "title": "Check encryption at onboarding", "description": "x", "source": "incident", "source_record": lesson["reference"]}))).await;
        let lesson = ok(&app, &admin, Method::GET, &format!("/api/v1/lessons/{lid}"), None).await;
        assert_eq!(lesson["change"], "driven", "an improvement derived from it is its change");
        assert_eq!(ok(&app, &admin, Method::GET, "/api/v1/lessons/summary", None).await["share_percent"], 100);
        let link = ok(&app, &admin, Method::GET, &format!("/api/v1/links?from=improvement:{}", imp["id"].as_str().unwrap()), None).await;
        let link_id = link["items"].as_array().unwrap().iter().find(|l| l["to"]["kind"] == "lesson").unwrap()["id"].as_str().unwrap().to_owned();
        let (status, _) = send(&app, &admin, Method::DELETE, &format!("/api/v1/links/{link_id}"), None).await;
        assert_eq!(status, 204);
        assert_eq!(ok(&app, &admin, Method::GET, &format!("/api/v1/lessons/{lid}"), None).await["change"], "none");
        let (status, p) = send(&app, &admin, Method::PATCH, &format!("/api/v1/lessons/{lid}"), Some(json!({"change": "driven"}))).await;
        assert_eq!(status, 422, "pawl reads it from the links: {p}");
    }
}

on_both_engines! {
    async fn a_closed_cycle_keeps_its_figures_and_compares_with_the_next(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let tom = app.member_token("tom@example.com", "contributor").await;
        let c25 = ok(&app, &admin, Method::POST, "/api/v1/cycles", Some(json!({"name": "2025", "starts_on": "2025-01-01"}))).await;
        assert_eq!(c25["ends_on"], "2025-12-31", "a year by default");
        let (status, p) = send(&app, &admin, Method::POST, "/api/v1/cycles", Some(json!({"name": "2025b", "starts_on": "2025-06-01"}))).await;
        assert_eq!(status, 422);
        assert!(field_message(&p, "starts_on").contains("overlaps the cycle 2025"), "{p}");
        ok(&app, &admin, Method::POST, "/api/v1/improvements", Some(json!({"title": "A", "description": "x", "identified_on": "2025-05-01"}))).await;
        ok(&app, &admin, Method::POST, "/api/v1/incidents", Some(json!({"title": "B", "description": "x", "type": "near_miss", "detected_on": "2025-05-02"}))).await;
        let st = ok(&app, &admin, Method::GET, "/api/v1/cycles/2025/status", None).await;
        assert_eq!(st["frozen"], false);
        let items: Vec<&Value> = st["phases"].as_array().unwrap().iter().flat_map(|p| p["items"].as_array().unwrap()).collect();
        let item = |k: &str| items.iter().find(|i| i["key"] == k).unwrap();
        assert_eq!((item("improvements_evaluated")["status"].as_str(), item("improvements_evaluated")["total"].as_i64()), (Some("not_met"), Some(1)));
        assert_eq!(item("objectives")["status"], "not_met", "no objectives is a gap, never a pass");
        assert_eq!(st["phases"][0]["state"], "needs_attention");

        let id = c25["id"].as_str().unwrap().to_owned();
        let (status, _) = send(&app, &tom, Method::POST, &format!("/api/v1/cycles/{id}/transitions"), Some(mv("closed"))).await;
        assert_eq!(status, 403, "closing a cycle is management's decision");
        let closed = ok(&app, &admin, Method::POST, &format!("/api/v1/cycles/{id}/transitions"), Some(mv("closed"))).await;
        let hash = closed["figures_hash"].as_str().unwrap().to_owned();
        assert_eq!(hash.len(), 64);
        ok(&app, &admin, Method::POST, "/api/v1/improvements", Some(json!({"title": "Late", "description": "x", "identified_on": "2025-07-01"}))).await;
        let st = ok(&app, &admin, Method::GET, &format!("/api/v1/cycles/{id}/status"), None).await;
        assert_eq!((st["frozen"].as_bool(), st["intact"].as_bool(), st["sha256"].as_str()), (Some(true), Some(true), Some(hash.as_str())));
        let improvements = st["counts"].as_array().unwrap().iter().find(|c| c["key"] == "improvements").unwrap()["value"].clone();
        assert_eq!(improvements, 1, "frozen: later records do not change a closed year");
        let (status, p) = send(&app, &admin, Method::PATCH, &format!("/api/v1/cycles/{id}"), Some(json!({"ends_on": "2025-11-30"}))).await;
        assert_eq!(status, 422);
        field_message(&p, "ends_on");
        let trail = ok(&app, &admin, Method::GET, &format!("/api/v1/history/cycle/{id}"), None).await;
        assert!(trail["items"].as_array().unwrap().iter().any(|e| e["action"] == "freeze" && e["after"]["figures_sha256"] == hash.as_str()), "{trail}");

        ok(&app, &admin, Method::POST, "/api/v1/cycles", Some(json!({"name": "2026", "starts_on": "2026-01-01"}))).await;
        ok(&app, &admin, Method::POST, "/api/v1/incidents", Some(json!({"title": "C", "description": "x", "type": "incident", "detected_on": "2026-02-02"}))).await;
        let cmp = ok(&app, &admin, Method::GET, "/api/v1/cycles/compare?a=2025&b=2026", None).await;
        let count = |side: &str, k: &str| cmp[side]["counts"].as_array().unwrap().iter().find(|c| c["key"] == k).unwrap()["value"].as_i64().unwrap();
        assert_eq!((count("a", "near_misses"), count("a", "incidents"), count("b", "incidents"), count("b", "improvements")), (1, 0, 1, 0));
        assert_eq!((cmp["a"]["frozen"].as_bool(), cmp["b"]["frozen"].as_bool()), (Some(true), Some(false)));
        let (status, p) = send(&app, &admin, Method::GET, "/api/v1/cycles/compare?a=1999&b=2030", None).await;
        assert_eq!((status, errors_named(&p)), (422, vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(ok(&app, &admin, Method::GET, "/api/v1/audit/verify", None).await["intact"], true);
    }
}

on_both_engines! {
    async fn staff_report_from_the_web_page_and_managers_see_the_board(engine: Engine) {
        let app = spawn_app(engine).await;
        app.member_token("sam@example.com", "staff").await;
        let (c, csrf) = app.signed_in("sam@example.com").await;
        let home = c.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(home.contains("href=\"/report\""), "staff find the report page from home");
        let r = c.post(app.url("/report/incident"))
            .form(&[("_csrf", csrf.as_str()), ("type", "incident"), ("title", ""), ("description", "Laptop gone")])
            .send().await.unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains("id=\"i-title-error\"") && page.contains("Laptop gone"), "the message sits beside the field and the text is kept");
        let r = c.post(app.url("/report/incident"))
            .form(&[("_csrf", csrf.as_str()), ("type", "near_miss"), ("title", "Tailgating"), ("description", "Someone followed me in")])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert!(r.headers()["location"].to_str().unwrap().contains("INC-0001"));
        let r = c.post(app.url("/report/suggestion"))
            .form(&[("_csrf", csrf.as_str()), ("title", "Badge readers"), ("description", "On every door"), ("hidden", "yes")])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
        let work = c.get(app.url("/my-work")).send().await.unwrap().text().await.unwrap();
        assert!(work.contains("SUG-0001 Badge readers") && work.contains("Submitted") && !work.contains("href=\"/suggestions/"),
            "the submitter follows their suggestion without a link they may not open");
        assert_eq!(c.get(app.url("/incidents")).send().await.unwrap().status(), 403);

        let (m, _) = app.signed_in(crate::harness::ADMIN_EMAIL).await;
        let inc = m.get(app.url("/incidents")).send().await.unwrap().text().await.unwrap();
        assert!(inc.contains("Tailgating") && inc.contains("Near miss"), "shown by label");
        ok(&app, &app.admin_token, Method::POST, "/api/v1/improvements", Some(json!({"title": "Badge readers on every door", "description": "x", "source": "staff_suggestion"}))).await;
        let board = m.get(app.url("/improvements/board?source=staff_suggestion")).send().await.unwrap().text().await.unwrap();
        assert!(board.contains("IMP-0001") && board.contains("Staff suggestion"), "the card, its source by label");
        let empty = m.get(app.url("/improvements/board?source=incident")).send().await.unwrap().text().await.unwrap();
        assert!(!empty.contains("IMP-0001"), "the board filters");
        let c26 = ok(&app, &app.admin_token, Method::POST, "/api/v1/cycles", Some(json!({"name": "2026", "starts_on": "2026-01-01"}))).await;
        let status = m.get(app.url(&format!("/cycles/{}/status", c26["id"].as_str().unwrap()))).send().await.unwrap().text().await.unwrap();
        assert!(status.contains("Not met") && status.contains("Improvements evaluated"), "every item with its status");
    }
}
