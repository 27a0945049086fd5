//! Documented information (clauses 5.2, 7.3, 7.5): the four levels and the
//! parent rule between them, version numbers, the workflow of a version and
//! who may approve it, audiences, word-level comparison of two versions,
//! the front matter of imported Markdown, and the documented information
//! the standard requires.

use crate::catalog::Catalog;
use crate::identity::{Email, Role};
use crate::register::{Choice, State, Transition, Workflow};
use crate::{access::Permission, DomainError, FieldError};
use std::fmt;

/// A document's place in the hierarchy (clause 7.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Policy,
    Process,
    Procedure,
    WorkInstruction,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Policy, Level::Process, Level::Procedure, Level::WorkInstruction];

    pub fn code(self) -> &'static str {
        match self {
            Level::Policy => "policy",
            Level::Process => "process",
            Level::Procedure => "procedure",
            Level::WorkInstruction => "work_instruction",
        }
    }

    /// "policy", "work instruction": for sentences.
    pub fn noun(self) -> &'static str {
        match self {
            Level::WorkInstruction => "work instruction",
            other => other.code(),
        }
    }

    /// 1 for a policy to 4 for a work instruction.
    pub fn rank(self) -> u8 {
        self as u8 + 1
    }

    /// Reads a code, a label ("Work instruction"), or L1 to L4.
    pub fn parse(s: &str) -> Option<Level> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        Level::ALL.into_iter().find(|l| {
            l.code() == t
                || format!("l{}", l.rank()) == t
                || crate::register::LEVELS[*l as usize].label.to_lowercase() == s.trim().to_lowercase()
        })
    }

    /// The level a parent of this level must have.
    pub fn parent(self) -> Option<Level> {
        match self {
            Level::Policy => None,
            Level::Process => Some(Level::Policy),
            Level::Procedure => Some(Level::Process),
            Level::WorkInstruction => Some(Level::Procedure),
        }
    }
}

/// A parent exactly one level up, and none for a policy. `parent` is the
/// parent's level and how it is named.
pub fn check_parent(level: Level, parent: Option<(Level, &str)>) -> Result<(), DomainError> {
    let problem = |m: String| Err(DomainError::field("parent_id", m));
    match (level.parent(), parent) {
        (None, None) => Ok(()),
        (None, Some(_)) => problem("a policy is the top of its tree and has no parent; leave this empty".into()),
        (Some(want), None) => problem(format!(
            "a {} sits under a {}; name its parent",
            level.noun(),
            want.noun()
        )),
        (Some(want), Some((got, _))) if got == want => Ok(()),
        (Some(want), Some((got, name))) => problem(format!(
            "{name} is a {}, but a {} sits under a {}",
            got.noun(),
            level.noun(),
            want.noun()
        )),
    }
}

/// major.minor; a new major version is a material change that everyone in
/// the audience acknowledges again (7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionNumber {
    pub major: i64,
    pub minor: i64,
}

impl VersionNumber {
    pub const FIRST: VersionNumber = VersionNumber { major: 1, minor: 0 };

    pub fn parse(field: &str, s: &str) -> Result<VersionNumber, DomainError> {
        let bad = || {
            DomainError::field(
                field,
                format!("{:?} is not a version; write major.minor, e.g. 1.0 or 2.3", s.trim()),
            )
        };
        let (a, b) = s.trim().split_once('.').ok_or_else(bad)?;
        let n = |t: &str| {
            t.parse::<i64>()
                .ok()
                .filter(|n| (0..=9999).contains(n) && !t.starts_with('+'))
        };
        match (n(a), n(b)) {
            (Some(major), Some(minor)) if major > 0 || minor > 0 => Ok(VersionNumber { major, minor }),
            _ => Err(bad()),
        }
    }

    /// The number of the version after this one.
    pub fn next(self, major: bool) -> VersionNumber {
        if major {
            VersionNumber {
                major: self.major + 1,
                minor: 0,
            }
        } else {
            VersionNumber {
                major: self.major,
                minor: self.minor + 1,
            }
        }
    }
}

impl fmt::Display for VersionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The states a version that is not yet in force can be in, for the
/// document register's derived field.
pub const WORKING_STATES: &[Choice] = &[
    Choice {
        code: "draft",
        label: "Draft",
    },
    Choice {
        code: "in_review",
        label: "In review",
    },
    Choice {
        code: "approved",
        label: "Approved",
    },
];

/// The life of one version (7.5.2, 7.5.3): written, reviewed, approved by
/// someone other than its author, published; superseded when the next one
/// is published. A version not wanted is withdrawn, never deleted.
pub static VERSION_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "draft",
            label: "Draft",
            open: true,
            requires: &[],
        },
        State {
            code: "in_review",
            label: "In review",
            open: true,
            requires: &[],
        },
        State {
            code: "approved",
            label: "Approved",
            open: true,
            requires: &[],
        },
        State {
            code: "published",
            label: "Published",
            open: false,
            requires: &[],
        },
        State {
            code: "superseded",
            label: "Superseded",
            open: false,
            requires: &[],
        },
        State {
            code: "withdrawn",
            label: "Withdrawn",
            open: false,
            requires: &[],
        },
    ],
    initial: "draft",
    transitions: &[
        Transition {
            from: &["draft"],
            to: "in_review",
            label: "Send for review",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["in_review", "approved"],
            to: "draft",
            label: "Send back to draft",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["in_review"],
            to: "approved",
            label: "Approve",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["approved"],
            to: "published",
            label: "Publish",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["draft", "in_review", "approved"],
            to: "withdrawn",
            label: "Withdraw",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
    ],
};

/// The SHA-256 of a version's text, as the audit trail names it.
pub fn content_sha256(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// A review's outcome: the document still fits, or it needs a new version (7.5.2).
pub const REVIEW_OUTCOMES: &[(&str, &str)] = &[
    ("no_change", "Still fit for purpose, no change"),
    ("change_needed", "Needs a new version"),
];

/// The label of a review outcome.
pub fn review_outcome(code: &str) -> Option<&'static str> {
    REVIEW_OUTCOMES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// Whether a version in this state is still being worked on.
pub fn is_working(status: &str) -> bool {
    WORKING_STATES.iter().any(|s| s.code == status)
}

/// Segregation of duties (Annex A 5.3): the named approver approves, and
/// the author of a version never does. Ids are user ids.
pub fn check_approval(author: Option<&str>, approver: Option<(&str, &str)>, actor: &str) -> Result<(), DomainError> {
    let Some((approver_id, approver_name)) = approver else {
        return Err(DomainError::field(
            "approver",
            "this version names no approver; name one before it is approved",
        ));
    };
    if author == Some(actor) {
        return Err(DomainError::field(
            "approver",
            "the author of a version cannot approve it (segregation of duties, Annex A 5.3); its named approver must",
        ));
    }
    if approver_id != actor {
        return Err(DomainError::field(
            "approver",
            format!("only the named approver, {approver_name}, may approve this version"),
        ));
    }
    Ok(())
}

/// The approver named on a version must not be its author (A.5.3).
pub fn check_named_approver(author: Option<&str>, approver: &str) -> Result<(), DomainError> {
    if author == Some(approver) {
        return Err(DomainError::field(
            "approver",
            "the author of a version cannot be its approver (segregation of duties, Annex A 5.3); name someone else",
        ));
    }
    Ok(())
}

/// Who must read a document (7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Role(Role),
    Person(Email),
}

/// Reads an audience: entries separated by commas, semicolons or lines,
/// each `everyone`, a role (its code or label, singular or plural) or an
/// e-mail address. Every entry that is none of these is named.
pub fn parse_audience(text: &str) -> Result<Vec<Audience>, DomainError> {
    let mut out: Vec<Audience> = Vec::new();
    let mut bad = Vec::new();
    for entry in text.split([',', ';', '\n']).map(str::trim).filter(|e| !e.is_empty()) {
        let lower = entry.to_lowercase();
        let singular = lower.strip_suffix('s').unwrap_or(&lower);
        let found = if ["everyone", "all", "all staff", "everybody", "all members"].contains(&lower.as_str()) {
            Some(Audience::Everyone)
        } else if entry.contains('@') {
            Email::parse(entry).ok().map(Audience::Person)
        } else {
            Role::ALL
                .into_iter()
                .find(|r| {
                    [lower.as_str(), singular].iter().any(|t| {
                        *t == r.as_str()
                            || *t == r.label().to_lowercase()
                            || (*r == Role::Manager && *t == "isms manager")
                    })
                })
                .map(Audience::Role)
        };
        match found {
            Some(a) if !out.contains(&a) => out.push(a),
            Some(_) => {}
            None => bad.push(format!("{entry:?}")),
        }
    }
    if !bad.is_empty() {
        return Err(DomainError::field(
            "audience",
            format!(
                "{} {} not everyone, a role ({}) or an e-mail address",
                bad.join(", "),
                if bad.len() == 1 { "is" } else { "are" },
                Role::ALL.map(Role::as_str).join(", ")
            ),
        ));
    }
    Ok(out)
}

/// Reads a list of clause numbers (`5.2, 7.5.1`) against the catalog,
/// naming every one it does not know; the result is normalised.
pub fn parse_clauses(text: &str) -> Result<Vec<String>, DomainError> {
    parse_ids("clauses", text, |id| Catalog::get().clause(id).map(|c| c.id.clone()))
}

/// Reads a list of Annex A controls (`A.5.1, 8.15`) against the catalog,
/// normalised to `A.5.1`.
pub fn parse_annex_a(text: &str) -> Result<Vec<String>, DomainError> {
    parse_ids("annex_a", text, |id| Catalog::get().control(id).map(|c| c.annex_ref()))
}

fn parse_ids(field: &str, text: &str, known: impl Fn(&str) -> Option<String>) -> Result<Vec<String>, DomainError> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for id in text
        .split([',', ';', '\n', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        match known(id) {
            Some(n) if !out.contains(&n) => out.push(n),
            Some(_) => {}
            None => bad.push(format!("{id:?}")),
        }
    }
    if bad.is_empty() {
        Ok(out)
    } else {
        Err(DomainError::field(
            field,
            format!(
                "{} not in ISO/IEC 27001:2022",
                bad.join(", ") + if bad.len() == 1 { " is" } else { " are" }
            ),
        ))
    }
}

/// One run of words in a comparison of two versions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "change", content = "text", rename_all = "snake_case")]
pub enum DiffPart {
    Same(String),
    Added(String),
    Removed(String),
}

/// A word-level comparison of two texts, runs of the same change merged.
pub fn diff_words(old: &str, new: &str) -> Vec<DiffPart> {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::configure()
        .timeout(std::time::Duration::from_secs(2))
        .diff_words(old, new);
    let mut out: Vec<DiffPart> = Vec::new();
    for c in diff.iter_all_changes() {
        let t = c.value();
        match (out.last_mut(), c.tag()) {
            (Some(DiffPart::Same(s)), ChangeTag::Equal)
            | (Some(DiffPart::Added(s)), ChangeTag::Insert)
            | (Some(DiffPart::Removed(s)), ChangeTag::Delete) => s.push_str(t),
            (_, ChangeTag::Equal) => out.push(DiffPart::Same(t.to_owned())),
            (_, ChangeTag::Insert) => out.push(DiffPart::Added(t.to_owned())),
            (_, ChangeTag::Delete) => out.push(DiffPart::Removed(t.to_owned())),
        }
    }
    out
}

/// A problem in an imported file, at a line and column (both from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The front matter of a Markdown file: `key: value` lines between two
/// `---` lines at the top. Each value with the line it is on.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    pub entries: Vec<(String, String, usize)>,
    /// The Markdown after the front matter.
    pub body: String,
}

impl FrontMatter {
    pub fn get(&self, key: &str) -> Option<(&str, usize)> {
        self.entries
            .iter()
            .find(|(k, ..)| k == key)
            .map(|(_, v, l)| (v.as_str(), *l))
    }
}

/// The keys a document's front matter may have.
pub const FRONT_MATTER_KEYS: [&str; 5] = ["title", "level", "parent", "owner", "version"];

/// Reads the front matter pawl needs: flat `key: value` lines (a value may
/// be quoted; `#` starts a comment line). Anything else is a problem at its
/// line, so that nothing is guessed.
pub fn parse_front_matter(text: &str) -> Result<FrontMatter, Vec<LineProblem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let at = |line, column, m: &str| LineProblem {
        line,
        column,
        message: m.to_owned(),
    };
    if lines.next().map(|l| l.trim_end()) != Some("---") {
        return Err(vec![at(
            1,
            1,
            "start the file with a front matter block: a line ---, then title: and level:, then ---",
        )]);
    }
    let mut fm = FrontMatter::default();
    let mut problems = Vec::new();
    let mut consumed = 0;
    let mut closed = false;
    for (i, raw) in lines.by_ref().enumerate() {
        let n = i + 2;
        consumed = n;
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.trim_end() == "---" {
            closed = true;
            break;
        }
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(c) = line.chars().position(crate::register::is_forbidden_char) {
            problems.push(at(n, c + 1, "contains a control character"));
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            problems.push(at(n, 1, "write key: value"));
            continue;
        };
        if key.starts_with([' ', '\t']) {
            problems.push(at(
                n,
                1,
                "nested values are not read; write key: value at the start of the line",
            ));
            continue;
        }
        let key = key.trim().to_lowercase();
        if !FRONT_MATTER_KEYS.contains(&key.as_str()) {
            problems.push(at(
                n,
                1,
                &format!("{key:?} is not read; use {}", FRONT_MATTER_KEYS.join(", ")),
            ));
            continue;
        }
        if fm.get(&key).is_some() {
            problems.push(at(n, 1, &format!("{key} is given twice")));
            continue;
        }
        let column = line.len() - line[key.len()..].trim_start_matches([':', ' ']).len();
        let v = value.trim();
        let v = match (v.chars().next(), v.chars().last()) {
            (Some(q @ ('"' | '\'')), Some(e)) if v.len() >= 2 && e == q => v[1..v.len() - 1].to_owned(),
            (Some('"' | '\''), _) => {
                problems.push(at(n, column + 1, "the quote is not closed"));
                continue;
            }
            (Some('[' | '{' | '|' | '>'), _) => {
                problems.push(at(
                    n,
                    column + 1,
                    "lists, maps and blocks are not read; write one value",
                ));
                continue;
            }
            _ => v.to_owned(),
        };
        fm.entries.push((key, v, n));
    }
    if !closed {
        problems.push(at(consumed.max(1), 1, "the front matter is not closed by a line ---"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    fm.body = lines.collect();
    Ok(fm)
}

/// The line of a field in a front matter, for an error about its value.
pub fn problem_at(fm: &FrontMatter, key: &str, e: DomainError) -> Vec<LineProblem> {
    let line = fm.get(key).map_or(1, |(_, l)| l);
    let DomainError::Invalid(fields) = e;
    fields
        .into_iter()
        .map(|FieldError { message, .. }| LineProblem {
            line,
            column: key.len() + 3,
            message: format!("{key}: {message}"),
        })
        .collect()
}

/// Whether an item of documented information is a document or records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mandatory {
    Document,
    Record,
}

/// One item of the documented information ISO/IEC 27001 requires.
#[derive(Debug, Clone)]
pub struct MandatoryItem {
    pub kind: Mandatory,
    pub name: String,
    /// As the list writes it, e.g. `6.1.3 e); 6.2; 8.3`.
    pub reference: String,
    /// The clause and control ids it names: `6.1.3`, `6.2`, `A.5.26`.
    pub ids: Vec<String>,
    /// Required only while its Annex A control is applicable.
    pub conditional: bool,
}

const MANDATORY_CSV: &str = include_str!("../data/iso27001-2022-mandatory-documented-information.csv");

/// The items, read once from the embedded list.
pub fn mandatory_items() -> &'static [MandatoryItem] {
    static ITEMS: std::sync::OnceLock<Vec<MandatoryItem>> = std::sync::OnceLock::new();
    ITEMS.get_or_init(|| {
        let mut r = csv::Reader::from_reader(MANDATORY_CSV.as_bytes());
        r.records()
            .filter_map(Result::ok)
            .map(|row| {
                let reference = row.get(2).unwrap_or("").to_owned();
                MandatoryItem {
                    kind: if row.get(0) == Some("record") {
                        Mandatory::Record
                    } else {
                        Mandatory::Document
                    },
                    name: row.get(1).unwrap_or("").to_owned(),
                    ids: reference_ids(&reference),
                    reference,
                    conditional: row.get(3) == Some("yes"),
                }
            })
            .collect()
    })
}

/// `6.1.3 e); 6.2` → `6.1.3`, `6.2`; `A.5.26 (A.5.24)` → `A.5.26`, `A.5.24`.
fn reference_ids(reference: &str) -> Vec<String> {
    reference
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'A'))
        .map(|t| t.trim_matches('.'))
        .filter(|t| {
            t.chars().next().is_some_and(|c| c.is_ascii_digit() || c == 'A') && t.chars().any(|c| c.is_ascii_digit())
        })
        .map(|t| {
            if t.starts_with('A') && !t.starts_with("A.") {
                t.replacen('A', "A.", 1)
            } else {
                t.to_owned()
            }
        })
        .collect()
}

/// Whether a document that serves `served` (clauses and controls) covers
/// an item naming `item_id`: the same id, or a part of it (7.5.1 covers 7.5.1 b).
pub fn serves(served: &[String], item_id: &str) -> bool {
    served
        .iter()
        .any(|s| s == item_id || s.starts_with(&format!("{item_id}.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_is_exactly_one_level_up() {
        assert!(check_parent(Level::Policy, None).is_ok());
        assert!(check_parent(Level::Procedure, Some((Level::Process, "DOC-0002"))).is_ok());
        let e = check_parent(Level::Procedure, Some((Level::Policy, "DOC-0001 Security policy")))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("DOC-0001 Security policy is a policy, but a procedure sits under a process"),
            "{e}"
        );
        let e = check_parent(Level::Policy, Some((Level::Policy, "x"))).unwrap_err();
        let DomainError::Invalid(f) = e;
        assert_eq!(f[0].field, "parent_id");
        assert!(check_parent(Level::WorkInstruction, None)
            .unwrap_err()
            .to_string()
            .contains("under a procedure"));
    }

    #[test]
    fn levels_read_codes_labels_and_l_numbers() {
        assert_eq!(Level::parse("work instruction"), Some(Level::WorkInstruction));
        assert_eq!(Level::parse("L2"), Some(Level::Process));
        assert_eq!(Level::parse("Procedure (L3)"), Some(Level::Procedure));
        assert_eq!(Level::parse("memo"), None);
    }

    #[test]
    fn version_numbers_count_major_and_minor() {
        let v = VersionNumber::parse("version", "1.3").unwrap();
        assert_eq!(v.next(false).to_string(), "1.4");
        assert_eq!(v.next(true).to_string(), "2.0");
        for bad in ["1", "a.b", "1.-1", "0.0", "1.2.3", "+1.0", ""] {
            assert!(VersionNumber::parse("version", bad).is_err(), "{bad}");
        }
        assert!(VersionNumber::parse("v", "2.0").unwrap() > VersionNumber::parse("v", "1.10").unwrap());
    }

    #[test]
    fn the_author_never_approves_and_only_the_named_approver_does() {
        let e = check_approval(Some("u1"), Some(("u1", "Ada")), "u1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("segregation of duties"), "{e}");
        let e = check_approval(Some("u1"), Some(("u2", "Bo")), "u3")
            .unwrap_err()
            .to_string();
        assert!(e.contains("only the named approver, Bo"), "{e}");
        assert!(check_approval(Some("u1"), Some(("u2", "Bo")), "u2").is_ok());
        assert!(check_approval(Some("u1"), None, "u2").is_err());
        assert!(check_named_approver(Some("u1"), "u1").is_err());
    }

    #[test]
    fn audiences_read_roles_people_and_everyone() {
        let a = parse_audience("Staff, ISMS managers; ada@example.com\neveryone").unwrap();
        assert_eq!(
            a,
            [
                Audience::Role(Role::Staff),
                Audience::Role(Role::Manager),
                Audience::Person(Email::parse("ada@example.com").unwrap()),
                Audience::Everyone
            ]
        );
        let e = parse_audience("staff, wizards, bob@").unwrap_err().to_string();
        assert!(e.contains("\"wizards\", \"bob@\" are not"), "{e}");
    }

    #[test]
    fn clause_and_control_lists_are_checked_against_the_catalog() {
        assert_eq!(parse_clauses("5.2, 7.5.1").unwrap(), ["5.2", "7.5.1"]);
        assert_eq!(parse_annex_a("A.5.1 8.15").unwrap(), ["A.5.1", "A.8.15"]);
        let e = parse_annex_a("A.5.1, A.9.9").unwrap_err().to_string();
        assert!(e.contains("\"A.9.9\" is not in"), "{e}");
    }

    #[test]
    fn a_diff_marks_words_added_and_removed() {
        let d = diff_words("Backups run every night.", "Backups run every hour and are tested.");
        assert_eq!(d[0], DiffPart::Same("Backups run every ".into()));
        assert!(d.contains(&DiffPart::Removed("night.".into())), "{d:?}");
        assert!(
            d.iter()
                .any(|p| matches!(p, DiffPart::Added(t) if t.contains("tested."))),
            "{d:?}"
        );
    }

    #[test]
    fn front_matter_is_read_with_lines_and_refused_where_it_is_wrong() {
        let fm = parse_front_matter("---\ntitle: \"Access: who and how\"\nlevel: procedure\n# a note\n---\n# Body\n")
            .unwrap();
        assert_eq!(fm.get("title"), Some(("Access: who and how", 2)));
        assert_eq!(fm.body, "# Body\n");
        let e = parse_front_matter("---\ntitle: x\n  nested: y\ncolour: red\nlevel: [a]\n").unwrap_err();
        let lines: Vec<usize> = e.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5, 5], "{e:?}");
        assert_eq!(e[2].column, 8, "{e:?}");
        assert!(e[3].message.contains("not closed"));
        assert_eq!(parse_front_matter("# no front matter").unwrap_err()[0].line, 1);
    }

    #[test]
    fn the_mandatory_list_names_its_clauses_and_controls() {
        let items = mandatory_items();
        assert_eq!(items.len(), 27);
        let plan = items.iter().find(|i| i.reference.starts_with("6.1.3 e")).unwrap();
        assert_eq!(plan.ids, ["6.1.3", "6.2", "8.3"]);
        let ir = items.iter().find(|i| i.reference.starts_with("A.5.26")).unwrap();
        assert_eq!(ir.ids, ["A.5.26", "A.5.24"]);
        assert!(ir.conditional);
        assert!(serves(&["7.5.1".into()], "7.5.1") && !serves(&["7.5".into()], "7.5.1"));
        assert!(serves(&["9.2.2".into()], "9.2"));
    }
}
