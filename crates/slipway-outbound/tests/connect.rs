//! The policed client at connect time: a name that resolves to loopback is refused before any connection, the
//! refusal can be found in reqwest's error, and the allow list or an administrator opens the way.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use slipway_outbound::{OutboundPolicy, Refusal};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Reads a request's head, so the answer comes after it.
async fn read_head(s: &mut tokio::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A loopback listener answering every connection with a tiny HTTP 200, counting connections.
async fn listener() -> (u16, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            read_head(&mut s).await;
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
        }
    });
    (port, count)
}

fn client(policy: &OutboundPolicy, admin: bool) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    policy.client_builder(admin).build().unwrap()
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_at_connect_time() {
    let (port, seen) = listener().await;
    let policy = OutboundPolicy::default();
    let url = format!("http://localhost:{port}/");
    let err = client(&policy, false).get(&url).send().await.unwrap_err();
    let refusal = Refusal::find(&err).unwrap_or_else(|| panic!("no refusal in {err:?}"));
    assert!(refusal.message().starts_with("localhost resolves to a loopback address"), "{refusal}");
    assert_eq!(seen.load(Ordering::SeqCst), 0, "no connection was made");

    let ok = client(&policy, true).get(&url).send().await.unwrap();
    assert_eq!(ok.status(), 200, "an administrator reaches it");
    let allowed = OutboundPolicy::from_entries(["localhost"]).unwrap();
    assert_eq!(client(&allowed, false).get(&url).send().await.unwrap().status(), 200, "the allow list opens it");
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn redirects_to_internal_addresses_are_refused() {
    let (target_port, seen) = listener().await;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            read_head(&mut s).await;
            let answer =
                format!("HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{target_port}/\r\ncontent-length: 0\r\n\r\n");
            let _ = s.write_all(answer.as_bytes()).await;
        }
    });
    // The redirecting server itself is allowed (on its port only); where it points is not.
    let policy = OutboundPolicy::from_entries([format!("127.0.0.1:{port}")]).unwrap();
    let err = client(&policy, false).get(format!("http://127.0.0.1:{port}/")).send().await.unwrap_err();
    let refusal = Refusal::find(&err).unwrap_or_else(|| panic!("no refusal in {err:?}"));
    assert!(refusal.message().contains("127.0.0.1 is a loopback address"), "{refusal}");
    assert_eq!(seen.load(Ordering::SeqCst), 0);
}
