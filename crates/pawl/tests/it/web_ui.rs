//! The web UI over HTTP, as a browser without JavaScript uses it.

use crate::harness::{csrf_of, spawn_app, Engine, ADMIN_EMAIL, PASSWORD};
use crate::on_both_engines;

on_both_engines! {
    async fn signing_in_sets_a_safe_fresh_cookie_and_signing_out_ends_it(engine: Engine) {
        let app = spawn_app(engine).await;
        let r = app.browser().get(app.url("/admin/members")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/login?next=%2Fadmin%2Fmembers");

        let c = app.browser();
        let mut cookies = Vec::new();
        for _ in 0..2 {
            let r = c.post(app.url("/login")).form(&[("email", ADMIN_EMAIL), ("password", PASSWORD), ("next", "/admin/members")]).send().await.unwrap();
            assert_eq!(r.status(), 303);
            assert_eq!(r.headers()["location"], "/admin/members");
            let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
            assert!(set.starts_with("pawl_session="));
            for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
                assert!(set.contains(flag), "{flag} missing from {set}");
            }
            assert!(!set.contains("Secure"), "plain HTTP on loopback");
            cookies.push(set);
        }
        assert_ne!(cookies[0], cookies[1], "each sign-in gets a new session id");

        let page = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Acme Ltd") && html.contains(ADMIN_EMAIL));
        let csrf = csrf_of(&html);
        let r = c.post(app.url("/logout")).form(&[("_csrf", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let r = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), 303, "the session is gone after signing out");

        // Behind a TLS proxy the cookie is Secure.
        let r = app.browser().post(app.url("/login")).header("x-forwarded-proto", "https")
            .form(&[("email", ADMIN_EMAIL), ("password", PASSWORD)]).send().await.unwrap();
        assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Secure"));
    }
}

on_both_engines! {
    async fn wrong_passwords_are_refused_then_throttled(engine: Engine) {
        let app = spawn_app(engine).await;
        let c = app.browser();
        let r = c.post(app.url("/login")).form(&[("email", ""), ("password", "")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"email-error\"") && html.contains("Enter your e-mail address."));
        assert!(html.contains("id=\"password-error\""));
        for _ in 0..5 {
            let r = c.post(app.url("/login")).form(&[("email", ADMIN_EMAIL), ("password", "wrong password!")]).send().await.unwrap();
            assert_eq!(r.status(), 401);
            assert!(r.text().await.unwrap().contains("wrong"));
        }
        let r = c.post(app.url("/login")).form(&[("email", ADMIN_EMAIL), ("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), 429, "even the right password waits once the limit is reached");
        assert!(r.text().await.unwrap().contains("Too many sign-in attempts"));
    }
}

on_both_engines! {
    async fn forms_without_the_csrf_token_or_from_another_site_are_refused(engine: Engine) {
        let app = spawn_app(engine).await;
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let form = [("name", "Renamed Ltd"), ("_csrf", "forged")];
        let r = c.post(app.url("/admin/organisation")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = c.post(app.url("/admin/organisation")).form(&[("name", "Renamed Ltd")]).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = c.post(app.url("/admin/organisation")).header("origin", "https://evil.example")
            .form(&[("name", "Renamed Ltd"), ("_csrf", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(app.store().organisation(&app.org_id).await.unwrap().name, "Acme Ltd", "nothing changed");

        let r = c.post(app.url("/admin/organisation")).form(&[("name", "Renamed Ltd"), ("_csrf", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(app.store().organisation(&app.org_id).await.unwrap().name, "Renamed Ltd");

        // Scripts using the session send the token as a header.
        let r = c.patch(app.url("/api/v1/organisation")).json(&serde_json::json!({"name": "Via Script"})).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = c.patch(app.url("/api/v1/organisation")).header("x-csrf-token", &csrf)
            .json(&serde_json::json!({"name": "Via Script"})).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
}

on_both_engines! {
    async fn members_are_managed_from_the_ui_with_errors_beside_fields(engine: Engine) {
        let app = spawn_app(engine).await;
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let r = c.post(app.url("/admin/members"))
            .form(&[("_csrf", csrf.as_str()), ("email", "nope"), ("role", "viewer")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("field has-error") && html.contains("name@example.com"), "the e-mail error is shown beside the field");
        assert!(html.contains("value=\"nope\""), "what was typed is kept");

        let r = c.post(app.url("/admin/members"))
            .form(&[("_csrf", csrf.as_str()), ("email", "tom@acme.example"), ("role", "contributor")]).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let html = r.text().await.unwrap();
        assert!(html.contains("tom@acme.example is invited as Contributor. They join when they accept."));
        assert!(html.contains("Invitations waiting for an answer"));
        let link = html.split("<pre class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
        assert!(link.starts_with("/invitations/"), "the link is shown once: {link}");
        let again = c.get(app.url("/admin/members")).send().await.unwrap().text().await.unwrap();
        assert!(!again.contains(&link), "and never again");
        // Tom, new to pawl, opens the link and chooses his password.
        let tom_browser = app.browser();
        let page = tom_browser.get(app.url(&link)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Join Acme Ltd") && page.contains("as <strong>Contributor</strong>"), "{page}");
        let r = tom_browser.post(app.url(&link)).form(&[("answer", "accept"), ("password", "short")]).send().await.unwrap();
        assert_eq!(r.status(), 401, "a new password still meets the rules, refused as a wrong one is");
        assert!(r.text().await.unwrap().contains("at least 12 characters"));
        let r = tom_browser.post(app.url(&link)).form(&[("answer", "accept"), ("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert!(tom_browser.get(app.url("/")).send().await.unwrap().text().await.unwrap().contains("tom@acme.example"), "signed in");
        assert_eq!(app.browser().get(app.url(&link)).send().await.unwrap().status(), 404, "a link is used once");

        let tom = app.store().org(&app.org_id).members(&Default::default()).await.unwrap()
            .items.into_iter().find(|m| m.email == "tom@acme.example").unwrap();
        let path = format!("/admin/members/{}/role", tom.id);
        let r = c.post(app.url(&path)).form(&[("_csrf", csrf.as_str()), ("role", "manager"), ("version", "1")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let r = c.post(app.url(&path)).form(&[("_csrf", csrf.as_str()), ("role", "viewer"), ("version", "1")]).send().await.unwrap();
        assert_eq!(r.status(), 412, "a stale form is refused");
        assert!(r.text().await.unwrap().contains("changed by someone else"));

        let html = c.get(app.url(&format!("/history/member/{}", tom.id))).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("diff-changed") && html.contains("<td class=\"diff-old\">Contributor</td>") && html.contains("<td class=\"diff-new\">ISMS manager</td>"), "{html}");
        assert!(html.contains("History of tom@acme.example"));
        assert!(html.contains(ADMIN_EMAIL), "the history names who changed it");
    }
}

on_both_engines! {
    async fn a_new_token_is_shown_once_on_the_page(engine: Engine) {
        let app = spawn_app(engine).await;
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let r = c.post(app.url("/account/tokens")).form(&[("_csrf", csrf.as_str()), ("name", "backup-job")]).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let html = r.text().await.unwrap();
        let start = html.find("<pre class=\"secret\" id=\"new-token\">").expect("secret shown") + 35;
        let secret = html[start..].split('<').next().unwrap().to_owned();
        assert!(secret.starts_with("pawl_"));
        let me = app.api().get(app.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap();
        assert_eq!(me.status(), 200);
        let again = c.get(app.url("/account/tokens")).send().await.unwrap().text().await.unwrap();
        assert!(again.contains("backup-job") && !again.contains(&secret), "never shown again");
        let r = c.post(app.url("/account/tokens")).form(&[("_csrf", csrf.as_str()), ("name", "  ")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("field-error"));
    }
}

on_both_engines! {
    async fn pages_follow_the_access_policy(engine: Engine) {
        let app = spawn_app(engine).await;
        app.member_token("viewer@acme.example", "viewer").await;
        app.member_token("staff@acme.example", "staff").await;
        let (viewer, _) = app.signed_in("viewer@acme.example").await;
        for (path, status) in [("/", 200), ("/catalog/annex-a", 200), ("/admin/members", 200), ("/admin/organisation", 403), ("/audit", 403)] {
            assert_eq!(viewer.get(app.url(path)).send().await.unwrap().status(), status, "viewer {path}");
        }
        let html = viewer.get(app.url("/admin/members")).send().await.unwrap().text().await.unwrap();
        assert!(!html.contains("Add a member"), "a viewer sees no admin form");
        let (staff, _) = app.signed_in("staff@acme.example").await;
        assert_eq!(staff.get(app.url("/admin/members")).send().await.unwrap().status(), 403);
        let nav = staff.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(!nav.contains("href=\"/audit\""), "the navigation hides what the role cannot open");
    }
}

on_both_engines! {
    async fn the_catalog_pages_filter_by_theme_and_attribute(engine: Engine) {
        let app = spawn_app(engine).await;
        let (c, _) = app.signed_in(ADMIN_EMAIL).await;
        let html = c.get(app.url("/catalog/annex-a")).send().await.unwrap().text().await.unwrap();
        assert_eq!(html.matches("href=\"/catalog/annex-a/").count(), 93);
        let html = c.get(app.url("/catalog/annex-a?theme=Physical")).send().await.unwrap().text().await.unwrap();
        assert_eq!(html.matches("href=\"/catalog/annex-a/").count(), 14);
        let html = c.get(app.url("/catalog/annex-a?attr=security_domains:Resilience")).send().await.unwrap().text().await.unwrap();
        let n = html.matches("href=\"/catalog/annex-a/").count();
        assert!(n > 0 && n < 93, "{n}");
        let r = c.get(app.url("/catalog/annex-a?theme=Nope")).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = c.get(app.url("/catalog/annex-a/A.5.23")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("A.5.23") && html.contains("cloud services"));
        let html = c.get(app.url("/catalog/clauses")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("6.1.2") && html.contains("Information security risk assessment"));
    }
}

on_both_engines! {
    async fn every_page_has_an_icon(engine: Engine) {
        let app = spawn_app(engine).await;
        let r = app.browser().get(app.url("/favicon.ico")).send().await.unwrap();
        assert_eq!(r.status(), 200, "browsers ask for it on every page");
        assert_eq!(r.headers()["content-type"], "image/svg+xml");
        assert!(r.text().await.unwrap().starts_with("<svg"));
        let login = app.browser().get(app.url("/login")).send().await.unwrap().text().await.unwrap();
        assert!(login.contains(r#"<link rel="icon" href="/static/favicon.svg""#));
    }
}
