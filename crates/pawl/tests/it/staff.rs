//! What staff see and do (issue 26): their courses open from My work and
//! are marked done by them; what they reported follows them in My work;
//! a policy names who answers questions; the menu offers no catalogue.

use crate::harness::{ok_as as ok, send, spawn_app, Engine};
use crate::on_both_engines;
use reqwest::Method;
use serde_json::json;

fn days(n: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(n)).to_string()
}

on_both_engines! {
    async fn staff_complete_their_courses_and_follow_what_they_reported(engine: Engine) {
        let app = spawn_app(engine).await;
        let admin = app.admin_token.clone();
        let sam = app.member_token("sam@example.com", "staff").await;
        let t = ok(&app, &admin, Method::POST, "/api/v1/trainings", Some(json!({
            "title": "Phishing awareness", "description": "Watch the 20-minute video on the intranet.",
            "audience": "staff", "due_date": days(10), "recurrence": "yearly"}))).await;
        let id = t["id"].as_str().unwrap().to_owned();
        let other = ok(&app, &admin, Method::POST, "/api/v1/trainings", Some(json!({
            "title": "Secure code review", "audience": "contributor", "due_date": days(10), "recurrence": "once"}))).await;

        // My work links the course to the page where its trainee reads it.
        let work = ok(&app, &sam, Method::GET, "/api/v1/my-work", None).await;
        let item = work["items"].as_array().unwrap().iter().find(|w| w["kind"] == "training").cloned().expect("the course");
        assert_eq!(item["href"], format!("/me/trainings/{id}"));
        let (ui, csrf) = app.signed_in("sam@example.com").await;
        let html = ui.get(app.url("/my-work")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(&format!("href=\"/me/trainings/{id}\"")), "a link, not plain text");
        let page = ui.get(app.url(&format!("/me/trainings/{id}"))).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Watch the 20-minute video"));
        // Someone else's course is not theirs to complete.
        let (status, _) = send(&app, &sam, Method::POST, &format!("/api/v1/me/trainings/{}/completion", other["id"].as_str().unwrap()), Some(json!({}))).await;
        assert_eq!(status, 404);
        let r = ui.post(app.url(&format!("/me/trainings/{id}"))).form(&[("_csrf", csrf.as_str()), ("completed_on", days(2).as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 422, "not in the future");
        assert!(r.text().await.unwrap().contains("aria-invalid=\"true\""));
        let r = ui.post(app.url(&format!("/me/trainings/{id}"))).form(&[("_csrf", csrf.as_str()), ("completed_on", days(0).as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let work = ok(&app, &sam, Method::GET, "/api/v1/my-work", None).await;
        assert!(!work["items"].as_array().unwrap().iter().any(|w| w["kind"] == "training"), "done, so gone: {work}");
        let done = ok(&app, &admin, Method::GET, &format!("/api/v1/trainings/{id}/completions"), None).await;
        assert_eq!(done["completions"][0]["source"], "self_declared", "{done}");

        // A near miss they report stays in their work with its state.
        ok(&app, &sam, Method::POST, "/api/v1/incidents", Some(json!({
            "title": "Door left open", "description": "Server room open at night", "type": "near_miss"}))).await;
        let work = ok(&app, &sam, Method::GET, "/api/v1/my-work", None).await;
        let reported = work["items"].as_array().unwrap().iter().find(|w| w["kind"] == "incident").cloned().expect("the near miss");
        assert_eq!(reported["role"], "You reported it");

        // Staff are offered no catalogue of controls.
        let home = ui.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(!home.contains("href=\"/catalog/annex-a\""), "no catalogue in the staff menu");
    }
}
