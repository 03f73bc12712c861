//! Command-line operations that need no HTTP: creating a clinic and its admin.

use crate::auth::{generate_password, hash_password};
use crate::db::Db;
use crate::domain::account::{Email, Password, PersonName};

pub struct CreatedClinic {
    pub clinic_id: String,
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
    let (clinic_id, admin_id) =
        crate::app::clinic::create_clinic(db, &clinic_name, &email, &admin_name, &hash)
            .map_err(|e| e.to_string())?;
    Ok(CreatedClinic {
        clinic_id,
        admin_id,
        generated_password: generated.then(|| password.expose().to_string()),
    })
}
