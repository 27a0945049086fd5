//! Reading uploaded spreadsheets off the async runtime. Parsing a large
//! workbook takes seconds of CPU; run inside a handler it would hold a
//! runtime thread, and two at once would stall every other request on a
//! two-core machine.

use crate::error::ApiError;
use axum::http::StatusCode;
use pawl_domain::risk::import::{ImportProblem, Table};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How many uploads are parsed at once; the others wait their turn.
const PARSERS: usize = 2;

static PARSING: Semaphore = Semaphore::const_new(PARSERS);

/// Runs `read` on a blocking thread, at most [`PARSERS`] at a time.
/// The bytes move to the thread as they are: a request body is not copied.
async fn parse<T: Send + 'static>(
    bytes: impl AsRef<[u8]> + Send + 'static,
    read: fn(&[u8]) -> T,
) -> Result<T, ApiError> {
    let busy = || {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Busy",
            "the server is shutting down",
        )
    };
    let _permit = PARSING.acquire().await.map_err(|_| busy())?;
    tokio::task::spawn_blocking(move || read(bytes.as_ref()))
        .await
        .map_err(|_| busy())
}

/// An uploaded register, CSV or XLSX.
pub async fn read_sheet(bytes: impl AsRef<[u8]> + Send + 'static) -> Result<Result<Table, ImportProblem>, ApiError> {
    parse(bytes, pawl_reports::xlsx::read_sheet).await
}

/// An uploaded CSV file.
pub async fn read_csv(bytes: impl AsRef<[u8]> + Send + 'static) -> Result<Result<Table, ImportProblem>, ApiError> {
    parse(bytes, pawl_domain::risk::import::read_csv).await
}

/// A file a person checked with a dry run, kept so that the real run needs
/// no second upload, with what the check found.
pub struct Pending<R> {
    pub bytes: axum::body::Bytes,
    pub report: R,
}

/// Checked files waiting for their real run: each for its own person in
/// its own organisation, for half an hour, within a memory budget (the
/// oldest go first). Held in this process: a restart or another replica
/// asks for the file again: a second upload, never lost data.
pub struct PendingUploads<R> {
    inner: Mutex<Vec<Entry<R>>>,
}

struct Entry<R> {
    id: String,
    owner: (String, String),
    at: Instant,
    pending: Pending<R>,
}

const PENDING_FOR: Duration = Duration::from_secs(30 * 60);
const PENDING_BYTES: usize = 128 << 20;

impl<R: Clone> PendingUploads<R> {
    pub const fn new() -> Self {
        PendingUploads {
            inner: Mutex::new(Vec::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Entry<R>>> {
        // A panic while holding the lock leaves the list usable.
        let mut v = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        v.retain(|e| e.at.elapsed() < PENDING_FOR);
        v
    }

    /// Keeps a checked file for (organisation, person); returns its id.
    pub fn keep(&self, org_id: &str, user_id: &str, pending: Pending<R>) -> String {
        let id = pawl_app::auth::random_secret();
        let mut v = self.entries();
        v.push(Entry {
            id: id.clone(),
            owner: (org_id.to_owned(), user_id.to_owned()),
            at: Instant::now(),
            pending,
        });
        while v.iter().map(|e| e.pending.bytes.len()).sum::<usize>() > PENDING_BYTES && v.len() > 1 {
            v.remove(0);
        }
        id
    }

    /// What the check found, for showing; the file stays.
    pub fn report(&self, org_id: &str, user_id: &str, id: &str) -> Option<R> {
        self.entries()
            .iter()
            .find(|e| e.id == id && e.owner.0 == org_id && e.owner.1 == user_id)
            .map(|e| e.pending.report.clone())
    }

    /// The checked file, taken for its real run.
    pub fn take(&self, org_id: &str, user_id: &str, id: &str) -> Option<Pending<R>> {
        let mut v = self.entries();
        let i = v
            .iter()
            .position(|e| e.id == id && e.owner.0 == org_id && e.owner.1 == user_id)?;
        Some(v.remove(i).pending)
    }
}
