//! The connections the server accepts: every connection's IO goes through [`ShapedIo`], so the refusals hyper
//! writes itself, below the handlers (a URI too long, header fields too large, a malformed head), leave in the
//! route's error shape instead of with an empty body; and every request carries the peer's address.

mod io;
mod rejection;

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::io as stdio;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use axum::extract::ConnectInfo;
use axum::middleware::AddExtension;
use axum::serve::{IncomingStream, Listener, Serve};
use axum::{Extension, Router};
use tokio::net::{TcpListener, TcpStream};
use tower::{Layer, Service};

pub use io::ShapedIo;
pub use rejection::reshape;

/// A TCP listener whose connections are [`ShapedIo`]s with `TCP_NODELAY` set.
#[derive(Debug)]
pub struct ShapedListener(TcpListener);

impl ShapedListener {
    /// Wraps a bound listener.
    pub fn new(listener: TcpListener) -> Self {
        Self(listener)
    }
}

impl Listener for ShapedListener {
    type Io = ShapedIo<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (tcp, addr) = Listener::accept(&mut self.0).await;
        let _ = tcp.set_nodelay(true);
        (ShapedIo::new(tcp), addr)
    }

    fn local_addr(&self) -> stdio::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// The per-connection service: the application with the peer's address as `ConnectInfo<SocketAddr>`.
pub type ConnectionApp = AddExtension<Router, ConnectInfo<SocketAddr>>;

/// Makes a [`ConnectionApp`] for every accepted connection.
#[derive(Debug, Clone)]
pub struct MakeConnectionApp(Router);

impl<'a> Service<IncomingStream<'a, ShapedListener>> for MakeConnectionApp {
    type Response = ConnectionApp;
    type Error = Infallible;
    type Future = Ready<Result<ConnectionApp, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'a, ShapedListener>) -> Self::Future {
        ready(Ok(Extension(ConnectInfo(*stream.remote_addr())).layer(self.0.clone())))
    }
}

/// Serves `app` on `listener` with shaped refusals and peer addresses (the server and the tests use this).
pub fn serve(listener: TcpListener, app: Router) -> Serve<ShapedListener, MakeConnectionApp, ConnectionApp> {
    axum::serve(ShapedListener::new(listener), MakeConnectionApp(app))
}
