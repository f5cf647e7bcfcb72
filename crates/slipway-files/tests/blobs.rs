//! Every behaviour of the blob store, on a local directory and on an S3 bucket (moto).

mod common;

use bytes::Bytes;
use common::TestStore;
use futures_util::{StreamExt, TryStreamExt, stream};
use sha2::{Digest, Sha256};
use slipway_files::{FileError, StoredBlob};

const MIB: usize = 1024 * 1024;

/// Deterministic pseudo-random bytes (xorshift), different for each seed.
fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// `data` as an upload body of uneven chunks, so chunks straddle the store's part boundaries.
fn body(data: &[u8]) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + use<> {
    let chunks: Vec<_> = data.chunks(300_007).map(Bytes::copy_from_slice).map(Ok).collect();
    stream::iter(chunks)
}

fn sha_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

async fn read_all(t: &TestStore, sha: &str) -> (u64, Vec<u8>, usize) {
    let (size, chunks) = t.store.get_stream(sha).await.expect("read the blob");
    let chunks: Vec<Bytes> = chunks.try_collect().await.expect("stream the blob");
    (size, chunks.concat(), chunks.len())
}

async fn a_multi_part_upload_round_trips(t: &TestStore) {
    let data = content(20 * MIB + 12_345, 1);
    let stored = t.store.put_stream(body(&data), 100 * MIB as u64).await.expect("upload");
    assert_eq!(stored, StoredBlob { sha256: sha_hex(&data), size: data.len() as u64 });
    assert_eq!(t.store.head(&stored.sha256).await.expect("head"), stored);
    assert!(t.store.exists(&stored.sha256).await.expect("exists"));
    let (size, read, chunks) = read_all(t, &stored.sha256).await;
    assert_eq!(size, data.len() as u64);
    assert!(read == data, "the content read back differs from the upload");
    assert!(chunks > 1, "20 MiB came back in one chunk: the read is not streamed");
    let keys = t.keys().await;
    let key = format!("blobs/{}/{}", &stored.sha256[..2], stored.sha256);
    assert!(keys.iter().any(|k| k.ends_with(&key)), "{key} not among {keys:?}");
}

async fn identical_content_is_stored_once(t: &TestStore) {
    let data = content(6 * MIB, 2);
    let first = t.store.put_stream(body(&data), 10 * MIB as u64).await.expect("first upload");
    let second = t.store.put_stream(body(&data), 10 * MIB as u64).await.expect("second upload");
    assert_eq!(first, second);
    let other = t.store.put_stream(body(b"something else"), 10 * MIB as u64).await.expect("third upload");
    assert_ne!(other.sha256, first.sha256);
    let keys = t.keys().await;
    assert_eq!(keys.len(), 2, "two distinct contents, two objects, no temporaries: {keys:?}");
    assert_eq!(t.pending_uploads().await, 0);
}

async fn an_upload_over_the_limit_leaves_nothing(t: &TestStore) {
    let limit = 6 * MIB as u64;
    let exactly = content(limit as usize, 3);
    let kept = t.store.put_stream(body(&exactly), limit).await.expect("an upload of exactly the limit");
    assert_eq!(kept.size, limit);
    let over = content(limit as usize + 1, 4);
    let err = t.store.put_stream(body(&over), limit).await.expect_err("one byte over the limit");
    assert!(matches!(err, FileError::TooLarge { limit: l } if l == limit), "{err:?}");
    assert!(!t.store.exists(&sha_hex(&over)).await.expect("exists"));
    let keys = t.keys().await;
    assert_eq!(keys.len(), 1, "only the upload within the limit remains: {keys:?}");
    assert_eq!(t.pending_uploads().await, 0, "the refused upload was not aborted");
}

async fn an_interrupted_upload_leaves_nothing(t: &TestStore) {
    let data = content(7 * MIB, 5);
    let failing = body(&data).take(20).chain(stream::iter([Err(std::io::Error::other("client went away"))]));
    let err = t.store.put_stream(failing, 100 * MIB as u64).await.expect_err("a failing body");
    assert!(matches!(&err, FileError::Upload(e) if e.to_string().contains("went away")), "{err:?}");
    assert!(t.keys().await.is_empty());
    assert_eq!(t.pending_uploads().await, 0, "the interrupted upload was not aborted");
}

async fn an_empty_upload_is_a_blob_too(t: &TestStore) {
    let stored = t.store.put_stream(body(b""), 10).await.expect("an empty upload");
    assert_eq!(stored.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(read_all(t, &stored.sha256).await.0, 0);
}

async fn a_missing_blob_is_not_found(t: &TestStore) {
    let missing = sha_hex(b"never uploaded");
    assert!(matches!(t.store.get_stream(&missing).await, Err(FileError::NotFound(s)) if s == missing));
    assert!(matches!(t.store.head(&missing).await, Err(FileError::NotFound(_))));
    assert!(!t.store.exists(&missing).await.expect("exists"));
    for malformed in ["../../etc/passwd", "ABC", ""] {
        assert!(matches!(t.store.get_stream(malformed).await, Err(FileError::NotFound(_))), "{malformed:?}");
    }
}

async fn a_deleted_blob_is_gone(t: &TestStore) {
    let stored = t.store.put_stream(body(b"short-lived"), 100).await.expect("upload");
    let kept = t.store.put_stream(body(b"kept"), 100).await.expect("upload");
    t.store.delete(&stored.sha256).await.expect("delete");
    assert!(!t.store.exists(&stored.sha256).await.expect("exists"));
    assert!(matches!(t.store.get_stream(&stored.sha256).await, Err(FileError::NotFound(_))));
    t.store.delete(&stored.sha256).await.expect("deleting again is not an error");
    assert!(t.store.exists(&kept.sha256).await.expect("exists"), "deleting one blob removed another");
    assert_eq!(t.keys().await.len(), 1);
}

on_both_stores!(
    a_multi_part_upload_round_trips,
    identical_content_is_stored_once,
    an_upload_over_the_limit_leaves_nothing,
    an_interrupted_upload_leaves_nothing,
    an_empty_upload_is_a_blob_too,
    a_missing_blob_is_not_found,
    a_deleted_blob_is_gone,
);
