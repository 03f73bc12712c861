//! Tombstones: what a device must delete on its next pull.

use diesel::prelude::*;

use crate::db::schema::sync_tombstones as ts;
use crate::db::{now_ms, PatientWrite};

/// Records that the patient's `record_id` of `table` was deleted.
pub fn record(w: &mut PatientWrite<'_, '_>, table: &str, record_id: &str) -> QueryResult<()> {
    let seq = w.stamp()?;
    let (conn, patient_id) = w.split();
    diesel::insert_into(ts::table)
        .values((
            ts::patient_id.eq(patient_id),
            ts::table_name.eq(table),
            ts::record_id.eq(record_id),
            ts::seq.eq(seq),
            ts::deleted_at.eq(now_ms()),
        ))
        .execute(conn)?;
    Ok(())
}
