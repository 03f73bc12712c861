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
    insert(
        conn,
        clinic_id,
        actor_id,
        action,
        subject_type,
        subject_id,
        None,
    )
}

/// Records a change with what it changed (JSON, e.g. old and new values per
/// field). Details may name the patient: [`forget_details`] drops them when
/// the patient is erased.
pub fn record_change(
    conn: &mut DbConn,
    clinic_id: &str,
    actor_id: &str,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    details: &serde_json::Value,
) -> QueryResult<()> {
    insert(
        conn,
        clinic_id,
        actor_id,
        action,
        subject_type,
        subject_id,
        Some(&details.to_string()),
    )
}

fn insert(
    conn: &mut DbConn,
    clinic_id: &str,
    actor_id: &str,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    details: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(al::table)
        .values((
            al::clinic_id.eq(clinic_id),
            al::actor_id.eq(actor_id),
            al::action.eq(action),
            al::subject_type.eq(subject_type),
            al::subject_id.eq(subject_id),
            al::at.eq(now_ms()),
            al::details.eq(details),
        ))
        .execute(conn)?;
    Ok(())
}

/// Drops the details of entries about these subjects (an erased patient and
/// their treatments): the trail keeps ids and actions only.
pub fn forget_details(
    conn: &mut DbConn,
    subject_type: &str,
    subject_ids: &[String],
) -> QueryResult<()> {
    diesel::update(
        al::table
            .filter(al::subject_type.eq(subject_type))
            .filter(al::subject_id.eq_any(subject_ids))
            .filter(al::details.is_not_null()),
    )
    .set(al::details.eq(None::<String>))
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
    /// JSON: what a correction changed (old and new values), when recorded.
    pub details: Option<String>,
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
            al::details,
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
