//! JSON shapes shared by several resources (and by the clinician console).

use serde_json::{json, Value};

use super::rfc3339;
use crate::app::treatments::TreatmentCtx;
use crate::app::words;
use crate::domain::log::signs_from_text;
use crate::domain::timeline::one_decimal;
use crate::i18n::Locale;
use crate::store::daily_logs::DailyLog;
use crate::store::flags::{Flag, FlagEvent};

pub fn treatment(ctx: &TreatmentCtx, now: chrono::DateTime<chrono::Utc>) -> Value {
    let t = &ctx.treatment;
    json!({
        "id": t.id,
        "patient_id": t.patient_id,
        "performed_at": rfc3339(t.performed_at),
        "day0": t.day0,
        "current_day": ctx.day_of(ctx.today(now)),
        "area": ctx.area,
        "depth_mm": ctx.depth.get(),
        "addons": ctx.addons,
        "session_number": t.session_number,
        "previous_treatment_id": t.previous_treatment_id,
        "risk_factors": ctx.risk_factors,
        "products": t.products,
        "check_in_days": ctx.check_in_days,
        "protocol": {"name": ctx.protocol.name, "version": ctx.protocol.version},
        "window_days": ctx.timeline.window_days,
        "created_at": rfc3339(t.created_at),
        "cancelled_at": ctx.cancellation.as_ref().map(|c| rfc3339(c.at)),
    })
}

/// A treatment as staff see it: with why it was cancelled, if it was (the
/// patient sees only that it was).
pub fn staff_treatment(ctx: &TreatmentCtx, now: chrono::DateTime<chrono::Utc>) -> Value {
    let mut v = treatment(ctx, now);
    if let Some(c) = &ctx.cancellation {
        v["cancel_reason"] = json!(c.reason);
    }
    v
}

pub fn log(l: &DailyLog) -> Value {
    json!({
        "id": l.id,
        "treatment_id": l.treatment_id,
        "date": l.log_date,
        "day": l.day,
        "redness": l.redness,
        "swelling": l.swelling,
        "flaking": l.flaking,
        "sensitivity": l.sensitivity,
        "signs": signs_from_text(&l.signs),
        "note": l.note,
        "updated_at": rfc3339(l.updated_at),
    })
}

/// A flag with its evidence: the latest day's (`evidence`), the opening
/// and worst days' (each with that day's severity), and the days that added
/// to it; `events` (the review history with clinician notes) only for staff.
pub fn flag(f: &Flag, events: Option<&[FlagEvent]>) -> Value {
    let evidence: Value = serde_json::from_str(&f.evidence).unwrap_or(Value::Null);
    // Flags from before these were kept: the latest day stands for them.
    let kept = |text: &str| -> Value {
        serde_json::from_str(text).unwrap_or_else(|_| {
            let mut v = evidence.clone();
            if let Some(m) = v.as_object_mut() {
                m.insert("severity".into(), json!(f.severity));
            }
            v
        })
    };
    let days: Vec<Value> = serde_json::from_str::<Vec<Value>>(&f.evidence_days)
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| {
            vec![json!({
                "day": evidence.get("day").cloned().unwrap_or(Value::Null),
                "date": evidence.get("date").cloned().unwrap_or(Value::Null),
                "severity": f.severity,
                "weight": crate::domain::assessment::weight(&evidence),
            })]
        });
    let mut v = json!({
        "id": f.id,
        "treatment_id": f.treatment_id,
        "patient_id": f.patient_id,
        "reason": f.reason,
        "severity": f.severity,
        "status": f.status,
        "day": evidence.get("day").cloned().unwrap_or(Value::Null),
        "evidence": evidence,
        "opened_evidence": kept(&f.opened_evidence),
        "worst_evidence": kept(&f.worst_evidence),
        "evidence_days": days,
        "opened_at": rfc3339(f.opened_at),
        "updated_at": rfc3339(f.updated_at),
    });
    if let Some(events) = events {
        v["events"] = events
            .iter()
            .filter(|e| e.flag_id == f.id)
            .map(|e| json!({"action": e.action, "actor_id": e.actor_id, "note": e.note, "at": rfc3339(e.at)}))
            .collect();
    }
    v
}

/// A flag as the patient's app shows it: [`flag`] with the reason's label
/// and explanation in `locale`.
pub fn patient_flag(f: &Flag, locale: Locale) -> Value {
    let mut v = flag(f, None);
    let (label, explanation) = words::flag_reason(&f.reason, locale);
    v["label"] = json!(label);
    v["explanation"] = json!(explanation);
    v
}

/// Day-by-day expected course with the logged scores beside it; each day
/// has its label in `locale`.
pub fn timeline(ctx: &TreatmentCtx, logs: &[DailyLog], locale: Locale) -> Value {
    let days: Vec<Value> = ctx
        .timeline
        .days
        .iter()
        .map(|d| {
            let logged = logs.iter().find(|l| l.day as u32 == d.day);
            let symptom = |e: crate::domain::timeline::Expectation, score: Option<i32>| {
                json!({"expected": one_decimal(e.expected), "upper": e.upper, "logged": score})
            };
            json!({
                "day": d.day,
                "label": words::day_label(i64::from(d.day), locale),
                "date": ctx.treatment.day0 + chrono::Days::new(d.day as u64),
                "redness": symptom(d.redness, logged.map(|l| l.redness)),
                "swelling": symptom(d.swelling, logged.map(|l| l.swelling)),
                "flaking": symptom(d.flaking, logged.map(|l| l.flaking)),
                "sensitivity": symptom(d.sensitivity, logged.map(|l| l.sensitivity)),
            })
        })
        .collect();
    json!({
        "treatment_id": ctx.treatment.id,
        "protocol": {"name": ctx.protocol.name, "version": ctx.protocol.version},
        "window_days": ctx.timeline.window_days,
        "locale": locale,
        "days": days,
    })
}
