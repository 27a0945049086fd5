//! pawl's domain: the vocabulary of ISO/IEC 27001:2022 as plain Rust types.
//!
//! Invariant: nothing in this crate does IO. Storage, HTTP and the clock live
//! in the crates above; this one only decides what is valid and what follows.

pub mod access;
pub mod audit;
pub mod calendar;
pub mod catalog;
pub mod control;
pub mod crosswalk;
pub mod cycle;
pub mod document;
pub mod history;
pub mod identity;
pub mod internal_audit;
pub mod metric;
pub mod nonconformity;
pub mod notify;
pub mod readiness;
pub mod record_type;
pub mod register;
pub mod review;
pub mod risk;
pub mod time_fmt;
pub mod training;

mod error;

pub use error::{DomainError, FieldError, Problems};
