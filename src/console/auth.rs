//! Sign-in and sign-out. Only clinic staff may sign in; patients use the app.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;

use super::session::{self, over_https, ConsoleForm, SignInForm, SESSION_COOKIE, SIGNIN_COOKIE};
use super::{views, ConsoleResult};
use crate::app::accounts::{self, SignIn};
use crate::auth::sha256_hex;
use crate::domain::account::ClinicCode;
use crate::http::sign_in::authenticate;
use crate::http::{ApiError, AppState, ClientAddr};

/// What the form shows again: the e-mail and clinic code typed, and
/// whether the clinic code is what is missing.
struct Typed<'a> {
    email: &'a str,
    clinic: &'a str,
    ask_clinic: bool,
}

const BLANK: Typed<'static> = Typed {
    email: "",
    clinic: "",
    ask_clinic: false,
};

fn form(status: StatusCode, token: &str, typed: &Typed<'_>, problem: Option<&str>) -> HttpResponse {
    let body = html! {
        h1 { "Sign in to the clinician console" }
        @if let Some(p) = problem {
            p.problem role="alert" { (p) }
        }
        form.stack method="post" action="/console/sign-in" {
            input type="hidden" name="csrf" value=(token);
            label for="email" { "Email" }
            input #email type="email" name="email" value=(typed.email) autocomplete="username" required autofocus[!typed.ask_clinic];
            label for="password" { "Password" }
            input #password type="password" name="password" autocomplete="current-password" required;
            label for="clinic" { "Clinic code " span.hint { "(only if you work at more than one clinic)" } }
            input #clinic type="text" name="clinic" value=(typed.clinic) maxlength="12" autocapitalize="characters" autocomplete="off" spellcheck="false" autofocus[typed.ask_clinic];
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
    typed: &Typed<'_>,
    problem: Option<&str>,
) -> ConsoleResult<HttpResponse> {
    let (token, fresh) = session::signin_token(req);
    let mut res = form(status, &token, typed, problem);
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
    form_response(&req, &state, StatusCode::OK, &BLANK, None)
}

pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: SignInForm,
) -> ConsoleResult<HttpResponse> {
    let email = form.fields.text("email").to_string();
    let password = form.fields.text("password").to_string();
    let clinic = form.fields.text("clinic").trim().to_string();
    let client = ClientAddr::of(&req, state.config.trust_proxy).0;
    let mut typed = Typed {
        email: &email,
        clinic: &clinic,
        ask_clinic: false,
    };
    if !clinic.is_empty() && ClinicCode::parse(&clinic).is_err() {
        typed.ask_clinic = true;
        return form_response(
            &req,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &typed,
            Some("A clinic code is 4 to 12 letters and digits."),
        );
    }
    let code = (!clinic.is_empty()).then(|| clinic.clone());
    let account = match authenticate(&state, client, email.clone(), code, password).await? {
        SignIn::Opened(account) => account,
        SignIn::Refused => {
            return form_response(
                &req,
                &state,
                StatusCode::UNAUTHORIZED,
                &typed,
                Some("The email, password or clinic code is wrong."),
            )
        }
        SignIn::Ambiguous => {
            typed.ask_clinic = true;
            return form_response(
                &req,
                &state,
                StatusCode::CONFLICT,
                &typed,
                Some(
                    "This email and password open accounts at more than one clinic. \
                     Enter the code of the clinic to sign in to: its admins see it on \
                     the clinic settings page.",
                ),
            );
        }
    };
    if !account.role().is_staff() {
        return form_response(
            &req,
            &state,
            StatusCode::FORBIDDEN,
            &typed,
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
