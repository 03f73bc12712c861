//! aftercare: recovery tracking after microneedling. The binary in `main.rs`
//! is a thin CLI over this library; integration tests use it too.
//!
//! Layers, each calling only the ones below it: `domain` (pure rules),
//! `push` (the Web Push transport, no database) and `notify` (e-mail and
//! webhook transports) ← `db` and `store`
//! (queries) ← `app` (use cases) ← `http` (state, errors, client address
//! shared by the web side) ← `api` (JSON) and `console` (HTML), and `jobs`
//! (background work, the push dispatcher among it) ← `startup` ← `main`.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod media;
pub mod metrics;
pub mod notify;
pub mod push;
pub mod secrets;
pub mod startup;
pub mod store;
pub mod telemetry;
