//! Refusals below the handlers, written by hyper itself (a URI too long, header fields too large, a malformed
//! head), reach the client over a real socket in the route's error shape, with a request id and a JSON body.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use common::{Reply, assert_error_shape};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One route of each document.
const ROUTES: &[&str] = &["/api/quality/gates", "/api/llm-configs", "/api/users/me/", "/api/tasks", "/api/v1/tasks"];

/// Reads one HTTP/1.1 answer whose body is delimited by `content-length`, leaving the connection open.
async fn read_answer(tcp: &mut TcpStream) -> Reply {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = tcp.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before a whole head: {}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(": ").unwrap();
        headers.append(name.parse::<HeaderName>().unwrap(), HeaderValue::from_str(value).unwrap());
    }
    let len: usize = headers["content-length"].to_str().unwrap().parse().unwrap();
    let mut body = buf[end + 4..].to_vec();
    while body.len() < len {
        let n = tcp.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    Reply {
        status: StatusCode::from_u16(status).unwrap(),
        headers,
        text: String::from_utf8(body).unwrap(),
        rendered: None,
    }
}

async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> Reply {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request).await.unwrap();
    read_answer(&mut tcp).await
}

fn long_query(path: &str) -> Vec<u8> {
    let query: Vec<String> = (0..20_000).map(|i| format!("p{i}=1")).collect();
    format!("GET {path}?{} HTTP/1.1\r\nHost: t\r\n\r\n", query.join("&")).into_bytes()
}

fn assert_shaped(path: &str, r: &Reply, status: u16) {
    assert_eq!(r.status.as_u16(), status, "{path}: {}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("application/json"), "{path}");
    assert!(r.header("x-request-id").is_some_and(|id| !id.is_empty()), "{path}");
    assert_error_shape("GET", path, r);
}

#[tokio::test]
async fn a_query_of_twenty_thousand_parameters_is_a_shaped_414() {
    let (app, _db, _dir) = common::app().await;
    let addr = common::serve(app).await;
    for path in ROUTES {
        let r = exchange(addr, &long_query(path)).await;
        assert_shaped(path, &r, 414);
        assert!(r.text.contains("URI_TOO_LONG") || r.text.contains("414"), "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn a_malformed_authorization_header_is_a_shaped_400_in_the_clients_language() {
    let (app, _db, _dir) = common::app().await;
    let addr = common::serve(app).await;
    for path in ROUTES {
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: t\r\nAccept-Language: en\r\nX-Request-ID: mine-1\r\nAuthorization: Bearer a\x01b\r\n\r\n"
        );
        let r = exchange(addr, req.as_bytes()).await;
        assert_shaped(path, &r, 400);
        assert_eq!(r.header("x-request-id"), Some("mine-1"), "{path}");
        assert!(r.text.contains("cannot be parsed"), "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn too_many_header_fields_are_a_shaped_431() {
    let (app, _db, _dir) = common::app().await;
    let addr = common::serve(app).await;
    let fields: String = (0..200).map(|i| format!("X-Field-{i}: 1\r\n")).collect();
    for path in ROUTES {
        let r = exchange(addr, format!("GET {path} HTTP/1.1\r\nHost: t\r\n{fields}\r\n").as_bytes()).await;
        assert_shaped(path, &r, 431);
    }
}

#[tokio::test]
async fn a_refusal_after_an_answered_request_takes_the_shape_of_its_own_route() {
    let (app, _db, _dir) = common::app().await;
    let addr = common::serve(app).await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /api/quality/gates HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    let first = read_answer(&mut tcp).await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED, "{}", first.text);
    tcp.write_all(&long_query("/api/llm-configs")).await.unwrap();
    let second = read_answer(&mut tcp).await;
    assert_shaped("/api/llm-configs", &second, 414);
    assert_eq!(second.json()["status_code"], 414, "ResoftAI's shape: {}", second.text);
}
