//! Corrections on the patient page: a patient's details, discharge and
//! readmission, correcting or cancelling a treatment. The same use cases
//! as the API (`app::corrections`), behind the console's session and CSRF.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use maud::{html, Markup};

use super::forms::{fitzpatrick, local_time, zone_choices};
use super::i18n::Tr;
use super::session::{ConsoleForm, ConsoleSession};
use super::{views, ConsoleResult};
use crate::app::clinic::TreatmentRecovery;
use crate::app::corrections::{self, PatientPatch, TreatmentPatch};
use crate::domain::risk::{RiskFactor, OVERRIDE_REASON_MAX_CHARS, PRODUCTS_MAX_CHARS};
use crate::domain::treatment::{
    correctable, Addon, Area, CancelReason, CANCEL_REASON_MAX_CHARS, CORRECTION_WINDOW,
};
use crate::http::{ApiError, AppState};
use crate::store::patients::Patient;

/// A stored instant as a `datetime-local` value in the patient's zone.
fn form_time(ms: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Discharged patients, apart from those in care.
pub fn discharged_list(tr: Tr, patients: &[Patient], tz: chrono_tz::Tz) -> Markup {
    html! {
        @if !patients.is_empty() {
            section aria-labelledby="discharged" {
                h2 #discharged { (tr.t("console-discharged-title")) }
                table.patients.discharged {
                    thead { tr {
                        th scope="col" { (tr.t("console-name")) } th scope="col" { (tr.t("console-discharged")) } th scope="col" { (tr.t("console-added")) }
                    } }
                    tbody {
                        @for p in patients {
                            tr id={ "patient-" (p.id) } {
                                td { a href={ "/console/patients/" (p.id) } { (p.name) } }
                                td { @if let Some(at) = p.discharged_at { (views::instant(tr, tz, at)) } }
                                td { (views::instant(tr, tz, p.created_at)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Correct the patient's details; discharge or readmit.
pub fn patient_actions(session: &ConsoleSession, p: &Patient) -> Markup {
    let here = format!("/console/patients/{}", p.id);
    let tz: chrono_tz::Tz = p.timezone.parse().unwrap_or(session.tz);
    let tr = session.tr;
    html! {
        details.correct-patient {
            summary { (tr.t("console-correct-patient")) }
            form.stack method="post" action={ (here) "/correct" } {
                (views::csrf(session))
                label for="fix-name" { (tr.t("console-name")) }
                input #fix-name type="text" name="name" required maxlength="200" value=(p.name);
                label for="fix-email" { (tr.t("console-email")) }
                input #fix-email type="email" name="email" required value=(p.email);
                label for="fix-timezone" { (tr.t("console-correct-timezone")) }
                select #fix-timezone name="timezone" required {
                    @for z in zone_choices(tz) { option value=(z) selected[z == p.timezone] { (z) } }
                }
                label for="fix-fitzpatrick" { (tr.t("console-patients-skin-type-label")) }
                select #fix-fitzpatrick name="fitzpatrick" required {
                    @for n in 1..=6 { option value=(n) selected[n == p.fitzpatrick] { (fitzpatrick(n)) } }
                }
                button type="submit" { (tr.t("console-correct-save")) }
            }
        }
        @if p.discharged_at.is_some() {
            form.inline method="post" action={ (here) "/readmit" } {
                (views::csrf(session))
                button type="submit" { (tr.t("console-readmit")) }
            }
        } @else {
            form.inline method="post" action={ (here) "/discharge" } {
                (views::csrf(session))
                label.check {
                    input type="checkbox" name="confirm" value="yes" required;
                    " " (tr.t("console-discharge-confirm"))
                }
                button type="submit" { (tr.t("console-discharge")) }
            }
        }
    }
}

/// Correct (within the window) or cancel a treatment.
pub fn treatment_actions(
    session: &ConsoleSession,
    t: &TreatmentRecovery,
    now: chrono::DateTime<Utc>,
) -> Markup {
    let ctx = &t.ctx;
    let treatment = &ctx.treatment;
    let tr = session.tr;
    if ctx.cancellation.is_some() {
        return html! {};
    }
    let here = format!("/console/treatments/{}", treatment.id);
    let registered =
        chrono::DateTime::from_timestamp_millis(treatment.created_at).unwrap_or_default();
    let performed = form_time(treatment.performed_at, ctx.tz);
    html! {
        @if correctable(registered, now) {
            details.correct-treatment {
                summary { (tr.t("console-correct-treatment")) }
                p.hint { (tr.f("console-correct-treatment-hint", &[("days", CORRECTION_WINDOW.num_days().into())])) }
                form.stack method="post" action={ (here) "/correct" } {
                    (views::csrf(session))
                    label for={ "performed-" (treatment.id) } { (tr.t("console-treatment-form-when")) }
                    input id={ "performed-" (treatment.id) } type="datetime-local" name="performed_at" required value=(performed);
                    label for={ "area-" (treatment.id) } { (tr.t("console-treatment-form-area")) }
                    select id={ "area-" (treatment.id) } name="area" required {
                        @for a in Area::ALL { option value=(a.as_str()) selected[a == ctx.area] { (tr.area(a.as_str())) } }
                    }
                    label for={ "depth-" (treatment.id) } { (tr.t("console-treatment-form-depth")) }
                    input id={ "depth-" (treatment.id) } type="number" name="depth_mm" min="0.25" max="3" step="0.05" required value=(ctx.depth.get());
                    fieldset {
                        legend { (tr.t("console-addons")) }
                        @for a in Addon::ALL {
                            label.check {
                                input type="checkbox" name="addons" value=(a.as_str()) checked[ctx.addons.contains(&a)];
                                " " (tr.addon(a.as_str()))
                            }
                        }
                    }
                    fieldset {
                        legend { (tr.t("console-risk-factors")) }
                        @for r in RiskFactor::ALL {
                            label.check {
                                input type="checkbox" name="risk_factors" value=(r.as_str()) checked[ctx.risk_factors.contains(&r)];
                                " " (tr.risk(r.as_str()))
                                @if r.is_contraindication() { " " (tr.t("console-contraindication")) }
                            }
                        }
                    }
                    label for={ "products-" (treatment.id) } { (tr.t("console-treatment-form-products")) }
                    input id={ "products-" (treatment.id) } type="text" name="products" maxlength=(PRODUCTS_MAX_CHARS) value=(treatment.products.as_deref().unwrap_or(""));
                    label for={ "override-" (treatment.id) } { (tr.t("console-treatment-form-override")) }
                    textarea id={ "override-" (treatment.id) } name="override_reason" rows="2" maxlength=(OVERRIDE_REASON_MAX_CHARS) {}
                    button type="submit" { (tr.t("console-correct-save")) }
                }
            }
        }
        details.cancel-treatment {
            summary { (tr.t("console-cancel-treatment")) }
            form.stack method="post" action={ (here) "/cancel" } {
                (views::csrf(session))
                label for={ "cancel-" (treatment.id) } { (tr.t("console-cancel-reason")) }
                textarea id={ "cancel-" (treatment.id) } name="reason" rows="2" required maxlength=(CANCEL_REASON_MAX_CHARS) {}
                p.hint { (tr.t("console-cancel-treatment-hint")) }
                button type="submit" { (tr.t("console-cancel-treatment-submit")) }
            }
        }
    }
}

pub async fn correct_patient(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let f = &form.fields;
    let valid = PatientPatch {
        name: Some(f.text("name").into()),
        email: Some(f.text("email").into()),
        timezone: Some(f.text("timezone").into()),
        // Not a number reads as 0, which validation names.
        fitzpatrick: Some(f.text("fitzpatrick").parse().unwrap_or(0)),
    }
    .validate()?;
    let staff = form.session.staff.clone();
    let p = corrections::correct_patient(&state.db, staff, id.into_inner(), valid).await?;
    Ok(views::see_other(&format!("/console/patients/{}", p.id)))
}

pub async fn discharge(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    if form.fields.opt("confirm").is_none() {
        return Err(ApiError::field("confirm", "confirm that the recovery is over").into());
    }
    let staff = form.session.staff.clone();
    let p = corrections::discharge(&state.db, staff, id.into_inner()).await?;
    Ok(views::see_other(&format!("/console/patients/{}", p.id)))
}

pub async fn readmit(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let staff = form.session.staff.clone();
    let p = corrections::readmit(&state.db, staff, id.into_inner()).await?;
    Ok(views::see_other(&format!("/console/patients/{}", p.id)))
}

pub async fn correct_treatment(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let staff = form.session.staff.clone();
    let id = id.into_inner();
    // The form's local date-time is in the patient's zone.
    let ctx = crate::app::recovery::treatment(&state.db, &staff, id.clone()).await?;
    let f = form.fields;
    // The form shows minutes: the same minute back keeps the stored instant.
    let shown = form_time(ctx.treatment.performed_at, ctx.tz);
    let performed_at = match f.text("performed_at") {
        same if same == shown => None,
        other => Some(local_time(other, ctx.tz)?),
    };
    let patch = TreatmentPatch {
        performed_at,
        area: Some(f.text("area").into()),
        depth_mm: Some(f.text("depth_mm").parse().unwrap_or(f64::NAN)),
        addons: Some(f.all("addons")),
        risk_factors: Some(f.all("risk_factors")),
        products: Some(Some(f.text("products").to_string())),
        override_reason: Some(f.text("override_reason").to_string()),
    };
    let done = corrections::correct_treatment(&state.db, staff, id, patch).await?;
    Ok(views::see_other(&format!(
        "/console/patients/{}",
        done.ctx.treatment.patient_id
    )))
}

pub async fn cancel_treatment(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let reason = CancelReason::parse(form.fields.text("reason"))
        .map_err(|m| ApiError::field("reason", m))?;
    let staff = form.session.staff.clone();
    let ctx = corrections::cancel_treatment(&state.db, staff, id.into_inner(), reason).await?;
    Ok(views::see_other(&format!(
        "/console/patients/{}",
        ctx.treatment.patient_id
    )))
}
