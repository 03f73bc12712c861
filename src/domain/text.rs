//! Free text people type (names, notes): one Unicode form, and no
//! characters that make text read differently from what it holds.
//!
//! Bidirectional controls can make a stored `evil.exe` display as
//! `exe.live`, and a name of only invisible characters looks like no name
//! at all to the clinician reading it: both are refused. Text is kept in
//! NFC, so that equal-looking text is equal.

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::props::{DefaultIgnorableCodePoint, Script};
use icu_properties::{CodePointMapData, CodePointSetData};

/// Text in Unicode normalisation form C.
pub fn nfc(s: &str) -> String {
    ComposingNormalizerBorrowed::new_nfc()
        .normalize(s)
        .into_owned()
}

/// Text in Unicode normalisation form KC (compatibility forms folded:
/// full-width letters, ligatures), as NIST SP 800-63B asks for passwords.
pub fn nfkc(s: &str) -> String {
    ComposingNormalizerBorrowed::new_nfkc()
        .normalize(s)
        .into_owned()
}

/// Explicit bidirectional formatting characters: embeddings and overrides
/// (U+202A–202E), isolates (U+2066–2069), and the marks LRM, RLM and ALM.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that show nothing: white space and the default-ignorable
/// code points (zero-width spaces and joiners, variation selectors, …).
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace() || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// Whether `s` uses letters of more than one script (Latin and Cyrillic,
/// say); digits, punctuation and combining marks belong to every script.
pub fn mixes_scripts(s: &str) -> bool {
    let scripts = CodePointMapData::<Script>::new();
    let mut seen = None;
    for c in s.chars() {
        let sc = scripts.get(c);
        if matches!(sc, Script::Common | Script::Inherited | Script::Unknown) {
            continue;
        }
        match seen {
            None => seen = Some(sc),
            Some(first) if first != sc => return true,
            Some(_) => {}
        }
    }
    false
}

/// The checks every name and note passes: NFC, trimmed, no bidi controls,
/// no control characters (line breaks and tabs only where `multiline`),
/// something visible, at most `max` characters. `None` when blank.
pub fn clean(raw: &str, max: usize, multiline: bool) -> Result<Option<String>, String> {
    let s = nfc(raw);
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if s.chars().any(is_bidi_control) {
        return Err("must not contain text-direction control characters".into());
    }
    if s.chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t' | '\r')))
    {
        return Err("must not contain control characters".into());
    }
    if s.chars().all(is_invisible) {
        return Err("must contain visible characters".into());
    }
    Ok(Some(s.to_string()))
}

/// A free-text note (a patient's log note, a clinician's review note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note(String);

impl Note {
    /// `None` for a blank note; an error for one that is too long or holds
    /// what [`clean`] refuses.
    pub fn parse(raw: &str, max_chars: usize) -> Result<Option<Self>, String> {
        clean(raw, max_chars, true).map(|n| n.map(Self))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_nfc() {
        // "é" as e + combining acute becomes the one precomposed character.
        assert_eq!(nfc("Se\u{301}lin"), "S\u{e9}lin");
        assert_eq!(
            Note::parse(" Se\u{301}lin ", 10).unwrap().unwrap().as_str(),
            "S\u{e9}lin"
        );
    }

    #[test]
    fn bidi_controls_and_invisible_only_text_are_refused() {
        for bad in [
            "gpj.\u{202E}exe",
            "a\u{2066}b\u{2069}",
            "\u{200F}Ayşe",
            "x\u{200E}",
        ] {
            assert!(Note::parse(bad, 100).is_err(), "{bad:?}");
        }
        for invisible in ["\u{200B}", "\u{200B}\u{2060}\u{FEFF}", "\u{3164}"] {
            assert_eq!(
                Note::parse(invisible, 100),
                Err("must contain visible characters".into()),
                "{invisible:?}"
            );
        }
        assert_eq!(Note::parse("  \n ", 100), Ok(None));
        assert!(Note::parse("a\u{7}b", 100).is_err());
        assert!(Note::parse("two\nlines", 100).unwrap().is_some());
        // Joiners inside real words stay (Persian uses ZWNJ).
        assert!(Note::parse("می\u{200C}خواهم", 100).unwrap().is_some());
        assert!(Note::parse(&"x".repeat(11), 10).is_err());
    }

    #[test]
    fn scripts_are_told_apart() {
        assert!(!mixes_scripts("ayse.yilmaz-1"));
        assert!(!mixes_scripts("ayşe"));
        assert!(!mixes_scripts("иван"));
        // A Cyrillic "а" in a Latin name.
        assert!(mixes_scripts("p\u{430}ypal"));
    }

    #[test]
    fn nfkc_folds_compatibility_forms() {
        assert_eq!(nfkc("ｐａｓｓ"), "pass");
        assert_eq!(nfkc("\u{FB01}ne"), "fine");
    }
}
