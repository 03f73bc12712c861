//! Record ids as distinct types, so a patient id cannot be passed where a
//! treatment or flag id belongs. Ids are opaque strings (UUIDs made here,
//! or ids the app generated for synced records).

use std::fmt;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }
    )*};
}

id_type!(
    /// A clinic.
    ClinicId,
    /// Any account: staff or patient.
    AccountId,
    /// A patient (the patient's account id).
    PatientId,
    /// A treatment session.
    TreatmentId,
    /// A flag raised on a treatment.
    FlagId,
    /// A materialised reminder occurrence.
    ReminderId,
);

impl PatientId {
    /// The patient's account.
    pub fn account(&self) -> AccountId {
        AccountId(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_plain_strings() {
        let id = FlagId::new("f-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"f-1\"");
        assert_eq!(id.to_string(), "f-1");
        assert_eq!(PatientId::new("p").account().as_str(), "p");
    }
}
