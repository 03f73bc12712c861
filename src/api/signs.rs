//! The fixed list of warning signs, with the words the app shows for them.

use actix_web::http::header;
use actix_web::HttpResponse;
use serde_json::json;

use super::content_language;
use super::extract::AcceptLanguage;
use crate::app::words;
use crate::domain::signs::SIGNS;

/// Public: the list holds no patient data, and the app needs it before
/// sign-in, so the words are in the `Accept-Language` locale (else English).
pub async fn list(lang: AcceptLanguage) -> HttpResponse {
    let locale = lang.0.unwrap_or_default();
    let items: Vec<_> = SIGNS
        .iter()
        .map(|s| {
            let (label, look_for) = words::sign(s, locale);
            json!({
                "code": s.code,
                "category": s.category.as_str(),
                "label": label,
                "look_for": look_for,
            })
        })
        .collect();
    HttpResponse::Ok()
        .insert_header(content_language(locale))
        .insert_header((header::VARY, "Accept-Language"))
        .json(json!({ "items": items, "locale": locale }))
}
