//! The ISO/IEC 27001:2022 catalog through the API.

use crate::harness::{spawn_app, Engine};
use crate::on_both_engines;
use serde_json::Value;

on_both_engines! {
    async fn annex_a_lists_93_controls_filterable_by_theme_and_attribute(engine: Engine) {
        let app = spawn_app(engine).await;
        let get = |q: &'static str| {
            let req = app.api().get(app.url(&format!("/api/v1/catalog/iso27001-2022/annex-a{q}"))).bearer_auth(&app.admin_token);
            async move { req.send().await.unwrap() }
        };
        let all: Value = get("").await.json().await.unwrap();
        assert_eq!(all["total"], 93);
        let items = all["items"].as_array().unwrap();
        assert_eq!(items.len(), 93);
        assert_eq!(items[0]["id"], "5.1");
        assert_eq!(items[0]["theme"], "Organizational");
        assert!(items[0]["title"].as_str().unwrap().contains("Policies"));

        let people: Value = get("?theme=people").await.json().await.unwrap();
        assert_eq!(people["total"], 8);

        let detective: Value = get("?attribute=control_type&value=Detective").await.json().await.unwrap();
        let n = detective["total"].as_i64().unwrap();
        assert!(n > 0 && n < 93);
        assert!(detective["items"].as_array().unwrap().iter()
            .all(|c| c["attributes"]["control_type"].as_array().unwrap().iter().any(|v| v == "Detective")));

        let r = get("?theme=Cosmic&attribute=colour&value=x").await;
        assert_eq!(r.status(), 422);
        let p: Value = r.json().await.unwrap();
        let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["theme", "attribute"]);
    }
}

on_both_engines! {
    async fn single_controls_and_clauses_are_addressable(engine: Engine) {
        let app = spawn_app(engine).await;
        let c = app.api();
        for id in ["8.34", "A.8.34"] {
            let r = c.get(app.url(&format!("/api/v1/catalog/iso27001-2022/annex-a/{id}"))).bearer_auth(&app.admin_token).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["annex_ref"], "A.8.34");
            assert_eq!(v["theme"], "Technological");
        }
        let r = c.get(app.url("/api/v1/catalog/iso27001-2022/annex-a/9.9")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 404);

        let clauses: Value = c.get(app.url("/api/v1/catalog/iso27001-2022/clauses")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        let ids: Vec<&str> = clauses["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&"6.1.2") && ids.contains(&"10.2"));
        let one: Value = c.get(app.url("/api/v1/catalog/iso27001-2022/clauses/6.1.3")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(one["parent"], "6.1");
        assert_eq!(one["level"], 3);
    }
}
