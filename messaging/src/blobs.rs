//! The blob store of attachments: sealed bytes under names this service makes (a thread id
//! and a hex MAC, never anything a person typed), behind `object_store`'s `ObjectStore` trait:
//! a folder every node shares (`fs`, the default) or any S3-compatible bucket (`s3`).
//!
//! An upload streams into a temporary blob (`tmp/<uuid>`, sent in parts as it arrives, so a
//! file is never held whole), then is kept under its name or dropped. A temporary blob a dead
//! node left behind is removed by the janitor.

use std::path::Path as FsPath;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Bytes;
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{GetResultPayload, ObjectStore};
use tokio::io::AsyncWriteExt as _;
use uuid::Uuid;

use crate::config::{AttachmentsConfig, BlobStoreKind};

/// Bytes buffered before a part is sent (S3 needs at least 5 MiB per part but the last).
const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts in flight per upload: with [`PART_BYTES`], at most about 24 MiB per upload in memory.
const PARTS_IN_FLIGHT: usize = 2;
/// Read size of a blob on the filesystem.
const READ_BYTES: usize = 256 * 1024;
/// Where uploads are written before they are kept.
const TMP: &str = "tmp";

/// The blob store.
#[derive(Debug, Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

/// A blob being written.
#[derive(Debug)]
pub struct Upload {
    path: Path,
    writer: BufWriter,
}

/// A kept blob, read as it arrives.
pub type BlobReader = Pin<Box<dyn tokio::io::AsyncRead + Send>>;

impl Upload {
    /// Appends bytes (sent as a part once enough are buffered).
    pub async fn write(&mut self, bytes: Bytes) -> std::io::Result<()> {
        self.writer.put(bytes).await.map_err(io)
    }
}

impl Blobs {
    /// The store `config` names: the folder is made when missing; the bucket must exist.
    pub fn open(config: &AttachmentsConfig) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match config.store {
            BlobStoreKind::Fs => Arc::new(local(&config.fs_root)?),
            BlobStoreKind::S3 => {
                let s3 = config.s3.as_ref().ok_or_else(|| {
                    anyhow::anyhow!("configuration key `attachments.s3`: missing")
                })?;
                let secret = std::fs::read_to_string(&s3.secret_access_key_file).map_err(|e| {
                    anyhow::anyhow!(
                        "attachments.s3.secret_access_key_file {}: {e}",
                        s3.secret_access_key_file.display()
                    )
                })?;
                let store = object_store::aws::AmazonS3Builder::new()
                    .with_endpoint(&s3.endpoint)
                    .with_allow_http(s3.endpoint.starts_with("http://"))
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(secret.trim())
                    .build()?;
                match s3.prefix.as_deref() {
                    Some(prefix) => Arc::new(object_store::prefix::PrefixStore::new(store, prefix)),
                    None => Arc::new(store),
                }
            }
        };
        Ok(Self { store })
    }

    /// Starts a temporary blob.
    pub fn start(&self) -> Upload {
        let path = Path::from_iter([TMP, &Uuid::now_v7().simple().to_string()]);
        let writer = BufWriter::with_capacity(Arc::clone(&self.store), path.clone(), PART_BYTES)
            .with_max_concurrency(PARTS_IN_FLIGHT);
        Upload { path, writer }
    }

    /// Keeps a finished upload under `name` (`<thread>/<hex>`); when a blob of that name is
    /// already there (the same content in the same thread), the upload is dropped instead.
    pub async fn keep(&self, mut upload: Upload, name: &str) -> std::io::Result<()> {
        if let Err(e) = upload.writer.shutdown().await {
            // A part or the completion failed: the object, if any, goes; an unfinished
            // multipart upload is the bucket's lifecycle rule's (docs/MESSAGING.md).
            let _ = self.delete(&upload.path).await;
            return Err(e);
        }
        let target = Path::from(name);
        match self.store.rename_if_not_exists(&upload.path, &target).await {
            Ok(()) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => self.delete(&upload.path).await,
            // S3 has no rename: the blob is copied inside the store unless it is there.
            Err(object_store::Error::NotImplemented | object_store::Error::NotSupported { .. }) => {
                let copied = match self.store.head(&target).await {
                    Ok(_) => Ok(()),
                    Err(object_store::Error::NotFound { .. }) => {
                        self.store.copy(&upload.path, &target).await.map_err(io)
                    }
                    Err(e) => Err(io(e)),
                };
                let removed = self.delete(&upload.path).await;
                copied.and(removed)
            }
            Err(e) => {
                let _ = self.delete(&upload.path).await;
                Err(io(e))
            }
        }
    }

    /// Drops an upload (too large, refused, interrupted): nothing stays.
    pub async fn drop_upload(&self, mut upload: Upload) {
        // Before its first part, nothing was sent; after it, the multipart upload is aborted.
        if let Err(e) = upload.writer.abort().await {
            tracing::warn!(error = %e, path = %upload.path, "a dropped upload could not be aborted");
        }
    }

    /// Opens a kept blob.
    pub async fn open_blob(&self, name: &str) -> std::io::Result<BlobReader> {
        let got = self.store.get(&Path::from(name)).await.map_err(io)?;
        Ok(match got.payload {
            GetResultPayload::File(file, _) => Box::pin(tokio::io::BufReader::with_capacity(
                READ_BYTES,
                tokio::fs::File::from_std(file),
            )),
            GetResultPayload::Stream(stream) => {
                Box::pin(tokio_util::io::StreamReader::new(stream.map_err(io)))
            }
        })
    }

    /// Removes a kept blob (no attachment refers to it any more).
    pub async fn remove(&self, name: &str) -> std::io::Result<()> {
        self.delete(&Path::from(name)).await
    }

    /// Whether a blob of that name is kept (for tests and checks).
    pub async fn exists(&self, name: &str) -> std::io::Result<bool> {
        match self.store.head(&Path::from(name)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(io(e)),
        }
    }

    /// Every blob name in the store (temporary ones included).
    pub async fn names(&self) -> std::io::Result<Vec<String>> {
        self.store
            .list(None)
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(io)
    }

    /// Deletes temporary uploads older than `age` (a node that died mid-upload).
    pub async fn remove_stale_uploads(&self, age: std::time::Duration) {
        let Ok(age) = chrono::Duration::from_std(age) else {
            return;
        };
        let before = chrono::Utc::now() - age;
        let mut stale = self
            .store
            .list(Some(&Path::from(TMP)))
            .try_filter(|meta| std::future::ready(meta.last_modified < before))
            .boxed();
        while let Some(Ok(meta)) = stale.next().await {
            let _ = self.delete(&meta.location).await;
        }
    }

    async fn delete(&self, path: &Path) -> std::io::Result<()> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(io(e)),
        }
    }
}

/// The folder store, made when missing; empty folders go with their last blob.
fn local(root: &FsPath) -> anyhow::Result<object_store::local::LocalFileSystem> {
    std::fs::create_dir_all(root)
        .map_err(|e| anyhow::anyhow!("attachments.fs_root {}: {e}", root.display()))?;
    Ok(object_store::local::LocalFileSystem::new_with_prefix(root)?.with_automatic_cleanup(true))
}

fn io(e: object_store::Error) -> std::io::Error {
    match e {
        object_store::Error::NotFound { .. } => {
            std::io::Error::new(std::io::ErrorKind::NotFound, e.to_string())
        }
        e => std::io::Error::other(e),
    }
}
