//! Clinic admins: the staff list, adding clinicians, and the audit log.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::i18n::Tr;
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
    let tr = session.tr;
    let body = html! {
        h1 { (tr.t("console-staff-title")) }
        @if let Some(c) = created { (c) }
        table {
            thead { tr {
                th scope="col" { (tr.t("console-name")) } th scope="col" { (tr.t("console-email")) }
                th scope="col" { (tr.t("console-staff-role")) } th scope="col" { (tr.t("console-added")) }
                th scope="col" { (tr.t("console-staff-status")) } th scope="col" { (tr.t("console-staff-change")) }
            } }
            tbody {
                @for a in staff {
                    tr {
                        td { (a.name) } td { (a.email) } td { (tr.role(&a.role)) } td { (views::instant(tr, session.tz, a.created_at)) }
                        td { @if a.active { (tr.t("console-staff-active")) } @else { (tr.t("console-staff-deactivated")) } }
                        td {
                            @for action in staff_actions(a) {
                                form.inline method="post" action={ "/console/staff/" (a.id) } {
                                    (views::csrf(session))
                                    input type="hidden" name="action" value=(action);
                                    button type="submit" { (tr.t(&format!("console-staff-action-{action}"))) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="add-staff" {
            h2 #add-staff { (tr.t("console-staff-add-title")) }
            form.stack method="post" action="/console/staff" {
                (views::csrf(session))
                label for="name" { (tr.t("console-name")) }
                input #name type="text" name="name" required maxlength="200";
                label for="email" { (tr.t("console-email")) }
                input #email type="email" name="email" required;
                label for="role" { (tr.t("console-staff-role")) }
                select #role name="role" {
                    option value="clinician" { (tr.role("clinician")) }
                    option value="admin" { (tr.role("admin")) }
                }
                p.hint { (tr.t("console-staff-password-hint")) }
                button type="submit" { (tr.t("console-staff-add")) }
            }
        }
    };
    views::ok(&tr.t("console-staff-title"), session, body)
}

/// The changes an admin can make to a staff member, as form actions (the
/// button says `console-staff-action-<action>`).
fn staff_actions(a: &Account) -> Vec<&'static str> {
    let mut out = Vec::new();
    if a.active {
        out.push("deactivate");
    } else {
        out.push("reactivate");
    }
    if a.role() == Role::Admin {
        out.push("make_clinician");
    } else {
        out.push("make_admin");
    }
    if a.active {
        out.push("reset_code");
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
        let tr = form.session.tr;
        let issued = html! {
            div.notice role="status" {
                p { (tr.t("console-staff-reset-code")) " " code { (code) } }
                p {
                    (tr.f("console-staff-reset-valid", &[("until", tr.instant(form.session.tz, expires_at).into())]))
                    " " code { "POST /v1/auth/reset" }
                }
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
        _ => {
            return Err(ApiError::field(
                "action",
                form.session.tr.t("console-staff-action-unknown"),
            )
            .into())
        }
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
    let tr = form.session.tr;
    let created = html! {
        div.notice role="status" {
            p { (tr.f("console-staff-added", &[
                ("name", member.name.as_str().into()),
                ("email", member.email.as_str().into()),
                ("role", tr.role(&member.role).into()),
            ])) }
            p { (tr.t("console-staff-password")) " " code { (password) } }
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
    let tr = session.tr;
    let body = html! {
        h1 { (tr.t("console-audit-title")) }
        p.hint { (tr.t("console-audit-hint")) }
        table.audit {
            thead { tr {
                th scope="col" { (tr.t("console-alert-when")) } th scope="col" { (tr.t("console-audit-who")) }
                th scope="col" { (tr.t("console-audit-action")) } th scope="col" { (tr.t("console-audit-record")) }
                th scope="col" { (tr.t("console-audit-changes")) }
            } }
            tbody {
                @for e in &entries {
                    tr {
                        td { (views::instant(tr, session.tz, e.at)) }
                        td { (names.get(&e.actor_id).map(String::as_str).unwrap_or(&e.actor_id)) }
                        td { code { (e.action) } }
                        td {
                            @if e.subject_type == "patient" {
                                a href={ "/console/patients/" (e.subject_id) } {
                                    (tr.f("console-audit-patient", &[("id", e.subject_id.as_str().into())]))
                                }
                            } @else {
                                (e.subject_type) " " (e.subject_id)
                            }
                        }
                        td { (changes(tr, e.details.as_deref())) }
                    }
                }
            }
        }
        @if entries.len() as i64 == AUDIT_PAGE {
            @if let Some(last) = entries.last() {
                p { a href={ "/console/audit?before=" (last.id) } { (tr.t("console-audit-older")) } }
            }
        }
    };
    Ok(views::ok(&tr.t("console-audit-title"), &session, body))
}

/// A correction's old and new values (`{changes: {field: {old, new}}}`), or
/// a cancellation's reason, as a short list.
fn changes(tr: Tr, details: Option<&str>) -> Markup {
    let Some(v) = details.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()) else {
        return html! {};
    };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => tr.t("console-none"),
        other => other.to_string(),
    };
    html! {
        @if let Some(fields) = v["changes"].as_object() {
            ul.changes {
                @for (field, c) in fields {
                    li { (super::i18n::words(field)) ": " (text(&c["old"])) " → " (text(&c["new"])) }
                }
            }
        }
        @if let Some(reason) = v["reason"].as_str() {
            p { (tr.f("console-audit-reason", &[("reason", reason.into())])) }
        }
    }
}
