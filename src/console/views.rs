//! The page frame and small pieces shared by the console's pages.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use chrono_tz::Tz;
use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

use crate::app::alerts::AlertRecord;
use crate::domain::assessment::{describe, Reason};

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
                script src="/console/static/console.js" defer {}
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
                                    li { a href="/console/clinic" { "Clinic" } }
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
                @if let Some(s) = session {
                    footer.zone { "Times are shown in " (s.tz.name()) ", the clinic's time zone." }
                }
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

/// An instant (ms since the epoch) in the clinic's zone, with the zone shown.
pub fn instant(tz: Tz, ms: i64) -> Markup {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    html! {
        time datetime=(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) {
            (t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z"))
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

/// A flag's evidence in clinical words, one line per fact; never its keys.
pub fn evidence(reason: &str, raw: &str) -> Markup {
    let value: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
    let mut lines = Reason::parse(reason)
        .map(|r| describe(r, &value))
        .unwrap_or_default();
    if lines.is_empty() {
        let day = crate::domain::evidence::day(&value);
        lines.push(format!(
            "{}{}",
            words(reason),
            day.map(|d| format!(" on day {d}")).unwrap_or_default()
        ));
    }
    html! {
        ul.evidence {
            @for line in lines { li { (line) } }
        }
    }
}

/// The patient's day a flag's stored evidence speaks of.
pub fn evidence_day(raw: &str) -> Option<i64> {
    crate::domain::evidence::day(&serde_json::from_str(raw).ok()?)
}

pub fn alert_channel(channel: &str) -> String {
    match channel {
        "push" => "Web Push".into(),
        "email" => "E-mail".into(),
        other => words(other),
    }
}

/// Who an alert went to: the kind of recipient, and the address if one.
pub fn alert_recipient(a: &AlertRecord) -> String {
    let kind = match (a.channel.as_str(), a.recipient_kind.as_str()) {
        ("push", _) => "a staff browser",
        ("webhook", _) => "the clinic's webhook",
        (_, "clinic_inbox") => "the clinic's alert inbox",
        (_, "admin") => "an admin",
        (_, "staff") => "a clinician",
        _ => "the clinic",
    };
    match (&a.recipient, a.channel.as_str()) {
        (Some(r), "email") => format!("{kind} ({r})"),
        _ => kind.to_string(),
    }
}

/// What became of an alert, in words.
pub fn alert_outcome(a: &AlertRecord) -> String {
    let code = a.last_status.map(|c| format!(" ({c})")).unwrap_or_default();
    let error = a
        .last_error
        .as_deref()
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    match a.status.as_str() {
        "sent" => format!("Delivered{code}"),
        "pending" if a.attempts > 0 => format!("Retrying after {} attempt(s){error}", a.attempts),
        "pending" => "Queued".into(),
        "gone" => "Not delivered: the browser unsubscribed".into(),
        "stale" => "Not sent: too late to be useful".into(),
        "failed" => format!("Failed after {} attempt(s){code}{error}", a.attempts),
        other => words(other),
    }
}

/// A log's stored warning signs in words, or "None".
pub fn signs(stored: &str) -> Markup {
    let signs = crate::domain::log::signs_from_text(stored);
    html! {
        @if signs.is_empty() { "None" }
        @else { strong { (signs.iter().map(|s| s.label()).collect::<Vec<_>>().join(", ")) } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words() {
        assert_eq!(words("pus_or_crust"), "Pus or crust");
        assert_eq!(words(""), "");
    }

    #[test]
    fn evidence_is_listed_in_words_and_escaped() {
        let html =
            evidence("infection_signs", r#"{"day":3,"signs":["pus","<b>x</b>"]}"#).into_string();
        assert!(html.contains("Pus"), "{html}");
        assert!(html.contains("reported on day 3"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("signs"), "{html}");
        let odd = evidence("something_new", r#"{"day":2,"weird_key":1}"#).into_string();
        assert!(
            odd.contains("Something new on day 2") && !odd.contains("weird"),
            "{odd}"
        );
    }

    #[test]
    fn instants_are_shown_in_the_clinic_zone_with_the_zone() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let html = instant(berlin, 1_772_000_000_000).into_string();
        assert!(html.contains("CET"), "{html}");
        assert!(html.contains("datetime=\"2026-02-25T06:13:20Z\""), "{html}");
    }
}
