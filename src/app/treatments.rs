//! A treatment loaded with everything the healing rules need about it.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::actor::Caller;
use super::error::{AppError, AppResult};
use crate::db::{Db, DbConn};
use crate::domain::care::{care_for_day, CareFacts, CareInstructions};
use crate::domain::protocol::Protocol;
use crate::domain::reminder::check_in_days;
use crate::domain::risk::{self, RiskFactor};
use crate::domain::timeline::{expected_timeline, Timeline};
use crate::domain::treatment::{self, Addon, Area, DepthMm, Fitzpatrick};
use crate::i18n::Locale;
use crate::store::patients::CareProfile;
use crate::store::treatments::{self, Cancellation, Treatment};
use crate::store::{audit, patients, protocols, Scope};

/// A treatment with everything the rules need about it.
pub struct TreatmentCtx {
    pub treatment: Treatment,
    pub tz: Tz,
    pub fitzpatrick: Fitzpatrick,
    pub depth: DepthMm,
    pub area: Area,
    pub addons: Vec<Addon>,
    pub risk_factors: Vec<RiskFactor>,
    pub protocol: Arc<Protocol>,
    /// The protocol's course, carried on to the last check-in day.
    pub timeline: Timeline,
    /// Days after the daily logs when a check-in log is asked for.
    pub check_in_days: Vec<u16>,
    /// Set when the treatment was cancelled (registered by mistake).
    pub cancellation: Option<Cancellation>,
    /// When the patient was discharged (ms), if they were.
    pub discharged_at: Option<i64>,
    /// The locale the patient reads (their account's).
    pub patient_locale: Locale,
}

impl TreatmentCtx {
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        treatment::local_date(now, self.tz)
    }

    /// Day number of a local date (0 = treatment day).
    pub fn day_of(&self, date: NaiveDate) -> i64 {
        (date - self.treatment.day0).num_days()
    }

    /// Whether reminders are planned for it: not once it is cancelled or its
    /// patient discharged.
    pub fn in_care(&self) -> bool {
        self.cancellation.is_none() && self.discharged_at.is_none()
    }

    /// The treatment's risk factors (for the assessment's risk facts).
    pub fn risk_factors(&self) -> &[RiskFactor] {
        &self.risk_factors
    }

    /// The care instructions of one day of this treatment.
    pub fn care(&self, day: i64) -> CareInstructions {
        care_for_day(
            day,
            &CareFacts {
                depth: self.depth,
                area: self.area,
                addons: &self.addons,
                risk_factors: &self.risk_factors,
                fitzpatrick: self.fitzpatrick,
            },
        )
    }
}

pub fn addons_from_text(text: &str) -> Vec<Addon> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|s| Addon::parse(s).ok())
        .collect()
}

/// Loads a treatment the scope may see, with its patient's zone and skin type
/// (one statement).
pub fn load(conn: &mut DbConn, scope: &Scope, id: &str) -> AppResult<TreatmentCtx> {
    let (treatment, profile, cancellation) = treatments::get_with_care(conn, scope, id)?;
    build(conn, treatment, profile, cancellation)
}

/// The context of a treatment already read.
pub fn context(conn: &mut DbConn, treatment: Treatment) -> AppResult<TreatmentCtx> {
    let profile = patients::care_profile(conn, &treatment.patient_id)?;
    let cancellation = treatments::cancellation(conn, &treatment.id)?;
    build(conn, treatment, profile, cancellation)
}

fn build(
    conn: &mut DbConn,
    treatment: Treatment,
    profile: CareProfile,
    cancellation: Option<Cancellation>,
) -> AppResult<TreatmentCtx> {
    let tz: Tz = profile
        .timezone
        .parse()
        .map_err(|_| AppError::corrupt("time zone", profile.timezone.clone()))?;
    let fitzpatrick = Fitzpatrick::parse(i64::from(profile.fitzpatrick))
        .map_err(|e| AppError::corrupt("skin type", e))?;
    let depth = DepthMm::parse(treatment.depth_mm).map_err(|e| AppError::corrupt("depth", e))?;
    let area = Area::parse(&treatment.area).map_err(|e| AppError::corrupt("area", e))?;
    let addons = addons_from_text(&treatment.addons);
    let risk_factors = risk::from_text(&treatment.risk_factors);
    let protocol = protocols::get(conn, &treatment.protocol_id)?;
    let check_in_days = check_in_days(depth, fitzpatrick);
    let last_check_in = check_in_days.iter().copied().max().unwrap_or(0);
    let timeline =
        expected_timeline(&protocol, depth, area, &addons).extended_to(u32::from(last_check_in));
    Ok(TreatmentCtx {
        treatment,
        tz,
        fitzpatrick,
        depth,
        area,
        addons,
        risk_factors,
        protocol,
        timeline,
        check_in_days,
        cancellation,
        discharged_at: profile.discharged_at,
        patient_locale: Locale::from_stored(&profile.locale),
    })
}

/// A read of one treatment the caller may see; staff reads are audited as
/// `action` (so they are writes, through the one write entry point).
pub async fn read<T, F>(
    db: &Db,
    caller: &Caller,
    id: String,
    action: &'static str,
    read: F,
) -> AppResult<T>
where
    F: FnOnce(&mut DbConn, TreatmentCtx) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let scope = caller.scope();
    match scope {
        Scope::Patient { .. } => {
            db.read(move |c| {
                let ctx = load(c, &scope, &id)?;
                read(c, ctx)
            })
            .await
        }
        Scope::Clinic { .. } => {
            db.write(move |tx| {
                let ctx = load(tx.conn(), &scope, &id)?;
                audit::staff_read(tx.conn(), &scope, action, "treatment", &id)?;
                read(tx.conn(), ctx)
            })
            .await
        }
    }
}
