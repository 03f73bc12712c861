//! Alerts to clinicians end to end, against real receivers on loopback: an
//! SMTP server, a webhook receiver that checks signatures, and the fake push
//! service. Also clinic settings, staff channels, webhooks and escalation.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, free_port, spawn_app_with, wait_healthy, Backend, ServeProcess, TestApp,
    TestClinic, TestPatient,
};
use crate::on_both_backends;
use crate::push_service::TestPushService;
use crate::recovery::add_treatment;
use crate::smtp_receiver::TestSmtp;
use crate::webhook_receiver::TestWebhookReceiver;

const PUBLIC_URL: &str = "https://care.clinic.example";
const NOTE: &str = "my private note about the party";
const URGENT_LOG: fn() -> Value = || {
    json!({"redness": 5, "swelling": 3, "flaking": 0, "sensitivity": 4,
           "signs": ["fever"], "note": NOTE})
};
const ROUTINE_LOG: fn() -> Value = || {
    json!({"redness": 2, "swelling": 1, "flaking": 1, "sensitivity": 1,
           "signs": ["white_bumps"], "note": NOTE})
};

/// A clinic with a clinician, an enrolled patient treated two days ago, and
/// the receivers the server is configured to reach.
struct Setup {
    app: TestApp,
    clinic: TestClinic,
    doc: String,
    patient: TestPatient,
    treatment_id: String,
    day0: chrono::NaiveDate,
    smtp: TestSmtp,
    hooks: TestWebhookReceiver,
    push: TestPushService,
}

fn env(smtp: &TestSmtp, extra: &[(&'static str, &'static str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("AFTERCARE_PUSH_ALLOW_INSECURE", "1"),
        ("AFTERCARE_SCHEDULER_TICK_SECS", "1"),
        ("AFTERCARE_PUSH_RETRY_BASE_SECS", "1"),
        (
            "AFTERCARE_SMTP_FROM",
            "Aftercare <alerts@aftercare.example>",
        ),
        ("AFTERCARE_PUBLIC_URL", PUBLIC_URL),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.push(("AFTERCARE_SMTP_URL".into(), smtp.url()));
    env
}

impl Setup {
    async fn new(backend: Backend, extra: &[(&'static str, &'static str)]) -> Self {
        let smtp = TestSmtp::start().await;
        let env = env(&smtp, extra);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let app = spawn_app_with(backend, &env).await;
        Self::on(app, smtp).await
    }

    async fn on(app: TestApp, smtp: TestSmtp) -> Self {
        let clinic = app.new_clinic().await;
        let doc = app.add_clinician(&clinic).await;
        let patient = app.enrolled_patient(&doc, "Europe/Berlin", 2).await;
        let treatment = add_treatment(&app, &doc, &patient.id, 0.5, 2).await;
        let hooks = TestWebhookReceiver::start().await;
        let push = TestPushService::start().await;
        Self {
            treatment_id: treatment["id"].as_str().unwrap().into(),
            day0: treatment["day0"].as_str().unwrap().parse().unwrap(),
            app,
            clinic,
            doc,
            patient,
            smtp,
            hooks,
            push,
        }
    }

    async fn patch(&self, path: &str, token: &str, body: Value) -> reqwest::Response {
        self.app
            .request(Method::PATCH, path, Some(token), Some(&body))
            .await
    }

    /// Registers the receiver as the clinic's webhook; returns its id.
    async fn add_webhook(&self) -> String {
        let res = self
            .app
            .post(
                "/v1/clinic/webhooks",
                Some(&self.clinic.admin_token),
                &json!({"url": self.hooks.url}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        let secret = body["secret"].as_str().expect("secret shown once");
        assert!(secret.len() >= 32);
        self.hooks.set_secret(secret);
        body["id"].as_str().unwrap().to_string()
    }

    /// Subscribes a browser for the clinician's push alerts.
    async fn subscribe_doc(&self) {
        let browser = self.push.subscriber();
        let res = self
            .app
            .post("/v1/push/subscriptions", Some(&self.doc), &browser.json())
            .await;
        assert_eq!(res.status(), 201);
    }

    async fn log(&self, day: u64, body: Value) {
        let date = self.day0 + chrono::Days::new(day);
        let res = self
            .app
            .put(
                &format!("/v1/treatments/{}/logs/{date}", self.treatment_id),
                Some(&self.patient.access_token),
                &body,
            )
            .await;
        assert!(res.status().is_success(), "log stored: {}", res.status());
    }

    async fn open_flags(&self) -> Vec<Value> {
        let res = self.app.get("/v1/flags?status=open", Some(&self.doc)).await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    async fn alerts_of(&self, flag_id: &str) -> Vec<Value> {
        let res = self
            .app
            .get(&format!("/v1/flags/{flag_id}/alerts"), Some(&self.doc))
            .await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Polls a flag's alert history until nothing is pending.
    async fn settled_alerts(&self, flag_id: &str, expect: usize) -> Vec<Value> {
        for _ in 0..100 {
            let items = self.alerts_of(flag_id).await;
            if items.len() >= expect && items.iter().all(|a| a["status"] != "pending") {
                return items;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.alerts_of(flag_id).await
    }
}

fn assert_no_patient_details(text: &str) {
    assert!(!text.contains("Pat Test"), "no patient name: {text}");
    assert!(!text.contains(NOTE), "no patient note: {text}");
    assert!(!text.contains("redness"), "no scores: {text}");
}

async fn an_urgent_log_alerts_each_enabled_channel_once(backend: Backend) {
    let s = Setup::new(backend, &[]).await;
    let res = s
        .patch(
            "/v1/clinic",
            &s.clinic.admin_token,
            json!({"alerts": {"emails": ["On-Duty@Clinic.example"]}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let webhook_id = s.add_webhook().await;
    s.subscribe_doc().await;

    s.log(1, URGENT_LOG()).await;
    let flags = s.open_flags().await;
    let urgent: Vec<&Value> = flags.iter().filter(|f| f["severity"] == "urgent").collect();
    assert_eq!(urgent.len(), 1, "{flags:?}");
    let flag_id = urgent[0]["id"].as_str().unwrap();

    // E-mail: to the clinic's address, naming clinic, severity and reason,
    // linking to the console page, and nothing about the patient.
    let mails = s.smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["on-duty@clinic.example".to_string()]);
    assert_eq!(mail.from, "alerts@aftercare.example");
    assert!(mail.subject.contains("Test Clinic"), "{}", mail.subject);
    assert!(mail.subject.contains("urgent"), "{}", mail.subject);
    assert!(mail.body.contains("Possible infection"), "{}", mail.body);
    assert!(
        mail.body
            .contains(&format!("{PUBLIC_URL}/console/flags/{flag_id}")),
        "{}",
        mail.body
    );
    assert_no_patient_details(&mail.raw);

    // Webhook: signed, ids only.
    let hooks = s
        .hooks
        .wait_for("flag.opened", 1, Duration::from_secs(20))
        .await;
    assert_eq!(hooks.len(), 1);
    assert!(hooks[0].signature_ok, "{:?}", s.hooks.failures());
    assert!(s.hooks.failures().is_empty(), "{:?}", s.hooks.failures());
    let data = &hooks[0].body["data"];
    assert_eq!(data["flag_id"], flag_id);
    assert_eq!(data["treatment_id"], s.treatment_id.as_str());
    assert_eq!(data["patient_id"], s.patient.id.as_str());
    assert_eq!(data["severity"], "urgent");
    assert_eq!(data["reason"], "infection_signs");
    assert!(hooks[0].body["id"].is_string() && hooks[0].body["created_at"].is_string());
    assert_no_patient_details(&hooks[0].raw);

    // Push: to the clinician's browser.
    let pushed = s.push.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].payload["flag_id"], flag_id);
    assert_eq!(pushed[0].urgency.as_deref(), Some("high"));
    assert_no_patient_details(&pushed[0].payload.to_string());

    // The flag's history shows each channel once, delivered.
    let history = s.settled_alerts(flag_id, 3).await;
    let mut channels: Vec<&str> = history
        .iter()
        .map(|a| a["channel"].as_str().unwrap())
        .collect();
    channels.sort_unstable();
    assert_eq!(channels, ["email", "push", "webhook"], "{history:?}");
    assert!(history
        .iter()
        .all(|a| a["status"] == "sent" && a["event"] == "flag.opened"));
    let webhook_row = history.iter().find(|a| a["channel"] == "webhook").unwrap();
    assert_eq!(webhook_row["recipient"], webhook_id.as_str());
    assert_eq!(webhook_row["last_status"], 204);
    assert_eq!(webhook_row["tries"].as_array().unwrap().len(), 1);
    assert_eq!(webhook_row["tries"][0]["outcome"], "sent");
    let email_row = history.iter().find(|a| a["channel"] == "email").unwrap();
    assert_eq!(email_row["recipient_kind"], "clinic_inbox");
    assert_eq!(email_row["last_status"], 250);

    // More evidence for the same flag does not alert again.
    s.log(2, URGENT_LOG()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(s.smtp.mails().len(), 1);
    assert_eq!(s.hooks.received().len(), 1);
    assert_eq!(s.push.deliveries().len(), 1);

    // Another clinic cannot read this flag's alerts.
    let other = s.app.new_clinic().await;
    let res = s
        .app
        .get(
            &format!("/v1/flags/{flag_id}/alerts"),
            Some(&other.admin_token),
        )
        .await;
    assert_problem(res, 404).await;
    let res = s
        .app
        .get(
            &format!("/v1/flags/{flag_id}/alerts"),
            Some(&s.patient.access_token),
        )
        .await;
    assert_problem(res, 403).await;
}

async fn staff_channels_choose_push_and_email(backend: Backend) {
    let s = Setup::new(backend, &[]).await;
    s.subscribe_doc().await;
    let res = s.app.get("/v1/me/alerts", Some(&s.doc)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"push": true, "email": false})
    );
    let res = s
        .patch(
            "/v1/me/alerts",
            &s.doc,
            json!({"push": false, "email": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"push": false, "email": true})
    );
    assert_problem(
        s.patch("/v1/me/alerts", &s.doc, json!({"push": "yes"}))
            .await,
        422,
    )
    .await;
    assert_problem(
        s.patch("/v1/me/alerts", &s.doc, json!({"sms": true})).await,
        422,
    )
    .await;
    assert_problem(
        s.patch("/v1/me/alerts", &s.doc, json!([null, null])).await,
        422,
    )
    .await;
    assert_problem(
        s.app
            .get("/v1/me/alerts", Some(&s.patient.access_token))
            .await,
        403,
    )
    .await;

    s.log(1, URGENT_LOG()).await;
    let mails = s.smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].to[0].starts_with("doc-"), "{:?}", mails[0].to);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(s.push.deliveries().is_empty(), "push turned off");
    assert_eq!(s.smtp.mails().len(), 1);
}

async fn refused_e_mail_is_retried(backend: Backend) {
    let s = Setup::new(backend, &[]).await;
    let res = s
        .patch(
            "/v1/clinic",
            &s.clinic.admin_token,
            json!({"alerts": {"emails": ["inbox@clinic.example"]}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    s.smtp.refuse_next(1);
    s.log(1, URGENT_LOG()).await;
    let mails = s.smtp.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(mails.len(), 1, "delivered on the second attempt");
    let flag = s
        .open_flags()
        .await
        .into_iter()
        .find(|f| f["severity"] == "urgent")
        .unwrap();
    let history = s.settled_alerts(flag["id"].as_str().unwrap(), 1).await;
    let row = history.iter().find(|a| a["channel"] == "email").unwrap();
    assert_eq!(row["status"], "sent");
    assert_eq!(row["attempts"], 2);
    let tries: Vec<(&str, i64)> = row["tries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["outcome"].as_str().unwrap(),
                t["status"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(tries, [("retry", 451), ("sent", 250)]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(s.smtp.mails().len(), 1, "not sent twice");
}

async fn routine_flags_alert_only_when_configured(backend: Backend) {
    let s = Setup::new(backend, &[]).await;
    s.add_webhook().await;
    s.subscribe_doc().await;
    let res = s
        .patch(
            "/v1/clinic",
            &s.clinic.admin_token,
            json!({"alerts": {"emails": ["inbox@clinic.example"]}}),
        )
        .await;
    assert_eq!(res.status(), 200);

    s.log(1, ROUTINE_LOG()).await;
    let flags = s.open_flags().await;
    assert!(!flags.is_empty());
    assert!(
        flags.iter().all(|f| f["severity"] == "routine"),
        "{flags:?}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(s.smtp.mails().is_empty());
    assert!(s.hooks.received().is_empty());
    assert!(s.push.deliveries().is_empty());
    let flag_id = flags[0]["id"].as_str().unwrap().to_string();
    assert!(s.alerts_of(&flag_id).await.is_empty());

    // Resolve it, lower the threshold, and the next routine flag alerts.
    let res = s
        .app
        .post(
            &format!("/v1/flags/{flag_id}/resolve"),
            Some(&s.doc),
            &json!({"note": "seen, harmless"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = s
        .patch(
            "/v1/clinic",
            &s.clinic.admin_token,
            json!({"alerts": {"min_severity": "routine"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let settings: Value = res.json().await.unwrap();
    assert_eq!(settings["alerts"]["min_severity"], "routine");
    assert_eq!(
        settings["alerts"]["emails"],
        json!(["inbox@clinic.example"])
    );
    s.log(2, ROUTINE_LOG()).await;
    let mails = s.smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.contains("routine"), "{}", mails[0].subject);
    let hooks = s
        .hooks
        .wait_for("flag.opened", 1, Duration::from_secs(20))
        .await;
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].body["data"]["severity"], "routine");
    let pushed = s.push.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].urgency.as_deref(), Some("normal"));

    // Resolving an alerting flag tells the webhooks.
    let flag = s
        .open_flags()
        .await
        .into_iter()
        .find(|f| f["id"] != flag_id.as_str())
        .unwrap();
    let res = s
        .app
        .post(
            &format!("/v1/flags/{}/resolve", flag["id"].as_str().unwrap()),
            Some(&s.doc),
            &json!({"note": "fine"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let resolved = s
        .hooks
        .wait_for("flag.resolved", 1, Duration::from_secs(20))
        .await;
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].body["data"]["flag_id"], flag["id"]);
    assert!(s.hooks.failures().is_empty(), "{:?}", s.hooks.failures());
}

async fn clinic_settings_are_validated_and_scoped(backend: Backend) {
    let smtp = TestSmtp::start().await;
    let s = Setup::on(spawn_app_with(backend, &[]).await, smtp).await;
    let res = s.app.get("/v1/clinic", Some(&s.doc)).await;
    assert_eq!(res.status(), 200);
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["id"], s.clinic.clinic_id.as_str());
    assert_eq!(got["name"], "Test Clinic");
    assert_eq!(got["timezone"], "UTC");
    assert_eq!(got["emergency_number"], "112");
    assert_eq!(
        got["alerts"],
        json!({"emails": [], "min_severity": "urgent"})
    );
    assert_problem(
        s.app.get("/v1/clinic", Some(&s.patient.access_token)).await,
        403,
    )
    .await;
    assert_problem(
        s.patch("/v1/clinic", &s.doc, json!({"timezone": "Europe/Istanbul"}))
            .await,
        403,
    )
    .await;
    let body = assert_problem(
        s.patch(
            "/v1/clinic",
            &s.clinic.admin_token,
            json!({"timezone": "Mars/Olympus", "emergency_number": "call 112",
                   "alerts": {"emails": ["not-an-address"], "min_severity": "panic"}}),
        )
        .await,
        422,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "timezone",
            "emergency_number",
            "alerts.emails",
            "alerts.min_severity"
        ]
    );
    for bad in [
        json!({"code": "ABCDEF"}),
        json!([null, null, null]),
        json!({"alerts": [null, null]}),
        json!({"alerts": {"emails": "a@b.example"}}),
    ] {
        assert_problem(s.patch("/v1/clinic", &s.clinic.admin_token, bad).await, 422).await;
    }
    // Nothing changed by the refused requests.
    let got: Value = s
        .app
        .get("/v1/clinic", Some(&s.doc))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["timezone"], "UTC");
    let res = s
        .patch(
            "/v1/clinic",
            &s.clinic.admin_token,
            json!({"timezone": "Europe/Istanbul", "emergency_number": "+90 112"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["timezone"], "Europe/Istanbul");
    assert_eq!(got["emergency_number"], "+90 112");
    assert_eq!(got["alerts"]["min_severity"], "urgent");
    // Another clinic keeps its own settings.
    let other = s.app.new_clinic().await;
    let theirs: Value = s
        .app
        .get("/v1/clinic", Some(&other.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["timezone"], "UTC");
}

async fn webhooks_crud_and_delivery_log(backend: Backend) {
    let s = Setup::new(backend, &[]).await;
    let admin = Some(s.clinic.admin_token.as_str());
    for bad in ["ftp://127.0.0.1/x", "http://10.0.0.1/hook", "not a url"] {
        let body = assert_problem(
            s.app
                .post("/v1/clinic/webhooks", admin, &json!({"url": bad}))
                .await,
            422,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "url", "{bad}");
    }
    assert_problem(
        s.app
            .post(
                "/v1/clinic/webhooks",
                Some(&s.doc),
                &json!({"url": s.hooks.url}),
            )
            .await,
        403,
    )
    .await;
    let id = s.add_webhook().await;
    let list: Value = s
        .app
        .get("/v1/clinic/webhooks", admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert!(
        list["items"][0].get("secret").is_none(),
        "secret shown once"
    );
    let other = s.app.new_clinic().await;
    for path in [
        format!("/v1/clinic/webhooks/{id}/deliveries"),
        format!("/v1/clinic/webhooks/{id}"),
    ] {
        let method = if path.ends_with("deliveries") {
            Method::GET
        } else {
            Method::DELETE
        };
        let res = s
            .app
            .request(method, &path, Some(&other.admin_token), None)
            .await;
        assert_problem(res, 404).await;
    }

    // A receiver that fails once is retried, and the log says so.
    s.hooks.answer(&[500]);
    s.log(1, URGENT_LOG()).await;
    let got = s
        .hooks
        .wait_for("flag.opened", 1, Duration::from_secs(30))
        .await;
    assert_eq!(got.len(), 1);
    assert_eq!(s.hooks.attempts(), 2);
    let path = format!("/v1/clinic/webhooks/{id}/deliveries");
    let mut log = Value::Null;
    for _ in 0..50 {
        log = s.app.get(&path, admin).await.json().await.unwrap();
        if log["items"][0]["status"] == "sent" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let item = &log["items"][0];
    assert_eq!(item["status"], "sent", "{log}");
    assert_eq!(item["attempts"], 2);
    assert_eq!(item["last_status"], 204);
    assert_eq!(item["event"], "flag.opened");
    assert_problem(s.app.get(&path, Some(&s.doc)).await, 403).await;
    let flag_id = item["flag_id"].as_str().unwrap();
    let history = s.alerts_of(flag_id).await;
    let row = history.iter().find(|a| a["channel"] == "webhook").unwrap();
    let tries: Vec<(&str, i64)> = row["tries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["outcome"].as_str().unwrap(),
                t["status"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(tries, [("retry", 500), ("sent", 204)]);

    let res = s
        .app
        .request(
            Method::DELETE,
            &format!("/v1/clinic/webhooks/{id}"),
            admin,
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = s
        .app
        .request(
            Method::DELETE,
            &format!("/v1/clinic/webhooks/{id}"),
            admin,
            None,
        )
        .await;
    assert_problem(res, 404).await;
    assert_problem(s.app.get(&path, admin).await, 404).await;
    let list: Value = s
        .app
        .get("/v1/clinic/webhooks", admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
}

async fn unacknowledged_urgent_flags_escalate_once(backend: Backend) {
    let s = Setup::new(
        backend,
        &[
            ("AFTERCARE_ESCALATE_AFTER_SECS", "2"),
            ("AFTERCARE_JOB_INTERVAL_SECS", "1"),
        ],
    )
    .await;
    s.add_webhook().await;
    s.subscribe_doc().await;
    s.log(1, URGENT_LOG()).await;
    let flag_id = s.open_flags().await[0]["id"].as_str().unwrap().to_string();

    let escalated = s
        .hooks
        .wait_for("flag.escalated", 1, Duration::from_secs(30))
        .await;
    assert_eq!(escalated.len(), 1);
    assert_eq!(escalated[0].body["data"]["flag_id"], flag_id.as_str());
    // E-mail to the admins (no clinic addresses are set), push to staff.
    let mails = s.smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, vec![s.clinic.admin_email.clone()]);
    assert!(
        mails[0].subject.contains("ESCALATED"),
        "{}",
        mails[0].subject
    );
    assert_no_patient_details(&mails[0].raw);
    let pushed = s.push.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(pushed.len(), 2, "opened and escalated");
    assert!(pushed
        .iter()
        .any(|p| p.payload["event"] == "flag.escalated"));

    // Once: later job runs do nothing more; the flag's history records it.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(s.hooks.of_type("flag.escalated").len(), 1);
    assert_eq!(s.smtp.mails().len(), 1);
    assert_eq!(s.push.deliveries().len(), 2);
    let recovery: Value = s
        .app
        .get(
            &format!("/v1/patients/{}/recovery", s.patient.id),
            Some(&s.doc),
        )
        .await
        .json()
        .await
        .unwrap();
    let text = recovery.to_string();
    assert_eq!(
        text.matches("\"action\":\"escalated\"").count(),
        1,
        "{text}"
    );
    let history = s.settled_alerts(&flag_id, 5).await;
    assert_eq!(
        history
            .iter()
            .filter(|a| a["event"] == "flag.escalated")
            .count(),
        3,
        "{history:?}"
    );
}

async fn acknowledged_flags_do_not_escalate(backend: Backend) {
    let s = Setup::new(
        backend,
        &[
            ("AFTERCARE_ESCALATE_AFTER_SECS", "2"),
            ("AFTERCARE_JOB_INTERVAL_SECS", "1"),
        ],
    )
    .await;
    s.add_webhook().await;
    s.log(1, URGENT_LOG()).await;
    let flag_id = s.open_flags().await[0]["id"].as_str().unwrap().to_string();
    let res = s
        .app
        .post(
            &format!("/v1/flags/{flag_id}/acknowledge"),
            Some(&s.doc),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(s.hooks.of_type("flag.opened").len(), 1);
    assert!(s.hooks.of_type("flag.escalated").is_empty());
    assert!(s.smtp.mails().is_empty(), "no admin e-mail");
}

async fn admins_set_alerts_and_webhooks_in_the_console(backend: Backend) {
    let smtp = TestSmtp::start().await;
    let app = spawn_app_with(backend, &[("AFTERCARE_PUSH_ALLOW_INSECURE", "1")]).await;
    let s = Setup::on(app, smtp).await;
    let doc_email = format!("doc2-{}@clinic.example", uuid::Uuid::new_v4().simple());
    let res = s
        .app
        .post(
            "/v1/staff",
            Some(&s.clinic.admin_token),
            &json!({"email": doc_email, "name": "Dr Two", "role": "clinician", "password": "clinician password 1"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let doc = crate::console::sign_in(&s.app, &doc_email, "clinician password 1").await;
    assert_eq!(doc.get("/console/alerts").await.status(), 403);

    let admin =
        crate::console::sign_in(&s.app, &s.clinic.admin_email, &s.clinic.admin_password).await;
    let page = admin.page("/console/alerts").await;
    assert!(page.contains("Who gets alerts") && page.contains("No webhooks yet"));
    let csrf = admin.csrf().await;
    let res = admin
        .post(
            "/console/alerts",
            &[
                ("csrf", &csrf),
                (
                    "emails",
                    "inbox@clinic.example\r\nOn-Call@Clinic.example\r\n",
                ),
                ("min_severity", "review"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Saved."));
    // The clinic's other settings have their own page.
    let res = admin
        .post(
            "/console/clinic",
            &[
                ("csrf", &csrf),
                ("name", "Klinik İstanbul"),
                ("timezone", "Europe/Istanbul"),
                ("default_locale", "tr"),
                ("emergency_number", "+90 112"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Saved."));
    let got: Value = s
        .app
        .get("/v1/clinic", Some(&s.doc))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        got["alerts"],
        json!({"emails": ["inbox@clinic.example", "on-call@clinic.example"], "min_severity": "review"})
    );
    assert_eq!(got["timezone"], "Europe/Istanbul");
    assert_eq!(got["default_locale"], "tr");
    assert_eq!(got["emergency_number"], "+90 112");
    assert_eq!(got["name"], "Klinik İstanbul");
    // A bad zone changes nothing.
    let res = admin
        .post(
            "/console/clinic",
            &[
                ("csrf", &csrf),
                ("name", "Renamed"),
                ("timezone", "Mars/Olympus"),
                ("emergency_number", "112"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let got: Value = s
        .app
        .get("/v1/clinic", Some(&s.doc))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["timezone"], "Europe/Istanbul");
    assert_eq!(got["name"], "Klinik İstanbul");

    let res = admin
        .post(
            "/console/webhooks",
            &[("csrf", &csrf), ("url", &s.hooks.url)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    let marker = "shown only now: <code>";
    let start = page.find(marker).expect("secret shown once") + marker.len();
    let secret = &page[start..start + page[start..].find('<').unwrap()];
    assert!(secret.starts_with("whsec_"));
    let list: Value = s
        .app
        .get("/v1/clinic/webhooks", Some(&s.clinic.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let page = admin.page("/console/alerts").await;
    assert!(page.contains(&s.hooks.url) && !page.contains(secret));
    let res = admin
        .post(
            &format!("/console/webhooks/{id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let list: Value = s
        .app
        .get("/v1/clinic/webhooks", Some(&s.clinic.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
}

/// A deactivated staff member gets no alert e-mails; active colleagues do.
async fn deactivated_staff_get_no_alert_email(backend: Backend) {
    let s = Setup::new(backend, &[]).await;
    for token in [&s.doc, &s.clinic.admin_token] {
        let res = s
            .patch(
                "/v1/me/alerts",
                token,
                json!({"push": false, "email": true}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let me: Value = s
        .app
        .get("/v1/me", Some(&s.doc))
        .await
        .json()
        .await
        .unwrap();
    let res = s
        .patch(
            &format!("/v1/staff/{}", me["id"].as_str().unwrap()),
            &s.clinic.admin_token,
            json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    s.log(1, URGENT_LOG()).await;
    s.smtp.wait_for(1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let to: Vec<String> = s.smtp.mails().iter().flat_map(|m| m.to.clone()).collect();
    assert!(to.iter().any(|t| t.starts_with("admin-")), "{to:?}");
    assert!(!to.iter().any(|t| t.starts_with("doc-")), "{to:?}");
}

/// Each alert is written in its reader's language: the clinician who reads
/// Turkish gets a Turkish e-mail and browser notification, the clinic's
/// inbox one in the clinic's default language; webhooks stay codes.
async fn alerts_reach_each_reader_in_their_language(backend: Backend) {
    let s = Setup::new(backend, &[]).await;
    let res = s
        .patch(
            "/v1/clinic",
            &s.clinic.admin_token,
            json!({"alerts": {"emails": ["inbox@clinic.example"]}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = s.patch("/v1/me", &s.doc, json!({"locale": "tr"})).await;
    assert_eq!(res.status(), 200);
    let doc_email = res.json::<Value>().await.unwrap()["email"]
        .as_str()
        .unwrap()
        .to_string();
    let res = s
        .patch("/v1/me/alerts", &s.doc, json!({"email": true}))
        .await;
    assert_eq!(res.status(), 200);
    s.subscribe_doc().await;
    s.add_webhook().await;

    s.log(1, URGENT_LOG()).await;
    let mails = s.smtp.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    let to = |address: &str| {
        mails
            .iter()
            .find(|m| m.to == [address.to_string()])
            .unwrap_or_else(|| panic!("a mail to {address}: {mails:?}"))
    };
    let turkish = to(&doc_email);
    assert!(
        turkish.subject.starts_with("[Test Clinic] Uyarı (acil): "),
        "{}",
        turkish.subject
    );
    assert!(turkish.body.contains("Konsolda açın:"), "{}", turkish.body);
    assert!(turkish.body.contains("kliniğinde"), "{}", turkish.body);
    assert!(turkish
        .body
        .contains(&format!("{PUBLIC_URL}/console/flags/")));
    assert!(!turkish.body.contains("Open it in the console"));
    assert_no_patient_details(&turkish.raw);
    let english = to("inbox@clinic.example");
    assert!(
        english.subject.starts_with("[Test Clinic] urgent flag: "),
        "{}",
        english.subject
    );
    assert!(
        english.body.contains("Open it in the console:"),
        "{}",
        english.body
    );

    let pushed = s.push.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(pushed.len(), 1);
    assert_eq!(
        pushed[0].payload["title"], "İncelenecek acil uyarı",
        "{:?}",
        pushed[0].payload
    );
    assert_eq!(pushed[0].payload["locale"], "tr");
    assert_no_patient_details(&pushed[0].payload.to_string());

    let hooks = s
        .hooks
        .wait_for("flag.opened", 1, Duration::from_secs(20))
        .await;
    assert_eq!(
        hooks[0].body["data"]["reason"], "infection_signs",
        "codes, not words"
    );
}

/// An alert for a flag on a day with photos says how many (e-mail text,
/// webhook `data.photos`), and carries no image.
async fn alerts_say_the_flagged_day_has_photos(backend: Backend) {
    let s = Setup::new(backend, &[]).await;
    let res = s
        .patch(
            "/v1/clinic",
            &s.clinic.admin_token,
            json!({"alerts": {"emails": ["on-duty@clinic.example"]}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    s.add_webhook().await;
    // A calm day 1 with two photos, then the same day again with a fever.
    s.log(
        1,
        json!({"redness": 2, "swelling": 1, "flaking": 0, "sensitivity": 1}),
    )
    .await;
    let date = s.day0 + chrono::Days::new(1);
    for id in ["alertPhoto000001", "alertPhoto000002"] {
        let mut png = Vec::new();
        image::ImageEncoder::write_image(
            image::codecs::png::PngEncoder::new(&mut png),
            &[150u8; 3 * 3 * 3],
            3,
            3,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
        let res = s
            .app
            .client
            .put(format!(
                "{}/v1/treatments/{}/logs/{date}/photos/{id}",
                s.app.address, s.treatment_id
            ))
            .bearer_auth(&s.patient.access_token)
            .header("content-type", "image/png")
            .body(png)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    s.log(1, URGENT_LOG()).await;
    let mails = s.smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0]
            .body
            .contains("The patient added 2 photos of that day"),
        "{}",
        mails[0].body
    );
    assert!(!mails[0].raw.contains("image/"), "no image attached");
    assert_no_patient_details(&mails[0].raw);
    let hooks = s
        .hooks
        .wait_for("flag.opened", 1, Duration::from_secs(20))
        .await;
    assert_eq!(hooks[0].body["data"]["photos"], 2);
    assert!(!hooks[0].raw.contains("alertPhoto"), "no photo ids either");
}

on_both_backends!(
    alerts_say_the_flagged_day_has_photos,
    alerts_reach_each_reader_in_their_language,
    deactivated_staff_get_no_alert_email,
    admins_set_alerts_and_webhooks_in_the_console,
    an_urgent_log_alerts_each_enabled_channel_once,
    staff_channels_choose_push_and_email,
    refused_e_mail_is_retried,
    routine_flags_alert_only_when_configured,
    clinic_settings_are_validated_and_scoped,
    webhooks_crud_and_delivery_log,
    unacknowledged_urgent_flags_escalate_once,
    acknowledged_flags_do_not_escalate,
);

/// Three `aftercare serve` processes on one PostgreSQL database: every
/// unacknowledged urgent flag is escalated exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_serve_processes_escalate_each_flag_exactly_once() {
    const PATIENTS: usize = 6;
    let database_url = crate::helpers::fresh_database_url(Backend::Postgres);
    let smtp = TestSmtp::start().await;
    let env = env(
        &smtp,
        &[
            ("AFTERCARE_ESCALATE_AFTER_SECS", "3"),
            ("AFTERCARE_JOB_INTERVAL_SECS", "1"),
        ],
    );
    let mut processes = Vec::new();
    let mut apps = Vec::new();
    for _ in 0..3 {
        let port = free_port();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aftercare"));
        cmd.arg("serve")
            .env("DATABASE_URL", &database_url)
            .env("AFTERCARE_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        processes.push(ServeProcess::spawn(cmd));
        let address = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        wait_healthy(&client, &address).await;
        let url = database_url.clone();
        let config =
            aftercare::config::Config::from_lookup(|k| (k == "DATABASE_URL").then(|| url.clone()))
                .unwrap();
        apps.push(TestApp {
            address,
            client,
            db: aftercare::db::Db::new(config.database.clone(), 2, Duration::from_secs(5)),
            database_url: database_url.clone(),
        });
    }
    let s = Setup::on(apps.remove(0), smtp).await;
    s.add_webhook().await;
    s.log(1, URGENT_LOG()).await;
    for i in 1..PATIENTS {
        let app = &apps[i % 2];
        let patient = app.enrolled_patient(&s.doc, "Europe/Berlin", 2).await;
        let t = add_treatment(app, &s.doc, &patient.id, 0.5, 2).await;
        let date = t["day0"]
            .as_str()
            .unwrap()
            .parse::<chrono::NaiveDate>()
            .unwrap()
            + chrono::Days::new(1);
        let res = app
            .put(
                &format!("/v1/treatments/{}/logs/{date}", t["id"].as_str().unwrap()),
                Some(&patient.access_token),
                &URGENT_LOG(),
            )
            .await;
        assert!(res.status().is_success());
    }
    let got = s
        .hooks
        .wait_for("flag.escalated", PATIENTS, Duration::from_secs(60))
        .await;
    assert_eq!(got.len(), PATIENTS);
    // Every process keeps running its job: still once per flag.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let got = s.hooks.of_type("flag.escalated");
    let mut flags: Vec<String> = got
        .iter()
        .map(|h| h.body["data"]["flag_id"].as_str().unwrap().to_string())
        .collect();
    flags.sort();
    flags.dedup();
    assert_eq!(got.len(), PATIENTS, "no duplicates");
    assert_eq!(flags.len(), PATIENTS, "every flag once");
    assert_eq!(s.smtp.mails().len(), PATIENTS, "one admin e-mail per flag");
    assert!(s.hooks.failures().is_empty(), "{:?}", s.hooks.failures());
    drop(processes);
}
