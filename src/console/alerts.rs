//! Clinic admins: who gets alerts (the clinic's settings) and the webhooks.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};

use super::session::{ConsoleForm, ConsoleSession};
use super::{views, ConsoleResult};
use crate::app::alert_settings::{
    self, AlertsPatch, ClinicPatch, ClinicSettings, NewWebhook, MAX_WEBHOOKS,
};
use crate::app::clinic::SEVERITIES;
use crate::http::AppState;
use crate::store::webhooks::Webhook;

fn alerts_page(
    session: &ConsoleSession,
    settings: &ClinicSettings,
    hooks: &[Webhook],
    notice: Option<Markup>,
) -> HttpResponse {
    let tr = session.tr;
    let body = html! {
        h1 { (tr.t("console-alerts-title")) }
        @if let Some(n) = notice { (n) }
        section aria-labelledby="who" {
            h2 #who { (tr.t("console-alerts-who")) }
            form.stack method="post" action="/console/alerts" {
                (views::csrf(session))
                label for="emails" { (tr.t("console-alerts-emails")) }
                textarea #emails name="emails" rows="4" {
                    @for e in &settings.alerts.emails { (e) "\n" }
                }
                p.hint { (tr.t("console-alerts-emails-hint")) }
                label for="min_severity" { (tr.t("console-alerts-min-severity")) }
                select #min_severity name="min_severity" {
                    @for s in SEVERITIES {
                        option value=(s) selected[settings.alerts.min_severity == s] { (tr.severity(s)) }
                    }
                }
                button type="submit" { (tr.t("console-save")) }
            }
        }
        section aria-labelledby="webhooks" {
            h2 #webhooks { (tr.t("console-webhooks-title")) }
            p.hint { (tr.t("console-webhooks-hint")) }
            @if hooks.is_empty() {
                p { (tr.t("console-webhooks-none")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (tr.t("console-webhooks-url")) }
                        th scope="col" { (tr.t("console-added")) }
                        th scope="col" { "" }
                    } }
                    tbody {
                        @for h in hooks {
                            tr {
                                td { code { (h.url) } }
                                td { (views::instant(tr, session.tz, h.created_at)) }
                                td {
                                    form method="post" action={ "/console/webhooks/" (h.id) "/delete" } {
                                        (views::csrf(session))
                                        button type="submit" { (tr.t("console-webhooks-delete")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if hooks.len() < MAX_WEBHOOKS {
                form.stack method="post" action="/console/webhooks" {
                    (views::csrf(session))
                    label for="url" { (tr.t("console-webhooks-add-url")) }
                    input #url type="url" name="url" required maxlength="2048";
                    button type="submit" { (tr.t("console-webhooks-add")) }
                }
            }
        }
    };
    views::ok(&tr.t("console-alerts-title"), session, body)
}

async fn render(
    state: &AppState,
    session: &ConsoleSession,
    notice: Option<Markup>,
) -> ConsoleResult<HttpResponse> {
    let admin = session.admin()?;
    let settings = alert_settings::clinic_settings(&state.db, &session.staff).await?;
    let hooks = alert_settings::list_webhooks(&state.db, &admin).await?;
    Ok(alerts_page(session, &settings, &hooks, notice))
}

pub async fn page(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> ConsoleResult<HttpResponse> {
    render(&state, &session, None).await
}

pub async fn save(state: web::Data<AppState>, form: ConsoleForm) -> ConsoleResult<HttpResponse> {
    let admin = form.session.admin()?;
    let emails = form
        .fields
        .text("emails")
        .split(['\n', ','])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(String::from)
        .collect();
    // The clinic's other settings are on its own page (`console::clinic`).
    let patch = ClinicPatch {
        alerts: Some(AlertsPatch {
            emails: Some(emails),
            min_severity: Some(form.fields.text("min_severity").into()),
        }),
        ..Default::default()
    };
    alert_settings::update_clinic(&state.db, admin, patch).await?;
    let notice = html! { div.notice role="status" { p { (form.session.tr.t("console-saved")) } } };
    render(&state, &form.session, Some(notice)).await
}

pub async fn add_webhook(
    state: web::Data<AppState>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let admin = form.session.admin()?;
    let new = NewWebhook {
        url: form.fields.text("url").into(),
    };
    let hook =
        alert_settings::create_webhook(&state.db, admin, new, state.config.push_allow_insecure)
            .await?;
    let tr = form.session.tr;
    let notice = html! {
        div.notice role="status" {
            p { (tr.t("console-webhooks-added")) " " code { (hook.url) } }
            p { (tr.t("console-webhooks-secret")) " " code { (hook.secret) } }
        }
    };
    render(&state, &form.session, Some(notice)).await
}

pub async fn delete_webhook(
    state: web::Data<AppState>,
    form: ConsoleForm,
    id: web::Path<String>,
) -> ConsoleResult<HttpResponse> {
    let admin = form.session.admin()?;
    alert_settings::delete_webhook(&state.db, admin, id.into_inner()).await?;
    Ok(views::see_other("/console/alerts"))
}
