//! The ISO/IEC 27001:2022 catalog: clauses 4 to 10 and the 93 Annex A
//! controls with their ISO/IEC 27002:2022 attributes.
//!
//! Only ids, short titles and attribute values are shipped, as data files
//! compiled into the binary; the standard's text is not.

use serde::Serialize;
use std::sync::OnceLock;

const ANNEX_A_CSV: &str = include_str!("../data/iso27001-2022-annex-a.csv");
const CLAUSES_CSV: &str = include_str!("../data/iso27001-2022-clauses.csv");

/// The four themes Annex A groups its controls into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum Theme {
    Organizational,
    People,
    Physical,
    Technological,
}

impl Theme {
    pub const ALL: [Theme; 4] = [
        Theme::Organizational,
        Theme::People,
        Theme::Physical,
        Theme::Technological,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Organizational => "Organizational",
            Theme::People => "People",
            Theme::Physical => "Physical",
            Theme::Technological => "Technological",
        }
    }

    pub fn parse(s: &str) -> Option<Theme> {
        Theme::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// One Annex A reference control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnnexAControl {
    /// `5.1` ... `8.34`.
    pub id: String,
    pub title: String,
    pub theme: Theme,
    pub new_in_2022: bool,
    /// The ISO/IEC 27002:2022 attributes; informative, as the data's source notes.
    pub attributes: ControlAttributes,
}

impl AnnexAControl {
    /// The `A.5.1` form auditors write.
    pub fn annex_ref(&self) -> String {
        format!("A.{}", self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ControlAttributes {
    pub control_type: Vec<String>,
    pub security_properties: Vec<String>,
    pub cybersecurity_concepts: Vec<String>,
    pub operational_capabilities: Vec<String>,
    pub security_domains: Vec<String>,
}

impl ControlAttributes {
    /// Each attribute family with its values, in the order 27002 lists them.
    pub fn families(&self) -> [(AttributeFamily, &[String]); 5] {
        [
            (AttributeFamily::ControlType, &self.control_type),
            (AttributeFamily::SecurityProperties, &self.security_properties),
            (AttributeFamily::CybersecurityConcepts, &self.cybersecurity_concepts),
            (AttributeFamily::OperationalCapabilities, &self.operational_capabilities),
            (AttributeFamily::SecurityDomains, &self.security_domains),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeFamily {
    ControlType,
    SecurityProperties,
    CybersecurityConcepts,
    OperationalCapabilities,
    SecurityDomains,
}

impl AttributeFamily {
    pub const ALL: [AttributeFamily; 5] = [
        AttributeFamily::ControlType,
        AttributeFamily::SecurityProperties,
        AttributeFamily::CybersecurityConcepts,
        AttributeFamily::OperationalCapabilities,
        AttributeFamily::SecurityDomains,
    ];

    pub fn key(self) -> &'static str {
        match self {
            AttributeFamily::ControlType => "control_type",
            AttributeFamily::SecurityProperties => "security_properties",
            AttributeFamily::CybersecurityConcepts => "cybersecurity_concepts",
            AttributeFamily::OperationalCapabilities => "operational_capabilities",
            AttributeFamily::SecurityDomains => "security_domains",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AttributeFamily::ControlType => "Control type",
            AttributeFamily::SecurityProperties => "Security properties",
            AttributeFamily::CybersecurityConcepts => "Cybersecurity concepts",
            AttributeFamily::OperationalCapabilities => "Operational capabilities",
            AttributeFamily::SecurityDomains => "Security domains",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        AttributeFamily::ALL.into_iter().find(|f| f.key() == key)
    }
}

/// One clause or sub-clause of 4 to 10.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clause {
    /// `4`, `4.1`, `6.1.2` ...
    pub id: String,
    pub parent: Option<String>,
    pub level: u8,
    pub title: String,
    /// What documented information the clause asks for, paraphrased; empty when none.
    pub documented_information: Option<String>,
}

/// The catalog, parsed once from the embedded data.
#[derive(Debug)]
pub struct Catalog {
    pub annex_a: Vec<AnnexAControl>,
    pub clauses: Vec<Clause>,
}

impl Catalog {
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog {
            annex_a: parse_annex_a(ANNEX_A_CSV),
            clauses: parse_clauses(CLAUSES_CSV),
        })
    }

    pub fn control(&self, id: &str) -> Option<&AnnexAControl> {
        let id = id.trim().trim_start_matches("A.");
        self.annex_a.iter().find(|c| c.id == id)
    }

    pub fn clause(&self, id: &str) -> Option<&Clause> {
        self.clauses.iter().find(|c| c.id == id.trim())
    }

    /// Controls matching a theme and an attribute value (both optional).
    pub fn filter<'a, 'v>(
        &'a self,
        theme: Option<Theme>,
        attribute: Option<(AttributeFamily, &'v str)>,
    ) -> impl Iterator<Item = &'a AnnexAControl> + use<'a, 'v> {
        self.annex_a.iter().filter(move |c| {
            theme.is_none_or(|t| c.theme == t)
                && attribute.is_none_or(|(family, value)| {
                    c.attributes
                        .families()
                        .iter()
                        .any(|(f, vs)| *f == family && vs.iter().any(|v| v == value))
                })
        })
    }

    /// Every value used in each attribute family, sorted, for filter menus.
    pub fn attribute_values(&self, family: AttributeFamily) -> Vec<String> {
        let mut v: Vec<String> = self
            .annex_a
            .iter()
            .flat_map(|c| {
                c.attributes
                    .families()
                    .into_iter()
                    .find(|(f, _)| *f == family)
                    .map(|(_, vs)| vs.to_vec())
                    .unwrap_or_default()
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

fn split_values(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.trim_start_matches('#').replace('_', " "))
        .collect()
}

// The data files are part of the build: a malformed one is a bug caught by
// the tests below, not a runtime condition, hence the expects.
fn parse_annex_a(csv_text: &str) -> Vec<AnnexAControl> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec.expect("embedded Annex A data is valid CSV");
            let col = |i: usize| rec.get(i).unwrap_or("").trim();
            AnnexAControl {
                id: col(0).to_owned(),
                title: col(2).to_owned(),
                theme: Theme::parse(col(3)).expect("embedded Annex A data has known themes"),
                new_in_2022: col(4) == "yes",
                attributes: ControlAttributes {
                    control_type: split_values(col(5)),
                    security_properties: split_values(col(6)),
                    cybersecurity_concepts: split_values(col(7)),
                    operational_capabilities: split_values(col(8)),
                    security_domains: split_values(col(9)),
                },
            }
        })
        .collect()
}

fn parse_clauses(csv_text: &str) -> Vec<Clause> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec.expect("embedded clause data is valid CSV");
            let col = |i: usize| rec.get(i).unwrap_or("").trim();
            Clause {
                id: col(0).to_owned(),
                parent: Some(col(1)).filter(|p| !p.is_empty()).map(str::to_owned),
                level: col(2).parse().expect("embedded clause data has numeric levels"),
                title: col(3).to_owned(),
                documented_information: Some(col(4)).filter(|d| !d.is_empty()).map(str::to_owned),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_a_has_93_controls_in_four_themes() {
        let c = Catalog::get();
        assert_eq!(c.annex_a.len(), 93);
        let count = |t| c.annex_a.iter().filter(|x| x.theme == t).count();
        assert_eq!(
            [
                Theme::Organizational,
                Theme::People,
                Theme::Physical,
                Theme::Technological
            ]
            .map(count),
            [37, 8, 14, 34]
        );
        assert_eq!(c.control("A.8.34").unwrap().annex_ref(), "A.8.34");
        assert_eq!(c.annex_a.iter().filter(|x| x.new_in_2022).count(), 11);
    }

    #[test]
    fn every_control_carries_all_five_attribute_families() {
        for c in &Catalog::get().annex_a {
            for (family, values) in c.attributes.families() {
                assert!(!values.is_empty(), "{} has no {:?}", c.id, family);
            }
        }
    }

    #[test]
    fn clauses_cover_4_to_10_and_link_to_parents() {
        let c = Catalog::get();
        let top: Vec<_> = c
            .clauses
            .iter()
            .filter(|x| x.level == 1)
            .map(|x| x.id.as_str())
            .collect();
        assert_eq!(top, ["4", "5", "6", "7", "8", "9", "10"]);
        for clause in &c.clauses {
            if let Some(p) = &clause.parent {
                assert!(c.clause(p).is_some(), "{} has unknown parent {p}", clause.id);
            }
        }
        assert!(c.clause("6.1.2").is_some());
    }

    #[test]
    fn filtering_by_theme_and_attribute_narrows_the_list() {
        let c = Catalog::get();
        let people_detective: Vec<_> = c
            .filter(Some(Theme::People), Some((AttributeFamily::ControlType, "Detective")))
            .map(|x| x.id.as_str())
            .collect();
        assert!(people_detective.iter().all(|id| id.starts_with("6.")));
        assert!(c
            .attribute_values(AttributeFamily::ControlType)
            .contains(&"Preventive".to_owned()));
    }
}
