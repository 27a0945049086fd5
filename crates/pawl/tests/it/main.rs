//! pawl's integration tests: one binary (link time is precious), each test
//! against the real server on a random loopback port, on SQLite and on
//! PostgreSQL alike.

mod harness;

mod accounts;
mod api_catalog;
mod api_members;
mod api_system;
mod audit_trail;
mod audits;
mod backup;
mod browser;
mod cli;
mod controls;
mod demo;
mod documents;
mod hardening;
mod home;
mod improvement;
mod nonconformities;
mod notify;
mod organisation;
mod performance;
mod probe;
mod registers;
mod replicas;
mod risk;
mod staff;
mod store_contract;
mod trials;
mod web_ui;
