//! Who did what to which record, per clinic. Written in the same transaction
//! as the read or change it records.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::audit_log as al;
use crate::db::{now_ms, DbConn};

pub fn record(
    conn: &mut DbConn,
    clinic_id: &str,
    actor_id: &str,
    action: &str,
    subject_type: &str,
    subject_id: &str,
) -> QueryResult<()> {
    diesel::insert_into(al::table)
        .values((
            al::clinic_id.eq(clinic_id),
            al::actor_id.eq(actor_id),
            al::action.eq(action),
            al::subject_type.eq(subject_type),
            al::subject_id.eq(subject_id),
            al::at.eq(now_ms()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Queryable, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub at: i64,
}

/// Newest first; `before` pages backwards by id.
pub fn list(
    conn: &mut DbConn,
    clinic_id: &str,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let mut q = al::table
        .filter(al::clinic_id.eq(clinic_id))
        .select((
            al::id,
            al::actor_id,
            al::action,
            al::subject_type,
            al::subject_id,
            al::at,
        ))
        .order(al::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(al::id.lt(b));
    }
    q.load(conn)
}

/// Records a read of patient data when staff made it; patients reading their
/// own data are not audited. The one place where reads are audited.
pub fn staff_read(
    conn: &mut DbConn,
    scope: &super::Scope,
    action: &str,
    subject_type: &str,
    subject_id: &str,
) -> QueryResult<()> {
    match scope {
        super::Scope::Clinic {
            clinic_id,
            actor_id,
        } => record(conn, clinic_id, actor_id, action, subject_type, subject_id),
        super::Scope::Patient { .. } => Ok(()),
    }
}
