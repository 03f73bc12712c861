//! Clinic admins: the clinic's settings in one place (name, code, time
//! zone, emergency number), the same use case as `PATCH /v1/clinic`.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};

use super::session::{ConsoleForm, ConsoleSession};
use super::{views, ConsoleResult};
use crate::app::alert_settings::{self, ClinicPatch, ClinicSettings};
use crate::http::AppState;

fn settings_page(
    session: &ConsoleSession,
    settings: &ClinicSettings,
    notice: Option<Markup>,
) -> HttpResponse {
    let body = html! {
        h1 { "Clinic settings" }
        @if let Some(n) = notice { (n) }
        dl {
            dt { "Clinic code" }
            dd {
                code #clinic-code { (settings.code) }
                p.hint {
                    "People with accounts at more than one clinic under the same e-mail "
                    "type this code when they sign in. It cannot be changed."
                }
            }
        }
        form.stack method="post" action="/console/clinic" {
            (views::csrf(session))
            label for="name" { "Clinic name" }
            input #name type="text" name="name" required maxlength="200" value=(settings.name);
            label for="timezone" { "Clinic time zone (IANA name)" }
            input #timezone type="text" name="timezone" required value=(settings.timezone);
            p.hint { "Console times are shown in it." }
            label for="emergency_number" { "Emergency number patients are told to call" }
            input #emergency_number type="tel" name="emergency_number" required maxlength="20" value=(settings.emergency_number);
            button type="submit" { "Save" }
        }
        p.hint { "Who gets alerts is set on the " a href="/console/alerts" { "Alerts" } " page." }
    };
    views::ok("Clinic settings", session, body)
}

pub async fn page(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> ConsoleResult<HttpResponse> {
    session.admin()?;
    let settings = alert_settings::clinic_settings(&state.db, &session.staff).await?;
    Ok(settings_page(&session, &settings, None))
}

pub async fn save(state: web::Data<AppState>, form: ConsoleForm) -> ConsoleResult<HttpResponse> {
    let admin = form.session.admin()?;
    let patch = ClinicPatch {
        name: Some(form.fields.text("name").into()),
        timezone: Some(form.fields.text("timezone").into()),
        emergency_number: Some(form.fields.text("emergency_number").into()),
        ..Default::default()
    };
    let settings = alert_settings::update_clinic(&state.db, admin, patch).await?;
    let notice = html! { div.notice role="status" { p { "Saved." } } };
    Ok(settings_page(&form.session, &settings, Some(notice)))
}
