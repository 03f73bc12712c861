use diesel::prelude::*;

use crate::db::schema::clinics;
use crate::db::{now_ms, DbConn};

pub fn create(conn: &mut DbConn, name: &str) -> QueryResult<String> {
    let id = super::new_id();
    diesel::insert_into(clinics::table)
        .values((
            clinics::id.eq(&id),
            clinics::name.eq(name),
            clinics::created_at.eq(now_ms()),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn name(conn: &mut DbConn, id: &str) -> QueryResult<String> {
    clinics::table.find(id).select(clinics::name).first(conn)
}
