//! A patient's rights over their data: everything held about them, and erasure.

use super::actor::PatientCaller;
use super::error::AppResult;
use super::sessions::TokenGenerations;
use super::treatments::{self as ctx_of, TreatmentCtx};
use crate::db::Db;
use crate::domain::reminder::Preferences;
use crate::media::MediaStore;
use crate::store::daily_logs::DailyLog;
use crate::store::flags::Flag;
use crate::store::log_photos::{self, LogPhoto};
use crate::store::patients::{self, Patient};
use crate::store::push::StoredSubscription;
use crate::store::reminders::OccurrenceRow;
use crate::store::{accounts, audit, daily_logs, flags, push, reminders, treatments};

pub struct TreatmentExport {
    pub ctx: TreatmentCtx,
    pub logs: Vec<DailyLog>,
    pub flags: Vec<Flag>,
    pub reminders: Vec<OccurrenceRow>,
    pub photos: Vec<LogPhoto>,
}

pub struct Export {
    pub patient: Patient,
    pub preferences: Preferences,
    pub devices: Vec<StoredSubscription>,
    pub treatments: Vec<TreatmentExport>,
}

/// Everything the service holds about the calling patient.
pub async fn export(db: &Db, patient: PatientCaller) -> AppResult<Export> {
    db.read(move |c| {
        let me = patients::get(c, &patient.scope(), &patient.account_id)?;
        let mut items = Vec::new();
        for t in treatments::for_patient(c, &me.id)? {
            let ctx = ctx_of::context(c, t)?;
            let id = ctx.treatment.id.clone();
            items.push(TreatmentExport {
                logs: daily_logs::for_treatment(c, &id)?,
                flags: flags::for_treatment(c, &id)?,
                reminders: reminders::upcoming(c, &id, 0, 10_000)?,
                photos: log_photos::for_treatment(c, &id)?,
                ctx,
            });
        }
        Ok(Export {
            preferences: reminders::preferences(c, &me.id)?,
            devices: push::subscriptions_of(c, &me.id)?,
            patient: me,
            treatments: items,
        })
    })
    .await
}

/// Erases the calling patient: account, profile, treatments, logs, photos
/// (rows, then every object under the patient's prefix), flags (with their
/// alert deliveries), reminders, push jobs (their own and the staff alerts
/// about them), devices and sessions. The clinic keeps its audit trail,
/// which holds ids and actions only.
pub async fn erase(
    db: &Db,
    media: &MediaStore,
    gens: &TokenGenerations,
    patient: PatientCaller,
) -> AppResult<()> {
    let id = patient.account_id.clone();
    db.write(move |tx| {
        let c = tx.conn();
        let me = patients::get(c, &patient.scope(), &patient.account_id)?;
        push::delete_jobs_of_patient(c, &me.id)?;
        // Corrections kept old and new values (names, e-mail, treatment
        // facts); once the patient is gone, only ids and actions stay.
        let treatment_ids: Vec<String> = treatments::for_patient(c, &me.id)?
            .into_iter()
            .map(|t| t.id)
            .collect();
        audit::forget_details(c, "treatment", &treatment_ids)?;
        audit::forget_details(c, "patient", std::slice::from_ref(&me.id))?;
        accounts::delete(c, &me.id)?;
        audit::record(
            c,
            &me.clinic_id,
            &me.id,
            "patient.erased",
            "patient",
            &me.id,
        )?;
        Ok::<_, super::AppError>(())
    })
    .await?;
    // Its tokens answer 401 from now on, in this process at once.
    gens.forget(&id);
    super::photos::erase_objects(media, &id).await;
    Ok(())
}
