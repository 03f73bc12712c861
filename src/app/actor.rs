//! Who is acting, as plain types: the API's extractors and the console's
//! session build them, and every use case takes the one its rule needs, so
//! a role check cannot be skipped by a handler.

use super::error::AppError;
use crate::domain::account::Role;
use crate::domain::ids::PatientId;
use crate::store::Scope;

/// Any signed-in account.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: String,
    pub clinic_id: String,
    pub role: Role,
}

impl Caller {
    /// The records this caller may reach.
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::Patient => Scope::Patient {
                patient_id: self.account_id.clone(),
                clinic_id: self.clinic_id.clone(),
            },
            Role::Admin | Role::Clinician => Scope::Clinic {
                clinic_id: self.clinic_id.clone(),
                actor_id: self.account_id.clone(),
            },
        }
    }
}

/// Declares a caller that is known to hold one of the given roles; the only
/// way to get one is `TryFrom<Caller>`.
macro_rules! role_type {
    ($(#[$doc:meta])* $name:ident, $($role:pat_param)|+) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(Caller);

        impl TryFrom<Caller> for $name {
            type Error = AppError;

            fn try_from(c: Caller) -> Result<Self, AppError> {
                match c.role {
                    $($role)|+ => Ok(Self(c)),
                    _ => Err(AppError::Forbidden("your role may not perform this operation")),
                }
            }
        }

        impl std::ops::Deref for $name {
            type Target = Caller;
            fn deref(&self) -> &Caller {
                &self.0
            }
        }
    };
}

role_type!(
    /// A clinician or admin; their scope is their clinic.
    ClinicStaff,
    Role::Clinician | Role::Admin
);
role_type!(
    /// A clinic admin.
    ClinicAdmin,
    Role::Admin
);
role_type!(
    /// A patient; their scope is themselves.
    PatientCaller,
    Role::Patient
);

impl ClinicStaff {
    /// The admin behind this staff member, if they are one.
    pub fn admin(&self) -> Option<ClinicAdmin> {
        ClinicAdmin::try_from(self.0.clone()).ok()
    }
}

impl PatientCaller {
    pub fn patient(&self) -> PatientId {
        PatientId::new(self.account_id.clone())
    }
}
