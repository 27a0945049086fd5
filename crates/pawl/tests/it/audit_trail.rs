//! The audit trail: one event per change, in the same transaction, chained
//! so that any tampering with stored bytes is found and located.

use crate::harness::{spawn_app, Engine, TestDb, PASSWORD};
use crate::on_both_engines;
use pawl_domain::audit::Actor;
use pawl_domain::identity::{Email, OrgSlug, Role};
use pawl_store::{Store, VerifyOutcome};
use serde_json::{json, Value};

on_both_engines! {
    async fn each_change_is_recorded_with_actor_and_before_and_after(engine: Engine) {
        let app = spawn_app(engine).await;
        let c = app.api();
        let m = app.join_by_invitation("lena@acme.example", "contributor").await;
        let id = m["id"].as_str().unwrap();
        c.patch(app.url(&format!("/api/v1/members/{id}"))).bearer_auth(&app.admin_token)
            .json(&json!({"role": "manager"})).send().await.unwrap();

        let h: Value = c.get(app.url(&format!("/api/v1/history/member/{id}"))).bearer_auth(&app.admin_token)
            .send().await.unwrap().json().await.unwrap();
        let events = h["items"].as_array().unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0]["action"], "create");
        assert!(events[0]["before"].is_null());
        assert_eq!(events[0]["after"]["role"], "contributor");
        assert_eq!(events[1]["action"], "update");
        assert_eq!(events[1]["actor_kind"], "token");
        assert_eq!(events[1]["actor_name"], format!("test-admin ({})", crate::harness::ADMIN_EMAIL));
        assert_eq!(events[1]["before"]["role"], "contributor");
        assert_eq!(events[1]["after"]["role"], "manager");
        assert_eq!(events[1]["changes"], json!([{"field": "role", "old": "contributor", "new": "manager"}]));
        assert_eq!(events[0]["actor_name"], "lena@acme.example", "she joined by accepting her invitation");
        assert!(events[1]["seq"].as_i64() > events[0]["seq"].as_i64(), "in the chain's order");

        let trail: Value = c.get(app.url("/api/v1/audit/events?limit=2")).bearer_auth(&app.admin_token)
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(trail["items"][0]["seq"], events[1]["seq"].clone(), "newest first");
        let older: Value = c.get(app.url(&format!("/api/v1/audit/events?limit=2&cursor={}", trail["next_cursor"].as_str().unwrap())))
            .bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(older["items"][0]["seq"].as_i64().unwrap(), trail["items"][1]["seq"].as_i64().unwrap() - 1);

        let v: Value = c.get(app.url("/api/v1/audit/verify")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(v["intact"], true);
        assert_eq!(v["events"], trail["total"]);
    }
}

on_both_engines! {
    async fn a_failed_change_leaves_neither_data_nor_event(engine: Engine) {
        let app = spawn_app(engine).await;
        let before = app.store().org(&app.org_id).audit_events(&Default::default(), &Default::default()).await.unwrap().total;
        let mut tx = app.store().write(&app.org_id, &Actor::system("test")).await.unwrap();
        tx.add_member(&pawl_store::NewMember {
            email: Email::parse("ghost@acme.example").unwrap(),
            name: String::new(),
            role: Role::Viewer,
            password_hash: "x".into(),
            address: pawl_store::AddressProof::Proven,
        }).await.unwrap();
        drop(tx);
        let after = app.store().org(&app.org_id).audit_events(&Default::default(), &Default::default()).await.unwrap().total;
        assert_eq!(before, after, "the rolled-back event is gone");
        assert!(app.store().user_by_email(&Email::parse("ghost@acme.example").unwrap()).await.unwrap().is_none());
        assert_eq!(app.store().verify_audit_chain(&app.org_id).await.unwrap(), VerifyOutcome::Intact { events: after });
    }
}

/// Runs `sql` with the organisation id as `$1` against the raw database,
/// standing in for someone with write access to the database files.
async fn tamper(store_db: &TestDb, sql: &str, org_id: &str) {
    sqlx::any::install_default_drivers();
    let url = match &store_db.location {
        pawl_store::Location::SqliteFile(p) => format!("sqlite://{}", p.display()),
        pawl_store::Location::Postgres(u) => u.clone(),
    };
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.unwrap();
    let done = sqlx::query(sql).bind(org_id).execute(&mut conn).await.unwrap();
    assert!(done.rows_affected() > 0, "tampering changed nothing: {sql}");
}

async fn chain_of_ten(db: &TestDb) -> (Store, String) {
    let store = db.store().await;
    let org = store
        .create_organisation(&Actor::system("t"), &OrgSlug::parse("acme").unwrap(), "Acme")
        .await
        .unwrap();
    for i in 0..9 {
        let mut tx = store.write(&org.id, &Actor::system("t")).await.unwrap();
        tx.update_organisation(
            &pawl_store::OrganisationChange {
                name: Some(&format!("Acme {i}")),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(
        store.verify_audit_chain(&org.id).await.unwrap(),
        VerifyOutcome::Intact { events: 10 }
    );
    (store, org.id)
}

fn broken_at(outcome: VerifyOutcome) -> i64 {
    match outcome {
        VerifyOutcome::Broken(b) => b.seq,
        VerifyOutcome::Intact { events } => {
            panic!("tampering went unnoticed ({events} events intact)")
        }
    }
}

on_both_engines! {
    async fn tampering_with_any_stored_column_is_found_at_its_event(engine: Engine) {
        let columns = ["occurred_at", "actor_kind", "actor_id", "actor_name", "action", "entity_type",
            "entity_id", "before_json", "after_json", "prev_hash", "hash"];
        for column in columns {
            let db = TestDb::new(engine).await;
            let (store, org) = chain_of_ten(&db).await;
            // Change the last byte only, the subtlest edit.
            let sql = format!(
                "UPDATE audit_events SET {column} = substr({column}, 1, length({column}) - 1) || '~' WHERE org_id = $1 AND seq = 5"
            );
            tamper(&db, &sql, &org).await;
            let at = broken_at(store.verify_audit_chain(&org).await.unwrap());
            let expected = if column == "hash" { [5, 6] } else { [5, 5] };
            assert!(expected.contains(&at), "{column}: reported at {at}");
        }
    }
}

on_both_engines! {
    async fn deleted_inserted_and_reordered_events_are_found(engine: Engine) {
        let db = TestDb::new(engine).await;
        let (store, org) = chain_of_ten(&db).await;
        tamper(&db, "DELETE FROM audit_events WHERE org_id = $1 AND seq = 4", &org).await;
        assert_eq!(broken_at(store.verify_audit_chain(&org).await.unwrap()), 4);

        let db = TestDb::new(engine).await;
        let (store, org) = chain_of_ten(&db).await;
        tamper(&db, "DELETE FROM audit_events WHERE org_id = $1 AND seq = 10", &org).await;
        assert_eq!(broken_at(store.verify_audit_chain(&org).await.unwrap()), 10, "a cut tail is found through the head");

        let db = TestDb::new(engine).await;
        let (store, org) = chain_of_ten(&db).await;
        for sql in ["UPDATE audit_events SET seq = -3 WHERE org_id = $1 AND seq = 3",
            "UPDATE audit_events SET seq = 3 WHERE org_id = $1 AND seq = 7",
            "UPDATE audit_events SET seq = 7 WHERE org_id = $1 AND seq = -3"] {
            tamper(&db, sql, &org).await;
        }
        assert_eq!(broken_at(store.verify_audit_chain(&org).await.unwrap()), 3);

        let db = TestDb::new(engine).await;
        let (store, org) = chain_of_ten(&db).await;
        tamper(&db, "INSERT INTO audit_events (org_id, seq, occurred_at, actor_kind, actor_id, actor_name, action, entity_type, entity_id,
            before_json, after_json, prev_hash, hash)
            SELECT org_id, 11, occurred_at, actor_kind, actor_id, actor_name, action, entity_type, entity_id, before_json, after_json, hash, hash
            FROM audit_events WHERE org_id = $1 AND seq = 10", &org).await;
        assert_eq!(broken_at(store.verify_audit_chain(&org).await.unwrap()), 11);
    }
}

on_both_engines! {
    async fn concurrent_writers_in_two_processes_keep_one_unbroken_chain(engine: Engine) {
        let db = TestDb::new(engine).await;
        let (first, org) = chain_of_ten(&db).await;
        // A second, independent connection pool stands in for a second pawl process.
        let second = Store::open(&db.location).await.unwrap();
        let hash = pawl_app::auth::hash_password(PASSWORD).unwrap();
        let mut tasks = Vec::new();
        for w in 0..8 {
            let store = if w % 2 == 0 { first.clone() } else { second.clone() };
            let (org, hash) = (org.clone(), hash.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0..15 {
                    let mut tx = store.write(&org, &Actor::system("writer")).await.unwrap();
                    tx.add_member(&pawl_store::NewMember {
                        email: Email::parse(&format!("w{w}-{i}@acme.example")).unwrap(),
                        name: String::new(),
                        role: Role::Viewer,
                        password_hash: hash.clone(),
                        address: pawl_store::AddressProof::Proven,
                    }).await.unwrap();
                    tx.commit().await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(first.verify_audit_chain(&org).await.unwrap(), VerifyOutcome::Intact { events: 10 + 8 * 15 });
    }
}

on_both_engines! {
    async fn verifying_while_others_write_never_reports_a_false_break(engine: Engine) {
        let db = TestDb::new(engine).await;
        let (store, org) = chain_of_ten(&db).await;
        let writer = {
            let (store, org) = (store.clone(), org.clone());
            tokio::spawn(async move {
                for i in 0..60 {
                    let mut tx = store.write(&org, &Actor::system("writer")).await.unwrap();
                    tx.update_organisation(&pawl_store::OrganisationChange { name: Some(&format!("Acme {i}")), ..Default::default() }, None).await.unwrap();
                    tx.commit().await.unwrap();
                }
            })
        };
        let mut checks = 0;
        while !writer.is_finished() {
            match store.verify_audit_chain(&org).await.unwrap() {
                VerifyOutcome::Intact { events } => assert!(events >= 10),
                VerifyOutcome::Broken(b) => panic!("false break while writing: {b}"),
            }
            checks += 1;
        }
        writer.await.unwrap();
        assert!(checks > 0);
        assert_eq!(store.verify_audit_chain(&org).await.unwrap(), VerifyOutcome::Intact { events: 70 });
    }
}
