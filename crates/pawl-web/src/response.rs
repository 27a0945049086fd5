//! What the API and the pages both answer with: downloads, the paging of
//! every list and its one response shape. A leaf: `api` and `ui` use it.

use serde::Deserialize;
use utoipa::IntoParams;

/// The headers of a file download: its type, and a name that is plain
/// ASCII without quotes, so no header can be broken by it.
pub(crate) fn attachment(mime: &str, name: &str) -> [(axum::http::HeaderName, String); 2] {
    let name: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    [
        (axum::http::header::CONTENT_TYPE, mime.to_owned()),
        (
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ),
    ]
}

/// The paging, sorting and search parameters every list accepts.
#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// A column to sort by; each list names the ones it allows.
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    pub order: Option<String>,
    /// Case-insensitive text search.
    pub q: Option<String>,
}

impl ListParams {
    pub fn to_query(&self) -> Result<pawl_store::ListQuery, crate::ApiError> {
        let order = match self.order.as_deref() {
            None | Some("asc") => pawl_store::SortOrder::Asc,
            Some("desc") => pawl_store::SortOrder::Desc,
            Some(other) => {
                return Err(crate::ApiError::invalid(vec![pawl_domain::FieldError::new(
                    "order",
                    format!("{other:?} is not asc or desc"),
                )]))
            }
        };
        if let Some(n) = self.limit.filter(|n| !(1..=pawl_store::MAX_LIMIT).contains(n)) {
            return Err(crate::ApiError::invalid(vec![pawl_domain::FieldError::new(
                "limit",
                format!("{n} is not a page size from 1 to {}", pawl_store::MAX_LIMIT),
            )]));
        }
        Ok(pawl_store::ListQuery {
            limit: self.limit,
            cursor: self.cursor.as_deref().map(pawl_store::Cursor::decode).transpose()?,
            sort: self.sort.clone(),
            order,
            q: self.q.clone().filter(|q| !q.trim().is_empty()),
            skip_total: false,
        })
    }
}

/// The one shape of every list response, built whole or from a store page.
pub trait ListBody: Sized {
    type Item;

    fn from_parts(items: Vec<Self::Item>, total: i64, next_cursor: Option<String>) -> Self;

    /// A list that is complete in one response.
    fn whole(items: Vec<Self::Item>) -> Self {
        let total = items.len() as i64;
        Self::from_parts(items, total, None)
    }

    /// One page of a longer list.
    fn page<T: Into<Self::Item>>(page: pawl_store::Page<T>) -> Self {
        let page = page.map(Into::into);
        Self::from_parts(page.items, page.total, page.next_cursor)
    }
}

/// Declares a list response type `{ items, total, next_cursor }` for one item type.
macro_rules! list_of {
    ($name:ident, $item:ty) => {
        #[derive(serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Items matching the filters over all pages.
            pub total: i64,
            /// Pass as `cursor` to get the next page; null on the last page.
            pub next_cursor: Option<String>,
        }

        impl $crate::response::ListBody for $name {
            type Item = $item;

            fn from_parts(items: Vec<$item>, total: i64, next_cursor: Option<String>) -> Self {
                Self {
                    items,
                    total,
                    next_cursor,
                }
            }
        }
    };
}
pub(crate) use list_of;
