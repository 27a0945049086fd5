//! Information security risk: the method, the register's vocabulary and the
//! rules of treatment and acceptance (clauses 6.1.2, 6.1.3, 8.2, 8.3).

pub mod import;
pub mod method;

use crate::DomainError;
use serde::{Deserialize, Serialize};

pub use method::{AcceptanceRule, AcceptedAs, RiskLevel, RiskMethod, ScaleLevel};

/// ISO/IEC 27005's four options, with the words tools commonly use accepted on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum TreatmentOption {
    /// Add or change controls (often called mitigate or reduce).
    Modify,
    /// Keep the risk as it is (often called accept or tolerate).
    Retain,
    /// Stop the activity that gives rise to it (terminate).
    Avoid,
    /// Hand part of it to others: insurance, outsourcing (transfer).
    Share,
}

impl TreatmentOption {
    pub const ALL: [TreatmentOption; 4] = [Self::Modify, Self::Retain, Self::Avoid, Self::Share];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Modify => "modify",
            Self::Retain => "retain",
            Self::Avoid => "avoid",
            Self::Share => "share",
        }
    }

    /// The option as people read it, with the everyday word beside the
    /// standard's.
    pub fn label(self) -> &'static str {
        match self {
            Self::Modify => "Modify (mitigate)",
            Self::Retain => "Retain (accept)",
            Self::Avoid => "Avoid",
            Self::Share => "Share (transfer)",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match normalise(s).as_str() {
            "modify" | "mitigate" | "reduce" | "treat" | "control" => Ok(Self::Modify),
            "retain" | "accept" | "tolerate" => Ok(Self::Retain),
            "avoid" | "terminate" | "eliminate" => Ok(Self::Avoid),
            "share" | "transfer" | "insure" => Ok(Self::Share),
            // The label, as the register export writes it.
            n => Self::ALL.into_iter().find(|o| normalise(o.label()) == n).ok_or_else(|| DomainError::field(
                "treatment",
                format!("{s:?} is not a treatment option: use modify (mitigate), retain (accept), avoid or share (transfer)"),
            )),
        }
    }
}

/// Where a risk stands in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum RiskStatus {
    Identified,
    Assessed,
    TreatmentPlanned,
    InTreatment,
    Accepted,
    Closed,
}

impl RiskStatus {
    pub const ALL: [RiskStatus; 6] = [
        Self::Identified,
        Self::Assessed,
        Self::TreatmentPlanned,
        Self::InTreatment,
        Self::Accepted,
        Self::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identified => "identified",
            Self::Assessed => "assessed",
            Self::TreatmentPlanned => "treatment_planned",
            Self::InTreatment => "in_treatment",
            Self::Accepted => "accepted",
            Self::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Identified => "Identified",
            Self::Assessed => "Assessed",
            Self::TreatmentPlanned => "Treatment planned",
            Self::InTreatment => "In treatment",
            Self::Accepted => "Accepted",
            Self::Closed => "Closed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let n = normalise(s);
        Self::ALL
            .into_iter()
            .find(|st| normalise(st.as_str()) == n || normalise(st.label()) == n)
            .or(match n.as_str() {
                "open" | "new" => Some(Self::Identified),
                "treating" | "inprogress" => Some(Self::InTreatment),
                "planned" => Some(Self::TreatmentPlanned),
                "done" | "resolved" => Some(Self::Closed),
                _ => None,
            })
            .ok_or_else(|| {
                DomainError::field(
                    "status",
                    format!("{s:?} is not a status: use identified, assessed, treatment_planned, in_treatment, accepted or closed"),
                )
            })
    }
}

/// How many days ahead an acceptance about to lapse is listed to renew.
pub const ACCEPTANCE_NOTICE_DAYS: i64 = 30;

/// Accepted risks by when their current acceptance lapses (6.1.3 f): the
/// register's `acceptance` filter, and what the home page and readiness
/// count. An acceptance that expires on a day is in force through that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptanceLapse {
    /// In force today, lapsing within [`ACCEPTANCE_NOTICE_DAYS`].
    Lapsing,
    /// Past its expiry date: the risk is due for review again.
    Lapsed,
}

impl AcceptanceLapse {
    pub const ALL: [AcceptanceLapse; 2] = [Self::Lapsing, Self::Lapsed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lapsing => "lapsing",
            Self::Lapsed => "lapsed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Lapsing => "Lapsing within 30 days",
            Self::Lapsed => "Lapsed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == s.trim())
            .ok_or_else(|| DomainError::field("acceptance", format!("{s:?} is not a filter: use lapsing or lapsed")))
    }

    /// The expiry dates it covers as of `today`: from this date (None: any
    /// earlier one) up to, not including, the second.
    pub fn expiries(self, today: time::Date) -> (Option<time::Date>, time::Date) {
        match self {
            Self::Lapsing => (Some(today), today + time::Duration::days(ACCEPTANCE_NOTICE_DAYS)),
            Self::Lapsed => (None, today),
        }
    }
}

/// Which of confidentiality, integrity and availability a risk threatens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cia {
    pub confidentiality: bool,
    pub integrity: bool,
    pub availability: bool,
}

impl Cia {
    /// `C`, `CI`, `CIA`... as stored.
    pub fn code(self) -> String {
        let mut s = String::new();
        if self.confidentiality {
            s.push('C');
        }
        if self.integrity {
            s.push('I');
        }
        if self.availability {
            s.push('A');
        }
        s
    }

    /// Reads `CIA`, `C;I`, `confidentiality, availability` and the like.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let mut cia = Cia::default();
        let t = s.trim();
        let words: Vec<String> = t
            .split(|c: char| c == ',' || c == ';' || c == '/' || c == '+' || c.is_whitespace())
            .map(normalise)
            .filter(|w| !w.is_empty())
            .collect();
        let all_letters = words.len() == 1 && words[0].chars().all(|c| matches!(c, 'c' | 'i' | 'a'));
        for w in &words {
            if all_letters {
                for c in w.chars() {
                    match c {
                        'c' => cia.confidentiality = true,
                        'i' => cia.integrity = true,
                        _ => cia.availability = true,
                    }
                }
                continue;
            }
            match w.as_str() {
                "c" | "confidentiality" => cia.confidentiality = true,
                "i" | "integrity" => cia.integrity = true,
                "a" | "availability" => cia.availability = true,
                _ => {
                    return Err(DomainError::field(
                        "cia",
                        format!("{s:?}: name confidentiality, integrity and/or availability (or C, I, A)"),
                    ))
                }
            }
        }
        Ok(cia)
    }
}

/// A risk's reference as people cite it, e.g. `R-1042`: kept from imports,
/// unique within an organisation.
pub fn parse_reference(s: &str) -> Result<String, DomainError> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.len() <= 40
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(t.to_owned())
    } else {
        Err(DomainError::field(
            "reference",
            "use up to 40 letters, digits, '-', '_', '.' or '/', e.g. R-1042",
        ))
    }
}

/// Lower case, letters and digits only: for matching words people type.
pub fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn treatment_accepts_the_common_synonyms() {
        for (word, option) in [
            ("Mitigate", TreatmentOption::Modify),
            ("accept", TreatmentOption::Retain),
            ("Transfer", TreatmentOption::Share),
            ("avoid", TreatmentOption::Avoid),
            (" share ", TreatmentOption::Share),
        ] {
            assert_eq!(TreatmentOption::parse(word).unwrap(), option, "{word}");
        }
        assert!(TreatmentOption::parse("ignore").is_err());
    }

    #[test]
    fn an_acceptance_lapses_the_day_after_it_expires() {
        let today = time::macros::date!(2026 - 03 - 10);
        let (from, before) = AcceptanceLapse::Lapsing.expiries(today);
        assert_eq!((from, before), (Some(today), time::macros::date!(2026 - 04 - 09)));
        assert_eq!(
            AcceptanceLapse::Lapsed.expiries(today),
            (None, today),
            "expiring today is still in force"
        );
        assert_eq!(AcceptanceLapse::parse(" lapsing ").unwrap(), AcceptanceLapse::Lapsing);
        assert!(AcceptanceLapse::parse("soon").is_err());
    }

    #[test]
    fn cia_reads_letters_and_words() {
        let all = Cia {
            confidentiality: true,
            integrity: true,
            availability: true,
        };
        assert_eq!(Cia::parse("CIA").unwrap(), all);
        assert_eq!(Cia::parse("C; I; A").unwrap(), all);
        assert_eq!(Cia::parse("Confidentiality, Availability").unwrap().code(), "CA");
        assert_eq!(Cia::parse("").unwrap().code(), "");
        assert!(Cia::parse("secrecy").is_err());
    }

    #[test]
    fn statuses_parse_labels_and_codes() {
        assert_eq!(
            RiskStatus::parse("Treatment planned").unwrap(),
            RiskStatus::TreatmentPlanned
        );
        assert_eq!(RiskStatus::parse("in_treatment").unwrap(), RiskStatus::InTreatment);
        assert_eq!(RiskStatus::parse("Open").unwrap(), RiskStatus::Identified);
        assert!(RiskStatus::parse("sleeping").is_err());
    }

    #[test]
    fn references_are_kept_as_written_within_limits() {
        assert_eq!(parse_reference(" R-1042 ").unwrap(), "R-1042");
        assert!(parse_reference("R 1042").is_err());
        assert!(parse_reference("").is_err());
    }
}
