//! Building a query whose conditions depend on the caller's filters, with
//! placeholders numbered as arguments are added.

use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::Any;

/// Binds every argument, in order, to any of sqlx's query kinds.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::Int(n) => q.bind(*n),
                Arg::OptText(s) => q.bind(s.as_deref()),
                Arg::OptInt(n) => q.bind(*n),
            };
        }
        q
    }};
}

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    OptText(Option<String>),
    OptInt(Option<i64>),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    pub text: String,
    args: Vec<Arg>,
    /// Anonymous `?` placeholders, for statements whose every placeholder
    /// appears once and in argument order.
    positional: bool,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
            positional: false,
        }
    }

    /// For multi-row inserts, in the placeholder style the engine handles
    /// best at thousands of parameters (see `Engine::bulk_placeholders`).
    pub fn bulk(engine: crate::Engine) -> Sql {
        Sql {
            positional: engine.bulk_placeholders_positional(),
            ..Sql::new("")
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Adds an argument and returns its placeholder.
    pub fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        if self.positional {
            "?".to_owned()
        } else {
            format!("${}", self.args.len())
        }
    }

    pub fn text_arg(&mut self, s: impl Into<String>) -> String {
        self.arg(Arg::Text(s.into()))
    }

    pub fn int_arg(&mut self, n: i64) -> String {
        self.arg(Arg::Int(n))
    }

    /// `p1, p2, ...` for an `IN (…)` list of texts.
    pub fn text_list(&mut self, items: &[String]) -> String {
        let ps: Vec<String> = items.iter().map(|t| self.text_arg(t.clone())).collect();
        ps.join(", ")
    }

    /// `(p1, p2, ...)` for one row of a multi-row INSERT.
    pub fn row(&mut self, args: Vec<Arg>) -> String {
        let ps: Vec<String> = args.into_iter().map(|a| self.arg(a)).collect();
        format!("({})", ps.join(", "))
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        bind_all!(sqlx::query(&self.text), &self.args)
    }

    pub fn scalar<T>(&self) -> QueryScalar<'_, Any, T, AnyArguments<'_>>
    where
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        bind_all!(sqlx::query_scalar(&self.text), &self.args)
    }

    pub fn query_as<T>(&self) -> QueryAs<'_, Any, T, AnyArguments<'_>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        bind_all!(sqlx::query_as(&self.text), &self.args)
    }
}
