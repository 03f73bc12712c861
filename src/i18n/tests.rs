//! Catalogue checks: every file parses, every locale has every key of the
//! fallback (and no other), with the same placeholders.

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::ast;

use super::*;

/// Key (message, or `message.attribute`) → variables it uses.
type Keys = BTreeMap<String, BTreeSet<String>>;

fn vars_in_pattern(p: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for el in &p.elements {
        if let ast::PatternElement::Placeable { expression } = el {
            vars_in_expr(expression, out);
        }
    }
}

fn vars_in_expr(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Select { selector, variants } => {
            vars_in_inline(selector, out);
            for v in variants {
                vars_in_pattern(&v.value, out);
            }
        }
        ast::Expression::Inline(i) => vars_in_inline(i, out),
    }
}

fn vars_in_inline(i: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    let call = |args: &ast::CallArguments<&str>, out: &mut BTreeSet<String>| {
        for a in &args.positional {
            vars_in_inline(a, out);
        }
        for a in &args.named {
            vars_in_inline(&a.value, out);
        }
    };
    match i {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_string());
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => call(arguments, out),
        ast::InlineExpression::TermReference {
            arguments: Some(arguments),
            ..
        } => call(arguments, out),
        ast::InlineExpression::Placeable { expression } => vars_in_expr(expression, out),
        _ => {}
    }
}

/// Every key of `locale` with its variables; duplicates are an error.
fn keys(locale: Locale) -> Keys {
    let mut keys = Keys::new();
    for (l, area, source) in SOURCES.iter().filter(|(l, ..)| *l == locale) {
        let res = FluentResource::try_new((*source).to_owned())
            .unwrap_or_else(|(_, errs)| panic!("{l}/{area}.ftl does not parse: {errs:?}"));
        for entry in res.entries() {
            match entry {
                ast::Entry::Message(m) => {
                    let mut put = |key: String, vars: BTreeSet<String>| {
                        assert!(
                            keys.insert(key.clone(), vars).is_none(),
                            "{l}/{area}.ftl: {key} is defined twice in {l}"
                        );
                    };
                    let mut vars = BTreeSet::new();
                    if let Some(p) = &m.value {
                        vars_in_pattern(p, &mut vars);
                    }
                    put(m.id.name.to_string(), vars);
                    for a in &m.attributes {
                        let mut vars = BTreeSet::new();
                        vars_in_pattern(&a.value, &mut vars);
                        put(format!("{}.{}", m.id.name, a.id.name), vars);
                    }
                }
                ast::Entry::Junk { content } => {
                    panic!("{l}/{area}.ftl has an unreadable entry: {content}")
                }
                _ => {}
            }
        }
    }
    keys
}

#[test]
fn every_locale_has_every_key_with_the_same_placeholders() {
    let fallback = keys(Locale::FALLBACK);
    assert!(fallback.len() > 100, "the catalogue looks empty");
    for locale in Locale::ALL {
        let own = keys(locale);
        let missing: Vec<&String> = fallback.keys().filter(|k| !own.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{locale} lacks {missing:?}");
        let extra: Vec<&String> = own.keys().filter(|k| !fallback.contains_key(*k)).collect();
        assert!(
            extra.is_empty(),
            "{locale} has keys English lacks: {extra:?}"
        );
        for (key, vars) in &fallback {
            assert_eq!(
                &own[key],
                vars,
                "{locale}: {key} uses other placeholders than in {}",
                Locale::FALLBACK
            );
        }
    }
}

#[test]
fn the_check_sees_a_missing_key_and_a_changed_placeholder() {
    // The walk above must actually see variables inside selectors.
    let res = FluentResource::try_new(
        "a = { $n -> \n [one] x\n *[other] { $m } y\n }\nb = z\n".to_owned(),
    )
    .unwrap();
    let mut vars = BTreeSet::new();
    for e in res.entries() {
        if let ast::Entry::Message(m) = e {
            if let Some(p) = &m.value {
                vars_in_pattern(p, &mut vars);
            }
        }
    }
    assert_eq!(vars, BTreeSet::from(["m".to_string(), "n".to_string()]));
}

#[test]
fn every_area_exists_in_every_locale() {
    let areas: BTreeSet<&str> = SOURCES.iter().map(|(_, a, _)| *a).collect();
    for locale in Locale::ALL {
        for area in &areas {
            assert!(
                SOURCES.iter().any(|(l, a, _)| *l == locale && a == area),
                "{locale}/{area}.ftl"
            );
        }
    }
}

#[test]
fn renders_placeholders_plurals_and_no_isolation_marks() {
    assert_eq!(
        render(Locale::Tr, "day-label", &[("day", 3.into())]),
        "3. gün"
    );
    assert_eq!(
        render(Locale::En, "day-label", &[("day", 3.into())]),
        "Day 3"
    );
    assert_eq!(
        render(Locale::Tr, "day-label", &[("day", 0.into())]),
        "İşlem günü"
    );
    let one = render(Locale::En, "reminder-check_in-body", &[("weeks", 1.into())]);
    let many = render(Locale::En, "reminder-check_in-body", &[("weeks", 6.into())]);
    assert!(one.contains("1 week since") && many.contains("6 weeks since"));
    let advice = render(Locale::Tr, "emergency-advice", &[("number", "112".into())]);
    assert!(advice.contains("112"), "{advice}");
    for locale in Locale::ALL {
        for (key, _) in keys(locale) {
            if key.contains('.') {
                continue;
            }
            let args: Vec<(&str, Arg)> = vec![
                ("day", 3.into()),
                ("weeks", 2.into()),
                ("number", "112".into()),
            ];
            let text = render(locale, &key, &args);
            assert!(
                !text.contains(['\u{2068}', '\u{2069}']),
                "{locale} {key} has isolation marks"
            );
            assert!(!text.trim().is_empty() && text != key, "{locale} {key}");
        }
    }
}

fn bundle_of(locale: Locale, source: &str) -> Bundle {
    let mut b = Bundle::new_concurrent(vec![locale.as_str().parse().unwrap()]);
    b.set_use_isolating(false);
    b.add_resource(FluentResource::try_new(source.to_owned()).unwrap())
        .unwrap();
    b
}

#[test]
fn missing_messages_fall_back_to_english_then_to_the_key() {
    let en = bundle_of(
        Locale::En,
        "a = Day { $day }\nb = Only English\nc = C { $x }\n",
    );
    let tr = bundle_of(Locale::Tr, "a = { $day }. gün\nc = C { $y }\n");
    let day = [("day", Arg::from(4))];
    assert_eq!(render_from(&tr, &en, "a", &day), "4. gün");
    assert_eq!(render_from(&tr, &en, "b", &[]), "Only English");
    assert_eq!(render_from(&tr, &en, "zzz", &[]), "zzz");
    // A translation whose placeholder does not match the arguments falls
    // back to the English message that does.
    assert_eq!(render_from(&tr, &en, "c", &[("x", "1".into())]), "C 1");
    // Neither formats cleanly: the locale's own text, placeholder visible.
    assert_eq!(render_from(&tr, &en, "a", &[]), "{$day}. gün");
    assert!(has(Locale::Tr, "care-sunscreen"));
    assert!(!has(Locale::Tr, "no-such-key"));
}

#[test]
fn locales_parse_as_bcp47_tags() {
    assert_eq!(Locale::parse("tr"), Ok(Locale::Tr));
    assert_eq!(Locale::parse("en"), Ok(Locale::En));
    // Stored values and request bodies use the supported tags exactly.
    for bad in ["", "de", "turkish", "tr-TR", "TR", " en", "x"] {
        assert!(Locale::parse(bad).is_err(), "{bad:?}");
    }
    assert_eq!(Locale::from_language_tag("tr-TR"), Some(Locale::Tr));
    assert_eq!(Locale::from_language_tag("EN-gb"), Some(Locale::En));
    assert_eq!(Locale::from_language_tag("tr-Latn-TR"), Some(Locale::Tr));
    for bad in ["", "de-DE", "tr_TR!", "t", "*"] {
        assert_eq!(Locale::from_language_tag(bad), None, "{bad:?}");
    }
    assert_eq!(Locale::from_stored("garbage"), Locale::En);
    assert_eq!(serde_json::to_value(Locale::Tr).unwrap(), "tr");
    assert_eq!(
        serde_json::from_value::<Locale>(serde_json::json!("tr")).unwrap(),
        Locale::Tr
    );
    assert!(serde_json::from_value::<Locale>(serde_json::json!("fr")).is_err());
}

#[test]
fn turkish_is_written_with_its_own_letters() {
    // A sample that would be misspelt if the letters were flattened to ASCII.
    let t = render(
        Locale::Tr,
        "reminder-log_symptoms-body",
        &[("day", 2.into())],
    );
    assert!(t.starts_with("İyileşmenizin 2. günü"), "{t}");
    for c in ['ı', 'ğ', 'ş', 'ç', 'ö', 'ü'] {
        let all: String = SOURCES
            .iter()
            .filter(|(l, ..)| *l == Locale::Tr)
            .map(|(_, _, s)| *s)
            .collect();
        assert!(all.contains(c), "{c}");
    }
}
