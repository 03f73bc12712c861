//! The dispatcher driven directly, with small batches so that one pass runs
//! many fan-out transactions, claims and records at once (the pipeline):
//! every reminder reaches every live subscription exactly once, stale ones
//! never, a gone subscription is removed with its jobs, and two dispatchers
//! on one database (as two processes would) share the work without sending
//! anything twice.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aftercare::config::Config;
use aftercare::db::schema::{push_jobs as j, push_subscriptions as s, reminder_occurrences as o};
use aftercare::db::{now_ms, Db};
use aftercare::domain::account::{Email, PersonName, TimeZone};
use aftercare::domain::ids::PatientId;
use aftercare::domain::reminder::ReminderKind;
use aftercare::jobs::dispatcher::{AlertTransports, Dispatcher, DispatcherConfig};
use aftercare::metrics::PushOutcomes;
use aftercare::notify::webhook::WebhookSender;
use aftercare::push::provider::Providers;
use aftercare::push::transport::PushSender;
use aftercare::push::vapid::VapidKeys;
use aftercare::store::{patients, protocols, push, reminders, treatments};
use diesel::prelude::*;

use crate::helpers::{fresh_database_url, Backend};
use crate::on_both_backends;
use crate::push_service::{Answer, TestPushService, TestSubscriber};

const PATIENTS: usize = 9;
const PER_PATIENT: usize = 6;

/// Opens (migrates and seeds) the database as the service does.
fn open(url: &str) -> Db {
    let config = Config::from_lookup(|k| (k == "DATABASE_URL").then(|| url.to_string())).unwrap();
    aftercare::startup::open_database(&config).unwrap()
}

fn dispatcher(db: &Db, keys: &VapidKeys) -> Dispatcher {
    let sender = PushSender::new(
        keys.clone(),
        "mailto:test@example.invalid".into(),
        Duration::from_secs(10),
    )
    .allow_insecure(true);
    Dispatcher::new(
        db.clone(),
        Providers {
            web_push: sender,
            fcm: None,
            apns: None,
        },
        DispatcherConfig {
            tick: Duration::from_secs(30),
            retry_base: Duration::from_secs(30),
            max_attempts: 6,
            lease: Duration::from_secs(60),
            // Small, so that one pass is many batches.
            batch: 4,
        },
        PushOutcomes::default(),
        AlertTransports {
            mailer: None,
            webhooks: WebhookSender::new(Duration::from_secs(10), true),
            public_url: "http://127.0.0.1:8080".into(),
        },
    )
}

/// Patient `p` gets `subs[p]` subscriptions and `PER_PATIENT` due
/// occurrences, the last of them already stale.
fn seed(db: &Db, subs: &[Vec<TestSubscriber>]) {
    let clinic = aftercare::cli::create_clinic(
        db,
        "Dispatch Clinic",
        "admin@dispatch.example",
        None,
        Some("dispatch admin password".into()),
    )
    .unwrap();
    let protocol_id = {
        let mut conn = db.conn().unwrap();
        protocols::current_for_clinic(&mut conn, &clinic.clinic_id).unwrap()
    };
    let now = now_ms();
    let today = chrono::Utc::now().date_naive();
    db.write_blocking(|tx| {
        for (p, browsers) in subs.iter().enumerate() {
            let pid = patients::create(
                tx.conn(),
                patients::NewPatient {
                    clinic_id: &clinic.clinic_id,
                    created_by: &clinic.admin_id,
                    name: &PersonName::parse("Dispatch Patient").unwrap(),
                    email: &Email::parse(&format!("p{p}@dispatch.example")).unwrap(),
                    timezone: TimeZone::parse("Europe/Berlin").unwrap(),
                    fitzpatrick: 2,
                },
            )?;
            let mut w = tx.patient(&PatientId::new(pid.clone()));
            let tid = treatments::create(
                &mut w,
                treatments::NewTreatment {
                    clinic_id: &clinic.clinic_id,
                    protocol_id: &protocol_id,
                    performed_at: now - 3 * 86_400_000,
                    day0: today - chrono::Days::new(3),
                    area: "face",
                    depth_mm: 1.0,
                    addons: "",
                    session_number: 1,
                    created_by: &clinic.admin_id,
                    risk_factors: "",
                    products: None,
                    previous_treatment_id: None,
                },
            )?;
            for b in browsers {
                push::upsert_subscription(
                    w.conn(),
                    push::NewSubscription {
                        account_id: &pid,
                        clinic_id: &clinic.clinic_id,
                        role: "patient",
                        endpoint: &b.endpoint,
                        p256dh: &b.p256dh,
                        auth: &b.auth,
                    },
                )?;
            }
            for k in 0..PER_PATIENT {
                let kind = ReminderKind::ALL[k % ReminderKind::ALL.len()];
                let stale = k == PER_PATIENT - 1;
                reminders::insert_occurrence(
                    &mut w,
                    &reminders::NewOccurrence {
                        identity: &format!("{tid}:{}:dispatch:{k}", kind.as_str()),
                        treatment_id: &tid,
                        clinic_id: &clinic.clinic_id,
                        kind: kind.as_str(),
                        day: 3,
                        local_date: today,
                        local_time: "08:00",
                        due_at: now - 60_000 - k as i64,
                        stale_at: if stale { now - 1 } else { now + 3_600_000 },
                    },
                )?;
            }
        }
        Ok::<_, aftercare::app::AppError>(())
    })
    .unwrap();
}

fn count_by<T>(db: &Db, f: impl FnOnce(&mut aftercare::db::DbConn) -> QueryResult<T>) -> T {
    let mut conn = db.conn().unwrap();
    f(&mut conn).unwrap()
}

/// Patient 0 has two browsers, patient 1 one whose subscription is gone
/// (410), patient 2 none; the rest one each.
fn browsers(push: &TestPushService) -> (Vec<Vec<TestSubscriber>>, String) {
    let subs: Vec<Vec<TestSubscriber>> = (0..PATIENTS)
        .map(|p| match p {
            0 => vec![push.subscriber(), push.subscriber()],
            2 => vec![],
            _ => vec![push.subscriber()],
        })
        .collect();
    let gone = subs[1][0].id.clone();
    push.respond_with(&gone, vec![Answer::Gone; PER_PATIENT]);
    (subs, gone)
}

fn check_delivered_once(push: &TestPushService, subs: &[Vec<TestSubscriber>], gone: &str) {
    let got = push.deliveries();
    let pairs: HashSet<(String, String)> = got
        .iter()
        .map(|d| {
            (
                d.subscriber_id.clone(),
                d.payload["occurrence_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), got.len(), "a reminder was delivered twice");
    let mut per_subscriber: HashMap<&str, usize> = HashMap::new();
    for d in &got {
        *per_subscriber.entry(d.subscriber_id.as_str()).or_default() += 1;
    }
    for b in subs.iter().flatten() {
        let n = per_subscriber.get(b.id.as_str()).copied().unwrap_or(0);
        let want = if b.id == gone { 0 } else { PER_PATIENT - 1 };
        assert_eq!(n, want, "deliveries to one subscriber");
    }
    assert!(push.failures().is_empty(), "{:?}", push.failures());
}

async fn one_pass_sends_every_reminder_once_in_small_batches(backend: Backend) {
    let push = TestPushService::start().await;
    let url = fresh_database_url(backend);
    let db = open(&url);
    let (subs, gone) = browsers(&push);
    seed(&db, &subs);
    let keys = VapidKeys::generate();
    push.expect_server_key(&keys.public_key());

    let d = dispatcher(&db, &keys);
    let live = subs.iter().flatten().filter(|b| b.id != gone).count();
    let delivered = d.tick().await.unwrap();
    assert_eq!(delivered, live * (PER_PATIENT - 1));
    check_delivered_once(&push, &subs, &gone);

    let statuses: Vec<(String, i64)> = count_by(&db, |c| {
        o::table
            .group_by(o::status)
            .select((o::status, diesel::dsl::count_star()))
            .order(o::status)
            .load(c)
    });
    assert_eq!(
        statuses,
        vec![
            (
                "dispatched".to_string(),
                (PATIENTS * (PER_PATIENT - 1)) as i64
            ),
            ("stale".to_string(), PATIENTS as i64),
        ]
    );
    let jobs: Vec<(String, i64)> = count_by(&db, |c| {
        j::table
            .group_by(j::status)
            .select((j::status, diesel::dsl::count_star()))
            .order(j::status)
            .load(c)
    });
    // The gone subscription's later reminders may find it already removed
    // (fan-out runs beside sending) and queue nothing for it.
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert_eq!(jobs[0].0, "gone");
    assert!(
        (1..=(PER_PATIENT - 1) as i64).contains(&jobs[0].1),
        "{jobs:?}"
    );
    assert_eq!(
        jobs[1],
        ("sent".to_string(), (live * (PER_PATIENT - 1)) as i64)
    );
    let left: i64 = count_by(&db, |c| s::table.count().get_result(c));
    assert_eq!(left as usize, live, "the gone subscription is removed");

    // Nothing is left to send.
    assert_eq!(d.tick().await.unwrap(), 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    check_delivered_once(&push, &subs, &gone);
}

async fn two_dispatchers_share_the_work_without_duplicates(backend: Backend) {
    let push = TestPushService::start().await;
    let url = fresh_database_url(backend);
    let db = open(&url);
    let (subs, gone) = browsers(&push);
    seed(&db, &subs);
    let keys = VapidKeys::generate();

    // Separate pools, as two processes would have.
    let (a, b) = (dispatcher(&db, &keys), dispatcher(&open(&url), &keys));
    let (x, y) = tokio::join!(a.tick(), b.tick());
    let live = subs.iter().flatten().filter(|b| b.id != gone).count();
    assert_eq!(x.unwrap() + y.unwrap(), live * (PER_PATIENT - 1));
    check_delivered_once(&push, &subs, &gone);
    let pending: i64 = count_by(&db, |c| {
        j::table
            .filter(j::status.eq("pending"))
            .count()
            .get_result(c)
    });
    assert_eq!(pending, 0);
}

on_both_backends!(
    one_pass_sends_every_reminder_once_in_small_batches,
    two_dispatchers_share_the_work_without_duplicates,
);
