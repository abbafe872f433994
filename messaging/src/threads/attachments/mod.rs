//! Attachments: uploaded as a stream into a thread the caller may see (sealed chunk by chunk
//! under the thread's key, hashed, its type read from its first bytes), then sent with a
//! message; downloaded by whoever may see that message. A file too large, of a refused type,
//! or whose upload was cut leaves nothing behind: no row, no blob.

mod download;
mod upload;

pub use download::{Download, download};
pub use upload::{Sealed, UploadError, clean_name, discard, seal, upload, withdraw};

/// How an upload's body arrives: chunks of bytes, or an error when the client went away.
pub trait BodyChunks:
    futures_util::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin + Send
{
}
impl<T> BodyChunks for T where
    T: futures_util::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin + Send
{
}
