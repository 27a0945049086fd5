//! pawl reaches people (issue 27): notifications written with the change
//! that causes them, e-mailed over SMTP by a dispatcher in every server,
//! at least once, with retries that back off, and a password reset whose
//! link only the mailbox sees (Annex A 5.17).

use crate::{auth, App, AppError};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use pawl_domain::identity::Email;
use pawl_domain::notify::{backoff_seconds, Category, MAX_ATTEMPTS};
use pawl_domain::time_fmt::format_instant;
use pawl_store::{AuditedTx, NewNotification, Outgoing, Record, Store};
use std::time::Duration;

/// How long a password reset's link works.
pub const RESET_MINUTES: i64 = 60;

/// How long a server holds the messages it claimed before another may take
/// them: longer than a round of sends takes, short enough that a server
/// killed mid-round delays its messages by two minutes at most.
/// `PAWL_OUTBOX_LEASE_SECONDS` (1 to 3600) sets another, so that the
/// process trials, which kill a server mid-round, need not wait two minutes.
fn lease_seconds() -> i64 {
    static LEASE: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *LEASE.get_or_init(|| {
        std::env::var("PAWL_OUTBOX_LEASE_SECONDS")
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .map_or(120, |s| s.clamp(1, 3600))
    })
}

/// Messages claimed at once.
const BATCH: i64 = 50;

/// Messages sent at once, each on a connection of the transport's pool.
const PARALLEL: usize = 8;

/// How a server sends e-mail: `pawl serve --smtp-url --mail-from
/// --public-url`.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Where people reach this pawl, without a trailing slash: every link
    /// in a message starts with it.
    public_url: String,
    /// The host of `public_url`, the right-hand side of each Message-ID.
    host: String,
    /// The SMTP URL without its password, for logs and errors.
    shown_url: String,
}

impl Mailer {
    /// Checks the three settings, each problem named by its option, and
    /// sets up the transport (nothing is sent yet).
    pub fn new(smtp_url: &str, mail_from: &str, public_url: &str) -> Result<Mailer, AppError> {
        let shown_url = redact(smtp_url);
        if !(smtp_url.starts_with("smtp://") || smtp_url.starts_with("smtps://")) {
            return Err(setting(
                "--smtp-url",
                &format!("{shown_url} is not an smtp:// or smtps:// URL"),
            ));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| setting("--smtp-url", &format!("{shown_url}: {e}")))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from: Mailbox = mail_from
            .parse()
            .map_err(|e| setting("--mail-from", &format!("{mail_from:?} is not an address ({e})")))?;
        let public_url = public_url.trim_end_matches('/').to_owned();
        let host = public_url
            .strip_prefix("https://")
            .or_else(|| public_url.strip_prefix("http://"))
            .map(|rest| rest.split(['/', ':']).next().unwrap_or_default().to_owned())
            .filter(|h| !h.is_empty())
            .ok_or_else(|| {
                setting(
                    "--public-url",
                    &format!("{public_url:?} is not an http:// or https:// address: every message links to it"),
                )
            })?;
        Ok(Mailer {
            transport,
            from,
            public_url,
            host,
            shown_url,
        })
    }

    /// Sends one message at once, outside the outbox: `pawl notify test`.
    pub async fn send_test(&self, to: &str) -> Result<(), AppError> {
        let to = Email::parse(to)?;
        let message = Outgoing {
            id: uuid::Uuid::now_v7().to_string(),
            email: to.as_str().to_owned(),
            name: String::new(),
            category: Category::Test,
            subject: "pawl can send e-mail".into(),
            body: format!(
                "This message checks pawl's mail setting: it was sent through {} from {}. Nothing needs doing.",
                self.shown_url, self.from
            ),
            path: Some("/".into()),
            attempts: 0,
        };
        self.send(&message).await.map_err(AppError::Mail)
    }

    /// One message as e-mail: plain text and simple HTML, the person's
    /// name, one link, and the notification's id as its Message-ID so that
    /// a receiver can drop a repeat.
    async fn send(&self, o: &Outgoing) -> Result<(), String> {
        let to = match o.name.trim() {
            "" => o.email.parse::<Mailbox>(),
            name => format!("{} <{}>", quoted(name), o.email).parse::<Mailbox>(),
        }
        .map_err(|e| format!("the address {} cannot be used: {e}", o.email))?;
        let link = o.path.as_deref().map(|p| format!("{}{p}", self.public_url));
        let greeting = match o.name.trim() {
            "" => "Hello,".to_owned(),
            name => format!("Hello {name},"),
        };
        let mut text = format!("{greeting}\n\n{}\n", o.body);
        let mut html = format!("<p>{}</p>\n<p>{}</p>\n", escape(&greeting), escape(&o.body));
        if let Some(link) = &link {
            text.push_str(&format!("\n{link}\n"));
            html.push_str(&format!("<p><a href=\"{0}\">{0}</a></p>\n", escape(link)));
        }
        text.push_str("\n-- \npawl, your organisation's ISMS\n");
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&o.subject)
            .message_id(Some(format!("<{}@{}>", o.id, self.host)))
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
            )
            .map_err(|e| format!("the message could not be built: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

fn setting(option: &str, problem: &str) -> AppError {
    AppError::Unavailable(format!("{option}: {problem}"))
}

/// An SMTP URL with any password hidden.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

/// A display name as a quoted string, so that commas and brackets in it
/// cannot change who receives the message.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace(['\\', '"'], ""))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Sends what is due, round after round, for as long as the server runs:
/// at once when this server writes a notification, and every 15 seconds
/// for retries and for what other servers wrote.
pub async fn dispatch(store: Store, mailer: Mailer) {
    loop {
        match round(&store, &mailer).await {
            Ok(n) if n == BATCH as usize => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the notification dispatcher could not read the outbox"),
        }
        tokio::select! {
            () = store.outbox_written() => {}
            () = tokio::time::sleep(Duration::from_secs(15)) => {}
        }
    }
}

/// Claims what is due, sends it and marks each message; returns how many
/// it claimed.
pub async fn round(store: &Store, mailer: &Mailer) -> Result<usize, AppError> {
    let claimer = uuid::Uuid::now_v7().to_string();
    let until = format_instant(time::OffsetDateTime::now_utc() + time::Duration::seconds(lease_seconds()));
    let due = store.claim_due(&claimer, &until, BATCH).await?;
    let claimed = due.len();
    // A few connections at once: each message waits on the mail server's
    // answers, not on this machine.
    let mut sending = tokio::task::JoinSet::new();
    let mut queue = due.into_iter();
    loop {
        while sending.len() < PARALLEL {
            let Some(o) = queue.next() else { break };
            let mailer = mailer.clone();
            sending.spawn(async move {
                let outcome = match o.path {
                    None => {
                        Err("its one-time link is gone (a restored backup carries none): ask for a new one".to_owned())
                    }
                    Some(_) => mailer.send(&o).await,
                };
                (o, outcome)
            });
        }
        let Some(done) = sending.join_next().await else { break };
        let (o, outcome) = done.map_err(|e| AppError::Mail(format!("a sending task failed: {e}")))?;
        match outcome {
            Ok(()) => store.mark_sent(&o.id, &claimer).await?,
            Err(e) => {
                let attempts = o.attempts + 1;
                let retry = (attempts < MAX_ATTEMPTS && o.path.is_some()).then(|| {
                    format_instant(time::OffsetDateTime::now_utc() + time::Duration::seconds(backoff_seconds(attempts)))
                });
                tracing::warn!(notification = %o.id, attempts, error = %e, "a message was not sent");
                store.mark_failed(&o.id, &claimer, &e, retry.as_deref()).await?;
            }
        }
    }
    Ok(claimed)
}

/// Tells the members in the roles a kind announces to of a new record, in
/// the transaction that writes it; the person who made it is not told of
/// their own record.
pub async fn announce_new(tx: &mut AuditedTx, record: &Record, by_user: Option<&str>) -> Result<(), AppError> {
    let kind = record.kind;
    if kind.announce.is_empty() {
        return Ok(());
    }
    // The title as lists show it, the reference first.
    let named = record.title();
    let subject = format!("New {}: {named}", kind.label.to_lowercase());
    let body = format!(
        "A new {} was recorded: {named}. Open it to see what was reported and what it needs next.",
        kind.label.to_lowercase()
    );
    let path = format!("/{}/{}", kind.path, record.id);
    tx.notify_roles(
        kind.announce,
        by_user,
        &NewNotification {
            user_id: None,
            email: "",
            category: Category::NewRecord,
            subject: &subject,
            body: &body,
            path: &path,
            mail: true,
        },
    )
    .await?;
    Ok(())
}

/// Tries a message again at once, from its first attempt: an
/// administrator's answer to a failure whose cause is fixed.
pub async fn retry(app: &App, p: &crate::Principal, id: &str) -> Result<pawl_store::Notification, AppError> {
    let mut tx = app.store.write(&p.organisation.id, &p.actor()).await?;
    let n = tx.retry_delivery(id).await?;
    if !app.store.dispatching() {
        // Dropped, the transaction leaves the message as it was.
        return Err(pawl_store::StoreError::Conflict(
            "this pawl sends no e-mail: an operator sets a mail server with `pawl serve --smtp-url`".into(),
        )
        .into());
    }
    tx.commit().await?;
    Ok(n)
}

/// What a reminder run did in one organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reminded {
    /// False when the day's run had been made already.
    pub ran: bool,
    /// People reminded, and the records they were reminded of.
    pub people: usize,
    pub items: usize,
    /// Records overdue long enough to go to the ISMS managers too, and how
    /// many managers were told.
    pub escalated: usize,
    pub managers: usize,
}

/// Items listed in one message; the rest are counted and on the person's
/// work page.
const LISTED: usize = 25;

/// How a due date stands on `today`, for people.
fn when(due: &str, today: time::Date) -> String {
    let Ok(d) = pawl_domain::time_fmt::parse_date("due", due) else {
        return format!("due {due}");
    };
    match (d - today).whole_days() {
        0 => "due today".into(),
        1 => "due tomorrow".into(),
        n if n > 1 => format!("due in {n} days, on {due}"),
        n => format!("overdue by {} days, since {due}", -n),
    }
}

fn listed(items: &[&pawl_store::DueItem], today: time::Date, owners: bool) -> String {
    let mut lines: Vec<String> = items
        .iter()
        .take(LISTED)
        .map(|i| {
            let who = if owners {
                format!(" ({}: {})", i.role, if i.name.is_empty() { &i.email } else { &i.name })
            } else {
                String::new()
            };
            format!("- {} {}: {}{who}", i.label, i.title, when(&i.due, today))
        })
        .collect();
    if items.len() > LISTED {
        lines.push(format!("- and {} more", items.len() - LISTED));
    }
    lines.join("\n")
}

/// The day's reminders in one organisation (clause 10.1; issue 27): each
/// person named on a record due in 30, 7 or 1 days, today, or overdue (then
/// weekly) gets one message listing them; what has been overdue for
/// [`ESCALATE_AFTER_DAYS`] or more also goes to every ISMS manager. Made
/// once a day whatever number of servers run it, in one audited
/// transaction with its messages.
pub async fn remind(store: &Store, org_id: &str, today: time::Date) -> Result<Reminded, AppError> {
    use pawl_domain::notify::{reminder_dates, ESCALATE_AFTER_DAYS};
    let mut tx = store
        .write(org_id, &pawl_domain::audit::Actor::system("pawl reminders"))
        .await?;
    if !tx.claim_reminder_day(&today.to_string()).await? {
        return Ok(Reminded::default());
    }
    let dates: Vec<String> = reminder_dates(today).iter().map(ToString::to_string).collect();
    let due = tx.due_on(&dates).await?;
    let mut report = Reminded {
        ran: true,
        items: due.len(),
        ..Reminded::default()
    };
    let today_text = today.to_string();
    let mut by_person: std::collections::BTreeMap<&str, Vec<&pawl_store::DueItem>> = Default::default();
    for item in &due {
        by_person.entry(item.user_id.as_str()).or_default().push(item);
    }
    for items in by_person.values() {
        let overdue = items.iter().filter(|i| i.due < today_text).count();
        let subject = match (items.len(), overdue) {
            (1, 1) => format!("Overdue: {}", items[0].title),
            (1, _) => format!("Reminder: {} is {}", items[0].title, when(&items[0].due, today)),
            (n, 0) => format!("Reminder: {n} things of yours are due soon"),
            (n, o) => format!("Reminder: {n} things of yours need you, {o} overdue"),
        };
        let body = format!(
            "These records name you and need your attention:\n\n{}\n\nYour work page lists all of them.",
            listed(items, today, false)
        );
        tx.notify(&NewNotification {
            user_id: Some(&items[0].user_id),
            email: &items[0].email,
            category: Category::Reminder,
            subject: &subject,
            body: &body,
            path: "/my-work",
            mail: true,
        })
        .await?;
    }
    report.people = by_person.len();
    let escalate_before = (today - time::Duration::days(ESCALATE_AFTER_DAYS)).to_string();
    let late: Vec<&pawl_store::DueItem> = due.iter().filter(|i| i.due <= escalate_before).collect();
    report.escalated = late.len();
    if !late.is_empty() {
        let subject = format!(
            "{} record{} overdue by {ESCALATE_AFTER_DAYS} days or more",
            late.len(),
            if late.len() == 1 { "" } else { "s" }
        );
        let body = format!(
            "These have been overdue for {ESCALATE_AFTER_DAYS} days or more; the people named on them are \
             reminded weekly:\n\n{}",
            listed(&late, today, true)
        );
        let told = tx
            .notify_roles(
                &[pawl_domain::identity::Role::Manager],
                None,
                &NewNotification {
                    user_id: None,
                    email: "",
                    category: Category::Escalation,
                    subject: &subject,
                    body: &body,
                    path: "/ageing",
                    mail: true,
                },
            )
            .await?;
        report.managers = usize::try_from(told).unwrap_or(usize::MAX);
    }
    tx.record_event(
        "remind",
        "organisation",
        org_id,
        &serde_json::json!({
            "day": today.to_string(),
            "people": report.people,
            "records": report.items,
            "escalated": report.escalated,
            "managers": report.managers,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// The day's reminders in every organisation; the server runs it hourly,
/// and each organisation's run is made once a day.
pub async fn remind_all(store: &Store, today: time::Date) -> Result<Vec<(String, Reminded)>, AppError> {
    let mut out = Vec::new();
    for org in store.organisations().await? {
        let r = remind(store, &org.id, today).await?;
        out.push((org.slug, r));
    }
    Ok(out)
}

/// Asks for a password reset for `email`. The answer is the same whether
/// or not the address has an account, so that nobody learns who uses pawl;
/// the link goes to the mailbox alone.
pub async fn request_password_reset(app: &App, email: &str) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|_| pawl_domain::DomainError::field("email", "give an e-mail address"))?;
    if app.mailer.is_none() || !app.store.dispatching() {
        return Err(AppError::Unavailable(
            "this pawl sends no e-mail, so it cannot send a reset link: ask an operator to set a new password \
             with `pawl user set-password`"
                .into(),
        ));
    }
    let Some(account) = app.store.user_by_email(&email).await? else {
        return Ok(());
    };
    let secret = auth::random_secret();
    let expires = time::OffsetDateTime::now_utc() + time::Duration::minutes(RESET_MINUTES);
    let path = format!("/password-reset/{secret}");
    app.store
        .request_password_reset(
            &account.id,
            &auth::sha256_hex(&secret),
            &format_instant(expires),
            &NewNotification {
                user_id: Some(&account.id),
                email: &account.email,
                category: Category::PasswordReset,
                subject: "Choose a new pawl password",
                body: &format!(
                    "Someone, probably you, asked to choose a new password for {}. The link below works once, \
                     for {RESET_MINUTES} minutes. If you did not ask, ignore this message: your password stays \
                     as it is.",
                    account.email
                ),
                path: &path,
                mail: true,
            },
        )
        .await?;
    Ok(())
}

/// Whether a reset link still works, for the page that asks for the new
/// password.
pub async fn password_reset_open(app: &App, secret: &str) -> Result<bool, AppError> {
    Ok(app.store.password_reset_open(&auth::sha256_hex(secret)).await?)
}

/// Sets a new password through a reset link: the link works once; the
/// address counts as proven from now on (only its mailbox saw the link),
/// and every session of the person ends. Recorded in the trail of each
/// organisation they belong to.
pub async fn complete_password_reset(app: &App, secret: &str, new_password: &str) -> Result<(), AppError> {
    pawl_domain::identity::check_password_as("new_password", new_password)?;
    let hash = auth::hash_password(new_password)?;
    let user_id =
        app.store
            .use_password_reset(&auth::sha256_hex(secret))
            .await?
            .ok_or(pawl_store::StoreError::NotFound {
                entity: "open password reset",
            })?;
    app.store.set_password(&user_id, &hash, true, None).await?;
    let account = app.store.user(&user_id).await?;
    crate::members::record_account_change(
        app,
        &account,
        &pawl_domain::audit::Actor::system(&format!("{} (password reset link)", account.email)),
        "password_reset",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_shows() {
        assert_eq!(
            redact("smtp://mailer:s3cret@mail.example:587"),
            "smtp://mailer:***@mail.example:587"
        );
        assert_eq!(redact("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
    }

    #[tokio::test]
    async fn each_bad_setting_is_named() {
        let e = |r: Result<Mailer, AppError>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e(Mailer::new("mail.example:25", "a@b.example", "https://p.example")).starts_with("--smtp-url"));
        assert!(e(Mailer::new("http://mail.example", "a@b.example", "https://p.example")).starts_with("--smtp-url"));
        assert!(e(Mailer::new(
            "smtp://mail.example",
            "not an address",
            "https://p.example"
        ))
        .starts_with("--mail-from"));
        assert!(e(Mailer::new("smtp://mail.example", "a@b.example", "p.example")).starts_with("--public-url"));
        assert!(Mailer::new(
            "smtp://u:p@mail.example:2525",
            "pawl <a@b.example>",
            "https://p.example/"
        )
        .is_ok());
    }

    #[test]
    fn a_name_cannot_add_a_recipient() {
        assert_eq!(quoted("Ada \"x\" <evil@x.example>, "), "\"Ada x <evil@x.example>, \"");
    }
}
