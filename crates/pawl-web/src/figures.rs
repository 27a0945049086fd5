//! Organisation-wide figures that many reads make (the home page's to-do
//! counts, readiness, the cycle's status), kept between requests while
//! nothing they count can have changed.
//!
//! Every change to an organisation's records appends to its audit chain in
//! the same transaction, so the chain's head (one read of one row) says
//! whether anything changed since the figures were made: a kept entry is
//! used only while the head is where it was, on the same day (the figures
//! count what is overdue today), and for at most [`KEEP_FOR`], which bounds
//! how long a change outside the chain (a member renaming their account)
//! takes to show. The head is read from the database on every use, so
//! several servers on one database each keep their own entries and never
//! show another's stale ones: like the cached audit head, an entry is a
//! hint that the database confirms.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest an entry is used, whatever the chain says.
const KEEP_FOR: Duration = Duration::from_secs(60);

/// At most this many entries (organisations × kinds of figures); past it
/// the map starts again, so an instance with many organisations holds no
/// more than this.
const MAX_ENTRIES: usize = 1024;

struct Entry {
    head: i64,
    day: time::Date,
    made: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

#[derive(Default)]
pub struct Figures(Mutex<HashMap<(String, &'static str), Entry>>);

impl Figures {
    /// The `what` figures of `org_id` kept at chain head `head` on `day`,
    /// if any.
    pub fn get<T: Any + Send + Sync>(
        &self,
        org_id: &str,
        what: &'static str,
        head: i64,
        day: time::Date,
    ) -> Option<Arc<T>> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.get(&(org_id.to_owned(), what))?;
        if e.head != head || e.day != day || e.made.elapsed() > KEEP_FOR {
            return None;
        }
        e.value.clone().downcast::<T>().ok()
    }

    /// Keeps `value` as the `what` figures of `org_id` at chain head `head`
    /// on `day`. The head must have been read before the figures were, so
    /// that a change made while they were read moves the head past it.
    pub fn put<T: Any + Send + Sync>(
        &self,
        org_id: &str,
        what: &'static str,
        head: i64,
        day: time::Date,
        value: Arc<T>,
    ) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(
            (org_id.to_owned(), what),
            Entry {
                head,
                day,
                made: Instant::now(),
                value,
            },
        );
    }
}

impl Figures {
    /// The `what` figures of `org_id`: the kept ones while they hold, else
    /// made by `make` and kept.
    pub async fn get_or<T, Fut>(
        &self,
        store: &pawl_store::Store,
        org_id: &str,
        what: &'static str,
        make: impl FnOnce() -> Fut,
    ) -> Result<Arc<T>, crate::ApiError>
    where
        T: Any + Send + Sync,
        Fut: std::future::Future<Output = Result<T, crate::ApiError>>,
    {
        let head = store.org(org_id).audit_event_count().await?;
        let day = time::OffsetDateTime::now_utc().date();
        if let Some(kept) = self.get(org_id, what, head, day) {
            return Ok(kept);
        }
        let made = Arc::new(make().await?);
        self.put(org_id, what, head, day, made.clone());
        Ok(made)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_used_only_at_its_head_and_day() {
        let f = Figures::default();
        let day = time::macros::date!(2026 - 12 - 07);
        f.put("org", "home", 41, day, Arc::new(7_u32));
        assert_eq!(f.get::<u32>("org", "home", 41, day).as_deref(), Some(&7));
        assert!(f.get::<u32>("org", "home", 42, day).is_none(), "the chain moved");
        assert!(
            f.get::<u32>("org", "home", 41, day.next_day().unwrap()).is_none(),
            "another day"
        );
        assert!(f.get::<u32>("other", "home", 41, day).is_none());
        assert!(f.get::<u32>("org", "readiness", 41, day).is_none());
        assert!(f.get::<String>("org", "home", 41, day).is_none(), "another type");
    }
}
