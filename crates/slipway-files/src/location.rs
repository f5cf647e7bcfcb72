//! Where blobs live: a directory on this machine or an S3-compatible bucket, parsed from the configured URL.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;

use crate::FileError;

/// The directory under the data dir used when no location is configured.
pub const DEFAULT_DIR: &str = "files";

/// A parsed file store location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory on this machine (created when missing).
    Local(PathBuf),
    /// A bucket of an S3-compatible service and a key prefix inside it (empty: the bucket's root).
    S3 {
        /// The bucket name.
        bucket: String,
        /// Key prefix, without leading or trailing `/`.
        prefix: String,
    },
}

impl Location {
    /// Parses `url`: `None` is `<data_dir>/files`, a plain path or `file:///abs/path` a directory,
    /// `s3://bucket/prefix` a bucket.
    pub fn parse(url: Option<&str>, data_dir: &Path) -> Result<Self, FileError> {
        let Some(url) = url.map(str::trim) else {
            return Ok(Self::Local(data_dir.join(DEFAULT_DIR)));
        };
        let invalid = |message: &str| FileError::Location { location: url.to_owned(), message: message.to_owned() };
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(invalid("names no bucket"));
            }
            let prefix = prefix.trim_matches('/');
            object_store::path::Path::parse(prefix).map_err(|e| invalid(&e.to_string()))?;
            return Ok(Self::S3 { bucket: bucket.to_owned(), prefix: prefix.to_owned() });
        }
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(invalid("a file:// URL needs an absolute path (file:///srv/files)"));
            }
            return Ok(Self::Local(PathBuf::from(path)));
        }
        if url.contains("://") {
            return Err(invalid("must be a directory, file:///path or s3://bucket/prefix"));
        }
        if url.is_empty() {
            return Err(invalid("is empty"));
        }
        Ok(Self::Local(PathBuf::from(url)))
    }

    /// Opens the store; S3 settings (endpoint, region, keys, `AWS_ALLOW_HTTP`) come from the `AWS_*` entries of
    /// `env`, read as `object_store`'s `AmazonS3Builder::from_env` reads the process environment.
    pub(crate) fn connect<I, K, V>(&self, env: I) -> Result<Arc<dyn ObjectStore>, FileError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        match self {
            Self::Local(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| FileError::Location {
                    location: dir.display().to_string(),
                    message: format!("cannot create the directory: {e}"),
                })?;
                Ok(Arc::new(LocalFileSystem::new_with_prefix(dir)?))
            }
            Self::S3 { bucket, prefix } => {
                // reqwest is built without a crypto provider of its own (a no-op when the binary installed it).
                let _ = rustls::crypto::ring::default_provider().install_default();
                let mut builder = AmazonS3Builder::new();
                for (key, value) in env {
                    let key = key.as_ref();
                    if !key.starts_with("AWS_") {
                        continue;
                    }
                    if let Ok(config_key) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                        builder = builder.with_config(config_key, value);
                    }
                }
                let s3: Arc<dyn ObjectStore> = Arc::new(builder.with_bucket_name(bucket).build()?);
                Ok(if prefix.is_empty() { s3 } else { Arc::new(PrefixStore::new(s3, prefix.as_str())) })
            }
        }
    }

    /// Bytes sent to the store per part of an upload: S3 needs at least 5 MiB (but the last), a local file
    /// takes smaller writes, which keep memory low.
    pub(crate) fn part_size(&self) -> usize {
        match self {
            Self::Local(_) => 1024 * 1024,
            Self::S3 { .. } => 5 * 1024 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: Option<&str>) -> Result<Location, FileError> {
        Location::parse(url, Path::new("/data"))
    }

    #[test]
    fn urls_name_a_directory_or_a_bucket() {
        assert_eq!(parse(None).ok(), Some(Location::Local("/data/files".into())));
        assert_eq!(parse(Some("./blobs")).ok(), Some(Location::Local("./blobs".into())));
        assert_eq!(parse(Some("file:///srv/f")).ok(), Some(Location::Local("/srv/f".into())));
        let s3 = |bucket: &str, prefix: &str| Some(Location::S3 { bucket: bucket.into(), prefix: prefix.into() });
        assert_eq!(parse(Some("s3://b")).ok(), s3("b", ""));
        assert_eq!(parse(Some("s3://b/")).ok(), s3("b", ""));
        assert_eq!(parse(Some("s3://b/slip/way/")).ok(), s3("b", "slip/way"));
    }

    #[test]
    fn unusable_urls_are_refused() {
        for url in ["", "s3://", "s3:///prefix", "s3://b/a/../c", "file://rel", "gs://b", "https://x/b"] {
            assert!(matches!(parse(Some(url)), Err(FileError::Location { .. })), "{url:?} accepted");
        }
    }
}
