//! Sign-in, token refresh with rotation, sign-out and patient enrolment.

use std::net::IpAddr;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::extract::{ClientAddr, Json};
use super::limits::Limited;
use crate::auth::{hash_password, normalise_enrolment_code, sha256_hex, verify_password};
use crate::domain::account::{Password, Role};
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::store::{accounts, enrolment_codes, refresh_tokens};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    email: String,
    password: String,
}

#[derive(Serialize)]
pub struct TokenResponse {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: u64,
    role: Role,
}

const BAD_CREDENTIALS: &str = "the email or password is wrong";

fn tokens(state: &AppState, account: &accounts::Account, refresh_token: String) -> TokenResponse {
    TokenResponse {
        access_token: state
            .keys
            .issue(&account.id, account.role(), &account.clinic_id),
        refresh_token,
        token_type: "Bearer",
        expires_in: state.keys.access_ttl.as_secs(),
        role: account.role(),
    }
}

fn refresh_ttl_ms(state: &AppState) -> i64 {
    state.config.refresh_token_ttl.as_millis() as i64
}

/// Counts a refused attempt in the metrics and turns it into a 429.
fn limited(state: &AppState, endpoint: &'static str, l: Limited) -> ApiError {
    state.metrics.rate_limited(endpoint, l.key());
    l.into()
}

/// The account whose email and password these are, or `None`. Shared by
/// the API's login and the console's sign-in, which share one attempt
/// budget per email and per client address (429 once it is spent).
pub async fn authenticate(
    state: &AppState,
    client: IpAddr,
    email: String,
    password: String,
) -> ApiResult<Option<accounts::Account>> {
    if email.len() > 254 || password.len() > Password::MAX_BYTES {
        return Ok(None);
    }
    let email = email.trim().to_lowercase();
    state
        .limits
        .login
        .check(client, &email)
        .map_err(|l| limited(state, "login", l))?;
    let account = state
        .db
        .run(move |c| accounts::find_by_email(c, &email))
        .await?;
    let hash = account.as_ref().and_then(|a| a.password_hash.clone());
    // Verified even for unknown emails, so timing does not tell which exist.
    let ok = web::block(move || verify_password(hash.as_deref(), &password)).await?;
    Ok(account.filter(|_| ok))
}

pub async fn login(
    state: web::Data<AppState>,
    client: ClientAddr,
    body: Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { email, password } = body.0;
    let account = authenticate(&state, client.0, email, password)
        .await?
        .ok_or(ApiError::Unauthorized(BAD_CREDENTIALS))?;
    let ttl = refresh_ttl_ms(&state);
    let id = account.id.clone();
    let refresh = state
        .db
        .write(move |c| refresh_tokens::issue(c, &id, None, ttl))
        .await?;
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
        return Err(ApiError::Unauthorized("the refresh token is invalid"));
    }
    let ttl = refresh_ttl_ms(&state);
    let outcome = state
        .db
        .write(move |c| {
            let rotation = refresh_tokens::rotate(c, &presented, ttl)?;
            Ok(match rotation {
                refresh_tokens::Rotation::Rotated { account_id, token } => {
                    accounts::get(c, &account_id)?.map(|a| (a, token))
                }
                _ => None,
            })
        })
        .await?;
    match outcome {
        Some((account, token)) => Ok(HttpResponse::Ok().json(tokens(&state, &account, token))),
        None => Err(ApiError::Unauthorized(
            "the refresh token is invalid, expired or already used; sign in again",
        )),
    }
}

pub async fn logout(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let presented = body.0.refresh_token;
    if presented.len() <= 128 {
        state
            .db
            .write(move |c| refresh_tokens::revoke_by_token(c, &presented))
            .await?;
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
        return Err(ApiError::Unauthorized(
            "the enrolment code is unknown, used or expired",
        ));
    }
    // Every try spends the address's budget, which is what bounds guessing
    // (60-bit codes); the per-code budget stops hammering one leaked code.
    // Keyed by a hash so that codes are not kept in memory.
    let key = sha256_hex(&normalise_enrolment_code(&code).unwrap_or_else(|| code.clone()));
    state
        .limits
        .enrol
        .check(client.0, &key)
        .map_err(|l| limited(&state, "enrol", l))?;
    let password = Password::parse(&password).map_err(|m| ApiError::field("password", m))?;
    let hash = web::block(move || hash_password(&password)).await?;
    let ttl = refresh_ttl_ms(&state);
    let enrolled = state
        .db
        .write(move |c| {
            let Some(patient_id) = enrolment_codes::redeem(c, &code)? else {
                return Ok(None);
            };
            accounts::set_password(c, &patient_id, &hash)?;
            refresh_tokens::revoke_all_for(c, &patient_id)?;
            let token = refresh_tokens::issue(c, &patient_id, None, ttl)?;
            Ok(accounts::get(c, &patient_id)?.map(|a| (a, token)))
        })
        .await?;
    match enrolled {
        Some((account, token)) => Ok(HttpResponse::Ok().json(tokens(&state, &account, token))),
        None => Err(ApiError::Unauthorized(
            "the enrolment code is unknown, used or expired",
        )),
    }
}
