//! The home page's figures: each to-do figure links to the list of exactly
//! what it counts, for every role of the demo organisation and again after
//! a change; and an empty organisation has nothing in order.

use crate::harness::{ok_as, send, spawn_app, Engine, TestApp};
use crate::on_both_engines;
use pawl_domain::audit::Actor;
use reqwest::Method;
use serde_json::{json, Value};

/// The text between `start` and the first `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    let len = html[from..].find(end)?;
    Some(&html[from..from + len])
}

/// An attribute's value or a text as written: askama writes `&`, `/`,
/// quotes and brackets as character references.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').unwrap_or(0);
        let decoded = match &tail[1..end.max(1)] {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            code => code
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| code.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The number that ends just before the first `marker` (and a space).
fn number_before(html: &str, marker: &str) -> Option<usize> {
    let end = html.find(marker)?;
    let head = html[..end].trim_end();
    let digits: String = head
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

/// The rows of the first table's body in `html`.
fn rows(html: &str) -> usize {
    between(html, "<tbody>", "</tbody>").map_or(0, |b| b.matches("<tr").count())
}

/// Each figure the home page links to a list: (figure, what it says, link).
fn figures(home: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    if let Some(todo) = between(home, "id=\"todo-h\"", "</section>") {
        // One item of the to-do list: its count, then its link and label.
        for item in todo.split("<span class=\"todo-count\">").skip(1) {
            let n: usize = item[..item.find('<').unwrap()].trim().parse().unwrap();
            if let Some(link) = between(item, "<a href=\"", "</a>") {
                let (href, label) = link.split_once("\">").unwrap();
                out.push((n, unescape(label), unescape(href)));
            }
        }
        if let Some(n) = between(home, ">My work (", ")</a>") {
            out.push((n.parse().unwrap(), "My work".into(), "/my-work".into()));
        }
    }
    // The home page of staff: "N items", "N documents to read", "N courses to complete".
    if let Some(cards) = between(home, "Your part in the ISMS", "Report an incident") {
        for link in cards.split("<a href=\"").skip(1) {
            let (href, rest) = link.split_once("\">").unwrap();
            let text = &rest[..rest.find("</a>").unwrap()];
            if let Some(n) = text.split(' ').next().and_then(|w| w.parse().ok()) {
                out.push((n, unescape(text), unescape(href)));
            }
        }
    }
    out
}

/// What the list at `href` holds: its stated total where it states one,
/// else its rows (a fragment names the section that holds the list).
async fn list_total(c: &reqwest::Client, app: &TestApp, href: &str) -> usize {
    let (path, fragment) = href.split_once('#').map_or((href, None), |(p, f)| (p, Some(f)));
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{href} opens");
    let html = r.text().await.unwrap();
    let lede = between(&html, "<p class=\"lede\">", "</p>").unwrap_or("");
    let bare = path.split('?').next().unwrap();
    if let Some(f) = fragment {
        let section = between(&html, &format!("id=\"{f}\""), "</section>").unwrap_or_else(|| panic!("{href}: no #{f}"));
        return rows(section);
    }
    match bare {
        "/risks/due" => {
            let n = number_before(lede, " due:").unwrap_or_else(|| panic!("{href}: {lede}"));
            assert_eq!(rows(&html), n, "{href} lists every risk it counts");
            n
        }
        "/risks" => number_before(lede, " risks match").unwrap_or_else(|| panic!("{href}: {lede}")),
        "/evidence" => number_before(lede, " pieces of evidence").unwrap_or_else(|| panic!("{href}: {lede}")),
        "/soa" => between(&html, "<h2>Consistency warnings</h2>", "</ul>").map_or(0, |w| w.matches("<li>").count()),
        "/read" => number_before(&html, ")</h2>")
            .filter(|_| html.contains("<h2>To read ("))
            .unwrap(),
        "/my-work" => rows(&html),
        // A register's list: "… 3 match."
        _ => number_before(lede, " match").unwrap_or_else(|| panic!("{href}: {lede}")),
    }
}

/// Signs `email` in and compares each figure of the home page with the list
/// it links to; the figures by what they say.
async fn check_home(app: &TestApp, email: &str) -> Vec<(usize, String, String)> {
    let (c, _) = app.signed_in(email).await;
    let home = c.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    let figures = figures(&home);
    assert!(
        !figures.is_empty() || !home.contains("todo-open"),
        "{email}: figures read from the page"
    );
    for (n, label, href) in &figures {
        let listed = list_total(&c, app, href).await;
        assert_eq!(listed, *n, "{email}: \"{label}\" says {n}, and {href} lists {listed}");
    }
    figures
}

fn figure(figures: &[(usize, String, String)], label: &str) -> usize {
    figures.iter().find(|f| f.1 == label).map_or(0, |f| f.0)
}

on_both_engines! {
    async fn every_home_figure_counts_what_its_list_holds_for_every_demo_role(engine: Engine) {
        let app = spawn_app(engine).await;
        pawl_app::demo::ensure_demo(&app.app, crate::harness::PASSWORD).await.unwrap();
        let mut before = Vec::new();
        for (email, role) in pawl_app::demo::PEOPLE {
            let figures = check_home(&app, email).await;
            if *role == "staff" {
                assert!(figures.iter().any(|f| f.2 == "/my-work"), "staff see their work: {figures:?}");
            } else {
                assert!(figures.len() >= 5, "{role} sees the ISMS's to-do list: {figures:?}");
            }
            if *role == "admin" {
                before = figures;
            }
        }
        for label in ["Corrective actions awaiting verification", "Incidents and near misses to triage", "Suggestions awaiting a decision"] {
            assert!(figure(&before, label) > 0, "the demo has some {label}: {before:?}");
        }

        // One more of each: an action implemented, an incident and a suggestion reported.
        let store = app.store();
        let org = store.organisation_by_slug(pawl_app::demo::SLUG).await.unwrap();
        let token = |email: &'static str| {
            let (app, org_id) = (&app, org.id.clone());
            async move {
                let user = app
                    .store()
                    .user_by_email(&pawl_domain::identity::Email::parse(email).unwrap())
                    .await
                    .unwrap()
                    .unwrap();
                pawl_app::auth::issue_token(&app.app, &org_id, &Actor::system("test"), &user.id, "t").await.unwrap().0
            }
        };
        let admin = token(pawl_app::demo::ADMIN_EMAIL).await;
        let staff = token("sam.ng@demo.example").await;
        let open = ok_as(&app, &admin, Method::GET, "/api/v1/corrective-actions?status=planned,in_progress&limit=1", None).await;
        let ca = open["items"][0]["id"].as_str().unwrap_or_else(|| panic!("the demo has an action to finish: {open}")).to_owned();
        ok_as(&app, &admin, Method::PATCH, &format!("/api/v1/corrective-actions/{ca}"), Some(json!({"completion_evidence": "Change CHG-204"}))).await;
        let (status, moved) = send(&app, &admin, Method::POST, &format!("/api/v1/corrective-actions/{ca}/transitions"), Some(json!({"to": "implemented"}))).await;
        assert_eq!(status, 200, "{moved}");
        ok_as(&app, &staff, Method::POST, "/api/v1/incidents", Some(json!({
            "title": "Badge reader stuck open", "description": "The back door stayed unlocked", "type": "near_miss"}))).await;
        ok_as(&app, &staff, Method::POST, "/api/v1/suggestions", Some(json!({
            "title": "Clear desk reminders", "description": "A monthly note"}))).await;

        let (status, p) = send(&app, &admin, Method::GET, "/api/v1/risks?acceptance=soon", None).await;
        assert_eq!(status, 422, "the acceptance filter names its choices: {p}");

        for (email, _) in pawl_app::demo::PEOPLE {
            let figures = check_home(&app, email).await;
            if *email == pawl_app::demo::ADMIN_EMAIL {
                for label in ["Corrective actions awaiting verification", "Incidents and near misses to triage", "Suggestions awaiting a decision"] {
                    assert_eq!(figure(&figures, label), figure(&before, label) + 1, "{label}");
                }
            }
        }
    }
}

on_both_engines! {
    async fn an_empty_organisation_has_nothing_in_order(engine: Engine) {
        let app = spawn_app(engine).await;
        let r = ok_as(&app, &app.admin_token, Method::GET, "/api/v1/readiness", None).await;
        let items = r["items"].as_array().unwrap();
        let ready: Vec<&Value> = items.iter().filter(|i| i["state"] == "ready").collect();
        assert!(ready.is_empty(), "nothing to check is not in order: {ready:?}");
        for key in ["evidence", "control_checks", "acceptances", "supplier_reviews", "nonconformities", "verification"] {
            let i = items.iter().find(|i| i["key"] == key).unwrap();
            assert_eq!(i["state"], "not_started", "{key}: {i}");
        }
        let (c, _) = app.signed_in(crate::harness::ADMIN_EMAIL).await;
        let home = c.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        let total = r["total"].as_u64().unwrap();
        assert!(home.contains(&format!("Audit readiness: 0 of {total} in order")), "the home page agrees");
        let page = c.get(app.url("/readiness")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(&format!("0 of {total} things")) && page.contains("Not started"), "the readiness page says which are not started");
    }
}
