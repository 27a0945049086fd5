//! Internal audit end to end through the API, on both engines (clause
//! 9.2): the checklist follows the scope and keeps what was answered, the
//! programme shows what its audits leave uncovered, an auditor who owns
//! something in scope is warned about, a nonconformity finding opens a
//! nonconformity, and the report is a workbook.

use crate::harness::{ok_as as ok, send, spawn_app, Engine};
use crate::on_both_engines;
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
