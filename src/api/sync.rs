//! The WatermelonDB sync endpoints; the protocol itself is in `app::sync`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::extract::{is_json, parse_json};
use crate::app::sync::{self, PullRequest, PushBody, PUSH_MAX_RECORDS};
use crate::app::PatientCaller;
use crate::domain::sync_schema;
use crate::http::limits::too_many;
use crate::http::{ApiError, ApiResult, AppState};

/// Largest push body.
pub const PUSH_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullQuery {
    last_pulled_at: Option<String>,
    schema_version: Option<String>,
    migration: Option<String>,
}

/// `null` (the literal WatermelonDB sends on a first sync) or a cursor.
fn parse_cursor(raw: Option<&str>) -> ApiResult<Option<i64>> {
    match raw {
        None | Some("null") | Some("") => Ok(None),
        // Plain digits only, as the spec's pattern says: no sign, no spaces.
        Some(s) if (1..=18).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(s.parse().expect("18 digits fit in an i64")))
        }
        Some(_) => Err(ApiError::field(
            "last_pulled_at",
            "must be null or a timestamp from an earlier pull",
        )),
    }
}

pub async fn pull(
    state: web::Data<AppState>,
    patient: PatientCaller,
    q: web::Query<PullQuery>,
) -> ApiResult<HttpResponse> {
    let last = parse_cursor(q.last_pulled_at.as_deref())?;
    let schema_version = match q.schema_version.as_deref() {
        // Apps that do not say are taken to speak the current version.
        None | Some("null") | Some("") => sync_schema::CURRENT_VERSION,
        // As the contract's pattern: 1 to 9 digits, no leading zero.
        Some(v)
            if (1..=9).contains(&v.len())
                && v.bytes().all(|b| b.is_ascii_digit())
                && !v.starts_with('0') =>
        {
            v.parse().expect("9 digits fit in a u32")
        }
        Some(_) => {
            return Err(ApiError::field(
                "schema_version",
                "must be a positive integer",
            ))
        }
    };
    let refetch = match q.migration.as_deref() {
        None | Some("null") | Some("") => Default::default(),
        Some(raw) if raw.chars().count() > 4096 => {
            return Err(ApiError::field(
                "migration",
                "must be at most 4096 characters",
            ))
        }
        Some(raw) => {
            let m: sync_schema::MigrationSync = serde_json::from_str(raw).map_err(|e| {
                ApiError::field(
                    "migration",
                    format!(
                        "must be null or {{from, tables, columns}} as WatermelonDB sends it: {e}"
                    ),
                )
            })?;
            sync_schema::tables_to_refetch(schema_version, &m)
                .map_err(|e| ApiError::field("migration", e))?
        }
    };
    let body = sync::pull(
        &state.db,
        &patient,
        PullRequest {
            last,
            refetch,
            schema_version,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushQuery {
    last_pulled_at: Option<String>,
}

pub async fn push(
    state: web::Data<AppState>,
    patient: PatientCaller,
    q: web::Query<PushQuery>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let last = parse_cursor(q.last_pulled_at.as_deref())?.unwrap_or(0);
    // Before the body is read: a second push of the account while one runs,
    // or one over its rate, costs nothing but this answer.
    let _turn = state
        .sync_pushes
        .begin(&patient.account_id)
        .map_err(|wait| {
            state.metrics.rate_limited("sync_push", "account");
            too_many(wait)
        })?;
    if !is_json(&req) {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as Content-Type: application/json".into(),
        ));
    }
    let bytes = payload
        .to_bytes_limited(PUSH_BODY_LIMIT)
        .await
        .map_err(|_| ApiError::PayloadTooLarge {
            limit: PUSH_BODY_LIMIT,
        })?
        .map_err(|e| match e {
            e if e
                .as_error::<actix_web::error::PayloadError>()
                .is_some_and(crate::http::deadline::is_timeout) =>
            {
                ApiError::RequestTimeout
            }
            e => ApiError::BadRequest(format!("could not read the body: {e}")),
        })?;
    // Counted while streaming, before anything is built: a body of many tiny
    // items is refused after the first one too many.
    if over_record_cap(&bytes, PUSH_MAX_RECORDS) {
        return Err(too_many_records());
    }
    let body: PushBody = parse_json(&bytes)?;
    let count: usize = body
        .changes
        .values()
        .map(|t| t.created.len() + t.updated.len() + t.deleted.len())
        .sum();
    if count > PUSH_MAX_RECORDS {
        return Err(too_many_records());
    }
    let report = sync::push(&state.db, patient, last, body).await?;
    Ok(HttpResponse::Ok().json(report))
}

fn too_many_records() -> ApiError {
    ApiError::field(
        "changes",
        format!("at most {PUSH_MAX_RECORDS} records per push; push in parts"),
    )
}

/// Whether the push body carries more than `cap` records in its
/// `changes.<table>.<kind>` arrays. Items are skipped, not built, and the
/// scan stops at the first item over the cap. Anything malformed counts as
/// "not over": the full parse reports it.
pub fn over_record_cap(bytes: &[u8], cap: usize) -> bool {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::cell::Cell;
    use std::fmt;

    struct Budget {
        left: Cell<usize>,
        over: Cell<bool>,
    }
    /// What a value is: the body, `changes`, one table, or one array of records.
    #[derive(Clone, Copy)]
    enum Level {
        Body,
        Changes,
        Table,
        Records,
    }
    #[derive(Clone, Copy)]
    struct Seed<'a>(&'a Budget, Level);

    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            match self.1 {
                Level::Records => d.deserialize_seq(self),
                _ => d.deserialize_map(self),
            }
        }
    }

    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a sync push body")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                let inner = match (self.1, key.as_ref()) {
                    (Level::Body, "changes") => Some(Level::Changes),
                    (Level::Changes, _) => Some(Level::Table),
                    (Level::Table, _) => Some(Level::Records),
                    _ => None,
                };
                match inner {
                    Some(level) => map.next_value_seed(Seed(self.0, level))?,
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {
                match self.0.left.get().checked_sub(1) {
                    Some(left) => self.0.left.set(left),
                    None => {
                        self.0.over.set(true);
                        return Err(serde::de::Error::custom("over the record cap"));
                    }
                }
            }
            Ok(())
        }
    }

    let budget = Budget {
        left: Cell::new(cap),
        over: Cell::new(false),
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let _ = Seed(&budget, Level::Body).deserialize(&mut de);
    budget.over.get()
}

#[cfg(test)]
mod tests {
    use super::over_record_cap;

    #[test]
    fn the_record_cap_is_counted_across_tables_and_stops_early() {
        let body = |n: usize, m: usize| {
            let ids = |k: usize| vec!["\"a\""; k].join(",");
            format!(
                r#"{{"changes":{{"symptom_logs":{{"created":[],"deleted":[{}]}},"reminders":{{"updated":[{}]}}}}}}"#,
                ids(n),
                vec!["{}"; m].join(",")
            )
        };
        assert!(!over_record_cap(body(600, 400).as_bytes(), 1000));
        assert!(over_record_cap(body(600, 401).as_bytes(), 1000));
        // Stops at the first item over: what follows is never read.
        let truncated = format!(
            r#"{{"changes":{{"symptom_logs":{{"deleted":[{}[[["#,
            "\"a\",".repeat(1001)
        );
        assert!(over_record_cap(truncated.as_bytes(), 1000));
        // Malformed or other shapes are left to the full parse.
        assert!(!over_record_cap(b"{\"changes\": 5}", 1000));
        assert!(!over_record_cap(b"not json", 1000));
    }
}
