//! Members, roles and tenancy through the API: optimistic concurrency,
//! the access policy, and isolation between organisations.

use crate::harness::{spawn_app, Engine, PASSWORD};
use crate::on_both_engines;
use pawl_app::members;
use pawl_domain::audit::Actor;
use pawl_domain::identity::OrgSlug;
use serde_json::{json, Value};

on_both_engines! {
    async fn members_are_created_read_changed_and_removed_with_etags(engine: Engine) {
        let app = spawn_app(engine).await;
        let c = app.api();
        let t = &app.admin_token;
        let m = app.join_by_invitation("Priya.Shah@Acme.example", "manager").await;
        assert_eq!(m["email"], "priya.shah@acme.example", "addresses are normalised");
        assert_eq!(m["role"], "manager");
        let id = m["id"].as_str().unwrap().to_owned();
        let url = app.url(&format!("/api/v1/members/{id}"));

        let r = c.get(&url).bearer_auth(t).send().await.unwrap();
        let etag1 = r.headers()["etag"].to_str().unwrap().to_owned();

        let r = c.patch(&url).bearer_auth(t).header("if-match", &etag1).json(&json!({"role": "auditor"})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let etag2 = r.headers()["etag"].to_str().unwrap().to_owned();
        assert_ne!(etag1, etag2);
        assert_eq!(r.json::<Value>().await.unwrap()["role"], "auditor");

        // A writer holding the old version loses, and is told the current one.
        let r = c.patch(&url).bearer_auth(t).header("if-match", &etag1).json(&json!({"role": "viewer"})).send().await.unwrap();
        assert_eq!(r.status(), 412);
        assert_eq!(r.headers()["etag"], etag2.as_str());
        let now: Value = c.get(&url).bearer_auth(t).send().await.unwrap().json().await.unwrap();
        assert_eq!(now["role"], "auditor", "the stale write changed nothing");

        let r = c.delete(&url).bearer_auth(t).header("if-match", &etag1).send().await.unwrap();
        assert_eq!(r.status(), 412);
        let r = c.delete(&url).bearer_auth(t).header("if-match", &etag2).send().await.unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(c.get(&url).bearer_auth(t).send().await.unwrap().status(), 404);

        let r = c.patch(app.url("/api/v1/organisation")).bearer_auth(t).header("if-match", "\"v1\"")
            .json(&json!({"name": "Acme Group"})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["etag"], "\"v2\"");
        let r = c.patch(app.url("/api/v1/organisation")).bearer_auth(t).header("if-match", "\"v1\"")
            .json(&json!({"name": "Acme Again"})).send().await.unwrap();
        assert_eq!(r.status(), 412);
    }
}

on_both_engines! {
    async fn invalid_members_are_refused_field_by_field(engine: Engine) {
        let app = spawn_app(engine).await;
        let c = app.api();
        let r = c.post(app.url("/api/v1/members")).bearer_auth(&app.admin_token)
            .json(&json!({"email": "not-an-address", "role": "overlord"})).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let p: Value = r.json().await.unwrap();
        let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["email", "role"]);

        let r = c.post(app.url("/api/v1/members")).bearer_auth(&app.admin_token)
            .json(&json!({"email": "new@acme.example", "role": "viewer", "password": PASSWORD})).send().await.unwrap();
        assert_eq!(r.status(), 422, "an administrator no longer sets anyone's password");

        let r = c.post(app.url("/api/v1/members")).bearer_auth(&app.admin_token)
            .json(&json!({"email": crate::harness::ADMIN_EMAIL, "role": "viewer"})).send().await.unwrap();
        assert_eq!(r.status(), 409, "already a member");

        // The last admin cannot be demoted or removed.
        let list: Value = c.get(app.url("/api/v1/members")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        let admin_id = list["items"][0]["id"].as_str().unwrap();
        let r = c.patch(app.url(&format!("/api/v1/members/{admin_id}"))).bearer_auth(&app.admin_token)
            .json(&json!({"role": "viewer"})).send().await.unwrap();
        assert_eq!(r.status(), 409);
        assert!(r.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("at least one admin"));
    }
}

on_both_engines! {
    async fn the_access_policy_decides_per_role(engine: Engine) {
        let app = spawn_app(engine).await;
        let c = app.api();
        let viewer = app.member_token("viewer@acme.example", "viewer").await;
        let auditor = app.member_token("auditor@acme.example", "auditor").await;
        let staff = app.member_token("staff@acme.example", "staff").await;
        let manager = app.member_token("manager@acme.example", "manager").await;
        let new_member = json!({"email": "x@acme.example", "role": "viewer", "password": PASSWORD});

        for (who, token) in [("viewer", &viewer), ("auditor", &auditor), ("manager", &manager)] {
            let r = c.post(app.url("/api/v1/members")).bearer_auth(token).json(&new_member).send().await.unwrap();
            assert_eq!(r.status(), 403, "{who} added a member");
            assert_eq!(r.headers()["content-type"], "application/problem+json");
        }
        let r = c.patch(app.url("/api/v1/organisation")).bearer_auth(&auditor).json(&json!({"name": "Pwned"})).send().await.unwrap();
        assert_eq!(r.status(), 403, "an auditor renamed the organisation");

        assert_eq!(c.get(app.url("/api/v1/audit/events")).bearer_auth(&auditor).send().await.unwrap().status(), 200);
        assert_eq!(c.get(app.url("/api/v1/audit/events")).bearer_auth(&viewer).send().await.unwrap().status(), 403);
        assert_eq!(c.get(app.url("/api/v1/members")).bearer_auth(&viewer).send().await.unwrap().status(), 200);
        assert_eq!(c.get(app.url("/api/v1/members")).bearer_auth(&staff).send().await.unwrap().status(), 403);
        assert_eq!(c.get(app.url("/api/v1/catalog/iso27001-2022/annex-a")).bearer_auth(&staff).send().await.unwrap().status(), 200);
        assert_eq!(c.post(app.url("/api/v1/tokens")).bearer_auth(&staff).json(&json!({"name": "x"})).send().await.unwrap().status(), 403);

        // A viewer cannot revoke the admin's token: it is not theirs to see.
        let tokens: Value = c.get(app.url("/api/v1/tokens")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        let admin_token_id = tokens["items"].as_array().unwrap().iter().find(|t| t["name"] == "test-admin").unwrap()["id"].as_str().unwrap().to_owned();
        let r = c.delete(app.url(&format!("/api/v1/tokens/{admin_token_id}"))).bearer_auth(&manager).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(c.get(app.url("/api/v1/me")).bearer_auth(&app.admin_token).send().await.unwrap().status(), 200);
    }
}

on_both_engines! {
    async fn organisations_never_see_each_others_data(engine: Engine) {
        let app = spawn_app(engine).await;
        let c = app.api();
        let sys = Actor::system("test");
        let other = app.store().create_organisation(&sys, &OrgSlug::parse("globex").unwrap(), "Globex").await.unwrap();
        let (g_admin, _) = members::add_member(&app.app, &other.id, &sys, "boss@globex.example", "admin", Some(PASSWORD)).await.unwrap();
        let (globex_token, _) = pawl_app::auth::issue_token(&app.app, &other.id, &sys, &g_admin.user_id, "g").await.unwrap();

        let acme_members: Value = c.get(app.url("/api/v1/members")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        let acme_admin_id = acme_members["items"][0]["id"].as_str().unwrap().to_owned();
        let globex_members: Value = c.get(app.url("/api/v1/members")).bearer_auth(&globex_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(globex_members["total"], 1);
        assert_eq!(globex_members["items"][0]["email"], "boss@globex.example");

        let url = app.url(&format!("/api/v1/members/{acme_admin_id}"));
        assert_eq!(c.get(&url).bearer_auth(&globex_token).send().await.unwrap().status(), 404);
        assert_eq!(c.patch(&url).bearer_auth(&globex_token).json(&json!({"role": "viewer"})).send().await.unwrap().status(), 404);
        assert_eq!(c.delete(&url).bearer_auth(&globex_token).send().await.unwrap().status(), 404);
        let r = c.get(app.url(&format!("/api/v1/history/member/{acme_admin_id}"))).bearer_auth(&globex_token).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let events: Value = c.get(app.url("/api/v1/audit/events?limit=500")).bearer_auth(&globex_token).send().await.unwrap().json().await.unwrap();
        assert!(events["items"].as_array().unwrap().iter().all(|e| e["entity_id"] != acme_admin_id.as_str()));

        // A consultant in both organisations sees each only through its own token.
        let (in_acme, created) = members::add_member(&app.app, &app.org_id, &sys, "consultant@advisory.example", "manager", Some(PASSWORD)).await.unwrap();
        assert!(created);
        let (in_globex, created) = members::add_member(&app.app, &other.id, &sys, "consultant@advisory.example", "viewer", None).await.unwrap();
        assert!(!created, "the existing account is reused");
        assert_eq!(in_acme.user_id, in_globex.user_id);
        let orgs = app.store().memberships_of_user(&in_acme.user_id).await.unwrap();
        assert_eq!(orgs.len(), 2);
    }
}

on_both_engines! {
    async fn lists_page_with_cursors_sort_and_search(engine: Engine) {
        let app = spawn_app(engine).await;
        let sys = Actor::system("test");
        // Hashing 120 passwords would dominate the test; one account per
        // person is still made, sharing a precomputed hash.
        let hash = pawl_app::auth::hash_password(PASSWORD).unwrap();
        let mut tx = app.store().write(&app.org_id, &sys).await.unwrap();
        for i in 0..120 {
            let role = if i % 3 == 0 { pawl_domain::identity::Role::Viewer } else { pawl_domain::identity::Role::Contributor };
            tx.add_member(&pawl_store::NewMember {
                email: pawl_domain::identity::Email::parse(&format!("person{i:03}@acme.example")).unwrap(),
                name: String::new(),
                role,
                password_hash: hash.clone(),
                address: pawl_store::AddressProof::Proven,
            }).await.unwrap();
        }
        tx.commit().await.unwrap();
        let c = app.api();
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = app.url("/api/v1/members?limit=50&sort=email");
            if let Some(cur) = &cursor {
                url.push_str(&format!("&cursor={cur}"));
            }
            let page: Value = c.get(&url).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
            assert_eq!(page["total"], 121);
            for m in page["items"].as_array().unwrap() {
                seen.push(m["email"].as_str().unwrap().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(n) => cursor = Some(n.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 121, "every member once");
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "in e-mail order across pages");

        let by_role: Value = c.get(app.url("/api/v1/members?sort=role&order=desc&limit=5")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(by_role["items"][0]["role"], "viewer");

        let found: Value = c.get(app.url("/api/v1/members?q=PERSON11")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(found["total"], 10, "person110..person119, case-insensitively");

        let r = c.get(app.url("/api/v1/members?sort=password_hash")).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 422);
    }
}

on_both_engines! {
    /// Inviting tells nobody who has an account; an existing person joins
    /// only by accepting; a person in several organisations chooses where
    /// to work and is offered the last one first.
    async fn people_join_only_by_accepting_and_choose_where_to_work(engine: Engine) {
        let app = spawn_app(engine).await;
        let sys = Actor::system("test");
        let c = app.api();
        let globex = app.store().create_organisation(&sys, &OrgSlug::parse("globex").unwrap(), "Globex").await.unwrap();
        let (boss, _) = members::add_member(&app.app, &globex.id, &sys, "boss@globex.example", "admin", Some(PASSWORD)).await.unwrap();
        let (globex_token, _) = pawl_app::auth::issue_token(&app.app, &globex.id, &sys, &boss.user_id, "g").await.unwrap();
        app.member_token("consultant@advisory.example", "manager").await;

        // The same answer for an address with an account and one without.
        let invite = |email: &str| c.post(app.url("/api/v1/members")).bearer_auth(&globex_token).json(&json!({"email": email, "role": "viewer"})).send();
        let existing = invite("consultant@advisory.example").await.unwrap();
        let unknown = invite("nobody@nowhere.example").await.unwrap();
        assert_eq!((existing.status().as_u16(), unknown.status().as_u16()), (202, 202));
        let (a, b): (Value, Value) = (existing.json().await.unwrap(), unknown.json().await.unwrap());
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&a), keys(&b));
        let pending: Value = c.get(app.url("/api/v1/invitations")).bearer_auth(&globex_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(pending["total"], 2);
        let globex_members: Value = c.get(app.url("/api/v1/members")).bearer_auth(&globex_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(globex_members["total"], 1, "nobody joined without saying yes");

        // The consultant signs in and still lands in Acme, where they work; the invitation waits on their home page.
        let (consultant, csrf) = app.signed_in("consultant@advisory.example").await;
        let home = consultant.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(home.contains("Acme Ltd") && home.contains("invites you to join <strong>Globex</strong> as Viewer"), "{home}");
        let id = a["id"].as_str().unwrap();
        let r = consultant.post(app.url(&format!("/me/invitations/{id}"))).form(&[("_csrf", csrf.as_str()), ("answer", "maybe")]).send().await.unwrap();
        assert_eq!(r.status(), 422, "an answer that is neither is refused, not taken for a decline");
        let r = app.browser().post(app.url(b["accept_path"].as_str().unwrap())).form(&[("answer", "")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let r = consultant.post(app.url(&format!("/me/invitations/{id}"))).form(&[("_csrf", csrf.as_str()), ("answer", "accept")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let globex_members: Value = c.get(app.url("/api/v1/members")).bearer_auth(&globex_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(globex_members["total"], 2);
        assert!(consultant.get(app.url("/")).send().await.unwrap().text().await.unwrap().contains("Globex"), "they went to work in Globex");

        // Next sign-in: they choose, and Globex, used last, comes first.
        let r = app.browser().post(app.url("/login")).form(&[("email", "consultant@advisory.example"), ("password", PASSWORD), ("next", "/risks")]).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/organisations?next=%2Frisks");
        let (again, _) = app.signed_in("consultant@advisory.example").await;
        let page = again.get(app.url("/organisations")).send().await.unwrap().text().await.unwrap();
        let (g, a2) = (page.find("Continue in Globex").unwrap(), page.find("Continue in Acme Ltd").unwrap());
        assert!(g < a2 && page.contains("last used"), "{page}");

        // Declined and withdrawn invitations leave nothing behind.
        let link = b["accept_path"].as_str().unwrap();
        let r = app.browser().post(app.url(link)).form(&[("answer", "decline")]).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(app.browser().get(app.url(link)).send().await.unwrap().status(), 404);
        let third: Value = invite("third@acme.example").await.unwrap().json().await.unwrap();
        let r = c.delete(app.url(&format!("/api/v1/invitations/{}", third["id"].as_str().unwrap()))).bearer_auth(&globex_token).send().await.unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(app.browser().get(app.url(third["accept_path"].as_str().unwrap())).send().await.unwrap().status(), 404);
        let pending: Value = c.get(app.url("/api/v1/invitations")).bearer_auth(&globex_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(pending["total"], 0);
        // Acme's admin cannot withdraw Globex's invitations, nor see them.
        let fourth: Value = invite("fourth@acme.example").await.unwrap().json().await.unwrap();
        let r = c.delete(app.url(&format!("/api/v1/invitations/{}", fourth["id"].as_str().unwrap()))).bearer_auth(&app.admin_token).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let acme_pending: Value = c.get(app.url("/api/v1/invitations")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(acme_pending["total"], 0);
    }
}
