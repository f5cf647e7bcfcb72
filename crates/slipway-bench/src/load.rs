//! The load generator: N tasks, each with one keep-alive HTTP/1.1 connection, sending requests back to back.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::HOST;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout, timeout_at};

use crate::rss;
use crate::stats::Tally;
use crate::target::Target;

/// How long requests still in flight at the end of a run may take before they count as errors.
const STRAGGLER_GRACE: Duration = Duration::from_secs(10);
/// Pause after a failed connection attempt, so a dead server is not hammered in a tight loop.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);
/// How long the single request that checks a target is reachable may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

type Sender = SendRequest<Full<Bytes>>;

/// One run: how many connections, for how long.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Concurrent connections.
    pub connections: u32,
    /// Unrecorded load first.
    pub warmup: Duration,
    /// Recorded load after the warmup.
    pub duration: Duration,
}

/// What a run measured.
#[derive(Debug)]
pub struct Outcome {
    /// Requests started during the recorded period, merged over all connections.
    pub tally: Tally,
    /// Largest resident memory of the server during the recorded period, in KiB.
    pub rss_max_kib: Option<u64>,
}

/// The recorded period: requests starting in `[from, to)` count.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Instant,
    to: Instant,
    hard_stop: Instant,
}

impl Window {
    fn records(&self, t: Instant) -> bool {
        t >= self.from && t < self.to
    }
}

/// Loads the target per the plan, sampling the memory of process `pid` during the recorded period.
pub async fn run(target: &Target, plan: Plan, pid: Option<u32>) -> anyhow::Result<Outcome> {
    let start = Instant::now();
    let from = start + plan.warmup;
    let to = from + plan.duration;
    let window = Window { from, to, hard_stop: to + STRAGGLER_GRACE };
    let target = Arc::new(target.clone());
    let mut tasks = JoinSet::new();
    for _ in 0..plan.connections {
        let tally = Tally::new()?;
        tasks.spawn(connection(Arc::clone(&target), window, tally));
    }
    let sampler = pid.map(|pid| tokio::spawn(rss::max_between(pid, from, to)));
    let mut total = Tally::new()?;
    while let Some(done) = tasks.join_next().await {
        total.merge(&done.context("a load task failed")?)?;
    }
    let rss_max_kib = match sampler {
        Some(s) => s.await.context("the memory sampler failed")?,
        None => None,
    };
    Ok(Outcome { tally: total, rss_max_kib })
}

/// One connection's loop: (re)connect, send, read the whole body, repeat until the window closes.
async fn connection(target: Arc<Target>, window: Window, mut tally: Tally) -> Tally {
    let mut open: Option<Sender> = None;
    loop {
        if open.is_none() {
            match timeout_at(window.hard_stop, connect(&target)).await {
                Ok(Ok(s)) => open = Some(s),
                Ok(Err(_)) | Err(_) => {
                    let now = Instant::now();
                    if window.records(now) {
                        tally.error();
                    }
                    if now >= window.to {
                        return tally;
                    }
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    continue;
                }
            }
        }
        let Some(sender) = open.as_mut() else {
            continue;
        };
        let started = Instant::now();
        if started >= window.to {
            return tally;
        }
        let recorded = window.records(started);
        match timeout_at(window.hard_stop, send(sender, &target)).await {
            Ok(Ok(status)) if status.is_success() => {
                if recorded {
                    tally.success(started.elapsed());
                }
            }
            Ok(Ok(_)) => {
                if recorded {
                    tally.error();
                }
            }
            Ok(Err(_)) => {
                if recorded {
                    tally.error();
                }
                open = None;
            }
            Err(_) => {
                tally.error();
                return tally;
            }
        }
    }
}

/// Opens one connection and spawns its driver.
async fn connect(target: &Target) -> anyhow::Result<Sender> {
    let stream = TcpStream::connect(target.addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends the target's request and reads the full body.
async fn exchange(sender: &mut Sender, target: &Target) -> anyhow::Result<(StatusCode, Bytes)> {
    sender.ready().await?;
    let mut req = Request::new(Full::new(target.body.clone()));
    *req.method_mut() = target.method.clone();
    *req.uri_mut() = target.path.clone();
    let headers = req.headers_mut();
    headers.insert(HOST, target.host.clone());
    for (name, value) in &target.headers {
        headers.insert(name.clone(), value.clone());
    }
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// Sends the target's request and reads the full body, returning the status.
async fn send(sender: &mut Sender, target: &Target) -> anyhow::Result<StatusCode> {
    exchange(sender, target).await.map(|(status, _)| status)
}

/// One request on a fresh connection (setup steps such as signing in); returns status and body.
pub async fn once(target: &Target) -> anyhow::Result<(StatusCode, Bytes)> {
    let attempt = async {
        let mut sender = connect(target).await?;
        exchange(&mut sender, target).await
    };
    timeout(PROBE_TIMEOUT, attempt)
        .await
        .with_context(|| format!("{} did not answer within {} s", target.url, PROBE_TIMEOUT.as_secs()))?
        .with_context(|| format!("cannot reach {}", target.url))
}
