//! Sign-in checks shared by the API's login and the console's sign-in form:
//! attempt budgets per client address, per (email, address) and per email.

use std::net::IpAddr;

use super::limits::Limited;
use super::{ApiError, ApiResult, AppState};
use crate::app::accounts as app_accounts;
use crate::domain::account::Password;
use crate::store::accounts;

/// Counts a refused attempt in the metrics and turns it into a 429.
pub fn limited(state: &AppState, endpoint: &'static str, l: Limited) -> ApiError {
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
    let account = app_accounts::authenticate(&state.db, email.clone(), password).await?;
    if account.is_some() {
        state.limits.login.succeeded(client, &email);
    }
    Ok(account)
}
