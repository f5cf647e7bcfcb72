//! Slipway's file store: content-addressed blobs on [`object_store`], the foundation of versioned files.
//!
//! One [`BlobStore`] serves every node's files from either the local data directory (`<data_dir>/files` by
//! default, or any directory `files_url` names) or an S3-compatible bucket (`files_url = "s3://bucket/prefix"`,
//! endpoint, region and keys from the usual `AWS_*` variables, e.g. `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`,
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`), so several nodes can share one.
//!
//! - [`BlobStore::put_stream`] streams an upload to a temporary key (multipart, a few parts in memory at most)
//!   while hashing it, refuses it past a byte limit ([`FileError::TooLarge`], the upload is aborted), then
//!   places it at `blobs/<aa>/<sha256>`; identical content is stored once.
//! - [`BlobStore::get_stream`], [`BlobStore::head`], [`BlobStore::exists`], [`BlobStore::delete`] address a
//!   blob by its SHA-256 hex digest.
//!
//! Which uploads are allowed (types, owners, versions) is the service's business above this crate; HTTP is
//! the surface's. Temporary keys (`tmp/…`) of uploads interrupted by a crash are not swept here.

mod error;
mod location;
mod store;

pub use error::FileError;
pub use location::{DEFAULT_DIR, Location};
pub use store::{BlobStore, BlobStream, StoredBlob};
