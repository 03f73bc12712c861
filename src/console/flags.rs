//! The flag queue and the review forms (also used on the patient page).

use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::session::{ConsoleForm, ConsoleSession};
use super::{views, ConsoleResult};
use crate::app::clinic::{self, Review, SEVERITIES};
use crate::domain::risk;
use crate::http::AppState;
use crate::store::flags::Flag;

const QUEUE_LIMIT: i64 = 200;

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
    let rows = clinic::read_queue(&state.db, staff.clone(), filter).await?;
    let flags: Vec<_> = rows.iter().map(|(f, _)| f.clone()).collect();
    let products = clinic::flag_products(&state.db, staff, &flags).await?;
    let here = format!(
        "/console/flags?status={status}&severity={}",
        severity.unwrap_or("")
    );
    let body = html! {
        h1 { "Flag queue" }
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
            p.hint { (rows.len()) " flag(s), most severe first, then oldest." }
            table.queue {
                thead {
                    tr {
                        th scope="col" { "Severity" }
                        th scope="col" { "Patient" }
                        th scope="col" { "Day" }
                        th scope="col" { "Reason" }
                        th scope="col" { "Evidence" }
                        th scope="col" { "Opened" }
                        th scope="col" { "Status" }
                        th scope="col" { "Review" }
                    }
                }
                tbody {
                    @for (flag, patient) in &rows {
                        tr id={ "flag-" (flag.id) } class={ "flag flag-" (flag.severity) } {
                            td { (views::severity(&flag.severity)) }
                            td { a href={ "/console/patients/" (flag.patient_id) } { (patient) } }
                            td { (views::evidence_day(&flag.evidence).map(|d| d.to_string()).unwrap_or_default()) }
                            td { (views::words(&flag.reason)) }
                            td {
                                (views::evidence(&flag.evidence))
                                @if let Some(p) = products.get(&flag.treatment_id).filter(|_| risk::product_relevant(&flag.reason)) {
                                    p.products { "Products applied: " (p) }
                                }
                            }
                            td { (views::instant(flag.opened_at)) }
                            td { (views::status(&flag.status)) }
                            td { (review_forms(&session, flag, &here)) }
                        }
                    }
                }
            }
        }
    };
    Ok(views::ok("Flag queue", &session, body))
}

/// Acknowledge / resolve forms for a flag still under review; `next` is where
/// the browser returns afterwards.
pub fn review_forms(session: &ConsoleSession, flag: &Flag, next: &str) -> Markup {
    let id = &flag.id;
    html! {
        @if flag.status == "open" {
            form.review method="post" action={ "/console/flags/" (id) "/acknowledge" } {
                (views::csrf(session))
                input type="hidden" name="next" value=(next);
                label for={ "ack-note-" (id) } { "Note (optional)" }
                input id={ "ack-note-" (id) } type="text" name="note" maxlength="2000";
                button type="submit" { "Acknowledge" }
            }
        }
        @if flag.status != "resolved" {
            form.review method="post" action={ "/console/flags/" (id) "/resolve" } {
                (views::csrf(session))
                input type="hidden" name="next" value=(next);
                label for={ "resolve-note-" (id) } { "Resolution note" }
                input id={ "resolve-note-" (id) } type="text" name="note" maxlength="2000" required;
                button type="submit" { "Resolve" }
            }
        }
    }
}

async fn review(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: ConsoleForm,
    review: Review,
) -> ConsoleResult<HttpResponse> {
    let note = clinic::review_note(review, form.fields.opt("note"))?;
    let staff = form.session.staff.clone();
    let id = id.into_inner();
    clinic::review_flag(&state.db, staff, id, review, note).await?;
    Ok(views::see_other(views::return_to(
        form.fields.text("next"),
        "/console/flags",
    )))
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
