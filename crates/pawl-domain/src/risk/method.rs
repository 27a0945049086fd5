//! The risk method: likelihood and impact scales, the matrix that combines
//! them into a risk level, and the acceptance criteria (clause 6.1.2 a, b).
//!
//! A method is versioned; each assessment names the version it used, so
//! results stay comparable and a new method never rewrites the past.

use super::normalise;
use crate::identity::Role;
use crate::DomainError;
use crate::Problems;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleLevel {
    pub label: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskLevel {
    /// A short key such as `high`, used in data and filters.
    pub key: String,
    pub label: String,
    /// `#rrggbb`, for heat maps and badges.
    pub colour: String,
}

/// Whether risks of one level may be retained, and who may accept them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptanceRule {
    pub level: String,
    pub may_retain: bool,
    /// Roles whose holders may accept a residual risk at this level.
    pub accepted_by: Vec<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskMethod {
    /// Lowest first; value n is `likelihood[n - 1]`.
    pub likelihood: Vec<ScaleLevel>,
    pub impact: Vec<ScaleLevel>,
    /// Lowest first.
    pub levels: Vec<RiskLevel>,
    /// `matrix[l - 1][i - 1]` is the key of the level for likelihood l, impact i.
    pub matrix: Vec<Vec<String>>,
    pub acceptance: Vec<AcceptanceRule>,
}

fn scale(items: &[(&str, &str)]) -> Vec<ScaleLevel> {
    items
        .iter()
        .map(|(l, d)| ScaleLevel {
            label: (*l).into(),
            description: (*d).into(),
        })
        .collect()
}

impl RiskMethod {
    /// A 5 × 5 method in the manner of ISO/IEC 27005, a common starting point.
    pub fn default_5x5() -> RiskMethod {
        let level = |key: &str, label: &str, colour: &str| RiskLevel {
            key: key.into(),
            label: label.into(),
            colour: colour.into(),
        };
        let matrix = (1..=5)
            .map(|l| {
                (1..=5)
                    .map(|i| {
                        match l * i {
                            1..=4 => "low",
                            5..=9 => "medium",
                            10..=16 => "high",
                            _ => "critical",
                        }
                        .to_owned()
                    })
                    .collect()
            })
            .collect();
        use Role::*;
        RiskMethod {
            likelihood: scale(&[
                ("Rare", "Not expected in the next five years"),
                ("Unlikely", "Could happen once in two to five years"),
                ("Possible", "Could happen about once a year"),
                ("Likely", "Expected several times a year"),
                ("Almost certain", "Expected monthly or more often"),
            ]),
            impact: scale(&[
                ("Negligible", "No noticeable effect on customers or operations"),
                ("Minor", "Brief disruption or a small data exposure, handled in routine"),
                (
                    "Moderate",
                    "Customer-visible disruption or a reportable exposure of limited data",
                ),
                ("Major", "Prolonged outage, regulatory notice or loss of key customers"),
                (
                    "Severe",
                    "Threatens the business: large breach, long outage, heavy penalties",
                ),
            ]),
            levels: vec![
                level("low", "Low", "#2f9e44"),
                level("medium", "Medium", "#f59f00"),
                level("high", "High", "#e8590c"),
                level("critical", "Critical", "#c92a2a"),
            ],
            matrix,
            acceptance: vec![
                AcceptanceRule {
                    level: "low".into(),
                    may_retain: true,
                    accepted_by: vec![Contributor, Manager, Admin],
                },
                AcceptanceRule {
                    level: "medium".into(),
                    may_retain: true,
                    accepted_by: vec![Manager, Admin],
                },
                AcceptanceRule {
                    level: "high".into(),
                    may_retain: true,
                    accepted_by: vec![Admin],
                },
                AcceptanceRule {
                    level: "critical".into(),
                    may_retain: false,
                    accepted_by: vec![],
                },
            ],
        }
    }

    /// The method with scales of `likelihood` and `impact` steps and `levels`
    /// risk levels (each clamped to what a method allows), as a starting point
    /// for editing: new scale steps get placeholder labels, new matrix cells
    /// copy their nearest neighbour, and cells of a removed level fall to the
    /// highest level that remains.
    pub fn resized(&self, likelihood: usize, impact: usize, levels: usize) -> RiskMethod {
        let (likelihood, impact, levels) = (likelihood.clamp(3, 7), impact.clamp(3, 7), levels.clamp(1, 7));
        let mut m = self.clone();
        let fit = |s: &mut Vec<ScaleLevel>, n: usize| {
            s.truncate(n);
            while s.len() < n {
                s.push(ScaleLevel {
                    label: format!("Level {}", s.len() + 1),
                    description: String::new(),
                });
            }
        };
        fit(&mut m.likelihood, likelihood);
        fit(&mut m.impact, impact);
        m.levels.truncate(levels);
        while m.levels.len() < levels {
            let n = m.levels.len() + 1;
            m.levels.push(RiskLevel {
                key: format!("level_{n}"),
                label: format!("Level {n}"),
                colour: "#868e96".into(),
            });
        }
        m.acceptance.retain(|a| m.levels.iter().any(|l| l.key == a.level));
        for l in &m.levels {
            if !m.acceptance.iter().any(|a| a.level == l.key) {
                m.acceptance.push(AcceptanceRule {
                    level: l.key.clone(),
                    may_retain: false,
                    accepted_by: vec![],
                });
            }
        }
        let top = m.levels.last().map(|l| l.key.clone()).unwrap_or_default();
        let old = std::mem::take(&mut m.matrix);
        m.matrix = (0..likelihood)
            .map(|r| {
                (0..impact)
                    .map(|c| {
                        let row = old.get(r.min(old.len().saturating_sub(1)));
                        let cell = row.and_then(|row| row.get(c.min(row.len().saturating_sub(1))));
                        match cell {
                            Some(k) if m.levels.iter().any(|l| &l.key == k) => k.clone(),
                            _ => top.clone(),
                        }
                    })
                    .collect()
            })
            .collect();
        m
    }

    /// Checks that the method is complete and consistent, naming each fault.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut p = Problems::default();
        for (name, s) in [("likelihood", &self.likelihood), ("impact", &self.impact)] {
            if !(3..=7).contains(&s.len()) {
                p.push(name, format!("use 3 to 7 levels, not {}", s.len()));
            }
            for (n, l) in s.iter().enumerate() {
                if l.label.trim().is_empty() {
                    p.push(&format!("{name}[{}].label", n + 1), "give each level a label");
                }
            }
        }
        if self.levels.is_empty() {
            p.push("levels", "define at least one risk level");
        }
        for (n, l) in self.levels.iter().enumerate() {
            let ok_colour = l.colour.len() == 7
                && l.colour.starts_with('#')
                && l.colour[1..].chars().all(|c| c.is_ascii_hexdigit());
            if !ok_colour {
                p.push(&format!("levels[{n}].colour"), "use a colour like #c92a2a");
            }
            if l.key.is_empty() || normalise(&l.key) != l.key.replace('_', "") {
                p.push(&format!("levels[{n}].key"), "use lowercase letters, digits or _");
            }
            if self.levels.iter().filter(|o| o.key == l.key).count() > 1 {
                p.push(&format!("levels[{n}].key"), format!("{:?} is used twice", l.key));
            }
        }
        if self.matrix.len() != self.likelihood.len() {
            p.push("matrix", "give one row per likelihood level");
        }
        for (r, row) in self.matrix.iter().enumerate() {
            if row.len() != self.impact.len() {
                p.push(&format!("matrix[{}]", r + 1), "give one cell per impact level");
            }
            for (c, key) in row.iter().enumerate() {
                if self.level(key).is_none() {
                    p.push(
                        &format!("matrix[{}][{}]", r + 1, c + 1),
                        format!("{key:?} is not a defined level"),
                    );
                }
            }
        }
        for l in &self.levels {
            if !self.acceptance.iter().any(|a| a.level == l.key) {
                p.push("acceptance", format!("say whether level {:?} may be retained", l.key));
            }
        }
        for (n, a) in self.acceptance.iter().enumerate() {
            if self.level(&a.level).is_none() {
                p.push(
                    &format!("acceptance[{n}].level"),
                    format!("{:?} is not a defined level", a.level),
                );
            }
        }
        p.finish()
    }

    pub fn level(&self, key: &str) -> Option<&RiskLevel> {
        self.levels.iter().find(|l| l.key == key)
    }

    /// 0 for the lowest level; for ordering and comparing levels.
    pub fn rank(&self, key: &str) -> usize {
        self.levels.iter().position(|l| l.key == key).unwrap_or(0)
    }

    /// The level of a likelihood and impact pair, both counted from 1.
    pub fn level_for(&self, likelihood: u8, impact: u8) -> Option<&RiskLevel> {
        let key = self
            .matrix
            .get(usize::from(likelihood).checked_sub(1)?)?
            .get(usize::from(impact).checked_sub(1)?)?;
        self.level(key)
    }

    /// Reads a likelihood or impact given as a number or a label of the scale.
    pub fn score(&self, field: &str, axis: Axis, s: &str) -> Result<u8, DomainError> {
        let levels = match axis {
            Axis::Likelihood => &self.likelihood,
            Axis::Impact => &self.impact,
        };
        let t = s.trim();
        if let Ok(n) = t.parse::<u8>() {
            if (1..=levels.len()).contains(&usize::from(n)) {
                return Ok(n);
            }
        }
        if let Some(i) = levels.iter().position(|l| normalise(&l.label) == normalise(t)) {
            return Ok(i as u8 + 1);
        }
        let labels: Vec<String> = levels
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{} {}", i + 1, l.label))
            .collect();
        Err(DomainError::field(
            field,
            format!("{t:?} is not on the scale: use {}", labels.join(", ")),
        ))
    }

    /// Each level's name by its key, e.g. `medium` to `Medium`.
    pub fn level_labels(&self) -> std::collections::HashMap<String, String> {
        self.levels.iter().map(|l| (l.key.clone(), l.label.clone())).collect()
    }

    /// Whether someone with `role` may accept a residual risk at `level`,
    /// and if not, why not.
    pub fn may_accept(&self, level: &str, role: Role) -> Result<(), String> {
        let label = self.level(level).map(|l| l.label.as_str()).unwrap_or(level);
        match self.acceptance.iter().find(|a| a.level == level) {
            Some(a) if !a.may_retain => Err(format!(
                "{label} risks may not be retained under the risk method; treat, avoid or share them"
            )),
            Some(a) if a.accepted_by.contains(&role) => Ok(()),
            Some(a) => Err(format!(
                "under the risk method only these roles may accept a {label} risk: {} (yours is {})",
                role_list(&a.accepted_by),
                role.label()
            )),
            None => Err(format!("the risk method says nothing about accepting {label} risks")),
        }
    }

    /// How a person may accept a residual risk at `level` (6.1.3 f): as its
    /// owner, where the method lets the owner's role accept that level; or,
    /// where it does not, as an ISMS manager or administrator whose role the
    /// method allows, on the owner's behalf. `Err` says why not.
    pub fn acceptance_by(&self, level: &str, role: Role, is_owner: bool) -> Result<AcceptedAs, String> {
        self.may_accept(level, role)?;
        if is_owner {
            Ok(AcceptedAs::Owner)
        } else if matches!(role, Role::Manager | Role::Admin) {
            Ok(AcceptedAs::OnOwnersBehalf)
        } else {
            Err("only the risk owner, or an ISMS manager or administrator on the owner's behalf, may accept it".into())
        }
    }

    /// Who may accept a residual risk at `level`, in words for the form.
    pub fn who_may_accept(&self, level: &str) -> String {
        let label = self.level(level).map(|l| l.label.as_str()).unwrap_or(level);
        match self.acceptance.iter().find(|a| a.level == level) {
            Some(a) if a.may_retain && !a.accepted_by.is_empty() => format!(
                "Under the risk method a {label} risk may be accepted by: {}. The owner accepts it where their role is among these; \
                 otherwise an ISMS manager or administrator among them accepts it on the owner's behalf.",
                role_list(&a.accepted_by)
            ),
            _ => format!("Under the risk method a {label} risk may not be retained: treat, avoid or share it."),
        }
    }
}

fn role_list(roles: &[Role]) -> String {
    if roles.is_empty() {
        return "no one".into();
    }
    roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")
}

/// Whose acceptance a recorded acceptance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptedAs {
    /// The risk owner accepted their own risk.
    Owner,
    /// Someone with the method's authority accepted it for the owner.
    OnOwnersBehalf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Likelihood,
    Impact,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_method_is_valid_and_maps_the_corners() {
        let m = RiskMethod::default_5x5();
        m.validate().unwrap();
        assert_eq!(m.level_for(1, 1).unwrap().key, "low");
        assert_eq!(m.level_for(5, 5).unwrap().key, "critical");
        assert_eq!(m.level_for(3, 4).unwrap().key, "high");
        assert!(m.level_for(0, 3).is_none() && m.level_for(6, 1).is_none());
        assert!(m.rank("critical") > m.rank("high"));
    }

    #[test]
    fn resizing_keeps_what_it_can_and_stays_valid() {
        let m = RiskMethod::default_5x5();
        let small = m.resized(3, 4, 3);
        small.validate().unwrap();
        assert_eq!(
            (small.likelihood.len(), small.impact.len(), small.levels.len()),
            (3, 4, 3)
        );
        assert_eq!(small.likelihood[0].label, "Rare");
        // The removed "critical" falls to the highest remaining level.
        assert!(small.matrix.iter().flatten().all(|k| k != "critical"));
        assert!(small.acceptance.iter().all(|a| a.level != "critical"));
        let big = m.resized(7, 7, 5);
        big.validate().unwrap();
        assert_eq!(big.likelihood[6].label, "Level 7");
        assert_eq!(big.matrix[6][6], "critical", "new cells copy their neighbour");
        assert_eq!(big.levels[4].key, "level_5");
        assert_eq!(m.resized(1, 99, 0).matrix.len(), 3, "sizes are clamped");
    }

    #[test]
    fn scores_read_numbers_and_labels() {
        let m = RiskMethod::default_5x5();
        assert_eq!(m.score("likelihood", Axis::Likelihood, "4").unwrap(), 4);
        assert_eq!(m.score("likelihood", Axis::Likelihood, "almost certain").unwrap(), 5);
        let err = m.score("impact", Axis::Impact, "9").unwrap_err().to_string();
        assert!(err.contains("1 Negligible") && err.contains("5 Severe"), "{err}");
    }

    #[test]
    fn an_acceptance_above_the_role_is_refused_with_a_reason() {
        let m = RiskMethod::default_5x5();
        assert!(m.may_accept("low", Role::Contributor).is_ok());
        let why = m.may_accept("high", Role::Manager).unwrap_err();
        assert!(
            why.contains("may accept a High risk: Administrator (yours is ISMS manager)"),
            "{why}"
        );
        assert!(m
            .may_accept("critical", Role::Admin)
            .unwrap_err()
            .contains("may not be retained"));
        assert!(m.may_accept("low", Role::Auditor).is_err());
    }

    /// A manager may accept a contributor's medium risk for them; the
    /// contributor may accept a low one themselves; another contributor may
    /// accept neither.
    #[test]
    fn acceptance_goes_to_whoever_the_method_allows_on_the_owners_behalf() {
        let m = RiskMethod::default_5x5();
        assert_eq!(m.acceptance_by("low", Role::Contributor, true), Ok(AcceptedAs::Owner));
        assert_eq!(
            m.acceptance_by("medium", Role::Manager, false),
            Ok(AcceptedAs::OnOwnersBehalf)
        );
        assert!(m.acceptance_by("medium", Role::Contributor, true).is_err());
        assert!(m
            .acceptance_by("low", Role::Contributor, false)
            .unwrap_err()
            .contains("on the owner's behalf"));
        assert!(m.who_may_accept("medium").contains("ISMS manager, Administrator"));
        assert!(m.who_may_accept("critical").contains("may not be retained"));
    }

    #[test]
    fn a_broken_method_names_every_fault() {
        let mut m = RiskMethod::default_5x5();
        m.likelihood.truncate(2);
        m.levels[0].colour = "green".into();
        m.matrix[0][0] = "tiny".into();
        let err = m.validate().unwrap_err().to_string();
        for part in ["likelihood", "levels[0].colour", "matrix[1][1]", "matrix"] {
            assert!(err.contains(part), "{part} missing from {err}");
        }
    }
}
