//! The dispatcher's refill: many plans per write transaction, run from
//! several tasks at once, plans exactly what each plan expands to, once,
//! stamped for sync, and nothing for a cancelled treatment.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use diesel::prelude::*;

use aftercare::app::reminders::{refill, GRACE, LOOKAHEAD, REFILL};
use aftercare::app::AppError;
use aftercare::db::schema::{patients as p, reminder_occurrences as o, reminder_plans as rp};
use aftercare::domain::reminder::Preferences;
use aftercare::domain::schedule;
use aftercare::store::reminders as store;

use crate::helpers::{spawn_app_with, Backend};
use crate::on_both_backends;
use crate::recovery::add_treatment;

const ZONES: [&str; 4] = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
];

async fn refill_in_batches_plans_each_occurrence_once(backend: Backend) {
    // The server's own dispatcher ticks once at start and then not during
    // the test: only the refills below plan.
    let app = spawn_app_with(backend, &[("AFTERCARE_SCHEDULER_TICK_SECS", "3600")]).await;
    let clinic = app.new_clinic().await;
    let doc = app.add_clinician(&clinic).await;
    let mut treatments = Vec::new();
    for i in 0..14usize {
        let patient = app.enrolled_patient(&doc, ZONES[i % 4], 2).await;
        // Days 0–39: some plans are in full swing, some over (nothing left).
        let depth = if i % 2 == 0 { 1.0 } else { 1.5 };
        let t = add_treatment(&app, &doc, &patient.id, depth, (i as i64 * 3) % 40).await;
        treatments.push((t["id"].as_str().unwrap().to_string(), ZONES[i % 4]));
    }
    let cancelled = treatments[3].0.clone();
    let res = app
        .post(
            &format!("/v1/treatments/{cancelled}/cancel"),
            Some(&doc),
            &serde_json::json!({"reason": "registered twice"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // Forget what was planned: every plan is due for its refill.
    let seqs_before: HashMap<String, i64> = app
        .db
        .write(|tx| {
            diesel::delete(o::table).execute(tx.conn())?;
            diesel::update(rp::table)
                .set(rp::planned_until.eq(0i64))
                .execute(tx.conn())?;
            Ok::<_, AppError>(
                p::table
                    .select((p::account_id, p::change_seq))
                    .load(tx.conn())?
                    .into_iter()
                    .collect(),
            )
        })
        .await
        .unwrap();

    // Three refills at once, at most 4 plans per transaction: on
    // PostgreSQL they interleave, on SQLite they take turns.
    let now = Utc::now();
    let (a, b, c) = tokio::join!(
        refill(&app.db, now, 4),
        refill(&app.db, now, 4),
        refill(&app.db, now, 4)
    );
    let created = a.unwrap().created + b.unwrap().created + c.unwrap().created;

    let ids: Vec<String> = treatments.iter().map(|(t, _)| t.clone()).collect();
    let (rows, plans) = app
        .db
        .read(move |c| {
            let rows: Vec<(String, String, String, i64, i64)> = o::table
                .select((
                    o::treatment_id,
                    o::patient_id,
                    o::identity,
                    o::due_at,
                    o::seq,
                ))
                .load(c)?;
            let mut plans = HashMap::new();
            for id in ids {
                let (plan, until) = store::plan(c, &id)?;
                let day0: chrono::NaiveDate = aftercare::db::schema::treatments::table
                    .find(&id)
                    .select(aftercare::db::schema::treatments::day0)
                    .get_result(c)?;
                plans.insert(id, (plan, until, day0));
            }
            Ok::<_, AppError>((rows, plans))
        })
        .await
        .unwrap();
    assert_eq!(created, rows.len(), "each occurrence counted once");

    let mut expected_total = 0;
    for (id, zone) in &treatments {
        let (plan, until, day0) = &plans[id];
        assert!(
            *until >= (now + REFILL).timestamp_millis(),
            "{id} is planned ahead"
        );
        let got: BTreeSet<(String, i64)> = rows
            .iter()
            .filter(|r| r.0 == *id)
            .map(|r| (r.2.clone(), r.3))
            .collect();
        let want: BTreeSet<(String, i64)> = if *id == cancelled {
            BTreeSet::new()
        } else {
            schedule::occurrences(
                plan,
                &Preferences::default(),
                zone.parse().unwrap(),
                *day0,
                now - GRACE,
                now + LOOKAHEAD,
            )
            .iter()
            .map(|o| (o.identity(id), o.due_at.timestamp_millis()))
            .collect()
        };
        assert_eq!(got, want, "{id}");
        expected_total += want.len();
    }
    assert!(expected_total > 20, "the window has reminders to plan");
    assert_eq!(rows.len(), expected_total);
    // Stamped with a change number newer than any the devices have seen.
    for (_, patient, identity, _, seq) in &rows {
        assert!(*seq > seqs_before[patient], "{identity} is stamped");
    }

    // A second refill finds nothing to do.
    let again = refill(&app.db, now, 4).await.unwrap();
    assert_eq!((again.created, again.plans), (0, 0));
}

on_both_backends!(refill_in_batches_plans_each_occurrence_once);
