//! Rotating the secrets kept in the database (`aftercare rotate-keys`):
//! the access-token key and the VAPID key. Running processes keep the old
//! key in memory until they restart.

use super::error::AppResult;
use crate::db::Db;
use crate::secrets::SecretsKey;
use crate::store::push::{self, Subscriptions};
use crate::store::{console_sessions, refresh_tokens, settings};

/// What a rotation ended.
#[derive(Debug, Default)]
pub struct Rotated {
    pub refresh_tokens: usize,
    pub console_sessions: usize,
    pub push_subscriptions: usize,
}

/// A new access-token key (`secret_b64`, standard base64), stored sealed
/// with `key` like every stored secret: every access
/// token is refused once processes restart, and every refresh token and
/// console session ends now, so everyone signs in again. Browser
/// notifications of console sign-ins end with them.
pub fn rotate_jwt(db: &Db, key: &SecretsKey, secret_b64: String) -> AppResult<Rotated> {
    let sealed = key.seal("jwt_secret", &secret_b64);
    db.write_blocking(move |tx| {
        let c = tx.conn();
        settings::set(c, "jwt_secret", &sealed)?;
        Ok(Rotated {
            refresh_tokens: refresh_tokens::revoke_everyone(c)?,
            push_subscriptions: push::delete_all_subscriptions(c, Subscriptions::ConsoleSessions)?,
            console_sessions: console_sessions::delete_all(c)?,
        })
    })
}

/// A new VAPID key pair (`private_b64`, stored sealed): every Web Push subscription was
/// made for the old public key and is void, so all are removed with their
/// pending pushes; apps and browsers subscribe again with the new key.
/// Native devices (FCM, APNs) do not use it and are kept.
pub fn rotate_vapid(db: &Db, key: &SecretsKey, private_b64: String) -> AppResult<Rotated> {
    let sealed = key.seal("vapid_private_key", &private_b64);
    db.write_blocking(move |tx| {
        let c = tx.conn();
        settings::set(c, "vapid_private_key", &sealed)?;
        Ok(Rotated {
            push_subscriptions: push::delete_all_subscriptions(c, Subscriptions::WebPush)?,
            ..Default::default()
        })
    })
}
