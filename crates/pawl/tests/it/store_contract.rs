//! The store's contract, run on both engines: whatever the engine, the
//! same calls give the same answers.

use crate::harness::{Engine, TestDb};
use crate::on_both_engines;
use pawl_domain::audit::Actor;
use pawl_domain::identity::{Email, OrgSlug, Role};
use pawl_store::{NewMember, Session, Store, StoreError};

fn sys() -> Actor {
    Actor::system("contract")
}

on_both_engines! {
    async fn migrations_run_from_empty_and_are_idempotent(engine: Engine) {
        let db = TestDb::new(engine).await;
        let store = Store::connect(&db.location).await.unwrap();
        assert_eq!(store.migrate().await.unwrap() as i64, pawl_store::schema_version(), "the first run applies every migration");
        assert_eq!(store.migrate().await.unwrap(), 0, "a second run has nothing to do");
        let again = Store::open(&db.location).await.unwrap();
        again.ping().await.unwrap();
        assert_eq!(again.engine().as_str(), match engine { Engine::Sqlite => "sqlite", Engine::Postgres => "postgres" });
    }
}

on_both_engines! {
    async fn organisations_are_unique_by_slug_and_open_a_chain(engine: Engine) {
        let db = TestDb::new(engine).await;
        let store = db.store().await;
        let slug = OrgSlug::parse("acme").unwrap();
        let org = store.create_organisation(&sys(), &slug, "  Acme Ltd ").await.unwrap();
        assert_eq!(org.name, "Acme Ltd");
        assert_eq!(org.version, 1);
        let err = store.create_organisation(&sys(), &slug, "Again").await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("acme")), "{err}");
        assert_eq!(store.organisation_by_slug("acme").await.unwrap(), org);
        assert!(matches!(store.organisation_by_slug("nope").await, Err(StoreError::NotFound { .. })));
        let events = store.org(&org.id).history("organisation", &org.id).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].seq, 1);
        assert_eq!(events[0].actor_kind, "system");
        assert!(store.create_organisation(&sys(), &slug, "").await.is_err());
    }
}

on_both_engines! {
    async fn members_tokens_and_roles_round_trip(engine: Engine) {
        let db = TestDb::new(engine).await;
        let store = db.store().await;
        let org = store.create_organisation(&sys(), &OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let mut tx = store.write(&org.id, &sys()).await.unwrap();
        let (admin, created) = tx.add_member(&NewMember { name: String::new(), email: Email::parse("a@acme.example").unwrap(), role: Role::Admin, password_hash: "h".into(), address: pawl_store::AddressProof::Proven }).await.unwrap();
        assert!(created);
        let (ada, _) = tx.add_member(&NewMember { name: String::new(), email: Email::parse("ada@acme.example").unwrap(), role: Role::Viewer, password_hash: "h".into(), address: pawl_store::AddressProof::Proven }).await.unwrap();
        let token = tx.create_token(&ada.user_id, "ci", "hash-of-secret", "pawl_abcdefg").await.unwrap();
        tx.commit().await.unwrap();

        let owner = store.token_owner("hash-of-secret").await.unwrap().expect("token found by hash");
        assert_eq!(owner.role, Role::Viewer);
        assert_eq!(owner.organisation.id, org.id);
        assert_eq!(owner.token.email, "ada@acme.example");
        assert!(store.token_owner("other-hash").await.unwrap().is_none());

        let mut tx = store.write(&org.id, &sys()).await.unwrap();
        let err = tx.set_member_role(&ada.id, Role::Manager, Some(7)).await.unwrap_err();
        assert!(matches!(err, StoreError::PreconditionFailed { ref current_etag, .. } if current_etag == "\"v1\""));
        let changed = tx.set_member_role(&ada.id, Role::Manager, Some(1)).await.unwrap();
        assert_eq!((changed.role, changed.version), (Role::Manager, 2));
        assert!(matches!(tx.set_member_role(&admin.id, Role::Viewer, None).await, Err(StoreError::Conflict(_))), "last admin kept");
        tx.commit().await.unwrap();
        assert_eq!(store.token_owner("hash-of-secret").await.unwrap().unwrap().role, Role::Manager, "tokens carry the current role");

        let mut tx = store.write(&org.id, &sys()).await.unwrap();
        tx.remove_member(&ada.id, Some(2)).await.unwrap();
        tx.commit().await.unwrap();
        assert!(store.token_owner("hash-of-secret").await.unwrap().is_none(), "a removed member's tokens stop working");
        let t = store.org(&org.id).token(&token.id).await.unwrap();
        assert!(t.revoked_at.is_some());
        let actions: Vec<String> = store.org(&org.id).history("api_token", &token.id).await.unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions, ["create", "revoke"]);
    }
}

on_both_engines! {
    async fn sessions_expire_and_end(engine: Engine) {
        let db = TestDb::new(engine).await;
        let store = db.store().await;
        let org = store.create_organisation(&sys(), &OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let mut tx = store.write(&org.id, &sys()).await.unwrap();
        let (m, _) = tx.add_member(&NewMember { name: String::new(), email: Email::parse("a@acme.example").unwrap(), role: Role::Admin, password_hash: "h".into(), address: pawl_store::AddressProof::Proven }).await.unwrap();
        tx.commit().await.unwrap();
        let live = Session { id_hash: "live".into(), user_id: m.user_id.clone(), email: String::new(), name: String::new(), org_id: Some(org.id.clone()),
            csrf_token: "c".into(), expires_at: "2999-01-01T00:00:00.000000Z".into() };
        let stale = Session { id_hash: "stale".into(), expires_at: "2000-01-01T00:00:00.000000Z".into(), ..live.clone() };
        store.create_session(&live).await.unwrap();
        store.create_session(&stale).await.unwrap();
        let got = store.session("live").await.unwrap().expect("live session");
        assert_eq!(got.email, "a@acme.example");
        assert_eq!(got.org_id.as_deref(), Some(org.id.as_str()));
        assert!(store.session("stale").await.unwrap().is_none(), "an expired session is not honoured");
        store.delete_session("live").await.unwrap();
        assert!(store.session("live").await.unwrap().is_none());
    }
}

on_both_engines! {
    async fn tenant_reads_are_scoped_to_their_organisation(engine: Engine) {
        let db = TestDb::new(engine).await;
        let store = db.store().await;
        let a = store.create_organisation(&sys(), &OrgSlug::parse("a-org").unwrap(), "A").await.unwrap();
        let b = store.create_organisation(&sys(), &OrgSlug::parse("b-org").unwrap(), "B").await.unwrap();
        let mut tx = store.write(&a.id, &sys()).await.unwrap();
        let (m, _) = tx.add_member(&NewMember { name: String::new(), email: Email::parse("x@a.example").unwrap(), role: Role::Admin, password_hash: "h".into(), address: pawl_store::AddressProof::Proven }).await.unwrap();
        tx.commit().await.unwrap();
        assert!(matches!(store.org(&b.id).member(&m.id).await, Err(StoreError::NotFound { .. })));
        assert_eq!(store.org(&b.id).members(&Default::default()).await.unwrap().total, 0);
        assert!(store.org(&b.id).history("member", &m.id).await.unwrap().is_empty());
        let mut tx = store.write(&b.id, &sys()).await.unwrap();
        assert!(matches!(tx.set_member_role(&m.id, Role::Viewer, None).await, Err(StoreError::NotFound { .. })));
        assert!(matches!(tx.remove_member(&m.id, None).await, Err(StoreError::NotFound { .. })));
    }
}

on_both_engines! {
    /// The home page counts a person's work and the my-work page lists it:
    /// the two agree, closed risks are no one's work, and a new risk is one
    /// event that carries its first assessment.
    async fn a_persons_work_is_counted_as_it_is_listed(engine: Engine) {
        let db = TestDb::new(engine).await;
        let store = db.store().await;
        let org = store.create_organisation(&sys(), &OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let mut tx = store.write(&org.id, &sys()).await.unwrap();
        let (owner, _) = tx.add_member(&NewMember { name: String::new(), email: Email::parse("o@acme.example").unwrap(), role: Role::Contributor, password_hash: "h".into(), address: pawl_store::AddressProof::Proven }).await.unwrap();
        tx.commit().await.unwrap();
        let risk = |title: &str, review: &str, status: &str| pawl_app::risk::RiskInput {
            title: Some(title.into()),
            owner: Some("o@acme.example".into()),
            next_review: Some(Some(review.into())),
            status: Some(status.into()),
            ..Default::default()
        };
        let mut ids = Vec::new();
        for (title, review, status) in [("Late", "2020-01-01", "identified"), ("Due later", "2199-01-01", "identified"), ("Done", "2020-01-01", "closed")] {
            ids.push(pawl_app::risk::create_risk(&store, &org.id, &sys(), &risk(title, review, status)).await.unwrap().id);
        }
        let reader = store.org(&org.id);
        let listed = reader.my_work(&owner.user_id, 1000).await.unwrap();
        let today = time::OffsetDateTime::now_utc().date().to_string();
        let counted = reader.my_work_counts(&owner.user_id, &today).await.unwrap();
        assert_eq!(listed.len(), 2, "a closed risk is no one's work: {listed:?}");
        assert_eq!((counted.all, counted.overdue, counted.training), (2, 1, 0));
        assert_eq!(listed.iter().filter(|w| w.due.as_deref().is_some_and(|d| d < today.as_str())).count() as i64, counted.overdue);

        let events = reader.history("risk", &ids[0]).await.unwrap();
        assert_eq!(events.len(), 1, "one event for the risk and its first assessment");
        let after: serde_json::Value = serde_json::from_str(events[0].after.as_deref().unwrap()).unwrap();
        assert_eq!(after["title"], "Late");
        assert!(after["assessment"]["id"].is_string(), "{after}");
    }
}

on_both_engines! {
    /// Writes wait for the page check that runs beside a starting server,
    /// and go ahead once it finds the file sound.
    async fn writes_wait_for_the_page_check(engine: Engine) {
        let db = TestDb::new(engine).await;
        let store = db.store().await;
        let check = store.check_pages_in_background();
        let org = store.create_organisation(&sys(), &OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        assert!(check.await.unwrap().is_empty(), "a fresh database is sound");
        assert_eq!(store.org(&org.id).history("organisation", &org.id).await.unwrap().len(), 1);
    }
}
