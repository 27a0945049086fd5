//! Whose account is it (issue 26): an organisation's admin cannot end up
//! holding a person's account in another organisation; invitation links
//! tell nobody who has an account; people change their own password and
//! an operator sets one, each ending the other sessions.

use crate::harness::{spawn_app, Engine, PASSWORD};
use crate::on_both_engines;
use pawl_app::members;
use pawl_domain::audit::Actor;
use pawl_domain::identity::OrgSlug;
use serde_json::{json, Value};

const VICTIM: &str = "victim@bigcorp.example";
const ATTACKER_PASSWORD: &str = "chosen by the other admin";
const REAL_PASSWORD: &str = "the real owner's own phrase";

/// Invites `email` as `role` with `token`; returns the invitation.
async fn invite(app: &crate::harness::TestApp, token: &str, email: &str, role: &str) -> Value {
    let r = app
        .api()
        .post(app.url("/api/v1/members"))
        .bearer_auth(token)
        .json(&json!({"email": email, "role": role}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    r.json().await.unwrap()
}

on_both_engines! {
    /// The probe's takeover: the admin of `other` invites an address and
    /// accepts the link with a password of their own; later the admin of
    /// Acme invites the same address as admin. The account, whose address
    /// nobody proved, may not join Acme by either route; once an operator
    /// proves the address, the other admin's password and sessions are
    /// gone and the real person joins.
    async fn an_admin_cannot_hold_an_account_another_organisation_uses(engine: Engine) {
        let app = spawn_app(engine).await;
        let sys = Actor::system("test");
        let other = app.store().create_organisation(&sys, &OrgSlug::parse("other").unwrap(), "Other").await.unwrap();
        let (boss, _) = members::add_member(&app.app, &other.id, &sys, "boss@other.example", "admin", Some(PASSWORD)).await.unwrap();
        let (other_token, _) = pawl_app::auth::issue_token(&app.app, &other.id, &sys, &boss.user_id, "o").await.unwrap();

        let first = invite(&app, &other_token, VICTIM, "viewer").await;
        let r = app.browser().post(app.url(first["accept_path"].as_str().unwrap()))
            .form(&[("answer", "accept"), ("password", ATTACKER_PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), 303, "the other admin made an account through their own link");

        let acme = invite(&app, &app.admin_token, VICTIM, "admin").await;
        // Through Acme's link, with the password the other admin chose.
        let r = app.browser().post(app.url(acme["accept_path"].as_str().unwrap()))
            .form(&[("answer", "accept"), ("password", ATTACKER_PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), 409);
        assert!(r.text().await.unwrap().contains("only in the organisation that created it"));
        // Signed in, through the invitation on their home page and the API.
        let (attacker, csrf) = app.signed_in_with(VICTIM, ATTACKER_PASSWORD).await;
        let mine: Value = attacker.get(app.url("/api/v1/me/invitations")).send().await.unwrap().json().await.unwrap();
        let id = mine["items"][0]["id"].as_str().unwrap().to_owned();
        let r = attacker.post(app.url(&format!("/me/invitations/{id}"))).form(&[("_csrf", csrf.as_str()), ("answer", "accept")]).send().await.unwrap();
        assert_eq!(r.status(), 409);
        let token = pawl_app::auth::issue_token(&app.app, &other.id, &sys, &app.store().user_by_email(&pawl_domain::identity::Email::parse(VICTIM).unwrap()).await.unwrap().unwrap().id, "t").await.unwrap().0;
        let r = app.api().post(app.url(&format!("/api/v1/me/invitations/{id}"))).bearer_auth(&token).json(&json!({"accept": true})).send().await.unwrap();
        assert_eq!(r.status(), 409);
        let acme_members: Value = app.api().get(app.url(&format!("/api/v1/members?q={VICTIM}"))).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(acme_members["total"], 0, "nobody joined Acme as the victim");

        // An operator proves the address by setting the real person's password.
        members::set_password_by_operator(&app.app, VICTIM, REAL_PASSWORD).await.unwrap();
        assert_eq!(attacker.get(app.url("/")).send().await.unwrap().status(), 303, "the other admin's session ended");
        let r = app.browser().post(app.url("/login")).form(&[("email", VICTIM), ("password", ATTACKER_PASSWORD), ("next", "/")]).send().await.unwrap();
        assert_eq!(r.status(), 401, "the other admin's password no longer works");
        let r = app.browser().post(app.url(acme["accept_path"].as_str().unwrap()))
            .form(&[("answer", "accept"), ("password", REAL_PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), 303, "the real person joins");
        let acme_members: Value = app.api().get(app.url(&format!("/api/v1/members?q={VICTIM}"))).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(acme_members["total"], 1);
        let trail: Value = app.api().get(app.url("/api/v1/audit/events?limit=200")).bearer_auth(&other_token).send().await.unwrap().json().await.unwrap();
        assert!(trail["items"].as_array().unwrap().iter().any(|e| e["action"] == "password_changed"), "the change is in the trail of the organisation the account was in");
    }
}

/// What an invitation's link answers a too-short password: the status and
/// the alert's text.
async fn short_password_answer(app: &crate::harness::TestApp, link: &str) -> (u16, String) {
    let r = app
        .browser()
        .post(app.url(link))
        .form(&[("answer", "accept"), ("password", "short")])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let html = r.text().await.unwrap();
    let alert = html
        .split("role=\"alert\">")
        .nth(1)
        .and_then(|a| a.split("</div>").next())
        .unwrap_or("")
        .to_owned();
    (status, alert)
}

on_both_engines! {
    /// An invitation's link answers a wrong password for an existing account
    /// and a too-short one for a new account alike; accepting in a browser
    /// where someone was signed in ends that earlier session on the server.
    async fn invitation_links_tell_nobody_who_has_an_account(engine: Engine) {
        let app = spawn_app(engine).await;
        app.member_token("existing@acme.example", "viewer").await;
        let sys = Actor::system("test");
        let other = app.store().create_organisation(&sys, &OrgSlug::parse("other").unwrap(), "Other").await.unwrap();
        let (boss, _) = members::add_member(&app.app, &other.id, &sys, "boss@other.example", "admin", Some(PASSWORD)).await.unwrap();
        let (other_token, _) = pawl_app::auth::issue_token(&app.app, &other.id, &sys, &boss.user_id, "o").await.unwrap();
        let existing = invite(&app, &other_token, "existing@acme.example", "viewer").await;
        let unknown = invite(&app, &other_token, "unknown@acme.example", "viewer").await;
        let a = short_password_answer(&app, existing["accept_path"].as_str().unwrap()).await;
        let b = short_password_answer(&app, unknown["accept_path"].as_str().unwrap()).await;
        assert_eq!(a.0, 401);
        assert_eq!(a, b, "the same status and message whether or not the address has an account");

        // Someone signed in in this browser; the newcomer accepts there.
        let r = app.api().post(app.url("/login"))
            .form(&[("email", crate::harness::ADMIN_EMAIL), ("password", PASSWORD), ("next", "/")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let me = |c: String| app.api().get(app.url("/api/v1/me")).header("cookie", c).send();
        assert_eq!(me(cookie.clone()).await.unwrap().status(), 200);
        let r = app.api().post(app.url(unknown["accept_path"].as_str().unwrap())).header("cookie", &cookie)
            .form(&[("answer", "accept"), ("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(me(cookie).await.unwrap().status(), 401, "the earlier session ended on the server");
    }
}

on_both_engines! {
    /// A person changes their own password with the current one (UI and
    /// API); their other sessions end; errors are named by field.
    async fn people_change_their_own_password(engine: Engine) {
        let app = spawn_app(engine).await;
        let token = app.member_token("ada@acme.example", "staff").await;
        let (elsewhere, _) = app.signed_in("ada@acme.example").await;
        let (ui, csrf) = app.signed_in("ada@acme.example").await;
        let page = ui.get(app.url("/account")).send().await.unwrap();
        assert_eq!(page.status(), 200);

        let change = |current: &str, new: &str| {
            app.api().post(app.url("/api/v1/me/password")).bearer_auth(&token)
                .json(&json!({"current_password": current, "new_password": new})).send()
        };
        let r = change("not my password at all", "a brand new passphrase").await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(crate::harness::field_message(&r.json().await.unwrap(), "current_password").contains("not your current password"));
        let r = change(PASSWORD, "short").await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(crate::harness::field_message(&r.json().await.unwrap(), "new_password").contains("12 characters"));

        // Through the page: the two new ones must agree, then it changes.
        let form = |new: &str, again: &str| {
            ui.post(app.url("/account/password")).form(&[("_csrf", csrf.as_str()), ("current_password", PASSWORD), ("new_password", new), ("confirm_password", again)]).send()
        };
        let r = form("a brand new passphrase", "a brand new passphrase!").await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("aria-invalid=\"true\"") && html.contains("the two new passwords differ"), "{html}");
        let r = form("a brand new passphrase", "a brand new passphrase").await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(ui.get(app.url("/")).send().await.unwrap().status(), 200, "the session it was changed from goes on");
        assert_eq!(elsewhere.get(app.url("/")).send().await.unwrap().status(), 303, "every other session ended");
        let r = app.browser().post(app.url("/login")).form(&[("email", "ada@acme.example"), ("password", PASSWORD), ("next", "/")]).send().await.unwrap();
        assert_eq!(r.status(), 401, "the old password no longer works");
        app.signed_in_with("ada@acme.example", "a brand new passphrase").await;
        let trail: Value = app.api().get(app.url("/api/v1/audit/events?limit=200")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
        assert!(trail["items"].as_array().unwrap().iter().any(|e| e["action"] == "password_changed"));
    }
}

on_both_engines! {
    /// An operator sets a password from the command line: the policy holds,
    /// the address counts as proven, and `user add` says that an existing
    /// account keeps its password.
    async fn an_operator_sets_a_password_from_the_command_line(engine: Engine) {
        use crate::cli::{pawl, text};
        let db = crate::harness::TestDb::new(engine).await;
        assert!(pawl(&db, &["org", "create", "acme", "--name", "Acme Ltd"], "").status.success());
        let out = pawl(&db, &["user", "add", "--org", "acme", "--email", "ada@acme.example", "--role", "admin"], &format!("{PASSWORD}\n"));
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(pawl(&db, &["org", "create", "globex", "--name", "Globex"], "").status.success());
        let out = pawl(&db, &["user", "add", "--org", "globex", "--email", "ada@acme.example", "--role", "viewer"], "");
        assert!(text(&out.stdout).contains("password is unchanged"), "{}", text(&out.stdout));

        let out = pawl(&db, &["user", "set-password", "--email", "ada@acme.example"], "short\n");
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("12 characters"), "{}", text(&out.stderr));
        let out = pawl(&db, &["user", "set-password", "--email", "nobody@acme.example"], "a long enough password\n");
        assert!(!out.status.success());
        let out = pawl(&db, &["user", "set-password", "--email", "ada@acme.example"], "a long enough password\n");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let user = db.store().await.user_by_email(&pawl_domain::identity::Email::parse("ada@acme.example").unwrap()).await.unwrap().unwrap();
        assert!(pawl_app::auth::verify_password(&user.password_hash, "a long enough password"));
        assert!(user.proven_at.is_some());
    }
}

on_both_engines! {
    /// People are shown by name: a person names themselves (API and page),
    /// and their records, the members list and the trail show the name,
    /// with the address beside it where it helps.
    async fn people_are_shown_by_the_name_they_give(engine: Engine) {
        let app = spawn_app(engine).await;
        let ada = app.member_token("ada@acme.example", "manager").await;
        let call = |method: reqwest::Method, path: &str, token: &str, body: Option<Value>| {
            let mut r = app.api().request(method, app.url(path)).bearer_auth(token.to_owned());
            if let Some(b) = body {
                r = r.json(&b);
            }
            r.send()
        };
        let risk: Value = call(reqwest::Method::POST, "/api/v1/risks", &ada, Some(json!({"title": "Laptop theft", "owner": "ada@acme.example"}))).await.unwrap().json().await.unwrap();
        let asset: Value = call(reqwest::Method::POST, "/api/v1/assets", &ada, Some(json!({"name": "Laptops", "owner": "ada@acme.example"}))).await.unwrap().json().await.unwrap();

        let r = call(reqwest::Method::PATCH, "/api/v1/me", &ada, Some(json!({"name": "  "}))).await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(crate::harness::field_message(&r.json().await.unwrap(), "name").contains("printable"));
        let r = call(reqwest::Method::PATCH, "/api/v1/me", &ada, Some(json!({"name": "Ada Lovelace"}))).await.unwrap();
        assert_eq!(r.status(), 200);
        let me: Value = r.json().await.unwrap();
        assert_eq!((me["name"].as_str(), me["email"].as_str()), (Some("Ada Lovelace"), Some("ada@acme.example")));

        let get = |path: String| call(reqwest::Method::GET, &path, &app.admin_token, None);
        let risk: Value = get(format!("/api/v1/risks/{}", risk["id"].as_str().unwrap())).await.unwrap().json().await.unwrap();
        assert_eq!(risk["owner"], "Ada Lovelace", "{risk}");
        let asset: Value = get(format!("/api/v1/assets/{}", asset["id"].as_str().unwrap())).await.unwrap().json().await.unwrap();
        assert_eq!(asset["owner"], "Ada Lovelace", "{asset}");
        let members: Value = get("/api/v1/members?q=lovelace".into()).await.unwrap().json().await.unwrap();
        assert_eq!((members["total"].as_i64(), members["items"][0]["email"].as_str()), (Some(1), Some("ada@acme.example")), "found by name");

        // Through the page; the header names the person, the trail too.
        let (ui, csrf) = app.signed_in("ada@acme.example").await;
        let r = ui.post(app.url("/account/name")).form(&[("_csrf", csrf.as_str()), ("name", "Ada King")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let home = ui.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(home.contains(">Ada King</a>"), "the header shows the name");
        let html = ui.get(app.url("/risks")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Ada King") && !html.contains(">ada@acme.example<"), "the register shows the owner by name");
        let r = call(reqwest::Method::POST, "/api/v1/assets", &ada, Some(json!({"name": "Phones"}))).await.unwrap();
        assert_eq!(r.status(), 201);
        let trail: Value = get("/api/v1/audit/events?entity_type=asset".into()).await.unwrap().json().await.unwrap();
        assert!(trail["items"].as_array().unwrap().iter().any(|e| e["actor_name"].as_str().unwrap().contains("Ada King")), "{trail}");
    }
}
