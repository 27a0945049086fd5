//! One convention for every list: keyset pagination over (sort key, id),
//! a bounded `limit`, a total, and an opaque cursor to the next page.

use crate::StoreError;
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// The position after the last row of a page: its sort value and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: String,
}

impl Cursor {
    /// Hex of `key \u{1f} id`: opaque to clients, trivial to check.
    pub fn encode(&self) -> String {
        let mut raw = self.key.clone();
        raw.push('\u{1f}');
        raw.push_str(&self.id);
        raw.bytes().map(|b| format!("{b:02x}")).collect()
    }

    pub fn decode(s: &str) -> Result<Cursor, StoreError> {
        let bad = || {
            StoreError::Invalid(pawl_domain::DomainError::field(
                "cursor",
                "not a cursor this server issued",
            ))
        };
        if !s.len().is_multiple_of(2) || s.len() > 2048 {
            return Err(bad());
        }
        let bytes = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2).ok_or_else(bad)?, 16).map_err(|_| bad()))
            .collect::<Result<Vec<u8>, _>>()?;
        let raw = String::from_utf8(bytes).map_err(|_| bad())?;
        let (key, id) = raw.split_once('\u{1f}').ok_or_else(bad)?;
        Ok(Cursor {
            key: key.to_owned(),
            id: id.to_owned(),
        })
    }
}

/// What a caller asks of a list. `sort` names a column the list allows.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub limit: Option<u32>,
    pub cursor: Option<Cursor>,
    pub sort: Option<String>,
    pub order: SortOrder,
    /// Case-insensitive text search over the list's searchable columns.
    pub q: Option<String>,
    /// Leave `total` at 0: for walking a whole list, where counting every
    /// page again would cost more than reading it.
    pub skip_total: bool,
}

impl ListQuery {
    pub fn limit(&self) -> i64 {
        i64::from(self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT))
    }

    /// Resolves `sort` against the columns a list allows; the first is the default.
    pub(crate) fn sort_column(&self, allowed: &[(&str, &'static str)]) -> Result<&'static str, StoreError> {
        match &self.sort {
            None => Ok(allowed[0].1),
            Some(s) => allowed
                .iter()
                .find(|(name, _)| name == s)
                .map(|(_, col)| *col)
                .ok_or_else(|| {
                    StoreError::Invalid(pawl_domain::DomainError::field(
                        "sort",
                        format!(
                            "sort by one of: {}",
                            allowed.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                        ),
                    ))
                }),
        }
    }

    /// The keyset condition and ORDER BY for a sort expression, binding the
    /// cursor's key into `sql` as text or, for `numeric` sort keys, a number.
    /// Text comparison is exact for the fixed-width instants and identifiers
    /// pawl stores.
    pub(crate) fn keyset(
        &self,
        sql: &mut crate::sql::Sql,
        expr: &str,
        id: &str,
        numeric: bool,
    ) -> Result<(String, String), StoreError> {
        let (cmp, dir) = match self.order {
            SortOrder::Asc => (">", "ASC"),
            SortOrder::Desc => ("<", "DESC"),
        };
        let cond = match &self.cursor {
            None => String::new(),
            Some(c) => {
                let key = if numeric {
                    let n = c.key.parse::<i64>().map_err(|_| {
                        StoreError::Invalid(pawl_domain::DomainError::field(
                            "cursor",
                            "not a cursor this server issued",
                        ))
                    })?;
                    sql.int_arg(n)
                } else {
                    sql.text_arg(c.key.clone())
                };
                let idp = sql.text_arg(c.id.clone());
                format!(" AND ({expr} {cmp} {key} OR ({expr} = {key} AND {id} {cmp} {idp}))")
            }
        };
        Ok((cond, format!(" ORDER BY {expr} {dir}, {id} {dir}")))
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items match the filters, over all pages.
    pub total: i64,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only tells
    /// whether another page exists.
    pub(crate) fn from_rows(mut rows: Vec<T>, limit: i64, total: i64, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| cursor_of(r).encode())
        } else {
            None
        };
        Page {
            items: rows,
            total,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor {
            key: "2026-11-28T03:05:00.000000Z".into(),
            id: "0193-x".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in ["zz", "abc", "6162"] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_sort_columns_are_refused_with_the_allowed_ones() {
        let q = ListQuery {
            sort: Some("password".into()),
            ..Default::default()
        };
        let err = q.sort_column(&[("email", "email"), ("role", "role")]).unwrap_err();
        assert!(err.to_string().contains("email, role"), "{err}");
    }
}
