//! Command-line operations that need no HTTP: creating a clinic and its admin.

use crate::auth::{generate_password, hash_password};
use crate::db::Db;
use crate::domain::account::{Email, Password, PersonName};

pub struct CreatedClinic {
    pub clinic_id: String,
    /// Typed at sign-in by people with accounts at several clinics.
    pub clinic_code: String,
    pub admin_id: String,
    /// Set when the password was generated; print it once.
    pub generated_password: Option<String>,
}

/// Creates a clinic and its first admin in one transaction.
pub fn create_clinic(
    db: &Db,
    name: &str,
    admin_email: &str,
    admin_name: Option<&str>,
    password: Option<String>,
) -> Result<CreatedClinic, String> {
    let clinic_name = PersonName::parse(name).map_err(|e| format!("--name {e}"))?;
    let email = Email::parse(admin_email).map_err(|e| format!("--admin-email {e}"))?;
    let admin_name = PersonName::parse(admin_name.unwrap_or("Clinic admin"))
        .map_err(|e| format!("--admin-name {e}"))?;
    let generated = password.is_none();
    let password = Password::parse(&password.unwrap_or_else(generate_password))
        .map_err(|e| format!("password {e}"))?;
    let hash = hash_password(&password);
    let (clinic_id, admin_id, clinic_code) =
        crate::app::clinic::create_clinic(db, &clinic_name, &email, &admin_name, &hash)
            .map_err(|e| e.to_string())?;
    Ok(CreatedClinic {
        clinic_id,
        clinic_code,
        admin_id,
        generated_password: generated.then(|| password.expose().to_string()),
    })
}

/// What `aftercare demo` made: who signs in, with which password.
pub struct DemoSeeded {
    pub clinic: String,
    pub admin_email: String,
    pub admin_password: String,
    pub clinician_email: String,
    pub clinician_password: String,
    pub patients: Vec<String>,
}

const DEMO_ADMIN: &str = "admin@demo-clinic.example";
const DEMO_CLINICIAN: &str = "clinician@demo-clinic.example";

/// One demo patient's course: logs from day 0, each (scores, signs, note).
struct DemoCourse {
    name: &'static str,
    email: &'static str,
    timezone: &'static str,
    fitzpatrick: i64,
    depth_mm: f64,
    days_ago: u64,
    logs: &'static [([i64; 4], &'static [&'static str], Option<&'static str>)],
}

const DEMO_COURSES: [DemoCourse; 3] = [
    // Healing as expected: redness and swelling fade, light flaking from day 2.
    DemoCourse {
        name: "Maya Normal",
        email: "maya@patients.example",
        timezone: "Europe/Berlin",
        fitzpatrick: 2,
        depth_mm: 0.5,
        days_ago: 4,
        logs: &[
            ([4, 2, 0, 3], &[], None),
            ([3, 1, 1, 2], &[], None),
            ([1, 1, 2, 1], &[], Some("A little dry, otherwise fine")),
            ([1, 0, 1, 1], &[], None),
        ],
    },
    // Infection: better until day 3, then redness and pain come back with pus.
    DemoCourse {
        name: "Leo Infection",
        email: "leo@patients.example",
        timezone: "Europe/Istanbul",
        fitzpatrick: 3,
        depth_mm: 1.0,
        days_ago: 5,
        logs: &[
            ([5, 3, 0, 4], &[], None),
            ([4, 2, 1, 3], &[], None),
            ([3, 1, 2, 2], &[], None),
            ([3, 2, 2, 3], &[], None),
            (
                [6, 4, 2, 7],
                &["pus", "increasing_pain_or_warmth"],
                Some("Yellow crust on the left cheek, and it feels hot"),
            ),
        ],
    },
    // PIH watch: a normal course, then dark patches on darker skin.
    DemoCourse {
        name: "Aylin PIH Watch",
        email: "aylin@patients.example",
        timezone: "Europe/Istanbul",
        fitzpatrick: 5,
        depth_mm: 1.5,
        days_ago: 10,
        logs: &[
            ([5, 3, 0, 4], &[], None),
            ([4, 2, 1, 3], &[], None),
            ([3, 2, 2, 2], &[], None),
            ([2, 1, 3, 2], &[], None),
            ([2, 1, 3, 1], &[], None),
            ([1, 0, 2, 1], &[], None),
            ([1, 0, 1, 1], &[], None),
            ([1, 0, 1, 0], &[], None),
            (
                [1, 0, 0, 0],
                &["dark_patches"],
                Some("Darker patches along the jaw line"),
            ),
            ([1, 0, 0, 0], &["dark_patches"], None),
        ],
    },
];

/// Seeds a demo clinic: an admin, a clinician and three patients with
/// realistic courses (normal, infection, PIH watch), through the same use
/// cases the API uses. Refuses a database that already holds the demo.
pub async fn seed_demo(db: &Db) -> Result<DemoSeeded, String> {
    use crate::app::clinic::{self, NewPatient, NewStaff, TreatmentRequest};
    use crate::app::{recovery, Caller, ClinicAdmin, ClinicStaff, PatientCaller};
    use crate::domain::account::Role;
    use crate::domain::log::{LogEntry, RawLog};

    let err = |e: crate::app::AppError| e.to_string();
    // E-mails are unique per clinic only, so a second demo clinic would be
    // created beside the first: look for the demo admin instead.
    if crate::app::accounts::email_in_use(db, DEMO_ADMIN.into())
        .await
        .map_err(err)?
    {
        return Err("this database already holds the demo; use a fresh DATABASE_URL".into());
    }
    let admin_password = generate_password();
    let (d, p) = (db.clone(), admin_password.clone());
    let created = tokio::task::spawn_blocking(move || {
        create_clinic(&d, "Demo Clinic", DEMO_ADMIN, Some("Demo Admin"), Some(p))
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| {
        if e.contains("already exists") {
            "this database already holds the demo; use a fresh DATABASE_URL".to_string()
        } else {
            e
        }
    })?;
    let caller = |account_id: &str, role| Caller {
        account_id: account_id.to_string(),
        clinic_id: created.clinic_id.clone(),
        role,
    };
    let admin = ClinicAdmin::try_from(caller(&created.admin_id, Role::Admin)).map_err(err)?;
    let staff = NewStaff {
        email: DEMO_CLINICIAN.into(),
        name: "Dr Demo Clinician".into(),
        role: "clinician".into(),
        password: None,
    }
    .validate()
    .map_err(err)?;
    let clinician_password = staff.password.expose().to_string();
    let (clinician, _) = clinic::add_staff(db, admin, staff).await.map_err(err)?;
    let staff = ClinicStaff::try_from(caller(&clinician.id, Role::Clinician)).map_err(err)?;

    let now = chrono::Utc::now();
    let mut patients = Vec::new();
    for course in &DEMO_COURSES {
        let valid = NewPatient {
            name: course.name.into(),
            email: course.email.into(),
            timezone: course.timezone.into(),
            fitzpatrick: course.fitzpatrick,
        }
        .validate()
        .map_err(err)?;
        let patient = clinic::add_patient(db, staff.clone(), valid)
            .await
            .map_err(err)?;
        let performed = now - chrono::Duration::days(course.days_ago as i64);
        let new = TreatmentRequest {
            performed_at: performed.to_rfc3339(),
            area: "face".into(),
            depth_mm: course.depth_mm,
            addons: vec!["serum".into()],
            session_number: Some(1),
            risk_factors: Vec::new(),
            products: Some("Hyaluronic acid serum".into()),
            previous_treatment_id: None,
            override_reason: None,
        }
        .validate(now)
        .map_err(err)?;
        let ctx = clinic::register_treatment(db, staff.clone(), patient.id.clone(), new)
            .await
            .map_err(err)?
            .ctx;
        let me = PatientCaller::try_from(caller(&patient.id, Role::Patient)).map_err(err)?;
        for (day, (scores, signs, note)) in course.logs.iter().enumerate() {
            let signs: Vec<String> = signs.iter().map(|s| s.to_string()).collect();
            let entry = LogEntry::parse(RawLog {
                redness: scores[0],
                swelling: scores[1],
                flaking: scores[2],
                sensitivity: scores[3],
                signs: &signs,
                note: *note,
            })
            .map_err(|e| format!("demo log of {}: {e:?}", course.name))?;
            let date = ctx.treatment.day0 + chrono::Days::new(day as u64);
            recovery::put_log(db, me.clone(), ctx.treatment.id.clone(), date, entry, None)
                .await
                .map_err(err)?;
        }
        patients.push(course.name.to_string());
    }
    Ok(DemoSeeded {
        clinic: "Demo Clinic".into(),
        admin_email: DEMO_ADMIN.into(),
        admin_password,
        clinician_email: DEMO_CLINICIAN.into(),
        clinician_password,
        patients,
    })
}
