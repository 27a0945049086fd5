//! Spreadsheet reports and readers: the risk register (risk assessment
//! report, 8.2, and treatment plan, 6.1.3 e) as XLSX, and XLSX read into the
//! same table the CSV reader makes. Its own crate because XLSX libraries
//! are heavy to build. Also Markdown documents as sanitised HTML
//! (`markdown`), for the same reason, and a management review's pack as
//! PDF (`pdf`).

pub mod markdown;
pub mod pdf;
pub mod svg;
pub mod xlsx;
