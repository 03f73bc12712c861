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
    let body = html! {
        h1 { "Alerts" }
        @if let Some(n) = notice { (n) }
        section aria-labelledby="who" {
            h2 #who { "Who gets alerts" }
            form.stack method="post" action="/console/alerts" {
                (views::csrf(session))
                label for="emails" { "Alert e-mail addresses (one per line)" }
                textarea #emails name="emails" rows="4" {
                    @for e in &settings.alerts.emails { (e) "\n" }
                }
                p.hint { "A shared inbox or the on-duty clinicians. Staff may also turn e-mail alerts on for themselves." }
                label for="min_severity" { "Lowest severity that alerts" }
                select #min_severity name="min_severity" {
                    @for s in SEVERITIES {
                        option value=(s) selected[settings.alerts.min_severity == s] { (views::words(s)) }
                    }
                }
                button type="submit" { "Save" }
            }
        }
        section aria-labelledby="webhooks" {
            h2 #webhooks { "Webhooks" }
            p.hint {
                "Flag events are POSTed as signed JSON (ids only, no names or notes). "
                "See the API reference for the signature."
            }
            @if hooks.is_empty() {
                p { "No webhooks yet." }
            } @else {
                table {
                    thead { tr { th scope="col" { "URL" } th scope="col" { "Added" } th scope="col" { "" } } }
                    tbody {
                        @for h in hooks {
                            tr {
                                td { code { (h.url) } }
                                td { (views::instant(session.tz, h.created_at)) }
                                td {
                                    form method="post" action={ "/console/webhooks/" (h.id) "/delete" } {
                                        (views::csrf(session))
                                        button type="submit" { "Delete" }
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
                    label for="url" { "Add a webhook URL (https)" }
                    input #url type="url" name="url" required maxlength="2048";
                    button type="submit" { "Add" }
                }
            }
        }
    };
    views::ok("Alerts", session, body)
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
    let notice = html! { div.notice role="status" { p { "Saved." } } };
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
    let notice = html! {
        div.notice role="status" {
            p { "Added " code { (hook.url) } "." }
            p { "Its signing secret, shown only now: " code { (hook.secret) } }
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
