use diesel::prelude::*;

use crate::db::schema::{accounts, clinics};
use crate::db::{now_ms, DbConn};
use crate::domain::account::{Email, PersonName, Role};
use crate::i18n::Locale;

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
    pub token_generation: i64,
    pub active: bool,
    /// BCP 47 tag of a supported locale (see [`Account::locale`]).
    pub locale: String,
}

impl Account {
    pub fn role(&self) -> Role {
        // The CHECK constraint admits only known roles.
        Role::parse(&self.role).unwrap_or(Role::Patient)
    }

    /// The language of everything this account reads.
    pub fn locale(&self) -> Locale {
        Locale::from_stored(&self.locale)
    }
}

pub struct NewAccount<'a> {
    pub clinic_id: &'a str,
    pub role: Role,
    pub email: &'a Email,
    pub name: &'a PersonName,
    pub password_hash: Option<&'a str>,
}

/// Whether an account of this clinic already uses this email (other
/// clinics' accounts are theirs: one e-mail may be an account at each).
pub fn email_taken(conn: &mut DbConn, clinic_id: &str, email: &Email) -> QueryResult<bool> {
    let taken: i64 = accounts::table
        .filter(accounts::clinic_id.eq(clinic_id))
        .filter(accounts::email.eq(email.as_str()))
        .count()
        .get_result(conn)?;
    Ok(taken > 0)
}

/// Most accounts one e-mail may be tried against at sign-in.
pub const MAX_ACCOUNTS_PER_EMAIL: i64 = 20;

/// Creates an account (check [`email_taken`] first for a precise error),
/// in its clinic's default locale.
pub fn create(conn: &mut DbConn, new: NewAccount<'_>) -> QueryResult<String> {
    let id = super::new_id();
    let locale: String = clinics::table
        .find(new.clinic_id)
        .select(clinics::default_locale)
        .get_result(conn)?;
    diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(&id),
            accounts::clinic_id.eq(new.clinic_id),
            accounts::role.eq(new.role.as_str()),
            accounts::email.eq(new.email.as_str()),
            accounts::name.eq(new.name.as_str()),
            accounts::password_hash.eq(new.password_hash),
            accounts::created_at.eq(now_ms()),
            accounts::locale.eq(locale),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Sets a staff member's locale. A patient's goes with their synced
/// preferences ([`super::patients::set_locale`]).
pub fn set_locale(conn: &mut DbConn, id: &str, locale: Locale) -> QueryResult<()> {
    diesel::update(accounts::table.find(id))
        .set(accounts::locale.eq(locale.as_str()))
        .execute(conn)?;
    Ok(())
}

/// An account's locale (the fallback for an unknown account).
pub fn locale(conn: &mut DbConn, id: &str) -> QueryResult<Locale> {
    let stored: Option<String> = accounts::table
        .find(id)
        .select(accounts::locale)
        .first(conn)
        .optional()?;
    Ok(stored.map(|s| Locale::from_stored(&s)).unwrap_or_default())
}

/// The locales of these accounts, in one query (accounts not found are left out).
pub fn locales(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Vec<(String, Locale)>> {
    let stored: Vec<(String, String)> = accounts::table
        .filter(accounts::id.eq_any(ids))
        .select((accounts::id, accounts::locale))
        .load(conn)?;
    Ok(stored
        .into_iter()
        .map(|(id, l)| (id, Locale::from_stored(&l)))
        .collect())
}

/// The accounts with this e-mail at every clinic (at most
/// [`MAX_ACCOUNTS_PER_EMAIL`]), or at the clinic with this code.
pub fn with_email(
    conn: &mut DbConn,
    email: &str,
    clinic_code: Option<&str>,
) -> QueryResult<Vec<Account>> {
    use crate::db::schema::clinics;
    let mut q = accounts::table
        .filter(accounts::email.eq(email))
        .select(Account::as_select())
        .order(accounts::id)
        .limit(MAX_ACCOUNTS_PER_EMAIL)
        .into_boxed();
    if let Some(code) = clinic_code {
        q = q.filter(
            accounts::clinic_id.eq_any(
                clinics::table
                    .filter(clinics::code.eq(code.to_string()))
                    .select(clinics::id),
            ),
        );
    }
    q.load(conn)
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)
        .optional()
}

pub fn set_password(conn: &mut DbConn, id: &str, hash: &str) -> QueryResult<()> {
    diesel::update(accounts::table.find(id))
        .set(accounts::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// Staff of one clinic, oldest first.
pub fn list_staff(conn: &mut DbConn, clinic_id: &str) -> QueryResult<Vec<Account>> {
    accounts::table
        .filter(accounts::clinic_id.eq(clinic_id))
        .filter(accounts::role.ne("patient"))
        .order((accounts::created_at, accounts::id))
        .select(Account::as_select())
        .load(conn)
}

/// Deletes an account; its patient data goes with it (ON DELETE CASCADE).
pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::delete(accounts::table.find(id)).execute(conn)?;
    Ok(())
}

/// A staff member's own alert channels: (push, email).
pub fn alert_channels(conn: &mut DbConn, id: &str) -> QueryResult<(bool, bool)> {
    accounts::table
        .find(id)
        .select((accounts::alert_push, accounts::alert_email))
        .get_result(conn)
}

pub fn set_alert_channels(conn: &mut DbConn, id: &str, push: bool, email: bool) -> QueryResult<()> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::alert_push.eq(push),
            accounts::alert_email.eq(email),
        ))
        .execute(conn)?;
    Ok(())
}

/// E-mail addresses of a clinic's active staff who want alerts by e-mail.
pub fn alert_email_staff(conn: &mut DbConn, clinic_id: &str) -> QueryResult<Vec<(String, String)>> {
    accounts::table
        .filter(accounts::clinic_id.eq(clinic_id))
        .filter(accounts::role.ne("patient"))
        .filter(accounts::alert_email.eq(true))
        .filter(accounts::active.eq(true))
        .order(accounts::email)
        .select((accounts::email, accounts::locale))
        .load(conn)
}

/// E-mail addresses of a clinic's active admins (escalations reach them
/// all), with each admin's locale.
pub fn admin_emails(conn: &mut DbConn, clinic_id: &str) -> QueryResult<Vec<(String, String)>> {
    accounts::table
        .filter(accounts::clinic_id.eq(clinic_id))
        .filter(accounts::role.eq("admin"))
        .filter(accounts::active.eq(true))
        .order(accounts::email)
        .select((accounts::email, accounts::locale))
        .load(conn)
}

/// An account's (token generation, active), or `None` when it is gone.
pub fn token_state(conn: &mut DbConn, id: &str) -> QueryResult<Option<(i64, bool)>> {
    accounts::table
        .find(id)
        .select((accounts::token_generation, accounts::active))
        .first(conn)
        .optional()
}

/// Ends every access token issued so far for the account.
pub fn bump_generation(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::update(accounts::table.find(id))
        .set(accounts::token_generation.eq(accounts::token_generation + 1))
        .execute(conn)?;
    Ok(())
}

/// A staff account of this clinic (never a patient, never another clinic's).
pub fn get_staff(conn: &mut DbConn, clinic_id: &str, id: &str) -> QueryResult<Account> {
    accounts::table
        .find(id)
        .filter(accounts::clinic_id.eq(clinic_id))
        .filter(accounts::role.ne("patient"))
        .select(Account::as_select())
        .first(conn)
}

/// How many active admins the clinic has.
pub fn active_admins(conn: &mut DbConn, clinic_id: &str) -> QueryResult<i64> {
    accounts::table
        .filter(accounts::clinic_id.eq(clinic_id))
        .filter(accounts::role.eq("admin"))
        .filter(accounts::active.eq(true))
        .count()
        .get_result(conn)
}

/// Sets a staff account's role and whether it may sign in.
pub fn set_role_active(conn: &mut DbConn, id: &str, role: Role, active: bool) -> QueryResult<()> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::role.eq(role.as_str()),
            accounts::active.eq(active),
        ))
        .execute(conn)?;
    Ok(())
}

/// Serialises changes to a clinic's staff roles and activity until the
/// transaction ends (a row lock on PostgreSQL; SQLite's single writer
/// already does), so two admins demoting each other cannot both pass the
/// last-admin check.
pub fn lock_clinic_staff(conn: &mut DbConn, clinic_id: &str) -> QueryResult<()> {
    use crate::db::schema::clinics;
    diesel::update(clinics::table.find(clinic_id))
        .set(clinics::id.eq(clinics::id))
        .execute(conn)?;
    Ok(())
}
