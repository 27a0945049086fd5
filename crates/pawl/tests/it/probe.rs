//! What the outside probe of issue 26 found on the HTTP surface, the audit
//! trail's pages and the pages' accessibility, kept as tests so that it
//! stays fixed.

use crate::harness::{spawn_app, spawn_app_with, Engine, TestApp, ADMIN_EMAIL};
use crate::on_both_engines;
use serde_json::{json, Value};
use std::time::Duration;

/// Sends a request's head and the start of its body on a connection of its
/// own, and returns the head of the answer given before the rest of the
/// body is sent; panics when none comes within five seconds.
async fn answer_before_the_body(app: &TestApp, head: &str, start: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(start).await.unwrap();
    let mut buf = vec![0u8; 8192];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap_or_else(|_| panic!("no answer while the body was still to come: {head}"))
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// A request head announcing a 60 MiB body.
fn announcing_60_mib(method_path: &str, addr: std::net::SocketAddr, content_type: &str, extra: &str) -> String {
    format!(
        "{method_path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}\r\n",
        60 << 20
    )
}

on_both_engines! {
    /// Twenty unauthenticated 60 MiB posts took the server from 107 MB to
    /// 996 MB: bodies were read before anyone was known. Now who is calling
    /// and whether they may is settled first, and a route anyone may call
    /// reads a few KiB at most.
    async fn no_body_is_read_before_the_caller_is_known_and_allowed(engine: Engine) {
        let app = spawn_app(engine).await;
        let viewer = app.member_token("viewer@acme.example", "viewer").await;
        let json = "application/json";
        let form = "application/x-www-form-urlencoded";
        let cases = [
            ("POST /api/v1/assets", json, String::new(), "401"),
            ("POST /api/v1/assets", json, format!("Authorization: Bearer {viewer}\r\n"), "403"),
            ("POST /risks/new", form, String::new(), "303"),
            ("POST /api/v1/no-such-route", json, String::new(), "404"),
            ("POST /login", form, String::new(), "413"),
            ("POST /invitations/not-a-secret", form, String::new(), "413"),
        ];
        for (method_path, content_type, extra, status) in cases {
            let head = announcing_60_mib(method_path, app.addr, content_type, &extra);
            let answer = answer_before_the_body(&app, &head, b"{\"name\": \"").await;
            assert!(answer.starts_with(&format!("HTTP/1.1 {status} ")), "{method_path}: {answer}");
        }

        // A sign-in larger than the few KiB one needs is refused as such,
        // announced or not.
        let long = "x".repeat(20 * 1024);
        let r = app.browser().post(app.url("/login")).form(&[("email", ADMIN_EMAIL), ("password", long.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 413);
        let head = format!("POST /login HTTP/1.1\r\nHost: {}\r\nContent-Type: {form}\r\nTransfer-Encoding: chunked\r\n\r\n", app.addr);
        let mut chunk = format!("{:x}\r\n", 20 * 1024).into_bytes();
        chunk.extend(std::iter::repeat_n(b'x', 20 * 1024));
        chunk.extend(b"\r\n");
        let answer = answer_before_the_body(&app, &head, &chunk).await;
        assert!(answer.starts_with("HTTP/1.1 413 "), "a body without a length is read only to the limit: {answer}");

        // Those who may still send what they need.
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let r = c.post(app.url("/risks/new")).form(&[("_csrf", csrf.as_str()), ("title", "Lost laptop")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let padded = format!("{{\"name\": \"CRM\"{}}}", " ".repeat(100_000));
        let r = app.api().post(app.url("/api/v1/assets")).bearer_auth(&app.admin_token).header("content-type", json).body(padded).send().await.unwrap();
        assert_eq!(r.status(), 201, "an authorised body far past the public limit");
    }
}

on_both_engines! {
    /// Any method name a client sent became a series of its own.
    async fn methods_outside_http_are_counted_as_other(engine: Engine) {
        let app = spawn_app_with(engine, |a| a.metrics_token = Some("scrape-secret".into())).await;
        let c = app.api();
        for i in 0..5 {
            let method = reqwest::Method::from_bytes(format!("PROBE{i}").as_bytes()).unwrap();
            c.request(method, app.url("/api/v1/health")).send().await.unwrap();
        }
        c.get(app.url("/api/v1/health")).send().await.unwrap();
        let text = c.get(app.url("/-/metrics")).bearer_auth("scrape-secret").send().await.unwrap().text().await.unwrap();
        assert!(!text.contains("PROBE"), "{text}");
        assert!(text.contains("pawl_http_requests_total{method=\"other\",route=\"/api/v1/health\",status=\"405\"} 5"), "{text}");
        assert!(text.contains("{method=\"GET\",route=\"/api/v1/health\",status=\"200\"} 1"), "{text}");
    }
}

/// Whether `v` is a `<time datetime>` the HTML standard accepts as we print
/// it: a UTC date and time with at most milliseconds.
fn valid_datetime(v: &str) -> bool {
    let b = v.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z'
}

fn datetimes(html: &str) -> Vec<&str> {
    html.split("datetime=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect()
}

on_both_engines! {
    /// An auditor reads the trail without sign-ins, notes down the chain's
    /// head and takes the trail away as a file; its times are valid HTML.
    async fn the_audit_trail_page_exports_leaves_out_sign_ins_and_shows_the_head(engine: Engine) {
        let app = spawn_app(engine).await;
        let t = &app.admin_token;
        let (c, _) = app.signed_in(ADMIN_EMAIL).await;
        let asset: Value = app.api().post(app.url("/api/v1/assets")).bearer_auth(t).json(&json!({"name": "CRM"})).send().await.unwrap().json().await.unwrap();
        let verify: Value = app.api().get(app.url("/api/v1/audit/verify")).bearer_auth(t).send().await.unwrap().json().await.unwrap();
        let newest: Value = app.api().get(app.url("/api/v1/audit/events?limit=1")).bearer_auth(t).send().await.unwrap().json().await.unwrap();
        let head = verify["head_hash"].as_str().unwrap();
        assert_eq!(head, newest["items"][0]["hash"].as_str().unwrap());
        assert_eq!(verify["head_seq"], newest["items"][0]["seq"]);
        assert_eq!(head.len(), 64);

        let page = c.get(app.url("/audit")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(&format!("<code class=\"hash\" id=\"head-hash\">{head}</code>")), "the head's hash, to note down");
        assert!(page.contains("href=\"/audit/export.csv\""), "an export button");
        let signed_in = "<span class=\"badge badge-muted\">Signed in</span>";
        assert!(page.contains(signed_in));
        let times = datetimes(&page);
        assert!(!times.is_empty() && times.iter().all(|d| valid_datetime(d)), "{times:?}");
        let history = c.get(app.url(&format!("/history/asset/{}", asset["id"].as_str().unwrap()))).send().await.unwrap().text().await.unwrap();
        let times = datetimes(&history);
        assert!(!times.is_empty() && times.iter().all(|d| valid_datetime(d)), "{times:?}");

        let page = c.get(app.url("/audit?without_sign_ins=true")).send().await.unwrap().text().await.unwrap();
        assert!(!page.contains(signed_in), "sign-ins left out");
        assert!(page.contains("name=\"without_sign_ins\" value=\"true\" checked"));
        assert!(page.contains("href=\"/audit/export.csv?without_sign_ins=true\""), "the export takes the filters");
        let api: Value = app.api().get(app.url("/api/v1/audit/events?without_sign_ins=true&limit=500")).bearer_auth(t).send().await.unwrap().json().await.unwrap();
        assert!(api["items"].as_array().unwrap().iter().all(|e| e["action"] != "sign_in"), "{api}");

        let r = c.get(app.url("/audit/export.csv")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"audit-trail-acme-"));
        let csv = r.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "\"seq\",\"occurred_at\",\"actor_kind\",\"actor_id\",\"actor_name\",\"action\",\"entity_type\",\"entity_id\",\"before\",\"after\",\"prev_hash\",\"hash\"");
        assert_eq!(lines.len() as i64 - 1, verify["events"].as_i64().unwrap(), "every event, oldest first");
        assert!(lines[1].starts_with("\"1\","));
        assert!(lines.last().unwrap().ends_with(&format!(",\"{head}\"")), "ending at the head");
        assert!(csv.contains(",\"sign_in\","));
        assert!(csv.contains("\"\"name\"\":\"\"CRM\"\""), "the record as stored, its quotes doubled: {csv}");
        let csv = c.get(app.url("/audit/export.csv?without_sign_ins=true")).send().await.unwrap().text().await.unwrap();
        assert!(!csv.contains(",\"sign_in\","));
        let r = c.get(app.url("/audit/export.csv?from=yesterday")).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let viewer = app.member_token("viewer@acme.example", "viewer").await;
        let r = app.api().get(app.url("/audit/export.csv")).bearer_auth(&viewer).send().await.unwrap();
        assert_eq!(r.status(), 403, "the trail's permission, as the page");
    }
}

/// Every `class="table-wrap"` on a page is a named region that takes focus.
fn scroll_boxes_are_named_regions(page: &str, path: &str) -> usize {
    let boxes: Vec<&str> = page.split("class=\"table-wrap\"").skip(1).collect();
    for b in &boxes {
        assert!(
            b.starts_with(" role=\"region\" tabindex=\"0\" aria-label=\""),
            "{path}: {}",
            &b[..b.len().min(120)]
        );
        assert!(
            !b.starts_with(" role=\"region\" tabindex=\"0\" aria-label=\"\""),
            "{path}: an empty name"
        );
    }
    boxes.len()
}

on_both_engines! {
    /// What axe-core found on every page: the menu's checkbox had no name,
    /// sat outside the landmarks and took focus invisibly; scroll boxes
    /// took no focus; white on amber; chart text black in dark mode; and
    /// the risk form's errors tied to no field.
    async fn pages_pass_what_axe_found(engine: Engine) {
        let app = spawn_app(engine).await;
        let (c, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let home = c.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        let (header, toggle, end) = (home.find("<header").unwrap(), home.find("id=\"nav-toggle\"").unwrap(), home.find("</header>").unwrap());
        assert!(header < toggle && toggle < end, "the menu's checkbox is inside the banner");
        assert!(home.contains("class=\"nav-toggle visually-hidden\" aria-label=\"Menu\""));
        assert!(home.contains("aria-label=\"Nonconformities and actions by age\""), "the home page's ageing table");
        let mut boxes = 0;
        for path in ["/", "/risks", "/controls", "/trainings/report", "/soa", "/admin/members"] {
            let page = c.get(app.url(path)).send().await.unwrap().text().await.unwrap();
            boxes += scroll_boxes_are_named_regions(&page, path);
        }
        assert!(boxes >= 5, "{boxes} scroll boxes seen");

        let css = c.get(app.url("/static/pawl.css")).send().await.unwrap().text().await.unwrap();
        let rule = |selector: &str| css.lines().find(|l| l.starts_with(selector)).unwrap_or_else(|| panic!("no rule {selector}")).to_owned();
        assert!(rule("a { ").contains("text-decoration: underline"), "links in running text are underlined");
        assert!(rule(".nav-button, .nav-toggle {").contains("display: none"), "no hidden checkbox in the tab order");
        assert!(rule("table.heat td a {").contains("color: inherit"), "heat-map cells take their level's text colour");

        let levels = c.get(app.url("/risks/levels.css")).send().await.unwrap().text().await.unwrap();
        assert!(levels.contains(".lv-medium { background: #f59f00; color: #000; }"), "{levels}");
        assert!(levels.contains(".lv-critical { background: #c92a2a; color: #fff; }"), "{levels}");

        let report = c.get(app.url("/trainings/report")).send().await.unwrap().text().await.unwrap();
        let chart = report.split("<div class=\"chart\">").nth(1).unwrap().split("</svg>").next().unwrap();
        let texts: Vec<&str> = chart.split("<text").skip(1).map(|t| t.split('>').next().unwrap()).collect();
        assert!(!texts.is_empty() && texts.iter().all(|t| t.contains("fill=\"currentColor\"")), "{chart}");
        assert!(report.contains("<details class=\"figures\">"), "the chart's figures as a table");
        let month = time::OffsetDateTime::now_utc().date();
        assert!(report.contains(&format!("<th scope=\"row\" class=\"mono\">{}-{:02}</th><td class=\"num\">0</td>", month.year(), u8::from(month.month()))));

        let r = c.post(app.url("/risks/new")).form(&[("_csrf", csrf.as_str()), ("title", ""), ("assessed_on", "someday")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let form = r.text().await.unwrap();
        assert!(form.contains("id=\"f-title\" name=\"title\" value=\"\" aria-invalid=\"true\" aria-describedby=\"f-title-error\""), "{form}");
        assert!(form.contains("<p class=\"field-error\" id=\"f-title-error\">"));
        assert!(form.contains("aria-invalid=\"true\" aria-describedby=\"f-assessed_on-error\""));
        let summary = form.split("error-summary").nth(1).expect("an error summary above the form");
        assert!(summary.contains("<a href=\"#f-title\">Title: ") && summary.contains("<a href=\"#f-assessed_on\">Assessed on: "), "{summary}");
    }
}
