//! Monitoring and measurement (clause 9.1) and objectives (6.2): a metric's
//! status from its latest value against its target and thresholds, when
//! the next measurement is due, pawl's own measurements from counts of its
//! registers, measurements read from a spreadsheet, and an objective's
//! progress from its metrics.

use crate::register::{check_date, Value, METRIC};
use crate::risk::import::{ImportProblem, Table};
use crate::{DomainError, Problems};

/// A metric's target and thresholds, read from its stored text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub higher_is_better: bool,
    pub target: f64,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
}

/// A number as people write it: `95`, `4.5`, `12,5`, `80 %`.
pub fn parse_number(field: &str, text: &str) -> Result<Option<f64>, DomainError> {
    let t = text.trim().trim_end_matches('%').trim().replace(',', ".");
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(n) if n.abs() > MAX_MAGNITUDE => Err(DomainError::field(
            field,
            format!("{text:?} is larger than any measure pawl keeps (at most 10^15 either way)"),
        )),
        Ok(n) if n.is_finite() => Ok(Some(n)),
        _ => Err(DomainError::field(field, format!("{text:?} is not a number"))),
    }
}

/// The largest value a measurement or threshold may have, either way: far
/// beyond any real metric, and small enough that differences and scales
/// drawn from it (the trend's axis) stay finite.
const MAX_MAGNITUDE: f64 = 1e15;

impl Thresholds {
    /// The thresholds of a metric's values, every problem named: numbers,
    /// in the order its direction implies (when higher is better, critical
    /// at or below warning, warning at or below target).
    pub fn of(values: &[Value]) -> Result<Thresholds, DomainError> {
        let k = &METRIC;
        let mut p = Problems::default();
        let mut num = |f: &str| p.take(parse_number(f, &k.text(values, f))).flatten();
        let (target, warning, critical) = (num("target"), num("warning"), num("critical"));
        let higher_is_better = k.text(values, "direction") != "lower";
        let t = Thresholds {
            higher_is_better,
            target: target.unwrap_or(0.0),
            warning,
            critical,
        };
        let worse_or_equal = |a: f64, b: f64| if higher_is_better { a <= b } else { a >= b };
        let side = if higher_is_better { "at or below" } else { "at or above" };
        if let (Some(w), Some(target)) = (warning, target) {
            if !worse_or_equal(w, target) {
                p.push(
                    "warning",
                    format!("the warning threshold lies {side} the target ({target})"),
                );
            }
        }
        if let (Some(c), Some(bound)) = (critical, warning.or(target)) {
            if !worse_or_equal(c, bound) {
                p.push(
                    "critical",
                    format!("the critical threshold lies {side} the warning threshold and the target ({bound})"),
                );
            }
        }
        p.finish().map(|()| t)
    }

    /// `on_target`, `warning` or `critical` for a value: on target when it
    /// is no worse than the warning threshold (the target when none is
    /// set), critical at the critical threshold or past it, else a warning.
    pub fn status(&self, value: f64) -> &'static str {
        let better = |a: f64, b: f64| if self.higher_is_better { a > b } else { a < b };
        let good = self.warning.unwrap_or(self.target);
        if value == good || better(value, good) {
            "on_target"
        } else if self.critical.is_some_and(|c| !better(value, c)) {
            "critical"
        } else {
            "warning"
        }
    }
}

/// Days between measurements of a frequency.
pub fn frequency_days(code: &str) -> i64 {
    crate::register::frequency_days(code)
}

/// The derived fields of a metric from its latest measurement, if any:
/// status, latest value, when measured and when the next is due (today
/// when it was never measured).
pub fn derive(values: &mut [Value], latest: Option<(&str, f64)>, today: time::Date) {
    let k = &METRIC;
    let set = |values: &mut [Value], f: &str, v: Value| {
        if let Some(i) = k.index_of(f) {
            values[i] = v;
        }
    };
    let status = match (latest, Thresholds::of(values)) {
        (Some((_, v)), Ok(t)) => t.status(v),
        _ => "no_data",
    };
    set(values, "status_now", Value::Text(status.into()));
    set(
        values,
        "last_value",
        Value::Text(latest.map(|(_, v)| format_value(v)).unwrap_or_default()),
    );
    set(
        values,
        "last_measured_on",
        Value::OptText(latest.map(|(d, _)| d.to_owned())),
    );
    let next = latest
        .and_then(|(d, _)| crate::time_fmt::parse_date("last_measured_on", d).ok())
        .map(|d| d + time::Duration::days(frequency_days(&k.text(values, "frequency"))))
        .unwrap_or(today);
    set(values, "next_due", Value::OptText(Some(next.to_string())));
}

/// A value as people read it: whole numbers without decimals, others to
/// two places at most.
pub fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// What pawl counted in its own registers for a built-in metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// `done` of `of`, as a percentage; no data when `of` is 0.
    Share { done: i64, of: i64 },
    /// A count of records; no data when the register holds nothing at all,
    /// so that an empty register never reads as a perfect 0.
    Count { n: i64, register: i64 },
    /// A mean of `n` durations summing to `sum`; no data when `n` is 0.
    Mean { sum: f64, n: i64 },
}

impl Measure {
    pub fn value(self) -> Option<f64> {
        match self {
            Measure::Share { of: 0, .. } | Measure::Count { register: 0, .. } | Measure::Mean { n: 0, .. } => None,
            Measure::Share { done, of } => Some(((done as f64) * 1000.0 / of as f64).round() / 10.0),
            Measure::Count { n, .. } => Some(n as f64),
            Measure::Mean { sum, n } => Some((sum / n as f64 * 10.0).round() / 10.0),
        }
    }
}

/// One measurement read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasurementRow {
    pub line: u64,
    /// The metric's reference or title.
    pub metric: String,
    pub measured_on: String,
    pub value: f64,
    /// The other columns as `header: value`.
    pub note: String,
}

/// Reads measurements from a table with columns `metric`, `measured_on`
/// and `value` (any other column is kept as a note); the rows, or every
/// problem with its line and column.
pub fn parse_measurements(table: &Table) -> Result<Vec<MeasurementRow>, Vec<ImportProblem>> {
    let norm = |h: &str| h.trim().to_lowercase().replace([' ', '-'], "_");
    let needed = ["metric", "measured_on", "value"];
    let problem = |line, column: Option<usize>, message: String| ImportProblem {
        line,
        column: column.map(|c| c + 1),
        header: column.and_then(|c| table.header.get(c).cloned()),
        message,
    };
    let mut at = [0usize; 3];
    let mut problems = Vec::new();
    for (i, name) in needed.iter().enumerate() {
        match table.header.iter().position(|h| norm(h) == *name) {
            Some(c) => at[i] = c,
            None => problems.push(problem(
                1,
                None,
                format!("no `{name}` column; the file needs metric, measured_on and value"),
            )),
        }
    }
    if problems.is_empty() && table.rows.is_empty() {
        problems.push(problem(2, None, "the file has no measurements under its header".into()));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut rows = Vec::with_capacity(table.rows.len());
    for r in &table.rows {
        let cell = |c: usize| r.get(c).trim();
        let metric = cell(at[0]);
        if metric.is_empty() {
            problems.push(problem(
                r.line,
                Some(at[0]),
                "name the metric by reference or title".into(),
            ));
        }
        let date = check_date("measured_on", cell(at[1])).map_err(|_| {
            problem(
                r.line,
                Some(at[1]),
                format!("{:?} is not a date (YYYY-MM-DD)", cell(at[1])),
            )
        });
        let value = match parse_number("value", cell(at[2])) {
            Ok(Some(v)) => Ok(v),
            _ => Err(problem(
                r.line,
                Some(at[2]),
                format!("{:?} is not a number", cell(at[2])),
            )),
        };
        let note: Vec<String> = table
            .header
            .iter()
            .enumerate()
            .filter(|(c, _)| !at.contains(c) && !cell(*c).is_empty())
            .map(|(c, h)| format!("{}: {}", h.trim(), cell(c)))
            .collect();
        match (date, value) {
            (Ok(measured_on), Ok(value)) if !metric.is_empty() => rows.push(MeasurementRow {
                line: r.line,
                metric: metric.to_owned(),
                measured_on,
                value,
                note: note.join("; "),
            }),
            (d, v) => problems.extend(d.err().into_iter().chain(v.err())),
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// An active objective's progress from the status of the metrics that
/// measure it and its date: past its date, off track when a metric is
/// critical, at risk on a warning, on track when every measured metric is
/// on target, not measured when none is. A closed objective keeps its
/// outcome.
pub fn progress(state: &str, due_date: &str, today: &str, metric_status: &[String]) -> &'static str {
    match state {
        "achieved" => return "achieved",
        "not_achieved" => return "not_achieved",
        "withdrawn" => return "withdrawn",
        _ => {}
    }
    if !due_date.is_empty() && due_date < today {
        return "overdue";
    }
    let has = |s: &str| metric_status.iter().any(|m| m == s);
    if has("critical") {
        "off_track"
    } else if has("warning") {
        "at_risk"
    } else if has("on_target") {
        "on_track"
    } else {
        "no_data"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::fields;
    use serde_json::json;

    fn metric(direction: &str, target: &str, warning: &str, critical: &str) -> Vec<Value> {
        let input = json!({"title": "t", "frequency": "monthly", "direction": direction,
            "target": target, "warning": warning, "critical": critical});
        METRIC.apply(&METRIC.empty(), input.as_object().unwrap(), true).unwrap()
    }

    #[test]
    fn status_follows_the_direction_and_thresholds() {
        let t = Thresholds::of(&metric("higher", "95", "90", "80")).unwrap();
        assert_eq!(t.status(97.0), "on_target");
        assert_eq!(t.status(92.0), "on_target", "no worse than the warning threshold");
        assert_eq!(t.status(85.0), "warning");
        assert_eq!(t.status(80.0), "critical");
        let t = Thresholds::of(&metric("lower", "5", "", "10")).unwrap();
        assert_eq!(t.status(4.0), "on_target");
        assert_eq!(t.status(7.5), "warning");
        assert_eq!(t.status(12.0), "critical");
    }

    #[test]
    fn numbers_too_large_to_draw_are_refused_by_field() {
        assert_eq!(parse_number("value", "97,5 %").unwrap(), Some(97.5));
        assert_eq!(parse_number("value", "-1e15").unwrap(), Some(-1e15));
        for huge in ["1e308", "-2e15", "1e400"] {
            let e = parse_number("value", huge).unwrap_err().to_string();
            assert!(e.contains("value"), "{huge}: {e}");
        }
    }

    #[test]
    fn thresholds_in_the_wrong_order_are_named() {
        let e = Thresholds::of(&metric("higher", "95", "99", "99.5"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("warning") && e.contains("critical"), "{e}");
        let e = Thresholds::of(&metric("lower", "5", "x", "")).unwrap_err().to_string();
        assert!(e.contains("\"x\" is not a number"), "{e}");
    }

    #[test]
    fn no_measurement_is_no_data_and_due_today() {
        let mut v = metric("higher", "95", "", "");
        let today = time::macros::date!(2026 - 12 - 06);
        derive(&mut v, None, today);
        assert_eq!(fields::metric::STATUS_NOW.text(&v), "no_data");
        assert_eq!(fields::metric::NEXT_DUE.text(&v), "2026-12-06");
        derive(&mut v, Some(("2026-11-30", 96.5)), today);
        assert_eq!(fields::metric::STATUS_NOW.text(&v), "on_target");
        assert_eq!(fields::metric::LAST_VALUE.text(&v), "96.5");
        assert_eq!(fields::metric::NEXT_DUE.text(&v), "2026-12-31");
    }

    #[test]
    fn an_empty_register_is_no_data_never_zero_or_a_hundred() {
        assert_eq!(Measure::Share { done: 0, of: 0 }.value(), None);
        assert_eq!(Measure::Count { n: 0, register: 0 }.value(), None);
        assert_eq!(Measure::Count { n: 0, register: 12 }.value(), Some(0.0));
        assert_eq!(Measure::Share { done: 2, of: 3 }.value(), Some(66.7));
        assert_eq!(Measure::Mean { sum: 0.0, n: 0 }.value(), None);
    }

    #[test]
    fn progress_follows_metrics_and_dates() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(progress("active", "2027-01-01", "2026-12-06", &s(&[])), "no_data");
        assert_eq!(
            progress("active", "2027-01-01", "2026-12-06", &s(&["on_target", "warning"])),
            "at_risk"
        );
        assert_eq!(
            progress("active", "2027-01-01", "2026-12-06", &s(&["critical", "on_target"])),
            "off_track"
        );
        assert_eq!(
            progress("active", "2026-01-01", "2026-12-06", &s(&["on_target"])),
            "overdue"
        );
        assert_eq!(progress("achieved", "2026-01-01", "2026-12-06", &s(&[])), "achieved");
    }

    #[test]
    fn a_measurement_file_names_each_bad_cell() {
        let table = crate::risk::import::read_csv(
            b"metric,measured_on,value,source\nMET-0001,2026-11-30,97.5,ci\nMET-0002,30/11/2026,x,\n",
        )
        .unwrap();
        let e = parse_measurements(&table).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!((e[0].line, e[0].column), (3, Some(2)));
        assert_eq!((e[1].line, e[1].column), (3, Some(3)));
        let ok = crate::risk::import::read_csv(b"Metric,Measured on,Value\nMET-0001,2026-11-30,\"97,5 %\"\n").unwrap();
        let rows = parse_measurements(&ok).unwrap();
        assert_eq!(rows[0].value, 97.5);
    }
}
