//! Patients: the list, adding one, the recovery page, registering a
//! treatment and issuing an enrolment code.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, TimeZone, Utc};
use maud::{html, Markup, PreEscaped};

use super::session::{ConsoleForm, ConsoleSession};
use super::{chart, views, ConsoleResult};
use crate::app::clinic::{self, NewPatient, TreatmentRecovery, TreatmentRequest, SEVERITIES};
use crate::app::workday;
use crate::app::AppError;
use crate::domain::log::{signs_from_text, DAILY_LOG_LAST_DAY};
use crate::domain::reminder::format_hhmm;
use crate::domain::risk::{self, RiskFactor, OVERRIDE_REASON_MAX_CHARS, PRODUCTS_MAX_CHARS};
use crate::domain::treatment::{Addon, Area, Symptom};
use crate::http::AppState;
use crate::http::{ApiError, ApiResult};
use crate::store::patients::{Patient, Standing};

const LIST_LIMIT: i64 = 200;

pub(super) fn fitzpatrick(n: i32) -> &'static str {
    ["I", "II", "III", "IV", "V", "VI"]
        .get((n - 1).max(0) as usize)
        .copied()
        .unwrap_or("?")
}

/// IANA zones for the add-patient form, the clinic's first; legacy aliases
/// (`EST5EDT`, `Etc/GMT+3`) are left out.
pub(super) fn zone_choices(first: chrono_tz::Tz) -> Vec<&'static str> {
    let mut zones: Vec<&'static str> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name())
        .filter(|n| n.contains('/') && !n.starts_with("Etc/") && *n != first.name())
        .collect();
    zones.sort_unstable();
    zones.insert(0, first.name());
    zones
}

pub async fn list(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> ConsoleResult<HttpResponse> {
    let staff = session.staff.clone();
    let rows = workday::patients_overview(
        &state.db,
        staff.clone(),
        Standing::Active,
        LIST_LIMIT,
        Utc::now(),
    )
    .await?;
    let discharged =
        clinic::list_patients(&state.db, staff, Standing::Discharged, LIST_LIMIT, 0).await?;
    let tz = session.tz;
    let body = html! {
        h1 { "Patients" }
        @if rows.is_empty() {
            p.empty { "No patients yet." }
        } @else {
            table.patients {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Day" } th scope="col" { "Open flags" }
                    th scope="col" { "Last log" } th scope="col" { "Missed days" }
                    th scope="col" { "Skin type" } th scope="col" { "App enrolled" } th scope="col" { "Added" }
                } }
                tbody {
                    @for r in &rows {
                        @let p = &r.patient;
                        tr id={ "patient-" (p.id) } {
                            td { a href={ "/console/patients/" (p.id) } { (p.name) } }
                            td { @match r.day { Some(d) => { "Day " (d) }, None => span.empty { "No treatment" } } }
                            td.open-flags {
                                @if r.open == [0, 0, 0] { span.empty { "None" } }
                                @for (n, severity) in r.open.iter().zip(SEVERITIES) {
                                    @if *n > 0 { span class={ "count severity-" (severity) } { (n) " " (severity) } " " }
                                }
                            }
                            td { @match r.last_log { Some(d) => { (d) }, None => span.empty { "None yet" } } }
                            td { @if let Some(m) = r.missed { (m) } }
                            td { "Fitzpatrick " (fitzpatrick(p.fitzpatrick)) }
                            td { @if p.enrolled { "Yes" } @else { "Not yet" } }
                            td { (views::instant(tz, p.created_at)) }
                        }
                    }
                }
            }
            p.hint { "Day: today's day after the latest treatment, in the patient's time zone. "
                "Missed days: finished days 0–" (DAILY_LOG_LAST_DAY) " without a log." }
        }
        (super::corrections::discharged_list(&discharged, tz))
        section aria-labelledby="add-patient" {
            h2 #add-patient { "Add a patient" }
            form.stack method="post" action="/console/patients" {
                (views::csrf(&session))
                label for="name" { "Name" }
                input #name type="text" name="name" required maxlength="200";
                label for="email" { "Email" }
                input #email type="email" name="email" required;
                label for="timezone" { "Time zone" }
                select #timezone name="timezone" required {
                    @for z in zone_choices(tz) { option value=(z) { (z) } }
                }
                label for="fitzpatrick" { "Fitzpatrick skin type" }
                select #fitzpatrick name="fitzpatrick" required {
                    option value="" selected disabled { "Choose the skin type" }
                    @for n in 1..=6 { option value=(n) { (fitzpatrick(n)) } }
                }
                button type="submit" { "Add patient" }
            }
        }
    };
    Ok(views::ok("Patients", &session, body))
}

pub async fn create(state: web::Data<AppState>, form: ConsoleForm) -> ConsoleResult<HttpResponse> {
    let f = &form.fields;
    let valid = NewPatient {
        name: f.text("name").into(),
        email: f.text("email").into(),
        timezone: f.text("timezone").into(),
        // Not a number reads as 0, which validation names.
        fitzpatrick: f.text("fitzpatrick").parse().unwrap_or(0),
    }
    .validate()?;
    let staff = form.session.staff.clone();
    let patient = clinic::add_patient(&state.db, staff, valid).await?;
    Ok(views::see_other(&format!(
        "/console/patients/{}",
        patient.id
    )))
}

pub async fn page(
    state: web::Data<AppState>,
    session: ConsoleSession,
    id: web::Path<String>,
) -> ConsoleResult<HttpResponse> {
    let staff = session.staff.clone();
    let id = id.into_inner();
    let now = Utc::now();
    let (recovery, staff_list) = clinic::read_recovery(&state.db, staff, id, now).await?;
    let names: HashMap<String, String> = staff_list.into_iter().map(|a| (a.id, a.name)).collect();
    let p = &recovery.patient;
    let here = format!("/console/patients/{}", p.id);
    let body = html! {
        h1 { (p.name) }
        dl.facts {
            dt { "Email" } dd { (p.email) }
            dt { "Time zone" } dd { (p.timezone) }
            dt { "Skin type" } dd { "Fitzpatrick " (fitzpatrick(p.fitzpatrick)) }
            dt { "App" } dd { @if p.enrolled { "Enrolled" } @else { "Not enrolled yet" } }
            @if let Some(at) = p.discharged_at {
                dt { "Discharged" } dd.discharged { (views::instant(session.tz, at)) " — no reminders are sent" }
            }
        }
        (super::corrections::patient_actions(&session, p))
        form.inline method="post" action={ (here) "/enrolment-codes" } {
            (views::csrf(&session))
            @if p.enrolled {
                p.notice #enrol-warning {
                    strong { "The app is already enrolled. " }
                    "When a new code is used, the patient's app is signed out on every device "
                    "and must be set up again with the new code."
                }
                label.check {
                    input type="checkbox" name="confirm" value="yes" required aria-describedby="enrol-warning";
                    " I understand: end the patient's app sessions when the new code is used"
                }
                button type="submit" { "Issue a new enrolment code" }
            } @else {
                button type="submit" { "Issue an enrolment code" }
            }
        }
        @if recovery.treatments.is_empty() {
            p.empty { "No treatment registered yet." }
        }
        @for (i, t) in recovery.treatments.iter().enumerate() {
            @let previous = t.ctx.treatment.previous_treatment_id.as_deref()
                .and_then(|id| recovery.treatments.iter().find(|p| p.ctx.treatment.id == id));
            (treatment_section(&session, t, previous, i, &names, now))
        }
        (treatment_form(&session, &here))
    };
    Ok(views::ok(&recovery.patient.name, &session, body))
}

/// Peak logged score of a symptom (index into the four) and its day.
fn peak(t: &TreatmentRecovery, k: usize) -> Option<(i32, i32)> {
    t.logs
        .iter()
        .map(|l| ([l.redness, l.swelling, l.flaking, l.sensitivity][k], l.day))
        .max_by_key(|&(score, day)| (score, -day))
}

/// The previous session's course beside this one: peaks, logs and flags.
fn series_summary(t: &TreatmentRecovery, previous: &TreatmentRecovery) -> Markup {
    let p = &previous.ctx;
    let gap = (t.ctx.treatment.day0 - p.treatment.day0).num_days();
    let interval = t.ctx.protocol.session_intervals.for_area(t.ctx.area);
    let flags = |t: &TreatmentRecovery| {
        if t.flags.is_empty() {
            "None".to_string()
        } else {
            t.flags
                .iter()
                .map(|f| format!("{} ({})", views::words(&f.reason), f.severity))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let cell = |t: &TreatmentRecovery, k: usize| match peak(t, k) {
        Some((score, day)) => format!("{score} on day {day}"),
        None => "not logged".to_string(),
    };
    html! {
        p.series {
            "Follows session " (p.treatment.session_number) " ("
            (views::words(p.area.as_str())) ", " (format!("{:.2}", p.depth.get())) " mm, "
            (p.treatment.day0) "), " (gap) " days earlier"
            @if gap < i64::from(interval) {
                " — " strong.too-soon { "sooner than the " (interval) "-day minimum for this area" }
            }
            "."
        }
        table.series {
            caption { "This session beside the previous one (peak logged scores)" }
            thead { tr {
                th scope="col" { "" }
                th scope="col" { "This session" }
                th scope="col" { "Previous session" }
            } }
            tbody {
                @for (k, symptom) in Symptom::ALL.into_iter().enumerate() {
                    tr { th scope="row" { (views::words(symptom.as_str())) } td { (cell(t, k)) } td { (cell(previous, k)) } }
                }
                tr { th scope="row" { "Days logged" } td { (t.logs.len()) } td { (previous.logs.len()) } }
                tr { th scope="row" { "Flags" } td { (flags(t)) } td { (flags(previous)) } }
            }
        }
    }
}

fn treatment_section(
    session: &ConsoleSession,
    t: &TreatmentRecovery,
    previous: Option<&TreatmentRecovery>,
    index: usize,
    names: &HashMap<String, String>,
    now: chrono::DateTime<Utc>,
) -> Markup {
    let ctx = &t.ctx;
    let tr = &ctx.treatment;
    let heading = format!("treatment-{index}");
    let performed = chrono::DateTime::from_timestamp_millis(tr.performed_at)
        .unwrap_or_default()
        .with_timezone(&ctx.tz);
    let logged: Vec<(i64, [i32; 4])> = t
        .logs
        .iter()
        .map(|l| {
            (
                l.day as i64,
                [l.redness, l.swelling, l.flaking, l.sensitivity],
            )
        })
        .collect();
    let sign_days: Vec<(i64, String)> = t
        .logs
        .iter()
        .filter_map(|l| {
            let signs = signs_from_text(&l.signs);
            (!signs.is_empty()).then(|| {
                let words: Vec<String> = signs.iter().map(|s| s.label().to_string()).collect();
                (l.day as i64, words.join(", "))
            })
        })
        .collect();
    let tz = session.tz;
    html! {
        section.treatment aria-labelledby=(heading) {
            h2 #(heading) {
                "Session " (tr.session_number) ", " (views::words(ctx.area.as_str())) ", "
                (format!("{:.2}", ctx.depth.get())) " mm"
            }
            @if let Some(c) = &ctx.cancellation {
                p.notice.cancelled {
                    strong { "Cancelled" } " by " (names.get(&c.actor_id).map(String::as_str).unwrap_or("a former staff member"))
                    ", " (views::instant(tz, c.at)) ": " q { (c.reason) }
                    " — no reminders, no flags, no new logs; kept for the record."
                }
            }
            dl.facts {
                dt { "Performed" } dd { (performed.format("%Y-%m-%d %H:%M %Z")) " (patient's time)" }
                dt { "Today is day" } dd { (ctx.day_of(ctx.today(now))) }
                dt { "Add-ons" } dd {
                    @if ctx.addons.is_empty() { "None" }
                    @else { (ctx.addons.iter().map(|a| views::words(a.as_str())).collect::<Vec<_>>().join(", ")) }
                }
                dt { "Risk factors" } dd {
                    @if ctx.risk_factors.is_empty() { "None recorded" }
                    @else { (ctx.risk_factors.iter().map(|r| views::words(r.as_str())).collect::<Vec<_>>().join(", ")) }
                }
                dt { "Products applied" } dd { (tr.products.as_deref().unwrap_or("None recorded")) }
                @let cautions = risk::screen(&ctx.risk_factors, ctx.depth, &ctx.addons).warnings;
                @if !cautions.is_empty() {
                    dt { "Cautions" } dd.cautions {
                        (cautions.iter().map(|w| w.message.as_str()).collect::<Vec<_>>().join("; "))
                    }
                }
                @if let Some(o) = &t.overridden {
                    dt { "Contraindication override" } dd {
                        strong { (o.contraindications.split(',').map(views::words).collect::<Vec<_>>().join(", ")) }
                        ": " q { (o.reason) } " (" (names.get(&o.actor_id).map(String::as_str).unwrap_or("a former staff member")) ", " (views::instant(tz, o.at)) ")"
                    }
                }
                dt { "Expected course" } dd {
                    (ctx.protocol.name) " v" (ctx.protocol.version) ", about "
                    (ctx.timeline.window_days) " days; check-ins on days "
                    (ctx.check_in_days.iter().map(u16::to_string).collect::<Vec<_>>().join(", "))
                }
            }
            @if let Some(previous) = previous {
                h3 { "Series" }
                (series_summary(t, previous))
            }
            h3 { "Recovery charts" }
            p.hint {
                "Shaded band: expected score up to the upper bound. Line: expected score. "
                "Circles: logged scores; diamonds: logged scores above the upper bound."
            }
            p.hint { "Triangles along the top: days the patient reported warning signs." }
            div.charts {
                @for (k, symptom) in Symptom::ALL.into_iter().enumerate() {
                    @let points: Vec<(i64, i32)> = logged.iter().map(|(d, s)| (*d, s[k])).collect();
                    (chart::symptom(&format!("chart-{index}-{}", symptom.as_str()), symptom, &ctx.timeline, &points, &sign_days))
                }
            }
            h3 { "Flags" }
            @if t.flags.is_empty() {
                p.empty { "No flags for this treatment." }
            }
            @for f in &t.flags {
                article.flag id={ "flag-" (f.id) } {
                    h4 { (views::severity(&f.severity)) " · " (views::words(&f.reason)) " · " (views::status(&f.status)) }
                    p { "Opened " (views::instant(tz, f.opened_at))
                        @if let Some(d) = views::evidence_day(&f.evidence) { ", day " (d) } }
                    (views::evidence(&f.reason, &f.evidence))
                    @let history: Vec<_> = t.events.iter().filter(|e| e.flag_id == f.id).collect();
                    @if !history.is_empty() {
                        ol.history {
                            @for e in history {
                                li {
                                    (views::words(&e.action)) " by "
                                    (names.get(&e.actor_id).map(String::as_str).unwrap_or(if e.actor_id == crate::store::flags::SYSTEM_ACTOR { "the service" } else { "a former staff member" }))
                                    ", " (views::instant(tz, e.at))
                                    @if let Some(n) = &e.note { ": " q { (n) } }
                                }
                            }
                        }
                    }
                    @if let Some(alerts) = t.alerts.get(&f.id).filter(|a| !a.is_empty()) {
                        details.alerts {
                            summary { "Alert history (" (alerts.len()) ")" }
                            ul {
                                @for a in alerts {
                                    li {
                                        (views::alert_channel(&a.channel)) " to " (views::alert_recipient(a)) ", "
                                        (views::instant(tz, a.finished_at.unwrap_or(a.created_at))) ": " (views::alert_outcome(a))
                                    }
                                }
                            }
                        }
                    }
                    p { a.action href={ "/console/flags/" (f.id) } {
                        @if f.status == "resolved" { "Open the flag" } @else { "Review the flag" }
                    } }
                }
            }
            (super::corrections::treatment_actions(session, t, now))
            h3 { "Daily logs" }
            (logs_table(t))
            h3 { "Reminders" }
            (reminders(t))
        }
    }
}

fn logs_table(t: &TreatmentRecovery) -> Markup {
    html! {
        @if t.logs.is_empty() {
            p.empty { "No logs yet." }
        } @else {
            table.logs {
                thead { tr {
                    th scope="col" { "Date" } th scope="col" { "Day" }
                    @for s in Symptom::ALL { th scope="col" { (views::words(s.as_str())) } }
                    th scope="col" { "Warning signs" } th scope="col" { "Note" }
                } }
                tbody {
                    @for l in &t.logs {
                        tr {
                            td { (l.log_date) } td { (l.day) }
                            td { (l.redness) } td { (l.swelling) } td { (l.flaking) } td { (l.sensitivity) }
                            td { (views::signs(&l.signs)) }
                            td { (l.note.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

fn reminders(t: &TreatmentRecovery) -> Markup {
    html! {
        table.plan {
            caption { "Reminder plan (patient's local time)" }
            thead { tr { th scope="col" { "Reminder" } th scope="col" { "Days" } th scope="col" { "Times" } } }
            tbody {
                @for r in &t.plan.rules {
                    tr {
                        td { (views::words(r.kind.as_str())) }
                        td { (r.first_day) "–" (r.last_day) }
                        td { (r.times.iter().map(|t| format_hhmm(*t)).collect::<Vec<_>>().join(", ")) }
                    }
                }
            }
        }
        @if t.adherence.is_empty() {
            p.empty { "No reminder has been due yet." }
        } @else {
            table.adherence {
                caption { "Adherence so far" }
                thead { tr { th scope="col" { "Reminder" } th scope="col" { "Done" } th scope="col" { "Not done" } } }
                tbody {
                    @for (kind, due, done) in &t.adherence {
                        tr { td { (views::words(kind)) } td { (done) " of " (due) } td { (due - done) } }
                    }
                }
            }
        }
    }
}

fn treatment_form(session: &ConsoleSession, here: &str) -> Markup {
    html! {
        section aria-labelledby="add-treatment" {
            h2 #add-treatment { "Register a treatment" }
            form.stack method="post" action={ (here) "/treatments" } {
                (views::csrf(session))
                label for="performed_at" { "Date and time (patient's local time)" }
                input #performed_at type="datetime-local" name="performed_at" required;
                label for="area" { "Area" }
                select #area name="area" required {
                    @for a in Area::ALL { option value=(a.as_str()) { (views::words(a.as_str())) } }
                }
                label for="depth_mm" { "Needle depth (mm, 0.25–3.0)" }
                input #depth_mm type="number" name="depth_mm" min="0.25" max="3" step="0.05" required;
                fieldset {
                    legend { "Add-ons" }
                    @for a in Addon::ALL {
                        label.check {
                            input type="checkbox" name="addons" value=(a.as_str());
                            " " (views::words(a.as_str()))
                        }
                    }
                }
                label for="session_number" { "Session number in the series (leave empty to follow the previous session)" }
                input #session_number type="number" name="session_number" min="1" max="50";
                fieldset {
                    legend { "Risk factors" }
                    @for r in RiskFactor::ALL {
                        label.check {
                            input type="checkbox" name="risk_factors" value=(r.as_str());
                            " " (views::words(r.as_str()))
                            @if r.is_contraindication() { " (contraindication)" }
                        }
                    }
                }
                label for="products" { "Serum or products applied" }
                input #products type="text" name="products" maxlength=(PRODUCTS_MAX_CHARS);
                label for="override_reason" { "Reason to treat despite a contraindication (only if one applies)" }
                textarea #override_reason name="override_reason" rows="2" maxlength=(OVERRIDE_REASON_MAX_CHARS) {}
                button type="submit" { "Register treatment" }
            }
        }
    }
}

/// A `datetime-local` value read in the patient's zone, as RFC 3339.
pub(super) fn local_time(raw: &str, tz: chrono_tz::Tz) -> ApiResult<String> {
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| ApiError::field("performed_at", "must be a date and time"))?;
    // A time skipped by a DST change does not exist; a repeated one is read
    // as the earlier of the two.
    let t = tz.from_local_datetime(&naive).earliest().ok_or_else(|| {
        ApiError::field(
            "performed_at",
            "that time does not exist in the patient's time zone (clocks changed)",
        )
    })?;
    Ok(t.to_rfc3339())
}

pub async fn add_treatment(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let staff = form.session.staff.clone();
    let id = id.into_inner();
    let f = form.fields;
    let now = Utc::now();
    // The form's local date-time is in the patient's zone.
    let patient: Patient = clinic::patient(&state.db, &staff, id).await?;
    let tz: chrono_tz::Tz = patient
        .timezone
        .parse()
        .map_err(|_| ApiError::internal("stored time zone is invalid"))?;
    let request = TreatmentRequest {
        performed_at: local_time(f.text("performed_at"), tz)?,
        area: f.text("area").into(),
        depth_mm: f.text("depth_mm").parse().unwrap_or(f64::NAN),
        addons: f.all("addons"),
        // Empty: derived from the series; anything else must be a number.
        session_number: match f.text("session_number").trim() {
            "" => None,
            n => Some(n.parse().unwrap_or(0)),
        },
        risk_factors: f.all("risk_factors"),
        products: Some(f.text("products").to_string()),
        previous_treatment_id: None,
        override_reason: Some(f.text("override_reason").to_string()),
    };
    let new = request.validate(now)?;
    let reg = clinic::register_treatment(&state.db, staff, patient.id, new).await?;
    let patient_id = reg.ctx.treatment.patient_id;
    Ok(views::see_other(&format!("/console/patients/{patient_id}")))
}

fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    // Inline in HTML: drop the XML declaration.
    svg.find("<svg").map(|i| svg[i..].to_string())
}

pub async fn enrolment_code(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: ConsoleForm,
) -> ConsoleResult<HttpResponse> {
    let staff = form.session.staff.clone();
    let id = id.into_inner();
    // Redeeming a new code signs an enrolled app out everywhere: the form
    // asks for a confirmation, and so does the server.
    if form.fields.opt("confirm").is_none()
        && clinic::patient(&state.db, &staff, id.clone())
            .await?
            .enrolled
    {
        return Err(AppError::field(
            "confirm",
            "the patient's app is enrolled: confirm that a new code ends its sessions",
        )
        .into());
    }
    let ttl = state.config.enrolment_code_ttl.as_millis() as i64;
    let (patient, code, expires_at) =
        clinic::issue_enrolment_code(&state.db, staff, id, ttl).await?;
    let body = html! {
        h1 { "Enrolment code for " (patient.name) }
        p { "Give this code to the patient to enter (or scan) in the aftercare app. "
            "It works once and is shown only now." }
        p.code { code { (code) } }
        p { "Valid until " (views::instant(form.session.tz, expires_at)) "." }
        @if let Some(svg) = qr_svg(&code) {
            figure.qr {
                // Generated by the qrcode crate from our own code string.
                (PreEscaped(svg))
                figcaption { "QR code of the enrolment code " (code) }
            }
        }
        p { a href={ "/console/patients/" (patient.id) } { "Back to " (patient.name) } }
    };
    Ok(views::ok("Enrolment code", &form.session, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_follow_the_patients_zone_and_refuse_gaps() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            local_time("2026-07-01T10:30", berlin).unwrap(),
            "2026-07-01T10:30:00+02:00"
        );
        assert!(local_time("2026-03-29T02:30", berlin).is_err());
        assert!(local_time("yesterday", berlin).is_err());
    }

    #[test]
    fn qr_codes_are_inline_svg() {
        let svg = qr_svg("ABCD-EFGH-JKMN").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("<?xml"));
    }
}
