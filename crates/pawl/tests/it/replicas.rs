//! Several pawl servers on one database behave as one (issue 16): a token
//! or a session made through one works on another, the sign-in limit
//! counts attempts made through any of them, and concurrent writes through
//! all of them keep one unbroken audit chain. Each replica has its own
//! pools and its own cached audit head, as separate processes would.

use crate::harness::{spawn_app, Engine, TestApp, ADMIN_EMAIL, PASSWORD};
use crate::on_both_engines;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// Another server on the test app's database.
async fn replica(app: &TestApp) -> SocketAddr {
    let other = app.db.app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { pawl_web::serve(listener, other, std::future::pending()).await.unwrap() });
    addr
}

on_both_engines! {
    async fn replicas_share_sessions_the_sign_in_limit_and_one_audit_chain(engine: Engine) {
        let app = spawn_app(engine).await;
        let others = [replica(&app).await, replica(&app).await];
        let on = |addr: &SocketAddr, path: &str| format!("http://{addr}{path}");
        let all: Vec<SocketAddr> = std::iter::once(app.addr).chain(others).collect();

        let r = app.api().get(on(&others[0], "/api/v1/me")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 200, "a token made through one replica works on another");
        let c = app.browser();
        let r = c.post(on(&others[0], "/login")).form(&[("email", ADMIN_EMAIL), ("password", PASSWORD), ("next", "/")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let me: Value = c.get(on(&others[1], "/api/v1/me")).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["email"], ADMIN_EMAIL, "a session made through one replica works on another");

        // Five failures spread over the replicas use up the account's allowance on all of them.
        for i in 0..5 {
            let r = app.browser().post(on(&all[i % 3], "/login")).form(&[("email", "tom@example.com"), ("password", "wrong")]).send().await.unwrap();
            assert_eq!(r.status(), 401, "attempt {i}");
        }
        let r = app.browser().post(on(&all[2], "/login")).form(&[("email", "tom@example.com"), ("password", "wrong")]).send().await.unwrap();
        assert_eq!(r.status(), 429, "the sixth waits, whichever replica it reaches");

        // Eight workers write through the three replicas in turn.
        let workers = (0..8).map(|w| {
            let (client, token, all) = (app.api(), app.admin_token.clone(), all.clone());
            tokio::spawn(async move {
                let mut done = Vec::new();
                for i in 0..25 {
                    let addr = all[(w + i) % 3];
                    let r = client.post(format!("http://{addr}/api/v1/assets")).bearer_auth(&token)
                        .json(&json!({"name": format!("Asset {w}-{i}")})).send().await.unwrap();
                    assert_eq!(r.status(), 201, "write {w}-{i}");
                    let v: Value = r.json().await.unwrap();
                    done.push(v["id"].as_str().unwrap().to_owned());
                }
                done
            })
        });
        let mut written = Vec::new();
        for w in workers {
            written.extend(w.await.unwrap());
        }
        assert_eq!(written.len(), 200);
        for (i, id) in written.iter().enumerate().step_by(17) {
            let r = app.api().get(on(&all[i % 3], &format!("/api/v1/assets/{id}"))).bearer_auth(&app.admin_token).send().await.unwrap();
            assert_eq!(r.status(), 200, "every acknowledged write is there");
        }
        let list: Value = app.api().get(app.url("/api/v1/assets?limit=1")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(list["total"], 200);
        let v: Value = app.api().get(on(&others[1], "/api/v1/audit/verify")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(v["intact"], true, "one unbroken chain: {v}");
        let health: Value = app.api().get(on(&others[0], "/api/v1/health")).send().await.unwrap().json().await.unwrap();
        assert_eq!((health["database_reachable"].as_bool(), health["status"].as_str()), (Some(true), Some("ok")));
        assert_eq!(health["schema_version"], health["schema_expected"]);
    }
}

on_both_engines! {
    async fn replicas_starting_at_once_on_an_empty_database_migrate_it_once(engine: Engine) {
        let db = crate::harness::TestDb::new(engine).await;
        let open = || async {
            pawl_store::Store::connect(&db.location)
                .await
                .expect("connect")
                .migrate()
                .await
                .expect("every replica starts")
        };
        let (a, b, c, d) = tokio::join!(open(), open(), open(), open());
        let mut applied = vec![a, b, c, d];
        applied.sort();
        let all = pawl_store::schema_version() as usize;
        assert_eq!(applied, [0, 0, 0, all], "exactly one ran the migrations, the others waited");
        let store = db.store().await;
        assert_eq!(store.applied_schema_version().await.unwrap(), pawl_store::schema_version());
    }
}
