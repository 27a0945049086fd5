//! Reading uploaded spreadsheets off the async runtime. Parsing a large
//! workbook takes seconds of CPU; run inside a handler it would hold a
//! runtime thread, and two at once would stall every other request on a
//! two-core machine.

use crate::error::ApiError;
use axum::http::StatusCode;
use pawl_domain::risk::import::{ImportProblem, Table};
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
