//! Patients: the list, adding one, the recovery page, registering a
//! treatment and issuing an enrolment code.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use maud::{html, Markup, PreEscaped};

use super::forms::{fitzpatrick, local_time, zone_choices};
use super::i18n::Tr;
use super::session::{ConsoleForm, ConsoleSession};
use super::{chart, views, ConsoleResult};
use crate::app::clinic::{self, NewPatient, TreatmentRecovery, TreatmentRequest, SEVERITIES};
use crate::app::treatments::TreatmentCtx;
use crate::app::workday;
use crate::app::AppError;
use crate::domain::log::{signs_from_text, DAILY_LOG_LAST_DAY};
use crate::domain::reminder::format_hhmm;
use crate::domain::risk::{self, RiskFactor, OVERRIDE_REASON_MAX_CHARS, PRODUCTS_MAX_CHARS};
use crate::domain::treatment::{Addon, Area, Symptom};
use crate::http::ApiError;
use crate::http::AppState;
use crate::store::patients::{Patient, Standing};

const LIST_LIMIT: i64 = 200;

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
    let tr = session.tr;
    let body = html! {
        h1 { (tr.t("console-patients-title")) }
        @if rows.is_empty() {
            p.empty { (tr.t("console-patients-none")) }
        } @else {
            table.patients {
                thead { tr {
                    th scope="col" { (tr.t("console-name")) } th scope="col" { (tr.t("console-patients-day")) }
                    th scope="col" { (tr.t("console-patients-open-flags")) }
                    th scope="col" { (tr.t("console-patients-last-log")) } th scope="col" { (tr.t("console-patients-missed")) }
                    th scope="col" { (tr.t("console-skin-type")) } th scope="col" { (tr.t("console-patients-enrolled")) }
                    th scope="col" { (tr.t("console-added")) }
                } }
                tbody {
                    @for r in &rows {
                        @let p = &r.patient;
                        tr id={ "patient-" (p.id) } {
                            td { a href={ "/console/patients/" (p.id) } { (p.name) } }
                            td { @match r.day { Some(d) => { (tr.f("day-label", &[("day", d.into())])) }, None => span.empty { (tr.t("console-patients-no-treatment")) } } }
                            td.open-flags {
                                @if r.open == [0, 0, 0] { span.empty { (tr.t("console-none")) } }
                                @for (n, severity) in r.open.iter().zip(SEVERITIES) {
                                    @if *n > 0 {
                                        span class={ "count severity-" (severity) } {
                                            (tr.f("console-patients-open-count", &[("count", (*n as i64).into()), ("severity", tr.severity(severity).into())]))
                                        }
                                        " "
                                    }
                                }
                            }
                            td { @match r.last_log { Some(d) => { (tr.date(d)) }, None => span.empty { (tr.t("console-patients-no-log")) } } }
                            td { @if let Some(m) = r.missed { (m) } }
                            td { (tr.f("console-fitzpatrick", &[("type", fitzpatrick(p.fitzpatrick).into())])) }
                            td { @if p.enrolled { (tr.t("console-yes")) } @else { (tr.t("console-patients-not-yet")) } }
                            td { (views::instant(tr, tz, p.created_at)) }
                        }
                    }
                }
            }
            p.hint { (tr.f("console-patients-hint", &[("last", DAILY_LOG_LAST_DAY.into())])) }
        }
        (super::corrections::discharged_list(tr, &discharged, tz))
        section aria-labelledby="add-patient" {
            h2 #add-patient { (tr.t("console-patients-add")) }
            form.stack method="post" action="/console/patients" {
                (views::csrf(&session))
                label for="name" { (tr.t("console-name")) }
                input #name type="text" name="name" required maxlength="200";
                label for="email" { (tr.t("console-email")) }
                input #email type="email" name="email" required;
                label for="timezone" { (tr.t("console-time-zone")) }
                select #timezone name="timezone" required {
                    @for z in zone_choices(tz) { option value=(z) { (z) } }
                }
                label for="fitzpatrick" { (tr.t("console-patients-skin-type-label")) }
                select #fitzpatrick name="fitzpatrick" required {
                    option value="" selected disabled { (tr.t("console-patients-choose-skin-type")) }
                    @for n in 1..=6 { option value=(n) { (fitzpatrick(n)) } }
                }
                button type="submit" { (tr.t("console-patients-add-button")) }
            }
        }
    };
    Ok(views::ok(&tr.t("console-patients-title"), &session, body))
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
    let tr = session.tr;
    let body = html! {
        h1 { (p.name) }
        dl.facts {
            dt { (tr.t("console-email")) } dd { (p.email) }
            dt { (tr.t("console-time-zone")) } dd { (p.timezone) }
            dt { (tr.t("console-skin-type")) } dd { (tr.f("console-fitzpatrick", &[("type", fitzpatrick(p.fitzpatrick).into())])) }
            dt { (tr.t("console-patient-app")) } dd { @if p.enrolled { (tr.t("console-patient-enrolled")) } @else { (tr.t("console-patient-not-enrolled")) } }
            @if let Some(at) = p.discharged_at {
                dt { (tr.t("console-discharged")) } dd.discharged { (tr.f("console-discharged-at", &[("at", tr.instant(session.tz, at).into())])) }
            }
        }
        (super::corrections::patient_actions(&session, p))
        form.inline method="post" action={ (here) "/enrolment-codes" } {
            (views::csrf(&session))
            @if p.enrolled {
                p.notice #enrol-warning {
                    strong { (tr.t("console-enrol-already")) }
                    " "
                    (tr.t("console-enrol-warning"))
                }
                label.check {
                    input type="checkbox" name="confirm" value="yes" required aria-describedby="enrol-warning";
                    " " (tr.t("console-enrol-confirm"))
                }
                button type="submit" { (tr.t("console-enrol-new-code")) }
            } @else {
                button type="submit" { (tr.t("console-enrol-code")) }
            }
        }
        @if recovery.treatments.is_empty() {
            p.empty { (tr.t("console-treatments-none")) }
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

/// A photo of a patient's log, full size or `?size=thumb`, for the signed-in
/// staff member of the patient's clinic; every view is audited
/// (`photo.read`), like the API's.
pub async fn photo(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<(String, String, String)>,
    q: web::Query<crate::api::photos::SizeQuery>,
) -> ConsoleResult<HttpResponse> {
    let (treatment_id, date, photo_id) = path.into_inner();
    let date = crate::api::photos::parse_date(&date)?;
    let size = q.size()?;
    let (p, bytes) = crate::app::photos::read(
        &state.db,
        &state.media,
        &session.staff,
        treatment_id,
        date,
        photo_id,
        size,
    )
    .await?;
    Ok(crate::api::photos::image_response(&p, size, bytes))
}

/// Peak logged score of a symptom (index into the four) and its day.
fn peak(t: &TreatmentRecovery, k: usize) -> Option<(i32, i32)> {
    t.logs
        .iter()
        .map(|l| ([l.redness, l.swelling, l.flaking, l.sensitivity][k], l.day))
        .max_by_key(|&(score, day)| (score, -day))
}

/// A screening caution in words: `console-caution-<code>` with its
/// details, or the domain's English message for a code without one.
fn caution(tr: Tr, w: &risk::Warning) -> String {
    let key = format!("console-caution-{}", w.code);
    if !crate::i18n::has(crate::i18n::Locale::FALLBACK, &key) {
        return w.message.clone();
    }
    let number = |name: &str| {
        w.details[name]
            .as_f64()
            .map(|v| tr.decimal(v, 2))
            .unwrap_or_default()
    };
    tr.f(
        &key,
        &[
            ("depth", number("depth_mm").into()),
            ("limit", number("warning_above_mm").into()),
        ],
    )
}

/// "Session 2, Face, 0.50 mm".
fn session_words(tr: Tr, ctx: &TreatmentCtx) -> String {
    tr.f(
        "console-treatment-heading",
        &[
            ("session", ctx.treatment.session_number.into()),
            ("area", tr.area(ctx.area.as_str()).into()),
            ("depth", tr.decimal(ctx.depth.get(), 2).into()),
        ],
    )
}

/// The previous session's course beside this one: peaks, logs and flags.
fn series_summary(tr: Tr, t: &TreatmentRecovery, previous: &TreatmentRecovery) -> Markup {
    let p = &previous.ctx;
    let gap = (t.ctx.treatment.day0 - p.treatment.day0).num_days();
    let interval = t.ctx.protocol.session_intervals.for_area(t.ctx.area);
    let flags = |t: &TreatmentRecovery| {
        if t.flags.is_empty() {
            tr.t("console-none")
        } else {
            t.flags
                .iter()
                .map(|f| format!("{} ({})", tr.reason(&f.reason), tr.severity(&f.severity)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let cell = |t: &TreatmentRecovery, k: usize| match peak(t, k) {
        Some((score, day)) => tr.f(
            "console-series-peak",
            &[("score", score.into()), ("day", day.into())],
        ),
        None => tr.t("console-series-not-logged"),
    };
    html! {
        p.series {
            (tr.f("console-series-follows", &[
                ("session", p.treatment.session_number.into()),
                ("area", tr.area(p.area.as_str()).into()),
                ("depth", tr.decimal(p.depth.get(), 2).into()),
                ("date", tr.date(p.treatment.day0).into()),
                ("days", gap.into()),
            ]))
            @if gap < i64::from(interval) {
                " — " strong.too-soon { (tr.f("console-series-too-soon", &[("interval", interval.into())])) }
            }
            "."
        }
        table.series {
            caption { (tr.t("console-series-caption")) }
            thead { tr {
                th scope="col" { "" }
                th scope="col" { (tr.t("console-series-this")) }
                th scope="col" { (tr.t("console-series-previous")) }
            } }
            tbody {
                @for (k, symptom) in Symptom::ALL.into_iter().enumerate() {
                    tr { th scope="row" { (tr.symptom(symptom.as_str())) } td { (cell(t, k)) } td { (cell(previous, k)) } }
                }
                tr { th scope="row" { (tr.t("console-series-days-logged")) } td { (t.logs.len()) } td { (previous.logs.len()) } }
                tr { th scope="row" { (tr.t("console-series-flags")) } td { (flags(t)) } td { (flags(previous)) } }
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
    let heading = format!("treatment-{index}");
    let performed = chrono::DateTime::from_timestamp_millis(ctx.treatment.performed_at)
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
    let tz = session.tz;
    let tr = session.tr;
    let sign_days: Vec<(i64, String)> = t
        .logs
        .iter()
        .filter_map(|l| {
            let signs = signs_from_text(&l.signs);
            (!signs.is_empty()).then(|| {
                let words: Vec<String> = signs.iter().map(|s| tr.sign(s.as_str())).collect();
                (l.day as i64, words.join(", "))
            })
        })
        .collect();
    let former = tr.t("console-former-staff");
    let service = tr.t("console-the-service");
    let who = |actor: &str| -> String {
        names.get(actor).cloned().unwrap_or_else(|| {
            if actor == crate::store::flags::SYSTEM_ACTOR {
                service.clone()
            } else {
                former.clone()
            }
        })
    };
    html! {
        section.treatment aria-labelledby=(heading) {
            h2 #(heading) { (session_words(tr, ctx)) }
            @if let Some(c) = &ctx.cancellation {
                p.notice.cancelled {
                    (tr.f("console-treatment-cancelled", &[
                        ("who", who(&c.actor_id).into()),
                        ("at", tr.instant(tz, c.at).into()),
                        ("reason", c.reason.clone().into()),
                    ]))
                }
            }
            dl.facts {
                dt { (tr.t("console-treatment-performed")) } dd {
                    (tr.f("console-treatment-performed-at", &[("at", tr.datetime(&performed).into())]))
                }
                dt { (tr.t("console-treatment-today")) } dd { (ctx.day_of(ctx.today(now))) }
                dt { (tr.t("console-addons")) } dd {
                    @if ctx.addons.is_empty() { (tr.t("console-none")) }
                    @else { (ctx.addons.iter().map(|a| tr.addon(a.as_str())).collect::<Vec<_>>().join(", ")) }
                }
                dt { (tr.t("console-risk-factors")) } dd {
                    @if ctx.risk_factors.is_empty() { (tr.t("console-none-recorded")) }
                    @else { (ctx.risk_factors.iter().map(|r| tr.risk(r.as_str())).collect::<Vec<_>>().join(", ")) }
                }
                dt { (tr.t("console-products-applied")) } dd {
                    @match ctx.treatment.products.as_deref() {
                        Some(p) => { (p) },
                        None => { (tr.t("console-none-recorded")) },
                    }
                }
                @let cautions = risk::screen(&ctx.risk_factors, ctx.depth, &ctx.addons).warnings;
                @if !cautions.is_empty() {
                    dt { (tr.t("console-cautions")) } dd.cautions {
                        (cautions.iter().map(|w| caution(tr, w)).collect::<Vec<_>>().join("; "))
                    }
                }
                @if let Some(o) = &t.overridden {
                    dt { (tr.t("console-override")) } dd {
                        strong { (o.contraindications.split(',').map(|c| tr.risk(c)).collect::<Vec<_>>().join(", ")) }
                        ": " q { (o.reason) } " (" (who(&o.actor_id)) ", " (views::instant(tr, tz, o.at)) ")"
                    }
                }
                dt { (tr.t("console-expected-course")) } dd {
                    (tr.f("console-expected-course-facts", &[
                        ("protocol", ctx.protocol.name.as_str().into()),
                        ("version", ctx.protocol.version.into()),
                        ("days", ctx.timeline.window_days.into()),
                        ("check_ins", ctx.check_in_days.iter().map(u16::to_string).collect::<Vec<_>>().join(", ").into()),
                    ]))
                }
            }
            @if let Some(previous) = previous {
                h3 { (tr.t("console-series")) }
                (series_summary(tr, t, previous))
            }
            h3 { (tr.t("console-charts")) }
            p.hint { (tr.t("console-charts-hint")) }
            p.hint { (tr.t("console-charts-hint-signs")) }
            div.charts {
                @for (k, symptom) in Symptom::ALL.into_iter().enumerate() {
                    @let points: Vec<(i64, i32)> = logged.iter().map(|(d, s)| (*d, s[k])).collect();
                    (chart::symptom(tr, &format!("chart-{index}-{}", symptom.as_str()), symptom, &ctx.timeline, &points, &sign_days))
                }
            }
            h3 { (tr.t("console-flags")) }
            @if t.flags.is_empty() {
                p.empty { (tr.t("console-flags-none")) }
            }
            @for f in &t.flags {
                article.flag id={ "flag-" (f.id) } {
                    h4 { (views::severity(tr, &f.severity)) " · " (tr.reason(&f.reason)) " · " (views::status(tr, &f.status)) }
                    p {
                        (tr.t("console-flag-opened")) " " (views::instant(tr, tz, f.opened_at))
                        @if let Some(d) = views::evidence_day(&f.evidence) { ", " (tr.f("day-label", &[("day", d.into())])) }
                    }
                    (views::evidence(tr, &f.reason, &f.evidence))
                    @let history: Vec<_> = t.events.iter().filter(|e| e.flag_id == f.id).collect();
                    @if !history.is_empty() {
                        ol.history {
                            @for e in history {
                                li {
                                    (tr.f("console-history-by", &[
                                        ("action", tr.action(&e.action).into()),
                                        ("who", who(&e.actor_id).into()),
                                    ]))
                                    ", " (views::instant(tr, tz, e.at))
                                    @if let Some(n) = &e.note { ": " q { (n) } }
                                }
                            }
                        }
                    }
                    @if let Some(alerts) = t.alerts.get(&f.id).filter(|a| !a.is_empty()) {
                        details.alerts {
                            summary { (tr.f("console-alert-history-count", &[("count", (alerts.len() as i64).into())])) }
                            ul {
                                @for a in alerts {
                                    li {
                                        (tr.f("console-alert-line", &[
                                            ("channel", views::alert_channel(tr, &a.channel).into()),
                                            ("to", views::alert_recipient(tr, a).into()),
                                        ]))
                                        ", " (views::instant(tr, tz, a.finished_at.unwrap_or(a.created_at))) ": " (views::alert_outcome(tr, a))
                                    }
                                }
                            }
                        }
                    }
                    p { a.action href={ "/console/flags/" (f.id) } {
                        @if f.status == "resolved" { (tr.t("console-flag-open")) } @else { (tr.t("console-flag-review-link")) }
                    } }
                }
            }
            (super::corrections::treatment_actions(session, t, now))
            h3 { (tr.t("console-logs")) }
            (logs_table(tr, t))
            h3 { (tr.t("console-reminders")) }
            (reminders(tr, t))
        }
    }
}

fn logs_table(tr: Tr, t: &TreatmentRecovery) -> Markup {
    html! {
        @if t.logs.is_empty() {
            p.empty { (tr.t("console-logs-none")) }
        } @else {
            table.logs {
                thead { tr {
                    th scope="col" { (tr.t("console-logs-date")) } th scope="col" { (tr.t("console-patients-day")) }
                    @for s in Symptom::ALL { th scope="col" { (tr.symptom(s.as_str())) } }
                    th scope="col" { (tr.t("console-warning-signs")) } th scope="col" { (tr.t("console-logs-note")) }
                    th scope="col" { (tr.t("console-photos")) }
                } }
                tbody {
                    @for l in &t.logs {
                        tr {
                            td { (tr.date(l.log_date)) } td { (l.day) }
                            td { (l.redness) } td { (l.swelling) } td { (l.flaking) } td { (l.sensitivity) }
                            td { (views::signs(tr, &l.signs)) }
                            td { (l.note.as_deref().unwrap_or("")) }
                            td { (views::photo_thumbs(tr, &t.photos.iter().filter(|p| p.log_date == l.log_date).collect::<Vec<_>>())) }
                        }
                    }
                }
            }
        }
    }
}

fn reminders(tr: Tr, t: &TreatmentRecovery) -> Markup {
    html! {
        table.plan {
            caption { (tr.t("console-plan-caption")) }
            thead { tr {
                th scope="col" { (tr.t("console-plan-reminder")) } th scope="col" { (tr.t("console-plan-days")) }
                th scope="col" { (tr.t("console-plan-times")) }
            } }
            tbody {
                @for r in &t.plan.rules {
                    tr {
                        td { (tr.reminder(r.kind.as_str())) }
                        td { (r.first_day) "–" (r.last_day) }
                        td { (r.times.iter().map(|t| format_hhmm(*t)).collect::<Vec<_>>().join(", ")) }
                    }
                }
            }
        }
        @if t.adherence.is_empty() {
            p.empty { (tr.t("console-adherence-none")) }
        } @else {
            table.adherence {
                caption { (tr.t("console-adherence-caption")) }
                thead { tr {
                    th scope="col" { (tr.t("console-plan-reminder")) } th scope="col" { (tr.t("console-adherence-done")) }
                    th scope="col" { (tr.t("console-adherence-not-done")) }
                } }
                tbody {
                    @for (kind, due, done) in &t.adherence {
                        tr {
                            td { (tr.reminder(kind)) }
                            td { (tr.f("console-adherence-of", &[("done", (*done).into()), ("due", (*due).into())])) }
                            td { (due - done) }
                        }
                    }
                }
            }
        }
    }
}

fn treatment_form(session: &ConsoleSession, here: &str) -> Markup {
    let tr = session.tr;
    html! {
        section aria-labelledby="add-treatment" {
            h2 #add-treatment { (tr.t("console-treatment-form-title")) }
            form.stack method="post" action={ (here) "/treatments" } {
                (views::csrf(session))
                label for="performed_at" { (tr.t("console-treatment-form-when")) }
                input #performed_at type="datetime-local" name="performed_at" required;
                label for="area" { (tr.t("console-treatment-form-area")) }
                select #area name="area" required {
                    @for a in Area::ALL { option value=(a.as_str()) { (tr.area(a.as_str())) } }
                }
                label for="depth_mm" { (tr.t("console-treatment-form-depth")) }
                input #depth_mm type="number" name="depth_mm" min="0.25" max="3" step="0.05" required;
                fieldset {
                    legend { (tr.t("console-addons")) }
                    @for a in Addon::ALL {
                        label.check {
                            input type="checkbox" name="addons" value=(a.as_str());
                            " " (tr.addon(a.as_str()))
                        }
                    }
                }
                label for="session_number" { (tr.t("console-treatment-form-session")) }
                input #session_number type="number" name="session_number" min="1" max="50";
                fieldset {
                    legend { (tr.t("console-risk-factors")) }
                    @for r in RiskFactor::ALL {
                        label.check {
                            input type="checkbox" name="risk_factors" value=(r.as_str());
                            " " (tr.risk(r.as_str()))
                            @if r.is_contraindication() { " " (tr.t("console-contraindication")) }
                        }
                    }
                }
                label for="products" { (tr.t("console-treatment-form-products")) }
                input #products type="text" name="products" maxlength=(PRODUCTS_MAX_CHARS);
                label for="override_reason" { (tr.t("console-treatment-form-override")) }
                textarea #override_reason name="override_reason" rows="2" maxlength=(OVERRIDE_REASON_MAX_CHARS) {}
                button type="submit" { (tr.t("console-treatment-form-submit")) }
            }
        }
    }
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
    let tr = form.session.tr;
    let body = html! {
        h1 { (tr.f("console-enrol-title", &[("name", patient.name.as_str().into())])) }
        p { (tr.t("console-enrol-give")) }
        p.code { code { (code) } }
        p { (tr.f("console-valid-until", &[("until", tr.instant(form.session.tz, expires_at).into())])) }
        @if let Some(svg) = qr_svg(&code) {
            figure.qr {
                // Generated by the qrcode crate from our own code string.
                (PreEscaped(svg))
                figcaption { (tr.f("console-enrol-qr", &[("code", code.as_str().into())])) }
            }
        }
        p { a href={ "/console/patients/" (patient.id) } { (tr.f("console-back-to", &[("name", patient.name.as_str().into())])) } }
    };
    Ok(views::ok(
        &tr.t("console-enrol-page-title"),
        &form.session,
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_codes_are_inline_svg() {
        let svg = qr_svg("ABCD-EFGH-JKMN").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("<?xml"));
    }
}
