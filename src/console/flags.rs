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
/// needs a clinician.
const STATUS_VIEWS: [(&str, &str); 4] = [
    ("active", "Open or acknowledged"),
    ("open", "Open"),
    ("acknowledged", "Acknowledged"),
    ("resolved", "Resolved"),
];

#[derive(Deserialize)]
pub struct QueueParams {
    status: Option<String>,
    severity: Option<String>,
}

/// The button that turns on browser notifications; hidden until the script
/// finds the browser can receive them.
fn notifications(session: &ConsoleSession) -> Markup {
    html! {
        form #notifications-form .notifications method="post" action="/console/push-subscription" hidden {
            (views::csrf(session))
            p #notifications-status role="status" {
                "Get a browser notification when a flag becomes urgent (no patient details are shown in it)."
            }
            button type="submit" { "Turn on notifications" }
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
    let body = html! {
        h1 { "Flag queue" }
        (notifications(&session))
        form.filters method="get" action="/console/flags" {
            label for="status" { "Status" }
            select #status name="status" {
                @for (value, label) in STATUS_VIEWS {
                    option value=(value) selected[value == status] { (label) }
                }
            }
            label for="severity" { "Severity" }
            select #severity name="severity" {
                option value="" selected[severity.is_none()] { "Any" }
                @for value in SEVERITIES {
                    option value=(value) selected[Some(value) == severity] { (views::words(value)) }
                }
            }
            button type="submit" { "Filter" }
        }
        @if rows.is_empty() {
            p.empty { "No flags match. Recoveries on course raise none." }
        } @else {
            p.hint { (rows.len()) " patient(s) to look at, most severe first, then waiting longest." }
            table.queue {
                thead {
                    tr {
                        th scope="col" { "Severity" }
                        th scope="col" { "Patient" }
                        th scope="col" { "Reasons" }
                        th scope="col" { "Latest day" }
                        th scope="col" { "Waiting since" }
                        th scope="col" { span.visually-hidden { "Action" } }
                    }
                }
                tbody {
                    @for row in &rows {
                        tr id={ "row-" (row.flag_id) } class={ "flag flag-" (row.severity) } {
                            td { (views::severity(&row.severity)) }
                            td { (row.patient_name) }
                            td { (row.reasons.iter().map(|r| views::words(r)).collect::<Vec<_>>().join(", ")) }
                            td { @if let Some(d) = row.latest_day { "Day " (d) } }
                            td { (views::instant(tz, row.opened_at)) }
                            td {
                                a.action href={ "/console/flags/" (row.flag_id) } {
                                    "Review"
                                    @if row.flag_count > 1 { " (" (row.flag_count) " flags)" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(views::ok("Flag queue", &session, body))
}

/// A form field's error, shown beside it.
struct NoteError<'a> {
    message: &'a str,
    note: &'a str,
}

fn review_forms(session: &ConsoleSession, p: &FlagPage, error: Option<&NoteError<'_>>) -> Markup {
    let flag = &p.flag;
    let id = &flag.id;
    html! {
        @if flag.status == "open" {
            form.review method="post" action={ "/console/flags/" (id) "/acknowledge" } {
                (views::csrf(session))
                label for="ack-note" { "Note (optional)" }
                input #ack-note type="text" name="note" maxlength="2000";
                button type="submit" { "Acknowledge" }
            }
        }
        @if flag.status != "resolved" {
            form.review method="post" action={ "/console/flags/" (id) "/resolve" } novalidate[error.is_some()] {
                (views::csrf(session))
                label for="resolve-note" { "Resolution note" }
                @if let Some(e) = error {
                    input #resolve-note type="text" name="note" maxlength="2000" required
                        value=(e.note) aria-invalid="true" aria-describedby="resolve-note-error";
                    p #resolve-note-error .field-error role="alert" { (e.message) }
                } @else {
                    input #resolve-note type="text" name="note" maxlength="2000" required;
                }
                button type="submit" { "Resolve" }
            }
        } @else {
            p.empty { "This flag is resolved." }
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
    let flag = &p.flag;
    let ctx = &p.ctx;
    let ev: serde_json::Value = serde_json::from_str(&flag.evidence).unwrap_or_default();
    let names: HashMap<&str, &str> = p
        .staff
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    let today = ctx.day_of(ctx.today(chrono::Utc::now()));
    let title = format!(
        "{} flag: {}",
        views::words(&flag.severity),
        views::words(&flag.reason)
    );
    let body = html! {
        h1 { (views::severity(&flag.severity)) " · " (views::words(&flag.reason)) }
        dl.facts {
            dt { "Patient" } dd { a href={ "/console/patients/" (p.patient.id) } { (p.patient.name) } }
            dt { "Treatment" } dd {
                "Session " (ctx.treatment.session_number) ", " (views::words(ctx.area.as_str())) ", "
                (format!("{:.2}", ctx.depth.get())) " mm; today is day " (today)
            }
            @if let Some(d) = evidence::day(&ev) {
                dt { "Day" } dd { "Day " (d) @if let Some(date) = evidence::log_date(&ev) { " (" (date) ")" } }
            }
            // What was applied matters for allergic and granuloma reactions.
            @if let Some(products) = ctx.treatment.products.as_deref().filter(|_| risk::product_relevant(&flag.reason)) {
                dt { "Products applied" } dd.products { (products) }
            }
            dt { "Status" } dd { (views::status(&flag.status)) }
            dt { "Opened" } dd { (views::instant(tz, flag.opened_at)) }
            dt { "Last evidence" } dd { (views::instant(tz, flag.updated_at)) }
        }
        section aria-labelledby="evidence" {
            h2 #evidence { "Evidence" }
            (views::evidence(&flag.reason, &flag.evidence))
            // The day it opened and its worst day, when they are other days.
            @if !flag.worst_evidence.is_empty() && flag.worst_evidence != flag.evidence {
                h3 { "Its worst day" }
                (views::evidence(&flag.reason, &flag.worst_evidence))
            }
            @if !flag.opened_evidence.is_empty() && flag.opened_evidence != flag.evidence
                && flag.opened_evidence != flag.worst_evidence {
                h3 { "When it opened" }
                (views::evidence(&flag.reason, &flag.opened_evidence))
            }
        }
        section aria-labelledby="log" {
            h2 #log { "The patient's log that day" }
            @if let Some(l) = &p.log {
                table.logs {
                    thead { tr {
                        @for s in Symptom::ALL { th scope="col" { (views::words(s.as_str())) } }
                        th scope="col" { "Warning signs" }
                    } }
                    tbody { tr {
                        td { (l.redness) } td { (l.swelling) } td { (l.flaking) } td { (l.sensitivity) }
                        td { (views::signs(&l.signs)) }
                    } }
                }
                @if let Some(note) = &l.note {
                    figure.note {
                        figcaption { "The patient's note" }
                        blockquote { (note) }
                    }
                } @else {
                    p.empty { "No note with this log." }
                }
            } @else {
                p.empty { "This flag is not about a single log." }
            }
        }
        section aria-labelledby="review" {
            h2 #review { "Review" }
            div.reviews { (review_forms(session, p, error)) }
        }
        section aria-labelledby="history" {
            h2 #history { "History" }
            ol.history {
                li { "Opened by the assessment, " (views::instant(tz, flag.opened_at)) }
                @for e in &p.events {
                    li {
                        (views::words(&e.action)) " by "
                        (names.get(e.actor_id.as_str()).copied().unwrap_or("a former staff member"))
                        ", " (views::instant(tz, e.at))
                        @if let Some(n) = &e.note { ": " q { (n) } }
                    }
                }
            }
        }
        section aria-labelledby="alerts" {
            h2 #alerts { "Alert history" }
            @if p.alerts.is_empty() {
                p.empty { "No alert was sent for this flag." }
            } @else {
                table.alerts {
                    thead { tr {
                        th scope="col" { "Channel" } th scope="col" { "Event" } th scope="col" { "To" }
                        th scope="col" { "When" } th scope="col" { "Outcome" }
                    } }
                    tbody {
                        @for a in &p.alerts {
                            tr {
                                td { (views::alert_channel(&a.channel)) }
                                td { (views::words(a.event.trim_start_matches("flag."))) }
                                td { (views::alert_recipient(a)) }
                                td { (views::instant(tz, a.finished_at.unwrap_or(a.created_at))) }
                                td { (views::alert_outcome(a)) }
                            }
                        }
                    }
                }
            }
        }
        @if !p.others.is_empty() {
            section aria-labelledby="others" {
                h2 #others { "Other flags of this treatment" }
                ul {
                    @for o in &p.others {
                        li {
                            a href={ "/console/flags/" (o.id) } {
                                (views::words(&o.severity)) ": " (views::words(&o.reason))
                            }
                            " (" (views::words(&o.status)) ")"
                        }
                    }
                }
            }
        }
        p { a href="/console/flags" { "Back to the flag queue" } }
    };
    views::page(status, &title, Some(session), body)
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
            let message = errors
                .iter()
                .map(|e| e.message.as_str())
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
