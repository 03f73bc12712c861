//! The flag queue (one row per patient and treatment), a flag's own page
//! with the review forms, and turning on browser notifications.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::session::{ConsoleForm, ConsoleSession};
use super::{views, ConsoleError, ConsoleResult};
use crate::app::clinic::{self, Review, SEVERITIES};
use crate::app::devices::{self, NewDevice};
use crate::app::workday::{self, FlagPage};
use crate::app::{AppError, FieldError};
use crate::domain::treatment::Symptom;
use crate::domain::{evidence, risk};
use crate::http::{ApiError, AppState};
use crate::push::endpoint::{validate_endpoint, MAX_ENDPOINT_LEN};
use crate::push::message::validate_subscription_keys;

const QUEUE_LIMIT: i64 = 500;

/// "Active" (open or acknowledged) is the console's default view: what still
/// needs a clinician. Labels are `console-status-<view>`.
const STATUS_VIEWS: [&str; 4] = ["active", "open", "acknowledged", "resolved"];

#[derive(Deserialize)]
pub struct QueueParams {
    status: Option<String>,
    severity: Option<String>,
}

/// The button that turns on browser notifications; hidden until the script
/// finds the browser can receive them.
/// The script's own messages ride along as data attributes, in the page's
/// language.
fn notifications(session: &ConsoleSession) -> Markup {
    let tr = session.tr;
    html! {
        form #notifications-form .notifications method="post" action="/console/push-subscription" hidden
            data-msg-blocked=(tr.t("console-notifications-blocked"))
            data-msg-on=(tr.t("console-notifications-on"))
            data-msg-failed=(tr.t("console-notifications-failed")) {
            (views::csrf(session))
            p #notifications-status role="status" {
                (tr.t("console-notifications-offer"))
            }
            button type="submit" { (tr.t("console-notifications-turn-on")) }
        }
    }
}

pub async fn queue(
    state: web::Data<AppState>,
    session: ConsoleSession,
    q: web::Query<QueueParams>,
) -> ConsoleResult<HttpResponse> {
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("active");
    let severity = q.severity.as_deref().filter(|s| !s.is_empty());
    let statuses: &[&str] = match status {
        "active" => &["open", "acknowledged"],
        other => &[other],
    };
    let filter = clinic::queue_filter(statuses, severity, QUEUE_LIMIT, 0)?;
    let staff = session.staff.clone();
    let rows = workday::queue(&state.db, staff, filter).await?;
    let tz = session.tz;
    let tr = session.tr;
    let body = html! {
        h1 { (tr.t("console-queue-title")) }
        (notifications(&session))
        form.filters method="get" action="/console/flags" {
            label for="status" { (tr.t("console-queue-status")) }
            select #status name="status" {
                @for value in STATUS_VIEWS {
                    option value=(value) selected[value == status] { (tr.status(value)) }
                }
            }
            label for="severity" { (tr.t("console-queue-severity")) }
            select #severity name="severity" {
                option value="" selected[severity.is_none()] { (tr.t("console-queue-any")) }
                @for value in SEVERITIES {
                    option value=(value) selected[Some(value) == severity] { (tr.severity(value)) }
                }
            }
            button type="submit" { (tr.t("console-queue-filter")) }
        }
        @if rows.is_empty() {
            p.empty { (tr.t("console-queue-empty")) }
        } @else {
            p.hint { (tr.f("console-queue-hint", &[("count", (rows.len() as i64).into())])) }
            table.queue {
                thead {
                    tr {
                        th scope="col" { (tr.t("console-queue-severity")) }
                        th scope="col" { (tr.t("console-queue-patient")) }
                        th scope="col" { (tr.t("console-queue-reasons")) }
                        th scope="col" { (tr.t("console-queue-latest-day")) }
                        th scope="col" { (tr.t("console-queue-waiting-since")) }
                        th scope="col" { span.visually-hidden { (tr.t("console-queue-action")) } }
                    }
                }
                tbody {
                    @for row in &rows {
                        tr id={ "row-" (row.flag_id) } class={ "flag flag-" (row.severity) } {
                            td { (views::severity(tr, &row.severity)) }
                            td { (row.patient_name) }
                            td { (row.reasons.iter().map(|r| tr.reason(r)).collect::<Vec<_>>().join(", ")) }
                            td { @if let Some(d) = row.latest_day { (tr.f("day-label", &[("day", d.into())])) } }
                            td { (views::instant(tr, tz, row.opened_at)) }
                            td {
                                a.action href={ "/console/flags/" (row.flag_id) } {
                                    (tr.f("console-queue-review", &[("flags", (row.flag_count as i64).into())]))
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(views::ok(&tr.t("console-queue-title"), &session, body))
}

/// A form field's error, shown beside it.
struct NoteError<'a> {
    message: &'a str,
    note: &'a str,
}

fn review_forms(session: &ConsoleSession, p: &FlagPage, error: Option<&NoteError<'_>>) -> Markup {
    let flag = &p.flag;
    let id = &flag.id;
    let tr = session.tr;
    html! {
        @if flag.status == "open" {
            form.review method="post" action={ "/console/flags/" (id) "/acknowledge" } {
                (views::csrf(session))
                label for="ack-note" { (tr.t("console-flag-ack-note")) }
                input #ack-note type="text" name="note" maxlength="2000";
                button type="submit" { (tr.t("console-flag-acknowledge")) }
            }
        }
        @if flag.status != "resolved" {
            form.review method="post" action={ "/console/flags/" (id) "/resolve" } novalidate[error.is_some()] {
                (views::csrf(session))
                label for="resolve-note" { (tr.t("console-flag-resolve-note")) }
                @if let Some(e) = error {
                    input #resolve-note type="text" name="note" maxlength="2000" required
                        value=(e.note) aria-invalid="true" aria-describedby="resolve-note-error";
                    p #resolve-note-error .field-error role="alert" { (e.message) }
                } @else {
                    input #resolve-note type="text" name="note" maxlength="2000" required;
                }
                button type="submit" { (tr.t("console-flag-resolve")) }
            }
        } @else {
            p.empty { (tr.t("console-flag-is-resolved")) }
        }
    }
}

fn flag_page(
    status: StatusCode,
    session: &ConsoleSession,
    p: &FlagPage,
    error: Option<&NoteError<'_>>,
) -> HttpResponse {
    let tz = session.tz;
    let tr = session.tr;
    let flag = &p.flag;
    let ctx = &p.ctx;
    let ev: serde_json::Value = serde_json::from_str(&flag.evidence).unwrap_or_default();
    let names: HashMap<&str, &str> = p
        .staff
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    let former = tr.t("console-former-staff");
    let today = ctx.day_of(ctx.today(chrono::Utc::now()));
    let title = tr.f(
        "console-flag-title",
        &[
            ("severity", tr.severity(&flag.severity).into()),
            ("reason", tr.reason(&flag.reason).into()),
        ],
    );
    let body = html! {
        h1 { (views::severity(tr, &flag.severity)) " · " (tr.reason(&flag.reason)) }
        dl.facts {
            dt { (tr.t("console-flag-patient")) } dd { a href={ "/console/patients/" (p.patient.id) } { (p.patient.name) } }
            dt { (tr.t("console-flag-treatment")) } dd {
                (tr.f("console-flag-treatment-facts", &[
                    ("session", ctx.treatment.session_number.into()),
                    ("area", tr.area(ctx.area.as_str()).into()),
                    ("depth", tr.decimal(ctx.depth.get(), 2).into()),
                    ("today", today.into()),
                ]))
            }
            @if let Some(d) = evidence::day(&ev) {
                dt { (tr.t("console-flag-day")) } dd {
                    (tr.f("day-label", &[("day", d.into())]))
                    @if let Some(date) = evidence::log_date(&ev) { " (" (tr.stored_date(date)) ")" }
                }
            }
            // What was applied matters for allergic and granuloma reactions.
            @if let Some(products) = ctx.treatment.products.as_deref().filter(|_| risk::product_relevant(&flag.reason)) {
                dt { (tr.t("console-products-applied")) } dd.products { (products) }
            }
            dt { (tr.t("console-flag-status")) } dd { (views::status(tr, &flag.status)) }
            dt { (tr.t("console-flag-opened")) } dd { (views::instant(tr, tz, flag.opened_at)) }
            dt { (tr.t("console-flag-last-evidence")) } dd { (views::instant(tr, tz, flag.updated_at)) }
        }
        section aria-labelledby="evidence" {
            h2 #evidence { (tr.t("console-flag-evidence")) }
            (views::evidence(tr, &flag.reason, &flag.evidence))
            // The day it opened and its worst day, when they are other days.
            @if !flag.worst_evidence.is_empty() && flag.worst_evidence != flag.evidence {
                h3 { (tr.t("console-flag-worst-day")) }
                (views::evidence(tr, &flag.reason, &flag.worst_evidence))
            }
            @if !flag.opened_evidence.is_empty() && flag.opened_evidence != flag.evidence
                && flag.opened_evidence != flag.worst_evidence {
                h3 { (tr.t("console-flag-when-opened")) }
                (views::evidence(tr, &flag.reason, &flag.opened_evidence))
            }
        }
        section aria-labelledby="log" {
            h2 #log { (tr.t("console-flag-log")) }
            @if let Some(l) = &p.log {
                table.logs {
                    thead { tr {
                        @for s in Symptom::ALL { th scope="col" { (tr.symptom(s.as_str())) } }
                        th scope="col" { (tr.t("console-warning-signs")) }
                    } }
                    tbody { tr {
                        td { (l.redness) } td { (l.swelling) } td { (l.flaking) } td { (l.sensitivity) }
                        td { (views::signs(tr, &l.signs)) }
                    } }
                }
                @if !p.photos.is_empty() {
                    h3 { (tr.t("console-photos")) }
                    (views::photo_thumbs(tr, &p.photos.iter().collect::<Vec<_>>()))
                }
                @if let Some(note) = &l.note {
                    figure.note {
                        figcaption { (tr.t("console-flag-patient-note")) }
                        blockquote { (note) }
                    }
                } @else {
                    p.empty { (tr.t("console-flag-no-note")) }
                }
            } @else {
                p.empty { (tr.t("console-flag-no-log")) }
            }
        }
        section aria-labelledby="review" {
            h2 #review { (tr.t("console-flag-review")) }
            div.reviews { (review_forms(session, p, error)) }
        }
        section aria-labelledby="history" {
            h2 #history { (tr.t("console-flag-history")) }
            ol.history {
                li { (tr.t("console-history-opened")) ", " (views::instant(tr, tz, flag.opened_at)) }
                @for e in &p.events {
                    li {
                        (tr.f("console-history-by", &[
                            ("action", tr.action(&e.action).into()),
                            ("who", names.get(e.actor_id.as_str()).copied().unwrap_or(&former).into()),
                        ]))
                        ", " (views::instant(tr, tz, e.at))
                        @if let Some(n) = &e.note { ": " q { (n) } }
                    }
                }
            }
        }
        section aria-labelledby="alerts" {
            h2 #alerts { (tr.t("console-alert-history")) }
            @if p.alerts.is_empty() {
                p.empty { (tr.t("console-alert-history-none")) }
            } @else {
                table.alerts {
                    thead { tr {
                        th scope="col" { (tr.t("console-alert-channel")) } th scope="col" { (tr.t("console-alert-event")) }
                        th scope="col" { (tr.t("console-alert-to")) }
                        th scope="col" { (tr.t("console-alert-when")) } th scope="col" { (tr.t("console-alert-outcome")) }
                    } }
                    tbody {
                        @for a in &p.alerts {
                            tr {
                                td { (views::alert_channel(tr, &a.channel)) }
                                td { (tr.event(a.event.trim_start_matches("flag."))) }
                                td { (views::alert_recipient(tr, a)) }
                                td { (views::instant(tr, tz, a.finished_at.unwrap_or(a.created_at))) }
                                td { (views::alert_outcome(tr, a)) }
                            }
                        }
                    }
                }
            }
        }
        @if !p.others.is_empty() {
            section aria-labelledby="others" {
                h2 #others { (tr.t("console-flag-others")) }
                ul {
                    @for o in &p.others {
                        li {
                            a href={ "/console/flags/" (o.id) } {
                                (tr.severity(&o.severity)) ": " (tr.reason(&o.reason))
                            }
                            " (" (tr.status(&o.status)) ")"
                        }
                    }
                }
            }
        }
        p { a href="/console/flags" { (tr.t("console-back-to-queue")) } }
    };
    views::page(status, tr, &title, Some(session), body)
}

pub async fn page(
    state: web::Data<AppState>,
    session: ConsoleSession,
    id: web::Path<String>,
) -> ConsoleResult<HttpResponse> {
    let staff = session.staff.clone();
    let p = workday::read_flag(&state.db, staff, id.into_inner()).await?;
    Ok(flag_page(StatusCode::OK, &session, &p, None))
}

async fn review(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: ConsoleForm,
    review: Review,
) -> ConsoleResult<HttpResponse> {
    let id = id.into_inner();
    let staff = form.session.staff.clone();
    let note = match clinic::review_note(review, form.fields.opt("note")) {
        Ok(note) => note,
        // The same page again, with the problem beside the note field.
        Err(AppError::Validation(errors)) => {
            let tr = form.session.tr;
            let message = errors
                .iter()
                .map(|e| match e.field.as_str() {
                    "note" if form.fields.text("note").is_empty() => {
                        tr.t("console-flag-note-required")
                    }
                    _ => e.message.clone(),
                })
                .collect::<Vec<_>>()
                .join("; ");
            let p = workday::read_flag(&state.db, staff, id).await?;
            let error = NoteError {
                message: &message,
                note: form.fields.text("note"),
            };
            return Ok(flag_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form.session,
                &p,
                Some(&error),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    clinic::review_flag(&state.db, staff, id.clone(), review, note).await?;
    Ok(views::see_other(&format!("/console/flags/{id}")))
}

pub async fn acknowledge(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    review(state, id, form, Review::Acknowledge).await
}

pub async fn resolve(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    review(state, id, form, Review::Resolve).await
}

/// Stores this browser's push subscription for the signed-in clinician
/// (posted by `console.js`); it ends when this sign-in does.
pub async fn subscribe_push(
    state: web::Data<AppState>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let f = &form.fields;
    let endpoint = f.text("endpoint").to_string();
    let mut errors = Vec::new();
    if endpoint.len() > MAX_ENDPOINT_LEN {
        errors.push(FieldError::new(
            "endpoint",
            format!("must be at most {MAX_ENDPOINT_LEN} characters"),
        ));
    } else if let Err(m) = validate_endpoint(&endpoint, state.config.push_allow_insecure).await {
        errors.push(FieldError::new("endpoint", m));
    }
    if let Err(m) = validate_subscription_keys(f.text("p256dh"), f.text("auth")) {
        let field = if m.contains("auth") { "auth" } else { "p256dh" };
        errors.push(FieldError::new(field, m));
    }
    if !errors.is_empty() {
        return Err(ConsoleError::from(AppError::Validation(errors)));
    }
    let device = NewDevice {
        endpoint,
        p256dh: f.text("p256dh").into(),
        auth: f.text("auth").into(),
    };
    let staff = form.session.staff.clone();
    let hash = form.session.token_hash().to_string();
    devices::register_console_device(&state.db, staff, hash, device)
        .await
        .map_err(ApiError::from)?;
    // One status whether the endpoint was new, refreshed or someone else's.
    Ok(HttpResponse::NoContent().finish())
}
