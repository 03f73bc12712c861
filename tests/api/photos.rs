//! Photos of the skin on daily logs, over HTTP: upload, fetch (full and
//! thumbnail), idempotent retry, delete, metadata stripping and orientation,
//! refusals that store nothing, other patients and clinics, sync, export
//! and erasure, limits, and the sweep of objects with no row.
//!
//! Every test runs on SQLite and PostgreSQL with the local media folder, and
//! once more against S3-compatible storage (`AFTERCARE_TEST_S3_ENDPOINT`,
//! a moto server that `.ci/run` starts): without it those tests fail.

use std::io::Cursor;
use std::time::{Duration, Instant};

use aftercare::config::Config;
use aftercare::media::MediaStore;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ImageEncoder, Rgb, RgbImage};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, media_dir_of, spawn_app_with, Backend, TestApp};
use crate::recovery::Scenario;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Storage {
    Folder,
    S3,
}

/// The environment of an app whose photos go to `storage`.
fn storage_env(storage: Storage) -> Vec<(String, String)> {
    match storage {
        Storage::Folder => Vec::new(),
        Storage::S3 => {
            let endpoint = std::env::var("AFTERCARE_TEST_S3_ENDPOINT").unwrap_or_else(|_| {
                panic!(
                    "AFTERCARE_TEST_S3_ENDPOINT is not set: the S3 pass of the photo tests \
                     needs an S3-compatible server (.ci/run starts one with .ci/s3.sh)"
                )
            });
            let bucket = std::env::var("AFTERCARE_TEST_S3_BUCKET")
                .unwrap_or_else(|_| "aftercare-test".into());
            let prefix = format!("t-{}", uuid::Uuid::new_v4().simple());
            vec![
                (
                    "AFTERCARE_MEDIA_URL".into(),
                    format!("s3://{bucket}/{prefix}"),
                ),
                ("AWS_ENDPOINT_URL".into(), endpoint),
                ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
                ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
                ("AWS_REGION".into(), "us-east-1".into()),
            ]
        }
    }
}

struct PhotoApp {
    s: Scenario,
    media: MediaStore,
}

impl PhotoApp {
    async fn new(backend: Backend, storage: Storage, extra: &[(&str, &str)]) -> Self {
        let env = storage_env(storage);
        let mut all: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        all.extend_from_slice(extra);
        let app = spawn_app_with(backend, &all).await;
        let media = store_of(&app, &env);
        let s = Scenario::on(app, 0.5, 5).await;
        Self { s, media }
    }

    fn path(&self, day: u64, photo_id: &str) -> String {
        format!(
            "/v1/treatments/{}/logs/{}/photos/{photo_id}",
            self.s.treatment_id(),
            self.s.date(day)
        )
    }

    async fn upload(
        &self,
        day: u64,
        photo_id: &str,
        ctype: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.s
            .app
            .client
            .put(format!(
                "{}{}",
                self.s.app.address,
                self.path(day, photo_id)
            ))
            .bearer_auth(&self.s.patient.access_token)
            .header("content-type", ctype)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn objects(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .media
            .list("photos")
            .await
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        keys.sort();
        keys
    }

    async fn log(&self, day: u64) {
        let res = self
            .s
            .put_log(
                day,
                json!({"redness": 3, "swelling": 2, "flaking": 1, "sensitivity": 2}),
            )
            .await;
        assert!(res.status().is_success(), "log of day {day}");
    }
}

/// The app's media store, opened the way the app opens it.
fn store_of(app: &TestApp, env: &[(String, String)]) -> MediaStore {
    let dir = media_dir_of(&app.database_url);
    let config = Config::from_lookup(|k| {
        env.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .or_else(|| (k == "AFTERCARE_MEDIA_DIR").then(|| dir.clone()))
    })
    .unwrap();
    MediaStore::open(&config.media.location).unwrap()
}

/// A raw little-endian EXIF (TIFF) block: orientation `orientation` and a
/// GPS latitude of 41° N.
fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut e = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    // IFD0 at 8: two entries, then the next-IFD offset (none).
    e.extend_from_slice(&2u16.to_le_bytes());
    e.extend_from_slice(&0x0112u16.to_le_bytes());
    e.extend_from_slice(&3u16.to_le_bytes());
    e.extend_from_slice(&1u32.to_le_bytes());
    e.extend_from_slice(&orientation.to_le_bytes());
    e.extend_from_slice(&[0, 0]);
    let gps_ifd = 8 + 2 + 2 * 12 + 4;
    e.extend_from_slice(&0x8825u16.to_le_bytes());
    e.extend_from_slice(&4u16.to_le_bytes());
    e.extend_from_slice(&1u32.to_le_bytes());
    e.extend_from_slice(&(gps_ifd as u32).to_le_bytes());
    e.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(e.len(), gps_ifd);
    // GPS IFD: latitude ref "N" and latitude 41/1, 0/1, 0/1.
    let rationals = gps_ifd + 2 + 2 * 12 + 4;
    e.extend_from_slice(&2u16.to_le_bytes());
    e.extend_from_slice(&1u16.to_le_bytes());
    e.extend_from_slice(&2u16.to_le_bytes());
    e.extend_from_slice(&2u32.to_le_bytes());
    e.extend_from_slice(b"N\0\0\0");
    e.extend_from_slice(&2u16.to_le_bytes());
    e.extend_from_slice(&5u16.to_le_bytes());
    e.extend_from_slice(&3u32.to_le_bytes());
    e.extend_from_slice(&(rationals as u32).to_le_bytes());
    e.extend_from_slice(&0u32.to_le_bytes());
    for (n, d) in [(41u32, 1u32), (0, 1), (0, 1)] {
        e.extend_from_slice(&n.to_le_bytes());
        e.extend_from_slice(&d.to_le_bytes());
    }
    e
}

/// 64 × 32 pixels as the sensor saw them: left half red, right half blue.
fn sideways() -> RgbImage {
    RgbImage::from_fn(64, 32, |x, _| {
        if x < 32 {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 20, 230])
        }
    })
}

/// A JPEG with EXIF orientation 6 (display rotated 90° clockwise) and GPS.
fn jpeg_with_exif() -> Vec<u8> {
    let img = sideways();
    let mut out = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut out, 95);
    enc.set_exif_metadata(exif_with_gps(6)).unwrap();
    enc.write_image(img.as_raw(), 64, 32, image::ExtendedColorType::Rgb8)
        .unwrap();
    assert!(segments(&out).contains(&0xE1), "the fixture carries EXIF");
    out
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_pixel(w, h, Rgb([200, 150, 120]));
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A valid PNG whose header declares 50000 × 50000 pixels (7.5 GB of RGB):
/// a few hundred bytes that would take all memory to decode.
fn png_bomb() -> Vec<u8> {
    let mut bytes = png(8, 8);
    bytes[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// The marker bytes of a JPEG's segments up to the scan (APP1 = 0xE1 holds
/// EXIF and XMP, APP2 = 0xE2 ICC profiles).
fn segments(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "a JPEG");
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() {
        assert_eq!(jpeg[i], 0xFF, "segment marker at {i}");
        let marker = jpeg[i + 1];
        out.push(marker);
        if marker == 0xDA {
            break;
        }
        let len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
        i += 2 + len;
    }
    out
}

fn is_red(p: &Rgb<u8>) -> bool {
    p[0] > 150 && p[2] < 100
}

fn is_blue(p: &Rgb<u8>) -> bool {
    p[2] > 150 && p[0] < 100
}

async fn photos_round_trip(backend: Backend, storage: Storage) {
    let p = PhotoApp::new(backend, storage, &[]).await;
    let s = &p.s;
    let me = s.patient.access_token.clone();
    p.log(2).await;

    // Upload: 201 with the upright size.
    let id = "PhotoDay2Number1";
    let res = p.upload(2, id, "image/jpeg", jpeg_with_exif()).await;
    assert_eq!(res.status(), 201);
    let meta: Value = res.json().await.unwrap();
    assert_eq!(meta["id"], id);
    assert_eq!(meta["log_date"], s.date(2).to_string());
    assert_eq!(
        (meta["width"].as_i64(), meta["height"].as_i64()),
        (Some(32), Some(64))
    );
    assert_eq!(meta["content_type"], "image/jpeg");
    assert_eq!(p.objects().await.len(), 2, "full image and thumbnail");

    // The retry of a queued upload answers the same photo and stores nothing new.
    let before = p.objects().await;
    let res = p.upload(2, id, "image/jpeg", jpeg_with_exif()).await;
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["created_at"], meta["created_at"]);
    assert_eq!(p.objects().await, before);

    // Full size: upright, no metadata at all, private and inline.
    let res = s.app.get(&p.path(2, id), Some(&me)).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["cache-control"], "private, no-store");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(
        h["content-disposition"].to_str().unwrap(),
        format!("inline; filename=\"photo-{}-{id}.jpg\"", s.date(2))
    );
    let full = res.bytes().await.unwrap().to_vec();
    let markers = segments(&full);
    assert!(
        !markers.iter().any(|m| (0xE1..=0xEF).contains(m)),
        "no APP1–APP15 segment (EXIF, XMP, ICC, maker data): {markers:x?}"
    );
    assert!(
        !full.windows(4).any(|w| w == b"Exif"),
        "no EXIF anywhere in the bytes"
    );
    let img = image::load_from_memory(&full).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (32, 64), "turned upright");
    assert!(
        is_red(img.get_pixel(16, 4)),
        "the sensor's left is now the top"
    );
    assert!(is_blue(img.get_pixel(16, 60)), "and its right the bottom");

    // Thumbnail.
    let res = s
        .app
        .get(&format!("{}?size=thumb", p.path(2, id)), Some(&me))
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .ends_with("-thumb.jpg\""));
    let thumb = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert!(thumb.width().max(thumb.height()) <= 512);
    assert_problem(
        s.app
            .get(&format!("{}?size=huge", p.path(2, id)), Some(&me))
            .await,
        422,
    )
    .await;

    // A large photo gets a thumbnail of 512 pixels on the long side.
    let res = p
        .upload(2, "PhotoDay2Number2", "image/png", png(1600, 900))
        .await;
    assert_eq!(res.status(), 201);
    let res = s
        .app
        .get(
            &format!("{}?size=thumb", p.path(2, "PhotoDay2Number2")),
            Some(&me),
        )
        .await;
    let thumb = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (512, 288));

    // The clinic's staff see it, and the read is audited.
    let res = s.app.get(&p.path(2, id), Some(&s.doc)).await;
    assert_eq!(res.status(), 200);
    let list: Value = s
        .app
        .get(
            &format!(
                "/v1/treatments/{}/logs/{}/photos",
                s.treatment_id(),
                s.date(2)
            ),
            Some(&s.doc),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let audit: Value = s
        .app
        .get("/v1/audit", Some(&s.admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "photo.read"),
        "{audit}"
    );

    // Another patient of the clinic, and another clinic, get 404.
    let other = s.app.enrolled_patient(&s.doc, "Europe/Berlin", 2).await;
    assert_problem(
        s.app.get(&p.path(2, id), Some(&other.access_token)).await,
        404,
    )
    .await;
    let elsewhere = s.app.new_clinic().await;
    let stranger = s.app.add_clinician(&elsewhere).await;
    assert_problem(s.app.get(&p.path(2, id), Some(&stranger)).await, 404).await;
    assert_problem(
        s.app
            .get(&p.path(2, id), Some(&elsewhere.admin_token))
            .await,
        404,
    )
    .await;

    // Refusals store nothing.
    let before = p.objects().await;
    let res = p
        .upload(2, "Refused000000001", "text/plain", b"hello".to_vec())
        .await;
    let body = assert_problem(res, 415).await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("image/jpeg")
            && detail.contains("image/png")
            && detail.contains("image/webp"),
        "{detail}"
    );
    assert_problem(
        p.upload(2, "Refused000000002", "image/heic", jpeg_with_exif())
            .await,
        415,
    )
    .await;
    let body = assert_problem(
        p.upload(
            2,
            "Refused000000003",
            "image/jpeg",
            b"not a picture at all".to_vec(),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "body");
    // A PNG sent as a JPEG is not a readable JPEG.
    assert_problem(
        p.upload(2, "Refused000000004", "image/jpeg", png(8, 8))
            .await,
        422,
    )
    .await;
    assert_problem(
        p.upload(2, "Refused000000005", "image/png", png_bomb())
            .await,
        422,
    )
    .await;
    let big = vec![0u8; 10 * 1024 * 1024 + 1];
    assert_problem(
        p.upload(2, "Refused000000006", "image/jpeg", big).await,
        413,
    )
    .await;
    // No log on that date yet.
    assert_problem(
        p.upload(3, "Refused000000007", "image/png", png(8, 8))
            .await,
        409,
    )
    .await;
    // Another patient cannot add to this log.
    let res = s
        .app
        .client
        .put(format!(
            "{}{}",
            s.app.address,
            p.path(2, "Refused000000008")
        ))
        .bearer_auth(&other.access_token)
        .header("content-type", "image/png")
        .body(png(8, 8))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404).await;
    assert_eq!(p.objects().await, before, "nothing stored by refusals");
    let list: Value = s
        .app
        .get(
            &format!(
                "/v1/treatments/{}/logs/{}/photos",
                s.treatment_id(),
                s.date(2)
            ),
            Some(&me),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "no rows either");

    // Sync: the other device lists the photos (never the image).
    let pull: Value = s
        .app
        .get("/v1/sync?last_pulled_at=null", Some(&me))
        .await
        .json()
        .await
        .unwrap();
    let rows = pull["changes"]["log_photos"]["updated"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let row = rows.iter().find(|r| r["id"] == id).unwrap();
    let mut keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "height",
            "id",
            "log_date",
            "treatment_id",
            "updated_at",
            "width"
        ]
    );
    let ts = pull["timestamp"].as_i64().unwrap();
    // An app of schema version 3 does not know the table and is not sent it.
    let old: Value = s
        .app
        .get("/v1/sync?last_pulled_at=null&schema_version=3", Some(&me))
        .await
        .json()
        .await
        .unwrap();
    assert!(old["changes"].get("log_photos").is_none(), "{old}");
    assert!(old["changes"].get("symptom_logs").is_some());
    // The app cannot push photos: the deletion is ignored and reported.
    let res = s
        .app
        .post(
            &format!("/v1/sync?last_pulled_at={ts}"),
            Some(&me),
            &json!({"changes": {"log_photos": {"created": [], "updated": [], "deleted": [id]}}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["experimentalRejectedIds"], json!({"log_photos": [id]}));
    assert_eq!(b["rejected"][0]["reason"], "read_only_table");
    assert_eq!(s.app.get(&p.path(2, id), Some(&me)).await.status(), 200);

    // Delete: gone for everyone, with its objects, and synced as deleted.
    let res = s
        .app
        .request(
            reqwest::Method::DELETE,
            &p.path(2, "PhotoDay2Number2"),
            Some(&me),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(
        s.app.get(&p.path(2, "PhotoDay2Number2"), Some(&me)).await,
        404,
    )
    .await;
    assert_problem(
        s.app
            .request(
                reqwest::Method::DELETE,
                &p.path(2, "PhotoDay2Number2"),
                Some(&me),
                None,
            )
            .await,
        404,
    )
    .await;
    assert_eq!(
        p.objects().await.len(),
        2,
        "only the first photo's two objects remain"
    );
    let pull: Value = s
        .app
        .get(&format!("/v1/sync?last_pulled_at={ts}"), Some(&me))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        pull["changes"]["log_photos"]["deleted"],
        json!(["PhotoDay2Number2"])
    );

    // Export: a ZIP with the JSON and the photo as stored.
    let res = s.app.get("/v1/me/export", Some(&me)).await;
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
    let name = format!("photos/{}/{}/{id}.jpg", s.treatment_id(), s.date(2));
    let mut inside = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name(&name).unwrap(), &mut inside).unwrap();
    assert_eq!(inside, full, "the exported photo is the stored one");
    let export = export_json_of(bytes);
    let listed = &export["treatments"][0]["photos"];
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["file"], name);

    // Erasure leaves no object behind.
    let res = s
        .app
        .request(reqwest::Method::DELETE, "/v1/me", Some(&me), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(p.objects().await, Vec::<String>::new());
}

fn export_json_of(zip: Vec<u8>) -> Value {
    let mut zip = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    serde_json::from_reader(zip.by_name("export.json").unwrap()).unwrap()
}

async fn photo_limits_say_which(backend: Backend, storage: Storage) {
    let p = PhotoApp::new(
        backend,
        storage,
        &[
            ("AFTERCARE_PHOTOS_PER_LOG", "2"),
            ("AFTERCARE_PHOTO_QUOTA", "3"),
        ],
    )
    .await;
    p.log(1).await;
    p.log(2).await;
    for n in 0..2 {
        let res = p
            .upload(1, &format!("Limit1Photo{n}"), "image/png", png(8, 8))
            .await;
        assert_eq!(res.status(), 201);
    }
    let body = assert_problem(
        p.upload(1, "Limit1Photo2", "image/png", png(8, 8)).await,
        409,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("photos per log"),
        "{body}"
    );
    assert_eq!(
        p.upload(2, "Limit2Photo0", "image/png", png(8, 8))
            .await
            .status(),
        201
    );
    let body = assert_problem(
        p.upload(2, "Limit2Photo1", "image/png", png(8, 8)).await,
        409,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("photo quota"),
        "{body}"
    );
    // A retry of a stored photo is still answered, over the limits or not.
    assert_eq!(
        p.upload(1, "Limit1Photo0", "image/png", png(8, 8))
            .await
            .status(),
        200
    );
    // The same id on another log is another photo: refused.
    assert_problem(
        p.upload(2, "Limit1Photo0", "image/png", png(8, 8)).await,
        409,
    )
    .await;
    assert_eq!(p.objects().await.len(), 6, "three photos, two objects each");
}

async fn the_sweep_removes_objects_with_no_row(backend: Backend, storage: Storage) {
    let p = PhotoApp::new(
        backend,
        storage,
        &[
            ("AFTERCARE_JOB_INTERVAL_SECS", "1"),
            ("AFTERCARE_MEDIA_SWEEP_GRACE_SECS", "2"),
        ],
    )
    .await;
    p.log(1).await;
    assert_eq!(
        p.upload(1, "KeptPhoto0000001", "image/png", png(8, 8))
            .await
            .status(),
        201
    );
    // What a crash between writing the object and its row leaves behind.
    let orphan = format!("photos/{}/Orphan.abc.jpg", p.s.patient.id);
    p.media
        .put(&orphan, vec![0xFF, 0xD8, 0xFF, 0xD9])
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while p.objects().await.contains(&orphan) {
        assert!(
            Instant::now() < deadline,
            "the sweep did not remove the orphan"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(p.objects().await.len(), 2, "the photo with a row stays");
    let res =
        p.s.app
            .get(
                &p.path(1, "KeptPhoto0000001"),
                Some(&p.s.patient.access_token),
            )
            .await;
    assert_eq!(res.status(), 200);
}

macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use super::Storage;
                use crate::helpers::Backend;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(Backend::Sqlite, Storage::Folder).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(Backend::Postgres, Storage::Folder).await
                }
                /// Never skipped: fails when no S3-compatible server is configured.
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn s3() {
                    super::$name(Backend::Sqlite, Storage::S3).await
                }
            }
        )*
    };
}

on_every_store!(
    photos_round_trip,
    photo_limits_say_which,
    the_sweep_removes_objects_with_no_row
);
