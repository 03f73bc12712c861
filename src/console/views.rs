//! The page frame and small pieces shared by the console's pages.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use chrono_tz::Tz;
use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

use crate::app::alerts::AlertRecord;
use crate::domain::assessment::{describe, Reason};
use crate::i18n::Locale;

use super::i18n::Tr;
use super::session::ConsoleSession;

/// A full HTML page in `tr`'s language; `session` adds the navigation, the
/// language switch and the sign-out button.
pub fn page(
    status: StatusCode,
    tr: Tr,
    title: &str,
    session: Option<&ConsoleSession>,
    body: Markup,
) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang=(tr.locale().as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (tr.f("console-page-title", &[("title", title.into())])) }
                link rel="stylesheet" href="/console/static/console.css";
                script src="/console/static/console.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/console/flags" { "aftercare" }
                    @if let Some(s) = session {
                        nav aria-label=(tr.t("console-nav-label")) {
                            ul {
                                li { a href="/console/flags" { (tr.t("console-nav-flags")) } }
                                li { a href="/console/patients" { (tr.t("console-nav-patients")) } }
                                @if s.is_admin() {
                                    li { a href="/console/staff" { (tr.t("console-nav-staff")) } }
                                    li { a href="/console/audit" { (tr.t("console-nav-audit")) } }
                                    li { a href="/console/alerts" { (tr.t("console-nav-alerts")) } }
                                    li { a href="/console/clinic" { (tr.t("console-nav-clinic")) } }
                                }
                            }
                        }
                        (language_form(s))
                        form.signout method="post" action="/console/sign-out" {
                            (csrf(s))
                            span { (tr.t("console-signed-in-as")) " " strong { (s.name) } }
                            " "
                            button type="submit" { (tr.t("console-sign-out")) }
                        }
                    }
                }
                main { (body) }
                @if let Some(s) = session {
                    footer.zone { (tr.f("console-footer-zone", &[("zone", s.tz.name().into())])) }
                }
            }
        }
    };
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

/// The language switch: each language named in itself, the current one
/// selected; posting it keeps the choice on the account.
fn language_form(s: &ConsoleSession) -> Markup {
    let tr = s.tr;
    html! {
        form.language method="post" action="/console/language" {
            (csrf(s))
            @if let Some(here) = &s.here { input type="hidden" name="next" value=(here); }
            label for="language-choice" { (tr.t("console-language")) }
            " "
            select #language-choice name="locale" {
                @for l in Locale::ALL {
                    option value=(l.as_str()) lang=(l.as_str()) selected[l == tr.locale()] {
                        (crate::i18n::t(l, &format!("locale-{}", l.as_str())))
                    }
                }
            }
            " "
            button type="submit" { (tr.t("console-language-save")) }
        }
    }
}

pub fn ok(title: &str, session: &ConsoleSession, body: Markup) -> HttpResponse {
    page(StatusCode::OK, session.tr, title, Some(session), body)
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
pub fn instant(tr: Tr, tz: Tz, ms: i64) -> Markup {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    html! {
        time datetime=(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) {
            (tr.instant(tz, ms))
        }
    }
}

/// Severity as an icon and a word, so colour is never the only carrier.
pub fn severity(tr: Tr, s: &str) -> Markup {
    let icon = match s {
        "urgent" => "▲",
        "review" => "◆",
        _ => "●",
    };
    html! {
        span class={ "severity severity-" (s) } {
            span aria-hidden="true" { (icon) " " }
            (tr.severity(s))
        }
    }
}

pub fn status(tr: Tr, s: &str) -> Markup {
    html! { span class={ "status status-" (s) } { (tr.status(s)) } }
}

/// A flag's evidence in clinical words, one line per fact; never its keys.
pub fn evidence(tr: Tr, reason: &str, raw: &str) -> Markup {
    let value: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
    let mut lines: Vec<String> = Reason::parse(reason)
        .map(|r| describe(r, &value))
        .unwrap_or_default()
        .iter()
        .map(|s| tr.sentence(s))
        .collect();
    if lines.is_empty() {
        let reason = tr.reason(reason);
        lines.push(match crate::domain::evidence::day(&value) {
            Some(d) => tr.f(
                "console-evidence-on-day",
                &[("reason", reason.into()), ("day", d.into())],
            ),
            None => reason,
        });
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

pub fn alert_channel(tr: Tr, channel: &str) -> String {
    tr.t(match channel {
        "push" => "console-channel-push",
        "email" => "console-channel-email",
        "webhook" => "console-channel-webhook",
        _ => return super::i18n::words(channel),
    })
}

/// Who an alert went to: the kind of recipient, and the address if one.
pub fn alert_recipient(tr: Tr, a: &AlertRecord) -> String {
    let kind = tr.t(match (a.channel.as_str(), a.recipient_kind.as_str()) {
        ("push", _) => "console-recipient-browser",
        ("webhook", _) => "console-recipient-webhook",
        (_, "clinic_inbox") => "console-recipient-inbox",
        (_, "admin") => "console-recipient-admin",
        (_, "staff") => "console-recipient-clinician",
        _ => "console-recipient-clinic",
    });
    match (&a.recipient, a.channel.as_str()) {
        (Some(r), "email") => format!("{kind} ({r})"),
        _ => kind,
    }
}

/// What became of an alert, in words.
pub fn alert_outcome(tr: Tr, a: &AlertRecord) -> String {
    let code = a.last_status.map(|c| format!(" ({c})")).unwrap_or_default();
    let error = a
        .last_error
        .as_deref()
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    let attempts = || ("attempts", a.attempts.into());
    match a.status.as_str() {
        "sent" => format!("{}{code}", tr.t("console-outcome-sent")),
        "pending" if a.attempts > 0 => {
            format!("{}{error}", tr.f("console-outcome-retrying", &[attempts()]))
        }
        "pending" => tr.t("console-outcome-queued"),
        "gone" => tr.t("console-outcome-gone"),
        "stale" => tr.t("console-outcome-stale"),
        "failed" => format!(
            "{}{code}{error}",
            tr.f("console-outcome-failed", &[attempts()])
        ),
        other => super::i18n::words(other),
    }
}

/// A log's stored warning signs in words, or "None".
pub fn signs(tr: Tr, stored: &str) -> Markup {
    let signs = crate::domain::log::signs_from_text(stored);
    html! {
        @if signs.is_empty() { (tr.t("console-none")) }
        @else { strong { (signs.iter().map(|s| tr.sign(s.as_str())).collect::<Vec<_>>().join(", ")) } }
    }
}

/// A log's photos as thumbnails, each a link to the full image; both are
/// served by the console's own photo route (session, audit).
pub fn photo_thumbs(tr: Tr, photos: &[&crate::store::log_photos::LogPhoto]) -> Markup {
    html! {
        @if !photos.is_empty() {
            ul.photos {
                @for p in photos {
                    @let href = format!("/console/photos/{}/{}/{}", p.treatment_id, p.log_date, p.id);
                    @let (width, height) = thumb_side(p.width, p.height);
                    li {
                        a.photo href=(href) target="_blank" rel="noopener" {
                            img src={ (href) "?size=thumb" } alt=(tr.f("console-photo-alt", &[("date", tr.date(p.log_date).into())]))
                                width=(width) height=(height) loading="lazy";
                        }
                    }
                }
            }
        }
    }
}

/// A thumbnail's size (at most 128 pixels on the long side, as shown).
fn thumb_side(w: i32, h: i32) -> (i32, i32) {
    let long = w.max(h).max(1);
    let scale = |x: i32| (x * 128 / long).max(1);
    (scale(w), scale(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EN: Tr = Tr(Locale::En);

    #[test]
    fn evidence_is_listed_in_words_and_escaped() {
        let html = evidence(
            EN,
            "infection_signs",
            r#"{"day":3,"signs":["pus","<b>x</b>"]}"#,
        )
        .into_string();
        assert!(html.contains("Pus"), "{html}");
        assert!(html.contains("reported on day 3"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("signs"), "{html}");
        let odd = evidence(EN, "something_new", r#"{"day":2,"weird_key":1}"#).into_string();
        assert!(
            odd.contains("Something new on day 2") && !odd.contains("weird"),
            "{odd}"
        );
        let tr = evidence(
            Tr(Locale::Tr),
            "infection_signs",
            r#"{"day":3,"signs":["pus"]}"#,
        )
        .into_string();
        assert!(tr.contains("3. günde"), "{tr}");
    }

    #[test]
    fn instants_are_shown_in_the_clinic_zone_with_the_zone() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let html = instant(EN, berlin, 1_772_000_000_000).into_string();
        assert!(html.contains("CET"), "{html}");
        assert!(html.contains("datetime=\"2026-02-25T06:13:20Z\""), "{html}");
        let tr = instant(Tr(Locale::Tr), berlin, 1_772_000_000_000).into_string();
        assert!(tr.contains(">25.02.2026 07:13 CET<"), "{tr}");
    }
}
