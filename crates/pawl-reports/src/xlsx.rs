//! XLSX in and out.

use pawl_app::control::{soa_cells, FrozenRow, SOA_HEADER};
use pawl_app::register;
use pawl_app::risk::{for_each_register_row, register_header};
use pawl_app::AppError;
use pawl_domain::register::{FieldKind, Kind};
use pawl_domain::risk::import::{spreadsheet_safe, ImportProblem, Table};
use pawl_store::{Store, StoreError};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
use std::io::Cursor;
use std::path::Path;

/// Reads an uploaded register, CSV or XLSX, told apart by its bytes: the
/// one reader for the API, the UI and the CLI.
pub fn read_sheet(bytes: &[u8]) -> Result<Table, ImportProblem> {
    if is_xlsx(bytes) {
        read_table(bytes)
    } else {
        pawl_domain::risk::import::read_csv(bytes)
    }
}

/// Does this look like an XLSX file (a ZIP archive)?
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn failed(e: impl std::fmt::Display) -> AppError {
    AppError::Store(StoreError::Corrupt(format!("writing the spreadsheet: {e}")))
}

/// Columns written as numbers rather than text.
const NUMERIC: [&str; 5] = [
    "Likelihood",
    "Impact",
    "Residual likelihood",
    "Residual impact",
    "Method version",
];

/// Writes the register to `path` as XLSX. Rows stream to a temporary file
/// (constant memory), so the register is never held whole.
pub async fn write_register(store: &Store, org_id: &str, title: &str, path: &Path) -> Result<usize, AppError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().map_err(failed)?;
    sheet.set_name("Risk register").map_err(failed)?;
    let bold = Format::new().set_bold();
    let header = register_header();
    sheet.write_string_with_format(0, 0, title, &bold).map_err(failed)?;
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *h, &bold).map_err(failed)?;
    }
    let numeric: Vec<bool> = header.iter().map(|h| NUMERIC.contains(h)).collect();
    let mut row = 3u32;
    let n = for_each_register_row(store, org_id, |cells| {
        for (c, v) in cells.iter().enumerate() {
            let col = c as u16;
            match v.parse::<f64>() {
                Ok(n) if numeric[c] => sheet.write_number(row, col, n).map(|_| ()),
                _ if v.is_empty() => Ok(()),
                _ => sheet.write_string(row, col, spreadsheet_safe(v).as_ref()).map(|_| ()),
            }
            .map_err(failed)?;
        }
        row += 1;
        Ok(())
    })
    .await?;
    sheet.set_freeze_panes(3, 0).map_err(failed)?;
    book.save(path).map_err(failed)?;
    Ok(n)
}

/// The SoA as XLSX bytes: the heading (version, approver, date) above one
/// row per Annex A control. 93 rows, so it is built in memory.
pub fn soa_bytes(heading: &str, rows: &[FrozenRow]) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Statement of Applicability").map_err(failed)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    sheet.write_string_with_format(0, 0, heading, &bold).map_err(failed)?;
    for (c, h) in SOA_HEADER.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *h, &bold).map_err(failed)?;
    }
    for (i, r) in rows.iter().enumerate() {
        for (c, v) in soa_cells(r).iter().enumerate() {
            sheet
                .write_string_with_format(3 + i as u32, c as u16, spreadsheet_safe(v).as_ref(), &wrap)
                .map_err(failed)?;
        }
    }
    for (c, width) in [10, 45, 11, 28, 60, 20, 45, 40].into_iter().enumerate() {
        sheet.set_column_width(c as u16, width).map_err(failed)?;
    }
    sheet.set_freeze_panes(3, 2).map_err(failed)?;
    book.save_to_buffer().map_err(failed)
}

/// Any declared register as XLSX, written as auditors filter and sort it:
/// the header on row 1, frozen, with an autofilter; dates as date cells,
/// numbers as numbers, labels rather than codes (codes in columns of their
/// own); the title in the file's properties. Rows stream to a temporary
/// file (constant memory).
pub async fn write_records(store: &Store, org_id: &str, kind: &'static Kind, path: &Path) -> Result<usize, AppError> {
    let mut book = Workbook::new();
    book.set_properties(&DocProperties::new().set_title(format!("{} ({})", kind.plural, kind.clause)));
    let sheet = book.add_worksheet_with_constant_memory().map_err(failed)?;
    sheet.set_name(kind.plural).map_err(failed)?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let header = register::export_header(kind);
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold).map_err(failed)?;
    }
    // What each column holds, from the declaration, in export_header order.
    let mut kinds: Vec<Cell> = Vec::new();
    if kind.prefix.is_some() {
        kinds.push(Cell::Text);
    }
    for f in kind.fields {
        kinds.push(match f.kind {
            FieldKind::Date => Cell::Date,
            FieldKind::Number { .. } => Cell::Number,
            _ => Cell::Text,
        });
        if matches!(f.kind, FieldKind::Choice(_)) {
            kinds.push(Cell::Text);
        }
    }
    if kind.workflow.is_some() {
        kinds.extend([Cell::Text, Cell::Text]);
    }
    kinds.extend([Cell::Date, Cell::Date, Cell::Number]);
    let mut row = 1u32;
    let n = register::for_each(store, org_id, kind, |r| {
        for (c, v) in register::export_cells(r).iter().enumerate() {
            let col = c as u16;
            if v.is_empty() {
                continue;
            }
            match kinds.get(c) {
                Some(Cell::Number) if v.parse::<f64>().is_ok() => sheet
                    .write_number(row, col, v.parse::<f64>().unwrap_or_default())
                    .map(|_| ()),
                Some(Cell::Date) => match ExcelDateTime::parse_from_str(v) {
                    Ok(d) => sheet.write_datetime_with_format(row, col, &d, &date).map(|_| ()),
                    Err(_) => sheet.write_string(row, col, spreadsheet_safe(v).as_ref()).map(|_| ()),
                },
                _ => sheet.write_string(row, col, spreadsheet_safe(v).as_ref()).map(|_| ()),
            }
            .map_err(failed)?;
        }
        row += 1;
        Ok(())
    })
    .await?;
    let last_col = header.len().saturating_sub(1) as u16;
    sheet
        .autofilter(0, 0, row.saturating_sub(1).max(1), last_col)
        .map_err(failed)?;
    sheet.set_freeze_panes(1, 0).map_err(failed)?;
    book.save(path).map_err(failed)?;
    Ok(n)
}

enum Cell {
    Text,
    Number,
    Date,
}

/// A register as XLSX bytes, for an HTTP download.
pub async fn records_bytes(store: &Store, org_id: &str, kind: &'static Kind) -> Result<Vec<u8>, AppError> {
    let path = temp_path();
    let written = write_records(store, org_id, kind, &path).await;
    let bytes = written.and_then(|_| std::fs::read(&path).map_err(failed));
    let _ = std::fs::remove_file(&path);
    bytes
}

/// The register as XLSX bytes, for an HTTP download; written through a
/// temporary file that is removed afterwards.
pub async fn register_bytes(store: &Store, org_id: &str, title: &str) -> Result<Vec<u8>, AppError> {
    let path = temp_path();
    let written = write_register(store, org_id, title, &path).await;
    let bytes = written.and_then(|_| std::fs::read(&path).map_err(failed));
    let _ = std::fs::remove_file(&path);
    bytes
}

/// A fresh temporary file name for one export.
fn temp_path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("pawl-export-{}-{}.xlsx", std::process::id(), unique()))
}

fn unique() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    t ^ u128::from(N.fetch_add(1, Ordering::Relaxed))
}

/// Reads the first sheet of an XLSX file into a table, starting at the first
/// row that names a Title (or Risk) column, so a heading above it is skipped.
pub fn read_table(bytes: &[u8]) -> Result<Table, ImportProblem> {
    use calamine::{Data, Reader, Xlsx};
    let problem = |line: u64, message: String| ImportProblem {
        line,
        column: None,
        header: None,
        message,
    };
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| problem(0, format!("not a readable XLSX file: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| problem(0, "the workbook has no sheet".into()))?
        .map_err(|e| problem(0, format!("the first sheet cannot be read: {e}")))?;
    let text = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.trim().to_owned(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(dt) => excel_date(dt.as_f64()),
            Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_owned(),
            Data::DurationIso(s) => s.clone(),
            Data::Error(e) => format!("#{e:?}"),
        }
    };
    let start_row = range.start().map(|(r, _)| r as u64).unwrap_or(0);
    let mut header = None;
    let mut rows = Vec::new();
    for (i, r) in range.rows().enumerate() {
        let cells: Vec<String> = r.iter().map(text).collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        // Spreadsheet rows count from 1.
        let line = start_row + i as u64 + 1;
        match header {
            None => {
                let names_title = cells.iter().any(|c| {
                    pawl_domain::risk::import::Column::recognise(c) == Some(pawl_domain::risk::import::Column::Title)
                });
                if names_title {
                    header = Some(cells);
                }
            }
            Some(_) => rows.push(pawl_domain::risk::import::Record::new(line, cells)),
        }
    }
    let header = header.ok_or_else(|| problem(1, "no header row naming a Title or Risk column was found".into()))?;
    Ok(Table { header, rows })
}

/// An Excel date serial as YYYY-MM-DD (the 1900 system, whose day 60 is the
/// fictitious 29 February 1900; serials from 61 count from 30 December 1899).
fn excel_date(serial: f64) -> String {
    let base = time::macros::date!(1899 - 12 - 30);
    match base.checked_add(time::Duration::days(serial.floor() as i64)) {
        Some(d) => d.to_string(),
        None => serial.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn excel_serials_become_iso_dates() {
        assert_eq!(super::excel_date(46387.0), "2026-12-31");
        assert_eq!(super::excel_date(45658.75), "2025-01-01");
    }
}
