//! `Accept-Language` (RFC 9110 §12.5.4) against the supported locales.

use super::Locale;

/// Longest header value looked at; longer ones are cut (a browser's is a
/// few dozen bytes).
const MAX_HEADER: usize = 1024;

/// The best supported locale: language ranges by descending weight, ties in
/// header order; `q=0` means "not this one"; `*` matches nothing in
/// particular (the caller's own default then applies).
pub(super) fn best(header: &str) -> Option<Locale> {
    let header = header.get(..MAX_HEADER).unwrap_or(header);
    let mut ranges: Vec<(u16, usize, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, item)| {
            let mut parts = item.split(';');
            let range = parts.next()?.trim();
            let q = parts
                .find_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("q").then(|| weight(v.trim()))
                })
                .unwrap_or(Some(1000))?;
            (!range.is_empty() && q > 0).then_some((q, i, range))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges
        .into_iter()
        .find_map(|(_, _, range)| Locale::from_language_tag(range))
}

/// A qvalue in thousandths (`0`, `0.5`, `1.000`); `None` when malformed,
/// which drops the range.
fn weight(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_val: u16 = format!("{frac:0<3}").parse().ok()?;
    match int {
        "0" => Some(frac_val),
        "1" if frac_val == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_then_order_decide() {
        assert_eq!(best("tr"), Some(Locale::Tr));
        assert_eq!(
            best("tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7"),
            Some(Locale::Tr)
        );
        assert_eq!(best("en;q=0.1, tr;q=0.9"), Some(Locale::Tr));
        assert_eq!(best("de-DE, en;q=0.5, tr;q=0.4"), Some(Locale::En));
        assert_eq!(best("en, tr"), Some(Locale::En));
        assert_eq!(best("tr;q=0, en;q=0.2"), Some(Locale::En));
        assert_eq!(best("EN-gb"), Some(Locale::En));
        assert_eq!(best("TR ; Q=1"), Some(Locale::Tr));
    }

    #[test]
    fn nothing_supported_or_malformed_is_none() {
        for h in [
            "",
            "*",
            "de, fr;q=0.8",
            "tr;q=0",
            "tr;q=2",
            "tr;q=0.1234",
            "tr;q=x",
            ",,;",
            "\u{130}stanbul",
        ] {
            assert_eq!(best(h), None, "{h:?}");
        }
        assert_eq!(best(&format!("{}tr", "x,".repeat(600))), None);
    }

    #[test]
    fn weights_parse() {
        assert_eq!(weight("1"), Some(1000));
        assert_eq!(weight("1.000"), Some(1000));
        assert_eq!(weight("0.8"), Some(800));
        assert_eq!(weight("0.05"), Some(50));
        assert_eq!(weight("0"), Some(0));
        assert_eq!(weight("1.5"), None);
        assert_eq!(weight("-0.5"), None);
    }
}
