//! Push devices: the Web Push subscriptions of an account's browsers and apps.

use super::actor::{Caller, ClinicStaff};
use super::error::{AppError, AppResult};
use crate::db::Db;
use crate::store::push::{self as push_store, NewSubscription};

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
