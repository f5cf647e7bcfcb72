//! Upload and download throughput of a 100 MiB file on the local store, and how much the process's resident
//! memory grows meanwhile (it should not: both directions stream).
//!
//! `cargo run --release -p slipway-files --example throughput [-- DIR]`; DIR (default: the system temp dir)
//! is where the temporary store is made, so the disk under test can be chosen.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use slipway_files::BlobStore;

const MIB: usize = 1024 * 1024;
const SIZE_MIB: usize = 100;
/// Size of one chunk of the generated body, like a large HTTP body frame.
const CHUNK: usize = 256 * 1024;

/// The process's resident set in KiB, from /proc/self/status.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Samples RSS every few milliseconds until dropped; the peak is read with [`Peak::max`].
struct Peak {
    max: std::sync::Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Peak {
    fn start() -> Self {
        let max = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(rss_kib()));
        let seen = max.clone();
        let task = tokio::spawn(async move {
            loop {
                seen.fetch_max(rss_kib(), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        Self { max, task }
    }

    fn max(self) -> u64 {
        self.task.abort();
        self.max.load(std::sync::atomic::Ordering::Relaxed).max(rss_kib())
    }
}

/// 100 MiB of distinct chunks, made on the fly from one pseudo-random MiB so the body itself is never held.
fn body(pattern: Bytes) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let chunks_per_pattern = MIB / CHUNK;
    stream::iter(0..SIZE_MIB * chunks_per_pattern).map(move |i| {
        let at = (i % chunks_per_pattern) * CHUNK;
        let mut chunk = pattern.slice(at..at + CHUNK).to_vec();
        chunk[..8].copy_from_slice(&(i as u64).to_le_bytes());
        Ok(Bytes::from(chunk))
    })
}

fn pattern() -> Bytes {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let bytes: Vec<u8> = (0..MIB)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    Bytes::from(bytes)
}

fn mib_per_s(elapsed: Duration) -> f64 {
    SIZE_MIB as f64 / elapsed.as_secs_f64()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let parent = std::env::args().nth(1).map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&parent)?;
    let store = BlobStore::open(Some(&dir.path().display().to_string()), dir.path())?;
    let pattern = pattern();
    let baseline = rss_kib();

    let peak = Peak::start();
    let started = Instant::now();
    let blob = store.put_stream(body(pattern), (SIZE_MIB * MIB) as u64).await?;
    let upload = started.elapsed();
    let upload_peak = peak.max();

    let peak = Peak::start();
    let started = Instant::now();
    let (size, mut chunks) = store.get_stream(&blob.sha256).await?;
    let (mut read, mut count) = (0u64, 0usize);
    while let Some(chunk) = chunks.next().await {
        read += chunk?.len() as u64;
        count += 1;
    }
    let download = started.elapsed();
    let download_peak = peak.max();
    assert_eq!((size, read), (blob.size, blob.size), "the blob read back has another size");

    println!("store: {} ({SIZE_MIB} MiB, {CHUNK} B upload chunks, {count} download chunks)", dir.path().display());
    println!("upload:   {:7.1} MiB/s  ({:.3} s, hashing included)", mib_per_s(upload), upload.as_secs_f64());
    println!("download: {:7.1} MiB/s  ({:.3} s)", mib_per_s(download), download.as_secs_f64());
    let growth = |peak: u64| peak.saturating_sub(baseline) as f64 / 1024.0;
    println!(
        "RSS: baseline {:.1} MiB, growth during upload {:.1} MiB, during download {:.1} MiB",
        baseline as f64 / 1024.0,
        growth(upload_peak),
        growth(download_peak)
    );
    Ok(())
}
