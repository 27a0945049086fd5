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
const NUMERIC: [&str; 6] = [
    "Likelihood",
    "Impact",
    "Residual likelihood",
    "Residual impact",
    "Open actions",
    "Method version",
];

/// Columns written as date cells.
const DATES: [&str; 4] = ["Next review", "Accepted on", "Acceptance expires", "Updated"];

/// Writes the register to `path` as XLSX, as auditors filter and sort it:
/// the header on row 1, frozen, with an autofilter; dates as date cells and
/// scores as numbers; the title in the file's properties. Rows stream to a
/// temporary file (constant memory), so the register is never held whole.
pub async fn write_register(store: &Store, org_id: &str, title: &str, path: &Path) -> Result<usize, AppError> {
    let mut book = Workbook::new();
    book.set_properties(&DocProperties::new().set_title(title));
    let sheet = book.add_worksheet_with_constant_memory().map_err(failed)?;
    sheet.set_name("Risk register").map_err(failed)?;
    let bold = Format::new().set_bold();
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let instant = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let header = register_header();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(failed)?;
    }
    let numeric: Vec<bool> = header.iter().map(|h| NUMERIC.contains(h)).collect();
    let dates: Vec<bool> = header.iter().map(|h| DATES.contains(h)).collect();
    let mut row = 1u32;
    let n = for_each_register_row(store, org_id, |cells| {
        for (c, v) in cells.iter().enumerate() {
            let col = c as u16;
            if v.is_empty() {
                continue;
            }
            // An instant is written to the second; a date alone, as a day.
            let as_date = || ExcelDateTime::parse_from_str(v.get(..19).unwrap_or(v)).ok();
            match (v.parse::<f64>(), dates[c].then(as_date).flatten()) {
                (Ok(n), _) if numeric[c] => sheet.write_number(row, col, n).map(|_| ()),
                (_, Some(d)) => sheet
                    .write_datetime_with_format(row, col, &d, if v.len() > 10 { &instant } else { &day })
                    .map(|_| ()),
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

/// A plain table as XLSX: a bold header on row 1, frozen, with an
/// autofilter; every cell text, formula-like ones neutralised. For reports
/// small enough to hold, such as the acknowledgement status (7.3).
pub fn table_bytes(sheet_name: &str, header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    sheets_bytes(&[(sheet_name, header, rows)])
}

/// A sheet's name, header and rows.
pub type Sheet<'a> = (&'a str, &'a [&'a str], &'a [Vec<String>]);

/// Several small tables, a sheet each, laid out as [`table_bytes`] lays one.
pub fn sheets_bytes(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for (sheet_name, header, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*sheet_name).map_err(failed)?;
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(failed)?;
        }
        for (i, r) in rows.iter().enumerate() {
            for (c, v) in r.iter().enumerate() {
                sheet
                    .write_string(1 + i as u32, c as u16, spreadsheet_safe(v).as_ref())
                    .map_err(failed)?;
            }
        }
        let last_col = header.len().saturating_sub(1) as u16;
        sheet
            .autofilter(0, 0, rows.len().max(1) as u32, last_col)
            .map_err(failed)?;
        sheet.set_freeze_panes(1, 0).map_err(failed)?;
    }
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
    let n = register::for_each(store, org_id, kind, |r, names| {
        for (c, v) in register::export_cells(r, names).iter().enumerate() {
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

/// The most parts an uploaded workbook may hold; a spreadsheet has a few dozen.
pub const MAX_PARTS: usize = 1_000;
/// The most bytes any one part may inflate to.
pub const MAX_PART_BYTES: u64 = 64 << 20;
/// The most bytes all parts together may inflate to.
pub const MAX_INFLATED_BYTES: u64 = 160 << 20;

/// Inflates every part of the archive into nothing, stopping at the bounds,
/// so that a decompression bomb is refused before calamine reads any of it.
/// Costs one pass of inflation, bounded by [`MAX_INFLATED_BYTES`].
fn check_archive(bytes: &[u8]) -> Result<(), ImportProblem> {
    let refuse = |message: String| ImportProblem {
        line: 0,
        column: None,
        header: None,
        message,
    };
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| refuse(format!("not a readable XLSX file: {e}")))?;
    if zip.len() > MAX_PARTS {
        return Err(refuse(format!(
            "the workbook has {} parts; at most {MAX_PARTS} are read",
            zip.len()
        )));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip
            .by_index(i)
            .map_err(|e| refuse(format!("not a readable XLSX file: {e}")))?;
        let name = part.name().map(|n| n.into_owned()).unwrap_or_default();
        let n = std::io::copy(
            &mut std::io::Read::take(&mut part, MAX_PART_BYTES + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| refuse(format!("not a readable XLSX file: {name}: {e}")))?;
        if n > MAX_PART_BYTES {
            return Err(refuse(format!(
                "the workbook part {name} inflates past {} MiB, the most one part may hold",
                MAX_PART_BYTES >> 20
            )));
        }
        total += n;
        if total > MAX_INFLATED_BYTES {
            return Err(refuse(format!(
                "the workbook inflates past {} MiB, the most one import reads",
                MAX_INFLATED_BYTES >> 20
            )));
        }
    }
    Ok(())
}

/// Reads the first sheet of an XLSX file into a table, starting at the first
/// row that names a Title (or Risk) column, so a heading above it is skipped.
/// The sheet is read as a stream of cells, never as a dense range: a sheet
/// whose only cells are A1 and XFD1048576 costs two cells, not 2^34.
pub fn read_table(bytes: &[u8]) -> Result<Table, ImportProblem> {
    use calamine::{DataRef, Reader, Xlsx};
    use pawl_domain::risk::import::{check_cell, check_shape, Column, Record, MAX_COLUMNS};
    let problem = |line: u64, message: String| ImportProblem {
        line,
        column: None,
        header: None,
        message,
    };
    check_archive(bytes)?;
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| problem(0, format!("not a readable XLSX file: {e}")))?;
    let first = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| problem(0, "the workbook has no sheet".into()))?;
    let mut cells = book
        .worksheet_cells_reader(&first)
        .map_err(|e| problem(0, format!("the first sheet cannot be read: {e}")))?;
    let text = |d: &DataRef| -> String {
        match d {
            DataRef::Empty => String::new(),
            DataRef::String(s) => s.trim().to_owned(),
            DataRef::SharedString(s) => s.trim().to_owned(),
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            DataRef::Float(f) => f.to_string(),
            DataRef::Int(i) => i.to_string(),
            DataRef::Bool(b) => b.to_string(),
            DataRef::DateTime(dt) => excel_date(dt.as_f64()),
            DataRef::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_owned(),
            DataRef::DurationIso(s) => s.clone(),
            DataRef::Error(e) => format!("#{e:?}"),
        }
    };
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    // The row being gathered: its sheet row and its cells by column.
    let mut current: Option<(u32, Vec<String>)> = None;
    let finish = |row: Option<(u32, Vec<String>)>,
                  header: &mut Option<Vec<String>>,
                  rows: &mut Vec<Record>|
     -> Result<(), ImportProblem> {
        let Some((r, mut cells)) = row else { return Ok(()) };
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if cells.is_empty() {
            return Ok(());
        }
        // Spreadsheet rows count from 1.
        let line = u64::from(r) + 1;
        check_shape(line, cells.len(), rows.len())?;
        match header {
            None => {
                if cells.iter().any(|c| Column::recognise(c) == Some(Column::Title)) {
                    *header = Some(cells);
                }
            }
            Some(_) => rows.push(Record::new(line, cells)),
        }
        Ok(())
    };
    loop {
        let cell = cells
            .next_cell()
            .map_err(|e| problem(0, format!("the first sheet cannot be read: {e}")))?;
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        let value = text(cell.get_value());
        if value.is_empty() {
            continue;
        }
        let col = c as usize;
        if col >= MAX_COLUMNS {
            return Err(ImportProblem {
                line: u64::from(r) + 1,
                column: Some(col + 1),
                header: None,
                message: format!(
                    "a value in column {}; a register may have at most {MAX_COLUMNS} columns",
                    col + 1
                ),
            });
        }
        check_cell(u64::from(r) + 1, col, &value)?;
        if current.as_ref().is_none_or(|(at, _)| *at != r) {
            finish(current.take(), &mut header, &mut rows)?;
            current = Some((r, Vec::new()));
        }
        if let Some((_, row)) = current.as_mut() {
            if row.len() <= col {
                row.resize(col + 1, String::new());
            }
            row[col] = value;
        }
    }
    finish(current.take(), &mut header, &mut rows)?;
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

/// An audit report (9.2.2 f) as a workbook: the audit, its checklist and
/// its findings, a sheet each.
pub fn audit_report_bytes(r: &pawl_app::internal_audit::AuditReport) -> Result<Vec<u8>, AppError> {
    use pawl_app::internal_audit::{CHECKLIST_HEADER, FINDING_HEADER};
    let summary: Vec<Vec<String>> = r.summary().into_iter().map(|(k, v)| vec![k.to_owned(), v]).collect();
    sheets_bytes(&[
        ("Audit", &["Item", "Value"], &summary),
        ("Checklist", &CHECKLIST_HEADER, &r.checklist_rows()),
        ("Findings", &FINDING_HEADER, &r.finding_rows()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        for (r, c, v) in cells {
            sheet.write_string(*r, *c, *v).unwrap();
        }
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn a_sheet_spanning_the_whole_grid_costs_its_cells_not_its_area() {
        // The probe's workbook: A1 and XFD1048576, which a dense range makes 2^34 cells.
        let bytes = book(&[(0, 0, "Title"), (1_048_575, 16_383, "x")]);
        assert!(bytes.len() < 10_000);
        let e = read_table(&bytes).unwrap_err();
        assert_eq!((e.line, e.column), (1_048_576, Some(16_384)));
        assert!(e.message.contains("at most 200 columns"), "{}", e.message);
        // Far-apart rows in the allowed columns are read as two rows.
        let t = read_table(&book(&[(0, 0, "Title"), (1_048_575, 3, "x")])).unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!((t.rows[0].line, t.rows[0].get(3)), (1_048_576, "x"));
    }

    /// A bounded fuzz run over both readers: valid and hostile seeds, each
    /// mutated by flipped, inserted, deleted and repeated bytes. Every input
    /// must come back as a table or a problem, never as a panic. Seeded, so a
    /// failure repeats; the probe's inputs are among the seeds.
    #[test]
    fn mutated_sheets_come_back_as_tables_or_problems() {
        let csv = b"Risk ID,Title,Description,Likelihood,Impact,Next review\nR-0001,Phishing,\"a, b\nc\",3,4,31/12/2027\n;x;\"\n".to_vec();
        let seeds = [
            csv,
            book(&[(0, 0, "Title"), (0, 1, "Likelihood"), (1, 0, "Phishing"), (1, 1, "3")]),
            book(&[(0, 0, "Title"), (1_048_575, 16_383, "x")]),
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let started = std::time::Instant::now();
        for round in 0..20_000 {
            let mut input = seeds[round % seeds.len()].clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() as usize) % input.len().max(1);
                match next() % 4 {
                    0 if !input.is_empty() => input[at] ^= 1 << (next() % 8),
                    1 => input.insert(at.min(input.len()), next() as u8),
                    2 if !input.is_empty() => {
                        input.remove(at);
                    }
                    _ => {
                        let end = (at + 1 + (next() as usize) % 64).min(input.len());
                        let piece = input[at.min(end)..end].to_vec();
                        input.splice(at.min(input.len())..at.min(input.len()), piece);
                    }
                }
            }
            let _ = read_sheet(&input);
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_part_that_inflates_past_its_bound_is_refused_by_name() {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let block = vec![b' '; 1 << 20];
        for _ in 0..=(MAX_PART_BYTES >> 20) {
            zip.write_all(&block).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        assert!(bytes.len() < 1 << 20, "{}", bytes.len());
        let e = read_sheet(&bytes).unwrap_err();
        assert!(
            e.message.contains("xl/worksheets/sheet1.xml inflates past 64 MiB"),
            "{}",
            e.message
        );
    }

    #[test]
    fn excel_serials_become_iso_dates() {
        assert_eq!(super::excel_date(46387.0), "2026-12-31");
        assert_eq!(super::excel_date(45658.75), "2025-01-01");
    }
}
