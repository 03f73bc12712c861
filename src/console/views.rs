//! The page frame and small pieces shared by the console's pages.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

use super::session::ConsoleSession;

/// A full HTML page; `session` adds the navigation and the sign-out button.
pub fn page(
    status: StatusCode,
    title: &str,
    session: Option<&ConsoleSession>,
    body: Markup,
) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · aftercare console" }
                link rel="stylesheet" href="/console/static/console.css";
            }
            body {
                header.top {
                    a.brand href="/console/flags" { "aftercare" }
                    @if let Some(s) = session {
                        nav aria-label="Main" {
                            ul {
                                li { a href="/console/flags" { "Flags" } }
                                li { a href="/console/patients" { "Patients" } }
                                @if s.is_admin() {
                                    li { a href="/console/staff" { "Staff" } }
                                    li { a href="/console/audit" { "Audit log" } }
                                    li { a href="/console/alerts" { "Alerts" } }
                                }
                            }
                        }
                        form.signout method="post" action="/console/sign-out" {
                            (csrf(s))
                            span { "Signed in as " strong { (s.name) } }
                            " "
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    };
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

pub fn ok(title: &str, session: &ConsoleSession, body: Markup) -> HttpResponse {
    page(StatusCode::OK, title, Some(session), body)
}

/// Post/redirect/get: after a form, the browser loads a page with GET.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The hidden field every form posts.
pub fn csrf(session: &ConsoleSession) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// Milliseconds since the epoch as a readable UTC time.
pub fn instant(ms: i64) -> Markup {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    html! {
        time datetime=(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) {
            (t.format("%Y-%m-%d %H:%M UTC"))
        }
    }
}

/// Severity as an icon and a word, so colour is never the only carrier.
pub fn severity(s: &str) -> Markup {
    let icon = match s {
        "urgent" => "▲",
        "review" => "◆",
        _ => "●",
    };
    html! {
        span class={ "severity severity-" (s) } {
            span aria-hidden="true" { (icon) " " }
            (capitalise(s))
        }
    }
}

pub fn status(s: &str) -> Markup {
    html! { span class={ "status status-" (s) } { (capitalise(s)) } }
}

/// `snake_case` codes as words: "pus_or_crust" → "Pus or crust".
pub fn words(code: &str) -> String {
    match code {
        "prp" => "PRP".into(),
        "rf" => "RF".into(),
        _ => capitalise(&code.replace('_', " ")),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A flag's evidence in words, one line per fact. The evidence is what the
/// assessment stored; unknown shapes fall back to compact JSON.
pub fn evidence(raw: &str) -> Markup {
    let value: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
    let Some(map) = value.as_object() else {
        return html! {};
    };
    html! {
        ul.evidence {
            @for (key, v) in map {
                @if !matches!(key.as_str(), "day" | "date") {
                    li { strong { (words(key)) ": " } (evidence_value(v)) }
                }
            }
        }
    }
}

fn evidence_value(v: &Value) -> String {
    match v {
        Value::String(s) => words(s),
        Value::Array(items) => items
            .iter()
            .map(evidence_value)
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{} {}", k.replace('_', " "), evidence_value(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// The day the evidence speaks of, if it names one.
pub fn evidence_day(raw: &str) -> Option<i64> {
    serde_json::from_str::<Value>(raw)
        .ok()?
        .get("day")?
        .as_i64()
}

/// A path inside the console to return to after a form, or the default.
/// Anything else (another host, `//…`) is ignored: no open redirects.
pub fn return_to<'a>(next: &'a str, default: &'a str) -> &'a str {
    let safe = next.starts_with("/console/")
        && !next.contains("//")
        && !next.contains('\\')
        && next.chars().all(|c| c.is_ascii_graphic());
    if safe {
        next
    } else {
        default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_stays_inside_the_console() {
        assert_eq!(
            return_to("/console/patients/x", "/d"),
            "/console/patients/x"
        );
        assert_eq!(return_to("//evil.example/console/", "/d"), "/d");
        assert_eq!(return_to("https://evil.example/", "/d"), "/d");
        assert_eq!(return_to("/console//evil.example", "/d"), "/d");
        assert_eq!(return_to("/console/\\evil", "/d"), "/d");
        assert_eq!(return_to("", "/d"), "/d");
    }

    #[test]
    fn codes_read_as_words() {
        assert_eq!(words("pus_or_crust"), "Pus or crust");
        assert_eq!(words(""), "");
    }

    #[test]
    fn evidence_is_listed_in_words_and_escaped() {
        let html =
            evidence(r#"{"day":3,"signs":["pus_or_crust"],"note":"<b>x</b>"}"#).into_string();
        assert!(html.contains("Pus or crust"), "{html}");
        assert!(html.contains("&lt;b&gt;"), "{html}");
        assert!(!html.contains("Day"), "{html}");
    }
}
