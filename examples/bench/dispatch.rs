//! Reminder dispatch end to end: due occurrences and real P-256
//! subscriptions are seeded through the store, then the service's own
//! `Dispatcher::tick()` fans them out, claims, encrypts, signs, sends to the
//! loopback sink and records every outcome. Afterwards the same messages are
//! encrypted alone (the ceiling), and exported for the Node peer.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use aftercare::app::outbox::Message;
use aftercare::app::AppError;
use aftercare::config::Config;
use aftercare::db::now_ms;
use aftercare::db::schema::{push_jobs as j, push_subscriptions as s};
use aftercare::domain::account::{Email, PersonName, TimeZone};
use aftercare::domain::ids::PatientId;
use aftercare::domain::reminder::ReminderKind;
use aftercare::jobs::dispatcher::{AlertTransports, Dispatcher, DispatcherConfig};
use aftercare::metrics::PushOutcomes;
use aftercare::notify::webhook::WebhookSender;
use aftercare::push::provider::Providers;
use aftercare::push::transport::PushSender;
use aftercare::push::vapid::VapidKeys;
use aftercare::startup::open_database;
use aftercare::store::{patients, protocols, push, reminders, treatments};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use diesel::prelude::*;
use web_push::{
    request_builder, ContentEncoding, SubscriptionInfo, VapidSignature, VapidSignatureBuilder,
    WebPushMessageBuilder,
};

use crate::{ctx, Res};

const SUBJECT: &str = "mailto:bench@localhost.invalid";

#[derive(clap::Args)]
pub struct Args {
    /// DATABASE_URL: a fresh SQLite path or PostgreSQL database.
    #[arg(long)]
    database: String,
    /// Port of the running `bench sink`.
    #[arg(long)]
    sink_port: u16,
    /// Patients, each with one subscription.
    #[arg(long, default_value_t = 10_000)]
    patients: usize,
    /// Due occurrences per patient.
    #[arg(long, default_value_t = 10)]
    per_patient: usize,
    /// Where to write the messages for the Node peer (JSON lines) and the
    /// VAPID keys (`<file>.vapid.json`).
    #[arg(long)]
    export: String,
}

fn err<E: std::fmt::Display>(e: E) -> AppError {
    AppError::internal(e.to_string())
}

fn seed(db: &aftercare::db::Db, a: &Args) -> Res<()> {
    let clinic = aftercare::cli::create_clinic(
        db,
        "Bench Clinic",
        "admin@bench.example",
        None,
        Some("bench admin password".into()),
    )?;
    let protocol_id = {
        let mut conn = db.conn().map_err(ctx("connection"))?;
        protocols::current_for_clinic(&mut conn, &clinic.clinic_id).map_err(ctx("protocol"))?
    };
    let now = now_ms();
    let today = chrono::Utc::now().date_naive();
    let name = PersonName::parse("Bench Patient")?;
    let tz = TimeZone::parse("Europe/Berlin")?;
    let mut i = 0;
    while i < a.patients {
        let end = (i + 500).min(a.patients);
        db.write_blocking(|tx| {
            for p in i..end {
                let c = tx.conn();
                let email = Email::parse(&format!("p{p}@bench.example")).map_err(err)?;
                let pid = patients::create(
                    c,
                    patients::NewPatient {
                        clinic_id: &clinic.clinic_id,
                        created_by: &clinic.admin_id,
                        name: &name,
                        email: &email,
                        timezone: tz,
                        fitzpatrick: 2,
                    },
                )?;
                let patient = PatientId::new(pid.clone());
                let mut w = tx.patient(&patient);
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
                // A real browser-like subscription: P-256 public key and a
                // 16-byte auth secret.
                let key = VapidKeys::generate().public_key();
                let auth = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
                push::upsert_subscription(
                    w.conn(),
                    push::NewSubscription {
                        account_id: &pid,
                        clinic_id: &clinic.clinic_id,
                        role: "patient",
                        endpoint: &format!("http://127.0.0.1:{}/push/{pid}", a.sink_port),
                        p256dh: &key,
                        auth: &auth,
                    },
                )?;
                for k in 0..a.per_patient {
                    let kind = ReminderKind::ALL[k % ReminderKind::ALL.len()];
                    reminders::insert_occurrence(
                        &mut w,
                        &reminders::NewOccurrence {
                            identity: &format!("{tid}:{}:bench:{k}", kind.as_str()),
                            treatment_id: &tid,
                            clinic_id: &clinic.clinic_id,
                            kind: kind.as_str(),
                            day: 3,
                            local_date: today,
                            local_time: "08:00",
                            due_at: now - 60_000,
                            stale_at: now + 3 * 3_600_000,
                        },
                    )?;
                }
            }
            Ok::<_, AppError>(())
        })
        .map_err(ctx("seed"))?;
        i = end;
    }
    Ok(())
}

/// One message as the sender sees it.
struct Item {
    endpoint: String,
    p256dh: String,
    auth: String,
    payload: Vec<u8>,
    topic: Option<String>,
    urgency: String,
    ttl: u32,
}

fn load_items(db: &aftercare::db::Db) -> Res<Vec<Item>> {
    let mut conn = db.conn().map_err(ctx("connection"))?;
    let subs: HashMap<String, (String, String, String)> = s::table
        .select((s::id, s::endpoint, s::p256dh, s::auth))
        .load::<(String, String, String, String)>(&mut **conn)
        .map_err(ctx("subscriptions"))?
        .into_iter()
        .map(|(id, e, p, a)| (id, (e, p, a)))
        .collect();
    let now = now_ms();
    let jobs: Vec<(String, String, i64)> = j::table
        .order(j::id)
        .select((j::subscription_id, j::message, j::stale_at))
        .load(&mut **conn)
        .map_err(ctx("jobs"))?;
    jobs.into_iter()
        .map(|(sub, message, stale_at)| {
            let (endpoint, p256dh, auth) = subs.get(&sub).cloned().ok_or("subscription")?;
            let m: Message = serde_json::from_str(&message).map_err(ctx("message"))?;
            Ok(Item {
                endpoint,
                p256dh,
                auth,
                payload: m.payload.to_string().into_bytes(),
                topic: m.topic,
                urgency: m.urgency,
                ttl: ((stale_at - now) / 1000).max(0) as u32,
            })
        })
        .collect()
}

fn signature(keys: &VapidKeys, endpoint: &str) -> Res<VapidSignature> {
    let info = SubscriptionInfo::new(endpoint, "", "");
    let mut b = VapidSignatureBuilder::from_base64_no_sub(&keys.to_base64())
        .map_err(ctx("vapid key"))?
        .add_sub_info(&info);
    let origin = url::Url::parse(endpoint)
        .map_err(ctx("endpoint"))?
        .origin()
        .ascii_serialization();
    b.add_claim("aud", origin.as_str());
    b.add_claim("sub", SUBJECT);
    b.add_claim("exp", chrono::Utc::now().timestamp() + 12 * 3600);
    b.build().map_err(ctx("vapid sign"))
}

/// Encrypts and builds the request for each item, as the sender's `build`
/// does with a cached signature: no database, no HTTP.
fn encrypt_all(items: &[Item], sig: &VapidSignature) -> usize {
    let mut bytes = 0;
    for it in items {
        let info = SubscriptionInfo::new(it.endpoint.as_str(), &it.p256dh, &it.auth);
        let mut b = WebPushMessageBuilder::new(&info);
        b.set_payload(ContentEncoding::Aes128Gcm, &it.payload);
        b.set_ttl(it.ttl);
        if let Some(t) = &it.topic {
            b.set_topic(t.clone());
        }
        if it.urgency == "high" {
            b.set_urgency(web_push::Urgency::High);
        } else {
            b.set_urgency(web_push::Urgency::Normal);
        }
        b.set_vapid_signature(sig.clone());
        let req = request_builder::build_request::<Vec<u8>>(b.build().expect("encrypts"));
        bytes += std::hint::black_box(req).body().len();
    }
    bytes
}

pub fn run(a: Args) -> Res<()> {
    let url = a.database.clone();
    let config = Config::from_lookup(|k| (k == "DATABASE_URL").then(|| url.clone()))
        .map_err(ctx("config"))?;
    let db = open_database(&config).map_err(ctx("database"))?;
    let t = Instant::now();
    seed(&db, &a)?;
    let expected = a.patients * a.per_patient;
    eprintln!(
        "seeded {expected} due occurrences in {:.1}s",
        t.elapsed().as_secs_f64()
    );

    let keys = VapidKeys::generate();
    let sender =
        PushSender::new(keys.clone(), SUBJECT.into(), Duration::from_secs(10)).allow_insecure(true);
    // As `startup::Background::build` configures it.
    let dispatcher = Dispatcher::new(
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
            batch: 64,
        },
        PushOutcomes::default(),
        AlertTransports {
            mailer: None,
            webhooks: WebhookSender::new(Duration::from_secs(10), true),
            public_url: "http://127.0.0.1:8080".into(),
        },
    );
    let sink_port = a.sink_port;
    let (delivered, secs, sink_count, own_cpu, sink_cpu) =
        actix_web::rt::System::new().block_on(async move {
            let count = || async {
                reqwest::get(format!("http://127.0.0.1:{sink_port}/__count"))
                    .await
                    .map_err(ctx("sink count"))?
                    .text()
                    .await
                    .map_err(ctx("sink count"))?
                    .parse::<u64>()
                    .map_err(ctx("sink count"))
            };
            let sink_cpu = || async {
                reqwest::get(format!("http://127.0.0.1:{sink_port}/__cpu"))
                    .await
                    .map_err(ctx("sink cpu"))?
                    .text()
                    .await
                    .map_err(ctx("sink cpu"))?
                    .parse::<f64>()
                    .map_err(ctx("sink cpu"))
            };
            let before = count().await?;
            let sink_cpu_before = sink_cpu().await?;
            let cpu_before = crate::sink::cpu_seconds();
            let start = Instant::now();
            let mut delivered = 0;
            loop {
                let n = dispatcher.tick().await.map_err(ctx("tick"))?;
                delivered += n;
                if n == 0 || delivered >= expected {
                    break;
                }
            }
            let secs = start.elapsed().as_secs_f64();
            let own_cpu = crate::sink::cpu_seconds() - cpu_before;
            let sink_cpu = sink_cpu().await? - sink_cpu_before;
            Ok::<_, String>((delivered, secs, count().await? - before, own_cpu, sink_cpu))
        })?;
    let mut conn = db.conn().map_err(ctx("connection"))?;
    let recorded: i64 = j::table
        .filter(j::status.eq("sent"))
        .count()
        .get_result(&mut **conn)
        .map_err(ctx("count"))?;
    drop(conn);
    // Where the machine's CPU went during the run: this process (the
    // dispatcher, its HTTP client and SQLite) and the sink, in CPU seconds
    // and as a share of all cores over the run.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let capacity = secs * cores as f64;
    println!(
        "dispatch_pushes={delivered} recorded_sent={recorded} sink_received={sink_count} \
         seconds={secs:.2} pushes_per_s={:.1} dispatcher_cpu_s={own_cpu:.2} sink_cpu_s={sink_cpu:.2} \
         dispatcher_cpu_share={:.3} sink_cpu_share={:.3} dispatcher_cpu_us_per_push={:.1} \
         sink_cpu_us_per_push={:.1}",
        delivered as f64 / secs,
        own_cpu / capacity,
        sink_cpu / capacity,
        own_cpu * 1e6 / delivered.max(1) as f64,
        sink_cpu * 1e6 / delivered.max(1) as f64,
    );
    if delivered != expected || recorded as usize != expected || sink_count as usize != expected {
        return Err(format!(
            "expected {expected} pushes delivered, recorded and received"
        ));
    }

    // The ceiling: the same messages, encryption and request building only.
    let items = load_items(&db)?;
    let sig = signature(&keys, &items[0].endpoint)?;
    let t = Instant::now();
    encrypt_all(&items, &sig);
    let one = t.elapsed().as_secs_f64();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let t = Instant::now();
    std::thread::scope(|scope| {
        for chunk in items.chunks(items.len().div_ceil(threads)) {
            let sig = &sig;
            scope.spawn(move || encrypt_all(chunk, sig));
        }
    });
    let all = t.elapsed().as_secs_f64();
    println!(
        "encrypt_items={} encrypt_1thread_per_s={:.1} encrypt_{threads}threads_per_s={:.1} \
         encrypt_threads={threads}",
        items.len(),
        items.len() as f64 / one,
        items.len() as f64 / all
    );

    // The same messages for the Node peer.
    let mut f =
        std::io::BufWriter::new(std::fs::File::create(&a.export).map_err(ctx("export file"))?);
    for it in &items {
        let line = serde_json::json!({
            "endpoint": it.endpoint,
            "p256dh": it.p256dh,
            "auth": it.auth,
            "payload": String::from_utf8_lossy(&it.payload),
            "ttl": it.ttl,
            "topic": it.topic,
            "urgency": it.urgency,
        });
        writeln!(f, "{line}").map_err(ctx("export"))?;
    }
    f.flush().map_err(ctx("export"))?;
    std::fs::write(
        format!("{}.vapid.json", a.export),
        serde_json::json!({
            "subject": SUBJECT,
            "publicKey": keys.public_key(),
            "privateKey": keys.to_base64(),
        })
        .to_string(),
    )
    .map_err(ctx("export vapid"))?;
    Ok(())
}
