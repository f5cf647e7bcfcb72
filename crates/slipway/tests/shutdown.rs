//! Graceful shutdown: in-flight requests finish within the grace period; past it, the server stops anyway.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use slipway::server::Server;
use tokio::sync::oneshot;

async fn slow_app(delay: Duration) -> Router {
    Router::new().route(
        "/slow",
        get(move || async move {
            tokio::time::sleep(delay).await;
            "done"
        }),
    )
}

async fn started(app: Router, grace: Duration) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let server = Server::bind(&["127.0.0.1:0".parse().unwrap()], app, grace).await.unwrap();
    let addr = server.local_addrs()[0];
    let (stop, stopped) = oneshot::channel::<()>();
    let run = tokio::spawn(async move {
        server
            .run_until(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    (addr, stop, run)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_finish_after_the_signal() {
    let (addr, stop, run) = started(slow_app(Duration::from_millis(600)).await, Duration::from_secs(5)).await;
    let http = common::client();
    let in_flight = tokio::spawn({
        let http = http.clone();
        async move { http.get(format!("http://{addr}/slow")).send().await.unwrap().text().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.send(()).unwrap();
    assert_eq!(in_flight.await.unwrap(), "done", "the request begun before the signal completes");
    tokio::time::timeout(Duration::from_secs(5), run).await.unwrap().unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "after shutdown the listener no longer accepts connections"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grace_period_bounds_the_wait() {
    let (addr, stop, run) = started(slow_app(Duration::from_secs(30)).await, Duration::from_millis(300)).await;
    common::client();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    let stuck = tokio::spawn(async move { http.get(format!("http://{addr}/slow")).send().await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let began = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), run).await.unwrap().unwrap();
    assert!(began.elapsed() < Duration::from_secs(3), "stopped after {:?}", began.elapsed());
    // `run_until` has returned; in the binary the process now exits, closing what is left.
    assert!(stuck.await.unwrap().is_err(), "the abandoned request is never answered");
}
