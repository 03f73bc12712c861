use diesel::prelude::*;

use crate::db::schema::accounts;
use crate::db::{now_ms, DbConn};
use crate::domain::account::{Email, PersonName, Role};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: String,
    pub clinic_id: String,
    pub role: String,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub created_at: i64,
}

impl Account {
    pub fn role(&self) -> Role {
        // The CHECK constraint admits only known roles.
        Role::parse(&self.role).unwrap_or(Role::Patient)
    }
}

pub struct NewAccount<'a> {
    pub clinic_id: &'a str,
    pub role: Role,
    pub email: &'a Email,
    pub name: &'a PersonName,
    pub password_hash: Option<&'a str>,
}

/// Creates an account; a taken email answers 409.
pub fn create(conn: &mut DbConn, new: NewAccount<'_>) -> ApiResult<String> {
    let taken: i64 = accounts::table
        .filter(accounts::email.eq(new.email.as_str()))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(ApiError::conflict(
            "an account with this email already exists",
        ));
    }
    let id = super::new_id();
    diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(&id),
            accounts::clinic_id.eq(new.clinic_id),
            accounts::role.eq(new.role.as_str()),
            accounts::email.eq(new.email.as_str()),
            accounts::name.eq(new.name.as_str()),
            accounts::password_hash.eq(new.password_hash),
            accounts::created_at.eq(now_ms()),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> ApiResult<Option<Account>> {
    Ok(accounts::table
        .filter(accounts::email.eq(email))
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConn, id: &str) -> ApiResult<Option<Account>> {
    Ok(accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_password(conn: &mut DbConn, id: &str, hash: &str) -> ApiResult<()> {
    diesel::update(accounts::table.find(id))
        .set(accounts::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// Staff of one clinic, oldest first.
pub fn list_staff(conn: &mut DbConn, clinic_id: &str) -> ApiResult<Vec<Account>> {
    Ok(accounts::table
        .filter(accounts::clinic_id.eq(clinic_id))
        .filter(accounts::role.ne("patient"))
        .order((accounts::created_at, accounts::id))
        .select(Account::as_select())
        .load(conn)?)
}

/// Deletes an account; its patient data goes with it (ON DELETE CASCADE).
pub fn delete(conn: &mut DbConn, id: &str) -> ApiResult<()> {
    diesel::delete(accounts::table.find(id)).execute(conn)?;
    Ok(())
}
