//! The risk register through the API, UI and CLI, on both engines.

use crate::harness::{spawn_app, Engine, TestApp, ADMIN_EMAIL};
use crate::on_both_engines;
use serde_json::{json, Value};

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.api()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.api().get(app.url(path)).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {path}");
    r.json().await.unwrap()
}

on_both_engines! {
    async fn risks_are_scored_under_the_method_and_reassessed_with_dated_records(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let r = post(&app, t, "/api/v1/risks", json!({
            "title": "Phishing leads to stolen credentials", "owner": ADMIN_EMAIL, "cia": "C;I",
            "likelihood": "Likely", "impact": 5, "treatment": "Mitigate", "threat": "Phishing"
        })).await;
        assert_eq!(r.status(), 201);
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        let risk: Value = r.json().await.unwrap();
        assert_eq!(risk["reference"], "R-0001");
        assert_eq!(risk["inherent"], json!({"likelihood": 4, "impact": 5, "level": "critical"}));
        assert_eq!(risk["treatment"], "modify", "mitigate is read as modify");
        assert_eq!(risk["cia"], "CI");
        assert_eq!(risk["owner"], ADMIN_EMAIL);
        assert!(risk["owner_user_id"].is_string(), "a member owner is linked to the account");
        assert_eq!(risk["status"], "assessed");
        assert_eq!(risk["method_version"], 1);
        let id = risk["id"].as_str().unwrap().to_owned();
        let url = format!("/api/v1/risks/{id}");

        let r = app.api().patch(app.url(&url)).bearer_auth(t).header("if-match", &etag)
            .json(&json!({"residual_likelihood": 2, "residual_impact": "Minor", "status": "in_treatment", "note": "MFA rolled out"}))
            .send().await.unwrap();
        assert_eq!(r.status(), 200);
        let updated: Value = r.json().await.unwrap();
        assert_eq!(updated["residual"]["level"], "low");
        assert_eq!(updated["inherent"]["level"], "critical", "absent fields are kept");
        let r = app.api().patch(app.url(&url)).bearer_auth(t).header("if-match", &etag)
            .json(&json!({"title": "stale"})).send().await.unwrap();
        assert_eq!(r.status(), 412);

        let trend = get(&app, t, &format!("{url}/assessments")).await;
        let items = trend["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "creation and the re-assessment");
        assert!(items[1]["residual"].is_object() && items[0]["residual"].is_null());
        assert_eq!(items[1]["note"], "MFA rolled out");

        // A residual score without its pair, an unknown label and a bad date are all named.
        let r = app.api().patch(app.url(&url)).bearer_auth(t)
            .json(&json!({"residual_likelihood": null, "impact": "Catastrophic", "next_review": "31/02/2027", "treatment": "ignore"}))
            .send().await.unwrap();
        assert_eq!(r.status(), 422);
        let p: Value = r.json().await.unwrap();
        let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        for f in ["impact", "residual_likelihood", "treatment", "next_review"] {
            assert!(fields.contains(&f), "{f} not reported: {fields:?}");
        }
        let r = post(&app, t, "/api/v1/risks", json!({"title": "  "})).await;
        assert_eq!(r.status(), 422);
        let r = post(&app, t, "/api/v1/risks", json!({"title": "Dup", "reference": "R-0001"})).await;
        assert_eq!(r.status(), 409);
    }
}

on_both_engines! {
    async fn a_new_method_never_rewrites_past_scores_and_rescoring_is_explicit(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let risk: Value = post(&app, t, "/api/v1/risks", json!({"title": "Outage", "likelihood": 3, "impact": 3})).await.json().await.unwrap();
        let id = risk["id"].as_str().unwrap();
        assert_eq!(risk["inherent"]["level"], "medium");

        let mut method = get(&app, t, "/api/v1/risk-method").await["method"].clone();
        method["matrix"][2][2] = json!("high");
        let r = app.api().put(app.url("/api/v1/risk-method")).bearer_auth(t).json(&json!({"note": "Stricter centre", "method": method})).send().await.unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.json::<Value>().await.unwrap()["version"], 2);

        let kept = get(&app, t, &format!("/api/v1/risks/{id}")).await;
        assert_eq!(kept["inherent"]["level"], "medium", "the old assessment stands");
        assert_eq!(kept["method_version"], 1);
        let r = app.api().patch(app.url(&format!("/api/v1/risks/{id}"))).bearer_auth(t).json(&json!({"title": "Cloud outage"})).send().await.unwrap();
        assert_eq!(r.json::<Value>().await.unwrap()["method_version"], 1, "editing text does not re-score");

        let rescored: Value = post(&app, t, &format!("/api/v1/risks/{id}/rescore"), json!({})).await.json().await.unwrap();
        assert_eq!(rescored["method_version"], 2);
        assert_eq!(rescored["inherent"]["level"], "high");
        let versions: Vec<i64> = get(&app, t, &format!("/api/v1/risks/{id}/assessments")).await["items"]
            .as_array().unwrap().iter().map(|a| a["method_version"].as_i64().unwrap()).collect();
        assert_eq!(versions.first(), Some(&1));
        assert_eq!(versions.last(), Some(&2));

        let mut broken = method.clone();
        broken["likelihood"] = json!([{"label": "Low", "description": ""}]);
        let r = app.api().put(app.url("/api/v1/risk-method")).bearer_auth(t).json(&json!({"note": "x", "method": broken})).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let viewer = app.member_token("v@acme.example", "viewer").await;
        let r = app.api().put(app.url("/api/v1/risk-method")).bearer_auth(&viewer).json(&json!({"note": "x", "method": method})).send().await.unwrap();
        assert_eq!(r.status(), 403);
    }
}

on_both_engines! {
    async fn acceptance_is_refused_above_the_role_and_recorded_within_it(engine: Engine) {
        let app = spawn_app(engine).await;
        let manager = app.member_token("mgr@acme.example", "manager").await;
        let high: Value = post(&app, &manager, "/api/v1/risks", json!({
            "title": "Supplier breach", "owner": "mgr@acme.example", "likelihood": 4, "impact": 4,
            "residual_likelihood": 3, "residual_impact": 4})).await.json().await.unwrap();
        let id = high["id"].as_str().unwrap();
        assert_eq!(high["residual"]["level"], "high");
        let r = post(&app, &manager, &format!("/api/v1/risks/{id}/acceptance"), json!({"rationale": "Cost of treatment too high"})).await;
        assert_eq!(r.status(), 422);
        let p: Value = r.json().await.unwrap();
        assert!(p["detail"].as_str().unwrap().contains("may accept a High risk: Administrator (yours is ISMS manager)"), "{p}");

        let r = post(&app, &app.admin_token, &format!("/api/v1/risks/{id}/acceptance"),
            json!({"rationale": "Board accepts until the new supplier is live", "expires_on": "2099-01-31"})).await;
        assert_eq!(r.status(), 200);
        let accepted: Value = r.json().await.unwrap();
        assert_eq!(accepted["status"], "accepted");
        let acc = get(&app, &app.admin_token, &format!("/api/v1/risks/{id}/acceptances")).await;
        assert_eq!(acc["items"][0]["accepted_by"], ADMIN_EMAIL);
        assert_eq!(acc["items"][0]["role"], "admin");
        assert_eq!(acc["items"][0]["expires_on"], "2099-01-31");
        assert_eq!(acc["items"][0]["on_behalf_of"], "mgr@acme.example", "the admin accepted for the owner");

        let r = post(&app, &app.admin_token, &format!("/api/v1/risks/{id}/acceptance"), json!({"rationale": "x", "expires_on": "2001-01-01"})).await;
        assert_eq!(r.status(), 422, "an acceptance must expire in the future");

        // A contributor owns a medium risk their role may not accept: a
        // manager accepts it on their behalf; another contributor may not.
        let tom = app.member_token("tom@acme.example", "contributor").await;
        let ann = app.member_token("ann@acme.example", "contributor").await;
        let medium: Value = post(&app, &tom, "/api/v1/risks", json!({"title": "Lost laptop", "owner": "tom@acme.example", "likelihood": 2, "impact": 3})).await.json().await.unwrap();
        let mid = medium["id"].as_str().unwrap();
        assert_eq!(medium["inherent"]["level"], "medium");
        let r = post(&app, &tom, &format!("/api/v1/risks/{mid}/acceptance"), json!({"rationale": "fine"})).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("yours is Contributor"));
        let r = post(&app, &ann, &format!("/api/v1/risks/{mid}/acceptance"), json!({"rationale": "fine"})).await;
        assert_eq!(r.status(), 422);
        let other = app.member_token("other@acme.example", "manager").await;
        let r = post(&app, &other, &format!("/api/v1/risks/{mid}/acceptance"), json!({"rationale": "Disk encryption is enough"})).await;
        assert_eq!(r.status(), 200);
        let acc = get(&app, &other, &format!("/api/v1/risks/{mid}/acceptances")).await;
        assert_eq!(acc["items"][0]["accepted_by"], "other@acme.example");
        assert_eq!(acc["items"][0]["on_behalf_of"], "tom@acme.example");
        let csv = app.api().get(app.url("/api/v1/risks/export?format=csv")).bearer_auth(&other).send().await.unwrap().text().await.unwrap();
        let line = csv.lines().find(|l| l.contains("Lost laptop")).unwrap();
        assert!(line.contains("other@acme.example,tom@acme.example,Disk encryption is enough"), "the export carries the acceptance: {line}");
        // Only the owner or an admin accepts; a status cannot be set to accepted by hand.
        let low: Value = post(&app, &manager, "/api/v1/risks", json!({"title": "Tailgating", "owner": "mgr@acme.example", "likelihood": 1, "impact": 2})).await.json().await.unwrap();
        let r = post(&app, &ann, &format!("/api/v1/risks/{}/acceptance", low["id"].as_str().unwrap()), json!({"rationale": "fine"})).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("only the risk owner"));
        let r = app.api().patch(app.url(&format!("/api/v1/risks/{}", low["id"].as_str().unwrap()))).bearer_auth(&manager)
            .json(&json!({"status": "accepted"})).send().await.unwrap();
        assert_eq!(r.status(), 422);
    }
}

on_both_engines! {
    async fn contributors_change_only_their_own_risks(engine: Engine) {
        let app = spawn_app(engine).await;
        let tom = app.member_token("tom@acme.example", "contributor").await;
        let auditor = app.member_token("aud@acme.example", "auditor").await;
        let theirs: Value = post(&app, &app.admin_token, "/api/v1/risks", json!({"title": "Admin's risk", "owner": ADMIN_EMAIL})).await.json().await.unwrap();
        let mine: Value = post(&app, &tom, "/api/v1/risks", json!({"title": "Tom's risk", "owner": "tom@acme.example"})).await.json().await.unwrap();
        let patch = |id: &str, token: &str| app.api().patch(app.url(&format!("/api/v1/risks/{id}"))).bearer_auth(token.to_owned()).json(&json!({"category": "Ops"})).send();
        assert_eq!(patch(mine["id"].as_str().unwrap(), &tom).await.unwrap().status(), 200);
        assert_eq!(patch(theirs["id"].as_str().unwrap(), &tom).await.unwrap().status(), 403);
        assert_eq!(patch(theirs["id"].as_str().unwrap(), &auditor).await.unwrap().status(), 403);
        assert_eq!(app.api().get(app.url("/api/v1/risks")).bearer_auth(&auditor).send().await.unwrap().status(), 200);

        // Every other way of changing a risk passes the same rule.
        let (their_ref, their_id) = (theirs["reference"].as_str().unwrap(), theirs["id"].as_str().unwrap());
        let import = |dry: &'static str, body: String| app.api().post(app.url(&format!("/api/v1/risks/import{dry}"))).bearer_auth(tom.clone()).body(body).send();
        let body = format!("Risk ID,Title,Risk owner\n{their_ref},Taken over,tom@acme.example\n");
        for dry in ["?dry_run=true", ""] {
            let r = import(dry, body.clone()).await.unwrap();
            assert_eq!(r.status(), 422, "import{dry}");
            let report: Value = r.json().await.unwrap();
            assert_eq!(report["refused"], true, "{report}");
            let e = &report["errors"][0];
            assert_eq!(e["line"], 2, "{report}");
            assert!(e["message"].as_str().unwrap().contains("changes only the risks they own"), "{report}");
        }
        let own = format!("Risk ID,Title\n{},Renamed by Tom\n", mine["reference"].as_str().unwrap());
        assert_eq!(import("", own).await.unwrap().status(), 200, "their own risks import as before");
        let r = app.api().post(app.url(&format!("/api/v1/risks/{their_id}/rescore"))).bearer_auth(&tom).json(&json!({})).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = app.api().delete(app.url(&format!("/api/v1/risks/{their_id}"))).bearer_auth(&tom).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let after = get(&app, &app.admin_token, &format!("/api/v1/risks/{their_id}")).await;
        assert_eq!((after["title"].as_str(), after["version"].as_i64()), (Some("Admin's risk"), theirs["version"].as_i64()));
    }
}

on_both_engines! {
    async fn the_register_filters_sorts_pages_and_maps(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        for (n, (l, i)) in [(4, 5), (4, 5), (1, 1), (3, 2), (2, 4), (5, 5), (1, 2)].iter().enumerate() {
            let r = post(&app, t, "/api/v1/risks", json!({"title": format!("Risk {n}"), "likelihood": l, "impact": i,
                "residual_likelihood": 1, "residual_impact": i, "status": if n == 2 { "closed" } else { "assessed" }})).await;
            assert_eq!(r.status(), 201);
        }
        let map = get(&app, t, "/api/v1/risks/heatmap?kind=inherent").await;
        assert_eq!(map["cells"][3][4]["count"], 2, "two risks at likelihood 4, impact 5");
        assert_eq!(map["cells"][3][4]["level"], "critical");
        assert_eq!(map["cells"][0][0]["count"], 0, "closed risks are off the map");
        let cell = get(&app, t, "/api/v1/risks?inherent_cell=4,5").await;
        assert_eq!(cell["total"], 2);

        let sorted = get(&app, t, "/api/v1/risks?sort=inherent&order=desc&limit=3").await;
        let levels: Vec<&str> = sorted["items"].as_array().unwrap().iter().map(|r| r["inherent"]["level"].as_str().unwrap()).collect();
        assert_eq!(levels, ["critical", "critical", "critical"]);
        let next = sorted["next_cursor"].as_str().unwrap();
        let rest = get(&app, t, &format!("/api/v1/risks?sort=inherent&order=desc&limit=10&cursor={next}")).await;
        assert_eq!(rest["items"].as_array().unwrap().len(), 4, "the second page holds the rest, none twice");
        assert_eq!(get(&app, t, "/api/v1/risks?status=closed").await["total"], 1);
        assert_eq!(get(&app, t, "/api/v1/risks?q=risk%205").await["total"], 1);
        let r = app.api().get(app.url("/api/v1/risks?inherent_cell=four")).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 422);

        let today = time::OffsetDateTime::now_utc().date().to_string();
        let past = get(&app, t, &format!("/api/v1/risks/register?as_of={today}")).await;
        assert_eq!(past["total"], 7);
        let before = get(&app, t, "/api/v1/risks/register?as_of=2020-01-01").await;
        assert_eq!(before["total"], 0, "nothing existed then");

        let due = get(&app, t, "/api/v1/risks/due").await;
        assert_eq!(due["total"], 0, "new risks are reviewed a year from now");
        let id = sorted["items"][0]["id"].as_str().unwrap();
        app.api().patch(app.url(&format!("/api/v1/risks/{id}"))).bearer_auth(t).json(&json!({"next_review": "2020-06-30"})).send().await.unwrap();
        let due = get(&app, t, "/api/v1/risks/due").await;
        assert_eq!(due["total"], 1);
        assert!(due["items"][0]["reason"].as_str().unwrap().contains("2020-06-30"));
    }
}

const SHEET: &str = "\u{feff}Risk ID;Risk;Description;Asset;Risk Owner;Probability;Consequence;Treatment;Residual Likelihood;Residual Impact;Next review date\r\n\
R-100;Ransomware;\"Encrypts laptops\nand shares\";Employee laptops;admin@acme.example;3;4;Mitigate;2;3;31/12/2027\r\n\
;;;;;;;;;;\r\n\
R-101;Supplier breach;;Support desk; Dana External ;Likely;Major;transfer;;;15/01/2027\r\n";

on_both_engines! {
    async fn a_spreadsheet_imports_all_or_nothing_and_reimports_update(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let send = |body: &'static str, q: &'static str| app.api().post(app.url(&format!("/api/v1/risks/import{q}"))).bearer_auth(t).body(body).send();

        let r = send(SHEET, "?dry_run=true").await.unwrap();
        assert_eq!(r.status(), 200);
        let dry: Value = r.json().await.unwrap();
        assert_eq!((dry["created"].as_i64(), dry["updated"].as_i64()), (Some(2), Some(0)));
        assert!(dry["warnings"].as_array().unwrap().iter().any(|w| w["message"].as_str().unwrap().contains("Dana External")), "{dry}");
        assert_eq!(get(&app, t, "/api/v1/risks").await["total"], 0, "a dry run writes nothing");

        let report: Value = send(SHEET, "").await.unwrap().json().await.unwrap();
        assert_eq!(report["created"], 2);
        assert_eq!(report["assets_created"], json!(["Employee laptops", "Support desk"]));
        let list = get(&app, t, "/api/v1/risks?sort=reference").await;
        let first = &list["items"][0];
        assert_eq!(first["reference"], "R-100");
        assert_eq!(first["description"], "Encrypts laptops\nand shares");
        assert_eq!(first["next_review"], "2027-12-31");
        assert_eq!(first["residual"]["level"], "medium");
        assert!(first["owner_user_id"].is_string());
        assert_eq!(list["items"][1]["owner"], "Dana External", "unknown owners are kept by name");
        assert_eq!(list["items"][1]["treatment"], "share");

        // Re-importing updates by reference instead of duplicating.
        let again: Value = send(SHEET, "").await.unwrap().json().await.unwrap();
        assert_eq!((again["created"].as_i64(), again["updated"].as_i64()), (Some(0), Some(2)));
        assert_eq!(get(&app, t, "/api/v1/risks").await["total"], 2);

        // One bad row refuses the whole file, naming line and column.
        let bad = "Risk ID,Title,Likelihood,Impact\nR-200,Fine,2,2\nR-201,,9,2\n";
        let r = send(bad, "").await.unwrap();
        assert_eq!(r.status(), 422);
        let refused: Value = r.json().await.unwrap();
        assert_eq!(refused["refused"], true);
        let places: Vec<(i64, i64)> = refused["errors"].as_array().unwrap().iter()
            .map(|e| (e["line"].as_i64().unwrap(), e["column"].as_i64().unwrap_or(0))).collect();
        assert!(places.contains(&(3, 2)) && places.contains(&(3, 3)), "{places:?}");
        assert_eq!(get(&app, t, "/api/v1/risks").await["total"], 2, "nothing of the refused file was written");

        // Rows without a reference get the next free number, skipping the
        // ones the file itself uses; the bulk path keeps the chain intact.
        let mixed = "Risk ID,Title\n,First unnumbered\nR-0001,Numbered in the file\n,Second unnumbered\n";
        let r = send(mixed, "").await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let refs: Vec<String> = get(&app, t, "/api/v1/risks?sort=reference&limit=500").await["items"]
            .as_array().unwrap().iter().map(|r| r["reference"].as_str().unwrap().to_owned()).collect();
        for expected in ["R-0001", "R-0002", "R-0003"] {
            assert!(refs.contains(&expected.to_owned()), "{expected} missing from {refs:?}");
        }
        let verify = get(&app, t, "/api/v1/audit/verify").await;
        assert_eq!(verify["intact"], true, "{verify}");

        let mapped = "Thing,Chance,Hurt\nDisk failure,2,3\n";
        let r = app.api().post(app.url("/api/v1/risks/import?mapping=%7B%22Thing%22%3A%22title%22%2C%22Chance%22%3A%22likelihood%22%2C%22Hurt%22%3A%22impact%22%7D"))
            .bearer_auth(t).body(mapped).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(get(&app, t, "/api/v1/risks").await["total"], 6);
    }
}

on_both_engines! {
    async fn exports_neutralise_formulas_and_read_back_in(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        post(&app, t, "/api/v1/risks", json!({"title": "=HYPERLINK(\"http://evil\")", "likelihood": 2, "impact": 2, "description": "@SUM(A1)"})).await;
        let r = app.api().get(app.url("/api/v1/risks/export?format=csv")).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = r.text().await.unwrap();
        assert!(csv.starts_with("Risk ID,Title,"));
        assert!(csv.contains("'=HYPERLINK") && csv.contains("'@SUM"), "{csv}");
        assert!(!csv.contains(",=HYPERLINK"));
        let r = app.api().get(app.url("/api/v1/risks/export?format=pdf")).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 422);
    }
}

on_both_engines! {
    async fn the_register_pages_create_and_show_risks(engine: Engine) {
        let app = spawn_app(engine).await;
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let r = c.post(app.url("/risks/new")).form(&[("_csrf", csrf.as_str()), ("title", ""), ("likelihood", "4"), ("impact", "")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"f-title-error\""), "the title error sits beside the field");
        assert!(html.contains("give both likelihood and impact"));

        let r = c.post(app.url("/risks/new")).form(&[("_csrf", csrf.as_str()), ("title", "Lost laptop"), ("likelihood", "3"),
            ("impact", "4"), ("cia_c", "1"), ("owner", ADMIN_EMAIL), ("treatment", "modify")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let page = c.get(app.url(r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("R-0001 Lost laptop") && page.contains("lv-high"));

        let register = c.get(app.url("/risks")).send().await.unwrap().text().await.unwrap();
        assert!(register.contains("href=\"/risks?inherent_cell=3,4\""), "the heat-map cell links to its risks");
        assert_eq!(c.get(app.url("/risks/levels.css")).send().await.unwrap().text().await.unwrap().matches(".lv-").count(), 4);
        for path in ["/risks/due", "/assets", "/risk-method", "/risks/import", "/risks/register?as_of=2026-01-01"] {
            assert_eq!(c.get(app.url(path)).send().await.unwrap().status(), 200, "{path}");
        }
        let csv = c.get(app.url("/risks/export.csv")).send().await.unwrap().text().await.unwrap();
        assert!(csv.contains("R-0001,Lost laptop"));

        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(SHEET.as_bytes().to_vec()).file_name("register.csv"));
        let dry = form.text("dry_run", "1");
        let r = c.post(app.url(&format!("/risks/import?_csrf={csrf}"))).multipart(dry).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let checked = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(checked.starts_with("/risks/import?checked=") && !checked.contains("csrf"), "the token leaves the address: {checked}");
        let html = c.get(app.url(&checked)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Dry run: the file can be imported") && html.contains("2 would be created"), "{html}");
        assert!(html.contains("How the columns were read") && html.contains("<td>Likelihood</td>"), "{html}");
        // The checked file is imported without choosing it again.
        let confirm = html.split("action=\"/risks/import/").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let r = c.post(app.url(&format!("/risks/import/{confirm}"))).form(&[("_csrf", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let html = c.get(app.url(r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Imported") && html.contains("2 created"), "{html}");
        let r = c.post(app.url(&format!("/risks/import/{confirm}"))).form(&[("_csrf", csrf.as_str())]).send().await.unwrap();
        let html = c.get(app.url(r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("no longer kept"), "a checked file is imported once");
        let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(b"x".to_vec()));
        let r = c.post(app.url("/risks/import?_csrf=forged")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 403, "an upload without the session's token is refused");
    }
}

/// The CLI imports and exports the register, refusing a bad file with a non-zero exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_imports_and_exports_the_register() {
    let db = crate::harness::TestDb::new(Engine::Sqlite).await;
    let store = db.store().await;
    store
        .create_organisation(
            &pawl_domain::audit::Actor::system("t"),
            &pawl_domain::identity::OrgSlug::parse("acme").unwrap(),
            "Acme",
        )
        .await
        .unwrap();
    let dir = crate::harness::TempDir::new();
    let good = dir.0.join("risks.csv");
    std::fs::write(&good, SHEET).unwrap();
    let bad = dir.0.join("bad.csv");
    std::fs::write(&bad, "Title,Likelihood,Impact\nOK,1,1\nBroken,7,1\n").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pawl"))
            .args(&db.cli_args)
            .args(args)
            .env("PAWL_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = run(&["risk", "import", bad.to_str().unwrap(), "--org", "acme"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.csv:3:2: error"), "line and column named: {err}");
    let out = run(&["risk", "import", good.to_str().unwrap(), "--org", "acme", "--dry-run"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("would create 2"));
    let out = run(&["risk", "import", good.to_str().unwrap(), "--org", "acme"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let export = dir.0.join("out.csv");
    let out = run(&[
        "risk",
        "export",
        "--org",
        "acme",
        "--format",
        "csv",
        "--output",
        export.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&export).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("R-10")).count(), 2);
}

on_both_engines! {
    async fn the_register_round_trips_through_xlsx(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let r = app.api().post(app.url("/api/v1/risks/import")).bearer_auth(t).body(SHEET).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let r = app.api().get(app.url("/api/v1/risks/export?format=xlsx")).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
        let xlsx = r.bytes().await.unwrap().to_vec();
        assert!(xlsx.starts_with(b"PK"), "a ZIP container");
        // As auditors filter it: header on row 1, frozen, filtered, dates as
        // date cells, the plan and acceptance in columns of their own.
        let part = |name: &str| {
            use std::io::Read;
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx.clone())).unwrap();
            let mut text = String::new();
            zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
            text
        };
        let sheet = part("xl/worksheets/sheet1.xml");
        assert!(sheet.contains("<autoFilter ref=\"A1:"), "an autofilter from row 1");
        assert!(sheet.contains("ySplit=\"1\""), "the header row is frozen");
        let first_row = sheet.split("<row r=\"2\"").next().unwrap();
        for h in ["Risk ID", "Treatment actions", "Accepted by", "Acceptance expires", "Target level"] {
            assert!(first_row.contains(&format!(">{h}<")), "{h} is not in the header row");
        }
        assert!(!sheet.contains(">Mitigate<") && sheet.contains(">Modify (mitigate)<"), "labels, not what was typed or stored");
        assert!(part("xl/styles.xml").contains("yyyy-mm-dd"), "dates are date cells");
        assert!(part("docProps/core.xml").contains("Acme Ltd risk register"), "the title is in the file's properties");

        // The workbook reads back in: dates and numbers come back as
        // written, and both risks are updated, not duplicated.
        let r = app.api().post(app.url("/api/v1/risks/import?dry_run=true")).bearer_auth(t).body(xlsx.clone()).send().await.unwrap();
        let dry: Value = r.json().await.unwrap();
        assert_eq!((dry["created"].as_i64(), dry["updated"].as_i64()), (Some(0), Some(2)), "{dry}");
        let r = app.api().post(app.url("/api/v1/risks/import")).bearer_auth(t).body(xlsx).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let list = get(&app, t, "/api/v1/risks?sort=reference").await;
        assert_eq!(list["total"], 2);
        assert_eq!(list["items"][0]["next_review"], "2027-12-31");
        assert_eq!(list["items"][0]["residual"]["level"], "medium");

        let r = app.api().post(app.url("/api/v1/risks/import")).bearer_auth(t).body(b"PK\x03\x04 not really a workbook".to_vec()).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("not a readable XLSX file"));

        let (c, _) = app.signed_in(ADMIN_EMAIL).await;
        let html = c.get(app.url("/risks/report")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Risk treatment plan") && html.contains("R-100"));
        assert!(!html.contains("Mitigate"), "the treatment shows in the standard's words");
        let r = c.get(app.url("/risks/export.xlsx")).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
}

on_both_engines! {
    async fn a_register_of_thousands_imports_in_one_request(engine: Engine) {
        let app = spawn_app(engine).await;
        let mut csv = String::from("Risk ID,Title,Description,Asset,Likelihood,Impact,Residual likelihood,Residual impact\n");
        for i in 0..20_000 {
            csv.push_str(&format!(
                "R-{i:05},Risk {i} to service {},\"Scenario {i}: a threat exploits a weakness in component {}\",Asset {},{},{},1,1\n",
                i % 97,
                i % 1013,
                i % 30,
                1 + i % 5,
                1 + (i / 5) % 5
            ));
        }
        assert!(csv.len() > 2 * 1024 * 1024, "larger than a small upload limit");
        let r = app.api().post(app.url("/api/v1/risks/import")).bearer_auth(&app.admin_token).body(csv).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let report: Value = r.json().await.unwrap();
        assert_eq!(report["created"], 20_000);
        assert_eq!(report["assets_created"].as_array().unwrap().len(), 30);
        let t = &app.admin_token;
        assert_eq!(get(&app, t, "/api/v1/risks?limit=1").await["total"], 20_000);
        assert_eq!(get(&app, t, "/api/v1/risks?limit=1&asset_id=").await["total"], 20_000);
        let verify = get(&app, t, "/api/v1/audit/verify").await;
        assert_eq!(verify["intact"], true);
        assert!(verify["events"].as_i64().unwrap() > 20_030, "each risk and each new asset is recorded");
        let one = get(&app, t, "/api/v1/risks?limit=1").await;
        let history = get(&app, t, &format!("/api/v1/history/risk/{}", one["items"][0]["id"].as_str().unwrap())).await;
        let created = &history["items"][0]["after"];
        assert!(created["assessment"]["id"].is_string(), "the creation event carries the first assessment: {created}");
        assert_eq!(created["asset_ids"].as_array().unwrap().len(), 1);
    }
}

/// The text of a form field's value in a page, for forms that echo input.
fn field_value<'a>(html: &'a str, name: &str) -> &'a str {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name}"));
    let rest = &html[at + name.len() + 15..];
    &rest[..rest.find('"').unwrap()]
}

on_both_engines! {
    async fn the_method_is_edited_in_the_ui_as_a_new_version(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let form = c.get(app.url("/risk-method/edit?likelihood=4&impact=3&levels=3")).send().await.unwrap().text().await.unwrap();
        assert_eq!(field_value(&form, "likelihood_n"), "4");
        assert_eq!(field_value(&form, "levels_n"), "3");
        assert_eq!(field_value(&form, "likelihood1_label"), "Rare", "the saved labels are the starting point");

        // Post the form as a browser would: every field it shows, some changed.
        let mut fields: Vec<(String, String)> = vec![("_csrf".into(), csrf.clone())];
        for (n, v) in [("likelihood_n", "4"), ("impact_n", "3"), ("levels_n", "3")] {
            fields.push((n.into(), v.into()));
        }
        for l in 1..=4 {
            fields.push((format!("likelihood{l}_label"), format!("L{l}")));
        }
        for i in 1..=3 {
            fields.push((format!("impact{i}_label"), format!("I{i}")));
        }
        for (k, (key, colour)) in [("low", "#2f9e44"), ("medium", "#f59f00"), ("high", "#e8590c")].into_iter().enumerate() {
            fields.push((format!("level{k}_key"), key.into()));
            fields.push((format!("level{k}_label"), key.to_uppercase()));
            fields.push((format!("level{k}_colour"), colour.into()));
            fields.push((format!("level{k}_retain"), "1".into()));
            fields.push((format!("level{k}_by"), "admin".into()));
        }
        for l in 1..=4 {
            for i in 1..=3 {
                let level = if l + i >= 6 { "high" } else if l + i >= 4 { "medium" } else { "low" };
                fields.push((format!("m{l}_{i}"), level.into()));
            }
        }
        // A level key that breaks the rules is refused beside the field, and nothing is saved.
        let mut bad = fields.clone();
        bad.retain(|(n, _)| n != "level2_key");
        bad.push(("level2_key".into(), "High Risk!".into()));
        bad.push(("note".into(), "Three levels".into()));
        let r = c.post(app.url("/risk-method")).form(&bad).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("use lowercase letters, digits or _"), "{html}");
        assert_eq!(field_value(&html, "likelihood1_label"), "L1", "what was typed is kept");
        assert_eq!(get(&app, t, "/api/v1/risk-method").await["version"], 1);

        let r = c.post(app.url("/risk-method")).form(&fields).send().await.unwrap();
        assert_eq!(r.status(), 422, "a version without a reason is refused");
        assert!(r.text().await.unwrap().contains("say what changed and why"));

        fields.push(("note".into(), "Smaller scales for a small company".into()));
        let r = c.post(app.url("/risk-method")).form(&fields).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let saved = get(&app, t, "/api/v1/risk-method").await;
        assert_eq!(saved["version"], 2);
        assert_eq!(saved["method"]["likelihood"].as_array().unwrap().len(), 4);
        assert_eq!(saved["method"]["matrix"][3][2], "high");
        assert_eq!(saved["method"]["acceptance"][2]["accepted_by"], json!(["admin"]));
        let page = c.get(app.url("/risk-method?notice=Version%202%20saved.")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Risk method, version 2") && page.contains("Smaller scales for a small company"));

        // A contributor may not change the method.
        app.member_token("carol@acme.example", "contributor").await;
        let (cc, _) = app.signed_in("carol@acme.example").await;
        assert_eq!(cc.get(app.url("/risk-method/edit")).send().await.unwrap().status(), 403);
    }
}

on_both_engines! {
    async fn assets_are_edited_and_retired_in_the_ui(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let a = post(&app, t, "/api/v1/assets", json!({"name": "CRM", "asset_type": "application"})).await.json::<Value>().await.unwrap();
        let id = a["id"].as_str().unwrap();
        post(&app, t, "/api/v1/risks", json!({"title": "CRM data leak", "asset_ids": [id]})).await;
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let list = c.get(app.url("/assets")).send().await.unwrap().text().await.unwrap();
        assert!(list.contains(&format!("href=\"/assets/{id}\"")));
        let page = c.get(app.url(&format!("/assets/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Risks that name it (1)") && page.contains("CRM data leak"), "{page}");

        let r = c.post(app.url(&format!("/assets/{id}"))).form(&[("_csrf", csrf.as_str()), ("name", "CRM"), ("confidentiality", "9"), ("version", "1")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"f-confidentiality-error\">use a whole number from 1 to 5"), "the error stands beside its field: {html}");
        let r = c.post(app.url(&format!("/assets/{id}"))).form(&[("_csrf", csrf.as_str()), ("name", "Salesforce CRM"), ("asset_type", "SaaS"), ("confidentiality", "5"), ("integrity", "4"), ("availability", "3"), ("version", "1")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let a = get(&app, t, &format!("/api/v1/assets/{id}")).await;
        assert_eq!((a["name"].as_str(), a["confidentiality"].as_i64(), a["version"].as_i64()), (Some("Salesforce CRM"), Some(5), Some(2)));
        let r = c.post(app.url(&format!("/assets/{id}"))).form(&[("_csrf", csrf.as_str()), ("name", "Stale"), ("confidentiality", "5"), ("integrity", "4"), ("availability", "3"), ("version", "1")]).send().await.unwrap();
        assert_eq!(r.status(), 412, "an edit from an old page is refused");

        let r = c.post(app.url(&format!("/assets/{id}/retire"))).form(&[("_csrf", csrf.as_str()), ("version", "2")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let r = app.api().get(app.url(&format!("/api/v1/assets/{id}"))).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let history = get(&app, t, &format!("/api/v1/history/asset/{id}")).await;
        let actions: Vec<&str> = history["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["create", "update", "delete"]);
    }
}

on_both_engines! {
    async fn assessments_made_on_earlier_days_are_dated_then(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let r = post(&app, t, "/api/v1/risks", json!({"title": "Old risk", "likelihood": 3, "impact": 3, "assessed_on": "2099-01-01"})).await;
        assert_eq!(r.status(), 422, "not in the future");
        let r = post(&app, t, "/api/v1/risks", json!({"title": "Old risk", "likelihood": 3, "impact": 3, "assessed_on": "2025-03-01"})).await;
        assert_eq!(r.status(), 201);
        let risk: Value = r.json().await.unwrap();
        let id = risk["id"].as_str().unwrap();
        let history = get(&app, t, &format!("/api/v1/risks/{id}/assessments")).await;
        assert!(history["items"][0]["assessed_at"].as_str().unwrap().starts_with("2025-03-01"), "{history}");
        assert_eq!(get(&app, t, "/api/v1/risks/register?as_of=2025-03-01").await["total"], 1);
        assert_eq!(get(&app, t, "/api/v1/risks/register?as_of=2025-02-28").await["total"], 0);

        let patch = |body: Value| app.api().patch(app.url(&format!("/api/v1/risks/{id}"))).bearer_auth(t).json(&body).send();
        let r = patch(json!({"likelihood": 2, "impact": 2, "assessed_on": "2025-02-01"})).await.unwrap();
        assert_eq!(r.status(), 422);
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "assessed_on");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("2025-03-01"));
        let r = patch(json!({"likelihood": 2, "impact": 2, "assessed_on": "2025-09-15"})).await.unwrap();
        assert_eq!(r.status(), 200);
        let as_of = get(&app, t, "/api/v1/risks/register?as_of=2025-06-30").await;
        assert_eq!(as_of["items"][0]["inherent"]["likelihood"], 3, "the register as it stood before the reassessment");
        let as_of = get(&app, t, "/api/v1/risks/register?as_of=2025-09-15").await;
        assert_eq!(as_of["items"][0]["inherent"]["likelihood"], 2);
    }
}

on_both_engines! {
    async fn a_spreadsheet_with_assessment_dates_imports_its_history(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let import = |body: &'static str| app.api().post(app.url("/api/v1/risks/import")).bearer_auth(t).body(body).send();
        let first = "Risk ID,Title,Likelihood,Impact,Assessed on,Next review\n\
R-0100,Ransomware,4,5,15/01/2025,15/01/2026\n\
R-0101,Phishing,3,4,20/02/2025,\n";
        let r = import(first).await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        assert_eq!(get(&app, t, "/api/v1/risks/register?as_of=2025-01-31").await["total"], 1, "only what was assessed by then");
        assert_eq!(get(&app, t, "/api/v1/risks/register?as_of=2025-02-28").await["total"], 2);

        // A later re-assessment from the next year's sheet updates by reference.
        let r = import("Risk ID,Title,Likelihood,Impact,Assessed on\nR-0100,Ransomware,2,5,10/01/2026\n").await.unwrap();
        assert_eq!(r.status(), 200);
        let past = get(&app, t, "/api/v1/risks/register?as_of=2025-12-31").await;
        let row = past["items"].as_array().unwrap().iter().find(|r| r["reference"] == "R-0100").unwrap().clone();
        assert_eq!(row["inherent"]["likelihood"], 4, "the register as it stood before the 2026 sheet");

        // An older date than pawl already holds is refused with its line.
        let r = import("Risk ID,Title,Likelihood,Impact,Assessed on\nR-0100,Ransomware,3,5,01/06/2025\n").await.unwrap();
        assert_eq!(r.status(), 422);
        let problem = r.text().await.unwrap();
        assert!(problem.contains("line 2") && problem.contains("2026-01-10"), "{problem}");
        let r = import("Title,Likelihood,Impact,Assessed on\nFuture,1,1,01/01/2099\n").await.unwrap();
        assert_eq!(r.status(), 422, "not in the future");
    }
}

on_both_engines! {
    async fn reimporting_a_dated_sheet_records_nothing_twice(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let sheet = "Risk ID,Title,Likelihood,Impact,Assessed on\nR-0200,Insider,3,3,2025-05-01\n";
        for _ in 0..2 {
            let r = app.api().post(app.url("/api/v1/risks/import")).bearer_auth(t).body(sheet).send().await.unwrap();
            assert_eq!(r.status(), 200);
        }
        let risk = get(&app, t, "/api/v1/risks").await["items"][0].clone();
        let id = risk["id"].as_str().unwrap();
        assert_eq!(get(&app, t, &format!("/api/v1/risks/{id}/assessments")).await["total"], 1, "the same day and scores: one record");
        // New scores on the same day come after the first, so the day ends with them.
        let r = app.api().post(app.url("/api/v1/risks/import")).bearer_auth(t)
            .body("Risk ID,Title,Likelihood,Impact,Assessed on\nR-0200,Insider,4,4,2025-05-01\n").send().await.unwrap();
        assert_eq!(r.status(), 200);
        let as_of = get(&app, t, "/api/v1/risks/register?as_of=2025-05-01").await;
        assert_eq!(as_of["items"][0]["inherent"]["likelihood"], 4);
    }
}

on_both_engines! {
    async fn imported_rows_without_a_reference_get_free_numbers(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        assert_eq!(post(&app, t, "/api/v1/risks", json!({"title": "First"})).await.status(), 201);
        let r = app.api().post(app.url("/api/v1/risks/import")).bearer_auth(t)
            .body("Risk ID,Title\n,Alpha\nR-0003,Beta\n,Gamma\n").send().await.unwrap();
        assert_eq!(r.status(), 200);
        let all = get(&app, t, "/api/v1/risks?sort=reference&order=asc").await;
        let refs: Vec<(String, String)> = all["items"].as_array().unwrap().iter()
            .map(|r| (r["reference"].as_str().unwrap().to_owned(), r["title"].as_str().unwrap().to_owned())).collect();
        let want: Vec<(String, String)> = [("R-0001", "First"), ("R-0002", "Alpha"), ("R-0003", "Beta"), ("R-0004", "Gamma")]
            .iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(refs, want, "numbers the file uses and numbers taken are skipped");
    }
}

/// The register's totals and heat maps as counted from the risks themselves:
/// (live total, closed, inherent cells of open risks).
async fn counted_by_hand(app: &TestApp, token: &str) -> (u64, u64, std::collections::BTreeMap<(u64, u64), u64>) {
    let all = get(app, token, "/api/v1/risks?limit=200").await;
    let items = all["items"].as_array().unwrap();
    let mut cells = std::collections::BTreeMap::new();
    let mut closed = 0;
    for r in items {
        if r["status"] == "closed" {
            closed += 1;
            continue;
        }
        let s = &r["inherent"];
        if s.is_object() {
            *cells
                .entry((s["likelihood"].as_u64().unwrap(), s["impact"].as_u64().unwrap()))
                .or_default() += 1;
        }
    }
    (items.len() as u64, closed, cells)
}

/// The same figures as the register serves them from its kept counts.
async fn kept(app: &TestApp, token: &str) -> (u64, u64, std::collections::BTreeMap<(u64, u64), u64>) {
    let total = get(app, token, "/api/v1/risks?limit=1").await["total"]
        .as_u64()
        .unwrap();
    let closed = get(app, token, "/api/v1/risks?status=closed&limit=1").await["total"]
        .as_u64()
        .unwrap();
    let map = get(app, token, "/api/v1/risks/heatmap?kind=inherent").await;
    let mut cells = std::collections::BTreeMap::new();
    for (l, row) in map["cells"].as_array().unwrap().iter().enumerate() {
        for (i, c) in row.as_array().unwrap().iter().enumerate() {
            let n = c["count"].as_u64().unwrap();
            if n > 0 {
                cells.insert((l as u64 + 1, i as u64 + 1), n);
            }
        }
    }
    (total, closed, cells)
}

on_both_engines! {
    async fn kept_totals_heat_maps_and_search_follow_every_change(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let mut ids = Vec::new();
        for (n, (l, i)) in [(4, 5), (2, 2), (3, 3), (5, 1)].iter().enumerate() {
            let r = post(&app, t, "/api/v1/risks", json!({"title": format!("Kept {n} wombat"), "likelihood": l, "impact": i})).await;
            assert_eq!(r.status(), 201);
            ids.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(kept(&app, t).await, counted_by_hand(&app, t).await, "after creation");
        assert_eq!(get(&app, t, "/api/v1/risks?q=wombat").await["total"], 4);

        let patch = |id: &str, body: Value| app.api().patch(app.url(&format!("/api/v1/risks/{id}"))).bearer_auth(t).json(&body).send();
        assert_eq!(patch(&ids[0], json!({"likelihood": 1, "title": "Kept zero kangaroo"})).await.unwrap().status(), 200);
        assert_eq!(patch(&ids[1], json!({"status": "closed"})).await.unwrap().status(), 200);
        assert_eq!(kept(&app, t).await, counted_by_hand(&app, t).await, "after a move of cell and a closure");
        assert_eq!(get(&app, t, "/api/v1/risks?q=wombat").await["total"], 3, "the old title is gone from the index");
        assert_eq!(get(&app, t, "/api/v1/risks?q=kanga").await["total"], 1, "words match by prefix");

        let r = app.api().delete(app.url(&format!("/api/v1/risks/{}", ids[2]))).bearer_auth(t).send().await.unwrap();
        assert!(r.status().is_success());
        let sheet = "Risk ID;Risk;Probability;Consequence\r\nR-900;Imported platypus;4;5\r\nR-901;Imported echidna;2;2\r\n";
        let r = app.api().post(app.url("/api/v1/risks/import")).bearer_auth(t).body(sheet).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let (total, closed, cells) = kept(&app, t).await;
        assert_eq!((total, closed, cells.clone()), counted_by_hand(&app, t).await, "after retiring and importing");
        assert_eq!(cells.get(&(4, 5)), Some(&1), "the imported risk is on the map");
        assert_eq!(get(&app, t, "/api/v1/risks?q=platypus").await["total"], 1, "imported risks are searchable");
        assert_eq!(get(&app, t, "/api/v1/risks?q=wombat").await["total"], 2, "a retired risk is not found");
        assert_eq!(get(&app, t, "/api/v1/risks?status=treated").await["items"], json!([]), "an empty state lists nothing");
        assert_eq!(get(&app, t, "/api/v1/risks?q=%22%2A%29").await["total"], 0, "search syntax is not passed on");
        // A reference is one word: the whole of it, or its start.
        let one = get(&app, t, "/api/v1/risks?q=R-900").await;
        assert_eq!((one["total"].as_i64(), one["items"][0]["reference"].as_str()), (Some(1), Some("R-900")));
        assert_eq!(get(&app, t, "/api/v1/risks?q=R-90").await["total"], 2, "R-900 and R-901");
        assert_eq!(get(&app, t, "/api/v1/risks?q=r-0001%20kangaroo").await["total"], 1);
    }
}

on_both_engines! {
    /// Issue 15: a risk never goes without a next review (8.2); it follows
    /// from the assessment and the interval unless a date is given.
    async fn the_next_review_follows_the_assessment_and_interval(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let day = |offset: i64| (time::OffsetDateTime::now_utc().date() + time::Duration::days(offset)).to_string();
        let r: Value = post(&app, t, "/api/v1/risks", json!({"title": "Yearly", "review_interval_days": 365, "next_review": ""})).await.json().await.unwrap();
        assert_eq!(r["next_review"], day(365).as_str(), "an empty date follows the interval: {r}");
        let id = r["id"].as_str().unwrap();
        let patch = |body: Value| app.api().patch(app.url(&format!("/api/v1/risks/{id}"))).bearer_auth(t).json(&body).send();
        let r: Value = patch(json!({"review_interval_days": 90})).await.unwrap().json().await.unwrap();
        assert_eq!(r["next_review"], day(90).as_str(), "a shorter interval brings the review forward");
        let dated: Value = post(&app, t, "/api/v1/risks", json!({"title": "Assessed last month", "likelihood": 2, "impact": 3,
            "assessed_on": day(-30), "review_interval_days": 90})).await.json().await.unwrap();
        assert_eq!(dated["next_review"], day(60).as_str(), "from the dated assessment: {dated}");
        let r: Value = patch(json!({"next_review": day(10)})).await.unwrap().json().await.unwrap();
        assert_eq!(r["next_review"], day(10).as_str(), "an explicit date stands");
        let r: Value = patch(json!({"category": "Ops"})).await.unwrap().json().await.unwrap();
        assert_eq!(r["next_review"], day(10).as_str(), "an unrelated change keeps it");
    }
}

on_both_engines! {
    async fn the_acceptance_form_is_offered_to_those_who_may_use_it_and_keeps_what_was_typed(engine: Engine) {
        let app = spawn_app(engine).await;
        let tom = app.member_token("tom@acme.example", "contributor").await;
        app.member_token("mgr@acme.example", "manager").await;
        let medium: Value = post(&app, &tom, "/api/v1/risks", json!({"title": "Lost laptop", "owner": "tom@acme.example", "likelihood": 2, "impact": 3})).await.json().await.unwrap();
        let page = format!("/risks/{}", medium["id"].as_str().unwrap());

        // The owner's role may not accept a medium risk: no form, and the page says who can.
        let (c, _) = app.signed_in("tom@acme.example").await;
        let html = c.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
        assert!(!html.contains("/accept\""), "the contributor is offered a form they cannot use");
        assert!(html.contains("may be accepted by: ISMS manager, Administrator"), "{html}");

        // The manager may, on the owner's behalf; an error keeps the rationale.
        let (c, csrf) = app.signed_in("mgr@acme.example").await;
        let html = c.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("on behalf of its owner, tom@acme.example"));
        let r = c.post(app.url(&format!("{page}/accept")))
            .form(&[("_csrf", csrf.as_str()), ("rationale", "Disk encryption covers it"), ("expires_on", "2001-01-01")])
            .send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("must expire after today"));
        assert!(html.contains(">Disk encryption covers it</textarea>"), "the typed rationale is lost");
        let r = c.post(app.url(&format!("{page}/accept")))
            .form(&[("_csrf", csrf.as_str()), ("rationale", "Disk encryption covers it"), ("expires_on", "2099-01-01")])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
        let html = c.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("on behalf of tom@acme.example"));
    }
}

on_both_engines! {
    async fn history_reads_in_words_and_the_trail_filters_by_person_record_action_and_day(engine: Engine) {
        let app = spawn_app(engine).await;
        let tom = app.member_token("tom@acme.example", "contributor").await;
        let risk: Value = post(&app, &tom, "/api/v1/risks", json!({"title": "Lost laptop", "owner": "tom@acme.example",
            "likelihood": 2, "impact": 4, "residual_likelihood": 2, "residual_impact": 4})).await.json().await.unwrap();
        let id = risk["id"].as_str().unwrap();
        let r = app.api().patch(app.url(&format!("/api/v1/risks/{id}"))).bearer_auth(&tom)
            .json(&json!({"residual_likelihood": 1, "treatment": "modify"})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        post(&app, &tom, "/api/v1/treatment-actions", json!({"risk_id": id, "description": "Encrypt every disk", "owner": "tom@acme.example"})).await;

        let (c, _) = app.signed_in(ADMIN_EMAIL).await;
        let html = c.get(app.url(&format!("/history/risk/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("History of R-0001 Lost laptop"), "{html}");
        assert!(html.contains("<th scope=\"row\">Residual risk</th>"));
        assert!(html.contains(">Medium 2×4</td>") && html.contains(">Low 1×4</td>"), "{html}");
        assert!(html.contains(">Modify (mitigate)</td>"));
        assert!(!html.contains("likelihood&quot;") && !html.contains("\"likelihood\""), "no raw JSON");

        // The action names its risk by reference and title, not by id.
        let html = c.get(app.url("/audit?entity_type=treatment_action")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("1 event match"), "{html}");
        assert!(html.contains("<td class=\"diff-new\">R-0001 Lost laptop</td>"), "{html}");

        let count = |html: &str| html.matches("class=\"event\"").count();
        let all = c.get(app.url("/audit")).send().await.unwrap().text().await.unwrap();
        let by_tom = c.get(app.url("/audit?actor=tom%40acme")).send().await.unwrap().text().await.unwrap();
        assert!(count(&by_tom) >= 3 && count(&all) > count(&by_tom), "{}", count(&by_tom));
        assert!(!by_tom.contains(&format!("by <strong>{ADMIN_EMAIL}")), "only tom's changes");
        let updates = c.get(app.url("/audit?actor=tom%40acme&action=update")).send().await.unwrap().text().await.unwrap();
        assert_eq!(count(&updates), 1);
        let none = c.get(app.url("/audit?to=2001-01-01")).send().await.unwrap().text().await.unwrap();
        assert!(none.contains("No event matches these filters."));
        let r = c.get(app.url("/audit?from=yesterday")).send().await.unwrap();
        assert!(r.text().await.unwrap().contains("from"), "a bad day is named");

        // The API filters alike.
        let today = time::OffsetDateTime::now_utc().date().to_string();
        let events = get(&app, &app.admin_token, &format!("/api/v1/audit/events?actor=tom@acme.example&from={today}&to={today}")).await;
        assert_eq!(events["items"].as_array().unwrap().len(), count(&by_tom));
        let r = app.api().get(app.url("/api/v1/audit/events?to=31-12-2026")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 422);
    }
}
