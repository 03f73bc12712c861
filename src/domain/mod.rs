//! Pure domain logic: no I/O, unit-tested without a database.

pub mod account;
pub mod alert;
pub mod assessment;
pub mod care;
pub mod device;
pub mod evidence;
pub mod ids;
pub mod log;
pub mod protocol;
pub mod reminder;
pub mod risk;
pub mod schedule;
pub mod series;
pub mod signs;
pub mod sync_push;
pub mod sync_schema;
pub mod text;
pub mod timeline;
pub mod treatment;
