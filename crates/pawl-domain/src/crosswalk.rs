//! Crosswalks: how far another framework's requirements are met by this
//! organisation's controls, through a published mapping to ISO/IEC 27001:2022.
//!
//! NIST CSF 2.0 and NIST SP 800-53 rev5 ship as data (public domain, from
//! NIST's informative references and OLIR mapping). A requirement mapped to
//! Annex A controls is covered when every one of them is implemented,
//! partial when some are, and a gap when none is. Requirements mapped only
//! to clauses 4 to 10 are met by running the ISMS itself and are reported
//! apart, as "management system".

use crate::catalog::Catalog;
use crate::control::Implementation;
use crate::risk::import::{ImportProblem, Table};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

const CSF_CSV: &str = include_str!("../data/nist-csf-2.0.csv");
const CSF_MAP_CSV: &str = include_str!("../data/nist-csf-2.0-to-iso27001-2022.csv");
const SP800_53_MAP_CSV: &str = include_str!("../data/nist-sp800-53r5-to-iso27001-2022.csv");

/// One requirement of another framework and what it maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub id: String,
    /// The function or family it belongs to, e.g. `PR` or `AC`.
    pub group: String,
    pub text: String,
    /// Annex A control ids (`5.1`).
    pub annex: Vec<String>,
    /// Clause ids (`6.1.2`).
    pub clauses: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framework {
    pub key: String,
    pub name: String,
    pub requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    Covered,
    Partial,
    Gap,
    ManagementSystem,
}

impl Coverage {
    pub fn as_str(self) -> &'static str {
        match self {
            Coverage::Covered => "covered",
            Coverage::Partial => "partial",
            Coverage::Gap => "gap",
            Coverage::ManagementSystem => "management_system",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageRow<'f> {
    pub requirement: &'f Requirement,
    pub coverage: Coverage,
    /// The mapped Annex A controls that are not implemented.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CoverageSummary {
    pub covered: usize,
    pub partial: usize,
    pub gap: usize,
    pub management_system: usize,
}

/// The frameworks pawl ships.
pub fn frameworks() -> &'static [Framework] {
    static ALL: OnceLock<Vec<Framework>> = OnceLock::new();
    ALL.get_or_init(|| {
        vec![
            Framework {
                key: "nist-csf-2.0".into(),
                name: "NIST Cybersecurity Framework 2.0".into(),
                requirements: csf(),
            },
            Framework {
                key: "nist-sp800-53r5".into(),
                name: "NIST SP 800-53 rev5".into(),
                requirements: sp800_53(),
            },
        ]
    })
}

/// Keys of imported frameworks: lowercase letters, digits, `.` and `-`.
pub fn valid_key(key: &str) -> bool {
    (2..=40).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !key.starts_with(['-', '.'])
        // `/crosswalks/import` is the import page.
        && key != "import"
}

pub fn framework(key: &str) -> Option<&'static Framework> {
    frameworks().iter().find(|f| f.key == key)
}

/// Coverage of each requirement, given each Annex A control's implementation
/// in this organisation's SoA (controls missing from `soa` count as not
/// started).
pub fn coverage<'f>(
    framework: &'f Framework,
    soa: &HashMap<String, Implementation>,
) -> (Vec<CoverageRow<'f>>, CoverageSummary) {
    let mut summary = CoverageSummary::default();
    let rows = framework
        .requirements
        .iter()
        .map(|r| {
            let missing: Vec<String> = r
                .annex
                .iter()
                .filter(|a| soa.get(*a) != Some(&Implementation::Implemented))
                .cloned()
                .collect();
            let coverage = if r.annex.is_empty() {
                summary.management_system += 1;
                Coverage::ManagementSystem
            } else if missing.is_empty() {
                summary.covered += 1;
                Coverage::Covered
            } else if missing.len() < r.annex.len() {
                summary.partial += 1;
                Coverage::Partial
            } else {
                summary.gap += 1;
                Coverage::Gap
            };
            CoverageRow {
                requirement: r,
                coverage,
                missing,
            }
        })
        .collect();
    (rows, summary)
}

/// Reads a framework file: a CSV (or XLSX) table whose columns are
/// `requirement` (required, unique), and optionally `group`, `text`,
/// `annex` (Annex A controls, `A.5.34; A.8.11`) and `clauses` (`6.1.2; 9.2`),
/// in any order and case. Every problem is reported with its line and column.
pub fn parse_framework(table: &Table) -> Result<Vec<Requirement>, Vec<ImportProblem>> {
    let catalog = Catalog::get();
    let mut problems = Vec::new();
    let col = |name: &str| table.header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let problem = |line: u64, c: Option<usize>, message: String| ImportProblem {
        line,
        column: c.map(|c| c + 1),
        header: c.and_then(|c| table.header.get(c).cloned()),
        message,
    };
    let Some(id_col) = col("requirement") else {
        return Err(vec![problem(
            1,
            None,
            "no requirement column: the header needs requirement, and may have group, text, annex, clauses".into(),
        )]);
    };
    let (group_col, text_col, annex_col, clause_col) = (col("group"), col("text"), col("annex"), col("clauses"));
    for (i, h) in table.header.iter().enumerate() {
        let known = ["requirement", "group", "text", "annex", "clauses"];
        if !h.trim().is_empty() && !known.iter().any(|k| h.trim().eq_ignore_ascii_case(k)) {
            problems.push(problem(
                1,
                Some(i),
                format!("unknown column {h:?}: use {}", known.join(", ")),
            ));
        }
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::with_capacity(table.rows.len());
    for r in &table.rows {
        let id = r.get(id_col).trim().to_owned();
        if id.is_empty() {
            problems.push(problem(r.line, Some(id_col), "the requirement id is empty".into()));
            continue;
        }
        if id.chars().count() > 50 {
            problems.push(problem(
                r.line,
                Some(id_col),
                "use at most 50 characters for an id".into(),
            ));
        }
        if let Some(first) = seen.insert(id.clone(), r.line) {
            problems.push(problem(
                r.line,
                Some(id_col),
                format!("requirement {id} already appears on line {first}"),
            ));
        }
        let refs = |c: Option<usize>| -> Vec<String> {
            c.map(|c| {
                r.get(c)
                    .split([';', ',', '\n'])
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
        };
        let mut annex = Vec::new();
        for a in refs(annex_col) {
            match crate::control::annex_id("annex", &a) {
                Ok(id) if !annex.contains(&id) => annex.push(id),
                Ok(_) => {}
                Err(_) => problems.push(problem(
                    r.line,
                    annex_col,
                    format!("{a:?} is not an Annex A control (A.5.1 to A.8.34)"),
                )),
            }
        }
        let mut clauses = Vec::new();
        for c in refs(clause_col) {
            if catalog.clause(&c).is_some() {
                clauses.push(c);
            } else {
                problems.push(problem(
                    r.line,
                    clause_col,
                    format!("{c:?} is not a clause of ISO/IEC 27001 (4 to 10.2)"),
                ));
            }
        }
        let cell = |c: Option<usize>| c.map(|c| r.get(c).trim().to_owned()).unwrap_or_default();
        for (c, max) in [(group_col, 200), (text_col, 2_000)] {
            if cell(c).chars().count() > max {
                problems.push(problem(r.line, c, format!("use at most {max} characters")));
            }
        }
        out.push(Requirement {
            group: cell(group_col),
            text: cell(text_col),
            id,
            annex,
            clauses,
        });
    }
    if table.rows.is_empty() {
        problems.push(problem(1, None, "the file has a header but no requirements".into()));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn records(text: &str) -> impl Iterator<Item = csv::StringRecord> + '_ {
    csv::Reader::from_reader(text.as_bytes())
        .into_records()
        .map_while(Result::ok)
}

/// Groups a mapping file's `(requirement, iso ref)` pairs by requirement,
/// splitting Annex A references from clauses.
fn mapping(text: &str) -> HashMap<String, (Vec<String>, Vec<String>)> {
    let catalog = Catalog::get();
    let mut map: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
    for r in records(text) {
        let (id, iso) = (r.get(0).unwrap_or("").trim(), r.get(1).unwrap_or("").trim());
        let entry = map.entry(id.to_owned()).or_default();
        if let Some(a) = iso.strip_prefix("A.") {
            if catalog.control(a).is_some() && !entry.0.iter().any(|x| x == a) {
                entry.0.push(a.to_owned());
            }
        } else if catalog.clause(iso).is_some() && !entry.1.iter().any(|x| x == iso) {
            entry.1.push(iso.to_owned());
        }
    }
    map
}

fn csf() -> Vec<Requirement> {
    let mut map = mapping(CSF_MAP_CSV);
    records(CSF_CSV)
        .filter(|r| r.get(1) == Some("subcategory"))
        .map(|r| {
            let id = r.get(0).unwrap_or("").to_owned();
            let (annex, clauses) = map.remove(&id).unwrap_or_default();
            Requirement {
                group: r.get(2).unwrap_or("").to_owned(),
                text: r.get(7).unwrap_or("").to_owned(),
                id,
                annex,
                clauses,
            }
        })
        .collect()
}

fn sp800_53() -> Vec<Requirement> {
    let map = mapping(SP800_53_MAP_CSV);
    let mut ids: Vec<&String> = map.keys().collect();
    // AC-2 before AC-10, and AC-2 before its enhancement AC-2(1).
    ids.sort_by_key(|id| {
        let (family, rest) = id.split_once('-').unwrap_or((id.as_str(), ""));
        let (base, enh) = rest.split_once('(').unwrap_or((rest, ""));
        (
            family.to_owned(),
            base.parse::<u32>().unwrap_or(0),
            enh.trim_end_matches(')').parse::<u32>().unwrap_or(0),
        )
    });
    ids.into_iter()
        .map(|id| {
            let (annex, clauses) = map[id].clone();
            Requirement {
                group: id.split('-').next().unwrap_or("").to_owned(),
                text: String::new(),
                id: id.clone(),
                annex,
                clauses,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_frameworks_load_with_their_mappings() {
        let csf = framework("nist-csf-2.0").unwrap();
        assert_eq!(csf.requirements.len(), 106);
        let oc1 = csf.requirements.iter().find(|r| r.id == "GV.OC-01").unwrap();
        assert!(oc1.clauses.contains(&"4.1".to_owned()));
        let sp = framework("nist-sp800-53r5").unwrap();
        assert_eq!(sp.requirements.len(), 220);
        let ac3 = sp.requirements.iter().find(|r| r.id == "AC-3").unwrap();
        assert!(ac3.annex.contains(&"8.3".to_owned()));
        let pos = |id: &str| sp.requirements.iter().position(|r| r.id == id).unwrap();
        assert!(pos("AC-2") < pos("AC-2(12)") && pos("AC-2(12)") < pos("AC-3") && pos("AC-3") < pos("AC-11"));
    }

    #[test]
    fn framework_files_are_checked_cell_by_cell() {
        use crate::risk::import::read_csv;
        let good = read_csv(b"Requirement,Group,Text,Annex,Clauses\n7.2.1,Conditions,Identify purposes,A.5.34,6.1.2\n7.2.2,Conditions,Lawful basis,\"A.5.34; A.5.31\",\n").unwrap();
        let reqs = parse_framework(&good).unwrap();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[1].annex, ["5.34", "5.31"]);
        assert_eq!(reqs[0].clauses, ["6.1.2"]);
        let bad = read_csv(b"requirement,annex,colour\nX-1,A.9.9\nX-1,\n,A.5.1\n").unwrap();
        let problems = parse_framework(&bad).unwrap_err();
        let said: Vec<(u64, Option<usize>)> = problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(
            said,
            [(1, Some(3)), (2, Some(2)), (3, Some(1)), (4, Some(1))],
            "{problems:?}"
        );
        assert!(problems[1].message.contains("A.9.9"));
        assert!(problems[2].message.contains("line 2"));
        assert!(!valid_key("nist csf") && valid_key("iso27701-2019") && !valid_key("-x") && !valid_key("import"));
    }

    #[test]
    fn coverage_follows_the_implemented_annex_controls() {
        let sp = framework("nist-sp800-53r5").unwrap();
        let ac3 = sp.requirements.iter().find(|r| r.id == "AC-3").unwrap();
        let mut soa: HashMap<String, Implementation> = HashMap::new();
        let row = |soa: &HashMap<String, Implementation>| {
            coverage(sp, soa)
                .0
                .into_iter()
                .find(|r| r.requirement.id == "AC-3")
                .unwrap()
        };
        assert_eq!(row(&soa).coverage, Coverage::Gap);
        soa.insert(ac3.annex[0].clone(), Implementation::Implemented);
        assert_eq!(row(&soa).coverage, Coverage::Partial);
        for a in &ac3.annex {
            soa.insert(a.clone(), Implementation::Implemented);
        }
        assert_eq!(row(&soa).coverage, Coverage::Covered);
        let (_, summary) = coverage(sp, &soa);
        assert_eq!(
            summary.covered + summary.partial + summary.gap + summary.management_system,
            220
        );
    }
}
