//! The `pawl` binary: the server and the operator's command line.

// Imports and exports make millions of short-lived allocations; glibc's
// allocator spent a third of a 100,000-row import managing them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's defaults trade memory for speed: arenas committed up front and
/// freed memory kept for a second. With them an idle server held 24 MB, and
/// 47 MB after one argon2 sign-in; with both off, 21 MB and 25 MB, and a
/// 100,000-row import peaks at 96 MB instead of 126 MB at the same speed.
fn tune_allocator() {
    // Option numbers from mimalloc 3's `mi_option_e` (include/mimalloc.h).
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: mi_option_set only stores an integer in mimalloc's option table;
    // it is safe to call at any time, from any thread.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use pawl_app::{auth, demo, members, App};
use pawl_domain::audit::Actor;
use pawl_domain::identity::{Email, OrgSlug};
use pawl_store::{Location, Store, VerifyOutcome};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "pawl", version, about = "A self-hosted ISMS for ISO/IEC 27001:2022")]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true, env = "PAWL_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Folder for the SQLite database and other local files.
    #[arg(long, global = true, env = "PAWL_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Use PostgreSQL at this `postgres://` URL instead of SQLite.
    #[arg(long, global = true, env = "PAWL_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The largest evidence file accepted, in MB, by the server and the CLI.
    #[arg(long, global = true, env = "PAWL_MAX_EVIDENCE_MB", default_value_t = 1024)]
    max_evidence_mb: u64,
}

/// Creates the data folder readable by its owner only (0700), and the
/// database file as 0600 before SQLite opens it: SQLite gives its journal
/// files the database file's mode, so they are private too. A folder or file
/// that already exists keeps the mode its operator gave it.
fn private_data_folder(dir: &std::path::Path, db: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if !dir.exists() {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        }
        if !db.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(db)?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = db;
        std::fs::create_dir_all(dir)
    }
}

impl DbArgs {
    fn location(&self) -> Result<Location> {
        match &self.database_url {
            Some(url) => Ok(Location::Postgres(url.clone())),
            None => {
                let db = self.data_dir.join("pawl.db");
                private_data_folder(&self.data_dir, &db)
                    .with_context(|| format!("cannot create data folder {}", self.data_dir.display()))?;
                Ok(Location::SqliteFile(db))
            }
        }
    }

    /// Evidence files sit beside the SQLite file, or in the data folder when
    /// the database is PostgreSQL.
    fn evidence_dir(&self) -> PathBuf {
        self.data_dir.join("evidence")
    }

    /// The app on this database, with its evidence store and limit.
    async fn app(&self) -> Result<App> {
        let mut app = App::new(self.open().await?, self.evidence_dir());
        app.blobs.max_file = self.max_evidence_mb.saturating_mul(1 << 20);
        Ok(app)
    }

    async fn open(&self) -> Result<Store> {
        let location = self.location()?;
        Store::open(&location)
            .await
            .with_context(|| format!("cannot open the database {location:?}"))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI and API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "PAWL_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Create (or keep) the demo organisation and print how to sign in.
        #[arg(long)]
        demo: bool,
        /// A proxy (IP address) whose X-Forwarded-For names the client, for
        /// sign-in throttling and the audit trail; repeat, or separate by commas.
        #[arg(long = "trusted-proxy", env = "PAWL_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// A bearer token that reads Prometheus metrics at /-/metrics;
        /// without one they are not served.
        #[arg(long, env = "PAWL_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Notifications: check the mail setting, list what waits or failed.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// People.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The risk register.
    #[command(subcommand)]
    Risk(RiskCommand),
    /// The Statement of Applicability.
    #[command(subcommand)]
    Soa(SoaCommand),
    /// Evidence for controls.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Frameworks to crosswalk to.
    #[command(subcommand)]
    Framework(FrameworkCommand),
    /// Documented information: policies, processes, procedures, work instructions.
    #[command(subcommand)]
    Document(DocumentCommand),
    /// Nonconformities and their corrective actions (10.2).
    #[command(subcommand)]
    Nonconformity(NonconformityCommand),
    /// Training and awareness campaigns (7.2, 7.3).
    #[command(subcommand)]
    Training(TrainingCommand),
    /// Metrics and their measurements (9.1).
    #[command(subcommand)]
    Metric(MetricCommand),
    /// Management reviews (9.3).
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Write an audit's report (9.2.2): the audit, its checklist and findings.
    AuditReport {
        #[arg(long)]
        org: String,
        /// The audit's reference (AUD-0001), title or id.
        #[arg(long)]
        audit: String,
        #[arg(long, default_value = "xlsx")]
        format: String,
        #[arg(long)]
        output: PathBuf,
    },
    /// Write a backup of the whole instance (every organisation's records,
    /// audit chains and evidence files) while the server keeps running. The
    /// file is replaced only once the new archive is whole; keep the
    /// manifest SHA-256 it prints apart from the archive.
    Backup {
        #[arg(long)]
        output: PathBuf,
        /// One organisation (its records, chain, evidence and the accounts
        /// its records name; an account that belongs to other organisations
        /// too comes without its password) instead of the whole instance.
        #[arg(long)]
        org: Option<String>,
    },
    /// Restore a backup into an empty database of either engine: every
    /// file is checked against the manifest's SHA-256 digests before
    /// anything is written, and every audit chain is verified before the
    /// restored rows are committed.
    Restore {
        file: PathBuf,
        /// The manifest SHA-256 that `pawl backup` printed: the archive is
        /// refused unless it is the one written then.
        #[arg(long)]
        manifest_sha256: Option<String>,
    },
    /// Move an instance between engines, ids, history and audit chains as
    /// they are: `--from sqlite:DIR --to postgres://...`, or back. Evidence
    /// files stay in the data folder.
    MigrateEngine {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// Export any register (assets, treatment-actions, ..., and controls,
    /// checks and evidence) as CSV or XLSX.
    Export {
        /// The register, by name (`asset`) or as in its URL (`assets`).
        kind: String,
        #[arg(long)]
        org: String,
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum FrameworkCommand {
    /// Import a framework and its mapping from CSV (docs/framework-format.md):
    /// every requirement or none; exit 1 when refused.
    Import {
        file: PathBuf,
        #[arg(long)]
        org: String,
        /// Lowercase letters, digits, '.' or '-', e.g. iso27701.
        #[arg(long)]
        key: String,
        #[arg(long)]
        name: String,
        /// Check the file and report, without writing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// How pawl sends e-mail (issue 27). Without `--smtp-url`, notifications
/// are shown in pawl only.
#[derive(clap::Args)]
struct MailArgs {
    /// The mail server: smtp://[user:password@]host[:port] (add
    /// ?tls=required for STARTTLS), or smtps://… for TLS from the start.
    #[arg(long, env = "PAWL_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of pawl's messages, e.g. "pawl <isms@example.com>".
    #[arg(long, env = "PAWL_MAIL_FROM")]
    mail_from: Option<String>,
    /// Where people reach this pawl, e.g. https://isms.example.com: every
    /// message links to a page under it.
    #[arg(long, env = "PAWL_PUBLIC_URL")]
    public_url: Option<String>,
}

impl MailArgs {
    /// The mailer the settings describe, or None without a mail server;
    /// a setting missing or malformed is named.
    fn mailer(&self) -> Result<Option<pawl_app::notify::Mailer>> {
        let Some(url) = self.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let from = self
            .mail_from
            .as_deref()
            .context("--smtp-url needs --mail-from: the address pawl's messages come from")?;
        let public = self
            .public_url
            .as_deref()
            .context("--smtp-url needs --public-url: where people reach this pawl, for the links in its messages")?;
        Ok(Some(pawl_app::notify::Mailer::new(url, from, public)?))
    }

    /// The public URL alone, for the links in calendar feeds.
    fn public(&self) -> Result<Option<String>> {
        match self.public_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(None),
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
                Ok(Some(u.trim_end_matches('/').to_owned()))
            }
            Some(u) => anyhow::bail!("--public-url: {u:?} is not an http:// or https:// address"),
        }
    }
}

#[derive(Subcommand)]
enum NotifyCommand {
    /// Send a test message now, through the mail settings given, and say
    /// what the mail server answered.
    Test {
        /// The address to send it to.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Write the day's reminders now (the server does so hourly; each
    /// organisation is reminded once a day). With the mail settings, they
    /// are e-mailed by the running server; without, shown in pawl only.
    Remind {
        /// One organisation; without it, every one.
        #[arg(long)]
        org: Option<String>,
        /// The day to remind as of (YYYY-MM-DD); today by default.
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Messages waiting to be sent or failed, newest first, with the reason
    /// of the last failure.
    Outbox {
        /// One organisation's; without it, every organisation's and the
        /// accounts' own (password resets).
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
enum SoaCommand {
    /// Export the SoA: an approved version, or the draft as it stands.
    Export {
        #[arg(long)]
        org: String,
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        output: PathBuf,
        /// An approved version; the draft when absent.
        #[arg(long)]
        version: Option<i64>,
    },
}

// Parsed once at start: the size of a variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum EvidenceCommand {
    /// Move every stored file from the data folder into the database
    /// (PostgreSQL), checking each hash, so that every replica serves it.
    Migrate {
        #[arg(long, required = true)]
        to_database: bool,
    },
    /// Store a file (or record a link) as evidence for an applied control
    /// (by id or C-0001).
    Add {
        #[arg(required_unless_present = "url")]
        file: Option<PathBuf>,
        /// An https address to record instead of a file.
        #[arg(long, conflicts_with = "file")]
        url: Option<String>,
        #[arg(long)]
        org: String,
        #[arg(long)]
        control: String,
        /// The file name when absent.
        #[arg(long)]
        title: Option<String>,
        /// When the evidence was true (YYYY-MM-DD), or the start of a period.
        #[arg(long)]
        observed_from: Option<String>,
        #[arg(long)]
        observed_to: Option<String>,
        /// After this date the evidence shows as stale.
        #[arg(long)]
        valid_until: Option<String>,
        /// Who collected it; the command's name when absent.
        #[arg(long)]
        collected_by: Option<String>,
    },
}

#[derive(Subcommand)]
enum NonconformityCommand {
    /// Export the nonconformity register as CSV or XLSX.
    Export {
        #[arg(long)]
        org: String,
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum TrainingCommand {
    /// Import completions from CSV or XLSX: columns campaign (reference or
    /// title), email and completed_on; other columns are kept as notes.
    /// Every problem is named with its line and column; all or nothing.
    Import {
        file: PathBuf,
        #[arg(long)]
        org: String,
        /// Check the file and say what would be recorded, without recording it.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum MetricCommand {
    /// Import measurements from CSV or XLSX: columns metric (reference or
    /// title), measured_on and value; other columns are kept as a note.
    /// Every problem is named with its line and column; all or nothing.
    Import {
        file: PathBuf,
        #[arg(long)]
        org: String,
        /// Check the file and say what would be recorded, without recording it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Compute every metric pawl measures from its own records that is due.
    Compute {
        #[arg(long)]
        org: String,
    },
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// Write a review's pack and minutes as PDF: frozen once the review is
    /// approved, else compiled from the live registers.
    Pack {
        #[arg(long)]
        org: String,
        /// The review's reference (MR-0001), title or id.
        #[arg(long)]
        review: String,
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum DocumentCommand {
    /// Export the document register as CSV or XLSX.
    Export {
        #[arg(long)]
        org: String,
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        output: PathBuf,
    },
    /// Import a folder of Markdown files with front matter (title, level,
    /// parent, owner, version) as draft documents: all or none; every
    /// problem with its file, line and column; exit 1 when refused.
    ImportMd {
        dir: PathBuf,
        #[arg(long)]
        org: String,
        /// The member recorded as the versions' author; the first
        /// administrator when not given.
        #[arg(long)]
        author: Option<String>,
    },
}

#[derive(Subcommand)]
enum RiskCommand {
    /// Import risks from a CSV or XLSX file: every row or none; exit 1 when refused.
    Import {
        file: PathBuf,
        #[arg(long)]
        org: String,
        /// Check the file and report, without writing.
        #[arg(long)]
        dry_run: bool,
        /// A JSON object from file header to field, e.g. '{"Chance":"likelihood"}'.
        #[arg(long)]
        mapping: Option<String>,
    },
    /// Export the register (risk assessment report and treatment plan).
    Export {
        #[arg(long)]
        org: String,
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organisation.
    Create {
        slug: String,
        #[arg(long)]
        name: String,
    },
    /// List organisations.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a person to an organisation. A new account's password is read
    /// from the first line of standard input (or prompted for on a terminal).
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
        /// The name a new account goes by (an existing one keeps its own).
        #[arg(long)]
        name: Option<String>,
    },
    /// Set a person's password, as an operator: read from the first line of
    /// standard input (or prompted for on a terminal). The address counts as
    /// proven from then on, so the account may join other organisations, and
    /// every session of the person ends.
    SetPassword {
        #[arg(long)]
        email: String,
    },
    /// Invite everyone a CSV names (columns email and role; name is
    /// allowed), all or nothing, every problem named by line. With the mail
    /// settings, pawl e-mails each link through the running server;
    /// without, the links are printed to pass on.
    Invite {
        #[arg(long)]
        org: String,
        #[arg(long)]
        file: PathBuf,
        /// Check the file and say who would be invited; invite nobody.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        mail: MailArgs,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token acting as a member; prints the token as the last line.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute an organisation's hash chain; exit 1 naming the first bad event.
    Verify {
        #[arg(long)]
        org: String,
    },
}

fn main() -> std::process::ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    init_logs(cli.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PAWL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    let ok = std::process::ExitCode::SUCCESS;
    match cli.command {
        Command::Serve {
            addr,
            demo,
            trusted_proxies,
            metrics_token,
            mail,
        } => serve(
            &cli.db,
            addr,
            demo,
            trusted_proxies,
            metrics_token,
            mail.mailer()?,
            mail.public()?,
        )
        .await
        .map(|_| ok),
        Command::Notify(NotifyCommand::Test { to, mail }) => {
            let mailer = mail
                .mailer()?
                .context("give the mail server with --smtp-url (or PAWL_SMTP_URL)")?;
            mailer.send_test(&to).await?;
            println!("sent a test message to {to}: the mail server accepted it");
            Ok(ok)
        }
        Command::Notify(NotifyCommand::Remind { org, date, mail }) => {
            let store = cli.db.open().await?;
            if mail.mailer()?.is_some() {
                store.set_dispatching();
            }
            let today = match date.as_deref() {
                Some(d) => pawl_domain::time_fmt::parse_date("--date", d)?,
                None => pawl_app::today(),
            };
            let started = std::time::Instant::now();
            let done = match &org {
                Some(slug) => {
                    let o = organisation(&store, slug).await?;
                    vec![(o.slug, pawl_app::notify::remind(&store, &o.id, today).await?)]
                }
                None => pawl_app::notify::remind_all(&store, today).await?,
            };
            for (slug, r) in done {
                if r.ran {
                    println!(
                        "{slug}: {} people reminded of {} records; {} overdue records escalated to {} ISMS managers",
                        r.people, r.items, r.escalated, r.managers
                    );
                } else {
                    println!("{slug}: reminded already on {today}");
                }
            }
            println!("in {:.2} s", started.elapsed().as_secs_f64());
            Ok(ok)
        }
        Command::Notify(NotifyCommand::Outbox { org }) => {
            let store = cli.db.open().await?;
            let org_id = match &org {
                Some(slug) => Some(organisation(&store, slug).await?.id),
                None => None,
            };
            let waiting = store.undelivered(org_id.as_deref(), 1000).await?;
            if waiting.is_empty() {
                println!("nothing waits to be sent and nothing failed");
            }
            for n in waiting {
                println!(
                    "{}\t{}\t{}\t{}\tattempts {}\t{}",
                    n.created_at.get(..19).unwrap_or(&n.created_at),
                    n.mail_state.as_str(),
                    n.email,
                    n.subject,
                    n.attempts,
                    if n.last_error.is_empty() { "-" } else { &n.last_error }
                );
            }
            Ok(ok)
        }
        Command::Migrate => {
            let store = cli.db.open().await?;
            println!("database is up to date ({})", store.engine().as_str());
            Ok(ok)
        }
        Command::Org(OrgCommand::Create { slug, name }) => {
            let store = cli.db.open().await?;
            let slug = OrgSlug::parse(&slug)?;
            let org = store
                .create_organisation(&Actor::system("pawl org create"), &slug, &name)
                .await?;
            println!("created organisation {} ({})", org.slug, org.name);
            Ok(ok)
        }
        Command::Org(OrgCommand::List) => {
            let store = cli.db.open().await?;
            for o in store.organisations().await? {
                println!("{}\t{}", o.slug, o.name);
            }
            Ok(ok)
        }
        Command::User(UserCommand::Add { org, email, role, name }) => {
            let app = cli.db.app().await?;
            let org = organisation(&app.store, &org).await?;
            let exists = app.store.user_by_email(&Email::parse(&email)?).await?.is_some();
            let password = if exists {
                None
            } else {
                Some(read_password("Password for the new account")?)
            };
            let (member, created) = members::add_member(
                &app,
                &org.id,
                &Actor::system("pawl user add"),
                &email,
                &role,
                password.as_deref(),
            )
            .await?;
            if let Some(name) = name.filter(|_| created) {
                let name = pawl_domain::identity::parse_name("name", &name)?;
                app.store.set_user_name(&member.user_id, &name).await?;
            }
            let account = if created {
                "new account"
            } else {
                "existing account: its password is unchanged; `pawl user set-password` sets a new one"
            };
            println!("added {} to {} as {} ({account})", member.email, org.slug, member.role);
            Ok(ok)
        }
        Command::User(UserCommand::Invite {
            org,
            file,
            dry_run,
            mail,
        }) => {
            let mut app = cli.db.app().await?;
            if mail.mailer()?.is_some() {
                app.store.set_dispatching();
            }
            let org = organisation(&app.store, &org).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let actor = Actor::system("pawl user invite");
            let done = members::invite_many(&app, &org.id, &actor, &bytes, dry_run).await?;
            app.public_url = mail.public()?;
            if !done.problems.is_empty() {
                for p in &done.problems {
                    eprintln!("{}: {p}", file.display());
                }
                anyhow::bail!("{} problem(s); nobody was invited", done.problems.len());
            }
            for (email, role, secret) in &done.people {
                let how = match secret {
                    Some(s) => format!("pass on {}/invitations/{s}", app.public_url.as_deref().unwrap_or("")),
                    None if dry_run => "would be invited".to_owned(),
                    None => "e-mailed by the running server".to_owned(),
                };
                println!("{email}\t{}\t{how}", role.label());
            }
            println!(
                "{} {} people",
                if dry_run { "would invite" } else { "invited" },
                done.people.len()
            );
            Ok(ok)
        }
        Command::User(UserCommand::SetPassword { email }) => {
            let app = cli.db.app().await?;
            let password = read_password("New password")?;
            let account = members::set_password_by_operator(&app, &email, &password).await?;
            println!(
                "set the password of {}; the address counts as proven and every session has ended",
                account.email
            );
            Ok(ok)
        }
        Command::Token(TokenCommand::Create { org, email, name }) => {
            let app = cli.db.app().await?;
            let org = organisation(&app.store, &org).await?;
            let user = app
                .store
                .user_by_email(&Email::parse(&email)?)
                .await?
                .with_context(|| format!("no account for {email}"))?;
            let (secret, token) =
                auth::issue_token(&app, &org.id, &Actor::system("pawl token create"), &user.id, &name).await?;
            eprintln!(
                "token {} for {} in {}; it is shown once:",
                token.name, token.email, org.slug
            );
            println!("{secret}");
            Ok(ok)
        }
        Command::Risk(RiskCommand::Import {
            file,
            org,
            dry_run,
            mapping,
        }) => {
            let store = cli.db.open().await?;
            let org = organisation(&store, &org).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mapping: std::collections::HashMap<String, String> = match mapping {
                Some(m) => serde_json::from_str(&m).context("--mapping must be a JSON object from header to field")?,
                None => Default::default(),
            };
            let table = pawl_reports::xlsx::read_sheet(&bytes);
            drop(bytes);
            let report = pawl_app::risk::import_table(
                &store,
                &org.id,
                &pawl_app::risk::RiskEditor::system(&Actor::system("pawl risk import")),
                table,
                &mapping,
                dry_run,
            )
            .await?;
            print_problems(&file, "error", &report.errors);
            print_problems(&file, "warning", &report.warnings);
            if report.refused {
                println!("refused: {} errors; nothing was imported", report.errors.len());
                return Ok(std::process::ExitCode::from(1));
            }
            let verb = if dry_run { "would create" } else { "created" };
            let verb2 = if dry_run { "would update" } else { "updated" };
            println!(
                "{} rows: {verb} {}, {verb2} {}",
                report.rows, report.created, report.updated
            );
            Ok(ok)
        }
        Command::Risk(RiskCommand::Export { org, format, output }) => {
            let store = cli.db.open().await?;
            let org = organisation(&store, &org).await?;
            let n = match format.as_str() {
                "csv" => {
                    let file =
                        std::fs::File::create(&output).with_context(|| format!("cannot write {}", output.display()))?;
                    pawl_app::risk::export_csv(&store, &org.id, std::io::BufWriter::new(file)).await?
                }
                "xlsx" => {
                    let title = format!("{} risk register", org.name);
                    pawl_reports::xlsx::write_register(&store, &org.id, &title, &output).await?
                }
                other => bail!("unknown format {other:?}: use csv or xlsx"),
            };
            println!("exported {n} risks to {}", output.display());
            Ok(ok)
        }
        Command::Document(DocumentCommand::Export { org, format, output }) => {
            export_register(&cli.db, &pawl_domain::register::DOCUMENT, &org, &format, &output).await?;
            Ok(ok)
        }
        Command::AuditReport {
            org,
            audit,
            format,
            output,
        } => {
            if format != "xlsx" {
                bail!("unknown format {format:?}: an audit report is written as xlsx");
            }
            let store = cli.db.open().await?;
            let org = organisation(&store, &org).await?;
            let id = store
                .org(&org.id)
                .find_record(pawl_domain::register::AUDIT.key, &audit)
                .await?
                .with_context(|| format!("no audit {audit:?} in {}", org.slug))?;
            let report = pawl_app::internal_audit::audit_report(&store, &org.id, &id).await?;
            let bytes = pawl_reports::xlsx::audit_report_bytes(&report)?;
            std::fs::write(&output, bytes).with_context(|| format!("cannot write {}", output.display()))?;
            println!(
                "wrote the report of {} ({} checklist items, {} findings) to {}",
                report.audit.title(),
                report.checklist.len(),
                report.findings.len(),
                output.display()
            );
            Ok(ok)
        }
        Command::Training(TrainingCommand::Import { file, org, dry_run }) => {
            let store = cli.db.open().await?;
            let org = organisation(&store, &org).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let table = pawl_reports::xlsx::read_sheet(&bytes);
            drop(bytes);
            let report =
                pawl_app::context::import(&store, &org.id, &Actor::system("pawl training import"), table, dry_run)
                    .await?;
            Ok(import_outcome(&file, &report, dry_run, "completions"))
        }
        Command::Metric(MetricCommand::Import { file, org, dry_run }) => {
            let store = cli.db.open().await?;
            let org = organisation(&store, &org).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let table = pawl_reports::xlsx::read_sheet(&bytes);
            drop(bytes);
            let report =
                pawl_app::performance::import(&store, &org.id, &Actor::system("pawl metric import"), table, dry_run)
                    .await?;
            Ok(import_outcome(&file, &report, dry_run, "measurements"))
        }
        Command::Metric(MetricCommand::Compute { org }) => {
            let store = cli.db.open().await?;
            let org = organisation(&store, &org).await?;
            let done =
                pawl_app::performance::compute_due(&store, &org.id, &Actor::system("pawl metric compute")).await?;
            for c in &done {
                let value = c
                    .value
                    .map_or_else(|| "no data".to_owned(), pawl_domain::metric::format_value);
                println!("{} {}: {value}", c.reference, c.title);
            }
            println!("computed {} metrics that were due", done.len());
            Ok(ok)
        }
        Command::Backup { output, org } => {
            let app = cli.db.app().await?;
            let w = pawl_app::backup::backup_to_file(&app, &output, org.as_deref()).await?;
            let m = &w.manifest;
            println!(
                "wrote {} rows of {} tables and {} evidence files ({} schema {}) to {}",
                m.rows,
                m.tables,
                m.evidence_files,
                m.engine,
                m.schema_version,
                output.display()
            );
            println!(
                "manifest SHA-256 {}: keep it apart from the archive, and restore with --manifest-sha256 {} to \
                 show that the archive is this one",
                w.manifest_sha256, w.manifest_sha256
            );
            if !w.accounts_without_password.is_empty() {
                println!(
                    "{} accounts come without a password (they belong to other organisations too, or have \
                     none): {}",
                    w.accounts_without_password.len(),
                    w.accounts_without_password.join(", ")
                );
            }
            Ok(ok)
        }
        Command::Restore { file, manifest_sha256 } => {
            let app = cli.db.app().await?;
            let f = std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
            match pawl_app::backup::restore(&app, std::io::BufReader::new(f), manifest_sha256.as_deref()).await {
                Ok(r) => {
                    println!(
                        "checked {} files against the SHA-256 digests of the manifest, whose own SHA-256 is {}{}",
                        r.manifest.files.len(),
                        r.manifest_sha256,
                        if manifest_sha256.is_some() {
                            " as expected"
                        } else {
                            " (compare it with the one `pawl backup` printed)"
                        }
                    );
                    println!(
                        "restored {} rows and {} evidence files from {} (made on {} at {})",
                        r.rows,
                        r.manifest.evidence_files,
                        file.display(),
                        r.manifest.engine,
                        r.manifest.created_at
                    );
                    for (org, events) in r.chains {
                        println!("{org}: audit chain intact, {events} events");
                    }
                    println!(
                        "rows are restored as the archive states them: an intact chain vouches for the history \
                         of events, not for rows that no event checks, such as accounts, password hashes, \
                         memberships and API tokens"
                    );
                    if !r.accounts_without_password.is_empty() {
                        println!(
                            "{} accounts have no password here and cannot sign in until one is set with \
                             `pawl user set-password`: {}",
                            r.accounts_without_password.len(),
                            r.accounts_without_password.join(", ")
                        );
                    }
                    Ok(ok)
                }
                Err(e) => {
                    eprintln!("{}: error: {e}", file.display());
                    Ok(std::process::ExitCode::from(1))
                }
            }
        }
        Command::MigrateEngine { from, to } => {
            let (from, to) = (engine_location(&from)?, engine_location(&to)?);
            let source = Store::open(&from)
                .await
                .with_context(|| format!("cannot open {from:?}"))?;
            let target = Store::open(&to).await.with_context(|| format!("cannot open {to:?}"))?;
            // Every chain is verified in the target before its rows are committed.
            let moved = pawl_app::backup::migrate_engine(&source, &target).await?;
            for (org, events) in moved.chains {
                println!("{org}: audit chain intact, {events} events");
            }
            println!("moved {} rows from {from:?} to {to:?}", moved.rows);
            Ok(ok)
        }
        Command::Review(ReviewCommand::Pack { org, review, output }) => {
            let store = cli.db.open().await?;
            let org = organisation(&store, &org).await?;
            let r = pawl_app::performance::find_review(&store, &org.id, &review).await?;
            let pack = pawl_app::performance::pack(&store, &org.id, &r).await?;
            let bytes = pawl_reports::pdf::review_pack(&pack);
            std::fs::write(&output, &bytes).with_context(|| format!("cannot write {}", output.display()))?;
            println!(
                "wrote the {} pack of {} ({} sections, {} decisions, {} bytes) to {}",
                if pack.frozen { "frozen" } else { "live" },
                r.title(),
                pack.pack.sections.len(),
                pack.pack.decisions.len(),
                bytes.len(),
                output.display()
            );
            Ok(ok)
        }
        Command::Nonconformity(NonconformityCommand::Export { org, format, output }) => {
            export_register(&cli.db, &pawl_domain::register::NONCONFORMITY, &org, &format, &output).await?;
            Ok(ok)
        }
        Command::Document(DocumentCommand::ImportMd { dir, org, author }) => {
            let store = cli.db.open().await?;
            let org = organisation(&store, &org).await?;
            let author = import_author(&store, &org.id, author.as_deref()).await?;
            let (mut files, mut unreadable) = (Vec::new(), Vec::new());
            let entries =
                std::fs::read_dir(&dir).with_context(|| format!("cannot read the folder {}", dir.display()))?;
            for e in entries {
                let path = e?.path();
                if path
                    .extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| x.eq_ignore_ascii_case("md"))
                {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    // Only the folder's own regular files: a link could lead
                    // anywhere (/etc, /dev/zero), and a document has a size.
                    let meta =
                        std::fs::symlink_metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
                    if !meta.file_type().is_file() {
                        unreadable.push(format!(
                            "{}: error: not a regular file (a link or device); copy the document itself into the folder",
                            path.display()
                        ));
                        continue;
                    }
                    if meta.len() > MAX_MARKDOWN_BYTES {
                        unreadable.push(format!(
                            "{}: error: {} bytes, more than a document may hold ({MAX_MARKDOWN_BYTES})",
                            path.display(),
                            meta.len()
                        ));
                        continue;
                    }
                    let mut bytes = Vec::new();
                    std::fs::File::open(&path)
                        .and_then(|f| f.take(MAX_MARKDOWN_BYTES + 1).read_to_end(&mut bytes))
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    match String::from_utf8(bytes) {
                        Ok(text) => files.push((name, text)),
                        Err(e) => unreadable.push(format!(
                            "{}: error: not UTF-8 text (byte {})",
                            path.display(),
                            e.utf8_error().valid_up_to() + 1
                        )),
                    }
                }
            }
            files.sort();
            if !unreadable.is_empty() {
                unreadable.iter().for_each(|u| eprintln!("{u}"));
                println!(
                    "refused: {} files cannot be read as documents; nothing was imported",
                    unreadable.len()
                );
                return Ok(std::process::ExitCode::from(1));
            }
            if files.is_empty() {
                bail!("{} holds no .md files", dir.display());
            }
            let actor = Actor::system("pawl document import-md");
            match pawl_app::document::import_markdown(&store, &org.id, &actor, &author, &files).await {
                Ok(made) => {
                    println!("imported {} documents as drafts", made.len());
                    Ok(ok)
                }
                Err(problems) => {
                    for p in &problems {
                        eprintln!(
                            "{}:{}:{}: error: {}",
                            dir.join(&p.file).display(),
                            p.line,
                            p.column,
                            p.message
                        );
                    }
                    println!("refused: {} problems; nothing was imported", problems.len());
                    Ok(std::process::ExitCode::from(1))
                }
            }
        }
        Command::Export {
            kind,
            org,
            format,
            output,
        } => {
            if let Some(which) = pawl_app::exports::Outside::of_path(&kind) {
                export_outside(&cli.db, which, &org, &format, &output).await?;
                return Ok(ok);
            }
            let Some(kind) = pawl_domain::register::kind(&kind) else {
                let known: Vec<&str> = pawl_domain::register::KINDS
                    .iter()
                    .map(|k| k.path)
                    .chain(pawl_app::exports::Outside::ALL.map(|o| o.path()))
                    .collect();
                bail!("no register is called {kind:?}; there are: {}", known.join(", "));
            };
            export_register(&cli.db, kind, &org, &format, &output).await?;
            Ok(ok)
        }
        Command::Soa(SoaCommand::Export {
            org,
            format,
            output,
            version,
        }) => {
            let store = cli.db.open().await?;
            let org = organisation(&store, &org).await?;
            let (heading, rows) = pawl_app::control::soa_for_export(&store, &org.id, version).await?;
            let heading = format!("{}: {heading}", org.name);
            let bytes = match format.as_str() {
                "csv" => pawl_app::control::soa_csv(&heading, &rows)?,
                "xlsx" => pawl_reports::xlsx::soa_bytes(&heading, &rows)?,
                other => bail!("unknown format {other:?}: use csv or xlsx"),
            };
            std::fs::write(&output, bytes).with_context(|| format!("cannot write {}", output.display()))?;
            println!("exported the SoA ({} controls) to {}", rows.len(), output.display());
            Ok(ok)
        }
        Command::Evidence(EvidenceCommand::Migrate { to_database: _ }) => {
            let app = cli.db.app().await?;
            if !app.blobs.in_db() {
                anyhow::bail!("evidence moves into the database on PostgreSQL; SQLite keeps it in the data folder");
            }
            let (mut moved, mut there) = (0, 0);
            for sha in app.store.file_hashes().await? {
                if app.blobs.move_into_database(&sha).await? {
                    moved += 1;
                } else {
                    there += 1;
                }
            }
            println!("moved {moved} files into the database, each hash checked; {there} were there already");
            Ok(ok)
        }
        Command::Evidence(EvidenceCommand::Add {
            file,
            url,
            org,
            control,
            title,
            observed_from,
            observed_to,
            valid_until,
            collected_by,
        }) => {
            let app = cli.db.app().await?;
            let org = organisation(&app.store, &org).await?;
            let control = pawl_app::evidence::control_id(&app.store, &org.id, &control).await?;
            let sealed = match &file {
                Some(file) => Some(seal_file(&app, file).await?),
                None => None,
            };
            let input = pawl_app::evidence::EvidenceInput {
                title: title.unwrap_or_default(),
                url,
                observed_from,
                observed_to,
                valid_until,
                collected_by,
                controls: vec![control],
                ..Default::default()
            };
            let actor = Actor::system("pawl evidence add");
            let e = pawl_app::evidence::add(&app.store, &org.id, &actor, &actor.name, &input, sealed).await?;
            match (&e.file_name, &e.url) {
                (Some(name), _) => println!(
                    "stored {name} ({} bytes, sha256 {}) as evidence {}",
                    e.size.unwrap_or(0),
                    e.sha256.as_deref().unwrap_or_default(),
                    e.id
                ),
                (None, Some(url)) => println!("recorded {url} as evidence {}", e.id),
                (None, None) => println!("recorded evidence {}", e.id),
            }
            Ok(ok)
        }
        Command::Framework(FrameworkCommand::Import {
            file,
            org,
            key,
            name,
            dry_run,
        }) => {
            let store = cli.db.open().await?;
            let org = organisation(&store, &org).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let report = pawl_app::control::import_framework(
                &store,
                &org.id,
                &Actor::system("pawl framework import"),
                (&key, &name),
                pawl_domain::risk::import::read_csv(&bytes),
                dry_run,
            )
            .await?;
            print_problems(&file, "error", &report.errors);
            if report.refused {
                eprintln!("refused: nothing was imported");
                return Ok(std::process::ExitCode::from(1));
            }
            match report.version {
                Some(v) => println!("{key}: {} requirements imported (version {v})", report.requirements),
                None => println!("{key}: {} requirements; dry run, nothing written", report.requirements),
            }
            Ok(ok)
        }
        Command::Audit(AuditCommand::Verify { org }) => {
            // The file itself first: a damaged one may fail the first query,
            // or the check itself.
            let damaged = |e: pawl_store::StoreError| match e {
                pawl_store::StoreError::Corrupt(m) => Ok(vec![m]),
                other => Err(other),
            };
            let started = std::time::Instant::now();
            let (store, problems) = match Store::open(&cli.db.location()?).await {
                Ok(store) => {
                    let problems = store.integrity_problems(true).await.or_else(damaged)?;
                    (Some(store), problems)
                }
                Err(e) => (None, damaged(e)?),
            };
            if !problems.is_empty() {
                println!(
                    "database DAMAGED ({} problems); restore it from a backup:",
                    problems.len()
                );
                for p in &problems {
                    println!("  {p}");
                }
                return Ok(std::process::ExitCode::from(1));
            }
            let store = store.context("the database did not open")?;
            let org = organisation(&store, &org).await?;
            match store.verify_audit_chain(&org.id).await? {
                VerifyOutcome::Intact { events } => {
                    println!(
                        "audit chain of {} intact: {events} events verified in {:.2?}",
                        org.slug,
                        started.elapsed()
                    );
                    Ok(ok)
                }
                VerifyOutcome::Broken(b) => {
                    println!("audit chain of {} BROKEN at sequence {}: {}", org.slug, b.seq, b.reason);
                    Ok(std::process::ExitCode::from(1))
                }
            }
        }
    }
}

/// The author of imported versions: the member named, or the first administrator.
async fn import_author(store: &Store, org_id: &str, email: Option<&str>) -> Result<pawl_store::Named> {
    let reader = store.org(org_id);
    let member = match email {
        Some(e) => {
            let email = pawl_domain::identity::Email::parse(e)
                .map_err(|_| anyhow::anyhow!("{e:?} is not an e-mail address"))?;
            let user = store
                .user_by_email(&email)
                .await?
                .with_context(|| format!("no account for {email}"))?;
            reader
                .membership_of(&user.id)
                .await?
                .with_context(|| format!("{email} is not a member"))?
        }
        None => reader
            .members(&pawl_store::ListQuery {
                limit: Some(500),
                ..Default::default()
            })
            .await?
            .items
            .into_iter()
            .find(|m| m.role == pawl_domain::identity::Role::Admin)
            .context("the organisation has no administrator; name the author with --author")?,
    };
    Ok(pawl_store::Named {
        user_id: member.user_id,
        name: member.email,
    })
}

/// Writes one register of an organisation to `output` as CSV or XLSX.
async fn export_register(
    db: &DbArgs,
    kind: &'static pawl_domain::register::Kind,
    org: &str,
    format: &str,
    output: &std::path::Path,
) -> Result<()> {
    let store = db.open().await?;
    let org = organisation(&store, org).await?;
    let n = match format {
        "csv" => {
            let file = std::fs::File::create(output).with_context(|| format!("cannot write {}", output.display()))?;
            pawl_app::register::export_csv(&store, &org.id, kind, std::io::BufWriter::new(file)).await?
        }
        "xlsx" => pawl_reports::xlsx::write_records(&store, &org.id, kind, output).await?,
        other => bail!("unknown format {other:?}: use csv or xlsx"),
    };
    println!("exported {n} {} to {}", kind.plural.to_lowercase(), output.display());
    Ok(())
}

/// Writes a register kept outside the machinery (applied controls, their
/// checks, the evidence list) to `output` as CSV or XLSX.
async fn export_outside(
    db: &DbArgs,
    which: pawl_app::exports::Outside,
    org: &str,
    format: &str,
    output: &std::path::Path,
) -> Result<()> {
    let store = db.open().await?;
    let org = organisation(&store, org).await?;
    let table = pawl_app::exports::table(&store, &org.id, which).await?;
    let bytes = match format {
        "csv" => table.csv()?,
        "xlsx" => pawl_reports::xlsx::table_bytes(which.plural(), &table.header, &table.rows)?,
        other => bail!("unknown format {other:?}: use csv or xlsx"),
    };
    std::fs::write(output, bytes).with_context(|| format!("cannot write {}", output.display()))?;
    println!(
        "exported {} {} to {}",
        table.rows.len(),
        which.plural().to_lowercase(),
        output.display()
    );
    Ok(())
}

/// An organisation by slug, with an error that names it.
async fn organisation(store: &Store, slug: &str) -> Result<pawl_store::Organisation> {
    store
        .organisation_by_slug(slug)
        .await
        .with_context(|| format!("organisation {slug:?}"))
}

/// The largest Markdown file `pawl document import-md` reads: far above any
/// policy, far below what would strain memory.
const MAX_MARKDOWN_BYTES: u64 = 4 * 1024 * 1024;

fn read_password(prompt: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{prompt} (at least 12 characters): ");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password given: pipe it as the first line of standard input");
    }
    Ok(password)
}

/// Prints a file's problems as `FILE:LINE[:COLUMN]: LEVEL: message`, the
/// form editors and CI logs link to.
fn print_problems(file: &std::path::Path, level: &str, problems: &[pawl_domain::risk::import::ImportProblem]) {
    for p in problems {
        eprintln!(
            "{}:{}{}: {level}: {}",
            file.display(),
            p.line,
            p.column.map(|c| format!(":{c}")).unwrap_or_default(),
            p.message
        );
    }
}

/// Streams a file into the evidence store, hashing it on the way.
async fn seal_file(app: &App, file: &std::path::Path) -> Result<pawl_app::evidence::SealedFile> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("evidence")
        .to_owned();
    let mut reader = tokio::fs::File::open(file)
        .await
        .with_context(|| format!("cannot read {}", file.display()))?;
    let mut w = app.blobs.writer().await?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = tokio::io::AsyncReadExt::read(&mut reader, &mut buf).await?;
        if n == 0 {
            break;
        }
        w.write(&buf[..n]).await?;
    }
    Ok(w.seal(&name).await?)
}

async fn serve(
    db: &DbArgs,
    addr: SocketAddr,
    with_demo: bool,
    trusted_proxies: Vec<std::net::IpAddr>,
    metrics_token: Option<String>,
    mailer: Option<pawl_app::notify::Mailer>,
    public_url: Option<String>,
) -> Result<()> {
    let mut app = db.app().await?;
    app.public_url = public_url;
    app.trusted_proxies = trusted_proxies;
    app.metrics_token = metrics_token.filter(|t| !t.trim().is_empty());
    if let Some(mailer) = mailer {
        app.set_mailer(mailer);
    }
    // A damaged file (a copy taken while it was written, a failing disk) is
    // found by the page check, which reads every page: 2.7 s for a 436 MB
    // file, during which the server used to answer nobody. It now runs while
    // the server starts and serves reads (a damaged page fails to read with
    // the engine's own error); no write starts until it passes, and damage
    // stops the server with the problems found, as it did before serving.
    let check = app.store.check_pages_in_background();
    let damaged = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let found = damaged.clone();
    let damage = async move {
        let problems = match check.await {
            Ok(p) if p.is_empty() => return std::future::pending().await,
            Ok(p) => p,
            Err(e) => vec![format!("the check did not finish: {e}")],
        };
        *found.lock().unwrap_or_else(|p| p.into_inner()) = Some(problems.join("; "));
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    let demo_login = if with_demo {
        let password = demo_password(db)?;
        demo::ensure_demo(&app, &password).await?;
        Some(password)
    } else {
        None
    };
    tracing::info!(addr = %bound, database = app.store.engine().as_str(), "pawl is listening");
    println!("pawl is running at http://{bound}");
    if let Some(password) = demo_login {
        println!("Sign in as {} with password: {password}", demo::ADMIN_EMAIL);
        println!(
            "(every demo person, e.g. priya.shah@demo.example or jorge.morales@audit.example, has the same password)"
        );
    }
    let store = app.store.clone();
    tokio::spawn(compute_metrics(store.clone()));
    tokio::spawn(send_reminders(store.clone()));
    let stop = async move {
        tokio::select! {
            () = shutdown_signal() => {}
            () = damage => {}
        }
    };
    pawl_web::serve(listener, app, stop).await?;
    store.close().await;
    if let Some(problems) = damaged.lock().unwrap_or_else(|p| p.into_inner()).take() {
        anyhow::bail!("the database is damaged ({problems}); restore it from a backup rather than serve it");
    }
    tracing::info!("stopped");
    Ok(())
}

/// `sqlite:DIR` (the data folder) or a `postgres://` URL.
fn engine_location(s: &str) -> Result<Location> {
    if let Some(dir) = s.strip_prefix("sqlite:") {
        let dir = PathBuf::from(dir);
        let db = dir.join("pawl.db");
        private_data_folder(&dir, &db).with_context(|| format!("cannot create data folder {}", dir.display()))?;
        Ok(Location::SqliteFile(db))
    } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        Ok(Location::Postgres(s.to_owned()))
    } else {
        anyhow::bail!("{s:?} is neither sqlite:DIR nor a postgres:// URL")
    }
}

/// What an all-or-nothing import says: every problem, or what it recorded
/// (or would, on a dry run).
fn import_outcome(
    file: &std::path::Path,
    report: &pawl_app::context::ImportReport,
    dry_run: bool,
    noun: &str,
) -> std::process::ExitCode {
    print_problems(file, "error", &report.problems);
    if !report.problems.is_empty() {
        println!("refused: {} errors; nothing was recorded", report.problems.len());
        return std::process::ExitCode::from(1);
    }
    let verb = if dry_run { "would record" } else { "recorded" };
    println!("{} rows: {verb} {} {noun}", report.rows, report.recorded);
    std::process::ExitCode::SUCCESS
}

/// pawl's own metrics (9.1) are computed when due, on this schedule, in
/// every organisation; a failure is logged and tried again next time.
async fn compute_metrics(store: pawl_store::Store) {
    let actor = Actor::system("pawl metric schedule");
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let orgs = match store.organisations().await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list organisations to compute metrics");
                continue;
            }
        };
        for org in orgs {
            match pawl_app::performance::compute_due(&store, &org.id, &actor).await {
                Ok(done) if !done.is_empty() => {
                    tracing::info!(org = %org.slug, computed = done.len(), "metrics computed")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(org = %org.slug, error = %e, "metrics not computed"),
            }
        }
    }
}

/// The day's reminders (issue 27), looked for hourly: each organisation's
/// run is made once a day, by whichever server comes first.
async fn send_reminders(store: pawl_store::Store) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match pawl_app::notify::remind_all(&store, pawl_app::today()).await {
            Ok(done) => {
                for (org, r) in done.into_iter().filter(|(_, r)| r.ran) {
                    tracing::info!(org = %org, people = r.people, records = r.items, escalated = r.escalated, "reminders written");
                }
            }
            Err(e) => tracing::warn!(error = %e, "reminders not written"),
        }
    }
}

/// The demo password, made once per data folder and kept there, so that a
/// second `serve --demo` prints the same one.
fn demo_password(db: &DbArgs) -> Result<String> {
    let path = db.data_dir.join("demo-password.txt");
    if let Ok(p) = std::fs::read_to_string(&path) {
        if !p.trim().is_empty() {
            return Ok(p.trim().to_owned());
        }
    }
    std::fs::create_dir_all(&db.data_dir)?;
    let p = auth::generate_password();
    std::fs::write(&path, &p).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(p)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down; finishing requests in flight");
}
