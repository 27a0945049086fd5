//! The demo organisation that `pawl serve --demo` loads: complete, with a
//! year of history, and loaded once however often the server starts.

use crate::harness::{spawn_app, Engine};
use crate::on_both_engines;
use pawl_domain::audit::Actor;
use serde_json::Value;

on_both_engines! {
    async fn the_demo_organisation_has_a_year_of_history_and_loads_once(engine: Engine) {
        let app = spawn_app(engine).await;
        pawl_app::demo::ensure_demo(&app.app, "demo-password-1").await.unwrap();
        pawl_app::demo::ensure_demo(&app.app, "demo-password-1").await.unwrap();
        let store = app.store();
        let org = store.organisation_by_slug(pawl_app::demo::SLUG).await.unwrap();
        let admin = store
            .user_by_email(&pawl_domain::identity::Email::parse(pawl_app::demo::ADMIN_EMAIL).unwrap())
            .await
            .unwrap()
            .unwrap();
        let (token, _) = pawl_app::auth::issue_token(&app.app, &org.id, &Actor::system("test"), &admin.id, "t").await.unwrap();
        let get = |path: String| {
            let r = app.api().get(app.url(&path)).bearer_auth(&token).send();
            async move {
                let r = r.await.unwrap();
                assert_eq!(r.status(), 200, "GET {path}");
                r.json::<Value>().await.unwrap()
            }
        };
        assert_eq!(get("/api/v1/members".into()).await["total"], 200, "the company's whole headcount");
        assert_eq!(get("/api/v1/risks?limit=1".into()).await["total"], 40, "loaded once");
        assert_eq!(get("/api/v1/assets?limit=1".into()).await["total"], 12);
        for status in ["identified", "assessed", "treatment_planned", "in_treatment", "accepted", "closed"] {
            assert!(get(format!("/api/v1/risks?limit=1&status={status}")).await["total"].as_i64().unwrap() > 0, "{status}");
        }
        assert!(get("/api/v1/risks/due".into()).await["total"].as_i64().unwrap() > 0);

        // The register as it stood: a year ago nothing, after the annual
        // workshop every risk with its inherent score only, today residuals too.
        let day = |back: i64| (time::OffsetDateTime::now_utc().date() - time::Duration::days(back)).to_string();
        assert_eq!(get(format!("/api/v1/risks/register?as_of={}", day(400))).await["total"], 0);
        let after_workshop = get(format!("/api/v1/risks/register?as_of={}", day(250))).await;
        assert_eq!(after_workshop["total"], 40);
        assert!(after_workshop["items"].as_array().unwrap().iter().all(|r| r["residual"].is_null()));
        let now = get(format!("/api/v1/risks/register?as_of={}", day(0))).await;
        assert!(now["items"].as_array().unwrap().iter().filter(|r| !r["residual"].is_null()).count() > 25);

        let controls = get("/api/v1/controls?limit=1".into()).await;
        assert!(controls["total"].as_i64().unwrap() >= 60);
        let soa = get("/api/v1/soa".into()).await;
        assert_eq!(soa["approved_version"], 1);
        assert!(soa["items"].as_array().unwrap().iter().all(|r| r["decided"] == true), "a complete SoA");
        assert!(
            soa["items"].as_array().unwrap().iter().all(|r| !r["justification"].as_str().unwrap().is_empty()),
            "every row says why"
        );
        assert_eq!(soa["items"].as_array().unwrap().iter().filter(|r| r["applicable"] == false).count(), 3);
        assert!(get("/api/v1/soa/compare?from=1".into()).await["total"].as_i64().unwrap() >= 1, "a later draft");
        let backups = get("/api/v1/controls?annex=8.13".into()).await;
        let id = backups["items"][0]["id"].as_str().unwrap().to_owned();
        let results = get(format!("/api/v1/controls/{id}/results")).await;
        assert!(results["total"].as_i64().unwrap() >= 11, "a year of monthly results");
        let evidence = get("/api/v1/evidence".into()).await;
        assert_eq!(evidence["total"], 5);
        assert!(evidence["items"].as_array().unwrap().iter().any(|e| e["stale"] == true));

        // Documented information: four levels, work in progress, reading to do.
        assert_eq!(get("/api/v1/documents?limit=1".into()).await["total"], 25);
        for level in ["policy", "process", "procedure", "work_instruction"] {
            assert!(get(format!("/api/v1/documents?limit=1&level={level}")).await["total"].as_i64().unwrap() > 0, "{level}");
        }
        assert_eq!(get("/api/v1/documents?limit=1&working_status=in_review".into()).await["total"], 1);
        let acks = get("/api/v1/acknowledgements".into()).await;
        let total = &acks["total"];
        assert!(total["acknowledged"].as_i64().unwrap() > 0 && total["acknowledged"].as_i64() < total["required"].as_i64(), "{acks}");
        let policies = get("/api/v1/documents?limit=50&level=policy".into()).await;
        let policy = policies["items"].as_array().unwrap().iter().find(|d| d["title"] == "Access control policy").cloned().unwrap();
        let pid = policy["id"].as_str().unwrap().to_owned();
        let links = get(format!("/api/v1/links?from=document:{pid}")).await;
        assert!(links["items"].as_array().unwrap().iter().any(|l| l["type"] == "describes"), "{links}");

        // Audits and nonconformities: every stage, every root-cause method.
        assert_eq!(get("/api/v1/audits?limit=1".into()).await["total"], 3);
        assert_eq!(get("/api/v1/findings?limit=1".into()).await["total"], 6);
        for status in ["open", "actioned", "awaiting_verification", "closed", "reopened"] {
            assert!(get(format!("/api/v1/nonconformities?limit=1&status={status}")).await["total"].as_i64().unwrap() > 0, "{status}");
        }
        let ncs = get("/api/v1/nonconformities?limit=50".into()).await;
        let mut methods = Vec::new();
        for nc in ncs["items"].as_array().unwrap() {
            let rc = get(format!("/api/v1/nonconformities/{}/root-cause", nc["id"].as_str().unwrap())).await;
            methods.extend(rc["methods"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()));
        }
        for m in ["5 whys", "Fishbone", "Fault tree", "Barrier analysis"] {
            assert!(methods.iter().any(|x| x == m), "{m} is used");
        }
        assert!(get("/api/v1/corrective-actions?limit=1&status=not_effective".into()).await["total"].as_i64().unwrap() > 0);
        assert_eq!(get("/api/v1/audit/verify".into()).await["intact"], true);
    }
}
