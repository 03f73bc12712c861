//! `openapi.yaml` and the server's routes must describe the same API.

use std::collections::BTreeSet;

use crate::helpers::{spawn_app, Backend};

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

fn spec() -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(include_str!("../../openapi.yaml")).expect("openapi.yaml parses")
}

fn spec_operations() -> BTreeSet<(String, String)> {
    let spec = spec();
    let paths = spec["paths"].as_mapping().expect("paths");
    let mut ops = BTreeSet::new();
    for (path, item) in paths {
        for (method, _) in item.as_mapping().unwrap() {
            let m = method.as_str().unwrap();
            if METHODS.contains(&m) {
                ops.insert((m.to_uppercase(), path.as_str().unwrap().to_string()));
            }
        }
    }
    ops
}

#[test]
fn every_route_is_in_the_spec_and_every_spec_path_is_served() {
    let served: BTreeSet<(String, String)> = aftercare::api::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let documented = spec_operations();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in openapi.yaml: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in openapi.yaml but not served: {unserved:?}"
    );
}

#[test]
fn every_operation_documents_its_responses() {
    let spec = spec();
    assert_eq!(spec["openapi"].as_str().unwrap(), "3.1.0");
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, op) in item.as_mapping().unwrap() {
            if !METHODS.contains(&method.as_str().unwrap()) {
                continue;
            }
            let where_ = format!("{} {}", method.as_str().unwrap(), path.as_str().unwrap());
            assert!(op["operationId"].is_string(), "{where_}: operationId");
            let responses = op["responses"]
                .as_mapping()
                .unwrap_or_else(|| panic!("{where_}: responses"));
            assert!(
                responses
                    .keys()
                    .any(|k| k.as_str().is_some_and(|s| s.starts_with('2'))),
                "{where_}: a 2xx"
            );
            let secured = op
                .get("security")
                .map(|s| s.as_sequence().is_some_and(|v| !v.is_empty()));
            if secured != Some(false) {
                assert!(responses.contains_key("401"), "{where_}: 401 documented");
            }
        }
    }
}

/// Keywords a Schema Object may carry here. A stray key is almost always a
/// YAML slip (an unquoted comma in a flow mapping turns the rest of a
/// description into a key) that only strict linters notice.
const SCHEMA_KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "description",
    "title",
    "examples",
    "example",
    "enum",
    "const",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "properties",
    "required",
    "additionalProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "default",
    "readOnly",
    "writeOnly",
    "deprecated",
    "contentMediaType",
    "contentEncoding",
    "discriminator",
];

fn check_schema(schema: &serde_yaml_ng::Value, at: &str, stray: &mut Vec<String>) {
    let Some(map) = schema.as_mapping() else {
        return;
    };
    for (k, v) in map {
        let key = k.as_str().unwrap_or_default();
        if !SCHEMA_KEYWORDS.contains(&key) && !key.starts_with("x-") {
            stray.push(format!("{at}: {key:?}"));
        }
        match key {
            "properties" => {
                for (name, sub) in v.as_mapping().into_iter().flatten() {
                    check_schema(
                        sub,
                        &format!("{at}.{}", name.as_str().unwrap_or("?")),
                        stray,
                    );
                }
            }
            "items" | "additionalProperties" | "not" | "propertyNames" => {
                check_schema(v, &format!("{at}.{key}"), stray)
            }
            "oneOf" | "anyOf" | "allOf" | "prefixItems" => {
                for (i, sub) in v.as_sequence().into_iter().flatten().enumerate() {
                    check_schema(sub, &format!("{at}.{key}[{i}]"), stray);
                }
            }
            _ => {}
        }
    }
}

/// Every `schema` below `paths`, wherever it sits (parameters, bodies, headers).
fn find_schemas(v: &serde_yaml_ng::Value, at: &str, stray: &mut Vec<String>) {
    match v {
        serde_yaml_ng::Value::Mapping(m) => {
            for (k, sub) in m {
                let key = k.as_str().unwrap_or("?");
                if key == "schema" {
                    check_schema(sub, &format!("{at}.schema"), stray);
                } else {
                    find_schemas(sub, &format!("{at}.{key}"), stray);
                }
            }
        }
        serde_yaml_ng::Value::Sequence(s) => {
            for (i, sub) in s.iter().enumerate() {
                find_schemas(sub, &format!("{at}[{i}]"), stray);
            }
        }
        _ => {}
    }
}

#[test]
fn every_schema_key_is_a_schema_keyword() {
    let spec = spec();
    let mut stray = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_mapping().unwrap() {
        check_schema(schema, name.as_str().unwrap(), &mut stray);
    }
    find_schemas(&spec["paths"], "paths", &mut stray);
    assert!(
        stray.is_empty(),
        "keys that are not schema keywords: {stray:#?}"
    );
}

async fn the_spec_is_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/openapi.yaml", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.text().await.unwrap(),
        include_str!("../../openapi.yaml")
    );
}

crate::on_both_backends!(the_spec_is_served);

/// The pulled-row schemas in openapi.yaml are the sync schema history's
/// newest columns, so a generated client types every column the server sends.
#[test]
fn synced_row_schemas_match_the_sync_schema_history() {
    use aftercare::domain::sync_schema::{columns_at, CURRENT_VERSION, TABLES};
    let spec = spec();
    let tables = &spec["components"]["schemas"]["SyncPullChanges"]["properties"];
    for t in TABLES {
        let reference = tables[t.name]["properties"]["updated"]["items"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: SyncPullChanges lists it", t.name));
        let name = reference.rsplit('/').next().unwrap();
        let row = &spec["components"]["schemas"][name];
        let mut want: BTreeSet<String> = columns_at(t, CURRENT_VERSION)
            .into_iter()
            .map(String::from)
            .collect();
        want.insert("id".into());
        let props: BTreeSet<String> = row["properties"]
            .as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect();
        let required: BTreeSet<String> = row["required"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(props, want, "{name}: properties");
        assert_eq!(required, want, "{name}: required");
        assert_eq!(
            row["additionalProperties"],
            serde_yaml_ng::Value::Bool(false),
            "{name}"
        );
    }
}
