//! Form values the patient page and the corrections forms both show and
//! read: skin types, time zones and the patient's local date-time.

use chrono::{NaiveDateTime, TimeZone};

use crate::http::{ApiError, ApiResult};

/// A Fitzpatrick skin type (1–6) as its Roman numeral.
pub(super) fn fitzpatrick(n: i32) -> &'static str {
    ["I", "II", "III", "IV", "V", "VI"]
        .get((n - 1).max(0) as usize)
        .copied()
        .unwrap_or("?")
}

/// IANA zones for the add-patient form, the clinic's first; legacy aliases
/// (`EST5EDT`, `Etc/GMT+3`) are left out.
pub(super) fn zone_choices(first: chrono_tz::Tz) -> Vec<&'static str> {
    let mut zones: Vec<&'static str> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name())
        .filter(|n| n.contains('/') && !n.starts_with("Etc/") && *n != first.name())
        .collect();
    zones.sort_unstable();
    zones.insert(0, first.name());
    zones
}

/// A `datetime-local` value read in the patient's zone, as RFC 3339.
pub(super) fn local_time(raw: &str, tz: chrono_tz::Tz) -> ApiResult<String> {
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| ApiError::field("performed_at", "must be a date and time"))?;
    // A time skipped by a DST change does not exist; a repeated one is read
    // as the earlier of the two.
    let t = tz.from_local_datetime(&naive).earliest().ok_or_else(|| {
        ApiError::field(
            "performed_at",
            "that time does not exist in the patient's time zone (clocks changed)",
        )
    })?;
    Ok(t.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_follow_the_patients_zone_and_refuse_gaps() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            local_time("2026-07-01T10:30", berlin).unwrap(),
            "2026-07-01T10:30:00+02:00"
        );
        assert!(local_time("2026-03-29T02:30", berlin).is_err());
        assert!(local_time("yesterday", berlin).is_err());
    }
}
