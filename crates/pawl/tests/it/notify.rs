//! pawl reaches people (issue 27), against a real SMTP server on loopback
//! (aiosmtpd, started by `scripts/smtp_sink.py`): a password reset's link
//! reaches the mailbox alone and proves the address; an e-mailed
//! invitation proves it too; a new incident reaches every ISMS manager, in
//! their mailbox and their notification centre; a delivery that fails is
//! shown with its cause and sent once the server is back.

use crate::cli::pawl;
use crate::harness::{
    free_port, ok_as, send, spawn_app, spawn_app_with, Engine, TempDir, TestApp, ADMIN_EMAIL, PASSWORD,
};
use crate::on_both_engines;
use reqwest::Method;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PUBLIC_URL: &str = "https://isms.acme.example";

/// A real SMTP server on a loopback port, writing what it accepts to a
/// folder; stopped when dropped.
pub(crate) struct SmtpSink {
    port: u16,
    folder: TempDir,
    child: Option<Child>,
}

impl SmtpSink {
    /// A port nobody listens on yet: a mail server that is down.
    fn down() -> SmtpSink {
        SmtpSink {
            port: free_port(),
            folder: TempDir::new(),
            child: None,
        }
    }

    pub(crate) fn start() -> SmtpSink {
        let mut sink = SmtpSink::down();
        sink.listen();
        sink
    }

    /// Starts the server on this sink's port.
    fn listen(&mut self) {
        let python = std::env::var("PAWL_TEST_PYTHON").expect(
            "PAWL_TEST_PYTHON is not set: run the suite with scripts/test, which installs aiosmtpd and icalendar and sets it",
        );
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .args(["--port", &self.port.to_string(), "--folder"])
            .arg(&self.folder.0)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP server");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        self.child = Some(child);
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages received so far, in order: (the envelope and the
    /// message as Python's e-mail parser read it, its plain text).
    pub(crate) fn messages(&self) -> Vec<(Value, String)> {
        (1..)
            .map_while(|n| {
                std::fs::metadata(self.folder.0.join(format!("{n}.eml"))).ok()?;
                let parsed: Value =
                    serde_json::from_str(&std::fs::read_to_string(self.folder.0.join(format!("{n}.json"))).ok()?)
                        .unwrap();
                let text = format!(
                    "Subject: {}\nFrom: {}\nMessage-ID: {}\n\n{}",
                    parsed["headers"]["Subject"].as_str().unwrap_or_default(),
                    parsed["headers"]["From"].as_str().unwrap_or_default(),
                    parsed["headers"]["Message-ID"].as_str().unwrap_or_default(),
                    parsed["text"].as_str().unwrap_or_default()
                );
                Some((parsed, text))
            })
            .collect()
    }

    /// Waits until `n` messages have arrived; a bound, not a clock the test
    /// relies on: the dispatcher is woken by the commit that wrote them.
    async fn wait_for(&self, n: usize) -> Vec<(Value, String)> {
        let start = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{} of {n} messages arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn mailing_app(engine: Engine, sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    spawn_app_with(engine, move |app| {
        app.set_mailer(pawl_app::notify::Mailer::new(&url, "pawl <isms@acme.example>", PUBLIC_URL).unwrap())
    })
    .await
}

/// The path of the first link to this pawl in a message.
fn link_in(eml: &str) -> String {
    let start = eml.find(PUBLIC_URL).expect("the message links to pawl") + PUBLIC_URL.len();
    eml[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_owned()
}

async fn signs_in(app: &TestApp, email: &str, password: &str) -> u16 {
    app.api()
        .post(app.url("/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

on_both_engines! {
    /// The reset link goes to the mailbox and nowhere else: the answer is
    /// the same for an address with no account, the organisation's outbox
    /// never shows it, it works once, ends every session, proves the
    /// address and is in the trail; a second request within the quarter
    /// hour sends nothing more.
    async fn a_reset_link_reaches_the_mailbox_alone_and_works_once(engine: Engine) {
        let sink = SmtpSink::start();
        let app = mailing_app(engine, &sink).await;
        let r = app.api().post(app.url("/api/v1/password-reset")).json(&json!({"email": ADMIN_EMAIL})).send().await.unwrap();
        assert_eq!(r.status(), 202);
        let r = app.api().post(app.url("/api/v1/password-reset")).json(&json!({"email": "nobody@acme.example"})).send().await.unwrap();
        assert_eq!(r.status(), 202, "an address without an account is answered alike");
        let got = sink.wait_for(1).await;
        assert_eq!(got[0].0["rcpt_tos"], json!([ADMIN_EMAIL]));
        let eml = &got[0].1;
        assert!(eml.contains("Subject: Choose a new pawl password"), "{eml}");
        assert!(eml.contains("From: pawl <isms@acme.example>"), "{eml}");
        assert!(eml.contains("@isms.acme.example>"), "a Message-ID a receiver can drop repeats by: {eml}");
        let path = link_in(eml);
        assert!(path.starts_with("/password-reset/"), "{path}");
        let outbox = ok_as(&app, &app.admin_token, Method::GET, "/api/v1/outbox", None).await;
        assert!(!outbox.to_string().contains(&path[16..]), "no administrator sees the link: {outbox}");

        let page = app.api().get(app.url(&path)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let r = app.api().post(app.url(&path)).form(&[("new_password", "short")]).send().await.unwrap();
        assert_eq!(r.status(), 422, "the password policy holds");
        let (old_session, _) = app.signed_in(ADMIN_EMAIL).await;
        let r = app.api().post(app.url(&path)).form(&[("new_password", "a brand new long password")]).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(signs_in(&app, ADMIN_EMAIL, PASSWORD).await, 401);
        assert_eq!(signs_in(&app, ADMIN_EMAIL, "a brand new long password").await, 303);
        let r = old_session.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), 303, "the session from before the reset ended");
        let r = app.api().post(app.url(&path)).form(&[("new_password", "yet another long password")]).send().await.unwrap();
        assert_eq!(r.status(), 404, "a link works once");

        let trail = ok_as(&app, &app.admin_token, Method::GET, "/api/v1/audit/events?action=password_reset", None).await;
        assert_eq!(trail["items"].as_array().map(Vec::len), Some(1), "{trail}");
        let r = app.api().post(app.url("/api/v1/password-reset")).json(&json!({"email": ADMIN_EMAIL})).send().await.unwrap();
        assert_eq!(r.status(), 202);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sink.messages().len(), 1, "one reset a quarter of an hour fills no mailbox");
    }
}

on_both_engines! {
    /// With a mail server, pawl mails an invitation's link and shows it to
    /// nobody; accepting it proves the address, so the account may join
    /// other organisations later.
    async fn an_e_mailed_invitation_proves_the_address(engine: Engine) {
        let sink = SmtpSink::start();
        let app = mailing_app(engine, &sink).await;
        let inv = ok_as(&app, &app.admin_token, Method::POST, "/api/v1/members",
            Some(json!({"email": "new.person@elsewhere.example", "role": "contributor"}))).await;
        assert_eq!(inv["mailed"], true);
        assert!(inv["accept_path"].is_null(), "the administrator is not given the link: {inv}");
        let got = sink.wait_for(1).await;
        assert_eq!(got[0].0["rcpt_tos"], json!(["new.person@elsewhere.example"]));
        assert!(got[0].1.contains("Subject: You are invited to Acme Ltd's ISMS in pawl"), "{}", got[0].1);
        let path = link_in(&got[0].1);
        let r = app.browser().post(app.url(&path))
            .form(&[("answer", "accept"), ("password", "the new person's own phrase")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let account = app.store().user_by_email(&pawl_domain::identity::Email::parse("new.person@elsewhere.example").unwrap())
            .await.unwrap().unwrap();
        assert!(account.proven_at.is_some(), "only the mailbox saw the link");
    }
}

on_both_engines! {
    /// A near miss a member of staff reports reaches every ISMS manager at
    /// once, by e-mail and in their notification centre, with a link to it;
    /// nobody else is told.
    async fn a_new_incident_reaches_every_isms_manager(engine: Engine) {
        let sink = SmtpSink::start();
        let app = mailing_app(engine, &sink).await;
        let priya = app.member_token("priya@acme.example", "manager").await;
        let _tom = app.member_token("tom@acme.example", "manager").await;
        let sam = app.member_token("sam@acme.example", "staff").await;
        let inc = ok_as(&app, &sam, Method::POST, "/api/v1/incidents", Some(json!({
            "title": "Door left open", "description": "Server room open at night", "type": "near_miss"}))).await;
        let got = sink.wait_for(2).await;
        let mut to: Vec<String> = got.iter().map(|(e, _)| e["rcpt_tos"][0].as_str().unwrap().to_owned()).collect();
        to.sort();
        assert_eq!(to, ["priya@acme.example", "tom@acme.example"]);
        let path = format!("/incidents/{}", inc["id"].as_str().unwrap());
        for (_, eml) in &got {
            assert!(link_in(eml) == path && eml.contains("New incident: INC-0001 Door left open"), "{path}: {eml}");
        }

        let mine = ok_as(&app, &priya, Method::GET, "/api/v1/notifications", None).await;
        assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "{mine}");
        assert_eq!((mine["items"][0]["path"].as_str(), mine["items"][0]["mail_state"].as_str()), (Some(path.as_str()), Some("sent")));
        let staff = ok_as(&app, &sam, Method::GET, "/api/v1/notifications", None).await;
        assert_eq!(staff["items"], json!([]), "the reporter is not told of their own report");
        let (browser, _) = app.signed_in("priya@acme.example").await;
        let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(home.contains("Notifications <span class=\"badge badge-warn\">1<"), "the header counts unread");
        let id = mine["items"][0]["id"].as_str().unwrap();
        let (status, _) = send(&app, &priya, Method::POST, &format!("/api/v1/notifications/{id}/read"), None).await;
        assert_eq!(status, 204);
        let (status, _) = send(&app, &sam, Method::POST, &format!("/api/v1/notifications/{id}/read"), None).await;
        assert_eq!(status, 404, "nobody marks another person's notification");
        let home = browser.get(app.url("/notifications")).send().await.unwrap().text().await.unwrap();
        assert!(home.contains("Door left open") && !home.contains("badge badge-warn\">1<"), "{home}");
    }
}

on_both_engines! {
    /// A mail server that is down: the message waits with the cause shown
    /// to the administrator, and is sent once the server is back and the
    /// administrator sends it again; a staff member may not.
    async fn a_failed_delivery_is_shown_and_sent_once_the_server_is_back(engine: Engine) {
        let mut sink = SmtpSink::down();
        let app = mailing_app(engine, &sink).await;
        app.member_token("priya@acme.example", "manager").await;
        let sam = app.member_token("sam@acme.example", "staff").await;
        ok_as(&app, &sam, Method::POST, "/api/v1/incidents", Some(json!({
            "title": "Laptop lost", "description": "Left on a train", "type": "incident"}))).await;
        let start = Instant::now();
        let failed = loop {
            let outbox = ok_as(&app, &app.admin_token, Method::GET, "/api/v1/outbox", None).await;
            if outbox["items"][0]["attempts"] == 1 {
                break outbox["items"][0].clone();
            }
            assert!(start.elapsed() < Duration::from_secs(30), "no attempt was made: {outbox}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(failed["mail_state"], "pending", "tried again later: {failed}");
        assert!(!failed["last_error"].as_str().unwrap().is_empty(), "the cause is shown: {failed}");
        let id = failed["id"].as_str().unwrap();
        let (status, _) = send(&app, &sam, Method::POST, &format!("/api/v1/outbox/{id}/retry"), None).await;
        assert_eq!(status, 403);

        sink.listen();
        ok_as(&app, &app.admin_token, Method::POST, &format!("/api/v1/outbox/{id}/retry"), None).await;
        let got = sink.wait_for(1).await;
        assert!(got[0].1.contains("Laptop lost"));
        let start = Instant::now();
        while ok_as(&app, &app.admin_token, Method::GET, "/api/v1/outbox?state=sent", None).await["items"]
            .as_array()
            .is_none_or(Vec::is_empty)
        {
            assert!(start.elapsed() < Duration::from_secs(30), "not marked sent");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let trail = ok_as(&app, &app.admin_token, Method::GET, "/api/v1/audit/events?action=retry", None).await;
        assert_eq!(trail["items"].as_array().map(Vec::len), Some(1), "the retry is in the trail: {trail}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sink.messages().len(), 1, "sent once");
    }
}

on_both_engines! {
    /// Without a mail server, notifications are shown in pawl only and a
    /// reset link cannot be asked for; the answer says what to do instead.
    async fn without_a_mail_server_notifications_stay_in_pawl(engine: Engine) {
        let app = spawn_app(engine).await;
        let priya = app.member_token("priya@acme.example", "manager").await;
        let sam = app.member_token("sam@acme.example", "staff").await;
        ok_as(&app, &sam, Method::POST, "/api/v1/incidents", Some(json!({
            "title": "Phishing mail", "description": "Clicked a link", "type": "incident"}))).await;
        let mine = ok_as(&app, &priya, Method::GET, "/api/v1/notifications", None).await;
        assert_eq!(mine["items"][0]["mail_state"], "none");
        let r = app.api().post(app.url("/api/v1/password-reset")).json(&json!({"email": ADMIN_EMAIL})).send().await.unwrap();
        assert_eq!(r.status(), 409);
        assert!(r.text().await.unwrap().contains("pawl user set-password"));
        let page = app.api().post(app.url("/password-reset")).form(&[("email", ADMIN_EMAIL)]).send().await.unwrap();
        assert_eq!(page.status(), 409);
        assert!(page.text().await.unwrap().contains("ask an operator"), "the page says what to do instead");
        let inv = ok_as(&app, &app.admin_token, Method::POST, "/api/v1/members",
            Some(json!({"email": "x@elsewhere.example", "role": "viewer"}))).await;
        assert_eq!((inv["mailed"].as_bool(), inv["accept_path"].is_string()), (Some(false), true));
    }
}

/// `pawl notify test` sends through the real server and says so; a
/// malformed setting stops `pawl serve` naming it.
#[tokio::test]
async fn the_mail_setting_is_checked_by_name() {
    let sink = SmtpSink::start();
    let db = crate::harness::TestDb::migrated(Engine::Sqlite).await;
    let out = pawl(
        &db,
        &[
            "notify",
            "test",
            "--to",
            "ops@acme.example",
            "--smtp-url",
            &sink.url(),
            "--mail-from",
            "pawl <isms@acme.example>",
            "--public-url",
            PUBLIC_URL,
        ],
        "",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].0["rcpt_tos"], json!(["ops@acme.example"]));
    for (args, named) in [
        (
            vec![
                "--smtp-url",
                "mail.example:25",
                "--mail-from",
                "a@b.example",
                "--public-url",
                PUBLIC_URL,
            ],
            "--smtp-url",
        ),
        (vec!["--smtp-url", "smtp://127.0.0.1:25"], "--mail-from"),
        (
            vec![
                "--smtp-url",
                "smtp://127.0.0.1:25",
                "--mail-from",
                "a@b.example",
                "--public-url",
                "isms",
            ],
            "--public-url",
        ),
    ] {
        let mut all = vec!["serve", "--addr", "127.0.0.1:0"];
        all.extend(args);
        let out = pawl(&db, &all, "");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && said.contains(named), "{named}: {said}");
    }
}

on_both_engines! {
    /// The day's reminders: the owner of actions due in a week and overdue
    /// by two weeks gets one message listing both and not the one due in
    /// three days; the ISMS manager is told of the long-overdue one with
    /// its owner; a second run the same day, here from the command line,
    /// sends nothing; the run is in the audit trail.
    async fn reminders_reach_owners_once_a_day_and_long_overdue_work_reaches_managers(engine: Engine) {
        let sink = SmtpSink::start();
        let app = mailing_app(engine, &sink).await;
        app.member_token("priya@acme.example", "manager").await;
        let carl = app.member_token("carl@acme.example", "contributor").await;
        let today = pawl_app::today();
        let day = |d: i64| (today + time::Duration::days(d)).to_string();
        let risk = ok_as(&app, &app.admin_token, Method::POST, "/api/v1/risks",
            Some(json!({"title": "Laptops stolen", "likelihood": 3, "impact": 3}))).await;
        for (what, due) in [("Encrypt laptops", day(7)), ("Buy cable locks", day(-14)), ("Train staff", day(3))] {
            ok_as(&app, &app.admin_token, Method::POST, "/api/v1/treatment-actions", Some(json!({
                "risk_id": risk["id"], "description": what, "owner": "carl@acme.example", "due_date": due}))).await;
        }
        let r = pawl_app::notify::remind(app.store(), &app.org_id, today).await.unwrap();
        assert_eq!((r.ran, r.people, r.items, r.escalated, r.managers), (true, 1, 2, 1, 1), "{r:?}");
        let got = sink.wait_for(2).await;
        let to = |who: &str| got.iter().find(|(e, _)| e["rcpt_tos"][0] == who).map(|(_, m)| m.clone()).unwrap();
        let carls = to("carl@acme.example");
        assert!(carls.contains("Subject: Reminder: 2 things of yours need you, 1 overdue"), "{carls}");
        assert!(carls.contains("Encrypt laptops: due in 7 days") && carls.contains("Buy cable locks: overdue by 14 days"), "{carls}");
        assert!(!carls.contains("Train staff"), "three days ahead is no reminder day: {carls}");
        assert_eq!(link_in(&carls), "/my-work");
        let priyas = to("priya@acme.example");
        assert!(priyas.contains("Buy cable locks") && priyas.contains("Action owner: carl@acme.example"), "{priyas}");
        assert!(!priyas.contains("Encrypt laptops"), "{priyas}");
        let centre = ok_as(&app, &carl, Method::GET, "/api/v1/notifications", None).await;
        assert_eq!(centre["items"][0]["category"], "reminder");

        let out = pawl(&app.db, &["notify", "remind", "--org", "acme"], "");
        assert!(String::from_utf8_lossy(&out.stdout).contains("reminded already"), "{out:?}");
        let trail = ok_as(&app, &app.admin_token, Method::GET, "/api/v1/audit/events?action=remind", None).await;
        assert_eq!(trail["items"].as_array().map(Vec::len), Some(1), "{trail}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sink.messages().len(), 2, "once a day");
    }
}

/// A calendar feed as Python's `icalendar` parser reads it.
fn parsed_feed(text: &str) -> Value {
    use std::io::Write;
    let python = std::env::var("PAWL_TEST_PYTHON").expect("PAWL_TEST_PYTHON: run the suite with scripts/test");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ical_read.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "icalendar refused the feed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

on_both_engines! {
    /// A person's feed of 500 due items and the organisation's ISMS
    /// calendar, read by a real iCalendar parser, with UIDs that stay the
    /// same from one fetch to the next; the ISMS calendar is for roles that
    /// read the ISMS; a renewed or ended address, like a wrong one, is a
    /// plain 404.
    async fn calendar_feeds_are_read_by_a_real_parser_and_end_when_renewed(engine: Engine) {
        let app = spawn_app_with(engine, |a| a.public_url = Some(PUBLIC_URL.into())).await;
        let carl = app.member_token("carl@acme.example", "contributor").await;
        let sam = app.member_token("sam@acme.example", "staff").await;
        let today = pawl_app::today();
        let day = |d: i64| (today + time::Duration::days(d)).to_string();
        let risk = ok_as(&app, &app.admin_token, Method::POST, "/api/v1/risks",
            Some(json!({"title": "Laptops stolen", "likelihood": 3, "impact": 3}))).await;
        let sys = pawl_domain::audit::Actor::system("test");
        for i in 0..500 {
            let Value::Object(input) = json!({"risk_id": risk["id"], "description": format!("Step {i}, with; punctuation"),
                "owner": "carl@acme.example", "due_date": day(i % 90 - 30)}) else { unreachable!() };
            pawl_app::register::create_as(app.store(), &app.org_id, &sys, &pawl_domain::register::TREATMENT_ACTION, input)
                .await.unwrap();
        }
        ok_as(&app, &app.admin_token, Method::POST, "/api/v1/management-reviews",
            Some(json!({"title": "Management review H1", "planned_on": day(20)}))).await;

        let made = ok_as(&app, &carl, Method::POST, "/api/v1/me/calendar-feeds", Some(json!({"scope": "mine"}))).await;
        let url = made["url"].as_str().unwrap().to_owned();
        assert!(url.starts_with(&format!("{PUBLIC_URL}/calendar/")) && url.ends_with(".ics"), "{url}");
        let path = url.strip_prefix(PUBLIC_URL).unwrap().to_owned();
        let fetch = |path: String| {
            let client = app.api();
            let url = app.url(&path);
            async move { client.get(url).send().await.unwrap() }
        };
        let r = fetch(path.clone()).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
        let feed = parsed_feed(&r.text().await.unwrap());
        let events = feed["events"].as_array().unwrap();
        assert_eq!(events.len(), 500, "every due item of the person");
        let uids: std::collections::BTreeSet<&str> = events.iter().map(|e| e["uid"].as_str().unwrap()).collect();
        assert_eq!(uids.len(), 500, "one UID an item");
        assert!(events.iter().all(|e| e["url"].as_str().unwrap().starts_with(&format!("{PUBLIC_URL}/treatment-actions/"))));
        assert!(events.iter().any(|e| e["summary"].as_str().unwrap().contains("Step 7, with; punctuation")), "escaped text reads back");
        let again = parsed_feed(&fetch(path.clone()).await.text().await.unwrap());
        let again: std::collections::BTreeSet<String> =
            again["events"].as_array().unwrap().iter().map(|e| e["uid"].as_str().unwrap().to_owned()).collect();
        assert_eq!(again, uids.iter().map(|u| u.to_string()).collect(), "UIDs stay the same, so calendars update");

        let (status, _) = send(&app, &sam, Method::POST, "/api/v1/me/calendar-feeds", Some(json!({"scope": "organisation"}))).await;
        assert_eq!(status, 403, "staff do not read the ISMS calendar");
        let org = ok_as(&app, &app.admin_token, Method::POST, "/api/v1/me/calendar-feeds", Some(json!({"scope": "organisation"}))).await;
        let org_feed = parsed_feed(&fetch(org["url"].as_str().unwrap().strip_prefix(PUBLIC_URL).unwrap().to_owned()).await.text().await.unwrap());
        let review = org_feed["events"].as_array().unwrap().iter()
            .find(|e| e["summary"].as_str().unwrap().contains("Management review H1")).expect("the review is on the ISMS calendar");
        assert_eq!(review["start"].as_str(), Some(day(20).as_str()));

        let renewed = ok_as(&app, &carl, Method::POST, "/api/v1/me/calendar-feeds", Some(json!({"scope": "mine"}))).await;
        let old = fetch(path.clone()).await;
        assert_eq!(old.status(), 404, "the old address ends when renewed");
        let wrong = fetch("/calendar/not-a-feed.ics".into()).await;
        assert_eq!((wrong.status(), wrong.text().await.unwrap()), (reqwest::StatusCode::NOT_FOUND, old.text().await.unwrap()),
            "a wrong address and an ended one answer alike");
        let new_path = renewed["url"].as_str().unwrap().strip_prefix(PUBLIC_URL).unwrap().to_owned();
        assert_eq!(fetch(new_path.clone()).await.status(), 200);
        let (status, _) = send(&app, &carl, Method::DELETE, "/api/v1/me/calendar-feeds/mine", None).await;
        assert_eq!(status, 204);
        assert_eq!(fetch(new_path).await.status(), 404);
        let left = ok_as(&app, &carl, Method::GET, "/api/v1/me/calendar-feeds", None).await;
        assert_eq!(left["items"], json!([]));
    }
}

on_both_engines! {
    /// Onboarding many people at once: a list with a byte-order mark,
    /// roles by code or label ("ISMS manager") and a name column goes in as
    /// it is, each person e-mailed their link; a dry run invites nobody; a list with any
    /// problem invites nobody and names each problem by line; the page and
    /// the command line do the same.
    async fn a_list_of_people_is_invited_all_or_nothing(engine: Engine) {
        let sink = SmtpSink::start();
        let app = mailing_app(engine, &sink).await;
        let list = "\u{feff}Name,E-mail,Role\nAda Lovelace,ada@acme.example,contributor\nAlan Turing,alan@acme.example,Staff\n,,\nGrace Hopper,grace@acme.example,ISMS manager\n";
        let post = |dry: bool, body: &'static str| {
            let r = app.api().post(app.url(&format!("/api/v1/invitations/import?dry_run={dry}")))
                .bearer_auth(&app.admin_token).header("content-type", "text/csv").body(body);
            async move { let r = r.send().await.unwrap(); (r.status().as_u16(), r.json::<Value>().await.unwrap()) }
        };
        let (status, report) = post(true, list).await;
        assert_eq!((status, report["invited"].as_array().map(Vec::len)), (200, Some(3)), "{report}");
        let waiting = ok_as(&app, &app.admin_token, Method::GET, "/api/v1/invitations", None).await;
        assert_eq!(waiting["items"], json!([]), "a dry run invites nobody");
        let (status, report) = post(false, list).await;
        assert_eq!(status, 201, "{report}");
        assert!(report["invited"].as_array().unwrap().iter().all(|i| i["accept_path"].is_null()), "pawl mails the links");
        let got = sink.wait_for(3).await;
        let mut to: Vec<&str> = got.iter().map(|(e, _)| e["rcpt_tos"][0].as_str().unwrap()).collect();
        to.sort();
        assert_eq!(to, ["ada@acme.example", "alan@acme.example", "grace@acme.example"]);

        let bad = "email,role\nnew@acme.example,viewer\nnot-an-address,viewer\nnew@acme.example,staff\nadmin@acme.example,viewer\nzed@acme.example,boss\n";
        let (status, report) = post(false, bad).await;
        assert_eq!(status, 422);
        let problems = report["problems"].to_string();
        for said in ["line 3, column 1", "line 4: new@acme.example is on line 2", "line 6, column 2"] {
            assert!(problems.contains(said), "{said}: {problems}");
        }
        let waiting = ok_as(&app, &app.admin_token, Method::GET, "/api/v1/invitations", None).await;
        assert_eq!(waiting["items"].as_array().map(Vec::len), Some(3), "nobody from the refused list");
        let (status, report) = post(false, "email,role\nadmin@acme.example,viewer\n").await;
        assert_eq!(status, 422);
        assert!(report["problems"][0].as_str().unwrap().contains("line 2: admin@acme.example is already a member"), "{report}");

        let (browser, csrf) = app.signed_in(ADMIN_EMAIL).await;
        let r = browser.post(app.url("/admin/members/import"))
            .form(&[("_csrf", csrf.as_str()), ("people", "email,role\nbob@acme.example,auditor\n")]).send().await.unwrap();
        assert_eq!(r.status(), 201);
        assert!(r.text().await.unwrap().contains("1 people are invited: pawl has e-mailed each their link"));

        let file = TempDir::new();
        let path = file.0.join("people.csv");
        std::fs::write(&path, "email,role\ncarol@acme.example,viewer\ncarol@acme.example,viewer\n").unwrap();
        let out = pawl(&app.db, &["user", "invite", "--org", "acme", "--file", path.to_str().unwrap()], "");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && said.contains("people.csv: line 3: carol@acme.example is on line 2"), "{said}");
        std::fs::write(&path, "email,role\ncarol@acme.example,viewer\n").unwrap();
        let out = pawl(&app.db, &["user", "invite", "--org", "acme", "--file", path.to_str().unwrap()], "");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && said.contains("carol@acme.example\tViewer\tpass on /invitations/"), "without mail settings the link is printed: {said}");
    }
}
