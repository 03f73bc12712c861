//! Healing-course protocols: immutable, versioned JSON definitions. The
//! shipped default is seeded at start; parsed definitions are cached by id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use diesel::prelude::*;

use crate::db::schema::protocols as p;
use crate::db::{now_ms, DbConn};
use crate::domain::protocol::Protocol;
use crate::per_backend;

fn default_id(protocol: &Protocol) -> String {
    format!("default:{}:v{}", protocol.name, protocol.version)
}

/// Stores every shipped default protocol version that is not there yet.
/// New treatments start with the newest; a treatment keeps the version it
/// was registered with, so older versions stay.
pub fn seed_default(conn: &mut DbConn) -> QueryResult<()> {
    for definition in Protocol::shipped_json() {
        let protocol =
            Protocol::from_json(definition).map_err(|e| super::corrupt("shipped protocol", e))?;
        let id = default_id(&protocol);
        per_backend!(conn, |c| diesel::insert_into(p::table)
            .values((
                p::id.eq(&id),
                p::name.eq(&protocol.name),
                p::version.eq(protocol.version as i32),
                p::definition.eq(definition),
                p::created_at.eq(now_ms()),
            ))
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(())
}

/// The protocol a new treatment at this clinic starts with: the clinic's own
/// newest version if it has one, else the newest default.
pub fn current_for_clinic(conn: &mut DbConn, clinic_id: &str) -> QueryResult<String> {
    let own: Option<String> = p::table
        .filter(p::clinic_id.eq(clinic_id))
        .order((p::version.desc(), p::created_at.desc()))
        .select(p::id)
        .first(conn)
        .optional()?;
    if let Some(id) = own {
        return Ok(id);
    }
    p::table
        .filter(p::clinic_id.is_null())
        .order((p::version.desc(), p::created_at.desc()))
        .select(p::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| super::impossible("no default protocol seeded"))
}

/// The parsed protocol; versions never change once stored, so caching is safe.
pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Arc<Protocol>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Protocol>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().expect("cache lock").get(id) {
        return Ok(found.clone());
    }
    let definition: String = p::table.find(id).select(p::definition).first(conn)?;
    let protocol = Arc::new(
        Protocol::from_json(&definition)
            .map_err(|e| super::corrupt(&format!("protocol {id}"), e))?,
    );
    cache
        .lock()
        .expect("cache lock")
        .insert(id.to_string(), protocol.clone());
    Ok(protocol)
}

/// Stores a clinic's own protocol as the next version of its name; new
/// treatments at the clinic start with it, existing ones keep theirs.
/// Call in a write transaction. Returns (id, version).
pub fn create_for_clinic(
    conn: &mut DbConn,
    clinic_id: &str,
    mut protocol: Protocol,
) -> QueryResult<(String, u32)> {
    let latest: Option<i32> = p::table
        .filter(p::name.eq(&protocol.name))
        .filter(p::clinic_id.eq(clinic_id).or(p::clinic_id.is_null()))
        .select(diesel::dsl::max(p::version))
        .first(conn)?;
    protocol.version = latest.unwrap_or(0) as u32 + 1;
    let id = crate::store::new_id();
    diesel::insert_into(p::table)
        .values((
            p::id.eq(&id),
            p::clinic_id.eq(clinic_id),
            p::name.eq(&protocol.name),
            p::version.eq(protocol.version as i32),
            p::definition.eq(protocol.to_json()),
            p::created_at.eq(now_ms()),
        ))
        .execute(conn)?;
    Ok((id, protocol.version))
}

/// Whether a stored protocol belongs to a clinic (false for shipped defaults).
pub fn is_clinic_specific(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    let clinic: Option<String> = p::table.find(id).select(p::clinic_id).first(conn)?;
    Ok(clinic.is_some())
}
