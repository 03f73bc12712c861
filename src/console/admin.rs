//! Clinic admins: the staff list, adding clinicians, and the audit log.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::session::{ConsoleForm, ConsoleSession};
use super::{views, ConsoleResult};
use crate::app::accounts as app_accounts;
use crate::app::clinic::{self, NewStaff};
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
            thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Added" } } }
            tbody {
                @for a in staff {
                    tr { td { (a.name) } td { (a.email) } td { (views::words(&a.role)) } td { (views::instant(session.tz, a.created_at)) } }
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
