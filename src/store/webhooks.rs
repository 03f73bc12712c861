//! A clinic's webhooks. Deleted ones keep their row (`deleted_at`), so alert
//! history can still name them; every query of live ones filters them out.

use diesel::prelude::*;

use crate::db::schema::webhooks as w;
use crate::db::{now_ms, DbConn};

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = w)]
pub struct Webhook {
    pub id: String,
    pub clinic_id: String,
    pub url: String,
    /// Signs deliveries; never logged (`Debug` leaves it out).
    pub secret: String,
    pub created_by: String,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("clinic_id", &self.clinic_id)
            .finish_non_exhaustive()
    }
}

pub fn create(
    conn: &mut DbConn,
    clinic_id: &str,
    url: &str,
    secret: &str,
    created_by: &str,
) -> QueryResult<Webhook> {
    let id = super::new_id();
    diesel::insert_into(w::table)
        .values((
            w::id.eq(&id),
            w::clinic_id.eq(clinic_id),
            w::url.eq(url),
            w::secret.eq(secret),
            w::created_by.eq(created_by),
            w::created_at.eq(now_ms()),
        ))
        .execute(conn)?;
    w::table
        .find(&id)
        .select(Webhook::as_select())
        .get_result(conn)
}

/// The clinic's live webhooks, oldest first.
pub fn list(conn: &mut DbConn, clinic_id: &str) -> QueryResult<Vec<Webhook>> {
    w::table
        .filter(w::clinic_id.eq(clinic_id))
        .filter(w::deleted_at.is_null())
        .order((w::created_at, w::id))
        .select(Webhook::as_select())
        .load(conn)
}

/// A live webhook of the clinic; `NotFound` across clinics or once deleted.
pub fn get(conn: &mut DbConn, clinic_id: &str, id: &str) -> QueryResult<Webhook> {
    w::table
        .find(id)
        .filter(w::clinic_id.eq(clinic_id))
        .filter(w::deleted_at.is_null())
        .select(Webhook::as_select())
        .get_result(conn)
}

/// A webhook by id, deleted or not (for sending: a deleted one is skipped).
pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<Webhook>> {
    w::table
        .find(id)
        .select(Webhook::as_select())
        .get_result(conn)
        .optional()
}

/// Marks a live webhook of the clinic deleted; whether there was one.
pub fn delete(conn: &mut DbConn, clinic_id: &str, id: &str) -> QueryResult<bool> {
    Ok(diesel::update(
        w::table
            .find(id)
            .filter(w::clinic_id.eq(clinic_id))
            .filter(w::deleted_at.is_null()),
    )
    .set(w::deleted_at.eq(now_ms()))
    .execute(conn)?
        == 1)
}
