//! Command-line operations that need no HTTP: creating a clinic and its admin.

use crate::auth::{generate_password, hash_password};
use crate::db::{write_tx, Db};
use crate::domain::account::{Email, Password, PersonName, Role};
use crate::error::ApiError;
use crate::store::{accounts, clinics};

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
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let (clinic_id, admin_id) = write_tx(&mut conn, |c| {
        let clinic_id = clinics::create(c, clinic_name.as_str())?;
        let admin_id = accounts::create(
            c,
            accounts::NewAccount {
                clinic_id: &clinic_id,
                role: Role::Admin,
                email: &email,
                name: &admin_name,
                password_hash: Some(&hash),
            },
        )?;
        Ok::<_, ApiError>((clinic_id, admin_id))
    })
    .map_err(|e| e.to_string())?;
    Ok(CreatedClinic {
        clinic_id,
        admin_id,
        generated_password: generated.then(|| password.expose().to_string()),
    })
}
