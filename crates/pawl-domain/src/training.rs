//! Training completions from a spreadsheet (7.2, 7.3): columns `campaign`
//! (the campaign's reference or title), `email` and `completed_on`; any
//! other column is kept as a note. Every problem names its line and column.

use crate::identity::Email;
use crate::risk::import::{ImportProblem, Table};

/// One completion read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionRow {
    pub line: u64,
    pub campaign: String,
    pub email: String,
    pub completed_on: String,
    /// The other columns as `header: value`.
    pub notes: String,
}

const NEEDED: [&str; 3] = ["campaign", "email", "completed_on"];

fn problem(line: u64, column: Option<usize>, header: Option<&str>, message: impl Into<String>) -> ImportProblem {
    ImportProblem {
        line,
        column,
        header: header.map(str::to_owned),
        message: message.into(),
    }
}

/// Reads completions from a table; the rows, or every problem found.
pub fn parse_completions(table: &Table) -> Result<Vec<CompletionRow>, Vec<ImportProblem>> {
    let norm = |h: &str| h.trim().to_lowercase().replace([' ', '-'], "_");
    let find = |name: &str| table.header.iter().position(|h| norm(h) == name);
    let mut problems = Vec::new();
    let mut at = [0usize; 3];
    for (i, name) in NEEDED.iter().enumerate() {
        match find(name) {
            Some(c) => at[i] = c,
            None => problems.push(problem(
                1,
                None,
                None,
                format!("no `{name}` column; the file needs campaign, email and completed_on"),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if table.rows.is_empty() {
        return Err(vec![problem(
            2,
            None,
            None,
            "the file has no completions under its header",
        )]);
    }
    let mut rows = Vec::with_capacity(table.rows.len());
    for r in &table.rows {
        let cell = |c: usize| r.get(c).trim();
        let header = |c: usize| table.header.get(c).map(String::as_str);
        let (campaign, email, date) = (cell(at[0]), cell(at[1]), cell(at[2]));
        let mut ok = true;
        if campaign.is_empty() {
            problems.push(problem(
                r.line,
                Some(at[0] + 1),
                header(at[0]),
                "name the campaign by reference or title",
            ));
            ok = false;
        }
        let email = match Email::parse(email) {
            Ok(e) => e.as_str().to_owned(),
            Err(_) => {
                problems.push(problem(
                    r.line,
                    Some(at[1] + 1),
                    header(at[1]),
                    format!("{email:?} is not an e-mail address"),
                ));
                ok = false;
                String::new()
            }
        };
        let completed_on = match crate::register::check_date("completed_on", date) {
            Ok(d) => d,
            Err(_) => {
                problems.push(problem(
                    r.line,
                    Some(at[2] + 1),
                    header(at[2]),
                    format!("{date:?} is not a date (YYYY-MM-DD)"),
                ));
                ok = false;
                String::new()
            }
        };
        let notes: Vec<String> = table
            .header
            .iter()
            .enumerate()
            .filter(|(c, _)| !at.contains(c) && !cell(*c).is_empty())
            .map(|(c, h)| format!("{}: {}", h.trim(), cell(c)))
            .collect();
        if ok {
            rows.push(CompletionRow {
                line: r.line,
                campaign: campaign.to_owned(),
                email,
                completed_on,
                notes: notes.join("; "),
            });
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// Every month from `first` to `last` (`YYYY-MM`), with the counts given
/// and 0 for the months without.
pub fn fill_months(first: &str, last: &str, counts: &[(String, i64)]) -> Vec<(String, i64)> {
    let parse = |m: &str| -> Option<(i32, u32)> {
        let (y, mo) = m.split_once('-')?;
        Some((y.parse().ok()?, mo.parse().ok()?))
    };
    let (Some(mut at), Some(end)) = (parse(first), parse(last)) else {
        return counts.to_vec();
    };
    let mut out = Vec::new();
    while at <= end && out.len() < 600 {
        let key = format!("{:04}-{:02}", at.0, at.1);
        out.push((
            key.clone(),
            counts.iter().find(|(m, _)| *m == key).map_or(0, |(_, n)| *n),
        ));
        at = if at.1 == 12 { (at.0 + 1, 1) } else { (at.0, at.1 + 1) };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::import::read_csv;

    #[test]
    fn completions_keep_other_columns_as_notes_and_name_each_bad_cell() {
        let t = read_csv(b"Campaign,Email,Completed on,Score\nTRN-0001,Ada@Example.com,2026-03-01,92\n").unwrap();
        let rows = parse_completions(&t).unwrap();
        assert_eq!(rows[0].email, "ada@example.com");
        assert_eq!(rows[0].notes, "Score: 92");
        let t = read_csv(b"campaign,email,completed_on\n,bob,2026-13-01\nTRN-0001,c@example.com,2026-01-02\n").unwrap();
        let e = parse_completions(&t).unwrap_err();
        let at: Vec<(u64, Option<usize>)> = e.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(at, [(2, Some(1)), (2, Some(2)), (2, Some(3))], "{e:?}");
        let t = read_csv(b"who,when\na@example.com,2026-01-01\n").unwrap();
        assert_eq!(
            parse_completions(&t).unwrap_err().len(),
            3,
            "campaign, email and completed_on are missing"
        );
    }

    #[test]
    fn months_without_completions_are_listed_as_nought() {
        let m = fill_months("2025-11", "2026-02", &[("2025-12".into(), 4), ("2026-02".into(), 2)]);
        assert_eq!(m.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [0, 4, 0, 2]);
        assert_eq!(m[2].0, "2026-01");
    }
}
