//! Healing-course protocols: the one a clinic's new treatments start with,
//! and admins' own versions.

use std::sync::Arc;

use super::actor::{ClinicAdmin, ClinicStaff};
use super::error::AppResult;
use crate::db::Db;
use crate::domain::protocol::Protocol;
use crate::store::{audit, protocols};

/// The protocol new treatments of the clinic start with.
pub struct CurrentProtocol {
    pub id: String,
    pub protocol: Arc<Protocol>,
    pub clinic_specific: bool,
}

pub async fn current_protocol(db: &Db, staff: &ClinicStaff) -> AppResult<CurrentProtocol> {
    let clinic = staff.clinic_id.clone();
    db.read(move |c| {
        let id = protocols::current_for_clinic(c, &clinic)?;
        Ok(CurrentProtocol {
            protocol: protocols::get(c, &id)?,
            clinic_specific: protocols::is_clinic_specific(c, &id)?,
            id,
        })
    })
    .await
}

/// An admin tunes the clinic's protocol as a new version: (id, version).
pub async fn create_protocol(
    db: &Db,
    admin: ClinicAdmin,
    protocol: Protocol,
) -> AppResult<(String, u32)> {
    db.write(move |tx| {
        let c = tx.conn();
        let created = protocols::create_for_clinic(c, &admin.clinic_id, protocol)?;
        audit::record(
            c,
            &admin.clinic_id,
            &admin.account_id,
            "protocol.create",
            "protocol",
            &created.0,
        )?;
        Ok(created)
    })
    .await
}
