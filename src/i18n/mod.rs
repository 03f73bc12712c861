//! Words people read, from Project Fluent catalogues: one folder per locale
//! (`locales/<tag>/`), one file per area (`care.ftl`, `reminders.ftl`, …),
//! keyed by stable codes. The files are embedded at compile time, so
//! rendering does no I/O and may be called from any layer above `domain`
//! (the domain keeps codes and arguments; whoever knows the reader's locale
//! renders them).
//!
//! English is the fallback, per message: a key missing (or failing to
//! format) in a locale is rendered in English. Tests in this module fail
//! when a key or a placeholder differs between locales, so the fallback
//! stays a safety net rather than the way things work.
//!
//! Fluent's bidi isolation marks (U+2068/U+2069 around placeables) are off:
//! both locales are left-to-right, and the marks would end up in push
//! payloads, JSON and e-mails.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use unic_langid::LanguageIdentifier;

mod negotiate;

/// A supported locale. Stored and sent as its BCP 47 tag (`en`, `tr`);
/// `Accept-Language` ranges with a region (`tr-TR`) pick their language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Locale {
    /// The fallback for every message.
    #[default]
    En,
    Tr,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Tr];
    /// Messages missing in a locale are rendered in this one.
    pub const FALLBACK: Locale = Locale::En;

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Tr => "tr",
        }
    }

    fn index(self) -> usize {
        match self {
            Locale::En => 0,
            Locale::Tr => 1,
        }
    }

    /// One of the supported tags exactly (`en`, `tr`): what is stored and
    /// what request bodies may carry.
    pub fn parse(tag: &str) -> Result<Self, String> {
        Locale::ALL
            .into_iter()
            .find(|l| l.as_str() == tag)
            .ok_or_else(|| {
                format!(
                    "locale must be one of {} (a BCP 47 language tag), not {tag:?}",
                    Locale::ALL.map(Locale::as_str).join(", ")
                )
            })
    }

    /// Any BCP 47 language tag whose language is supported (`tr-TR`,
    /// `EN-gb`), as clients name their preferences.
    pub fn from_language_tag(tag: &str) -> Option<Self> {
        let id: LanguageIdentifier = tag.trim().parse().ok()?;
        Locale::ALL
            .into_iter()
            .find(|l| id.language.as_str() == l.as_str())
    }

    /// The best supported locale of an `Accept-Language` header (RFC 9110
    /// §12.5.4: by weight, then order; `q=0` excluded), or `None` when it
    /// names none of them.
    pub fn negotiate(accept_language: &str) -> Option<Self> {
        negotiate::best(accept_language)
    }

    /// A stored value: written by [`Locale::parse`], so anything else is
    /// read as the fallback rather than failing a read.
    pub fn from_stored(s: &str) -> Self {
        Locale::parse(s).unwrap_or_default()
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Locale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Locale::parse(s)
    }
}

impl Serialize for Locale {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Locale {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Locale::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A message argument: a number (plural rules apply) or a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    Number(i64),
    Text(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Number(v)
    }
}
impl From<i32> for Arg {
    fn from(v: i32) -> Self {
        Arg::Number(i64::from(v))
    }
}
impl From<u16> for Arg {
    fn from(v: u16) -> Self {
        Arg::Number(i64::from(v))
    }
}
impl From<u32> for Arg {
    fn from(v: u32) -> Self {
        Arg::Number(i64::from(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

/// A message to render later: its catalogue key and arguments. This is what
/// the domain hands up, and what is stored beside rendered text so that an
/// app can render its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Msg {
    pub code: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<(Cow<'static, str>, Arg)>,
}

impl Msg {
    pub fn new(code: impl Into<Cow<'static, str>>) -> Self {
        Msg {
            code: code.into(),
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.push((Cow::Borrowed(name), value.into()));
        self
    }

    /// The arguments as a JSON object (`{"day": 3}`), e.g. for push payloads.
    pub fn args_json(&self) -> serde_json::Value {
        self.args
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::to_value(v).unwrap_or_default()))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    pub fn render(&self, locale: Locale) -> String {
        let args: Vec<(&str, Arg)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_ref(), v.clone()))
            .collect();
        render(locale, &self.code, &args)
    }
}

/// Every catalogue file, per locale. Adding an area: one name here and one
/// file in every locale folder (the build fails when a file is missing).
macro_rules! catalogue {
    ($($area:literal),* $(,)?) => {
        /// (locale, area, Fluent source) of every file.
        pub const SOURCES: &[(Locale, &str, &str)] = &[
            $(
                (Locale::En, $area, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/locales/en/", $area, ".ftl"))),
                (Locale::Tr, $area, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/locales/tr/", $area, ".ftl"))),
            )*
        ];
    };
}

catalogue![
    "common",
    "care",
    "reminders",
    "signs",
    "flags",
    "risks",
    "console",
    "email"
];

type Bundle = FluentBundle<FluentResource>;

fn build(locale: Locale) -> Bundle {
    let id: LanguageIdentifier = locale.as_str().parse().expect("a supported tag parses");
    let mut bundle = Bundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    for (l, area, source) in SOURCES {
        if *l != locale {
            continue;
        }
        // Syntax errors and duplicate keys fail the catalogue tests; a
        // broken entry is skipped here and falls back to English.
        let res = FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(res, errs)| {
            tracing::error!(%locale, area, errors = errs.len(), "catalogue has syntax errors");
            res
        });
        bundle.add_resource_overriding(res);
    }
    bundle
}

static BUNDLES: LazyLock<[Bundle; 2]> = LazyLock::new(|| Locale::ALL.map(build));

fn bundle(locale: Locale) -> &'static Bundle {
    &BUNDLES[locale.index()]
}

/// The message's text, and whether it formatted without errors (a missing
/// argument leaves Fluent's visible `{$name}` in the text).
fn format(b: &Bundle, key: &str, args: Option<&FluentArgs<'_>>) -> Option<(String, bool)> {
    let pattern = b.get_message(key)?.value()?;
    let mut errors = Vec::new();
    let text = b.format_pattern(pattern, args, &mut errors);
    Some((text.into_owned(), errors.is_empty()))
}

fn fluent_args<'a>(args: &'a [(&'a str, Arg)]) -> Option<FluentArgs<'a>> {
    (!args.is_empty()).then(|| {
        let mut a = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            match value {
                Arg::Number(n) => a.set(*name, FluentValue::from(*n)),
                Arg::Text(s) => a.set(*name, FluentValue::from(s.as_str())),
            }
        }
        a
    })
}

/// `key` from `own`, else from `fallback`; a text that formatted with
/// errors is used only when neither formats cleanly; the key itself when
/// neither has it.
fn render_from(own: &Bundle, fallback: &Bundle, key: &str, args: &[(&str, Arg)]) -> String {
    let fargs = fluent_args(args);
    let fargs = fargs.as_ref();
    let mine = format(own, key, fargs);
    if let Some((text, true)) = mine {
        return text;
    }
    tracing::warn!(
        key,
        "message missing or incomplete in a locale; using the fallback"
    );
    match (format(fallback, key, fargs), mine) {
        (Some((text, true)), _) => text,
        (_, Some((text, _))) | (Some((text, _)), None) => text,
        (None, None) => {
            tracing::error!(key, "message missing from the fallback catalogue");
            key.to_owned()
        }
    }
}

/// The message `key` in `locale` with `args`, or in English when the locale
/// lacks it; the key itself (logged) when English lacks it too.
pub fn render(locale: Locale, key: &str, args: &[(&str, Arg)]) -> String {
    render_from(bundle(locale), bundle(Locale::FALLBACK), key, args)
}

/// [`render`] without arguments.
pub fn t(locale: Locale, key: &str) -> String {
    render(locale, key, &[])
}

/// Whether `locale`'s own catalogue has `key` (no fallback).
pub fn has(locale: Locale, key: &str) -> bool {
    bundle(locale).has_message(key)
}

#[cfg(test)]
mod tests;
