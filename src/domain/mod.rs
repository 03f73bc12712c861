//! Pure domain logic: no I/O, unit-tested without a database.

pub mod account;
