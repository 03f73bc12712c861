//! `aftercare backup` copies a SQLite database while a server writes to
//! it; the copy opens, migrates and serves. `aftercare rotate-keys` ends
//! sign-ins (jwt) or Web Push subscriptions (vapid).

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, spawn_on, Backend, TestApp};
use crate::on_both_backends;

fn aftercare(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("aftercare runs")
}

async fn log_count(app: &TestApp, token: &str, treatment: &str) -> usize {
    let logs: Value = app
        .get(&format!("/v1/treatments/{treatment}/logs"), Some(token))
        .await
        .json()
        .await
        .unwrap();
    logs["items"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_opens_migrates_and_serves() {
    let app = spawn_app(Backend::Sqlite).await;
    let clinic = app.new_clinic().await;
    let doc = app.add_clinician(&clinic).await;
    let patient = app.enrolled_patient(&doc, "Europe/Istanbul", 3).await;
    let t = crate::recovery::add_treatment(&app, &doc, &patient.id, 0.5, 20).await;
    let treatment = t["id"].as_str().unwrap().to_string();
    let day0: chrono::NaiveDate = t["day0"].as_str().unwrap().parse().unwrap();

    // A writer logs one day after another while the backups run.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (stop, written) = (stop.clone(), written.clone());
        let (client, address) = (app.client.clone(), app.address.clone());
        let (token, treatment) = (patient.access_token.clone(), treatment.clone());
        tokio::spawn(async move {
            for day in 0..=20u64 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let date = day0 + chrono::Days::new(day);
                let res = client
                    .put(format!("{address}/v1/treatments/{treatment}/logs/{date}"))
                    .bearer_auth(&token)
                    .json(&json!({"redness": 2, "swelling": 1, "flaking": 1, "sensitivity": 1}))
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success(), "log {day}: {}", res.status());
                written.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while written.load(Ordering::SeqCst) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let dir = std::env::temp_dir().join(format!("aftercare-backup-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut copies = Vec::new();
    for i in 0..3 {
        let before = written.load(Ordering::SeqCst);
        let path = dir.join(format!("copy-{i}.db"));
        let (url, p) = (app.database_url.clone(), path.to_str().unwrap().to_string());
        let out = tokio::task::spawn_blocking(move || aftercare(&url, &["backup", &p]))
            .await
            .unwrap();
        let after = written.load(Ordering::SeqCst);
        assert!(
            out.status.success(),
            "backup {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("checked"));
        copies.push((path, before, after));
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    // A backup never overwrites a file.
    let p = copies[0].0.to_str().unwrap().to_string();
    let out = aftercare(&app.database_url, &["backup", &p]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists"));

    // The secrets key stays apart from the database (and its backups): a
    // copy alone does not start, since its stored keys do not open.
    let key_file = aftercare::config::Config::from_lookup(|k| {
        (k == "DATABASE_URL").then(|| app.database_url.clone())
    })
    .unwrap()
    .secrets_key_file;
    assert!(key_file.exists());
    let alone = aftercare::config::Config::from_lookup(|k| match k {
        "DATABASE_URL" => Some(copies[0].0.to_str().unwrap().to_string()),
        "AFTERCARE_BIND" => Some("127.0.0.1:0".into()),
        _ => None,
    })
    .unwrap();
    let refused = aftercare::startup::Application::build(alone)
        .err()
        .expect("a copy without its key must not start");
    assert!(refused.to_string().contains("secrets key"), "{refused}");
    let key_env = [("AFTERCARE_SECRETS_KEY_FILE", key_file.to_str().unwrap())];

    for (path, before, after) in copies {
        // The copy opens, migrates (nothing to do) and serves what was
        // written before it started; a log being written meanwhile is in it
        // whole or not at all.
        let copy = spawn_on(path.to_str().unwrap().to_string(), &key_env).await;
        let n = log_count(&copy, &patient.access_token, &treatment).await;
        assert!(
            (before..=after).contains(&n),
            "{n} logs, {before} written before and {after} after"
        );
        // Same keys: the old access token works on the copy, and so do passwords.
        let tokens = copy
            .login(&clinic.admin_email, &clinic.admin_password)
            .await;
        assert!(tokens["access_token"].is_string());
        let res = copy.get("/v1/patients", Some(&doc)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_points_postgres_to_pg_dump() {
    let app = spawn_app(Backend::Postgres).await;
    let out = aftercare(&app.database_url, &["backup", "/tmp/never-written.db"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
}

async fn rotating_keys_ends_sign_ins_or_push_subscriptions(backend: Backend) {
    let app = spawn_app_with(backend, &[("AFTERCARE_PUSH_ALLOW_INSECURE", "1")]).await;
    let clinic = app.new_clinic().await;
    let doc = app.add_clinician(&clinic).await;
    let patient = app.enrolled_patient(&doc, "Europe/Istanbul", 3).await;
    let res = app
        .post(
            "/v1/push/subscriptions",
            Some(&patient.access_token),
            &json!({"endpoint": "http://127.0.0.1:9/push/phone", "keys": {
                "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                "auth": "BTBZMqHH6r4Tts7J_aSIgg"}}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    // A phone with the native app: no VAPID key involved.
    let res = app
        .post(
            "/v1/push/devices",
            Some(&patient.access_token),
            &json!({"platform": "fcm", "token": "dDEVICE:APA91bTOKEN", "app_id": "com.clinic.aftercare"}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let console = crate::console::sign_in(&app, &clinic.admin_email, &clinic.admin_password).await;
    let subscriptions = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            db.read(|c| {
                use diesel::prelude::*;
                aftercare::db::schema::push_subscriptions::table
                    .count()
                    .get_result::<i64>(c)
                    .map_err(aftercare::app::AppError::from)
            })
            .await
            .unwrap()
        }
    };
    assert_eq!(subscriptions(&app).await, 2);
    let key: Value = app
        .get("/v1/push/vapid-public-key", None)
        .await
        .json()
        .await
        .unwrap();

    // vapid: every Web Push subscription is void; sign-ins and the native
    // device stay.
    let out = aftercare(&app.database_url, &["rotate-keys", "vapid"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(subscriptions(&app).await, 1);
    let restarted = spawn_on(app.database_url.clone(), &[]).await;
    let new_key: Value = restarted
        .get("/v1/push/vapid-public-key", None)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(key, new_key);
    assert_eq!(
        restarted
            .get("/v1/me", Some(&patient.access_token))
            .await
            .status(),
        StatusCode::OK
    );

    // jwt: refresh tokens and console sessions end at once, access tokens
    // once the processes restart with the new key.
    let out = aftercare(&app.database_url, &["rotate-keys", "jwt"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": patient.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        console.get("/console/flags").await.status(),
        StatusCode::SEE_OTHER
    );
    let restarted = spawn_on(app.database_url.clone(), &[]).await;
    assert_eq!(
        restarted
            .get("/v1/me", Some(&patient.access_token))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        restarted.get("/v1/me", Some(&doc)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let tokens = restarted
        .login(&clinic.admin_email, &clinic.admin_password)
        .await;
    let res = restarted
        .get("/v1/me", Some(tokens["access_token"].as_str().unwrap()))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // A key from the environment is not the database's to rotate.
    let out = Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(["rotate-keys", "jwt"])
        .env("DATABASE_URL", &app.database_url)
        .env(
            "AFTERCARE_JWT_SECRET",
            "an environment secret of enough length!!",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("AFTERCARE_JWT_SECRET"));
}

on_both_backends!(rotating_keys_ends_sign_ins_or_push_subscriptions);
