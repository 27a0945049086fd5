//! Notifications (issue 27): what pawl tells a person, and when it tries
//! again. A notification is written in the transaction of the change that
//! causes it (a transactional outbox), shown in the person's notification
//! centre and, where a mail server is set, e-mailed at least once.

/// Why a person is told something. The category decides whether its
/// message carries a one-time link that nobody but the recipient may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// A link to choose a new password (Annex A 5.17), which also proves
    /// the address is the person's.
    PasswordReset,
    /// An invitation to join an organisation, with its link (5.16, 5.18).
    Invitation,
    /// A new record that a role is told of at once, e.g. an incident to
    /// every ISMS manager (Annex A 5.24-5.26).
    NewRecord,
    /// What is due soon or overdue, to the person named on it (clause 10.1:
    /// the cycle moves because people are prompted).
    Reminder,
    /// What has been overdue for long, to every ISMS manager.
    Escalation,
    /// A message an operator sends to check the mail setting.
    Test,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::PasswordReset,
        Category::Invitation,
        Category::NewRecord,
        Category::Reminder,
        Category::Escalation,
        Category::Test,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::PasswordReset => "password_reset",
            Category::Invitation => "invitation",
            Category::NewRecord => "new_record",
            Category::Reminder => "reminder",
            Category::Escalation => "escalation",
            Category::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::PasswordReset => "Password reset",
            Category::Invitation => "Invitation",
            Category::NewRecord => "New record",
            Category::Reminder => "Reminder",
            Category::Escalation => "Escalation",
            Category::Test => "Test message",
        }
    }

    /// Whether its link is a secret for the recipient alone: kept apart from
    /// the message, never shown to an administrator, and gone once sent.
    pub fn secret_link(self) -> bool {
        matches!(self, Category::PasswordReset | Category::Invitation)
    }
}

/// Where an e-mail of a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailState {
    /// Waiting for its first or next attempt.
    Pending,
    Sent,
    /// Given up after [`MAX_ATTEMPTS`], or its one-time link is gone; an
    /// administrator may try it again.
    Failed,
    /// Not e-mailed: no mail server was set when it was written.
    None,
}

impl MailState {
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Pending => "pending",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
            MailState::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<MailState> {
        [MailState::Pending, MailState::Sent, MailState::Failed, MailState::None]
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            MailState::Pending => "Waiting to be sent",
            MailState::Sent => "Sent",
            MailState::Failed => "Failed",
            MailState::None => "Not e-mailed",
        }
    }
}

/// Days before a due date on which the person named on a record is
/// reminded, and on the day itself (0); once overdue, every week.
pub const REMIND_BEFORE_DAYS: [i64; 4] = [30, 7, 1, 0];

/// Overdue for this many days or more, a record is also shown to every
/// ISMS manager.
pub const ESCALATE_AFTER_DAYS: i64 = 14;

/// How long overdue records keep being reminded of, weekly.
pub const REMIND_OVERDUE_WEEKS: i64 = 52;

/// The due dates a reminder run on `today` looks for: those the offsets
/// before the date reach, today, and every seventh day before today for a
/// year, so that an overdue record is reminded of weekly on the weekday it
/// fell due.
pub fn reminder_dates(today: time::Date) -> Vec<time::Date> {
    let ahead = REMIND_BEFORE_DAYS.iter().map(|d| today + time::Duration::days(*d));
    let behind = (1..=REMIND_OVERDUE_WEEKS).map(|w| today - time::Duration::days(7 * w));
    ahead.chain(behind).collect()
}

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// How long to wait after the `attempts`-th failed attempt: 30 s, then
/// four times longer each time, at most six hours, so that a mail server
/// down for a night is tried about eight times, not thousands.
pub fn backoff_seconds(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 8)).unwrap_or(8);
    (30_i64.saturating_mul(4_i64.saturating_pow(exp))).min(6 * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_and_states_read_back() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("nothing"), None);
        for m in [MailState::Pending, MailState::Sent, MailState::Failed, MailState::None] {
            assert_eq!(MailState::parse(m.as_str()), Some(m));
        }
    }

    #[test]
    fn only_links_for_the_recipient_alone_are_secret() {
        assert!(Category::PasswordReset.secret_link());
        assert!(Category::Invitation.secret_link());
        assert!(!Category::NewRecord.secret_link());
    }

    #[test]
    fn reminders_fall_before_the_date_on_it_and_weekly_after() {
        let today = time::macros::date!(2026 - 12 - 08);
        let dates = reminder_dates(today);
        for d in [
            time::macros::date!(2027 - 01 - 07),
            time::macros::date!(2026 - 12 - 15),
            time::macros::date!(2026 - 12 - 09),
            today,
            time::macros::date!(2026 - 12 - 01),
            time::macros::date!(2026 - 11 - 24),
        ] {
            assert!(dates.contains(&d), "{d}");
        }
        for d in [time::macros::date!(2026 - 12 - 10), time::macros::date!(2026 - 12 - 02)] {
            assert!(!dates.contains(&d), "{d}");
        }
        assert_eq!(dates.len(), 4 + 52);
    }

    #[test]
    fn back_off_grows_and_is_bounded() {
        assert_eq!(backoff_seconds(1), 30);
        assert_eq!(backoff_seconds(2), 120);
        assert_eq!(backoff_seconds(3), 480);
        assert_eq!(backoff_seconds(MAX_ATTEMPTS), 6 * 3600);
        assert_eq!(backoff_seconds(i64::MAX), 6 * 3600);
    }
}
