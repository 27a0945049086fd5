//! Health, authentication, the OpenAPI document and bad input.

use crate::harness::{spawn_app, Engine};
use crate::on_both_engines;
use serde_json::Value;

on_both_engines! {
    async fn health_needs_no_auth_and_names_the_engine(engine: Engine) {
        let app = spawn_app(engine).await;
        let r = app.api().get(app.url("/api/v1/health")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        let expected = match engine { Engine::Sqlite => "sqlite", Engine::Postgres => "postgres" };
        assert_eq!(body["database"], expected);
    }
}

on_both_engines! {
    async fn everything_else_needs_auth_and_says_so_as_a_problem(engine: Engine) {
        let app = spawn_app(engine).await;
        for path in ["/api/v1/me", "/api/v1/members", "/api/v1/catalog/iso27001-2022/annex-a", "/api/v1/audit/events"] {
            let r = app.api().get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 401, "{path}");
            assert_eq!(r.headers()["content-type"], "application/problem+json", "{path}");
            let p: Value = r.json().await.unwrap();
            assert_eq!(p["status"], 401);
            assert!(p["type"].as_str().unwrap().ends_with("/unauthenticated"));
        }
        let r = app.api().get(app.url("/api/v1/me")).bearer_auth("pawl_not-a-token").send().await.unwrap();
        assert_eq!(r.status(), 401);
        let p: Value = r.json().await.unwrap();
        assert!(p["detail"].as_str().unwrap().contains("unknown or revoked"));
    }
}

on_both_engines! {
    async fn a_token_acts_as_its_owner_until_revoked(engine: Engine) {
        let app = spawn_app(engine).await;
        let c = app.api();
        let r = c.post(app.url("/api/v1/tokens")).bearer_auth(&app.admin_token)
            .json(&serde_json::json!({"name": "ci-evidence-upload"})).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let created: Value = r.json().await.unwrap();
        let secret = created["token"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("pawl_") && secret.len() > 40);
        assert!(secret.starts_with(created["record"]["prefix"].as_str().unwrap()));

        let me: Value = c.get(app.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["email"], crate::harness::ADMIN_EMAIL);
        assert_eq!(me["authenticated_by"], "token");
        assert_eq!(me["organisation"]["slug"], "acme");
        assert!(me["permissions"].as_array().unwrap().iter().any(|p| p == "manage_organisation"));

        // The secret is stored only as a hash: it appears in no listing.
        let list = c.get(app.url("/api/v1/tokens")).bearer_auth(&app.admin_token).send().await.unwrap().text().await.unwrap();
        assert!(!list.contains(&secret));
        let listed: Value = serde_json::from_str(&list).unwrap();
        let used = listed["items"].as_array().unwrap().iter().find(|t| t["name"] == "ci-evidence-upload").unwrap();
        assert!(used["last_used_at"].is_string(), "last use is recorded");

        let id = created["record"]["id"].as_str().unwrap();
        let r = c.delete(app.url(&format!("/api/v1/tokens/{id}"))).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 204);
        let r = c.get(app.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap();
        assert_eq!(r.status(), 401, "a revoked token no longer works");
    }
}

on_both_engines! {
    async fn malformed_requests_get_problems_that_name_the_fault(engine: Engine) {
        let app = spawn_app(engine).await;
        let c = app.api();
        let r = c.post(app.url("/api/v1/members")).bearer_auth(&app.admin_token)
            .header("content-type", "application/json").body("{\"email\": ").send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let p: Value = r.json().await.unwrap();
        assert!(p["detail"].as_str().unwrap().to_lowercase().contains("eof"), "{p}");

        let r = c.post(app.url("/api/v1/members")).bearer_auth(&app.admin_token)
            .header("content-type", "text/plain").body("hello").send().await.unwrap();
        assert_eq!(r.status(), 415);

        let r = c.post(app.url("/api/v1/members")).bearer_auth(&app.admin_token)
            .json(&serde_json::json!({"email": "a@b.io", "role": "viewer", "colour": "red"})).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let p: Value = r.json().await.unwrap();
        assert!(p["detail"].as_str().unwrap().contains("colour"), "{p}");

        let r = c.get(app.url("/api/v1/members?limit=lots")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("limit"));

        let r = c.get(app.url("/api/v1/members?cursor=zz")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], "cursor");

        let r = c.get(app.url("/api/v1/nowhere")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 404);
    }
}

on_both_engines! {
    async fn responses_carry_the_security_headers(engine: Engine) {
        let app = spawn_app(engine).await;
        let r = app.api().get(app.url("/login")).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["cache-control"], "no-store");
    }
}

/// Every API route is in the OpenAPI document with its method, every
/// operation in the document has an access rule, and each declares its
/// responses: the document is complete.
#[tokio::test]
async fn the_openapi_document_covers_every_api_route() {
    let app = spawn_app(Engine::Sqlite).await;
    let doc: Value = app
        .api()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = Vec::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            documented.push((method.to_uppercase(), path.clone()));
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
            for (status, answer) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    let types: Vec<&String> = answer["content"]
                        .as_object()
                        .map(|c| c.keys().collect())
                        .unwrap_or_default();
                    // Every error may be a problem document; some are also a report
                    // of their own (an import's refusal, every problem by line).
                    assert!(
                        types.contains(&&"application/problem+json".to_owned()),
                        "{method} {path} {status}: {types:?}"
                    );
                }
            }
            assert!(op["responses"]["400"].is_object(), "{method} {path} documents no 400");
            assert!(op["responses"]["422"].is_object(), "{method} {path} documents no 422");
            if path.contains('{') {
                assert!(op["responses"]["404"].is_object(), "{method} {path} documents no 404");
            }
        }
    }
    let routed: Vec<(String, String)> = pawl_web::policy::all_routes()
        .filter(|(_, p, _)| p.starts_with("/api/"))
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    for r in &routed {
        assert!(documented.contains(r), "{r:?} is routed but not documented");
    }
    for d in &documented {
        assert!(routed.contains(d), "{d:?} is documented but has no access rule");
    }
    let annex = &paths["/api/v1/catalog/iso27001-2022/annex-a/{id}"]["get"]["responses"]["200"];
    assert_eq!(
        annex["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/AnnexControlOut",
        "the catalog is documented with its own schema, not the applied controls'"
    );
    for schema in [
        "Problem",
        "MemberOut",
        "ControlOut",
        "AnnexControlOut",
        "AuditEventOut",
        "Health",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema} missing"
        );
    }
}
