//! Test harness: a [`BlobStore`] on a temporary directory, or on a bucket of a `moto` S3 server this harness
//! starts on a free loopback port and kills when dropped.
//!
//! Without moto (`python3 -m pip install "moto[server]"`) the S3 half of a test is skipped with a notice, except
//! under CI (`CI=true`), where it fails.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use slipway_files::BlobStore;

/// A store under test and a view of every object it holds, read around it.
pub struct TestStore {
    /// The store.
    pub store: BlobStore,
    raw: Raw,
    _moto: Option<Moto>,
}

enum Raw {
    Dir(tempfile::TempDir),
    Bucket { client: Box<dyn ObjectStore>, uploads_url: String },
}

impl TestStore {
    /// Every object key the backing store holds (files on disk, objects in the bucket), sorted.
    pub async fn keys(&self) -> Vec<String> {
        let mut keys = match &self.raw {
            Raw::Dir(dir) => files_under(dir.path(), dir.path()),
            Raw::Bucket { client, .. } => {
                let objects: Vec<_> = client.list(None).try_collect().await.expect("list the bucket");
                objects.into_iter().map(|o| o.location.to_string()).collect()
            }
        };
        keys.sort();
        keys
    }

    /// Multipart uploads begun and neither completed nor aborted (a bucket listing does not show them; on a
    /// local disk their staging files are among [`TestStore::keys`]).
    pub async fn pending_uploads(&self) -> usize {
        let Raw::Bucket { uploads_url, .. } = &self.raw else { return 0 };
        let listing = reqwest::get(uploads_url).await.and_then(|r| r.error_for_status());
        let xml = listing.expect("list multipart uploads").text().await.expect("read the upload listing");
        xml.matches("<UploadId>").count()
    }
}

/// Every regular file below `dir`, relative to `root`; staging files of unfinished uploads included.
fn files_under(root: &Path, dir: &Path) -> Vec<String> {
    let entries = std::fs::read_dir(dir).expect("read the store directory");
    entries
        .map(|entry| entry.expect("read a directory entry").path())
        .flat_map(|path| {
            if path.is_dir() {
                files_under(root, &path)
            } else {
                vec![path.strip_prefix(root).expect("below the root").display().to_string()]
            }
        })
        .collect()
}

/// A store on a fresh temporary directory.
pub fn local() -> TestStore {
    let dir = tempfile::tempdir().expect("create a temporary store directory");
    let url = format!("file://{}", dir.path().display());
    let store = BlobStore::open_with_env(Some(&url), dir.path(), no_env()).expect("open the local store");
    TestStore { store, raw: Raw::Dir(dir), _moto: None }
}

fn no_env() -> Vec<(String, String)> {
    Vec::new()
}

/// A store on a fresh bucket (under a key prefix) of a moto server of its own; `None` when moto is missing here.
pub async fn s3() -> Option<TestStore> {
    let moto = Moto::start()?;
    let bucket = format!("slipway-{}", uuid::Uuid::new_v4().simple());
    moto.create_bucket(&bucket).await;
    let env = moto.env();
    let url = format!("s3://{bucket}/prefix/of/slipway");
    let store =
        BlobStore::open_with_env(Some(&url), Path::new("/nonexistent"), env.clone()).expect("open the S3 store");
    let mut raw = AmazonS3Builder::new().with_bucket_name(&bucket);
    for (key, value) in env {
        raw = raw.with_config(key.to_ascii_lowercase().parse().expect("an S3 setting"), value);
    }
    let raw = raw.build().expect("build the raw S3 client");
    let uploads_url = format!("http://{}/{bucket}?uploads", moto.addr);
    Some(TestStore { store, raw: Raw::Bucket { client: Box::new(raw), uploads_url }, _moto: Some(moto) })
}

/// A running `moto` server, killed on drop.
pub struct Moto {
    child: Child,
    addr: SocketAddr,
}

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

impl Moto {
    /// Starts moto on a free loopback port and waits until it accepts connections.
    pub fn start() -> Option<Self> {
        let installed = Command::new("python3")
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            if required() {
                panic!("CI=true but moto is not installed: the S3 tests must run in CI (pip install \"moto[server]\")");
            }
            eprintln!("SKIPPED (S3 half): install moto to run it: python3 -m pip install \"moto[server]\"");
            return None;
        }
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("find a free loopback port")
            .port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        let mut moto = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto exited before listening on {addr}: {status}");
            }
            assert!(Instant::now() < deadline, "moto did not listen on {addr} within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(moto)
    }

    /// The `AWS_*` settings that reach this server.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", format!("http://{}", self.addr)),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Creates a bucket (moto takes an unsigned `PUT /<bucket>`).
    pub async fn create_bucket(&self, bucket: &str) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let response = reqwest::Client::new()
            .put(format!("http://{}/{bucket}", self.addr))
            .send()
            .await
            .expect("reach moto to create a bucket");
        assert!(response.status().is_success(), "moto refused to create {bucket}: {}", response.status());
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Declares each listed behaviour (`async fn NAME(store: &TestStore)` in the test file) as two tests,
/// `local::NAME` and `s3::NAME`.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(#[tokio::test]
            async fn $name() {
                super::$name(&super::common::local()).await;
            })*
        }
        mod s3 {
            $(#[tokio::test]
            async fn $name() {
                if let Some(store) = super::common::s3().await {
                    super::$name(&store).await;
                }
            })*
        }
    };
}
