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
    "unevaluatedProperties",
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

/// Every problem `type` the server can answer is listed in openapi.yaml with
/// its description, and nothing else is: the list in code is the one source.
#[test]
fn problem_types_in_the_spec_are_the_codes_list() {
    use aftercare::http::ProblemType;
    let spec = spec();
    let listed: Vec<(String, String)> = spec["components"]["schemas"]["ProblemType"]["oneOf"]
        .as_sequence()
        .expect("ProblemType is a oneOf of consts")
        .iter()
        .map(|v| {
            (
                v["const"].as_str().unwrap().to_string(),
                v["description"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let code: Vec<(String, String)> = ProblemType::ALL
        .iter()
        .map(|p| (p.uri(), p.description().to_string()))
        .collect();
    assert_eq!(listed, code);
    assert_eq!(
        spec["components"]["schemas"]["Problem"]["properties"]["type"]["$ref"],
        serde_yaml_ng::Value::from("#/components/schemas/ProblemType")
    );
}

/// The push answer's reason codes are the domain's list, with its words.
#[test]
fn sync_reject_reasons_in_the_spec_are_the_codes_list() {
    use aftercare::domain::sync_push::RejectReason;
    let spec = spec();
    let listed: Vec<(String, String)> = spec["components"]["schemas"]["SyncRejectReason"]["oneOf"]
        .as_sequence()
        .expect("SyncRejectReason is a oneOf of consts")
        .iter()
        .map(|v| {
            (
                v["const"].as_str().unwrap().to_string(),
                v["description"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let code: Vec<(String, String)> = RejectReason::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), r.description().to_string()))
        .collect();
    assert_eq!(listed, code);
}

fn operations(spec: &serde_yaml_ng::Value) -> Vec<(String, &serde_yaml_ng::Value)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, op) in item.as_mapping().unwrap() {
            let m = method.as_str().unwrap();
            if METHODS.contains(&m) {
                ops.push((
                    format!("{} {}", m.to_uppercase(), path.as_str().unwrap()),
                    op,
                ));
            }
        }
    }
    ops
}

/// A `$ref`'d response or the response itself.
fn response<'a>(
    spec: &'a serde_yaml_ng::Value,
    r: &'a serde_yaml_ng::Value,
) -> &'a serde_yaml_ng::Value {
    match r["$ref"].as_str() {
        Some(reference) => &spec["components"]["responses"][reference.rsplit('/').next().unwrap()],
        None => r,
    }
}

/// An app team reads the description, not the summary: every operation says
/// what it does, beyond its one-line summary.
#[test]
fn every_operation_has_a_description() {
    let spec = spec();
    let missing: Vec<String> = operations(&spec)
        .into_iter()
        .filter(|(_, op)| {
            op["description"]
                .as_str()
                .is_none_or(|d| d.trim().is_empty())
        })
        .map(|(name, _)| name)
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a description: {missing:#?}"
    );
}

/// Every 2xx response with a body shows an example of it.
#[test]
fn every_success_response_has_an_example() {
    let spec = spec();
    let mut missing = Vec::new();
    for (name, op) in operations(&spec) {
        for (status, r) in op["responses"].as_mapping().unwrap() {
            let status = status.as_str().unwrap_or_default();
            if !status.starts_with('2') {
                continue;
            }
            for (media, m) in response(&spec, r)["content"]
                .as_mapping()
                .into_iter()
                .flatten()
            {
                if m.get("example").is_none() && m.get("examples").is_none() {
                    missing.push(format!("{name} {status} {}", media.as_str().unwrap()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "2xx responses without an example: {missing:#?}"
    );
}

/// Every example in the spec (responses, request bodies, parameters and
/// schemas) is valid against the schema it sits beside or in, so examples
/// cannot drift from the contract.
#[test]
fn every_example_is_valid_against_its_schema() {
    let spec = spec();
    let json: serde_json::Value = serde_json::to_value(&spec).unwrap();
    let mut checked = 0;
    let mut errors = Vec::new();
    walk_examples(&json, &json, "", &mut checked, &mut errors);
    assert!(errors.is_empty(), "invalid examples: {errors:#?}");
    assert!(checked >= 40, "only {checked} examples found");
}

/// The validator sees through the schemas: a broken example is caught.
#[test]
fn the_example_validator_catches_what_it_should() {
    let spec: serde_json::Value = serde_json::to_value(spec()).unwrap();
    let flag = serde_json::json!({"$ref": "#/components/schemas/Problem"});
    let bad = serde_json::json!({"type": "urn:aftercare:problem:nope", "title": "t", "status": 422, "detail": "d"});
    assert!(!validate(&spec, &flag, &bad, "").is_empty());
    let extra = serde_json::json!({"type": "urn:aftercare:problem:validation", "title": "t", "status": 422, "detail": "d", "x": 1});
    assert!(!validate(&spec, &flag, &extra, "").is_empty());
    let good = serde_json::json!({"type": "urn:aftercare:problem:validation", "title": "t", "status": 422, "detail": "d"});
    assert_eq!(validate(&spec, &flag, &good, ""), Vec::<String>::new());
    let date = serde_json::json!({"type": "string", "format": "date"});
    assert!(!validate(&spec, &date, &serde_json::json!("2026-02-30"), "").is_empty());
}

fn walk_examples(
    root: &serde_json::Value,
    v: &serde_json::Value,
    at: &str,
    checked: &mut usize,
    errors: &mut Vec<String>,
) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            // A media type or parameter: `schema` beside `example(s)`.
            if let Some(schema) = m.get("schema") {
                if let Some(ex) = m.get("example") {
                    *checked += 1;
                    errors.extend(validate(root, schema, ex, &format!("{at}.example")));
                }
                for (name, ex) in m
                    .get("examples")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    *checked += 1;
                    errors.extend(validate(
                        root,
                        schema,
                        &ex["value"],
                        &format!("{at}.examples.{name}"),
                    ));
                }
            }
            // A schema with an example of its own.
            let is_schema =
                m.contains_key("type") || m.contains_key("$ref") || m.contains_key("oneOf");
            if is_schema {
                if let Some(ex) = m.get("example") {
                    if !m.contains_key("schema") {
                        *checked += 1;
                        errors.extend(validate(root, v, ex, &format!("{at}(schema example)")));
                    }
                }
                if let Some(Value::Array(list)) = m.get("examples") {
                    for (i, ex) in list.iter().enumerate() {
                        *checked += 1;
                        errors.extend(validate(
                            root,
                            v,
                            ex,
                            &format!("{at}(schema examples[{i}])"),
                        ));
                    }
                }
            }
            for (k, sub) in m {
                // Examples are data, not more of the spec.
                if k == "example" || k == "examples" {
                    continue;
                }
                walk_examples(root, sub, &format!("{at}.{k}"), checked, errors);
            }
        }
        Value::Array(a) => {
            for (i, sub) in a.iter().enumerate() {
                walk_examples(root, sub, &format!("{at}[{i}]"), checked, errors);
            }
        }
        _ => {}
    }
}

/// Why `body`, answered by operation `operation_id` with `status`, is not
/// what openapi.yaml says (empty when it is, or when no JSON schema is given).
pub fn validate_response(
    operation_id: &str,
    status: &str,
    body: &serde_json::Value,
) -> Vec<String> {
    let root: serde_json::Value = serde_json::to_value(spec()).unwrap();
    let op = root["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .find(|op| op["operationId"] == operation_id)
        .unwrap_or_else(|| panic!("{operation_id}: no such operation"));
    let mut r = &op["responses"][status];
    if let Some(reference) = r["$ref"].as_str() {
        r = &root["components"]["responses"][reference.rsplit('/').next().unwrap()];
    }
    let schema = &r["content"]["application/json"]["schema"];
    if schema.is_null() {
        return vec![format!(
            "{operation_id} {status}: no application/json schema"
        )];
    }
    validate(&root, schema, body, &format!("{operation_id} {status}"))
}

/// The JSON Schema keywords openapi.yaml uses, checked as 2020-12 does.
fn validate(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    v: &serde_json::Value,
    at: &str,
) -> Vec<String> {
    use serde_json::Value;
    let mut errs = Vec::new();
    let Some(s) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errs.push(format!("{at}: not allowed here"));
        }
        return errs;
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let target = r
            .trim_start_matches("#/")
            .split('/')
            .fold(root, |node, key| &node[key]);
        assert!(!target.is_null(), "{at}: dangling $ref {r}");
        errs.extend(validate(root, target, v, at));
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let is = |ty: &str| match ty {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "number" => v.is_number(),
            "integer" => v.as_i64().is_some() || v.as_u64().is_some(),
            _ => false,
        };
        if !types.iter().any(|ty| is(ty)) {
            errs.push(format!("{at}: {v} is not of type {t}"));
            return errs;
        }
    }
    if let Some(Value::Array(options)) = s.get("enum") {
        if !options.contains(v) {
            errs.push(format!("{at}: {v} is not one of {options:?}"));
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            errs.push(format!("{at}: {v} is not {c}"));
        }
    }
    if let Some(n) = v.as_f64() {
        if s.get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n < m)
        {
            errs.push(format!("{at}: {n} is below the minimum"));
        }
        if s.get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n > m)
        {
            errs.push(format!("{at}: {n} is above the maximum"));
        }
    }
    if let Some(text) = v.as_str() {
        let len = text.chars().count() as u64;
        if s.get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
        {
            errs.push(format!("{at}: {text:?} is too short"));
        }
        if s.get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len > m)
        {
            errs.push(format!("{at}: {text:?} is too long"));
        }
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            if !regex::Regex::new(p).unwrap().is_match(text) {
                errs.push(format!("{at}: {text:?} does not match {p}"));
            }
        }
        let format_ok = match s.get("format").and_then(Value::as_str) {
            Some("date") => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
            Some("date-time") => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            Some("email") => text.contains('@'),
            Some("uri") => url::Url::parse(text).is_ok(),
            _ => true,
        };
        if !format_ok {
            errs.push(format!("{at}: {text:?} is not a {}", s["format"]));
        }
    }
    if let Some(items) = v.as_array() {
        let n = items.len() as u64;
        if s.get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
        {
            errs.push(format!("{at}: fewer than minItems"));
        }
        if s.get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| n > m)
        {
            errs.push(format!("{at}: more than maxItems"));
        }
        if let Some(item) = s.get("items") {
            for (i, x) in items.iter().enumerate() {
                errs.extend(validate(root, item, x, &format!("{at}[{i}]")));
            }
        }
    }
    if let Some(obj) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for req in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let req = req.as_str().unwrap();
            if !obj.contains_key(req) {
                errs.push(format!("{at}: {req} is required"));
            }
        }
        for (k, x) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(p) => errs.extend(validate(root, p, x, &format!("{at}.{k}"))),
                None => {
                    if let Some(extra) = s.get("additionalProperties") {
                        errs.extend(validate(root, extra, x, &format!("{at}.{k}")));
                    }
                }
            }
        }
        if s.get("unevaluatedProperties") == Some(&Value::Bool(false)) {
            let known = evaluated_properties(root, schema);
            for k in obj.keys().filter(|k| !known.contains(k.as_str())) {
                errs.push(format!("{at}.{k}: not a property here"));
            }
        }
    }
    for sub in s
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        errs.extend(validate(root, sub, v, at));
    }
    if let Some(Value::Array(any)) = s.get("anyOf") {
        if any.iter().all(|sub| !validate(root, sub, v, at).is_empty()) {
            errs.push(format!("{at}: matches none of anyOf"));
        }
    }
    if let Some(Value::Array(one)) = s.get("oneOf") {
        let results: Vec<Vec<String>> = one.iter().map(|sub| validate(root, sub, v, at)).collect();
        let matching = results.iter().filter(|r| r.is_empty()).count();
        if matching != 1 {
            errs.push(format!(
                "{at}: {v} matches {matching} of oneOf (want 1); {results:?}"
            ));
        }
    }
    if let Some(not) = s.get("not") {
        if validate(root, not, v, at).is_empty() {
            errs.push(format!("{at}: matches `not`"));
        }
    }
    errs
}

/// Property names a schema declares through `properties`, `$ref` and `allOf`.
fn evaluated_properties<'a>(
    root: &'a serde_json::Value,
    schema: &'a serde_json::Value,
) -> BTreeSet<&'a str> {
    let mut names: BTreeSet<&str> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    if let Some(r) = schema["$ref"].as_str() {
        let target = r
            .trim_start_matches("#/")
            .split('/')
            .fold(root, |node, key| &node[key]);
        names.extend(evaluated_properties(root, target));
    }
    for sub in schema["allOf"].as_array().into_iter().flatten() {
        names.extend(evaluated_properties(root, sub));
    }
    names
}

/// Object schemas say whether other properties are allowed: `false` for the
/// server's own shapes, a schema or `true` where open on purpose.
#[test]
fn every_object_schema_sets_additional_properties() {
    let spec: serde_json::Value = serde_json::to_value(spec()).unwrap();
    let mut missing = Vec::new();
    find_open_objects(
        &spec["components"]["schemas"],
        "components.schemas",
        &mut missing,
    );
    find_open_objects(
        &spec["components"]["responses"],
        "components.responses",
        &mut missing,
    );
    find_open_objects(&spec["paths"], "paths", &mut missing);
    assert!(
        missing.is_empty(),
        "object schemas without additionalProperties: {missing:#?}"
    );
}

fn find_open_objects(v: &serde_json::Value, at: &str, missing: &mut Vec<String>) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let object = m.get("type") == Some(&Value::from("object"))
                || m.get("type")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.contains(&Value::from("object")));
            if object
                && !m.contains_key("additionalProperties")
                && !m.contains_key("unevaluatedProperties")
            {
                missing.push(at.to_string());
            }
            for (k, sub) in m {
                if k != "example" && k != "examples" {
                    find_open_objects(sub, &format!("{at}.{k}"), missing);
                }
            }
        }
        Value::Array(a) => {
            for (i, sub) in a.iter().enumerate() {
                find_open_objects(sub, &format!("{at}[{i}]"), missing);
            }
        }
        _ => {}
    }
}

/// Every reason of the code has its `Flag` variant, chosen by `reason`.
#[test]
fn every_flag_reason_has_its_evidence_variant() {
    use aftercare::domain::assessment::Reason;
    let spec = spec();
    let mapping = spec["components"]["schemas"]["Flag"]["discriminator"]["mapping"]
        .as_mapping()
        .expect("Flag is discriminated by reason");
    let mapped: BTreeSet<String> = mapping
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    let code: BTreeSet<String> = Reason::ALL
        .iter()
        .map(|r| {
            serde_json::to_value(r)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(mapped, code);
    for (reason, target) in mapping {
        let name = target.as_str().unwrap().rsplit('/').next().unwrap();
        let variant = &spec["components"]["schemas"][name]["properties"]["reason"];
        let allowed: Vec<&str> = match variant["const"].as_str() {
            Some(one) => vec![one],
            None => variant["enum"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect(),
        };
        assert!(
            allowed.contains(&reason.as_str().unwrap()),
            "{name} takes {reason:?}"
        );
    }
}

/// Real flags of many reasons, as the queue answers them, are valid against
/// the typed `Flag` schema (evidence by reason, nothing undeclared).
async fn real_flags_match_their_typed_schema(backend: Backend) {
    use crate::recovery::Scenario;
    let s = Scenario::new(backend, 0.5, 7).await;
    let scores = |r: i64, sw: i64, f: i64, se: i64, signs: &[&str]| serde_json::json!({"redness": r, "swelling": sw, "flaking": f, "sensitivity": se, "signs": signs});
    for (day, body) in [
        (0, scores(7, 4, 0, 5, &[])),
        (1, scores(5, 3, 0, 3, &[])),
        (2, scores(9, 3, 1, 3, &[])),
        (3, scores(1, 0, 2, 1, &["white_bumps"])),
        (4, scores(9, 2, 2, 2, &[])),
        (
            5,
            scores(
                2,
                1,
                1,
                1,
                &["pus", "dark_patches", "hives", "lip_tongue_or_eye_swelling"],
            ),
        ),
        (7, scores(1, 0, 0, 0, &["itching", "red_bumps"])),
    ] {
        let res = s.put_log(day, body).await;
        assert!(res.status().is_success(), "day {day}: {}", res.status());
    }
    let spec: serde_json::Value = serde_json::to_value(spec()).unwrap();
    let flag = serde_json::json!({"$ref": "#/components/schemas/Flag"});
    let queue = s.queue(&s.doc).await;
    let mut reasons = BTreeSet::new();
    for f in &queue {
        reasons.insert(f["reason"].as_str().unwrap().to_string());
        let errors = validate(&spec, &flag, f, f["reason"].as_str().unwrap());
        assert!(errors.is_empty(), "{f:#}\n{errors:#?}");
    }
    assert!(reasons.len() >= 8, "only {reasons:?}");
}

crate::on_both_backends!(real_flags_match_their_typed_schema);
