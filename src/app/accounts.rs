//! Accounts and sessions: sign-in, refresh-token rotation, sign-out,
//! patient enrolment, console sessions, who the caller is, and a clinic's
//! staff and audit trail.

use super::actor::{Caller, ClinicAdmin, ClinicStaff};
use super::error::{AppError, AppResult};
use super::sessions::{self, TokenGenerations};
use crate::auth::{hash_password, verify_password};
use crate::db::Db;
use crate::domain::account::{ClinicCode, Password, Role};
use crate::i18n::Locale;
use crate::store::accounts::{self, Account};
use crate::store::audit::{self, AuditEntry};
use crate::store::console_sessions::{self, SessionAccount};
use crate::store::{clinics, enrolment_codes, patients, refresh_tokens, staff_reset_codes};

/// What a sign-in attempt found.
#[derive(Debug)]
pub enum SignIn {
    /// The password opens exactly this active account.
    Opened(Account),
    /// It opens active accounts at several clinics: the client must name one.
    Ambiguous,
    /// Wrong e-mail, password or clinic code, or a deactivated account.
    Refused,
}

/// Without a clinic code, least password checks a sign-in costs: one
/// e-mail with one account and one with two take the same work, so timing
/// does not tell that someone has accounts at two clinics.
const MIN_CHECKS: usize = 2;

/// Tries the password against the e-mail's accounts (at the clinic with
/// `clinic_code`, or at every clinic). Unknown e-mails cost the same
/// password work, so timing does not tell which exist; the checks run side
/// by side, so neither does the number of accounts.
pub async fn authenticate(
    db: &Db,
    email: String,
    clinic_code: Option<ClinicCode>,
    password: String,
) -> AppResult<SignIn> {
    let code = clinic_code.clone();
    let candidates = db
        .read(move |c| {
            Ok::<_, AppError>(accounts::with_email(
                c,
                &email,
                code.as_ref().map(|c| c.as_str()),
            )?)
        })
        .await?;
    let min = if clinic_code.is_some() { 1 } else { MIN_CHECKS };
    let password = std::sync::Arc::new(password);
    let mut checks = Vec::new();
    for i in 0..candidates.len().max(min) {
        // Beyond the real accounts, a check against the dummy hash.
        let hash = candidates.get(i).and_then(|a| a.password_hash.clone());
        let password = password.clone();
        checks.push(tokio::task::spawn_blocking(move || {
            verify_password(hash.as_deref(), &password)
        }));
    }
    let mut opened = Vec::new();
    for (i, check) in checks.into_iter().enumerate() {
        let ok = check.await.map_err(AppError::internal)?;
        // A deactivated account answers like a wrong password: no enumeration.
        match candidates.get(i) {
            Some(a) if ok && a.active => opened.push(a.clone()),
            _ => {}
        }
    }
    Ok(match opened.len() {
        0 => SignIn::Refused,
        1 => SignIn::Opened(opened.remove(0)),
        _ => SignIn::Ambiguous,
    })
}

/// Whether any clinic has an account with this e-mail (the demo seeder).
pub async fn email_in_use(db: &Db, email: String) -> AppResult<bool> {
    db.read(move |c| Ok(!accounts::with_email(c, &email, None)?.is_empty()))
        .await
}

/// Starts a sign-in (token family) for an authenticated account; returns the refresh token.
pub async fn start_session(db: &Db, account_id: String, ttl_ms: i64) -> AppResult<String> {
    db.write(move |tx| Ok(refresh_tokens::issue(tx.conn(), &account_id, None, ttl_ms)?))
        .await
}

/// Rotates a refresh token: the account and the new token, or `None` when
/// the token is unknown, expired or already used (which revokes its family).
pub async fn refresh(
    db: &Db,
    presented: String,
    ttl_ms: i64,
) -> AppResult<Option<(Account, String)>> {
    db.write(move |tx| {
        let c = tx.conn();
        Ok(match refresh_tokens::rotate(c, &presented, ttl_ms)? {
            refresh_tokens::Rotation::Rotated { account_id, token } => {
                accounts::get(c, &account_id)?
                    .filter(|a| a.active)
                    .map(|a| (a, token))
            }
            _ => None,
        })
    })
    .await
}

/// Ends the sign-in the refresh token belongs to.
pub async fn sign_out(db: &Db, presented: String) -> AppResult<()> {
    db.write(move |tx| Ok(refresh_tokens::revoke_by_token(tx.conn(), &presented)?))
        .await
}

/// Redeems an enrolment code: sets the patient's password, ends earlier
/// sessions and starts a new one. `None` when the code is unknown, used or expired.
pub async fn enrol(
    db: &Db,
    code: String,
    password: Password,
    ttl_ms: i64,
) -> AppResult<Option<(Account, String)>> {
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AppError::internal)?;
    db.write(move |tx| {
        let c = tx.conn();
        let Some(patient_id) = enrolment_codes::redeem(c, &code)? else {
            return Ok(None);
        };
        accounts::set_password(c, &patient_id, &hash)?;
        refresh_tokens::revoke_all_for(c, &patient_id)?;
        let token = refresh_tokens::issue(c, &patient_id, None, ttl_ms)?;
        Ok(accounts::get(c, &patient_id)?.map(|a| (a, token)))
    })
    .await
}

/// Who the caller is.
pub struct Me {
    pub account: Account,
    pub clinic_name: String,
    /// A patient's (time zone, skin type).
    pub profile: Option<(String, i32)>,
}

pub async fn me(db: &Db, caller: Caller) -> AppResult<Me> {
    db.read(move |c| {
        let account = accounts::get(c, &caller.account_id)?.ok_or(AppError::Unauthorized(
            "the account behind this token no longer exists",
        ))?;
        let clinic_name = clinics::name(c, &account.clinic_id)?;
        let profile = if caller.role == Role::Patient {
            let p = patients::get(c, &caller.scope(), &caller.account_id)?;
            Some((p.timezone, p.fitzpatrick))
        } else {
            None
        };
        Ok(Me {
            account,
            clinic_name,
            profile,
        })
    })
    .await
}

/// Sets a staff member's language for the console and their alerts.
pub async fn set_staff_locale(db: &Db, staff: ClinicStaff, locale: Locale) -> AppResult<()> {
    db.write(move |tx| {
        accounts::set_locale(tx.conn(), &staff.account_id, locale)?;
        Ok(())
    })
    .await
}

/// The clinic's staff accounts.
pub async fn staff(db: &Db, admin: &ClinicAdmin) -> AppResult<Vec<Account>> {
    let clinic = admin.clinic_id.clone();
    db.read(move |c| Ok(accounts::list_staff(c, &clinic)?))
        .await
}

/// The clinic's audit trail, newest first, before an entry id.
pub async fn audit_log(
    db: &Db,
    admin: &ClinicAdmin,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<AuditEntry>> {
    let clinic = admin.clinic_id.clone();
    db.read(move |c| Ok(audit::list(c, &clinic, before, limit)?))
        .await
}

/// Opens a console session for a signed-in staff account (audited).
pub async fn open_console_session(
    db: &Db,
    account: Account,
    token_hash: String,
    ttl_ms: i64,
) -> AppResult<()> {
    db.write(move |tx| {
        let c = tx.conn();
        let now = crate::db::now_ms();
        console_sessions::purge_expired(c, now)?;
        console_sessions::create(c, &token_hash, &account.id, now, ttl_ms)?;
        audit::record(
            c,
            &account.clinic_id,
            &account.id,
            "console.sign_in",
            "account",
            &account.id,
        )?;
        Ok(())
    })
    .await
}

/// The staff account behind a live console session.
pub async fn console_session(
    db: &Db,
    token_hash: String,
    now: i64,
) -> AppResult<Option<SessionAccount>> {
    db.read(move |c| Ok(console_sessions::find(c, &token_hash, now)?))
        .await
}

/// Ends a console session.
pub async fn close_console_session(db: &Db, token_hash: String) -> AppResult<()> {
    db.write(move |tx| {
        let c = tx.conn();
        // Browser notifications turned on in this sign-in end with it.
        crate::store::push::delete_for_console_session(c, &token_hash)?;
        Ok(console_sessions::delete(c, &token_hash)?)
    })
    .await
}

/// What an admin changes about a staff member.
pub struct StaffChange {
    pub active: Option<bool>,
    pub role: Option<Role>,
}

/// Activates, deactivates or changes the role of a staff member of the
/// admin's clinic (404 for anyone else). Deactivation and a role change end
/// every sign-in of the account at once; the clinic's last active admin can
/// be neither deactivated nor demoted (409).
pub async fn change_staff(
    db: &Db,
    gens: &TokenGenerations,
    admin: ClinicAdmin,
    id: String,
    change: StaffChange,
) -> AppResult<Account> {
    let target = id.clone();
    let updated = db
        .write(move |tx| {
            let c = tx.conn();
            accounts::lock_clinic_staff(c, &admin.clinic_id)?;
            let before = accounts::get_staff(c, &admin.clinic_id, &id)?;
            let role = change.role.unwrap_or(before.role());
            let active = change.active.unwrap_or(before.active);
            if role == Role::Patient {
                return Err(AppError::Validation(vec![super::FieldError::new(
                    "role",
                    "must be admin or clinician",
                )]));
            }
            let was_admin = before.active && before.role() == Role::Admin;
            let stays_admin = active && role == Role::Admin;
            if was_admin && !stays_admin && accounts::active_admins(c, &admin.clinic_id)? <= 1 {
                return Err(AppError::Conflict(
                    "this is the clinic's last active admin: make another staff member admin first"
                        .into(),
                ));
            }
            accounts::set_role_active(c, &id, role, active)?;
            let mut actions = Vec::new();
            if role != before.role() {
                actions.push(if role == Role::Admin {
                    "staff.promoted"
                } else {
                    "staff.demoted"
                });
            }
            if active != before.active {
                actions.push(if active {
                    "staff.reactivated"
                } else {
                    "staff.deactivated"
                });
            }
            for action in &actions {
                audit::record(
                    c,
                    &admin.clinic_id,
                    &admin.account_id,
                    action,
                    "account",
                    &id,
                )?;
            }
            // Tokens carry the role, and a deactivated account keeps nothing.
            if role != before.role() || (before.active && !active) {
                sessions::end_all(c, &id)?;
            }
            Ok(accounts::get_staff(c, &admin.clinic_id, &id)?)
        })
        .await?;
    gens.forget(&target);
    Ok(updated)
}

/// Changes the caller's own password after checking the current one; every
/// other sign-in ends (generation bump, refresh families, console sessions,
/// push subscriptions). Returns the account and a new refresh token for the
/// client that asked.
pub async fn change_password(
    db: &Db,
    gens: &TokenGenerations,
    caller: Caller,
    current: String,
    new: Password,
    ttl_ms: i64,
) -> AppResult<(Account, String)> {
    let id = caller.account_id.clone();
    let account = db
        .read(move |c| Ok::<_, AppError>(accounts::get(c, &id)?))
        .await?
        .ok_or(AppError::Unauthorized(
            "the account behind this token no longer exists",
        ))?;
    let stored = account.password_hash.clone();
    let hash = tokio::task::spawn_blocking(move || {
        verify_password(stored.as_deref(), &current).then(|| hash_password(&new))
    })
    .await
    .map_err(AppError::internal)?
    .ok_or_else(|| {
        AppError::Validation(vec![super::FieldError::new(
            "current_password",
            "is not your current password",
        )])
    })?;
    let id = account.id.clone();
    let changed = db
        .write(move |tx| {
            let c = tx.conn();
            accounts::set_password(c, &id, &hash)?;
            sessions::end_all(c, &id)?;
            let token = refresh_tokens::issue(c, &id, None, ttl_ms)?;
            audit::record(
                c,
                &account.clinic_id,
                &id,
                "account.password_changed",
                "account",
                &id,
            )?;
            let account = accounts::get(c, &id)?.ok_or(AppError::NotFound)?;
            Ok::<_, AppError>((account, token))
        })
        .await?;
    gens.forget(&caller.account_id);
    Ok(changed)
}

/// How long a staff reset code stays usable.
pub const RESET_CODE_TTL_MS: i64 = 24 * 3600 * 1000;

/// Issues a one-time password reset code for an active staff member of the
/// admin's clinic (404 for anyone else); earlier open codes are voided.
/// Returns the code (shown once) and its expiry (ms).
pub async fn issue_reset_code(db: &Db, admin: ClinicAdmin, id: String) -> AppResult<(String, i64)> {
    db.write(move |tx| {
        let c = tx.conn();
        let member = accounts::get_staff(c, &admin.clinic_id, &id)?;
        if !member.active {
            return Err(AppError::Conflict(
                "this account is deactivated: reactivate it first".into(),
            ));
        }
        let issued = staff_reset_codes::create(
            c,
            &id,
            &admin.clinic_id,
            &admin.account_id,
            RESET_CODE_TTL_MS,
        )?;
        audit::record(
            c,
            &admin.clinic_id,
            &admin.account_id,
            "staff.reset_code_issued",
            "account",
            &id,
        )?;
        Ok(issued)
    })
    .await
}

/// Redeems a staff reset code: sets the new password, ends every earlier
/// sign-in and starts a new one. `None` when the code is unknown, used or
/// expired, or its account was deactivated meanwhile.
pub async fn reset_password(
    db: &Db,
    gens: &TokenGenerations,
    code: String,
    password: Password,
    ttl_ms: i64,
) -> AppResult<Option<(Account, String)>> {
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AppError::internal)?;
    let reset = db
        .write(move |tx| {
            let c = tx.conn();
            let Some(id) = staff_reset_codes::redeem(c, &code)? else {
                return Ok(None);
            };
            match accounts::get(c, &id)? {
                Some(a) if a.active => {}
                _ => return Ok(None),
            }
            accounts::set_password(c, &id, &hash)?;
            sessions::end_all(c, &id)?;
            let token = refresh_tokens::issue(c, &id, None, ttl_ms)?;
            let account = accounts::get(c, &id)?.ok_or(AppError::NotFound)?;
            audit::record(
                c,
                &account.clinic_id,
                &id,
                "account.password_reset",
                "account",
                &id,
            )?;
            Ok::<_, AppError>(Some((account, token)))
        })
        .await?;
    if let Some((a, _)) = &reset {
        gens.forget(&a.id);
    }
    Ok(reset)
}
