//! The reader's words for what the domain gives as codes: care items, sign
//! and flag labels, risk factors, day labels. Codes stay beside the text so
//! an app can render its own.

use serde::Serialize;

use crate::db::DbConn;
use crate::domain::care::CareInstructions;
use crate::domain::risk::RiskFactor;
use crate::domain::signs::SignInfo;
use crate::i18n::{render, t, Locale};
use crate::store::accounts;

/// The locale an answer is written in: the one the request asked for
/// (`Accept-Language`), else the reader's own.
pub fn reader_locale(
    c: &mut DbConn,
    account_id: &str,
    requested: Option<Locale>,
) -> diesel::QueryResult<Locale> {
    match requested {
        Some(l) => Ok(l),
        None => accounts::locale(c, account_id),
    }
}

/// [`reader_locale`] in its own read.
pub async fn locale_of(
    db: &crate::db::Db,
    account_id: &str,
    requested: Option<Locale>,
) -> super::AppResult<Locale> {
    if let Some(l) = requested {
        return Ok(l);
    }
    let id = account_id.to_owned();
    db.read(move |c| Ok(accounts::locale(c, &id)?)).await
}

/// A code with its words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub code: String,
    pub text: String,
}

fn items(prefix: &str, codes: &[&str], locale: Locale) -> Vec<Item> {
    codes
        .iter()
        .map(|code| Item {
            code: (*code).to_owned(),
            text: t(locale, &format!("{prefix}{code}")),
        })
        .collect()
}

/// One day's care in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Care {
    pub day: i64,
    #[serde(rename = "do")]
    pub do_: Vec<Item>,
    pub dont: Vec<Item>,
    pub call_clinic_if: Vec<Item>,
}

pub fn care(c: &CareInstructions, locale: Locale) -> Care {
    Care {
        day: c.day,
        do_: items("care-", &c.do_, locale),
        dont: items("care-", &c.dont, locale),
        call_clinic_if: items("care-call-", &c.call_clinic_if, locale),
    }
}

/// "Day 3" / "3. gün"; day 0 is the treatment day.
pub fn day_label(day: i64, locale: Locale) -> String {
    render(locale, "day-label", &[("day", day.into())])
}

/// A sign's check box label and what to look for.
pub fn sign(s: &SignInfo, locale: Locale) -> (String, String) {
    (
        t(locale, &format!("sign-{}", s.code)),
        t(locale, &format!("sign-{}-look-for", s.code)),
    )
}

/// A flag reason's short label and its explanation for the patient.
pub fn flag_reason(reason: &str, locale: Locale) -> (String, String) {
    (
        t(locale, &format!("flag-{reason}")),
        t(locale, &format!("flag-{reason}-explanation")),
    )
}

pub fn risk_factor(r: RiskFactor, locale: Locale) -> Item {
    Item {
        code: r.as_str().to_owned(),
        text: t(locale, &format!("risk-{}", r.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assessment::Reason;
    use crate::domain::signs::SIGNS;
    use crate::i18n::has;

    #[test]
    fn every_code_shown_to_patients_has_words_in_every_locale() {
        for locale in Locale::ALL {
            for r in Reason::ALL {
                for key in [
                    format!("flag-{}", r.as_str()),
                    format!("flag-{}-explanation", r.as_str()),
                ] {
                    assert!(has(locale, &key), "{locale} {key}");
                }
            }
            for r in RiskFactor::ALL {
                assert!(has(locale, &format!("risk-{}", r.as_str())), "{locale} {r}");
            }
            for s in &SIGNS {
                let (label, look_for) = sign(s, locale);
                assert!(!label.is_empty() && look_for.len() > label.len());
            }
        }
        assert_eq!(day_label(0, Locale::Tr), "İşlem günü");
        assert_eq!(day_label(12, Locale::Tr), "12. gün");
        assert_eq!(day_label(12, Locale::En), "Day 12");
    }
}
