//! `files` and `zip`: project files through the HTTP routes of a child node.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use tokio_util::sync::CancellationToken;

use super::Figure;
use super::client::Client;
use crate::child::ChildServer;
use crate::cli::{FactoryArgs, ServerKind};
use crate::rss;

const MIB: u64 = 1024 * 1024;

/// `size` bytes of CSV-like text in 1 MiB chunks, generated as they are sent.
fn content(size: u64) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let line = b"2026-12-03,slipway,factory,benchmark,0123456789abcdef0123456789abcdef\n";
    let mut chunk = Vec::with_capacity(MIB as usize);
    while chunk.len() < MIB as usize {
        chunk.extend_from_slice(line);
    }
    chunk.truncate(MIB as usize);
    let chunk = Bytes::from(chunk);
    futures_util::stream::iter((0..size.div_ceil(MIB)).map(move |i| {
        let len = (size - i * MIB).min(MIB) as usize;
        Ok(chunk.slice(..len))
    }))
}

/// Upload and download MiB/s of one `--size-mib` file, and the server's RSS growth during each.
pub async fn throughput(args: &FactoryArgs) -> anyhow::Result<Vec<Figure>> {
    let server = ChildServer::start(ServerKind::Slipway).await?;
    let pid = server.pid().context("the server has no pid")?;
    let client = Client::register(format!("http://{}", server.addr()), "bench").await?;
    let project = client.project("files").await?;
    let size = args.size_mib * MIB;
    let mut figures = Vec::new();
    let before = rss::read_kib(pid).unwrap_or(0);

    let stop = CancellationToken::new();
    let peak = rss::sample_peak(pid, stop.clone());
    let part = Part::stream_with_length(reqwest::Body::wrap_stream(content(size)), size)
        .file_name("data/dataset.csv")
        .mime_str("text/csv")?;
    let form = Form::new().text("project_id", project.to_string()).text("category", "requirements").part("file", part);
    let started = Instant::now();
    let r = client.request(Method::POST, "/api/files").multipart(form).send().await?;
    let status = r.status();
    let body: serde_json::Value = r.json().await?;
    let upload = started.elapsed();
    stop.cancel();
    let upload_peak = peak.await?;
    if status.as_u16() != 201 {
        bail!("upload: {status} {body}");
    }
    let id = body["id"].as_i64().context("no file id")?;

    let stop = CancellationToken::new();
    let peak = rss::sample_peak(pid, stop.clone());
    let started = Instant::now();
    let r = client.request(Method::GET, &format!("/api/files/{id}/download")).send().await?;
    if !r.status().is_success() {
        bail!("download: {}", r.status());
    }
    let mut got = 0u64;
    let mut body = r.bytes_stream();
    while let Some(chunk) = body.next().await {
        got += chunk?.len() as u64;
    }
    let download = started.elapsed();
    stop.cancel();
    let download_peak = peak.await?;
    if got != size {
        bail!("download: {got} bytes, not {size}");
    }
    let mib = size as f64 / MIB as f64;
    let growth = |peak: u64| rss::kib_to_mb(peak.saturating_sub(before));
    figures.push(fig("files", format!("upload {mib} MiB"), mib / upload.as_secs_f64(), "MiB/s", "≥ 200"));
    figures.push(fig("files", "server RSS growth during upload".into(), growth(upload_peak), "MB", "< 20"));
    figures.push(fig("files", format!("download {mib} MiB"), mib / download.as_secs_f64(), "MiB/s", "≥ 200"));
    figures.push(fig("files", "server RSS growth during download".into(), growth(download_peak), "MB", "< 20"));
    Ok(figures)
}

/// Time to the first byte of the ZIP of a project with `--files` files.
pub async fn zip_first_byte(args: &FactoryArgs) -> anyhow::Result<Vec<Figure>> {
    let server = ChildServer::start(ServerKind::Slipway).await?;
    let client = Client::register(format!("http://{}", server.addr()), "bench").await?;
    let project = client.project("zip").await?;
    let uploads = futures_util::stream::iter(0..args.files)
        .map(|i| {
            let client = &client;
            async move {
                let text =
                    format!("def f{i}():\n    return {i}\n{}", "# padding line for a realistic size\n".repeat(40));
                let part = Part::text(text).file_name(format!("src/module_{i:04}.py")).mime_str("text/x-python")?;
                let form = Form::new().text("project_id", project.to_string()).part("file", part);
                let r = client.request(Method::POST, "/api/files").multipart(form).send().await?;
                if r.status().as_u16() != 201 {
                    bail!("upload {i}: {}", r.status());
                }
                Ok::<_, anyhow::Error>(())
            }
        })
        .buffer_unordered(8);
    uploads.collect::<Vec<_>>().await.into_iter().collect::<Result<Vec<_>, _>>()?;

    let mut first = Vec::new();
    let mut whole = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let r = client.request(Method::GET, &format!("/api/projects/{project}/download")).send().await?;
        if !r.status().is_success() {
            bail!("zip: {}", r.status());
        }
        let mut body = r.bytes_stream();
        let mut got = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            if got == 0 && !chunk.is_empty() {
                first.push(started.elapsed());
            }
            got += chunk.len();
        }
        whole.push(started.elapsed());
    }
    first.sort();
    whole.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(vec![
        fig(
            "zip",
            format!("first byte, {} files (median of 5)", args.files),
            ms(first[first.len() / 2]),
            "ms",
            "< 100",
        ),
        fig("zip", format!("whole ZIP, {} files (median of 5)", args.files), ms(whole[whole.len() / 2]), "ms", "-"),
    ])
}

fn fig(scenario: &'static str, name: String, value: f64, unit: &'static str, goal: &'static str) -> Figure {
    Figure { scenario, name, value, unit, goal }
}
