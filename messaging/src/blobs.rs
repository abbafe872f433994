//! The blob store of attachments: sealed bytes under names this service makes (a thread id
//! and a hex MAC, never anything a person typed). This is the filesystem store, a folder every
//! node shares; the S3-compatible store (`object_store`) is to come beside it, behind the same
//! operations: a temporary blob written as the upload streams, then kept under its name or
//! dropped.

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt as _;
use uuid::Uuid;

/// The filesystem blob store.
#[derive(Debug, Clone)]
pub struct Blobs {
    root: PathBuf,
}

/// A blob being written.
#[derive(Debug)]
pub struct Upload {
    path: PathBuf,
    file: tokio::fs::File,
}

impl Upload {
    /// Appends bytes.
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes).await
    }
}

impl Blobs {
    /// The store under `root` (made on first use).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
        }
    }

    /// Starts a temporary blob.
    pub async fn start(&self) -> std::io::Result<Upload> {
        let dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&dir).await?;
        let path = dir.join(Uuid::now_v7().simple().to_string());
        let file = tokio::fs::File::create(&path).await?;
        Ok(Upload { path, file })
    }

    /// Keeps a finished upload under `name` (`<thread>/<hex>`); when a blob of that name is
    /// already there (the same content in the same thread), the upload is dropped instead.
    pub async fn keep(&self, mut upload: Upload, name: &str) -> std::io::Result<()> {
        upload.file.flush().await?;
        upload.file.sync_all().await?;
        let target = self.path(name);
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        if tokio::fs::try_exists(&target).await? {
            return tokio::fs::remove_file(&upload.path).await;
        }
        tokio::fs::rename(&upload.path, &target).await
    }

    /// Drops an upload (too large, refused, interrupted): nothing stays.
    pub async fn drop_upload(&self, upload: Upload) {
        let Upload { path, file } = upload;
        drop(file);
        if let Err(e) = tokio::fs::remove_file(&path).await {
            tracing::warn!(error = %e, path = %path.display(), "a dropped upload could not be removed");
        }
    }

    /// Opens a kept blob.
    pub async fn open(&self, name: &str) -> std::io::Result<tokio::fs::File> {
        tokio::fs::File::open(self.path(name)).await
    }

    /// Removes a kept blob (no attachment refers to it any more).
    pub async fn remove(&self, name: &str) -> std::io::Result<()> {
        tokio::fs::remove_file(self.path(name)).await
    }

    /// Deletes temporary uploads older than `age` (a node that died mid-upload).
    pub async fn remove_stale_uploads(&self, age: std::time::Duration) {
        let Ok(mut entries) = tokio::fs::read_dir(self.root.join("tmp")).await else {
            return;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let stale = entry
                .metadata()
                .await
                .and_then(|m| m.modified())
                .is_ok_and(|at| at.elapsed().is_ok_and(|e| e > age));
            if stale {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}
