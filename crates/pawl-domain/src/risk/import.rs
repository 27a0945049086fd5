//! Reading a risk register from a spreadsheet: recognising the columns
//! people use, tolerating the ways files differ, and reporting every
//! problem with its line and column. Pure: the caller supplies the bytes.

use super::method::Axis;
use super::{normalise, parse_reference, Cia, RiskMethod, RiskStatus, TreatmentOption};
use crate::DomainError;
use serde::Serialize;
use std::collections::HashMap;
use time::Date;

/// What a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Reference,
    Title,
    Description,
    Category,
    Assets,
    Threat,
    Vulnerability,
    Owner,
    Cia,
    Likelihood,
    Impact,
    Treatment,
    ResidualLikelihood,
    ResidualImpact,
    NextReview,
    Status,
    /// When the scores in the row were assessed, for importing history;
    /// read on import only (exports date nothing: the trail has it).
    AssessedOn,
}

impl Column {
    pub const ALL: [Column; 16] = [
        Column::Reference,
        Column::Title,
        Column::Description,
        Column::Category,
        Column::Assets,
        Column::Threat,
        Column::Vulnerability,
        Column::Owner,
        Column::Cia,
        Column::Likelihood,
        Column::Impact,
        Column::Treatment,
        Column::ResidualLikelihood,
        Column::ResidualImpact,
        Column::NextReview,
        Column::Status,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Column::Reference => "reference",
            Column::Title => "title",
            Column::Description => "description",
            Column::Category => "category",
            Column::Assets => "assets",
            Column::Threat => "threat",
            Column::Vulnerability => "vulnerability",
            Column::Owner => "owner",
            Column::Cia => "cia",
            Column::Likelihood => "likelihood",
            Column::Impact => "impact",
            Column::Treatment => "treatment",
            Column::ResidualLikelihood => "residual_likelihood",
            Column::ResidualImpact => "residual_impact",
            Column::NextReview => "next_review",
            Column::Status => "status",
            Column::AssessedOn => "assessed_on",
        }
    }

    /// The header pawl writes on export, which import reads back.
    pub fn header(self) -> &'static str {
        match self {
            Column::Reference => "Risk ID",
            Column::Title => "Title",
            Column::Description => "Description",
            Column::Category => "Category",
            Column::Assets => "Assets",
            Column::Threat => "Threat",
            Column::Vulnerability => "Vulnerability",
            Column::Owner => "Risk owner",
            Column::Cia => "CIA",
            Column::Likelihood => "Likelihood",
            Column::Impact => "Impact",
            Column::Treatment => "Treatment",
            Column::ResidualLikelihood => "Residual likelihood",
            Column::ResidualImpact => "Residual impact",
            Column::NextReview => "Next review",
            Column::Status => "Status",
            Column::AssessedOn => "Assessed on",
        }
    }

    pub fn parse_key(s: &str) -> Option<Column> {
        Column::ALL
            .into_iter()
            .chain([Column::AssessedOn])
            .find(|c| c.key() == s.trim())
    }

    /// Recognises the headers spreadsheets commonly use, whatever their
    /// case and punctuation.
    pub fn recognise(header: &str) -> Option<Column> {
        let h = normalise(header);
        let c = match h.as_str() {
            "riskid" | "id" | "ref" | "reference" | "riskref" | "riskreference" | "risknumber" | "riskno" | "no" => {
                Column::Reference
            }
            "title" | "risk" | "riskname" | "name" | "risktitle" | "summary" => Column::Title,
            "description" | "riskdescription" | "details" | "scenario" | "riskscenario" => Column::Description,
            "category" | "riskcategory" | "type" | "risktype" => Column::Category,
            "asset" | "assets" | "affectedasset" | "affectedassets" | "assetname" | "informationasset" => {
                Column::Assets
            }
            "threat" | "threats" | "threatsource" => Column::Threat,
            "vulnerability" | "vulnerabilities" | "weakness" => Column::Vulnerability,
            "owner" | "riskowner" | "responsible" | "accountable" | "ownedby" => Column::Owner,
            "cia" | "securityproperties" | "ciaimpact" | "affects" => Column::Cia,
            "likelihood" | "probability" | "inherentlikelihood" | "inherentprobability" | "l" | "p" => {
                Column::Likelihood
            }
            "impact" | "consequence" | "severity" | "inherentimpact" | "inherentconsequence" | "i" => Column::Impact,
            "treatment" | "treatmentoption" | "riskresponse" | "response" | "riskdecision" | "decision" => {
                Column::Treatment
            }
            "residuallikelihood" | "residualprobability" | "targetlikelihood" => Column::ResidualLikelihood,
            "residualimpact" | "residualconsequence" | "residualseverity" => Column::ResidualImpact,
            "nextreview" | "nextreviewdate" | "reviewdate" | "reviewdue" | "duedate" | "review" => Column::NextReview,
            "status" | "riskstatus" | "state" => Column::Status,
            "assessedon" | "assessmentdate" | "dateassessed" | "lastassessed" | "lastassessmentdate"
            | "dateofassessment" => Column::AssessedOn,
            _ => return None,
        };
        Some(c)
    }
}

/// One risk as read from a row.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ImportedRisk {
    /// The file line the row starts on (1 is the header).
    pub line: u64,
    pub reference: Option<String>,
    pub title: String,
    pub description: String,
    pub category: String,
    pub assets: Vec<String>,
    pub threat: String,
    pub vulnerability: String,
    pub owner: Option<String>,
    pub cia: Cia,
    pub likelihood: Option<u8>,
    pub impact: Option<u8>,
    pub treatment: Option<TreatmentOption>,
    pub residual_likelihood: Option<u8>,
    pub residual_impact: Option<u8>,
    #[serde(with = "iso_date_opt")]
    pub next_review: Option<Date>,
    #[serde(with = "iso_date_opt")]
    pub assessed_on: Option<Date>,
    pub status: Option<RiskStatus>,
}

mod iso_date_opt {
    use serde::Serializer;
    use time::Date;
    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&d.to_string()),
            None => s.serialize_none(),
        }
    }
}

/// A problem in the file, where a person can find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportProblem {
    pub line: u64,
    /// 1-based column number, when the problem is in one cell.
    pub column: Option<usize>,
    /// The column's header as written in the file.
    pub header: Option<String>,
    pub message: String,
}

/// Everything read from a file: the rows, and what was wrong or doubtful.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ParsedRegister {
    pub rows: Vec<ImportedRisk>,
    pub errors: Vec<ImportProblem>,
    pub warnings: Vec<ImportProblem>,
    /// Each header in the file and the field it was read as.
    pub columns: Vec<(String, Option<Column>)>,
}

/// A table as read from a file: its header and its rows.
#[derive(Debug)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Record>,
}

/// One row of a table and the file line it starts on. Its cells share one
/// buffer: a 100,000-row register costs two allocations a row instead of one
/// a cell, which is most of what reading it holds in memory.
#[derive(Debug)]
pub struct Record {
    pub line: u64,
    text: String,
    ends: Box<[u32]>,
}

impl Record {
    pub fn new<S: AsRef<str>>(line: u64, cells: impl IntoIterator<Item = S>) -> Record {
        let mut text = String::new();
        let mut ends = Vec::new();
        for c in cells {
            text.push_str(c.as_ref());
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        Record {
            line,
            text,
            ends: ends.into_boxed_slice(),
        }
    }

    /// The cell in column `i`, empty past the row's end.
    pub fn get(&self, i: usize) -> &str {
        let Some(&end) = self.ends.get(i) else { return "" };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start as usize..end as usize).unwrap_or("")
    }
}

/// The most columns a table may have: a register has about twenty, so more
/// than this is a broken or hostile file, refused before its cells are held.
pub const MAX_COLUMNS: usize = 200;
/// The most data rows a table may have.
pub const MAX_ROWS: usize = 200_000;
/// The longest line a CSV file may have, checked before it is parsed.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Refuses a row that would take a table past its bounds: the one check
/// both readers make before they keep a row, so that no shape of file makes
/// them allocate without limit.
pub fn check_shape(line: u64, columns: usize, rows_kept: usize) -> Result<(), ImportProblem> {
    let refuse = |message: String| ImportProblem {
        line,
        column: None,
        header: None,
        message,
    };
    if columns > MAX_COLUMNS {
        return Err(refuse(format!(
            "the row has {columns} columns; a register may have at most {MAX_COLUMNS}"
        )));
    }
    if rows_kept >= MAX_ROWS {
        return Err(refuse(format!(
            "the file has more than {MAX_ROWS} rows, the most one import takes; split it"
        )));
    }
    Ok(())
}

/// Refuses a cell holding a control character other than tab or a line
/// break: PostgreSQL cannot store NUL, and no register means anything by one.
pub fn check_cell(line: u64, column: usize, value: &str) -> Result<(), ImportProblem> {
    match value.chars().find(|c| crate::register::is_forbidden_char(*c)) {
        Some(c) => Err(ImportProblem {
            line,
            column: Some(column + 1),
            header: None,
            message: format!("the cell holds a control character (U+{:04X}); remove it", u32::from(c)),
        }),
        None => Ok(()),
    }
}

/// The first line longer than [`MAX_LINE_BYTES`], as a problem.
fn check_lines(text: &str) -> Result<(), ImportProblem> {
    match text.split('\n').position(|l| l.len() > MAX_LINE_BYTES) {
        Some(i) => Err(ImportProblem {
            line: i as u64 + 1,
            column: None,
            header: None,
            message: format!(
                "the line is longer than {} MiB, the most one line may hold",
                MAX_LINE_BYTES >> 20
            ),
        }),
        None => Ok(()),
    }
}

/// Reads CSV text: a UTF-8 byte-order mark, `,` or `;` separators, quoted
/// fields with newlines and blank rows are all tolerated.
pub fn read_csv(bytes: &[u8]) -> Result<Table, ImportProblem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64 + 1;
        ImportProblem {
            line,
            column: None,
            header: None,
            message: "the file is not UTF-8 text; save it as CSV UTF-8".into(),
        }
    })?;
    check_lines(text)?;
    let delimiter = detect_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header = None;
    let mut rows = Vec::new();
    let mut lines = LineCounter::new(text);
    for rec in reader.records() {
        let rec = rec.map_err(|e| ImportProblem {
            line: e
                .position()
                .map(|p| LineCounter::new(text).line_of(p.byte()))
                .unwrap_or(0),
            column: None,
            header: None,
            message: format!("unreadable CSV: {e}"),
        })?;
        // The file line, counting newlines inside quoted fields too.
        let line = rec.position().map(|p| lines.line_of(p.byte())).unwrap_or(0);
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        check_shape(line, rec.len(), rows.len())?;
        for (i, cell) in rec.iter().enumerate() {
            check_cell(line, i, cell)?;
        }
        if header.is_none() {
            header = Some(rec.iter().map(|c| c.trim().to_owned()).collect());
        } else {
            rows.push(Record::new(line, rec.iter().map(str::trim)));
        }
    }
    let header = header.ok_or(ImportProblem {
        line: 1,
        column: None,
        header: None,
        message: "the file is empty: expected a header row and risks".into(),
    })?;
    Ok(Table { header, rows })
}

/// Turns byte offsets into file lines, counting newlines inside quoted
/// fields too. Offsets only grow, so it counts each byte once.
struct LineCounter<'t> {
    bytes: &'t [u8],
    at: usize,
    line: u64,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    fn line_of(&mut self, byte: u64) -> u64 {
        let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len());
        // A record's position can point at the line end before it (and at
        // skipped empty lines): the record itself starts after them.
        while end < self.bytes.len() && matches!(self.bytes[end], b'\r' | b'\n') {
            end += 1;
        }
        if end > self.at {
            self.line += self.bytes[self.at..end].iter().filter(|b| **b == b'\n').count() as u64;
            self.at = end;
        }
        self.line
    }
}

/// `;` when the header line has more semicolons than commas outside quotes.
fn detect_delimiter(text: &str) -> u8 {
    let (mut commas, mut semis, mut quoted) = (0, 0, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semis += 1,
            '\n' if !quoted => break,
            _ => {}
        }
    }
    if semis > commas {
        b';'
    } else {
        b','
    }
}

/// Which order a column writes its dates in, decided from all its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateOrder {
    DayFirst,
    MonthFirst,
}

fn numeric_date_parts(s: &str) -> Option<(u32, u32, i32)> {
    let parts: Vec<&str> = s.split(['/', '.', '-']).collect();
    if parts.len() != 3 || parts[0].len() > 2 || parts[1].len() > 2 || parts[2].len() != 4 {
        return None;
    }
    Some((parts[0].parse().ok()?, parts[1].parse().ok()?, parts[2].parse().ok()?))
}

fn decide_date_order(values: &[&str]) -> Result<(DateOrder, bool), String> {
    let (mut day_first, mut month_first) = (false, false);
    for v in values {
        if let Some((a, b, _)) = numeric_date_parts(v) {
            day_first |= a > 12;
            month_first |= b > 12;
        }
    }
    match (day_first, month_first) {
        (true, true) => Err("the column mixes day-first and month-first dates".into()),
        (false, true) => Ok((DateOrder::MonthFirst, false)),
        (true, false) => Ok((DateOrder::DayFirst, false)),
        // Every date reads both ways: take day-first, and say so.
        (false, false) => Ok((
            DateOrder::DayFirst,
            values.iter().any(|v| numeric_date_parts(v).is_some()),
        )),
    }
}

fn parse_date(s: &str, order: DateOrder) -> Option<Date> {
    if let Ok(d) = Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")) {
        return Some(d);
    }
    let (a, b, y) = numeric_date_parts(s)?;
    let (d, m) = match order {
        DateOrder::DayFirst => (a, b),
        DateOrder::MonthFirst => (b, a),
    };
    Date::from_calendar_date(
        y,
        time::Month::try_from(u8::try_from(m).ok()?).ok()?,
        u8::try_from(d).ok()?,
    )
    .ok()
}

/// Turns a table into risks. `mapping` (header → column key) overrides
/// recognition for the headers it names.
/// Consumes the table: each row is freed once read, so the raw table and the
/// parsed rows are never held in full at the same time.
pub fn parse_table(table: Table, method: &RiskMethod, mapping: &HashMap<String, String>) -> ParsedRegister {
    let mut out = ParsedRegister::default();
    let problem = |line: u64, col: Option<usize>, header: Option<&str>, message: String| ImportProblem {
        line,
        column: col.map(|c| c + 1),
        header: header.map(str::to_owned),
        message,
    };
    let mut columns: Vec<Option<Column>> = Vec::new();
    let mut ignored = Vec::new();
    for (i, h) in table.header.iter().enumerate() {
        let c = match mapping.get(h) {
            Some(key) if key.is_empty() || key == "ignore" => None,
            Some(key) => match Column::parse_key(key) {
                Some(c) => Some(c),
                None => {
                    out.errors.push(problem(
                        1,
                        Some(i),
                        Some(h),
                        format!("the mapping names an unknown field {key:?}"),
                    ));
                    None
                }
            },
            None => Column::recognise(h),
        };
        if let Some(c) = c {
            if columns.contains(&Some(c)) {
                out.errors
                    .push(problem(1, Some(i), Some(h), format!("a second column for {}", c.key())));
            }
        } else if !h.is_empty() {
            ignored.push(i);
        }
        columns.push(c);
        out.columns.push((h.clone(), c));
    }
    // One warning for all of them: a file of many odd columns gets one line.
    if let Some(&first) = ignored.first() {
        const NAMED: usize = 10;
        let names: Vec<&str> = ignored.iter().take(NAMED).map(|i| table.header[*i].as_str()).collect();
        let more = ignored.len().saturating_sub(NAMED);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let message = if ignored.len() == 1 {
            "column not recognised; it is ignored".to_owned()
        } else {
            format!(
                "{} columns not recognised and ignored: {}{more}",
                ignored.len(),
                names.join(", ")
            )
        };
        out.warnings
            .push(problem(1, Some(first), Some(&table.header[first]), message));
    }
    if !columns.contains(&Some(Column::Title)) {
        out.errors.push(problem(
            1,
            None,
            None,
            "no title column: name one Title or Risk, or map a column to title".into(),
        ));
        return out;
    }
    let col_of = |c: Column| columns.iter().position(|x| *x == Some(c));
    // One date order for the file, decided from every date column in it.
    let date_cols: Vec<usize> = [Column::NextReview, Column::AssessedOn]
        .into_iter()
        .filter_map(col_of)
        .collect();
    let date_order = match date_cols.first().copied() {
        Some(i) => {
            let values: Vec<&str> = table
                .rows
                .iter()
                .flat_map(|r| date_cols.iter().map(move |c| r.get(*c)))
                .filter(|v| !v.is_empty())
                .collect();
            match decide_date_order(&values) {
                Ok((order, ambiguous)) => {
                    let numeric = values.iter().any(|v| numeric_date_parts(v).is_some());
                    let note = match (ambiguous, order) {
                        (true, _) => Some("every date reads both day-first and month-first; read as day-first"),
                        (false, _) if !numeric => None,
                        (false, DateOrder::DayFirst) => Some("dates read day-first (31/03/2027)"),
                        (false, DateOrder::MonthFirst) => Some("dates read month-first (03/31/2027)"),
                    };
                    if let Some(note) = note {
                        out.warnings
                            .push(problem(1, Some(i), Some(&table.header[i]), note.into()));
                    }
                    order
                }
                Err(msg) => {
                    out.errors.push(problem(1, Some(i), Some(&table.header[i]), msg));
                    DateOrder::DayFirst
                }
            }
        }
        None => DateOrder::DayFirst,
    };
    let mut seen_refs: HashMap<String, u64> = HashMap::new();
    // Words read as another treatment option's name ("mitigate" as modify),
    // counted, to say once how the column was read.
    let mut synonyms: std::collections::BTreeMap<(String, &'static str), usize> = Default::default();
    let Table { header, rows } = table;
    let no_rows = rows.is_empty();
    out.rows.reserve_exact(rows.len());
    for record in rows {
        let line = &record.line;
        let mut risk = ImportedRisk {
            line: *line,
            ..Default::default()
        };
        let mut ok = true;
        // A score that failed is reported once, not again as half a pair.
        let (mut inherent_bad, mut residual_bad) = (false, false);
        for (i, col) in columns.iter().enumerate() {
            let Some(col) = col else { continue };
            let v = record.get(i);
            let header = Some(header[i].as_str());
            let mut fail = |msg: String| {
                out.errors.push(problem(*line, Some(i), header, msg));
                ok = false;
            };
            let score = |axis: Axis, field: &str| -> Result<Option<u8>, String> {
                if v.is_empty() {
                    return Ok(None);
                }
                method.score(field, axis, v).map(Some).map_err(|e| e.to_string())
            };
            match col {
                Column::Reference if !v.is_empty() => match parse_reference(v) {
                    Ok(r) => {
                        if let Some(first) = seen_refs.insert(r.clone(), *line) {
                            fail(format!("reference {r} already appears on line {first}"));
                        }
                        risk.reference = Some(r);
                    }
                    Err(e) => fail(message(e)),
                },
                Column::Reference => {}
                Column::Title => {
                    if v.is_empty() {
                        fail("the title is empty".into());
                    } else if v.chars().count() > 300 {
                        fail("the title is longer than 300 characters".into());
                    }
                    risk.title = v.to_owned();
                }
                Column::Description => risk.description = v.to_owned(),
                Column::Category => risk.category = v.to_owned(),
                Column::Assets => {
                    risk.assets = v
                        .split([';', '\n'])
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned)
                        .collect()
                }
                Column::Threat => risk.threat = v.to_owned(),
                Column::Vulnerability => risk.vulnerability = v.to_owned(),
                Column::Owner => risk.owner = Some(v.to_owned()).filter(|o| !o.is_empty()),
                Column::Cia => match Cia::parse(v) {
                    Ok(c) => risk.cia = c,
                    Err(e) => fail(message(e)),
                },
                Column::Likelihood => match score(Axis::Likelihood, "likelihood") {
                    Ok(s) => risk.likelihood = s,
                    Err(m) => {
                        inherent_bad = true;
                        fail(m)
                    }
                },
                Column::Impact => match score(Axis::Impact, "impact") {
                    Ok(s) => risk.impact = s,
                    Err(m) => {
                        inherent_bad = true;
                        fail(m)
                    }
                },
                Column::ResidualLikelihood => match score(Axis::Likelihood, "residual likelihood") {
                    Ok(s) => risk.residual_likelihood = s,
                    Err(m) => {
                        residual_bad = true;
                        fail(m)
                    }
                },
                Column::ResidualImpact => match score(Axis::Impact, "residual impact") {
                    Ok(s) => risk.residual_impact = s,
                    Err(m) => {
                        residual_bad = true;
                        fail(m)
                    }
                },
                Column::Treatment if v.is_empty() => {}
                Column::Treatment => match TreatmentOption::parse(v) {
                    Ok(t) => {
                        if normalise(v) != t.as_str() && normalise(v) != normalise(t.label()) {
                            *synonyms.entry((v.trim().to_lowercase(), t.label())).or_default() += 1;
                        }
                        risk.treatment = Some(t)
                    }
                    Err(e) => fail(message(e)),
                },
                Column::Status if v.is_empty() => {}
                Column::Status => match RiskStatus::parse(v) {
                    Ok(s) => risk.status = Some(s),
                    Err(e) => fail(message(e)),
                },
                Column::NextReview | Column::AssessedOn if v.is_empty() => {}
                Column::NextReview | Column::AssessedOn => match parse_date(v, date_order) {
                    Some(d) if *col == Column::NextReview => risk.next_review = Some(d),
                    Some(d) => risk.assessed_on = Some(d),
                    None => fail(format!("{v:?} is not a date: write 2027-03-31 or 31/03/2027")),
                },
            }
        }
        let pair = |l: Option<u8>, i: Option<u8>| l.is_some() != i.is_some();
        if !inherent_bad && pair(risk.likelihood, risk.impact) {
            out.errors.push(problem(
                *line,
                None,
                None,
                "give both likelihood and impact, or neither".into(),
            ));
            ok = false;
        }
        if !residual_bad && pair(risk.residual_likelihood, risk.residual_impact) {
            out.errors.push(problem(
                *line,
                None,
                None,
                "give both residual likelihood and residual impact, or neither".into(),
            ));
            ok = false;
        }
        if ok {
            out.rows.push(risk);
        }
    }
    if no_rows {
        out.errors
            .push(problem(1, None, None, "the file has a header but no risks".into()));
    }
    if let (false, Some(i)) = (synonyms.is_empty(), col_of(Column::Treatment)) {
        let read: Vec<String> = synonyms
            .iter()
            .map(|((word, label), n)| format!("\"{word}\" as {label} ({n} row{})", if *n == 1 { "" } else { "s" }))
            .collect();
        out.warnings.push(problem(
            1,
            Some(i),
            Some(&header[i]),
            format!("read {}", read.join(", ")),
        ));
    }
    out
}

fn message(e: DomainError) -> String {
    match e {
        DomainError::Invalid(v) => v.into_iter().map(|f| f.message).collect::<Vec<_>>().join("; "),
    }
}

/// Neutralises a cell that a spreadsheet would run as a formula (CSV
/// injection): a leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'`.
pub fn spreadsheet_safe(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{s}")),
        _ => std::borrow::Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(csv: &str) -> ParsedRegister {
        let table = read_csv(csv.as_bytes()).expect("readable");
        parse_table(table, &RiskMethod::default_5x5(), &HashMap::new())
    }

    #[test]
    fn common_headers_are_recognised_whatever_their_case_and_punctuation() {
        for (h, c) in [
            ("Risk ID", Column::Reference),
            ("risk_id", Column::Reference),
            ("RISK", Column::Title),
            ("Risk Owner", Column::Owner),
            ("Probability", Column::Likelihood),
            ("Consequence", Column::Impact),
            ("Residual Likelihood", Column::ResidualLikelihood),
            ("Next review date", Column::NextReview),
        ] {
            assert_eq!(Column::recognise(h), Some(c), "{h}");
        }
        assert_eq!(Column::recognise("Notes"), None);
    }

    #[test]
    fn a_bom_semicolons_quoted_newlines_and_blank_rows_are_tolerated() {
        let csv = "\u{feff}Risk ID;Title;Description;Likelihood;Impact\r\n\
                   R-1;Laptop theft;\"Stolen laptop\nwith data\";2;4\r\n\
                   ;;;;\r\n\
                   R-2;Phishing;Credential theft;Likely;Major\r\n";
        let p = parse(csv);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].description, "Stolen laptop\nwith data");
        assert_eq!((p.rows[1].likelihood, p.rows[1].impact), (Some(4), Some(4)));
        assert_eq!(p.rows[1].line, 5, "lines count the quoted newline and the blank row");
    }

    #[test]
    fn dates_are_read_in_the_order_the_whole_column_implies() {
        let p = parse("Title,Next review\nA,03/04/2027\nB,25/12/2027\n");
        assert!(p.errors.is_empty());
        assert_eq!(p.rows[0].next_review.unwrap().to_string(), "2027-04-03");
        let p = parse("Title,Next review\nA,03/04/2027\nB,12/25/2027\n");
        assert_eq!(p.rows[0].next_review.unwrap().to_string(), "2027-03-04");
        let p = parse("Title,Next review\nA,03/04/2027\n");
        assert_eq!(p.warnings.len(), 1, "ambiguous dates are read day-first with a warning");
        let p = parse("Title,Next review\nA,25/12/2027\nB,12/25/2027\n");
        assert!(p.errors[0].message.contains("mixes"));
    }

    #[test]
    fn every_problem_is_reported_with_line_and_column() {
        let p = parse("Risk ID,Title,Likelihood,Impact,Treatment\nR-1,,9,2,ignore\nR-1,Dup,2,,mitigate\n");
        let found: Vec<(u64, Option<usize>)> = p.errors.iter().map(|e| (e.line, e.column)).collect();
        assert!(found.contains(&(2, Some(2))), "empty title: {found:?}");
        assert!(found.contains(&(2, Some(3))), "likelihood 9: {found:?}");
        assert!(found.contains(&(2, Some(5))), "treatment: {found:?}");
        assert!(found.contains(&(3, Some(1))), "duplicate reference: {found:?}");
        assert!(found.contains(&(3, None)), "likelihood without impact: {found:?}");
        assert!(p.rows.is_empty());
    }

    #[test]
    fn an_explicit_mapping_overrides_recognition() {
        let table = read_csv(b"Thing,Chance,Hurt\nA,2,3\n").unwrap();
        let mapping = HashMap::from([
            ("Thing".to_owned(), "title".to_owned()),
            ("Chance".to_owned(), "likelihood".to_owned()),
            ("Hurt".to_owned(), "impact".to_owned()),
        ]);
        let p = parse_table(table, &RiskMethod::default_5x5(), &mapping);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!((p.rows[0].likelihood, p.rows[0].impact), (Some(2), Some(3)));
    }

    #[test]
    fn files_past_the_bounds_are_refused_before_they_are_held() {
        let wide = format!("Title{}\nA\n", ",x".repeat(MAX_COLUMNS));
        let e = read_csv(wide.as_bytes()).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("at most 200"), "{}", e.message);
        let long = format!("Title\nA\n{}\n", "a".repeat(MAX_LINE_BYTES + 1));
        let e = read_csv(long.as_bytes()).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("1 MiB"), "{}", e.message);
        let tall = format!("Title\n{}", "a\n".repeat(MAX_ROWS + 1));
        let e = read_csv(tall.as_bytes()).unwrap_err();
        assert_eq!(e.line, MAX_ROWS as u64 + 2);
        assert!(read_csv(format!("Title\n{}", "a\n".repeat(MAX_ROWS)).as_bytes()).is_ok());
    }

    #[test]
    fn control_characters_are_refused_by_line_and_column() {
        let e = read_csv(b"Title,Category\nA,Ops\nB,x\x00y\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, Some(2)));
        assert!(e.message.contains("U+0000"), "{}", e.message);
        assert!(read_csv(b"Title,Description\nA,\"two\tlines\nhere\"\n").is_ok());
    }

    #[test]
    fn unknown_columns_are_reported_once() {
        let header: Vec<String> = (0..150).map(|i| format!("Odd{i}")).collect();
        let p = parse(&format!("Title,{}\nA\n", header.join(",")));
        assert_eq!(p.warnings.len(), 1);
        let w = &p.warnings[0];
        assert_eq!((w.column, w.header.as_deref()), (Some(2), Some("Odd0")));
        assert!(w.message.starts_with("150 columns not recognised"), "{}", w.message);
        assert!(w.message.ends_with("and 140 more"), "{}", w.message);
    }

    #[test]
    fn unreadable_files_are_refused_with_a_line() {
        assert_eq!(read_csv(b"Title\nA\n\xff\xfe").unwrap_err().line, 3);
        assert!(read_csv(b"").is_err());
        let p = parse("Notes\nsomething\n");
        assert!(p.errors[0].message.contains("no title column"));
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("-1"), "'-1");
        assert_eq!(spreadsheet_safe("Phishing"), "Phishing");
    }

    /// A bad score is one problem, not also "give both"; words read as
    /// another option's name and the date order are said once.
    #[test]
    fn the_dry_run_says_how_columns_were_read() {
        let p = parse("Title,Likelihood,Impact\nPhishing,9,3\n");
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert!(p.errors[0].message.contains("not on the scale"));

        let p =
            parse("Title,Treatment,Next review\nA,mitigate,31/03/2027\nB,Mitigate,01/04/2027\nC,accept,\nD,modify,\n");
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let notes: Vec<&str> = p.warnings.iter().map(|w| w.message.as_str()).collect();
        assert!(notes.contains(&"dates read day-first (31/03/2027)"), "{notes:?}");
        assert!(
            notes.contains(&"read \"accept\" as Retain (accept) (1 row), \"mitigate\" as Modify (mitigate) (2 rows)"),
            "{notes:?}"
        );
    }
}
