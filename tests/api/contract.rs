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
