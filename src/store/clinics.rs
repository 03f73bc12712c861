use diesel::prelude::*;

use crate::db::schema::clinics;
use crate::db::{now_ms, DbConn};
use crate::domain::account::ClinicCode;

/// Creates a clinic with a fresh code (see [`ClinicCode::generate`]).
pub fn create(conn: &mut DbConn, name: &str) -> QueryResult<(String, ClinicCode)> {
    let id = super::new_id();
    // 32^6 codes: a collision is rare, and a failed insert would abort a
    // PostgreSQL transaction, so look before inserting.
    let code = loop {
        let code = ClinicCode::generate();
        let taken: i64 = clinics::table
            .filter(clinics::code.eq(code.as_str()))
            .count()
            .get_result(conn)?;
        if taken == 0 {
            break code;
        }
    };
    diesel::insert_into(clinics::table)
        .values((
            clinics::id.eq(&id),
            clinics::name.eq(name),
            clinics::created_at.eq(now_ms()),
            clinics::code.eq(code.as_str()),
        ))
        .execute(conn)?;
    Ok((id, code))
}

pub fn name(conn: &mut DbConn, id: &str) -> QueryResult<String> {
    clinics::table.find(id).select(clinics::name).first(conn)
}

/// A clinic with its settings. `alert_emails` is a JSON array of addresses.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clinics)]
pub struct Clinic {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub timezone: String,
    pub emergency_number: String,
    pub alert_emails: String,
    pub alert_min_severity: String,
    pub default_locale: String,
    /// `generic` or `detailed` ([`crate::domain::device::PushPrivacy`]).
    pub push_privacy: String,
    pub code: String,
}

impl Clinic {
    /// The alert addresses (validated when stored).
    pub fn alert_emails(&self) -> QueryResult<Vec<String>> {
        serde_json::from_str(&self.alert_emails).map_err(|e| super::corrupt("alert e-mails", e))
    }
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Clinic> {
    clinics::table
        .find(id)
        .select(Clinic::as_select())
        .get_result(conn)
}

/// Settings to change; `None` keeps the stored value.
#[derive(Default)]
pub struct SettingsChange {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub emergency_number: Option<String>,
    /// JSON array of addresses.
    pub alert_emails: Option<String>,
    pub alert_min_severity: Option<String>,
    pub default_locale: Option<String>,
    pub push_privacy: Option<String>,
}

pub fn update_settings(conn: &mut DbConn, id: &str, c: &SettingsChange) -> QueryResult<()> {
    let current = get(conn, id)?;
    diesel::update(clinics::table.find(id))
        .set((
            clinics::name.eq(c.name.as_ref().unwrap_or(&current.name)),
            clinics::timezone.eq(c.timezone.as_ref().unwrap_or(&current.timezone)),
            clinics::emergency_number.eq(c
                .emergency_number
                .as_ref()
                .unwrap_or(&current.emergency_number)),
            clinics::alert_emails.eq(c.alert_emails.as_ref().unwrap_or(&current.alert_emails)),
            clinics::alert_min_severity.eq(c
                .alert_min_severity
                .as_ref()
                .unwrap_or(&current.alert_min_severity)),
            clinics::default_locale
                .eq(c.default_locale.as_ref().unwrap_or(&current.default_locale)),
            clinics::push_privacy.eq(c.push_privacy.as_ref().unwrap_or(&current.push_privacy)),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a clinic lets native push payloads say (`generic` or `detailed`).
pub fn push_privacy(conn: &mut DbConn, id: &str) -> QueryResult<String> {
    clinics::table
        .find(id)
        .select(clinics::push_privacy)
        .first(conn)
}
