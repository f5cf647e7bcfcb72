//! The content-addressed blob store: streamed, hashed uploads placed at their SHA-256, and streamed reads.

use std::path::Path as FsPath;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};

use crate::{FileError, Location};

/// Parts of an upload in flight to the store at once; with the part being filled this bounds an upload's
/// memory to about three parts.
const PARTS_IN_FLIGHT: usize = 2;

/// A blob as stored: its content digest and length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// SHA-256 of the content, lowercase hex; also its address.
    pub sha256: String,
    /// Length in bytes.
    pub size: u64,
}

/// A blob's content as a stream of chunks.
pub type BlobStream = BoxStream<'static, Result<Bytes, FileError>>;

/// Blobs addressed by their SHA-256 in a local directory or an S3-compatible bucket.
#[derive(Debug, Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    location: Location,
}

impl BlobStore {
    /// Opens the store `url` names (see [`Location::parse`]); S3 credentials and endpoint come from the process
    /// environment's `AWS_*` variables.
    pub fn open(url: Option<&str>, data_dir: &FsPath) -> Result<Self, FileError> {
        Self::open_with_env(url, data_dir, std::env::vars())
    }

    /// Opens the store configured in `config.files`.
    pub fn from_config(config: &slipway_core::Config) -> Result<Self, FileError> {
        Self::open(config.files.url.as_deref(), &config.data_dir)
    }

    /// As [`BlobStore::open`], with the `AWS_*` settings taken from `env` instead of the process environment.
    pub fn open_with_env<I, K, V>(url: Option<&str>, data_dir: &FsPath, env: I) -> Result<Self, FileError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let location = Location::parse(url, data_dir)?;
        Ok(Self { store: location.connect(env)?, location })
    }

    /// Where this store keeps its blobs.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Streams `body` to the store while hashing it and places it at its digest; content already stored is kept
    /// once. More than `limit` bytes is [`FileError::TooLarge`]; on any failure nothing of the upload remains.
    pub async fn put_stream<S, E>(&self, body: S, limit: u64) -> Result<StoredBlob, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let temp = Path::from(format!("tmp/{}", uuid::Uuid::new_v4().simple()));
        let upload = self.store.put_multipart(&temp).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.location.part_size());
        let blob = match feed(&mut writer, body, limit).await {
            Ok(blob) => blob,
            Err(e) => {
                // Best effort: a bucket should also expire incomplete multipart uploads by a lifecycle rule.
                let _ = writer.abort().await;
                return Err(e);
            }
        };
        writer.finish().await?;
        if let Err(e) = self.place(&temp, &blob.sha256).await {
            let _ = self.store.delete(&temp).await;
            return Err(e);
        }
        Ok(blob)
    }

    /// Moves a finished upload to its content address, or drops it when that content is already there.
    async fn place(&self, temp: &Path, sha256: &str) -> Result<(), FileError> {
        let key = blob_key(sha256);
        match self.store.head(&key).await {
            Ok(_) => Ok(self.store.delete(temp).await?),
            // Two uploads of the same content may both get here; both write identical bytes, so the later
            // overwrite is harmless (S3 has no portable copy-if-not-exists).
            Err(object_store::Error::NotFound { .. }) => Ok(self.store.rename(temp, &key).await?),
            Err(e) => Err(e.into()),
        }
    }

    /// The blob's size and its content as a stream.
    pub async fn get_stream(&self, sha256: &str) -> Result<(u64, BlobStream), FileError> {
        let key = checked_key(sha256)?;
        let result = self.store.get(&key).await.map_err(|e| not_found(e, sha256))?;
        Ok((result.meta.size, result.into_stream().map_err(FileError::from).boxed()))
    }

    /// The stored blob with this digest.
    pub async fn head(&self, sha256: &str) -> Result<StoredBlob, FileError> {
        let key = checked_key(sha256)?;
        let meta = self.store.head(&key).await.map_err(|e| not_found(e, sha256))?;
        Ok(StoredBlob { sha256: sha256.to_owned(), size: meta.size })
    }

    /// Whether a blob with this digest is stored.
    pub async fn exists(&self, sha256: &str) -> Result<bool, FileError> {
        match self.head(sha256).await {
            Ok(_) => Ok(true),
            Err(FileError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Removes the blob; removing one that is not there is not an error (S3 semantics, and safe to retry).
    pub async fn delete(&self, sha256: &str) -> Result<(), FileError> {
        let key = checked_key(sha256)?;
        match self.store.delete(&key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Hashes and counts `body` into `writer`, refusing it once it passes `limit`.
async fn feed<S, E>(writer: &mut WriteMultipart, body: S, limit: u64) -> Result<StoredBlob, FileError>
where
    S: Stream<Item = Result<Bytes, E>> + Send,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut body = std::pin::pin!(body);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| FileError::Upload(e.into()))?;
        size = size.saturating_add(chunk.len() as u64);
        if size > limit {
            return Err(FileError::TooLarge { limit });
        }
        hasher.update(&chunk);
        writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        writer.put(chunk);
    }
    Ok(StoredBlob { sha256: hex(&hasher.finalize()), size })
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `blobs/<first two hex digits>/<sha256>`: at most 256 entries per directory level on a local disk.
fn blob_key(sha256: &str) -> Path {
    Path::from(format!("blobs/{}/{sha256}", &sha256[..2]))
}

/// The key of a well-formed digest; anything else names no blob (and never reaches the store as a path).
fn checked_key(sha256: &str) -> Result<Path, FileError> {
    let well_formed = sha256.len() == 64 && sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if well_formed { Ok(blob_key(sha256)) } else { Err(FileError::NotFound(sha256.to_owned())) }
}

fn not_found(e: object_store::Error, sha256: &str) -> FileError {
    match e {
        object_store::Error::NotFound { .. } => FileError::NotFound(sha256.to_owned()),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lowercase_sha256_hex_names_a_blob() {
        let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(checked_key(sha).ok(), Some(Path::from(format!("blobs/e3/{sha}"))));
        for bad in ["", "e3b0", &sha.to_uppercase(), &format!("{}/..", &sha[..61]), &format!("{sha}0")] {
            assert!(matches!(checked_key(bad), Err(FileError::NotFound(_))), "{bad:?} accepted");
        }
    }

    #[test]
    fn digests_are_lowercase_hex() {
        assert_eq!(hex(&Sha256::digest(b"")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
