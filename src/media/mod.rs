//! Where photos live: a local folder by default, or S3-compatible object
//! storage when several processes share the work, both behind the
//! `object_store` crate. No database here: the use cases in `app::photos`
//! write an object first and its row second, and the sweep removes objects
//! that no row names.
//!
//! Keys: `photos/{patient id}/{photo id}.{nonce}` is a photo's base key (kept
//! in its row); the full image is `{base}.jpg` and its thumbnail `{base}.thumb.jpg`.
//! All of a patient's objects share the prefix `photos/{patient id}/`, so
//! erasure removes them by listing it.

pub mod image;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, ObjectStore, PutPayload, RetryConfig};

/// Where the media store is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaLocation {
    /// A local folder (created when missing).
    Dir(PathBuf),
    /// An S3-compatible bucket, with an optional key prefix.
    S3(S3Location),
}

#[derive(Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
    /// A custom endpoint (MinIO, Ceph, moto, …); AWS when absent.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

// Never prints the keys.
impl std::fmt::Debug for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

impl S3Location {
    /// Parses `s3://bucket[/prefix]`.
    pub fn parse_url(url: &str) -> Option<(String, String)> {
        let rest = url.trim().strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let ok = !bucket.is_empty()
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        ok.then(|| (bucket.to_string(), prefix.trim_matches('/').to_string()))
    }
}

/// A storage failure; its text names no patient data.
#[derive(Debug, thiserror::Error)]
#[error("media store: {0}")]
pub struct MediaError(String);

impl From<object_store::Error> for MediaError {
    fn from(e: object_store::Error) -> Self {
        Self(e.to_string())
    }
}

#[derive(Clone)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    describe: String,
}

/// A new base key for a photo: each upload writes objects of its own, so a
/// refused or racing upload never overwrites a stored photo's objects.
pub fn photo_key(patient_id: &str, photo_id: &str) -> String {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    format!("photos/{patient_id}/{photo_id}.{}", &nonce[..12])
}

pub fn full_key(base: &str) -> String {
    format!("{base}.jpg")
}

pub fn thumb_key(base: &str) -> String {
    format!("{base}.thumb.jpg")
}

/// The base key an object belongs to.
pub fn base_of(key: &str) -> &str {
    key.strip_suffix(".thumb.jpg")
        .or_else(|| key.strip_suffix(".jpg"))
        .unwrap_or(key)
}

impl MediaStore {
    pub fn open(location: &MediaLocation) -> Result<Self, String> {
        match location {
            MediaLocation::Dir(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                let fs = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| format!("cannot use {}: {e}", dir.display()))?;
                Ok(Self {
                    store: Arc::new(fs),
                    describe: format!("folder {}", dir.display()),
                })
            }
            MediaLocation::S3(s3) => {
                let mut b = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_client_options(
                        ClientOptions::new()
                            .with_timeout(Duration::from_secs(30))
                            .with_connect_timeout(Duration::from_secs(5)),
                    )
                    .with_retry(RetryConfig {
                        max_retries: 3,
                        retry_timeout: Duration::from_secs(30),
                        ..Default::default()
                    });
                if let Some(endpoint) = &s3.endpoint {
                    b = b
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        // Path-style URLs: what S3-compatible servers expect.
                        .with_virtual_hosted_style_request(false);
                }
                if let Some(k) = &s3.access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(k) = &s3.secret_access_key {
                    b = b.with_secret_access_key(k);
                }
                if let Some(t) = &s3.session_token {
                    b = b.with_token(t);
                }
                let store = b.build().map_err(|e| format!("S3 storage: {e}"))?;
                let describe = format!("{s3:?}");
                let store: Arc<dyn ObjectStore> = if s3.prefix.is_empty() {
                    Arc::new(store)
                } else {
                    Arc::new(PrefixStore::new(store, s3.prefix.as_str()))
                };
                Ok(Self { store, describe })
            }
        }
    }

    /// Where the media are, for the log (no credentials).
    pub fn describe(&self) -> &str {
        &self.describe
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), MediaError> {
        self.store
            .put(&Path::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// The object's bytes, or `None` when there is no such object.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, MediaError> {
        match self.store.get(&Path::from(key)).await {
            Ok(r) => Ok(Some(r.bytes().await?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the object; a missing one is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), MediaError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a photo's full image and thumbnail.
    pub async fn delete_photo(&self, base: &str) -> Result<(), MediaError> {
        self.delete(&full_key(base)).await?;
        self.delete(&thumb_key(base)).await
    }

    /// Every object under `prefix`, with when it was last written.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, DateTime<Utc>)>, MediaError> {
        let prefix = Path::from(prefix);
        let mut stream = self.store.list(Some(&prefix));
        let mut out = Vec::new();
        while let Some(meta) = stream.next().await {
            match meta {
                Ok(m) => out.push((m.location.to_string(), m.last_modified)),
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// Removes every object under `prefix`; how many there were.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, MediaError> {
        let objects = self.list(prefix).await?;
        for (key, _) in &objects {
            self.delete(key).await?;
        }
        Ok(objects.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls() {
        assert_eq!(
            S3Location::parse_url("s3://photos-bucket/clinic/a/"),
            Some(("photos-bucket".into(), "clinic/a".into()))
        );
        assert_eq!(
            S3Location::parse_url("s3://b"),
            Some(("b".into(), String::new()))
        );
        assert_eq!(S3Location::parse_url("https://b/x"), None);
        assert_eq!(S3Location::parse_url("s3:///x"), None);
    }

    #[test]
    fn keys_come_back_to_their_base() {
        let base = photo_key("p1", "AbC123");
        assert_eq!(base_of(&full_key(&base)), base);
        assert_eq!(base_of(&thumb_key(&base)), base);
    }

    #[tokio::test]
    async fn a_folder_store_round_trips_and_lists() {
        let dir =
            std::env::temp_dir().join(format!("aftercare-media-unit-{}", uuid::Uuid::new_v4()));
        let m = MediaStore::open(&MediaLocation::Dir(dir.clone())).unwrap();
        m.put("photos/p/a.jpg", vec![1, 2, 3]).await.unwrap();
        m.put("photos/p/a.thumb.jpg", vec![4]).await.unwrap();
        assert_eq!(m.get("photos/p/a.jpg").await.unwrap(), Some(vec![1, 2, 3]));
        assert_eq!(m.get("photos/p/none.jpg").await.unwrap(), None);
        assert_eq!(m.list("photos/p").await.unwrap().len(), 2);
        assert_eq!(m.delete_prefix("photos/p").await.unwrap(), 2);
        assert!(m.list("photos").await.unwrap().is_empty());
        m.delete("photos/p/a.jpg").await.unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }
}
