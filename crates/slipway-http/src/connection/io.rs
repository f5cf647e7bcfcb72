//! [`ShapedIo`]: a connection that remembers the start of the request head it is reading and, when hyper
//! answers that head with one of its own bare refusals, writes the route's shaped error instead.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::rejection::reshape;

/// How much of a request head is kept: the request line and the first headers.
const HEAD_CAPTURE: usize = 4096;

/// A shaped answer still being written in place of hyper's bare one.
#[derive(Debug)]
struct Replacement {
    bytes: Vec<u8>,
    written: usize,
}

/// A connection's IO with hyper's own refusals reshaped (see the module).
#[derive(Debug)]
pub struct ShapedIo<I> {
    inner: I,
    head: Vec<u8>,
    /// A response went out since the head was captured: the next bytes read start a new request.
    answered: bool,
    pending: Option<Replacement>,
}

impl<I> ShapedIo<I> {
    /// Wraps a fresh connection.
    pub fn new(inner: I) -> Self {
        Self { inner, head: Vec::new(), answered: false, pending: None }
    }

    fn capture(&mut self, read: &[u8]) {
        if read.is_empty() {
            return;
        }
        if self.answered {
            self.head.clear();
            self.answered = false;
        }
        let room = HEAD_CAPTURE.saturating_sub(self.head.len());
        self.head.extend_from_slice(&read[..room.min(read.len())]);
    }
}

impl<I: AsyncWrite + Unpin> ShapedIo<I> {
    fn drive_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(r) = self.pending.as_mut() {
            if r.written == r.bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &r.bytes[r.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            r.written += n;
        }
        Poll::Ready(Ok(()))
    }

    /// Takes `out` in place of writing it when it is one of hyper's bare refusals.
    fn replaced(&mut self, cx: &mut Context<'_>, out: &[u8]) -> Option<Poll<io::Result<usize>>> {
        let bytes = reshape(&self.head, out)?;
        self.pending = Some(Replacement { bytes, written: 0 });
        Some(match self.drive_pending(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            // Accepted: what is left is written by the flush and shutdown hyper does next.
            _ => Poll::Ready(Ok(out.len())),
        })
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for ShapedIo<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let this = &mut *self;
        this.capture(&buf.filled()[before..]);
        Poll::Ready(Ok(()))
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for ShapedIo<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.drive_pending(cx))?;
        if let Some(done) = this.replaced(cx, buf) {
            return done;
        }
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        this.answered = true;
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.drive_pending(cx))?;
        let mut filled = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (filled.next(), filled.next())
            && let Some(done) = this.replaced(cx, only)
        {
            return done;
        }
        let n = ready!(Pin::new(&mut this.inner).poll_write_vectored(cx, bufs))?;
        this.answered = true;
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drive_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drive_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
