//! A project's current files as one ZIP (`GET /api/projects/{id}/download`), streamed: entries are written
//! one after another as their blobs stream in, so neither the archive nor a whole file is held in memory.
//!
//! The `zip` crate writes the archive (`ZipWriter::new_stream`, data descriptors after each entry, so no
//! seeking back) on a blocking thread; its output goes through a small bounded channel to the response body,
//! which paces the writer to the client. `zip` is the maintained, widely used ZIP implementation; `async_zip`
//! would avoid the thread but sees few releases.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, BoxStream, StreamExt};
use slipway_core::{Error, Principal};
use slipway_files::BlobStore;
use slipway_store::factory::FileRecord;
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::Factory;
use crate::files::file_type;

/// Bytes gathered before they are handed to the response.
const CHUNK: usize = 64 * 1024;
/// Chunks waiting for the client at most.
const CHUNKS_IN_FLIGHT: usize = 4;

/// A project's archive, ready to stream.
pub struct ProjectArchive {
    /// The project.
    pub project_id: i64,
    /// The ZIP's bytes; an error ends the download early (a file's blob could not be read).
    pub body: BoxStream<'static, Result<Bytes, io::Error>>,
}

impl std::fmt::Debug for ProjectArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectArchive").field("project_id", &self.project_id).finish_non_exhaustive()
    }
}

impl Factory {
    /// Every current file of the project at its path, as a ZIP stream (a project without files gives an empty
    /// archive); another user's project is `ProjectNotFound`.
    pub async fn project_archive(&self, principal: &Principal, project_id: i64) -> Result<ProjectArchive, Error> {
        let project = self.project_for(principal, project_id).await?;
        let files = self.db.project_files(project.id).await?;
        let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let blobs = self.files.blobs().clone();
        let runtime = Handle::current();
        tokio::task::spawn_blocking(move || {
            let outbox = Rc::new(RefCell::new(Outbox { tx: tx.clone(), buf: BytesMut::with_capacity(CHUNK) }));
            if let Err(e) = write_archive(&runtime, &blobs, &files, &outbox)
                && !tx.is_closed()
            {
                tracing::warn!(project_id = project.id, "project archive cut short: {e}");
                let _ = tx.blocking_send(Err(e));
            }
        });
        let body = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }).boxed();
        Ok(ProjectArchive { project_id: project.id, body })
    }
}

/// Writes every file into the archive, in the order given, then its central directory.
fn write_archive(
    runtime: &Handle,
    blobs: &BlobStore,
    files: &[FileRecord],
    outbox: &Rc<RefCell<Outbox>>,
) -> io::Result<()> {
    let mut zip = ZipWriter::new_stream(ChannelWriter(Rc::clone(outbox)));
    for file in files {
        // What is written so far goes out while the next blob is fetched (time to first byte); the entry's
        // compressor is left alone, so this costs no bytes.
        outbox.borrow_mut().send_buffered()?;
        let (_, mut body) = runtime.block_on(blobs.get_stream(&file.sha256)).map_err(io::Error::other)?;
        zip.start_file(file.path.as_str(), entry_options(file)).map_err(zip_io)?;
        while let Some(chunk) = runtime.block_on(body.next()) {
            zip.write_all(&chunk.map_err(io::Error::other)?)?;
        }
    }
    let mut out = zip.finish().map_err(zip_io)?.into_inner();
    out.flush()
}

/// Deflate for text, stored for images, fonts and PDF (compressed already); the file's time and `rw-r--r--`.
fn entry_options(file: &FileRecord) -> SimpleFileOptions {
    use chrono::{Datelike, Timelike};
    let compressed_already = file_type(&file.path).is_some_and(|t| !t.textual);
    let method = if compressed_already { CompressionMethod::Stored } else { CompressionMethod::Deflated };
    let t = file.updated_at;
    let time = u16::try_from(t.year())
        .ok()
        .and_then(|year| {
            let narrow = |v: u32| u8::try_from(v).unwrap_or(0);
            let (month, day) = (narrow(t.month()), narrow(t.day()));
            let (hour, minute, second) = (narrow(t.hour()), narrow(t.minute()), narrow(t.second()));
            zip::DateTime::from_date_and_time(year, month, day, hour, minute, second).ok()
        })
        .unwrap_or_default();
    SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(time)
        .unix_permissions(0o644)
        .large_file(file.size >= i64::from(u32::MAX))
}

fn zip_io(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other),
    }
}

/// The archive's bytes on their way to the response: gathered into chunks, handed over while the client is
/// slow; sending fails once the client went away, which ends the writer.
struct Outbox {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: BytesMut,
}

impl Outbox {
    /// Hands over what is gathered, if anything.
    fn send_buffered(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = self.buf.split().freeze();
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the download was abandoned"))
    }
}

/// The ZIP writer's end of the [`Outbox`] (the writing thread keeps another, to send between entries).
struct ChannelWriter(Rc<RefCell<Outbox>>);

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut outbox = self.0.borrow_mut();
        outbox.buf.extend_from_slice(data);
        if outbox.buf.len() >= CHUNK {
            outbox.send_buffered()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.borrow_mut().send_buffered()
    }
}
