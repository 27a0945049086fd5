//! `spawn_app()`: a fresh database on the chosen engine, the real router on
//! 127.0.0.1:0, an organisation with an admin, and HTTP clients.

use pawl_app::{auth, members, App};
use pawl_domain::audit::Actor;
use pawl_domain::identity::OrgSlug;
use pawl_store::{Location, Store};
use std::net::SocketAddr;
use std::path::PathBuf;

pub const ADMIN_EMAIL: &str = "admin@acme.example";
pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A database of its own for one test.
pub struct TestDb {
    pub location: Location,
    /// For the CLI: `--data-dir`, and `--database-url` for PostgreSQL.
    pub cli_args: Vec<String>,
    /// The data folder: the SQLite file (on SQLite) and evidence files.
    pub dir: TempDir,
}

/// A temporary folder removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!("pawl-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn postgres_admin_url() -> String {
    std::env::var("PAWL_TEST_DATABASE_URL").expect(
        "PAWL_TEST_DATABASE_URL is not set: run the suite with scripts/test, which starts a throwaway PostgreSQL",
    )
}

/// `postgres://.../postgres` → the same server, database `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let cut = base.rfind('/').expect("database URL has a path");
    let mut u = format!("{}/{}", &base[..cut], name);
    if let Some(q) = query {
        u.push('?');
        u.push_str(q);
    }
    u
}

/// A PostgreSQL database migrated once per test run, which the databases
/// of `spawn_app` are cloned from (`CREATE DATABASE ... TEMPLATE`, as
/// crates.io's tests do): a clone takes about 0.2 s where migrating takes
/// one to two.
async fn postgres_template() -> &'static str {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("pawl_template_{}", uuid::Uuid::new_v4().simple());
            create_postgres_database(&name, None).await;
            let store = Store::open(&Location::Postgres(with_database(&postgres_admin_url(), &name)))
                .await
                .expect("migrate the template database");
            // A template takes no clone while anyone is connected to it.
            store.close().await;
            name
        })
        .await
}

async fn create_postgres_database(name: &str, template: Option<&str>) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .expect("connect to the test PostgreSQL");
    let sql = match template {
        Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
        None => format!("CREATE DATABASE {name}"),
    };
    sqlx::Executor::execute(&mut conn, sql.as_str())
        .await
        .expect("create test database");
}

impl TestDb {
    /// An empty database: nothing migrated yet.
    pub async fn new(engine: Engine) -> TestDb {
        Self::make(engine, false).await
    }

    /// A database with pawl's schema; on PostgreSQL a clone of one migrated
    /// once per run.
    pub async fn migrated(engine: Engine) -> TestDb {
        Self::make(engine, true).await
    }

    async fn make(engine: Engine, migrated: bool) -> TestDb {
        match engine {
            Engine::Sqlite => {
                let dir = TempDir::new();
                TestDb {
                    location: Location::SqliteFile(dir.0.join("pawl.db")),
                    cli_args: vec!["--data-dir".into(), dir.0.display().to_string()],
                    dir,
                }
            }
            Engine::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("pawl_test_{}", uuid::Uuid::new_v4().simple());
                let template = if migrated {
                    Some(postgres_template().await)
                } else {
                    None
                };
                create_postgres_database(&name, template).await;
                let url = with_database(&admin, &name);
                let dir = TempDir::new();
                TestDb {
                    location: Location::Postgres(url.clone()),
                    cli_args: vec![
                        "--database-url".into(),
                        url,
                        "--data-dir".into(),
                        dir.0.display().to_string(),
                    ],
                    dir,
                }
            }
        }
    }

    pub async fn store(&self) -> Store {
        Store::open(&self.location).await.expect("open store")
    }

    /// The app as the `pawl` binary builds it on this database.
    pub async fn app(&self) -> App {
        App::new(self.store().await, self.dir.0.join("evidence"))
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub app: App,
    /// Kept so the database outlives the test.
    pub db: TestDb,
    pub org_id: String,
    pub admin_token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn store(&self) -> &Store {
        &self.app.store
    }

    /// A client without cookies, for API calls with a bearer token.
    pub fn api(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// Adds a member with `role` and returns an API token acting as them.
    pub async fn member_token(&self, email: &str, role: &str) -> String {
        let (m, _) = members::add_member(
            &self.app,
            &self.org_id,
            &Actor::system("test"),
            email,
            role,
            Some(PASSWORD),
        )
        .await
        .expect("add member");
        auth::issue_token(&self.app, &self.org_id, &Actor::system("test"), &m.user_id, "test")
            .await
            .expect("token")
            .0
    }

    /// Invites `email` through the API as the admin, then accepts through
    /// the invitation's link with [`PASSWORD`], as the person would; returns
    /// the member they became.
    pub async fn join_by_invitation(&self, email: &str, role: &str) -> serde_json::Value {
        let r = self
            .api()
            .post(self.url("/api/v1/members"))
            .bearer_auth(&self.admin_token)
            .json(&serde_json::json!({"email": email, "role": role}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "inviting {email}");
        let inv: serde_json::Value = r.json().await.unwrap();
        let r = self
            .browser()
            .post(self.url(inv["accept_path"].as_str().unwrap()))
            .form(&[("answer", "accept"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "accepting the invitation of {email}");
        let list: serde_json::Value = self
            .api()
            .get(self.url(&format!("/api/v1/members?q={}", email.split('@').next().unwrap())))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == email.to_lowercase())
            .cloned()
            .unwrap_or_else(|| panic!("{email} did not join: {list}"))
    }

    /// Signs a browser client in and returns it with the page's CSRF token.
    pub async fn signed_in(&self, email: &str) -> (reqwest::Client, String) {
        self.signed_in_with(email, PASSWORD).await
    }

    /// [`TestApp::signed_in`] with a password of its own.
    pub async fn signed_in_with(&self, email: &str, password: &str) -> (reqwest::Client, String) {
        let c = self.browser();
        let r = c
            .post(self.url("/login"))
            .form(&[("email", email), ("password", password), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "sign-in of {email} failed");
        let html = c.get(self.url("/")).send().await.unwrap().text().await.unwrap();
        (c, csrf_of(&html))
    }
}

/// Calls the API as `token`: the status and the body read as JSON (null
/// when it is not JSON).
pub async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut r = app.api().request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

/// [`send`] that must succeed; the body.
pub async fn ok_as(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let (status, v) = send(app, token, method.clone(), path, body).await;
    assert!((200..300).contains(&status), "{method} {path}: {status} {v}");
    v
}

/// The message a problem document gives for `field`.
pub fn field_message(p: &serde_json::Value, field: &str) -> String {
    p["errors"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["field"] == field))
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no problem named {field}: {p}"))
}

/// The CSRF token of the first form on a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The real server on a random port, with organisation `acme` and its admin.
pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |_| {}).await
}

/// `spawn_app` with the app's settings changed first, as `pawl serve`'s
/// options would.
pub async fn spawn_app_with(engine: Engine, tune: impl FnOnce(&mut App)) -> TestApp {
    let db = TestDb::migrated(engine).await;
    let mut app = db.app().await;
    tune(&mut app);
    let org = app
        .store
        .create_organisation(&Actor::system("test"), &OrgSlug::parse("acme").unwrap(), "Acme Ltd")
        .await
        .expect("create org");
    let (admin, _) = members::add_member(
        &app,
        &org.id,
        &Actor::system("test"),
        ADMIN_EMAIL,
        "admin",
        Some(PASSWORD),
    )
    .await
    .expect("add admin");
    let (admin_token, _) = auth::issue_token(&app, &org.id, &Actor::system("test"), &admin.user_id, "test-admin")
        .await
        .expect("admin token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let served = app.clone();
    tokio::spawn(async move {
        pawl_web::serve(listener, served, std::future::pending())
            .await
            .expect("server");
    });
    TestApp {
        addr,
        app,
        db,
        org_id: org.id,
        admin_token,
    }
}

/// Declares one test per engine: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_engines {
    ($(#[$meta:meta])* async fn $name:ident($engine:ident: $ty:ty) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$meta])*
            async fn run($engine: $ty) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::harness::Engine::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::harness::Engine::Postgres).await
            }
        }
    };
}

/// A loopback port nothing listens on yet.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
