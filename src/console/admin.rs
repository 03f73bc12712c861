//! Clinic admins: the staff list, adding clinicians, and the audit log.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::session::{ConsoleForm, ConsoleSession};
use super::{views, ConsoleResult};
use actix_web::http::header;

use crate::app::accounts::{self as app_accounts, StaffChange};
use crate::app::clinic::{self, NewStaff};
use crate::domain::account::Role;
use crate::http::ApiError;
use crate::http::AppState;
use crate::store::accounts::Account;

const AUDIT_PAGE: i64 = 100;

fn staff_page(
    session: &ConsoleSession,
    staff: &[Account],
    created: Option<Markup>,
) -> HttpResponse {
    let body = html! {
        h1 { "Staff" }
        @if let Some(c) = created { (c) }
        table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Added" } th scope="col" { "Status" } th scope="col" { "Change" } } }
            tbody {
                @for a in staff {
                    tr {
                        td { (a.name) } td { (a.email) } td { (views::words(&a.role)) } td { (views::instant(session.tz, a.created_at)) }
                        td { @if a.active { "Active" } @else { "Deactivated" } }
                        td {
                            @for (action, label) in staff_actions(a) {
                                form.inline method="post" action={ "/console/staff/" (a.id) } {
                                    (views::csrf(session))
                                    input type="hidden" name="action" value=(action);
                                    button type="submit" { (label) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="add-staff" {
            h2 #add-staff { "Add a clinician or admin" }
            form.stack method="post" action="/console/staff" {
                (views::csrf(session))
                label for="name" { "Name" }
                input #name type="text" name="name" required maxlength="200";
                label for="email" { "Email" }
                input #email type="email" name="email" required;
                label for="role" { "Role" }
                select #role name="role" {
                    option value="clinician" { "Clinician" }
                    option value="admin" { "Admin" }
                }
                p.hint { "A password is generated and shown once, to pass on in person." }
                button type="submit" { "Add" }
            }
        }
    };
    views::ok("Staff", session, body)
}

/// The changes an admin can make to a staff member: (form action, button).
fn staff_actions(a: &Account) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if a.active {
        out.push(("deactivate", "Deactivate"));
    } else {
        out.push(("reactivate", "Reactivate"));
    }
    if a.role() == Role::Admin {
        out.push(("make_clinician", "Make clinician"));
    } else {
        out.push(("make_admin", "Make admin"));
    }
    if a.active {
        out.push(("reset_code", "Issue reset code"));
    }
    out
}

/// Deactivates, reactivates or changes the role of a staff member (the
/// same rules as `PATCH /v1/staff/{id}`), then shows the staff page again.
pub async fn change_staff(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let admin = form.session.admin()?;
    let id = path.into_inner();
    if form.fields.text("action") == "reset_code" {
        let (code, expires_at) =
            app_accounts::issue_reset_code(&state.db, admin.clone(), id.clone()).await?;
        let list = app_accounts::staff(&state.db, &admin).await?;
        let issued = html! {
            div.notice role="status" {
                p { "Their one-time reset code, shown only now: " code { (code) } }
                p { "Valid until " (views::instant(form.session.tz, expires_at)) ", once. They redeem it in the app, or with " code { "POST /v1/auth/reset" } "." }
            }
        };
        return Ok(staff_page(&form.session, &list, Some(issued)));
    }
    let change = match form.fields.text("action") {
        "deactivate" => StaffChange {
            active: Some(false),
            role: None,
        },
        "reactivate" => StaffChange {
            active: Some(true),
            role: None,
        },
        "make_admin" => StaffChange {
            active: None,
            role: Some(Role::Admin),
        },
        "make_clinician" => StaffChange {
            active: None,
            role: Some(Role::Clinician),
        },
        _ => return Err(ApiError::field("action", "must be one of the page's buttons").into()),
    };
    app_accounts::change_staff(&state.db, &state.generations, admin, id, change).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/staff"))
        .finish())
}

pub async fn staff(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> ConsoleResult<HttpResponse> {
    let admin = session.admin()?;
    let list = app_accounts::staff(&state.db, &admin).await?;
    Ok(staff_page(&session, &list, None))
}

pub async fn add_staff(
    state: web::Data<AppState>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let admin = form.session.admin()?;
    let valid = NewStaff {
        email: form.fields.text("email").into(),
        name: form.fields.text("name").into(),
        role: form.fields.text("role").into(),
        password: None,
    }
    .validate()?;
    let password = valid.password.expose().to_string();
    let (member, list) = clinic::add_staff(&state.db, admin, valid).await?;
    let created = html! {
        div.notice role="status" {
            p { "Added " strong { (member.name) } " (" (member.email) ") as " (views::words(&member.role)) "." }
            p { "Their password, shown only now: " code { (password) } }
        }
    };
    Ok(staff_page(&form.session, &list, Some(created)))
}

#[derive(Deserialize)]
pub struct AuditParams {
    before: Option<i64>,
}

pub async fn audit(
    state: web::Data<AppState>,
    session: ConsoleSession,
    q: web::Query<AuditParams>,
) -> ConsoleResult<HttpResponse> {
    let admin = session.admin()?;
    let before = q.before;
    let entries = app_accounts::audit_log(&state.db, &admin, before, AUDIT_PAGE).await?;
    let names: HashMap<String, String> = app_accounts::staff(&state.db, &admin)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let body = html! {
        h1 { "Audit log" }
        p.hint { "Who read or changed what, newest first." }
        table.audit {
            thead { tr {
                th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Action" } th scope="col" { "Record" }
                th scope="col" { "Changes" }
            } }
            tbody {
                @for e in &entries {
                    tr {
                        td { (views::instant(session.tz, e.at)) }
                        td { (names.get(&e.actor_id).map(String::as_str).unwrap_or(&e.actor_id)) }
                        td { code { (e.action) } }
                        td {
                            @if e.subject_type == "patient" {
                                a href={ "/console/patients/" (e.subject_id) } { "patient " (e.subject_id) }
                            } @else {
                                (e.subject_type) " " (e.subject_id)
                            }
                        }
                        td { (changes(e.details.as_deref())) }
                    }
                }
            }
        }
        @if entries.len() as i64 == AUDIT_PAGE {
            @if let Some(last) = entries.last() {
                p { a href={ "/console/audit?before=" (last.id) } { "Older entries" } }
            }
        }
    };
    Ok(views::ok("Audit log", &session, body))
}

/// A correction's old and new values (`{changes: {field: {old, new}}}`), or
/// a cancellation's reason, as a short list.
fn changes(details: Option<&str>) -> Markup {
    let Some(v) = details.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()) else {
        return html! {};
    };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "none".into(),
        other => other.to_string(),
    };
    html! {
        @if let Some(fields) = v["changes"].as_object() {
            ul.changes {
                @for (field, c) in fields {
                    li { (views::words(field)) ": " (text(&c["old"])) " → " (text(&c["new"])) }
                }
            }
        }
        @if let Some(reason) = v["reason"].as_str() {
            p { "Reason: " q { (reason) } }
        }
    }
}
