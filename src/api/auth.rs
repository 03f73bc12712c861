//! Sign-in, token refresh with rotation, sign-out and patient enrolment.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::extract::Json;
use crate::app::accounts::{self as app_accounts, SignIn};
use crate::app::{AppError, Caller};
use crate::auth::{normalise_enrolment_code, sha256_hex};
use crate::domain::account::{Password, Role};
use crate::http::sign_in::{authenticate, limited};
use crate::http::{ApiError, ApiResult, AppState, ClientAddr};
use crate::store::accounts;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    email: String,
    password: String,
    /// The clinic's code, needed only when the e-mail and password open
    /// accounts at more than one clinic.
    #[serde(default)]
    clinic: Option<String>,
}

#[derive(Serialize)]
pub struct TokenResponse {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: u64,
    role: Role,
}

const BAD_CREDENTIALS: &str = "the email, password or clinic code is wrong";

pub(super) fn tokens(
    state: &AppState,
    account: &accounts::Account,
    refresh_token: String,
) -> TokenResponse {
    TokenResponse {
        access_token: state.keys.issue(
            &account.id,
            account.role(),
            &account.clinic_id,
            account.token_generation,
        ),
        refresh_token,
        token_type: "Bearer",
        expires_in: state.keys.access_ttl.as_secs(),
        role: account.role(),
    }
}

fn refresh_ttl_ms(state: &AppState) -> i64 {
    state.config.refresh_token_ttl.as_millis() as i64
}

pub async fn login(
    state: web::Data<AppState>,
    client: ClientAddr,
    body: Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest {
        email,
        password,
        clinic,
    } = body.0;
    let account = match authenticate(&state, client.0, email, clinic, password).await? {
        SignIn::Opened(account) => account,
        SignIn::Ambiguous => return Err(AppError::ClinicRequired.into()),
        SignIn::Refused => return Err(AppError::Unauthorized(BAD_CREDENTIALS).into()),
    };
    let ttl = refresh_ttl_ms(&state);
    let refresh = app_accounts::start_session(&state.db, account.id.clone(), ttl).await?;
    Ok(HttpResponse::Ok().json(tokens(&state, &account, refresh)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

pub async fn refresh(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let presented = body.0.refresh_token;
    if presented.len() > 128 {
        return Err(AppError::Unauthorized("the refresh token is invalid").into());
    }
    let ttl = refresh_ttl_ms(&state);
    let outcome = app_accounts::refresh(&state.db, presented, ttl).await?;
    match outcome {
        Some((account, token)) => Ok(HttpResponse::Ok().json(tokens(&state, &account, token))),
        None => Err(AppError::Unauthorized(
            "the refresh token is invalid, expired or already used; sign in again",
        )
        .into()),
    }
}

pub async fn logout(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let presented = body.0.refresh_token;
    if presented.len() <= 128 {
        app_accounts::sign_out(&state.db, presented).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    code: String,
    password: String,
}

/// The app exchanges a clinician's enrolment code for the patient's
/// credentials. Enrolling again (a new phone) resets the password and ends
/// earlier sessions.
pub async fn enrol(
    state: web::Data<AppState>,
    client: ClientAddr,
    body: Json<EnrolRequest>,
) -> ApiResult<HttpResponse> {
    let EnrolRequest { code, password } = body.0;
    if code.len() > 64 {
        return Err(
            AppError::Unauthorized("the enrolment code is unknown, used or expired").into(),
        );
    }
    // Every try spends the address's budget, which is what bounds guessing
    // (60-bit codes); the per-code budget stops hammering one leaked code.
    // Keyed by a hash so that codes are not kept in memory.
    let key = sha256_hex(&normalise_enrolment_code(&code).unwrap_or_else(|| code.clone()));
    state
        .limits
        .enrol
        .check(client.0, &key)
        .await?
        .map_err(|l| limited(&state, "enrol", l))?;
    let password = Password::parse(&password).map_err(|m| ApiError::field("password", m))?;
    let ttl = refresh_ttl_ms(&state);
    let enrolled = app_accounts::enrol(&state.db, code, password, ttl).await?;
    match enrolled {
        Some((account, token)) => Ok(HttpResponse::Ok().json(tokens(&state, &account, token))),
        None => {
            Err(AppError::Unauthorized("the enrolment code is unknown, used or expired").into())
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Changes the caller's own password; every other sign-in ends, and this
/// client gets fresh tokens. Guesses at the current password spend the
/// same budget as sign-in attempts.
pub async fn change_password(
    state: web::Data<AppState>,
    client: ClientAddr,
    caller: Caller,
    body: Json<PasswordChange>,
) -> ApiResult<HttpResponse> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.0;
    let new = Password::parse(&new_password).map_err(|m| ApiError::field("new_password", m))?;
    if current_password.len() > Password::MAX_BYTES {
        return Err(ApiError::field(
            "current_password",
            "is not your current password",
        ));
    }
    state
        .limits
        .login
        .check(client.0, &caller.account_id)
        .await?
        .map_err(|l| limited(&state, "password", l))?;
    let ttl = refresh_ttl_ms(&state);
    let (account, refresh) = app_accounts::change_password(
        &state.db,
        &state.generations,
        caller,
        current_password,
        new,
        ttl,
    )
    .await?;
    Ok(HttpResponse::Ok().json(tokens(&state, &account, refresh)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    code: String,
    new_password: String,
}

const BAD_RESET_CODE: &str = "the reset code is unknown, used or expired";

/// A staff member redeems the one-time code an admin gave them: a new
/// password, every earlier sign-in ended, fresh tokens. Guesses spend the
/// enrolment budget (the codes have the same format).
pub async fn reset(
    state: web::Data<AppState>,
    client: ClientAddr,
    body: Json<ResetRequest>,
) -> ApiResult<HttpResponse> {
    let ResetRequest { code, new_password } = body.0;
    if code.len() > 64 {
        return Err(AppError::Unauthorized(BAD_RESET_CODE).into());
    }
    let key = sha256_hex(&normalise_enrolment_code(&code).unwrap_or_else(|| code.clone()));
    state
        .limits
        .enrol
        .check(client.0, &key)
        .await?
        .map_err(|l| limited(&state, "reset", l))?;
    let password =
        Password::parse(&new_password).map_err(|m| ApiError::field("new_password", m))?;
    let ttl = refresh_ttl_ms(&state);
    match app_accounts::reset_password(&state.db, &state.generations, code, password, ttl).await? {
        Some((account, token)) => Ok(HttpResponse::Ok().json(tokens(&state, &account, token))),
        None => Err(AppError::Unauthorized(BAD_RESET_CODE).into()),
    }
}
