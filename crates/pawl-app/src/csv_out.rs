//! A small table as CSV, every cell a spreadsheet would run as a formula
//! neutralised: the one writer of the exports built whole in memory. A
//! leaf of the crate.

use crate::AppError;

/// `header` and `rows` as CSV bytes.
pub fn csv_bytes<R, C>(header: &[&str], rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>, AppError>
where
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let io = |e: csv::Error| AppError::Store(pawl_store::StoreError::Corrupt(format!("writing the export: {e}")));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(io)?;
    for row in rows {
        w.write_record(
            row.into_iter()
                .map(|c| pawl_domain::risk::import::spreadsheet_safe(c.as_ref()).into_owned()),
        )
        .map_err(io)?;
    }
    w.into_inner().map_err(|e| io(e.into_error().into()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_that_start_a_formula_are_neutralised_and_quotes_kept() {
        let out = super::csv_bytes(&["Name", "Note"], [vec!["=HYPERLINK(1)", "a, \"b\""]]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("Name,Note\n"), "{text}");
        assert!(!text.contains("\n=HYPERLINK"), "{text}");
        assert!(text.contains("\"a, \"\"b\"\"\""), "{text}");
    }
}
