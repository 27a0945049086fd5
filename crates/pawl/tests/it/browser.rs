//! The web UI in a real browser: headless Chromium driven over WebDriver.

use crate::harness::{spawn_app, Engine, ADMIN_EMAIL, PASSWORD};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver {
    child: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: crate::harness::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let chromedriver = std::env::var("PAWL_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("PAWL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            std::path::Path::new(&chromedriver).exists(),
            "{chromedriver} is missing: run the suite with scripts/test, which installs chromium-driver"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = crate::harness::TempDir::new();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900", format!("--user-data-dir={}", profile.0.display())]
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_owned();
        let d = Driver {
            child,
            base,
            session,
            http,
            _profile: profile,
        };
        // Element look-ups wait for the next page to arrive; axe may take a
        // while over the longest tables.
        d.cmd(
            reqwest::Method::POST,
            "/timeouts",
            json!({"implicit": 5000, "script": 60000}),
        )
        .await;
        d
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let mut req = self.http.request(method, url);
        if !body.is_null() {
            req = req.json(&body);
        }
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        if let Some(err) = r["value"]["error"].as_str() {
            panic!("WebDriver {path}: {err}: {}", r["value"]["message"]);
        }
        r["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", json!({"url": url})).await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v.as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits until the current path starts with `prefix`.
    async fn wait_for_path(&self, prefix: &str) -> String {
        for _ in 0..100 {
            let p = self.current_path().await;
            if p.starts_with(prefix) {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("never reached {prefix}, still at {}", self.current_path().await);
    }

    /// Waits until the current address contains `needle`, as after a
    /// form's redirect lands on the same page with a notice.
    async fn wait_for_url_with(&self, needle: &str) {
        for _ in 0..100 {
            if self.current_path().await.contains(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "never reached an address with {needle}, still at {}",
            self.current_path().await
        );
    }

    async fn count(&self, css: &str) -> usize {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/elements",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v.as_array().unwrap().len()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            json!({"text": text}),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{el}/click"), json!({}))
            .await;
    }

    async fn text_of(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{el}/text"), Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn current_path(&self) -> String {
        let url = self
            .cmd(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned();
        url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_default()
    }

    /// Saves a screenshot when PAWL_SCREENSHOT_DIR is set, for a person to look at.
    async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("PAWL_SCREENSHOT_DIR") else {
            return;
        };
        let png = self.cmd(reqwest::Method::GET, "/screenshot", Value::Null).await;
        let bytes = decode_base64(png.as_str().unwrap());
        std::fs::write(format!("{dir}/{name}.png"), bytes).unwrap();
    }

    /// Runs a script in the page (WebDriver's own channel, outside the CSP).
    async fn exec(&self, script: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Runs a script that hands its result to the callback WebDriver passes
    /// as its last argument.
    async fn exec_async(&self, script: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/async",
            json!({"script": script, "args": args}),
        )
        .await
    }

    /// Emulates the person's choice of light or dark colours, through
    /// chromedriver's passage to the DevTools protocol; it holds across
    /// page loads until set again.
    async fn color_scheme(&self, scheme: &str) {
        self.cmd(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.setEmulatedMedia", "params": {
                "features": [{"name": "prefers-color-scheme", "value": scheme}]
            }}),
        )
        .await;
    }

    async fn set_window(&self, width: u32, height: u32) {
        self.cmd(
            reqwest::Method::POST,
            "/window/rect",
            json!({"width": width, "height": height}),
        )
        .await;
    }

    /// The browser's console messages since the last call, errors included.
    async fn console(&self) -> String {
        self.http
            .post(format!("{}/session/{}/se/log", self.base, self.session))
            .json(&json!({"type": "browser"}))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let Some(v) = A.iter().position(|a| *a == c) else {
            continue;
        };
        buf = (buf << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

/// Runs axe over the page with the rules in `arguments[0]` and hands back
/// the serious and critical violations, each with its first targets.
const AXE_RUN: &str = "const done = arguments[arguments.length - 1]; \
    if (typeof axe === 'undefined') return done({error: 'axe-core was not loaded into the page'}); \
    axe.run(document, {runOnly: arguments[0], resultTypes: ['violations']}) \
      .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical') \
        .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, \
                    targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))), \
            e => done({error: String(e)}))";

/// One axe rule failing on one page in one colour scheme, and everywhere it was seen.
struct AxeFinding {
    impact: String,
    help: String,
    nodes: u64,
    targets: Vec<String>,
    seen: Vec<String>,
}

/// Checks of the pages the browser opens: accessibility with axe-core, in
/// light and dark colours, and markup with the W3C Nu HTML checker, run once
/// over every page saved on the way, since the checker's start costs more
/// than a page. Both come pinned from scripts/test, which names them in
/// PAWL_AXE_JS and PAWL_VNU_JAR. Browsers working side by side share one.
struct PageChecks {
    axe_js: String,
    vnu_jar: String,
    html: crate::harness::TempDir,
    found: std::sync::Mutex<Found>,
}

#[derive(Default)]
struct Found {
    /// Each saved page: its file, named after who saw it and the page, and its address.
    saved: Vec<(String, String)>,
    /// Violations by rule, page and colour scheme.
    axe: BTreeMap<(String, String, &'static str), AxeFinding>,
}

impl PageChecks {
    fn from_env() -> PageChecks {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!(
                    "{name} is not set: run the browser tests through scripts/test, \
                     which installs axe-core and the Nu HTML checker and names them"
                )
            })
        };
        let axe_path = var("PAWL_AXE_JS");
        let axe_js = std::fs::read_to_string(&axe_path)
            .unwrap_or_else(|e| panic!("{axe_path}: {e}: run scripts/test, which installs axe-core"));
        let vnu_jar = var("PAWL_VNU_JAR");
        assert!(
            std::path::Path::new(&vnu_jar).exists(),
            "{vnu_jar} is missing: run scripts/test, which installs vnu-jar"
        );
        PageChecks {
            axe_js,
            vnu_jar,
            html: crate::harness::TempDir::new(),
            found: Default::default(),
        }
    }

    /// Has the browser load axe into every page from now on, before the
    /// page's own script: sent once rather than with every page, and
    /// outside the page's CSP, as everything DevTools runs is.
    async fn install_axe(&self, d: &Driver) {
        d.cmd(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            json!({"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source": self.axe_js}}),
        )
        .await;
    }

    /// Runs axe on the page the browser shows in the WCAG 2.0 and 2.1 A and
    /// AA rules, and with `dark` again in dark colours, leaving the browser
    /// light as it starts. Switching the colours restyles the page without
    /// loading it again; the dark colours are all the dark scheme changes,
    /// so only the rules about colour run again. `seen` says who at what width.
    async fn axe(&self, d: &Driver, page: &str, seen: &str, dark: bool) {
        let wcag = json!({"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]});
        let colour = json!({"type": "rule", "values": ["color-contrast", "link-in-text-block"]});
        let runs = [("light", wcag), ("dark", colour)];
        for (scheme, rules) in runs.into_iter().take(if dark { 2 } else { 1 }) {
            if scheme == "dark" {
                d.color_scheme(scheme).await;
            }
            let v = d.exec_async(AXE_RUN, json!([rules])).await;
            let Some(violations) = v.as_array() else {
                panic!("axe failed on {page} ({seen}, {scheme}): {v}");
            };
            self.record(page, scheme, seen, violations);
        }
        if dark {
            d.color_scheme("light").await;
        }
    }

    fn record(&self, page: &str, scheme: &'static str, seen: &str, violations: &[Value]) {
        let mut found = self.found.lock().unwrap();
        for v in violations {
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            let f = found
                .axe
                .entry((text("id"), page.to_owned(), scheme))
                .or_insert_with(|| AxeFinding {
                    impact: text("impact"),
                    help: text("help"),
                    nodes: v["nodes"].as_u64().unwrap_or(0),
                    targets: v["targets"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect(),
                    seen: Vec::new(),
                });
            f.seen.push(seen.to_owned());
        }
    }

    /// Saves the page's HTML as the server sent it (the browser's own copy
    /// is the DOM after parsing and scripts, which hides markup errors).
    async fn save_html(&self, d: &Driver, who: &str, page: &str) {
        let html = d
            .exec_async(
                "const done = arguments[arguments.length - 1]; \
                 fetch(location.href).then(r => r.text()).then(done, e => done({error: String(e)}))",
                json!([]),
            )
            .await;
        let html = html
            .as_str()
            .unwrap_or_else(|| panic!("could not read the HTML of {page}: {html}"));
        let slug: String = page
            .trim_matches('/')
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let name = format!("{who}-{}.html", if slug.is_empty() { "home" } else { &slug });
        std::fs::write(self.html.0.join(&name), html).unwrap();
        let mut found = self.found.lock().unwrap();
        found.saved.push((name, page.to_owned()));
    }

    /// Every axe violation, one line per rule, page and colour scheme.
    fn axe_problems(&self) -> Vec<String> {
        let found = self.found.lock().unwrap();
        found
            .axe
            .iter()
            .map(|((id, page, scheme), f)| {
                format!(
                    "axe {} {id} on {page} in {scheme} mode: {}; {} element(s), first {} (seen by {})",
                    f.impact,
                    f.help,
                    f.nodes,
                    f.targets.join(" | "),
                    f.seen.join(", ")
                )
            })
            .collect()
    }

    /// Runs the Nu HTML checker once over every saved page: one line per
    /// page and message, with the line it is on for each person who saw it.
    fn nu_problems(&self) -> Vec<String> {
        let found = self.found.lock().unwrap();
        if found.saved.is_empty() {
            return Vec::new();
        }
        let out = Command::new("java")
            .arg("-jar")
            .arg(&self.vnu_jar)
            .args(["--errors-only", "--format", "json"])
            .args(found.saved.iter().map(|(f, _)| self.html.0.join(f)))
            .output()
            .expect("run java: scripts/test installs default-jre-headless");
        // The checker writes its report to standard error.
        let report: Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|e| {
            panic!(
                "the Nu checker's report is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let mut errors: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for m in report["messages"].as_array().into_iter().flatten() {
            if m["type"] == "info" {
                continue;
            }
            let file = m["url"]
                .as_str()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default();
            let page = found
                .saved
                .iter()
                .find(|(f, _)| f == file)
                .map_or_else(|| file.to_owned(), |(_, p)| p.clone());
            let message = m["message"].as_str().unwrap_or_default().to_owned();
            let line = m["lastLine"].as_u64().unwrap_or(0);
            let at = format!("{file} line {line}");
            let seen = errors.entry((page, message)).or_default();
            if !seen.contains(&at) {
                seen.push(at);
            }
        }
        assert!(
            out.status.success() || !errors.is_empty(),
            "the Nu checker failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        errors
            .into_iter()
            .map(|((page, message), seen)| format!("Nu on {page}: {message} ({})", seen.join(", ")))
            .collect()
    }
}

/// A person signs in, browses the catalog, filters it, opens a control and
/// signs out, in headless Chromium, with JavaScript on and the CSP enforced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_and_browses_the_catalog_in_chromium() {
    let app = spawn_app(Engine::Sqlite).await;
    let d = Driver::start().await;

    d.goto(&app.url("/catalog/annex-a")).await;
    d.wait_for_path("/login").await;
    d.screenshot("login").await;
    d.type_into("#email", ADMIN_EMAIL).await;
    d.type_into("#password", "not the password").await;
    d.click("button[type=submit]").await;
    assert!(d.text_of(".alert-error").await.contains("wrong"));

    d.type_into("#password", PASSWORD).await;
    d.click("button[type=submit]").await;
    d.wait_for_path("/catalog/annex-a").await;
    assert_eq!(d.count("table.data tbody tr").await, 93, "back where they were going");
    d.screenshot("annex-a").await;

    // Choosing a theme and submitting the filter form narrows the table.
    d.click("#theme option[value=People]").await;
    d.click("form.filters button").await;
    d.wait_for_path("/catalog/annex-a?theme=People").await;
    assert_eq!(d.count("table.data tbody tr").await, 8);

    d.click("table.data tbody tr:first-child a").await;
    d.wait_for_path("/catalog/annex-a/6.1").await;
    assert!(d.text_of("h1").await.starts_with("A.6.1"));
    d.screenshot("control").await;

    d.goto(&app.url("/admin/members")).await;
    assert!(d.text_of("table.data").await.contains(ADMIN_EMAIL));
    d.screenshot("members").await;
    d.goto(&app.url("/audit")).await;
    assert!(d.text_of(".alert-success").await.contains("Chain intact"));
    d.screenshot("audit").await;

    // Record an applied control, attach evidence through a file input, and
    // see the Annex A control implemented in the SoA.
    d.goto(&app.url("/controls/new")).await;
    d.type_into("#f-name", "Immutable backups").await;
    d.type_into("#f-annex", "A.8.13").await;
    d.click("#f-status option[value=implemented]").await;
    d.click("form.stacked button.primary").await;
    d.wait_for_path("/controls/0").await;
    assert!(d.text_of("h1").await.contains("C-0001 Immutable backups"));
    let dir = crate::harness::TempDir::new();
    let file = dir.0.join("restore-test.pdf");
    std::fs::write(&file, b"%PDF-1.4 restore test").unwrap();
    d.click("#add-evidence summary").await;
    d.type_into("#e-file", file.to_str().unwrap()).await;
    d.click("#add-evidence button").await;
    d.wait_for_url_with("restore-test.pdf%20stored").await;
    assert!(d.text_of(".alert-success").await.contains("restore-test.pdf stored"));
    assert!(d.text_of("table.data").await.contains("restore-test.pdf"));
    d.screenshot("applied-control").await;
    d.goto(&app.url("/soa")).await;
    assert!(d.text_of("tr[id='a-8.13']").await.contains("Implemented"));
    d.screenshot("soa").await;

    // No script error: the CSP allows our own file and nothing inline.
    let logs = d.console().await;
    assert!(!logs.contains("Content Security Policy"), "CSP violation: {logs}");

    d.click("form.inline button.link").await;
    d.wait_for_path("/login").await;
    d.quit().await;
}

/// Stored codes of the vocabularies people read, which no page may show
/// as they are stored: those of more than one word (`treatment_planned`),
/// since a one-word code reads as its own label.
fn stored_codes() -> Vec<&'static str> {
    use pawl_domain::control::{ControlStatus, Implementation, InclusionReason};
    use pawl_domain::register::{FieldKind, KINDS};
    use pawl_domain::risk::RiskStatus;
    let mut codes: Vec<&'static str> = RiskStatus::ALL.iter().map(|s| s.as_str()).collect();
    codes.extend(ControlStatus::ALL.iter().map(|s| s.as_str()));
    codes.extend(Implementation::ALL.iter().map(|s| s.as_str()));
    codes.extend(InclusionReason::ALL.iter().map(|s| s.as_str()));
    codes.extend(pawl_domain::access::Permission::ALL.iter().map(|p| p.as_str()));
    codes.extend(pawl_domain::document::VERSION_WORKFLOW.states.iter().map(|s| s.code));
    codes.extend(pawl_domain::document::REVIEW_OUTCOMES.iter().map(|(c, _)| *c));
    for k in KINDS {
        for f in k.fields {
            if let FieldKind::Choice(choices) = f.kind {
                codes.extend(choices.iter().map(|c| c.code));
            }
        }
        if let Some(w) = k.workflow {
            codes.extend(w.states.iter().map(|s| s.code));
        }
    }
    codes.retain(|c| c.contains('_'));
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// Every demo role signs in and opens every page its navigation offers, and
/// a record of each main kind, on a phone (390 px) and a desktop (1440 px):
/// no page scrolls sideways, no link offered answers "Not allowed", no
/// stored code shows where a label belongs, the console stays clean, axe
/// finds no serious or critical WCAG 2.1 A or AA violation in light or dark
/// colours, and the Nu HTML checker finds no error in the markup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_demo_role_gets_pages_that_fit_a_phone_and_offer_only_what_it_may_open() {
    let checks = PageChecks::from_env();
    let app = spawn_app(Engine::Sqlite).await;
    pawl_app::demo::ensure_demo(&app.app, PASSWORD).await.unwrap();
    let codes = stored_codes();
    assert!(codes.contains(&"treatment_planned"), "{codes:?}");
    // One person of each role has their pages checked by axe and the Nu
    // checker: those checks cost more than the rest together, and a second
    // person of a role sees the pages the first one did.
    let mut roles = std::collections::HashSet::new();
    let people: std::collections::VecDeque<_> = pawl_app::demo::PEOPLE
        .iter()
        .map(|(email, role)| (*email, *role, roles.insert(*role)))
        .collect();
    let people = std::sync::Mutex::new(people);
    // Two browsers, one for each core, take the next person in turn.
    let browse = |first: bool| {
        let (app, checks, codes, people) = (&app, &checks, &codes, &people);
        async move {
            let d = Driver::start().await;
            checks.install_axe(&d).await;
            if first {
                // The sign-in page, which everyone sees first.
                d.goto(&app.url("/login")).await;
                for width in [390u32, 1440] {
                    d.set_window(width, 900).await;
                    checks
                        .axe(&d, "/login", &format!("anyone at {width} px"), width == 1440)
                        .await;
                }
                checks.save_html(&d, "anyone", "/login").await;
            }
            let mut problems = Vec::new();
            loop {
                let next = people.lock().unwrap().pop_front();
                let Some((email, role, check)) = next else {
                    break;
                };
                problems.extend(role_pages(&d, app, checks, codes, email, role, check).await);
            }
            d.quit().await;
            problems
        }
    };
    let (mut problems, more) = tokio::join!(browse(true), browse(false));
    problems.extend(more);
    problems.extend(checks.axe_problems());
    problems.extend(checks.nu_problems());
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Signs in as one person and opens their pages as the test above says,
/// with axe and the Nu checker too when `check`; the problems found.
async fn role_pages(
    d: &Driver,
    app: &crate::harness::TestApp,
    checks: &PageChecks,
    codes: &[&str],
    email: &str,
    role: &str,
    check: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    d.cmd(reqwest::Method::DELETE, "/cookie", Value::Null).await;
    d.set_window(1440, 900).await;
    d.goto(&app.url("/login")).await;
    d.type_into("#email", email).await;
    d.type_into("#password", PASSWORD).await;
    d.click("button[type=submit]").await;
    d.find(".sidenav").await;
    let nav = d
        .exec("return [...document.querySelectorAll('.sidenav a')].map(a => a.getAttribute('href'))")
        .await;
    let mut pages: Vec<String> = nav
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    assert!(pages.len() >= 3, "{role} is offered {pages:?}");
    // A record of each main kind, reached as a person would, by its link.
    for (list, link) in [
        ("/risks", "table.data tbody a[href^='/risks/']"),
        ("/controls", "table.data tbody a[href^='/controls/']"),
        ("/assets", "table.data tbody a[href^='/assets/']"),
        ("/documents", "table.data tbody a[href^='/documents/']"),
        ("/read", "ul.todo a[href^='/read/']"),
        ("/nonconformities", "table.data tbody a[href^='/nonconformities/']"),
        (
            "/corrective-actions",
            "table.data tbody a[href^='/corrective-actions/']",
        ),
        ("/audits", "table.data tbody a[href^='/audits/']"),
        ("/audit-programmes", "table.data tbody a[href^='/audit-programmes/']"),
        ("/incidents", "table.data tbody a[href^='/incidents/']"),
        ("/improvements", "table.data tbody a[href^='/improvements/']"),
        ("/cycles", "table.data tbody a[href^='/cycles/']"),
        ("/trainings", "table.data tbody a[href^='/trainings/']"),
        ("/suppliers", "table.data tbody a[href^='/suppliers/']"),
        ("/scope", "table.data tbody a[href^='/scope/']"),
        ("/metrics", "table.data tbody a[href^='/metrics/']"),
        ("/objectives", "table.data tbody a[href^='/objectives/']"),
        (
            "/management-reviews",
            "table.data tbody a[href^='/management-reviews/']",
        ),
    ] {
        if pages.iter().any(|p| p == list) {
            d.goto(&app.url(list)).await;
            let href = d
                .exec(&format!(
                    "const a = document.querySelector(\"{link}\"); return a && a.getAttribute('href')"
                ))
                .await;
            pages.push(
                href.as_str()
                    .unwrap_or_else(|| panic!("{list} lists no record"))
                    .to_owned(),
            );
        }
    }
    // The first document's versions, compared and printed.
    if let Some(doc) = pages
        .iter()
        .find(|p| p.strip_prefix("/documents/").is_some_and(|id| id.len() > 30))
        .cloned()
    {
        for tail in ["versions/1.0", "diff", "print"] {
            pages.push(format!("{doc}/{tail}"));
        }
    }
    // The pages an audit, a nonconformity, an action and a programme add.
    let mut extra = Vec::new();
    for p in &pages {
        for (prefix, tails) in [
            ("/nonconformities/", &["root-cause"][..]),
            ("/corrective-actions/", &["verify"][..]),
            ("/audits/", &["checklist", "report"][..]),
            ("/audit-programmes/", &["coverage"][..]),
            ("/incidents/", &["timeline"][..]),
            ("/cycles/", &["status"][..]),
            ("/trainings/", &["completions"][..]),
            ("/suppliers/", &["review"][..]),
            ("/metrics/", &["measurements"][..]),
            ("/management-reviews/", &["pack"][..]),
        ] {
            if p.strip_prefix(prefix)
                .is_some_and(|id| id.len() > 30 && !id.contains('/'))
            {
                extra.extend(tails.iter().map(|t| format!("{p}/{t}")));
            }
        }
    }
    // The printable reports the risk register and the SoA offer.
    for (list, report) in [("/risks", "/risks/report"), ("/soa", "/soa/print")] {
        if pages.iter().any(|p| p == list) {
            extra.push(report.to_owned());
        }
    }
    pages.extend(extra);
    d.console().await;
    // Each page loads once and is then seen at each width in turn: a
    // resize costs less than a page load.
    for page in &pages {
        d.goto(&app.url(page)).await;
        for width in [390u32, 1440] {
            d.set_window(width, 900).await;
            let v = d
                .exec(
                    "return {w: document.documentElement.scrollWidth, vw: window.innerWidth, \
                     h1: (document.querySelector('h1') || {}).textContent || '', text: document.body.innerText}",
                )
                .await;
            let (w, vw) = (v["w"].as_u64().unwrap(), v["vw"].as_u64().unwrap());
            assert!(vw <= width as u64 + 16, "the window is {vw} px, not {width}");
            let at = format!("{role} at {width} px on {page}");
            if w > vw {
                // Name what sticks out, outside any box that scrolls on its own.
                let culprits = d
                    .exec(
                        "const out = []; for (const e of document.body.querySelectorAll('*')) { \
                           const r = e.getBoundingClientRect(); if (r.right <= window.innerWidth + 1) continue; \
                           let p = e.parentElement, boxed = false; \
                           while (p) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') { boxed = true; break; } p = p.parentElement; } \
                           if (!boxed) out.push(e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + Math.round(r.right)); } \
                         return out.slice(-4).join(', ')",
                    )
                    .await;
                problems.push(format!("{at}: {w} px wide ({})", culprits.as_str().unwrap_or("")));
            }
            if v["h1"].as_str().unwrap().contains("Not allowed") {
                problems.push(format!("{at}: the menu offers a page that answers Not allowed"));
            }
            let text = v["text"].as_str().unwrap();
            for code in codes {
                if text.contains(code) {
                    problems.push(format!("{at}: shows the stored code {code}"));
                }
            }
            if check {
                // Dark colours at one width: the other adds little but time.
                checks
                    .axe(d, page, &format!("{role} at {width} px"), width == 1440)
                    .await;
                // The markup is the same at every width.
                if width == 390 {
                    checks.save_html(d, role, page).await;
                }
            }
            let log = d.console().await;
            if log.contains("SEVERE") {
                problems.push(format!("{at}: console error {log}"));
            }
            let shot = page.trim_matches('/').replace(['/', '?', '=', '&'], "-");
            let kind_page = [
                "root-cause",
                "coverage",
                "checklist",
                "timeline",
                "status",
                "completions",
                "measurements",
                "pack",
            ]
            .iter()
            .find(|t| page.ends_with(*t))
            .copied();
            if matches!(
                page.as_str(),
                "/" | "/risks" | "/soa" | "/my-work" | "/controls" | "/audit"
            ) {
                d.screenshot(&format!(
                    "{role}-{}-{width}",
                    if shot.is_empty() { "home" } else { &shot }
                ))
                .await;
            } else if let Some(t) = kind_page.filter(|_| role == "manager") {
                d.screenshot(&format!("{role}-{t}-{width}")).await;
            } else if matches!(
                page.as_str(),
                "/improvements/board" | "/cycles/compare" | "/trainings/report" | "/report" | "/readiness"
            ) && matches!(role, "manager" | "staff")
            {
                d.screenshot(&format!("{role}-{shot}-{width}")).await;
            }
        }
    }
    problems
}

/// The invitation pages on a phone: the members page with an invitation
/// waiting, the link's page, and the choice of organisation after signing in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_fit_a_phone() {
    let app = spawn_app(Engine::Sqlite).await;
    let sys = pawl_domain::audit::Actor::system("test");
    let (_, secret) = pawl_app::members::invite(&app.app, &app.org_id, &sys, "new.person@acme.example", "contributor")
        .await
        .unwrap();
    let secret = secret.expect("without a mail server the link is shown");
    let globex = app
        .store()
        .create_organisation(
            &sys,
            &pawl_domain::identity::OrgSlug::parse("globex").unwrap(),
            "Globex",
        )
        .await
        .unwrap();
    pawl_app::members::add_member(&app.app, &globex.id, &sys, ADMIN_EMAIL, "viewer", None)
        .await
        .unwrap();
    let d = Driver::start().await;
    d.set_window(390, 900).await;
    let fits = || async {
        let v = d
            .exec("return [document.documentElement.scrollWidth, window.innerWidth, location.pathname]")
            .await;
        assert!(v[0].as_u64() <= v[1].as_u64(), "{v} is wider than the phone");
    };
    d.goto(&app.url(&format!("/invitations/{secret}"))).await;
    assert!(d.text_of("h1").await.contains("Join Acme Ltd"));
    fits().await;
    d.screenshot("invitation-390").await;
    d.goto(&app.url("/login")).await;
    d.type_into("#email", ADMIN_EMAIL).await;
    d.type_into("#password", PASSWORD).await;
    d.click("button[type=submit]").await;
    d.wait_for_path("/organisations").await;
    assert!(d.text_of("h1").await.contains("Where do you want to work?"));
    fits().await;
    d.screenshot("organisations-390").await;
    d.click("form button.primary").await;
    // Every path starts with "/": wait for the choice to land on the home page
    // itself, or the next navigation races the form's redirect.
    for _ in 0..100 {
        if d.current_path().await == "/" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(d.current_path().await, "/");
    d.goto(&app.url("/admin/members")).await;
    assert!(d.text_of("main").await.contains("new.person@acme.example"));
    fits().await;
    d.screenshot("members-invitation-390").await;
    d.quit().await;
}

/// Staff read what is published for them and acknowledge it from the
/// browser; the document leaves their list of things to read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_read_and_acknowledge_a_policy_in_chromium() {
    let app = spawn_app(Engine::Sqlite).await;
    pawl_app::demo::ensure_demo(&app.app, PASSWORD).await.unwrap();
    let d = Driver::start().await;
    d.set_window(390, 900).await;
    d.goto(&app.url("/login")).await;
    d.type_into("#email", "sam.ng@demo.example").await;
    d.type_into("#password", PASSWORD).await;
    d.click("button[type=submit]").await;
    d.find(".sidenav").await;
    assert!(
        d.text_of("main").await.contains("to read"),
        "the staff home names the reading"
    );
    d.goto(&app.url("/read")).await;
    let before = d.count("ul.todo li").await;
    assert!(before >= 2, "the demo leaves Sam documents to read");
    d.click("ul.todo a").await;
    d.wait_for_path("/read/").await;
    assert!(
        d.text_of(".document-body").await.contains("What we do"),
        "the published text is shown"
    );
    d.click("form button.primary").await;
    d.wait_for_url_with("notice=").await;
    assert!(d.text_of("main").await.contains("You acknowledged this document"));
    d.screenshot("staff-read-390").await;
    d.goto(&app.url("/read")).await;
    assert_eq!(d.count("ul.todo li").await, before - 1);
    d.quit().await;
}
