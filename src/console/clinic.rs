//! Clinic admins: the clinic's settings in one place (name, code, time
//! zone, language, emergency number, push privacy), the same use case as
//! `PATCH /v1/clinic`. Who gets alerts is on the alerts page.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};

use super::session::{ConsoleForm, ConsoleSession};
use super::{views, ConsoleResult};
use crate::app::alert_settings::{self, ClinicPatch, ClinicSettings};
use crate::domain::device::PushPrivacy;
use crate::http::AppState;
use crate::i18n::Locale;

fn settings_page(
    session: &ConsoleSession,
    settings: &ClinicSettings,
    notice: Option<Markup>,
) -> HttpResponse {
    let tr = session.tr;
    let body = html! {
        h1 { (tr.t("console-clinic-title")) }
        @if let Some(n) = notice { (n) }
        dl {
            dt { (tr.t("console-clinic-code")) }
            dd {
                code #clinic-code { (settings.code) }
                p.hint { (tr.t("console-clinic-code-hint")) }
            }
        }
        form.stack method="post" action="/console/clinic" {
            (views::csrf(session))
            label for="name" { (tr.t("console-clinic-name")) }
            input #name type="text" name="name" required maxlength="200" value=(settings.name);
            label for="timezone" { (tr.t("console-alerts-timezone")) }
            input #timezone type="text" name="timezone" required value=(settings.timezone);
            p.hint { (tr.t("console-clinic-timezone-hint")) }
            label for="default_locale" { (tr.t("console-alerts-default-locale")) }
            select #default_locale name="default_locale" {
                @for l in Locale::ALL {
                    option value=(l.as_str()) lang=(l.as_str()) selected[l == settings.default_locale] {
                        (crate::i18n::t(l, &format!("locale-{}", l.as_str())))
                    }
                }
            }
            p.hint { (tr.t("console-alerts-default-locale-hint")) }
            label for="emergency_number" { (tr.t("console-alerts-emergency-number")) }
            input #emergency_number type="tel" name="emergency_number" required maxlength="20" value=(settings.emergency_number);
            label for="push_privacy" { (tr.t("console-clinic-push-privacy")) }
            select #push_privacy name="push_privacy" {
                @for p in PushPrivacy::ALL.map(PushPrivacy::as_str) {
                    option value=(p) selected[settings.push_privacy == p] {
                        (tr.t(&format!("console-clinic-push-privacy-{p}")))
                    }
                }
            }
            button type="submit" { (tr.t("console-save")) }
        }
        p.hint { a href="/console/alerts" { (tr.t("console-clinic-alerts-link")) } }
    };
    views::ok(&tr.t("console-clinic-title"), session, body)
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
        // Absent from an older form: unchanged.
        default_locale: form.fields.opt("default_locale").map(String::from),
        push_privacy: form.fields.opt("push_privacy").map(String::from),
        ..Default::default()
    };
    let settings = alert_settings::update_clinic(&state.db, admin, patch).await?;
    let tr = form.session.tr;
    let notice = html! { div.notice role="status" { p { (tr.t("console-saved")) } } };
    Ok(settings_page(&form.session, &settings, Some(notice)))
}
