//! Push devices: the Web Push subscriptions of an account's browsers and
//! apps, and the FCM/APNs tokens of its native apps.

use super::actor::{Caller, ClinicStaff};
use super::error::{AppError, AppResult, FieldError};
use crate::db::Db;
use crate::domain::device::{
    validate_app_id, validate_locale, ApnsEnvironment, DeviceToken, NativePlatform,
};
use crate::store::push::{self as push_store, NewDevice as NewNativeDevice, NewSubscription};

/// A validated Web Push subscription of the caller's browser or device.
pub struct NewDevice {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Stores the caller's push subscription and returns its id. An endpoint
/// held by another account with other keys is left alone, and the caller
/// gets an id that is stored nowhere: the answer must not tell whether the
/// endpoint is registered (nor move another account's alerts).
pub async fn register_device(db: &Db, caller: Caller, d: NewDevice) -> AppResult<String> {
    db.write(move |tx| {
        let stored = push_store::upsert_subscription(
            tx.conn(),
            NewSubscription {
                account_id: &caller.account_id,
                clinic_id: &caller.clinic_id,
                role: caller.role.as_str(),
                endpoint: &d.endpoint,
                p256dh: &d.p256dh,
                auth: &d.auth,
            },
        )
        .map_err(gone_account)?;
        Ok(stored.unwrap_or_else(crate::store::new_id))
    })
    .await
}

/// A token can outlive its account by the generation cache's few seconds
/// (erased through another process): the row then has no account to refer
/// to, which is the caller's credentials failing, not a server fault.
fn gone_account(e: diesel::result::Error) -> AppError {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            AppError::Unauthorized("the account behind this token no longer exists")
        }
        other => other.into(),
    }
}

/// Removes the caller's subscription for an endpoint; `NotFound` if none.
pub async fn remove_device(db: &Db, caller: Caller, endpoint: String) -> AppResult<()> {
    let removed = db
        .write(move |tx| {
            Ok::<_, AppError>(push_store::delete_subscription(
                tx.conn(),
                &caller.account_id,
                &endpoint,
            )?)
        })
        .await?;
    removed.then_some(()).ok_or(AppError::NotFound)
}

/// Stores the push subscription of a clinician's browser, made from a console
/// sign-in (identified by its token hash): signing out there removes it.
/// Another account's endpoint presented with other keys is left alone.
pub async fn register_console_device(
    db: &Db,
    staff: ClinicStaff,
    session_hash: String,
    d: NewDevice,
) -> AppResult<()> {
    db.write(move |tx| {
        let c = tx.conn();
        let stored = push_store::upsert_subscription(
            c,
            NewSubscription {
                account_id: &staff.account_id,
                clinic_id: &staff.clinic_id,
                role: staff.role.as_str(),
                endpoint: &d.endpoint,
                p256dh: &d.p256dh,
                auth: &d.auth,
            },
        )
        .map_err(gone_account)?;
        if let Some(id) = stored {
            push_store::bind_to_console_session(c, &id, &session_hash)?;
        }
        Ok(())
    })
    .await
}

/// A native app's registration as the app sends it (unchecked).
pub struct NativeRegistration {
    pub platform: String,
    pub token: String,
    pub app_id: String,
    pub environment: Option<String>,
    pub locale: Option<String>,
}

struct ValidNative {
    token: DeviceToken,
    app_id: String,
    environment: Option<ApnsEnvironment>,
    locale: Option<String>,
}

impl NativeRegistration {
    fn validate(self) -> AppResult<ValidNative> {
        let mut errors = Vec::new();
        let platform = NativePlatform::parse(&self.platform)
            .map_err(|m| errors.push(FieldError::new("platform", m)))
            .ok();
        let token = platform.and_then(|p| {
            DeviceToken::parse(p, &self.token)
                .map_err(|m| errors.push(FieldError::new("token", m)))
                .ok()
        });
        if let Err(m) = validate_app_id(&self.app_id) {
            errors.push(FieldError::new("app_id", m));
        }
        let environment = match (platform, self.environment.as_deref()) {
            (Some(NativePlatform::Apns), Some(e)) => ApnsEnvironment::parse(e)
                .map_err(|m| errors.push(FieldError::new("environment", m)))
                .ok(),
            (Some(NativePlatform::Apns), None) => {
                errors.push(FieldError::new(
                    "environment",
                    "is required for APNs devices: production or sandbox",
                ));
                None
            }
            (Some(NativePlatform::Fcm), Some(_)) => {
                errors.push(FieldError::new(
                    "environment",
                    "applies to APNs devices only; leave it out for FCM",
                ));
                None
            }
            _ => None,
        };
        if let Some(l) = &self.locale {
            if let Err(m) = validate_locale(l) {
                errors.push(FieldError::new("locale", m));
            }
        }
        match token {
            Some(token) if errors.is_empty() => Ok(ValidNative {
                token,
                app_id: self.app_id,
                environment,
                locale: self.locale,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Registers (or moves to the caller) a native app's device token and
/// returns its id.
pub async fn register_native_device(
    db: &Db,
    caller: Caller,
    r: NativeRegistration,
) -> AppResult<String> {
    let d = r.validate()?;
    db.write(move |tx| {
        Ok::<_, AppError>(push_store::upsert_device(
            tx.conn(),
            NewNativeDevice {
                account_id: &caller.account_id,
                clinic_id: &caller.clinic_id,
                role: caller.role.as_str(),
                platform: d.token.platform().platform().as_str(),
                key: &d.token.stored_key(),
                app_id: &d.app_id,
                environment: d.environment.map(ApnsEnvironment::as_str),
                locale: d.locale.as_deref(),
            },
        )?)
    })
    .await
}

/// Removes one of the caller's devices by id; `NotFound` if it is not theirs.
pub async fn remove_device_by_id(db: &Db, caller: Caller, id: String) -> AppResult<()> {
    let removed = db
        .write(move |tx| {
            Ok::<_, AppError>(push_store::delete_own_by_id(
                tx.conn(),
                &caller.account_id,
                &id,
            )?)
        })
        .await?;
    removed.then_some(()).ok_or(AppError::NotFound)
}
