//! aftercare: recovery tracking after microneedling. The binary in `main.rs`
//! is a thin CLI over this library; integration tests use it too.

pub mod api;
pub mod auth;
pub mod cli;
pub mod clinic;
pub mod config;
pub mod console;
pub mod db;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod metrics;
pub mod push;
pub mod recovery;
pub mod startup;
pub mod store;
pub mod telemetry;
