//! Who gets which alert: the clinic's settings (alert addresses, lowest
//! alerting severity, and the zone and emergency number other parts read),
//! each staff member's own channels, and the clinic's webhooks.

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::actor::{ClinicAdmin, ClinicStaff};
use super::error::{AppError, AppResult, FieldError};
use crate::db::{Db, DbConn};
use crate::domain::account::{PersonName, TimeZone};
use crate::domain::alert::{alert_emails, EmergencyNumber};
use crate::domain::assessment::Severity;
use crate::domain::device::PushPrivacy;
use crate::i18n::Locale;
use crate::store::alerts::{self as alert_store, Delivery};
use crate::store::clinics::{self, SettingsChange};
use crate::store::webhooks::{self, Webhook};
use crate::store::{accounts, audit};

// --- Clinic settings ---------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct AlertSettings {
    pub emails: Vec<String>,
    pub min_severity: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClinicSettings {
    pub id: String,
    pub name: String,
    /// Read-only: typed at sign-in by people with accounts at several clinics.
    pub code: String,
    pub timezone: String,
    pub emergency_number: String,
    /// The locale new patients get.
    pub default_locale: Locale,
    pub alerts: AlertSettings,
    /// What FCM and APNs payloads may say: `generic` or `detailed`.
    pub push_privacy: String,
}

fn settings_in(c: &mut DbConn, clinic_id: &str) -> AppResult<ClinicSettings> {
    let clinic = clinics::get(c, clinic_id)?;
    Ok(ClinicSettings {
        alerts: AlertSettings {
            emails: clinic.alert_emails()?,
            min_severity: clinic.alert_min_severity,
        },
        push_privacy: PushPrivacy::from_stored(&clinic.push_privacy)
            .as_str()
            .to_string(),
        id: clinic.id,
        name: clinic.name,
        code: clinic.code,
        timezone: clinic.timezone,
        emergency_number: clinic.emergency_number,
        default_locale: Locale::from_stored(&clinic.default_locale),
    })
}

/// The clinic's settings (any staff member may read them).
pub async fn clinic_settings(db: &Db, staff: &ClinicStaff) -> AppResult<ClinicSettings> {
    let clinic_id = staff.clinic_id.clone();
    db.read(move |c| settings_in(c, &clinic_id)).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsPatch {
    pub emails: Option<Vec<String>>,
    pub min_severity: Option<String>,
}

/// A change to the clinic's settings; absent fields stay as they are.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicPatch {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub emergency_number: Option<String>,
    pub default_locale: Option<String>,
    #[serde(default, deserialize_with = "object_or_null")]
    pub alerts: Option<AlertsPatch>,
    pub push_privacy: Option<String>,
}

/// A member that must be a JSON object (or null): serde would otherwise take
/// a struct of optional fields from an array too (`[null, null]`).
pub fn object_or_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    match Option::<serde_json::Map<String, serde_json::Value>>::deserialize(d)? {
        None => Ok(None),
        Some(map) => T::deserialize(serde_json::Value::Object(map))
            .map(Some)
            .map_err(D::Error::custom),
    }
}

impl ClinicPatch {
    fn validate(&self) -> AppResult<SettingsChange> {
        let mut errors = Vec::new();
        let mut change = SettingsChange::default();
        if let Some(name) = &self.name {
            match PersonName::parse(name) {
                Ok(n) => change.name = Some(n.as_str().to_string()),
                Err(m) => errors.push(FieldError::new("name", m)),
            }
        }
        if let Some(tz) = &self.timezone {
            match TimeZone::parse(tz) {
                Ok(_) => change.timezone = Some(tz.clone()),
                Err(m) => errors.push(FieldError::new("timezone", m)),
            }
        }
        if let Some(n) = &self.emergency_number {
            match EmergencyNumber::parse(n) {
                Ok(n) => change.emergency_number = Some(n.as_str().to_string()),
                Err(m) => errors.push(FieldError::new("emergency_number", m)),
            }
        }
        if let Some(l) = &self.default_locale {
            match Locale::parse(l) {
                Ok(l) => change.default_locale = Some(l.as_str().to_string()),
                Err(m) => errors.push(FieldError::new("default_locale", m)),
            }
        }
        if let Some(p) = &self.push_privacy {
            match PushPrivacy::parse(p) {
                Ok(p) => change.push_privacy = Some(p.as_str().to_string()),
                Err(m) => errors.push(FieldError::new("push_privacy", m)),
            }
        }
        if let Some(a) = &self.alerts {
            if let Some(emails) = &a.emails {
                match alert_emails(emails) {
                    Ok(list) => {
                        let list: Vec<&str> = list.iter().map(|e| e.as_str()).collect();
                        change.alert_emails =
                            Some(serde_json::to_string(&list).map_err(AppError::internal)?);
                    }
                    Err(m) => errors.push(FieldError::new("alerts.emails", m)),
                }
            }
            if let Some(s) = &a.min_severity {
                match Severity::parse(s) {
                    Ok(s) => change.alert_min_severity = Some(s.as_str().to_string()),
                    Err(m) => errors.push(FieldError::new("alerts.min_severity", m)),
                }
            }
        }
        if errors.is_empty() {
            Ok(change)
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

/// Changes the clinic's settings (admins only; audited).
pub async fn update_clinic(
    db: &Db,
    admin: ClinicAdmin,
    patch: ClinicPatch,
) -> AppResult<ClinicSettings> {
    let change = patch.validate()?;
    db.write(move |tx| {
        let c = tx.conn();
        clinics::update_settings(c, &admin.clinic_id, &change)?;
        audit::record(
            c,
            &admin.clinic_id,
            &admin.account_id,
            "clinic.update",
            "clinic",
            &admin.clinic_id,
        )?;
        settings_in(c, &admin.clinic_id)
    })
    .await
}

// --- A staff member's own channels ---------------------------------------------

#[derive(Debug, Clone, Copy, Serialize)]
pub struct AlertChannels {
    pub push: bool,
    pub email: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelsPatch {
    pub push: Option<bool>,
    pub email: Option<bool>,
}

/// The caller's own alert channels.
pub async fn my_channels(db: &Db, staff: &ClinicStaff) -> AppResult<AlertChannels> {
    let id = staff.account_id.clone();
    db.read(move |c| {
        let (push, email) = accounts::alert_channels(c, &id)?;
        Ok(AlertChannels { push, email })
    })
    .await
}

/// Turns the caller's own push or e-mail alerts on or off.
pub async fn set_my_channels(
    db: &Db,
    staff: ClinicStaff,
    patch: ChannelsPatch,
) -> AppResult<AlertChannels> {
    db.write(move |tx| {
        let c = tx.conn();
        let (push, email) = accounts::alert_channels(c, &staff.account_id)?;
        let (push, email) = (patch.push.unwrap_or(push), patch.email.unwrap_or(email));
        accounts::set_alert_channels(c, &staff.account_id, push, email)?;
        Ok(AlertChannels { push, email })
    })
    .await
}

// --- Webhooks ---------------------------------------------------------------------

/// Most live webhooks a clinic may have.
pub const MAX_WEBHOOKS: usize = 10;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    pub url: String,
}

/// A random signing secret, shown to the admin once.
fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Registers a webhook after the same SSRF checks as push endpoints; the
/// returned row carries the secret, to show once.
pub async fn create_webhook(
    db: &Db,
    admin: ClinicAdmin,
    new: NewWebhook,
    allow_insecure: bool,
) -> AppResult<Webhook> {
    let url = new.url.trim().to_string();
    crate::push::endpoint::validate_endpoint(&url, allow_insecure)
        .await
        .map_err(|m| AppError::field("url", m.replace("endpoint", "url")))?;
    db.write(move |tx| {
        let c = tx.conn();
        if webhooks::list(c, &admin.clinic_id)?.len() >= MAX_WEBHOOKS {
            return Err(AppError::conflict(format!(
                "a clinic may have at most {MAX_WEBHOOKS} webhooks; delete one first"
            )));
        }
        let hook = webhooks::create(c, &admin.clinic_id, &url, &new_secret(), &admin.account_id)?;
        audit::record(
            c,
            &admin.clinic_id,
            &admin.account_id,
            "webhook.create",
            "webhook",
            &hook.id,
        )?;
        Ok(hook)
    })
    .await
}

/// The clinic's live webhooks.
pub async fn list_webhooks(db: &Db, admin: &ClinicAdmin) -> AppResult<Vec<Webhook>> {
    let clinic_id = admin.clinic_id.clone();
    db.read(move |c| Ok(webhooks::list(c, &clinic_id)?)).await
}

/// Deletes a webhook of the clinic; its pending deliveries are cancelled.
pub async fn delete_webhook(db: &Db, admin: ClinicAdmin, id: String) -> AppResult<()> {
    db.write(move |tx| {
        let c = tx.conn();
        if !webhooks::delete(c, &admin.clinic_id, &id)? {
            return Err(AppError::NotFound);
        }
        alert_store::cancel_for_recipient(c, &id)?;
        audit::record(
            c,
            &admin.clinic_id,
            &admin.account_id,
            "webhook.delete",
            "webhook",
            &id,
        )?;
        Ok(())
    })
    .await
}

/// A live webhook's deliveries, newest first.
pub async fn webhook_deliveries(
    db: &Db,
    admin: &ClinicAdmin,
    id: String,
    limit: i64,
) -> AppResult<Vec<Delivery>> {
    let clinic_id = admin.clinic_id.clone();
    db.read(move |c| {
        let hook = webhooks::get(c, &clinic_id, &id)?;
        Ok(alert_store::for_recipient(c, &hook.id, limit)?)
    })
    .await
}
