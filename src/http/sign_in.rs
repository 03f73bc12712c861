//! Sign-in checks shared by the API's login and the console's sign-in form:
//! attempt budgets per client address, per (email, address) and per email.

use std::net::IpAddr;

use super::limits::Limited;
use super::{ApiError, ApiResult, AppState};
use crate::app::accounts::{self as app_accounts, SignIn};
use crate::domain::account::{ClinicCode, Password};

/// Counts a refused attempt in the metrics and turns it into a 429.
pub fn limited(state: &AppState, endpoint: &'static str, l: Limited) -> ApiError {
    state.metrics.rate_limited(endpoint, l.key());
    l.into()
}

/// Which account these credentials open. Shared by the API's login and
/// the console's sign-in, which share one attempt budget per email and per
/// client address (429 once it is spent). `clinic` is the optional clinic
/// code; an unknown one is refused like a wrong password.
pub async fn authenticate(
    state: &AppState,
    client: IpAddr,
    email: String,
    clinic: Option<String>,
    password: String,
) -> ApiResult<SignIn> {
    if email.len() > 254 || password.len() > Password::MAX_BYTES {
        return Ok(SignIn::Refused);
    }
    let email = email.trim().to_lowercase();
    let code = match clinic.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(ClinicCode::parse(c).map_err(|m| ApiError::field("clinic", m))?),
    };
    state
        .limits
        .login
        .check(client, &email)
        .await?
        .map_err(|l| limited(state, "login", l))?;
    let outcome = app_accounts::authenticate(&state.db, email.clone(), code, password).await?;
    if matches!(outcome, SignIn::Opened(_) | SignIn::Ambiguous) {
        state.limits.login.succeeded(client, &email).await?;
    }
    Ok(outcome)
}
