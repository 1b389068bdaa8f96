//! usps-batch: a batch job runner for the USPS v3 REST APIs, with a local sandbox.
//!
//! A row flows through the modules in this order: [`job`] (job file) and [`manifest`]
//! (input rows), [`checks`] (local validation that costs no call), [`scheduler`] (limiter and
//! dispatch), [`client`] (HTTP to USPS), [`state`] (SQLite checkpoints, ledger and cache) and
//! [`output`] (enriched file, error report, summary). [`sandbox`] is a local USPS server
//! beside them; [`usps`] holds the request and response types that both sides use.

pub mod checks;
pub mod cli;
pub mod client;
pub mod doctor;
pub mod exit;
pub mod job;
pub mod kinds;
pub mod manifest;
pub mod output;
pub mod quota;
pub mod sandbox;
pub mod scheduler;
pub mod state;
pub mod usps;
