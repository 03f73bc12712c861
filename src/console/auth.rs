//! Sign-in and sign-out. Only clinic staff may sign in; patients use the app.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;

use super::session::{self, over_https, ConsoleForm, SignInForm, SESSION_COOKIE, SIGNIN_COOKIE};
use super::{views, ConsoleResult};
use crate::app::accounts;
use crate::auth::sha256_hex;
use crate::http::sign_in::authenticate;
use crate::http::{ApiError, AppState, ClientAddr};

fn form(status: StatusCode, token: &str, email: &str, problem: Option<&str>) -> HttpResponse {
    let body = html! {
        h1 { "Sign in to the clinician console" }
        @if let Some(p) = problem {
            p.problem role="alert" { (p) }
        }
        form.stack method="post" action="/console/sign-in" {
            input type="hidden" name="csrf" value=(token);
            label for="email" { "Email" }
            input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
            label for="password" { "Password" }
            input #password type="password" name="password" autocomplete="current-password" required;
            button type="submit" { "Sign in" }
        }
        p.hint { "Patients: please use the aftercare app." }
    };
    views::page(status, "Sign in", None, body)
}

/// The form, with a fresh double-submit token unless the browser has one.
fn form_response(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    email: &str,
    problem: Option<&str>,
) -> ConsoleResult<HttpResponse> {
    let (token, fresh) = session::signin_token(req);
    let mut res = form(status, &token, email, problem);
    if fresh {
        set_cookie(
            &mut res,
            session::signin_cookie(token, over_https(req, state)),
        )?;
    }
    Ok(res)
}

fn set_cookie(res: &mut HttpResponse, cookie: Cookie<'_>) -> ConsoleResult<()> {
    res.add_cookie(&cookie).map_err(ApiError::internal)?;
    Ok(())
}

pub async fn sign_in_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ConsoleResult<HttpResponse> {
    form_response(&req, &state, StatusCode::OK, "", None)
}

pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: SignInForm,
) -> ConsoleResult<HttpResponse> {
    let email = form.fields.text("email").to_string();
    let password = form.fields.raw("password").to_string();
    let client = ClientAddr::of(&req, state.config.trust_proxy).0;
    let Some(account) = authenticate(&state, client, email.clone(), password).await? else {
        return form_response(
            &req,
            &state,
            StatusCode::UNAUTHORIZED,
            &email,
            Some("The email or password is wrong."),
        );
    };
    if !account.role().is_staff() {
        return form_response(
            &req,
            &state,
            StatusCode::FORBIDDEN,
            &email,
            Some("This console is for clinic staff. Patients use the aftercare app."),
        );
    }
    let token = session::new_token();
    let hash = sha256_hex(&token);
    let ttl = state.config.console_session_ttl;
    accounts::open_console_session(&state.db, account, hash, ttl.as_millis() as i64)
        .await
        .map_err(ApiError::from)?;
    let secure = over_https(&req, &state);
    let mut res = views::see_other("/console/flags");
    set_cookie(
        &mut res,
        session::session_cookie(token, ttl.as_secs() as i64, secure),
    )?;
    set_cookie(&mut res, session::removal(SIGNIN_COOKIE, secure))?;
    Ok(res)
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let hash = form.session.token_hash().to_string();
    accounts::close_console_session(&state.db, hash)
        .await
        .map_err(ApiError::from)?;
    let mut res = views::see_other("/console/sign-in");
    set_cookie(
        &mut res,
        session::removal(SESSION_COOKIE, over_https(&req, &state)),
    )?;
    Ok(res)
}
