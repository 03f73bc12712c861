//! Sign-in and sign-out. Only clinic staff may sign in; patients use the app.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;

use super::session::{self, over_https, ConsoleForm, SignInForm, SESSION_COOKIE, SIGNIN_COOKIE};
use super::{reader, views, ConsoleResult};
use crate::app::accounts::{self, SignIn};
use crate::auth::sha256_hex;
use crate::domain::account::ClinicCode;
use crate::http::sign_in::authenticate;
use crate::http::{ApiError, AppState, ClientAddr};
use crate::i18n::Locale;

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

/// The sign-in form, in the browser's language (no account is known yet).
fn form(status: StatusCode, token: &str, typed: &Typed<'_>, problem: Option<&str>) -> HttpResponse {
    let tr = reader();
    let body = html! {
        h1 { (tr.t("console-sign-in-heading")) }
        @if let Some(p) = problem {
            p.problem role="alert" { (tr.t(p)) }
        }
        form.stack method="post" action="/console/sign-in" {
            input type="hidden" name="csrf" value=(token);
            label for="email" { (tr.t("console-email")) }
            input #email type="email" name="email" value=(typed.email) autocomplete="username" required autofocus[!typed.ask_clinic];
            label for="password" { (tr.t("console-password")) }
            input #password type="password" name="password" autocomplete="current-password" required;
            label for="clinic" { (tr.t("console-clinic-code")) " " span.hint { (tr.t("console-sign-in-clinic-hint")) } }
            input #clinic type="text" name="clinic" value=(typed.clinic) maxlength="12" autocapitalize="characters" autocomplete="off" spellcheck="false" autofocus[typed.ask_clinic];
            button type="submit" { (tr.t("console-sign-in")) }
        }
        p.hint { (tr.t("console-sign-in-patients")) }
    };
    views::page(status, tr, &tr.t("console-sign-in"), None, body)
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
    let password = form.fields.raw("password").to_string();
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
            Some("console-sign-in-code-invalid"),
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
                Some("console-sign-in-wrong"),
            )
        }
        SignIn::Ambiguous => {
            typed.ask_clinic = true;
            return form_response(
                &req,
                &state,
                StatusCode::CONFLICT,
                &typed,
                Some("console-sign-in-ambiguous"),
            );
        }
    };
    if !account.role().is_staff() {
        return form_response(
            &req,
            &state,
            StatusCode::FORBIDDEN,
            &typed,
            Some("console-sign-in-staff-only"),
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

/// Keeps the staff member's language on their account and shows the page
/// they were on again, in it.
pub async fn set_language(
    state: web::Data<AppState>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let locale =
        Locale::parse(form.fields.text("locale")).map_err(|m| ApiError::field("locale", m))?;
    let staff = form.session.staff.clone();
    accounts::set_staff_locale(&state.db, staff, locale).await?;
    // Back to a console page only; anything else goes to the queue.
    let next = form.fields.text("next");
    let next = if next.starts_with("/console/")
        && !next.starts_with("/console//")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
    {
        next
    } else {
        "/console/flags"
    };
    Ok(views::see_other(next))
}
