//! Black-box tests over HTTP against a real server on a loopback port, run
//! once on SQLite and once on PostgreSQL. One binary for fast builds.

mod helpers;

mod accounts;
mod alerts;
mod auth;
mod authz;
mod console;
mod contract;
mod errors;
mod faults;
mod health;
mod input_text;
mod limits;
mod logs;
mod patients;
mod privacy;
mod push_service;
mod recovery;
mod reminders;
mod schema_parity;
mod smtp_receiver;
mod sync;
mod sync_devices;
mod treatment_series;
mod triage;
mod webhook_receiver;
