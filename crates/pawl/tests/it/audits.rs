//! Internal audit end to end through the API, on both engines (clause
//! 9.2): the checklist follows the scope and keeps what was answered, the
//! programme shows what its audits leave uncovered, an auditor who owns
//! something in scope is warned about, a nonconformity finding opens a
//! nonconformity, and the report is a workbook. Results are recorded only
//! while an audit is in progress; once reported, its particulars,
//! checklist and findings are its report as issued.

use crate::harness::{field_message, ok_as as ok, send, spawn_app, Engine};
use crate::on_both_engines;
use pawl_domain::register::{AUDIT, FINDING, NONCONFORMITY};
use reqwest::Method;
use serde_json::{json, Value};

fn requirements(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["requirement"].as_str().unwrap().to_owned())
        .collect()
}

on_both_engines! {
    async fn an_audit_checks_its_scope_and_its_findings_open_nonconformities(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let auditor = app.member_token("jo@audit.example", "auditor").await;
        let tom = app.member_token("tom@example.com", "contributor").await;
        let programme = ok(&app, &admin, Method::POST, "/api/v1/audit-programmes", Some(json!({
            "title": "ISMS audit programme 2026-2028", "period_start": "2026-01-01", "period_end": "2028-12-31"}))).await;
        let pid = programme["id"].as_str().unwrap().to_owned();
        let audit = ok(&app, &admin, Method::POST, "/api/v1/audits", Some(json!({
            "title": "Operations audit", "audit_type": "internal", "programme_id": "AP-0001",
            "scope": "IT operations", "clauses": "9, 7.5.3", "annex_a": "8.13",
            "lead_auditor": "jo@audit.example", "team": "tom@example.com", "start_date": "2026-11-02", "end_date": "2026-11-04"}))).await;
        let id = audit["id"].as_str().unwrap().to_owned();
        assert_eq!((audit["reference"].as_str(), audit["annex_a"].as_str()), (Some("AUD-0001"), Some("A.8.13")));
        let list = ok(&app, &admin, Method::GET, &format!("/api/v1/audits/{id}/checklist"), None).await;
        assert_eq!(requirements(&list), ["7.5.3", "9.1", "9.2", "9.3", "A.8.13"], "a main clause brings in its parts");

        let item = |list: &Value, req: &str| list["items"].as_array().unwrap().iter().find(|i| i["requirement"] == req).unwrap()["id"].as_str().unwrap().to_owned();
        let nine_one = item(&list, "9.1");
        let (status, p) = send(&app, &auditor, Method::PUT, &format!("/api/v1/audits/{id}/checklist/{nine_one}"), Some(json!({"result": "conformity"}))).await;
        assert_eq!(status, 409, "a planned audit has found nothing yet: {p}");
        assert!(p["detail"].as_str().unwrap().contains("has not started"), "{p}");
        ok(&app, &admin, Method::POST, &format!("/api/v1/audits/{id}/transitions"), Some(json!({"to": "in_progress"}))).await;
        let (status, _) = send(&app, &tom, Method::PUT, &format!("/api/v1/audits/{id}/checklist/{nine_one}"), Some(json!({"result": "conformity"}))).await;
        assert_eq!(status, 403, "a contributor records no audit results");
        let (status, p) = send(&app, &auditor, Method::PUT, &format!("/api/v1/audits/{id}/checklist/{nine_one}"), Some(json!({"result": "fine"}))).await;
        assert_eq!(status, 422, "{p}");
        let done = ok(&app, &auditor, Method::PUT, &format!("/api/v1/audits/{id}/checklist/{nine_one}"),
            Some(json!({"result": "conformity", "notes": "KPIs reviewed monthly", "evidence": "KPI pack October"}))).await;
        assert_eq!(done["result_label"], "Conformity");
        ok(&app, &admin, Method::PATCH, &format!("/api/v1/audits/{id}"), Some(json!({"clauses": "9.2"}))).await;
        let list = ok(&app, &admin, Method::GET, &format!("/api/v1/audits/{id}/checklist"), None).await;
        assert_eq!(requirements(&list), ["9.2", "A.8.13", "9.1"], "answered items stay, after the scope; untouched ones leave with it");

        let coverage = ok(&app, &admin, Method::GET, &format!("/api/v1/audit-programmes/{pid}/coverage"), None).await;
        let row = |req: &str| coverage["rows"].as_array().unwrap().iter().find(|r| r["requirement"] == req).cloned().unwrap();
        assert_eq!(row("9.2")["audits"], json!(["AUD-0001"]));
        assert_eq!(row("A.8.13")["audits"], json!(["AUD-0001"]));
        let uncovered: Vec<&str> = coverage["uncovered"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
        assert!(uncovered.contains(&"4.1") && uncovered.contains(&"A.5.1") && !uncovered.contains(&"9.2"), "{uncovered:?}");

        // Tom, on the team, owns the backup control in scope.
        ok(&app, &admin, Method::POST, "/api/v1/controls", Some(json!({"name": "Nightly backups", "owner": "tom@example.com", "annex": ["8.13"]}))).await;
        let objectivity = ok(&app, &admin, Method::GET, &format!("/api/v1/audits/{id}/objectivity"), None).await;
        let warnings = objectivity["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{objectivity}");
        assert!(warnings[0].as_str().unwrap().contains("tom@example.com owns the applied control"), "{objectivity}");
        // An organisation may choose to refuse such an audit rather than warn.
        ok(&app, &admin, Method::PATCH, "/api/v1/organisation", Some(json!({"refuse_auditor_conflicts": true}))).await;
        let (status, p) = send(&app, &admin, Method::PATCH, &format!("/api/v1/audits/{id}"), Some(json!({"scope": "IT operations and backups"}))).await;
        assert_eq!(status, 403, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("tom@example.com owns the applied control"), "{p}");
        ok(&app, &admin, Method::PATCH, "/api/v1/organisation", Some(json!({"refuse_auditor_conflicts": false}))).await;

        let (status, _) = send(&app, &tom, Method::POST, "/api/v1/findings", Some(json!({
            "audit_id": "AUD-0001", "finding_type": "observation", "title": "t", "description": "d"}))).await;
        assert_eq!(status, 403, "findings are the auditors'");
        let finding = ok(&app, &auditor, Method::POST, "/api/v1/findings", Some(json!({
            "audit_id": "AUD-0001", "finding_type": "minor_nonconformity", "title": "Restores never tested",
            "description": "No restore test in twelve months", "annex_a": "A.8.13", "evidence": "Backup tickets 2026"}))).await;
        let nc_id = finding["nonconformity_id"].as_str().expect("a nonconformity finding opens a nonconformity").to_owned();
        let nc = ok(&app, &admin, Method::GET, &format!("/api/v1/nonconformities/{nc_id}"), None).await;
        assert_eq!((nc["source"].as_str(), nc["severity"].as_str(), nc["annex_a"].as_str(), nc["status"].as_str()),
            (Some("internal_audit"), Some("minor"), Some("A.8.13"), Some("open")));
        assert!(nc["description"].as_str().unwrap().contains("Backup tickets 2026"), "{nc}");
        let links = ok(&app, &admin, Method::GET, &format!("/api/v1/links?from=nonconformity:{nc_id}"), None).await;
        assert_eq!(links["items"][0]["type"], "derived_from");
        // The finding's history names the nonconformity it opened, not its id.
        let (browser, _) = app.signed_in(crate::harness::ADMIN_EMAIL).await;
        let page = browser.get(app.url(&format!("/findings/{}", finding["id"].as_str().unwrap()))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(&format!("{} Restores never tested", nc["reference"].as_str().unwrap())) && !page.contains(&format!("→ {nc_id}")), "{page}");
        let ofi = ok(&app, &auditor, Method::POST, "/api/v1/findings", Some(json!({
            "audit_id": "AUD-0001", "finding_type": "opportunity_for_improvement", "title": "Automate restore tests", "description": "d"}))).await;
        assert!(ofi["nonconformity_id"].is_null(), "an opportunity for improvement is kept as it is");
        let (status, _) = send(&app, &auditor, Method::PATCH, &format!("/api/v1/findings/{}", ofi["id"].as_str().unwrap()),
            Some(json!({"finding_type": "major_nonconformity"}))).await;
        assert_eq!(status, 422, "a finding's type is fixed once recorded");

        let r = app.api().get(app.url(&format!("/api/v1/audits/{id}/report.xlsx"))).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut strings = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/sharedStrings.xml").unwrap(), &mut strings).unwrap();
        for expected in ["Minor nonconformity", "Restores never tested", "Conformity", "KPIs reviewed monthly", "Operations audit"] {
            assert!(strings.contains(expected), "{expected} missing from the report");
        }
        let (c, _) = app.signed_in(crate::harness::ADMIN_EMAIL).await;
        let page = c.get(app.url(&format!("/audits/{id}/report"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Restores never tested") && page.contains("tom@example.com owns"), "{page}");
        let matrix = c.get(app.url(&format!("/audit-programmes/{pid}/coverage"))).send().await.unwrap().text().await.unwrap();
        assert!(matrix.contains("row-warn") && matrix.contains("AUD-0001"), "{matrix}");
        assert_eq!(ok(&app, &admin, Method::GET, "/api/v1/audit/verify", None).await["intact"], true);
    }
}

on_both_engines! {
    async fn results_are_recorded_only_while_an_audit_is_in_progress(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let auditor = app.member_token("jo@audit.example", "auditor").await;
        let (status, p) = send(&app, &admin, Method::POST, "/api/v1/audit-programmes", Some(json!({
            "title": "Backwards", "period_start": "2026-12-31", "period_end": "2026-01-01"}))).await;
        assert_eq!(status, 422, "{p}");
        assert!(field_message(&p, "period_end").contains("ends before it starts (2026-12-31)"), "{p}");
        let audit = json!({"title": "Access audit", "audit_type": "internal", "scope": "Access management",
            "clauses": "9.2", "annex_a": "A.5.18", "start_date": "2025-03-12", "end_date": "2025-03-10"});
        let (status, p) = send(&app, &admin, Method::POST, "/api/v1/audits", Some(audit.clone())).await;
        assert_eq!(status, 422, "an audit may not end before it starts: {p}");
        assert!(field_message(&p, "end_date").contains("ends before it starts (2025-03-12)"), "{p}");
        let mut audit = audit;
        audit["end_date"] = json!("2025-03-14");
        let audit = ok(&app, &admin, Method::POST, "/api/v1/audits", Some(audit)).await;
        let id = audit["id"].as_str().unwrap().to_owned();
        let (status, p) = send(&app, &admin, Method::PATCH, &format!("/api/v1/audits/{id}"), Some(json!({"end_date": "2025-03-01"}))).await;
        assert_eq!(status, 422, "nor when changed: {p}");

        let finding = |kind: &str, title: &str| json!({"audit_id": "AUD-0001", "finding_type": kind, "title": title,
            "description": "Two leavers kept access", "annex_a": "A.5.18"});
        let (status, p) = send(&app, &auditor, Method::POST, "/api/v1/findings", Some(finding("observation", "Early"))).await;
        assert_eq!(status, 409, "a planned audit takes no findings: {p}");
        assert!(p["detail"].as_str().unwrap().contains("Access audit has not started"), "{p}");
        let transitions = format!("/api/v1/audits/{id}/transitions");
        ok(&app, &admin, Method::POST, &transitions, Some(json!({"to": "in_progress"}))).await;

        let list = ok(&app, &admin, Method::GET, &format!("/api/v1/audits/{id}/checklist"), None).await;
        let item = list["items"][0]["id"].as_str().unwrap().to_owned();
        let assess = format!("/api/v1/audits/{id}/checklist/{item}");
        let answer = json!({"result": "nonconformity", "notes": "Leavers kept access", "evidence": "HR leaver list"});
        ok(&app, &auditor, Method::PUT, &assess, Some(answer.clone())).await;
        ok(&app, &auditor, Method::PUT, &assess, Some(answer.clone())).await;
        let events = ok(&app, &admin, Method::GET, &format!("/api/v1/audit/events?entity_type=audit&entity_id={id}"), None).await;
        let assessed = events["items"].as_array().unwrap().iter().filter(|e| e["action"] == "assess").count();
        assert_eq!(assessed, 1, "the same answer saved again is no change to record: {events}");

        let minor = ok(&app, &auditor, Method::POST, "/api/v1/findings", Some(finding("minor_nonconformity", "Leavers kept access"))).await;
        let nc = ok(&app, &admin, Method::GET, &format!("/api/v1/nonconformities/{}", minor["nonconformity_id"].as_str().unwrap()), None).await;
        assert_eq!(nc["detected_on"], "2025-03-14", "found during the audit, not on the day it was written up");
        let fid = minor["id"].as_str().unwrap().to_owned();
        ok(&app, &auditor, Method::PATCH, &format!("/api/v1/findings/{fid}"), Some(json!({"evidence": "HR leaver list, March"}))).await;

        ok(&app, &admin, Method::POST, &transitions, Some(json!({"to": "reported"}))).await;
        let (status, p) = send(&app, &auditor, Method::PUT, &assess, Some(json!({"result": "conformity"}))).await;
        assert_eq!(status, 409, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("Access audit is reported: its checklist and findings are closed"), "{p}");
        let (status, p) = send(&app, &auditor, Method::POST, "/api/v1/findings", Some(finding("observation", "Late"))).await;
        assert_eq!(status, 409, "a reported audit takes no new findings: {p}");
        assert!(p["detail"].as_str().unwrap().contains("is reported"), "{p}");
        let (status, p) = send(&app, &auditor, Method::PATCH, &format!("/api/v1/findings/{fid}"), Some(json!({"title": "Reworded"}))).await;
        assert_eq!(status, 409, "nor changes one: {p}");
        let (status, p) = send(&app, &admin, Method::DELETE, &format!("/api/v1/findings/{fid}"), None).await;
        assert_eq!(status, 409, "nor loses one: {p}");
        let (status, p) = send(&app, &admin, Method::PATCH, &format!("/api/v1/audits/{id}"), Some(json!({"scope": "Access and identity"}))).await;
        assert_eq!(status, 409, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("so scope no longer changes"), "{p}");
        assert!(p["detail"].as_str().unwrap().contains("pawl keeps one version of an audit report"), "{p}");
        let closed = ok(&app, &admin, Method::PATCH, &format!("/api/v1/audits/{id}"), Some(json!({"status": "closed"}))).await;
        assert_eq!(closed["status"], "closed", "a move alone changes nothing in the report");
        let report = ok(&app, &admin, Method::GET, &format!("/api/v1/audits/{id}/checklist"), None).await;
        assert_eq!(report["items"][0]["result"], "nonconformity", "the checklist is kept as reported");

        let (c, _) = app.signed_in(crate::harness::ADMIN_EMAIL).await;
        let page = c.get(app.url(&format!("/audits/{id}/checklist"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Access audit is closed: its checklist and findings are kept as reported."), "{page}");
        assert!(!page.contains(&format!("action=\"/audits/{id}/checklist/")), "no form on a closed checklist");
        let record = c.get(app.url(&format!("/audits/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(!record.contains("Record a finding"), "{record}");
        let form = c.get(app.url("/findings/new?audit_id=AUD-0001")).send().await.unwrap().text().await.unwrap();
        assert!(form.contains(r#"<option value="" selected>Choose one</option>"#), "{form}");
        assert!(!form.contains(r#"value="major_nonconformity" selected"#), "no type is chosen for the auditor: {form}");
        assert_eq!(ok(&app, &admin, Method::GET, "/api/v1/audit/verify", None).await["intact"], true);
    }
}

on_both_engines! {
    async fn the_demo_audits_end_after_they_start_and_date_what_they_found(engine: Engine) {
        let app = spawn_app(engine).await;
        pawl_app::demo::ensure_demo(&app.app, "demo-password-1").await.unwrap();
        let store = app.store();
        let org = store.organisation_by_slug(pawl_app::demo::SLUG).await.unwrap();
        let reader = store.org(&org.id);
        let all = pawl_store::ListQuery { limit: Some(100), ..Default::default() };
        let audits = reader.records(&AUDIT, &Default::default(), &all).await.unwrap().items;
        assert_eq!(audits.len(), 3);
        for a in &audits {
            let (start, end) = (AUDIT.text(&a.values, "start_date"), AUDIT.text(&a.values, "end_date"));
            assert!(start <= end, "{} starts {start} and ends {end}", a.reference.as_deref().unwrap_or(""));
        }
        let findings = reader.records(&FINDING, &Default::default(), &all).await.unwrap().items;
        assert_eq!(findings.len(), 6);
        for f in findings.iter().filter(|f| !FINDING.text(&f.values, "nonconformity_id").is_empty()) {
            let audit = audits.iter().find(|a| a.id == FINDING.text(&f.values, "audit_id")).unwrap();
            let nc = reader.record(&NONCONFORMITY, &FINDING.text(&f.values, "nonconformity_id")).await.unwrap();
            assert_eq!(
                NONCONFORMITY.text(&nc.values, "detected_on"),
                AUDIT.text(&audit.values, "end_date"),
                "{} was found at {}", f.title(), audit.title()
            );
        }
    }
}

on_both_engines! {
    /// Readiness asks for an internal audit (9.2): a certification body's
    /// audit, reported or not, is not one.
    async fn a_certification_audit_is_not_an_internal_audit(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let start = (time::OffsetDateTime::now_utc().date() - time::Duration::days(30)).to_string();
        let end = (time::OffsetDateTime::now_utc().date() - time::Duration::days(28)).to_string();
        let audit = ok(&app, &admin, Method::POST, "/api/v1/audits", Some(json!({
            "title": "Stage 2", "audit_type": "certification", "scope": "The ISMS", "clauses": "9.2",
            "start_date": start, "end_date": end}))).await;
        let transitions = format!("/api/v1/audits/{}/transitions", audit["id"].as_str().unwrap());
        ok(&app, &admin, Method::POST, &transitions, Some(json!({"to": "in_progress"}))).await;
        ok(&app, &admin, Method::POST, &transitions, Some(json!({"to": "reported"}))).await;
        let readiness = ok(&app, &admin, Method::GET, "/api/v1/readiness", None).await;
        let item = readiness["items"].as_array().unwrap().iter().find(|i| i["key"] == "internal_audit").cloned().unwrap();
        assert_eq!(item["state"], "missing", "{item}");
    }
}

on_both_engines! {
    /// The register added to show what a new kind with rules costs (issue
    /// 25): the auditor asks, the ISMS team answers by a move, the auditor
    /// returns or accepts, and an accepted request is kept as it was.
    async fn an_evidence_request_is_asked_answered_returned_and_accepted(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let auditor = app.member_token("jo@audit.example", "auditor").await;
        let tom = app.member_token("tom@example.com", "contributor").await;
        ok(&app, &admin, Method::POST, "/api/v1/audits", Some(json!({
            "title": "Access audit", "audit_type": "internal", "scope": "Access", "start_date": "2026-11-02", "end_date": "2026-11-04"}))).await;
        let (status, p) = send(&app, &auditor, Method::POST, "/api/v1/evidence-requests", Some(json!({
            "title": "Last quarter's access review", "audit_id": "AUD-0001", "annex_a": "A.5.99", "assignee": "tom@example.com"}))).await;
        assert_eq!(status, 422, "{p}");
        assert!(field_message(&p, "annex_a").contains("5.99"), "{p}");
        let (status, _) = send(&app, &tom, Method::POST, "/api/v1/evidence-requests", Some(json!({"title": "Anything"}))).await;
        assert_eq!(status, 403, "the auditor asks; a contributor answers");
        let r = ok(&app, &auditor, Method::POST, "/api/v1/evidence-requests", Some(json!({
            "title": "Last quarter's access review", "audit_id": "AUD-0001", "annex_a": "A.5.18, 5.15",
            "assignee": "tom@example.com", "due_date": "2026-11-03"}))).await;
        let id = r["id"].as_str().unwrap().to_owned();
        assert_eq!((r["reference"].as_str(), r["status"].as_str()), (Some("ER-0001"), Some("open")));
        assert_eq!(r["requested_by"], "jo@audit.example", "the requester is whoever asked: {r}");
        let work = ok(&app, &tom, Method::GET, "/api/v1/my-work", None).await;
        assert!(work["items"].as_array().unwrap().iter().any(|w| w["reference"] == "ER-0001"), "{work}");

        // The page asks the answerer for an answer, not a reason; the
        // auditor has nothing to answer.
        let page = |email: &'static str| {
            let (app, id) = (&app, &id);
            async move {
                let (browser, _) = app.signed_in(email).await;
                browser.get(app.url(&format!("/evidence-requests/{id}"))).send().await.unwrap().text().await.unwrap()
            }
        };
        let toms = page("tom@example.com").await;
        assert!(toms.contains("placeholder=\"Answer: where the evidence is, or what shows it\""), "{toms}");
        assert!(!toms.contains("Reason (recorded)"), "{toms}");
        assert!(!page("jo@audit.example").await.contains("name=\"to\" value=\"answered\""));
        let path = format!("/api/v1/evidence-requests/{id}/transitions");
        let (status, p) = send(&app, &tom, Method::POST, &path, Some(json!({"to": "answered"}))).await;
        assert_eq!(status, 422, "an answer is needed: {p}");
        ok(&app, &tom, Method::POST, &path, Some(json!({"to": "answered", "reason": "Review of 2 October, ticket SEC-118"}))).await;
        let (status, _) = send(&app, &tom, Method::POST, &path, Some(json!({"to": "accepted"}))).await;
        assert_eq!(status, 403, "the answerer does not judge their own answer");
        let back = ok(&app, &auditor, Method::POST, &path, Some(json!({"to": "returned", "reason": "Show the leavers' list too"}))).await;
        assert_eq!(back["comment"], "Show the leavers' list too");
        let again = ok(&app, &tom, Method::POST, &path, Some(json!({"to": "answered", "reason": "SEC-118 and the leavers' list of October"}))).await;
        assert_eq!(again["answer"], "SEC-118 and the leavers' list of October");
        ok(&app, &auditor, Method::POST, &path, Some(json!({"to": "accepted"}))).await;
        let (status, p) = send(&app, &auditor, Method::PATCH, &format!("/api/v1/evidence-requests/{id}"), Some(json!({"detail": "more"}))).await;
        assert_eq!(status, 409, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("accepted"), "{p}");
        let (status, _) = send(&app, &tom, Method::POST, &path, Some(json!({"to": "answered", "reason": "late"}))).await;
        assert_eq!(status, 422, "no answer after the request is accepted");
        let csv = app.api().get(app.url("/api/v1/evidence-requests/export")).bearer_auth(&admin).send().await.unwrap().text().await.unwrap();
        assert!(csv.lines().any(|l| l.starts_with("ER-0001,Last quarter's access review,AUD-0001 Access audit,")), "{csv}");
    }
}
