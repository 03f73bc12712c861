//! The fixed list of warning signs, with the words the app shows for them.

use actix_web::HttpResponse;
use serde_json::json;

use crate::domain::signs::SIGNS;

/// Public: the list holds no patient data, and the app needs it before sign-in.
pub async fn list() -> HttpResponse {
    let items: Vec<_> = SIGNS
        .iter()
        .map(|s| {
            json!({
                "code": s.code,
                "category": s.category.as_str(),
                "label": s.label,
                "look_for": s.look_for,
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({ "items": items }))
}
