//! The `pawl` command line, run as a real process against both engines.

use crate::harness::{Engine, TestDb, PASSWORD};
use crate::on_both_engines;
use std::io::Write;
use std::process::{Command, Output, Stdio};

pub(crate) fn pawl(db: &TestDb, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pawl"))
        .args(&db.cli_args)
        .args(args)
        .env_remove("PAWL_DATABASE_URL")
        .env_remove("PAWL_DATA_DIR")
        .env("PAWL_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pawl");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

on_both_engines! {
    async fn an_operator_sets_up_an_organisation_from_the_command_line(engine: Engine) {
        let db = TestDb::new(engine).await;
        let out = pawl(&db, &["migrate"], "");
        assert!(out.status.success(), "{}", text(&out.stderr));

        let out = pawl(&db, &["org", "create", "acme", "--name", "Acme Ltd"], "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = pawl(&db, &["org", "create", "acme", "--name", "Acme again"], "");
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("already exists"), "{}", text(&out.stderr));
        let out = pawl(&db, &["org", "create", "Bad Slug", "--name", "x"], "");
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("slug"));

        let out = pawl(&db, &["user", "add", "--org", "acme", "--email", "ada@acme.example", "--role", "admin"], &format!("{PASSWORD}\n"));
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("new account"));
        let out = pawl(&db, &["user", "add", "--org", "acme", "--email", "bob@acme.example", "--role", "wizard"], &format!("{PASSWORD}\n"));
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("role"));
        let out = pawl(&db, &["user", "add", "--org", "acme", "--email", "cy@acme.example", "--role", "viewer"], "short\n");
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("12 characters"));
        let out = pawl(&db, &["user", "add", "--org", "nowhere", "--email", "cy@acme.example", "--role", "viewer"], "");
        assert!(!out.status.success());

        let out = pawl(&db, &["token", "create", "--org", "acme", "--email", "ada@acme.example", "--name", "ci"], "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let token = stdout.lines().last().unwrap().trim().to_owned();
        assert!(token.starts_with("pawl_"));

        // The token works against a server on the same database.
        let app = db.app().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(pawl_web::serve(listener, app, std::future::pending()));
        let me: serde_json::Value = reqwest::Client::new().get(format!("http://{addr}/api/v1/me")).bearer_auth(&token)
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(me["email"], "ada@acme.example");
        assert_eq!(me["role"], "admin");

        let out = pawl(&db, &["audit", "verify", "--org", "acme"], "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("intact: 3 events"), "{}", text(&out.stdout));
    }
}

on_both_engines! {
    async fn audit_verify_fails_naming_the_first_bad_event(engine: Engine) {
        let db = TestDb::new(engine).await;
        assert!(pawl(&db, &["org", "create", "acme", "--name", "Acme"], "").status.success());
        for email in ["a@acme.example", "b@acme.example", "c@acme.example"] {
            let out = pawl(&db, &["user", "add", "--org", "acme", "--email", email, "--role", "admin"], &format!("{PASSWORD}\n"));
            assert!(out.status.success());
        }
        sqlx::any::install_default_drivers();
        let url = match &db.location {
            pawl_store::Location::SqliteFile(p) => format!("sqlite://{}", p.display()),
            pawl_store::Location::Postgres(u) => u.clone(),
        };
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.unwrap();
        sqlx::query("UPDATE audit_events SET after_json = replace(after_json, 'admin', 'viewer') WHERE seq = 3")
            .execute(&mut conn).await.unwrap();
        let out = pawl(&db, &["audit", "verify", "--org", "acme"], "");
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stdout).contains("BROKEN at sequence 3"), "{}", text(&out.stdout));
    }
}

on_both_engines! {
    async fn markdown_folders_import_all_or_nothing_with_file_and_line(engine: Engine) {
        let db = TestDb::new(engine).await;
        assert!(pawl(&db, &["org", "create", "acme", "--name", "Acme"], "").status.success());
        let out = pawl(&db, &["user", "add", "--org", "acme", "--email", "ada@acme.example", "--role", "admin"], &format!("{PASSWORD}\n"));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let dir = crate::harness::TempDir::new();
        let write = |name: &str, body: &str| std::fs::write(dir.0.join(name), body).unwrap();
        write("a-policy.md", "---\ntitle: Information security policy\nlevel: policy\n---\n# Policy\n\nWe protect information.\n");
        write("b-process.md", "---\ntitle: Access management\nlevel: process\nparent: Information security policy\nowner: ada@acme.example\n---\nSteps.\n");
        write("c-bad.md", "---\ntitle: Leavers\nlevel: procedure\nparent: Information security policy\n---\nx\n");
        write("d-bad.md", "---\ntitle: Badges\ncolour: red\nlevel: procedure\n---\nx\n");
        write("notes.txt", "not markdown, not read");
        let folder = dir.0.to_str().unwrap();
        // A link out of the folder, and a file larger than any document, are
        // named and refused before anything is read whole.
        std::os::unix::fs::symlink("/etc/passwd", dir.0.join("e-link.md")).unwrap();
        std::fs::File::create(dir.0.join("f-huge.md")).unwrap().set_len(5 * 1024 * 1024).unwrap();
        let out = pawl(&db, &["document", "import-md", "--org", "acme", folder], "");
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(err.contains("e-link.md: error: not a regular file") && err.contains("f-huge.md: error: 5242880 bytes"), "{err}");
        std::fs::remove_file(dir.0.join("e-link.md")).unwrap();
        std::fs::remove_file(dir.0.join("f-huge.md")).unwrap();
        let out = pawl(&db, &["document", "import-md", "--org", "acme", folder], "");
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(err.contains("d-bad.md:3:1: error: \"colour\" is not read"), "{err}");
        assert!(err.contains("c-bad.md:4:1: error: parent: Information security policy is a policy, but a procedure sits under a process"), "{err}");
        assert!(text(&out.stdout).contains("nothing was imported"));
        let out = pawl(&db, &["document", "export", "--org", "acme", "--output", dir.0.join("none.csv").to_str().unwrap()], "");
        assert!(text(&out.stdout).contains("exported 0 documents"), "all or nothing: {}", text(&out.stdout));

        write("c-bad.md", "---\ntitle: Leavers\nlevel: procedure\nparent: Access management\nversion: 0.3\n---\nDisable accounts.\n");
        std::fs::remove_file(dir.0.join("d-bad.md")).unwrap();
        let out = pawl(&db, &["document", "import-md", "--org", "acme", folder], "");
        assert!(out.status.success(), "{} {}", text(&out.stdout), text(&out.stderr));
        assert!(text(&out.stdout).contains("imported 3 documents as drafts"));
        let csv = dir.0.join("documents.csv");
        let out = pawl(&db, &["document", "export", "--org", "acme", "--output", csv.to_str().unwrap()], "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let body = std::fs::read_to_string(&csv).unwrap();
        assert!(body.starts_with("Reference,Title,Level,Level (code),Parent"), "{body}");
        assert!(body.contains("Leavers,Procedure (L3),procedure,DOC-0002 Access management"), "{body}");
        assert!(body.contains("0.3,Draft,draft"), "the version in front matter is kept: {body}");
    }
}

on_both_engines! {
    async fn audit_reports_and_the_nonconformity_register_export_from_the_command_line(engine: Engine) {
        let db = TestDb::new(engine).await;
        pawl_app::demo::ensure_demo(&db.app().await, PASSWORD).await.unwrap();
        let dir = crate::harness::TempDir::new();
        let report = dir.0.join("audit.xlsx");
        let out = pawl(&db, &["audit-report", "--org", "demo", "--audit", "AUD-0001", "--output", report.to_str().unwrap()], "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("4 findings"), "{}", text(&out.stdout));
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&report).unwrap()).unwrap();
        let mut strings = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/sharedStrings.xml").unwrap(), &mut strings).unwrap();
        assert!(strings.contains("Restore tests not performed") && strings.contains("Information backup"), "{strings}");
        let out = pawl(&db, &["audit-report", "--org", "demo", "--audit", "AUD-0099", "--output", report.to_str().unwrap()], "");
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("no audit \"AUD-0099\""), "{}", text(&out.stderr));

        let csv = dir.0.join("ncs.csv");
        let out = pawl(&db, &["nonconformity", "export", "--org", "demo", "--output", csv.to_str().unwrap()], "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let body = std::fs::read_to_string(&csv).unwrap();
        assert!(body.starts_with("Reference,Title,Source"), "{body}");
        assert!(body.contains("NC-0001") && body.contains("Reopened") && body.contains("Internal audit"), "{body}");
    }
}
