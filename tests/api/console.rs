//! The clinician console over HTTP: sign-in, sessions, CSRF, scoping, pages.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use crate::push_service::TestPushService;
use crate::recovery::add_treatment;

const PATIENT_PASSWORD: &str = "patient password 1";

/// A clinic with a clinician, and an enrolled patient whose day-1 log
/// reported pus (an urgent flag).
struct Clinic {
    app: TestApp,
    clinic_id: String,
    doc_token: String,
    patient_token: String,
    treatment_id: String,
    day0: chrono::NaiveDate,
    admin_email: String,
    admin_password: String,
    admin_token: String,
    doc_email: String,
    doc_password: String,
    patient_id: String,
    patient_email: String,
    patient_name: String,
    flag_id: String,
}

async fn add_staff(app: &TestApp, admin_token: &str, role: &str) -> (String, String) {
    let email = format!("{role}-{}@clinic.example", uuid::Uuid::new_v4().simple());
    let password = "clinician password 1".to_string();
    let res = app
        .post(
            "/v1/staff",
            Some(admin_token),
            &json!({"email": email, "name": "Dr Console", "role": role, "password": password}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    (email, password)
}

impl Clinic {
    async fn new(app: TestApp) -> Self {
        let clinic = app.new_clinic().await;
        let (doc_email, doc_password) = add_staff(&app, &clinic.admin_token, "clinician").await;
        let doc = app.login(&doc_email, &doc_password).await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let patient_email = format!("pat-{}@mail.example", uuid::Uuid::new_v4().simple());
        let patient_name = "Robin Console".to_string();
        let res = app
            .post(
                "/v1/patients",
                Some(&doc),
                &json!({"name": patient_name, "email": patient_email, "timezone": "Europe/Berlin", "fitzpatrick": 3}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let patient_id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let code = app.enrolment_code(&doc, &patient_id).await;
        let enrolled: Value = app
            .post(
                "/v1/auth/enrol",
                None,
                &json!({"code": code, "password": PATIENT_PASSWORD}),
            )
            .await
            .json()
            .await
            .unwrap();
        let patient_token = enrolled["access_token"].as_str().unwrap();
        let treatment = add_treatment(&app, &doc, &patient_id, 0.5, 3).await;
        let day0 = treatment["day0"]
            .as_str()
            .unwrap()
            .parse::<chrono::NaiveDate>()
            .unwrap();
        let day1 = day0 + chrono::Days::new(1);
        let res = app
            .put(
                &format!(
                    "/v1/treatments/{}/logs/{day1}",
                    treatment["id"].as_str().unwrap()
                ),
                Some(patient_token),
                &json!({"redness": 4, "swelling": 2, "flaking": 1, "sensitivity": 3,
                        "signs": ["pus"], "note": "yellow crust on the cheek"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let flags: Value = app
            .get("/v1/flags?severity=urgent", Some(&doc))
            .await
            .json()
            .await
            .unwrap();
        let flag_id = flags["items"][0]["id"].as_str().unwrap().to_string();
        Self {
            app,
            clinic_id: clinic.clinic_id,
            doc_token: doc,
            patient_token: patient_token.to_string(),
            treatment_id: treatment["id"].as_str().unwrap().to_string(),
            day0,
            admin_email: clinic.admin_email,
            admin_password: clinic.admin_password,
            admin_token: clinic.admin_token,
            doc_email,
            doc_password,
            patient_id,
            patient_email,
            patient_name,
            flag_id,
        }
    }

    /// The patient logs day `day` with these signs; returns the answer.
    async fn log(&self, day: u64, signs: &[&str], note: &str) -> Value {
        let date = self.day0 + chrono::Days::new(day);
        let res = self
            .app
            .put(
                &format!("/v1/treatments/{}/logs/{date}", self.treatment_id),
                Some(&self.patient_token),
                &json!({"redness": 3, "swelling": 1, "flaking": 1, "sensitivity": 2,
                        "signs": signs, "note": note}),
            )
            .await;
        assert!(res.status().is_success(), "log of day {day}");
        res.json().await.unwrap()
    }

    /// The id of the treatment's active flag for `reason`.
    async fn flag_for(&self, reason: &str) -> String {
        let flags: Value = self
            .app
            .get("/v1/flags", Some(&self.doc_token))
            .await
            .json()
            .await
            .unwrap();
        flags["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["reason"] == reason && f["patient_id"] == self.patient_id.as_str())
            .unwrap_or_else(|| panic!("a {reason} flag in {flags}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn flag_status(&self) -> String {
        let flags: Value = self
            .app
            .get(
                &format!("/v1/patients/{}/recovery", self.patient_id),
                Some(&self.admin_token),
            )
            .await
            .json()
            .await
            .unwrap();
        flags["treatments"][0]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == self.flag_id.as_str())
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// The value of a cookie the response sets, with its whole `Set-Cookie` line.
fn set_cookie(res: &Response, name: &str) -> Option<(String, String)> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|line| {
            let value = line[name.len() + 1..]
                .split(';')
                .next()
                .unwrap()
                .to_string();
            (value, line.to_string())
        })
}

/// The CSRF token in a page's first form.
pub(crate) fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

fn location(res: &Response) -> &str {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// A browser: the session cookie it holds, if any.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    cookie: String,
}

impl<'a> Browser<'a> {
    async fn send(
        &self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = self
            .app
            .client
            .request(method, format!("{}{path}", self.app.address))
            .header("cookie", &self.cookie);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(f) = form {
            req = req.form(f);
        }
        req.send().await.expect("request sent")
    }

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None, &[]).await
    }

    pub(crate) async fn page(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.text().await.unwrap()
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.send(Method::POST, path, Some(form), &[]).await
    }

    /// The CSRF token of the session, read from a page as a browser would.
    pub(crate) async fn csrf(&self) -> String {
        csrf_in(&self.page("/console/patients").await)
    }
}

/// Posts the sign-in form as a browser would (with its double-submit cookie).
pub(crate) async fn sign_in_response(
    app: &TestApp,
    email: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> Response {
    sign_in_form(app, &[("email", email), ("password", password)], headers).await
}

/// Posts the sign-in form with these fields (besides the CSRF token).
pub(crate) async fn sign_in_form(
    app: &TestApp,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Response {
    let form_page = app.get("/console/sign-in", None).await;
    assert_eq!(form_page.status(), StatusCode::OK);
    let (token, _) = set_cookie(&form_page, "aftercare_console_signin").unwrap();
    let csrf = csrf_in(&form_page.text().await.unwrap());
    assert_eq!(csrf, token);
    let browser = Browser {
        app,
        cookie: format!("aftercare_console_signin={token}"),
    };
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser
        .send(Method::POST, "/console/sign-in", Some(&form), headers)
        .await
}

pub(crate) async fn sign_in<'a>(app: &'a TestApp, email: &str, password: &str) -> Browser<'a> {
    let res = sign_in_response(app, email, password, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
    assert_eq!(location(&res), "/console/flags");
    let (token, _) = set_cookie(&res, "aftercare_console").expect("session cookie");
    Browser {
        app,
        cookie: format!("aftercare_console={token}"),
    }
}

async fn a_clinician_reviews_an_urgent_flag_from_the_console(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;

    let res = doc.get("/console/flags").await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("style-src 'self'"));
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let queue = res.text().await.unwrap();
    let first_row = &queue[queue.find("<tbody>").unwrap()..];
    assert!(first_row.contains("Urgent"), "{queue}");
    assert!(first_row.contains(&c.patient_name));
    assert!(first_row.contains("Possible infection"));
    assert!(first_row.contains(&format!("href=\"/console/flags/{}\"", c.flag_id)));

    let page = doc
        .page(&format!("/console/patients/{}", c.patient_id))
        .await;
    assert_eq!(page.matches("class=\"chart-svg").count(), 4, "{page}");
    assert_eq!(
        page.matches("<path class=\"sign\"").count(),
        4,
        "each chart marks the day with warning signs: {page}"
    );
    assert!(page.contains("yellow crust on the cheek"));
    assert!(page.contains("Pus reported on day 1"), "{page}");
    assert!(page.contains("Log symptoms"), "the reminder plan is shown");
    // The read is audited like the API's.
    let audit: Value = c
        .app
        .get("/v1/audit", Some(&c.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "recovery.read" && e["subject_id"] == c.patient_id.as_str()));

    let flag_page = format!("/console/flags/{}", c.flag_id);
    let csrf = csrf_in(&doc.page(&flag_page).await);
    let res = doc
        .post(
            &format!("{flag_page}/acknowledge"),
            &[("csrf", &csrf), ("note", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), flag_page);
    assert_eq!(c.flag_status().await, "acknowledged");

    // Resolving needs a note: the flag page comes back with the error beside the field.
    let path = format!("{flag_page}/resolve");
    let res = doc.post(&path, &[("csrf", &csrf), ("note", " ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap();
    let field = again.find("id=\"resolve-note\"").expect("the note field");
    let error = again
        .find("id=\"resolve-note-error\"")
        .expect("the error beside it");
    assert!(error > field && error - field < 400, "{again}");
    assert!(again.contains("a note is required to resolve a flag"));
    assert!(again.contains("aria-describedby=\"resolve-note-error\""));
    assert!(
        again.contains("Pus reported on day 1"),
        "still the flag page"
    );
    assert_eq!(c.flag_status().await, "acknowledged");
    let res = doc
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("note", "Seen in clinic; antibiotics started"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), flag_page);
    assert_eq!(c.flag_status().await, "resolved");
    let page = doc.page(&flag_page).await;
    assert!(page.contains("Seen in clinic; antibiotics started"));
    assert!(page.contains("Resolved by Dr Console"));
    assert!(
        !page.contains("/resolve\""),
        "no review forms once resolved"
    );
    // Resolving again is a conflict, shown as a page, not a 500.
    let res = doc.post(&path, &[("csrf", &csrf), ("note", "again")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

async fn the_flag_page_shows_evidence_the_note_and_the_history(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;
    let res = doc.get(&format!("/console/flags/{}", c.flag_id)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let page = res.text().await.unwrap();
    for expected in [
        "Possible infection",
        "Pus reported on day 1",
        c.patient_name.as_str(),
        &format!("href=\"/console/patients/{}\"", c.patient_id),
        "yellow crust on the cheek",
        "Opened by the assessment",
        "Alert history",
        "No alert was sent for this flag.",
        "/acknowledge\"",
        "/resolve\"",
        "Times are shown in UTC",
    ] {
        assert!(page.contains(expected), "{expected} in {page}");
    }
    // Clinical words, not the evidence's keys.
    for key in ["\"signs\"", "scores", "\"pus\""] {
        assert!(!page.contains(key), "{key} in {page}");
    }
    let audit: Value = c
        .app
        .get("/v1/audit", Some(&c.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "flag.read" && e["subject_id"] == c.flag_id.as_str()));
    // An unknown id is a 404 page.
    let res = doc.get("/console/flags/no-such-flag").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn the_queue_has_one_row_per_patient_and_treatment(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    // Two more findings for the same patient: a second urgent reason on day 2
    // and a routine one.
    c.log(2, &["hives", "white_bumps"], "itchy bumps").await;
    // Another patient with only a routine flag.
    let other = c.app.enrolled_patient(&c.doc_token, "Asia/Tokyo", 2).await;
    let t = add_treatment(&c.app, &c.doc_token, &other.id, 0.5, 2).await;
    let res = c
        .app
        .put(
            &format!("/v1/treatments/{}/logs/{}", t["id"].as_str().unwrap(), t["day0"].as_str().unwrap()),
            Some(&other.access_token),
            &json!({"redness": 3, "swelling": 1, "flaking": 0, "sensitivity": 2, "signs": ["white_bumps"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;
    let queue = doc.page("/console/flags").await;
    let body = &queue[queue.find("<tbody>").unwrap()..queue.find("</tbody>").unwrap()];
    let rows: Vec<&str> = body.split("<tr ").skip(1).collect();
    assert_eq!(rows.len(), 2, "{body}");
    let first = rows[0];
    assert!(first.contains(&c.patient_name), "{first}");
    assert!(first.contains("Urgent"));
    assert!(
        first.contains("Possible infection, Possible allergic reaction, Tiny white bumps"),
        "{first}"
    );
    assert!(first.contains("Day 2"), "the latest day: {first}");
    assert_eq!(
        first.matches("<a ").count(),
        1,
        "one action per row: {first}"
    );
    assert!(
        first.contains(&format!("href=\"/console/flags/{}\"", c.flag_id)),
        "{first}"
    );
    assert!(first.contains("(3 flags)"), "{first}");
    assert!(
        !first.contains("<form"),
        "review forms live on the flag page"
    );
    assert!(rows[1].contains("Routine"), "{}", rows[1]);
    // The filter still applies before grouping.
    let routine = doc.page("/console/flags?severity=routine").await;
    let body = &routine[routine.find("<tbody>").unwrap()..];
    assert_eq!(body.matches("<tr ").count(), 2, "{body}");
    assert!(!body.contains("Possible infection"), "{body}");
}

async fn console_push_subscriptions_carry_alerts_and_end_at_sign_out(backend: Backend) {
    let push = TestPushService::start().await;
    let app = spawn_app_with(
        backend,
        &[
            ("AFTERCARE_PUSH_ALLOW_INSECURE", "1"),
            ("AFTERCARE_SCHEDULER_TICK_SECS", "1"),
        ],
    )
    .await;
    let c = Clinic::new(app).await;
    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;
    let queue = doc.page("/console/flags").await;
    assert!(queue.contains("id=\"notifications-form\""), "{queue}");
    let csrf = csrf_in(&queue);
    let browser = push.subscriber();
    let sub = browser.json();
    let endpoint = sub["endpoint"].as_str().unwrap();
    let (p256dh, auth) = (
        sub["keys"]["p256dh"].as_str().unwrap(),
        sub["keys"]["auth"].as_str().unwrap(),
    );

    // Without the session's CSRF token, or with bad keys, nothing is stored.
    let fields = [("endpoint", endpoint), ("p256dh", p256dh), ("auth", auth)];
    let res = doc.post("/console/push-subscription", &fields).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = doc
        .post(
            "/console/push-subscription",
            &[
                ("csrf", &csrf),
                ("endpoint", endpoint),
                ("p256dh", "AAAA"),
                ("auth", auth),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let staff_subs = |db: aftercare::db::Db, clinic: String| async move {
        db.read(move |c| {
            let subs = aftercare::store::push::staff_subscriptions(c, &clinic, false)?;
            Ok::<_, aftercare::app::AppError>(subs.len())
        })
        .await
        .unwrap()
    };
    assert_eq!(staff_subs(c.app.db.clone(), c.clinic_id.clone()).await, 0);

    let mut with_csrf = vec![("csrf", csrf.as_str())];
    with_csrf.extend(fields);
    // One status, new or not: it must not tell whether an endpoint is known.
    let res = doc.post("/console/push-subscription", &with_csrf).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = doc.post("/console/push-subscription", &with_csrf).await;
    assert_eq!(
        res.status(),
        StatusCode::NO_CONTENT,
        "the same browser again"
    );
    assert_eq!(staff_subs(c.app.db.clone(), c.clinic_id.clone()).await, 1);

    // A new urgent finding reaches the browser, with a link to its flag page.
    c.log(2, &["hives"], "lips itch").await;
    let flag_id = c.flag_for("allergic_reaction").await;
    let got = push.wait_for(1, std::time::Duration::from_secs(15)).await;
    assert!(push.failures().is_empty(), "{:?}", push.failures());
    let payload = &got[0].payload;
    let url = payload["url"].as_str().unwrap();
    assert_eq!(url, format!("/console/flags/{flag_id}"));
    let text = payload.to_string();
    assert!(
        !text.contains(&c.patient_name) && !text.contains("lips itch"),
        "{text}"
    );
    let page = doc.page(url).await;
    assert!(
        page.contains("Hives (raised itchy welts) reported on day 2"),
        "{page}"
    );
    assert!(
        page.contains("Web Push") && page.contains("a staff browser"),
        "{page}"
    );
    let mut delivered = false;
    for _ in 0..50 {
        if doc.page(url).await.contains("Delivered (201)") {
            delivered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(delivered, "the alert history shows the delivery");
    let patient = doc
        .page(&format!("/console/patients/{}", c.patient_id))
        .await;
    assert!(patient.contains("Alert history (1)"), "{patient}");
    assert!(patient.contains("Web Push to a staff browser"), "{patient}");

    // Signing out ends the subscription made in this sign-in.
    let res = doc.post("/console/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(staff_subs(c.app.db.clone(), c.clinic_id.clone()).await, 0);
}

async fn the_patients_list_helps_triage(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;
    let page = doc.page("/console/patients").await;
    let start = page
        .find(&format!("id=\"patient-{}\"", c.patient_id))
        .expect("the patient's row");
    let row = &page[start..start + page[start..].find("</tr>").unwrap()];
    let day1 = c.day0 + chrono::Days::new(1);
    // Treated 3 days ago: today is day 3; day 1 logged; days 0 and 2 missed.
    for expected in ["Day 3", "1 Urgent", &day1.to_string()] {
        assert!(row.contains(expected), "{expected} in {row}");
    }
    assert!(row.contains("<td>2</td>"), "two missed days: {row}");
    // The form: a zone from a list, the clinic's first; no default skin type.
    let form = &page[page.find("id=\"add-patient\"").unwrap()..];
    let zones = &form[form.find("<select id=\"timezone\"").unwrap()..];
    assert!(
        zones.starts_with(
            "<select id=\"timezone\" name=\"timezone\" required><option value=\"UTC\">"
        ),
        "{}",
        &zones[..200]
    );
    assert!(zones.contains("<option value=\"Europe/Istanbul\">"));
    assert!(
        form.contains("<option value=\"\" selected disabled>"),
        "no default skin type"
    );
    let csrf = csrf_in(&page);
    let res = doc
        .post(
            "/console/patients",
            &[
                ("csrf", &csrf),
                ("name", "No Type"),
                ("email", "notype@mail.example"),
                ("timezone", "UTC"),
                ("fitzpatrick", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("fitzpatrick"));

    // In the clinic's own time zone: listed first, and every time is shown in it.
    let res = c
        .app
        .request(
            Method::PATCH,
            "/v1/clinic",
            Some(&c.admin_token),
            Some(&json!({"timezone": "Asia/Tokyo"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = doc.page("/console/patients").await;
    let zones = &page[page.find("<select id=\"timezone\"").unwrap()..];
    assert!(
        zones.starts_with(
            "<select id=\"timezone\" name=\"timezone\" required><option value=\"Asia/Tokyo\">"
        ),
        "{}",
        &zones[..200]
    );
    assert!(page.contains(" JST</time>"), "times in the clinic's zone");
    assert!(page.contains("Times are shown in Asia/Tokyo"));

    // An enrolled patient's page warns before a new code ends their sessions.
    let patient = doc
        .page(&format!("/console/patients/{}", c.patient_id))
        .await;
    assert!(patient.contains("id=\"enrol-warning\""), "{patient}");
    assert!(patient.contains("signed out on every device"));
    assert!(patient.contains("name=\"confirm\" value=\"yes\" required"));
    let codes = format!("/console/patients/{}/enrolment-codes", c.patient_id);
    let res = doc.post(&codes, &[("csrf", &csrf)]).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not confirmed"
    );
    assert!(res.text().await.unwrap().contains("confirm"));
    let res = doc
        .post(&codes, &[("csrf", &csrf), ("confirm", "yes")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn static_scripts_are_served_with_their_headers_and_a_strict_csp(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/console/sw.js", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(h["service-worker-allowed"], "/console/");
    assert_eq!(h["cache-control"], "no-cache");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let sw = res.text().await.unwrap();
    assert!(sw.contains("showNotification") && sw.contains("notificationclick"));

    let res = app.get("/console/static/console.js", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let js = res.text().await.unwrap();
    assert!(js.contains("pushManager.subscribe"));
    assert!(js.contains("/v1/push/vapid-public-key"));

    let res = app.get("/console/sign-in", None).await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "worker-src 'self'",
        "connect-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    let page = res.text().await.unwrap();
    assert_eq!(page.matches("<script").count(), 1, "{page}");
    assert!(
        page.contains("<script src=\"/console/static/console.js\" defer>"),
        "{page}"
    );
}

async fn the_demo_command_seeds_a_console_to_sign_in_to() {
    let db = std::env::temp_dir().join(format!(
        "aftercare-demo-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    let db = db.to_string_lossy().to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .arg("demo")
        .env("DATABASE_URL", &db)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run aftercare demo");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("clinician:"))
        .expect("the clinician's sign-in");
    let words: Vec<&str> = line.split_whitespace().collect();
    let (email, password) = (words[1], words[3]);
    // A second run refuses instead of seeding twice.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .arg("demo")
        .env("DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds the demo"));

    let (_server, app, log) = crate::helpers::serve_process(&db, &[]).await;
    // A browser that shows each redirect, as the other console tests use.
    let app = TestApp {
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        ..app
    };
    let doc = sign_in(&app, email, password).await;
    let queue = doc.page("/console/flags").await;
    let body = &queue[queue.find("<tbody>").unwrap()..];
    let first = &body[..body.find("</tr>").unwrap()];
    assert!(
        first.contains("Leo Infection") && first.contains("Urgent"),
        "{queue}"
    );
    assert!(
        body.contains("Aylin PIH Watch") && body.contains("Dark patches"),
        "{queue}"
    );
    assert!(
        !body.contains("Maya Normal"),
        "the normal course raises no flag: {queue}"
    );
    let patients = doc.page("/console/patients").await;
    assert!(patients.contains("Maya Normal"));
    let log = std::fs::read_to_string(log).unwrap();
    assert!(
        log.contains("/console/"),
        "serve logs the console's address: {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_command() {
    the_demo_command_seeds_a_console_to_sign_in_to().await
}

async fn patients_cannot_sign_in(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    let res = sign_in_response(&c.app, &c.patient_email, PATIENT_PASSWORD, &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&res, "aftercare_console").is_none());
    assert!(res.text().await.unwrap().contains("aftercare app"));
}

async fn a_wrong_password_is_refused(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    for (email, password) in [
        (c.doc_email.as_str(), "not the password"),
        ("nobody@clinic.example", "clinician password 1"),
    ] {
        let res = sign_in_response(&c.app, email, password, &[]).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(set_cookie(&res, "aftercare_console").is_none());
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("password or clinic code is wrong"));
    }
}

async fn another_clinics_clinician_gets_404(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    let other = c.app.new_clinic().await;
    let (email, password) = add_staff(&c.app, &other.admin_token, "clinician").await;
    let stranger = sign_in(&c.app, &email, &password).await;
    let csrf = stranger.csrf().await;

    let res = stranger
        .get(&format!("/console/patients/{}", c.patient_id))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!res.text().await.unwrap().contains(&c.patient_name));
    let res = stranger.get(&format!("/console/flags/{}", c.flag_id)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!res.text().await.unwrap().contains(&c.patient_name));
    for path in [
        format!("/console/patients/{}/enrolment-codes", c.patient_id),
        format!("/console/flags/{}/acknowledge", c.flag_id),
        format!("/console/flags/{}/resolve", c.flag_id),
    ] {
        let res = stranger
            .post(&path, &[("csrf", &csrf), ("note", "not mine")])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert!(!stranger
        .page("/console/flags")
        .await
        .contains(&c.patient_name));
    assert_eq!(c.flag_status().await, "open");
}

async fn posts_without_the_csrf_token_are_refused_and_change_nothing(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;
    let admin = sign_in(&c.app, &c.admin_email, &c.admin_password).await;
    let others = admin.csrf().await;
    let ack = format!("/console/flags/{}/acknowledge", c.flag_id);
    for form in [
        vec![("note", "no token")],
        vec![("csrf", ""), ("note", "empty token")],
        vec![("csrf", "0123456789abcdef"), ("note", "made-up token")],
        vec![
            ("csrf", others.as_str()),
            ("note", "another session's token"),
        ],
    ] {
        let res = doc.post(&ack, &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{form:?}");
    }
    assert_eq!(c.flag_status().await, "open");

    let res = doc
        .post(
            "/console/patients",
            &[
                ("name", "Forged"),
                ("email", "forged@mail.example"),
                ("timezone", "UTC"),
                ("fitzpatrick", "2"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!doc.page("/console/patients").await.contains("Forged"));

    // A JSON body cannot carry the form's token either.
    let res = doc
        .app
        .client
        .post(format!("{}{ack}", c.app.address))
        .header("cookie", &doc.cookie)
        .json(&json!({"csrf": doc.csrf().await}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // An oversized form is refused as such, before any token check matters.
    let big = "x".repeat(70 * 1024);
    let res = doc
        .post(&ack, &[("csrf", others.as_str()), ("note", &big)])
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // The sign-in form needs its double-submit cookie.
    let res = c
        .app
        .client
        .post(format!("{}/console/sign-in", c.app.address))
        .form(&[
            ("csrf", "x".repeat(43).as_str()),
            ("email", &c.doc_email),
            ("password", &c.doc_password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&res, "aftercare_console").is_none());
    assert_eq!(c.flag_status().await, "open");
}

async fn the_session_cookie_is_http_only_strict_and_secure_over_https(backend: Backend) {
    let app = spawn_app_with(backend, &[("AFTERCARE_TRUST_PROXY", "1")]).await;
    let c = Clinic::new(app).await;
    let over_http = sign_in_response(&c.app, &c.doc_email, &c.doc_password, &[]).await;
    let (token, line) = set_cookie(&over_http, "aftercare_console").unwrap();
    assert!(token.len() >= 40, "{line}");
    for attr in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=28800",
    ] {
        assert!(line.contains(attr), "{attr} in {line}");
    }
    assert!(!line.contains("Secure"), "{line}");

    let proxied = sign_in_response(
        &c.app,
        &c.doc_email,
        &c.doc_password,
        &[("x-forwarded-proto", "https")],
    )
    .await;
    let (_, line) = set_cookie(&proxied, "aftercare_console").unwrap();
    assert!(
        line.contains("Secure") && line.contains("HttpOnly"),
        "{line}"
    );

    // Without the setting, the header is not believed.
    let plain = Clinic::new(spawn_app(backend).await).await;
    let res = sign_in_response(
        &plain.app,
        &plain.doc_email,
        &plain.doc_password,
        &[("x-forwarded-proto", "https")],
    )
    .await;
    let (_, line) = set_cookie(&res, "aftercare_console").unwrap();
    assert!(!line.contains("Secure"), "{line}");
}

async fn signing_out_ends_the_session(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;
    let csrf = doc.csrf().await;
    let res = doc.post("/console/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/console/sign-in");
    let (value, line) = set_cookie(&res, "aftercare_console").unwrap();
    assert!(value.is_empty() && line.contains("Max-Age=0"), "{line}");

    // The old cookie no longer works, for pages or forms.
    let res = doc.get("/console/flags").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/console/sign-in");
    let res = doc
        .post(
            &format!("/console/flags/{}/acknowledge", c.flag_id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.flag_status().await, "open");
}

async fn sessions_expire(backend: Backend) {
    let app = spawn_app_with(backend, &[("AFTERCARE_CONSOLE_SESSION_TTL_SECS", "1")]).await;
    let c = Clinic::new(app).await;
    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;
    assert_eq!(doc.get("/console/flags").await.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = doc.get("/console/flags").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/console/sign-in");
}

async fn staff_add_patients_treatments_and_enrolment_codes(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;
    let csrf = doc.csrf().await;
    let res = doc
        .post(
            "/console/patients",
            &[
                ("csrf", &csrf),
                ("name", "Alex Newpatient"),
                ("email", "not an email"),
                ("timezone", "Mars/Base"),
                ("fitzpatrick", "9"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("email") && page.contains("timezone") && page.contains("fitzpatrick"));

    let res = doc
        .post(
            "/console/patients",
            &[
                ("csrf", &csrf),
                ("name", "Alex Newpatient"),
                ("email", "alex@mail.example"),
                ("timezone", "Europe/Berlin"),
                ("fitzpatrick", "4"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let patient_page = location(&res).to_string();
    assert!(patient_page.starts_with("/console/patients/"));

    let when = (chrono::Utc::now() - chrono::Duration::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = doc
        .post(
            &format!("{patient_page}/treatments"),
            &[
                ("csrf", &csrf),
                ("performed_at", &when),
                ("area", "neck"),
                ("depth_mm", "1.5"),
                ("addons", "serum"),
                ("addons", "rf"),
                ("session_number", "2"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), patient_page);
    let page = doc.page(&patient_page).await;
    assert!(page.contains("Session 2, Neck, 1.50 mm"));
    assert!(page.contains("RF, Serum"));

    let res = doc
        .post(
            &format!("{patient_page}/enrolment-codes"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    assert!(page.contains("<svg"), "QR code");
    let start = page.find("<code>").unwrap() + "<code>".len();
    let code = &page[start..start + 14];
    let res = c
        .app
        .post(
            "/v1/auth/enrol",
            None,
            &json!({"code": code, "password": "a new patient password"}),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the shown code enrols the app"
    );
}

async fn only_admins_manage_staff_and_read_the_audit_log(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;
    for path in ["/console/staff", "/console/audit"] {
        assert_eq!(
            doc.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let csrf = doc.csrf().await;
    let res = doc
        .post(
            "/console/staff",
            &[
                ("csrf", &csrf),
                ("name", "Sneaky"),
                ("email", "sneaky@clinic.example"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let admin = sign_in(&c.app, &c.admin_email, &c.admin_password).await;
    let csrf = admin.csrf().await;
    let email = format!("new-{}@clinic.example", uuid::Uuid::new_v4().simple());
    let res = admin
        .post(
            "/console/staff",
            &[
                ("csrf", &csrf),
                ("name", "Dr New"),
                ("email", &email),
                ("role", "clinician"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    let marker = "shown only now: <code>";
    let start = page.find(marker).unwrap() + marker.len();
    let password = &page[start..start + page[start..].find('<').unwrap()];
    sign_in(&c.app, &email, password).await;

    let audit = admin.page("/console/audit").await;
    for action in ["staff.create", "console.sign_in", "patient.list"] {
        assert!(audit.contains(action), "{action}");
    }
}

async fn risk_factors_products_and_the_series_in_the_console(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    let doc_token = c.app.login(&c.doc_email, &c.doc_password).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let patient = c.app.enrolled_patient(&doc_token, "Europe/Berlin", 3).await;
    let patient_page = format!("/console/patients/{}", patient.id);
    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;
    let csrf = doc.csrf().await;
    let days_ago = |n: i64| {
        (chrono::Utc::now() - chrono::Duration::days(n))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let first = days_ago(40);
    let treatment = |when: &str, factor: &str, override_reason: &str, products: &str| {
        vec![
            ("csrf".to_string(), csrf.clone()),
            ("performed_at".into(), when.to_string()),
            ("area".into(), "face".into()),
            ("depth_mm".into(), "0.5".into()),
            ("session_number".into(), String::new()),
            ("risk_factors".into(), factor.to_string()),
            ("products".into(), products.to_string()),
            ("override_reason".into(), override_reason.to_string()),
        ]
    };
    let post = |form: Vec<(String, String)>| {
        let doc = &doc;
        let path = format!("{patient_page}/treatments");
        async move {
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            doc.post(&path, &pairs).await
        }
    };
    let res = post(treatment(&first, "rosacea", "", "peptide serum")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Contraindicated") && page.contains("Rosacea"),
        "{page}"
    );
    let res = post(treatment(
        &first,
        "rosacea",
        "cleared by her dermatologist",
        "peptide serum",
    ))
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = post(treatment(&days_ago(20), "cold_sore_history", "", "")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let page = doc.page(&patient_page).await;
    assert!(page.contains("Session 2, Face, 0.50 mm"), "{page}");
    assert!(page.contains("Session 1, Face, 0.50 mm"));
    assert!(page.contains("Follows session 1"));
    assert!(page.contains("sooner than the 28-day minimum"));
    assert!(page.contains("This session beside the previous one"));
    assert!(page.contains("peptide serum"));
    assert!(page.contains("cleared by her dermatologist"));
    assert!(page.contains("History of cold sores"));
    assert!(page.contains("check-ins on days 21, 28"));

    // An allergic flag on the first treatment shows its products in the queue.
    let treatments: Value = c
        .app
        .get("/v1/me/treatments", Some(&patient.access_token))
        .await
        .json()
        .await
        .unwrap();
    let first_treatment = treatments["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["session_number"] == 1)
        .unwrap()
        .clone();
    let day5 = first_treatment["day0"]
        .as_str()
        .unwrap()
        .parse::<chrono::NaiveDate>()
        .unwrap()
        + chrono::Days::new(5);
    let res = c
        .app
        .put(
            &format!("/v1/treatments/{}/logs/{day5}", first_treatment["id"].as_str().unwrap()),
            Some(&patient.access_token),
            &json!({"redness": 1, "swelling": 0, "flaking": 0, "sensitivity": 0, "signs": ["hives"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // The products applied are shown with the allergic flag, on its page.
    let flags: Value = c
        .app
        .get("/v1/flags", Some(&c.doc_token))
        .await
        .json()
        .await
        .unwrap();
    let allergic = flags["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["reason"] == "allergic_reaction" && f["treatment_id"] == first_treatment["id"])
        .expect("an allergic flag")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = doc.page(&format!("/console/flags/{allergic}")).await;
    assert!(page.contains("Products applied"), "{page}");
    assert!(page.contains("peptide serum"), "{page}");
    let infection = doc.page(&format!("/console/flags/{}", c.flag_id)).await;
    assert!(
        !infection.contains("Products applied"),
        "only beside allergic and granuloma flags"
    );
}

/// A staff member's language: chosen through the API, shown by the console
/// (pages, `<html lang>`, dates and decimals), switched from the console.
async fn the_console_speaks_the_staff_members_language(backend: Backend) {
    let c = Clinic::new(spawn_app(backend).await).await;
    let patch = |token: &str, body: Value| {
        let (app, token) = (&c.app, token.to_string());
        async move {
            app.request(Method::PATCH, "/v1/me", Some(&token), Some(&body))
                .await
        }
    };

    // Bad input changes nothing; patients use their preferences instead.
    for bad in [
        json!({"locale": "xx"}),
        json!({"locale": 5}),
        json!({"locale": null}),
        json!({"locale": "tr-TR"}),
        json!({"theme": "dark"}),
    ] {
        let res = patch(&c.doc_token, bad.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let res = patch(&c.patient_token, json!({"locale": "tr"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let me: Value = c
        .app
        .get("/v1/me", Some(&c.doc_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["locale"], "en", "the clinic's default: {me}");

    let res = patch(&c.doc_token, json!({"locale": "tr"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["locale"], "tr", "{me}");

    let doc = sign_in(&c.app, &c.doc_email, &c.doc_password).await;
    let queue = doc.page("/console/flags").await;
    assert!(queue.contains("<html lang=\"tr\">"), "{queue}");
    assert!(queue.contains("Uyarı listesi"), "{queue}");
    assert!(!queue.contains("Flag queue"), "{queue}");
    let turkish_instant = |html: &str| {
        html.split("<time").skip(1).any(|t| {
            let text = &t[t.find('>').unwrap() + 1..];
            let b = text.as_bytes();
            b.len() > 16
                && b[2] == b'.'
                && b[5] == b'.'
                && b[10] == b' '
                && b[13] == b':'
                && text[6..10].parse::<u32>().is_ok()
        })
    };
    assert!(turkish_instant(&queue), "dd.mm.yyyy hh:mm: {queue}");
    let flag = doc.page(&format!("/console/flags/{}", c.flag_id)).await;
    assert!(flag.contains("1. günde bildirildi"), "{flag}");
    assert!(flag.contains("Onayla"), "{flag}");
    let patient = doc
        .page(&format!("/console/patients/{}", c.patient_id))
        .await;
    assert!(patient.contains("0,50 mm"), "decimal comma: {patient}");
    assert!(patient.contains("İyileşme grafikleri"), "{patient}");
    // Error pages speak it too.
    let res = doc.get("/console/flags/no-such-flag").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("<html lang=\"tr\">") && page.contains("Bulunamadı"),
        "{page}"
    );

    // The console's own switch: back to English, on the same page.
    let here = format!("/console/patients/{}", c.patient_id);
    let csrf = doc.csrf().await;
    let res = doc
        .post(
            "/console/language",
            &[("csrf", &csrf), ("locale", "xx"), ("next", &here)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = doc
        .post("/console/language", &[("locale", "en"), ("next", &here)])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let me: Value = c
        .app
        .get("/v1/me", Some(&c.doc_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["locale"], "tr", "nothing changed: {me}");
    let res = doc
        .post(
            "/console/language",
            &[("csrf", &csrf), ("locale", "en"), ("next", &here)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), here);
    let patient = doc.page(&here).await;
    assert!(patient.contains("<html lang=\"en\">"), "{patient}");
    assert!(patient.contains("0.50 mm") && patient.contains("Recovery charts"));
    let me: Value = c
        .app
        .get("/v1/me", Some(&c.doc_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["locale"], "en", "kept on the account: {me}");
    // Elsewhere than a console page, the switch goes back to the queue.
    let res = doc
        .post(
            "/console/language",
            &[
                ("csrf", &csrf),
                ("locale", "en"),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/console/flags");

    // Without a session, the sign-in page follows the browser.
    let res = c
        .app
        .client
        .get(format!("{}/console/sign-in", c.app.address))
        .header("accept-language", "tr-TR,tr;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(
        page.contains("<html lang=\"tr\">") && page.contains("Oturum aç"),
        "{page}"
    );
}

on_both_backends!(
    the_console_speaks_the_staff_members_language,
    risk_factors_products_and_the_series_in_the_console,
    a_clinician_reviews_an_urgent_flag_from_the_console,
    patients_cannot_sign_in,
    a_wrong_password_is_refused,
    another_clinics_clinician_gets_404,
    posts_without_the_csrf_token_are_refused_and_change_nothing,
    the_session_cookie_is_http_only_strict_and_secure_over_https,
    signing_out_ends_the_session,
    sessions_expire,
    staff_add_patients_treatments_and_enrolment_codes,
    only_admins_manage_staff_and_read_the_audit_log,
    the_flag_page_shows_evidence_the_note_and_the_history,
    the_queue_has_one_row_per_patient_and_treatment,
    console_push_subscriptions_carry_alerts_and_end_at_sign_out,
    the_patients_list_helps_triage,
    static_scripts_are_served_with_their_headers_and_a_strict_csp,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_console_paths_are_404_pages_and_wrong_methods_405() {
    let app = spawn_app(Backend::Sqlite).await;
    let res = app.get("/console/nope", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let res = app
        .request(Method::DELETE, "/console/flags", None, None)
        .await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let res = app.get("/console/flags", None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/console/sign-in");
    let res = app.get("/console/static/console.css", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains(".severity-urgent"));
}
