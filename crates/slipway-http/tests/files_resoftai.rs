//! ResoftAI's `/api/files` and the project ZIP over HTTP on both backends: uploads streamed into versions
//! (any field order, the category read from the path), lists, details with text content or a binary flag,
//! downloads with their headers, updates, versions and restores, deletion that releases unused blobs; 401 for
//! anonymous callers, 404 for another user's files and projects, 422 for malformed input, 413 for oversized
//! files and 400 FILE_002 for refused types, with nothing of a refused upload kept.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Cursor, Read};
use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use common::{Reply, Setup, TestApp, assert_error_shape};
use serde_json::{Value, json};
use slipway_factory::files::hex_sha256;
use slipway_files::Location;
use slipway_store::factory::NewProject;
use slipway_store::{Db, backend_tests};

const BOUNDARY: &str = "slipway-test-boundary-7MA4YWxkTrZu0gW";

/// One part of a multipart form.
enum Part<'a> {
    /// A plain field.
    Text(&'a str, &'a str),
    /// A file: field name, file name, content.
    File(&'a str, &'a str, &'a [u8]),
}

use Part::{File, Text};

/// A `multipart/form-data` body of `parts`, in order.
fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut b = Vec::new();
    for p in parts {
        b.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match p {
            Text(name, value) => {
                b.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                b.extend_from_slice(value.as_bytes());
            }
            File(name, filename, content) => {
                let head = format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                );
                b.extend_from_slice(head.as_bytes());
                b.extend_from_slice(content);
            }
        }
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn multipart_req(method: &str, uri: &str, token: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"));
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::from(body)).unwrap()
}

async fn send_form(app: &TestApp, method: &str, uri: &str, token: Option<&str>, parts: &[Part<'_>]) -> Reply {
    app.send(multipart_req(method, uri, token, form(parts))).await
}

/// Uploads `content` as `filename` into project `project` and answers the created file.
async fn upload(app: &TestApp, token: &str, project: i64, filename: &str, content: &[u8]) -> Value {
    let pid = project.to_string();
    let r =
        send_form(app, "POST", "/api/files", Some(token), &[Text("project_id", &pid), File("file", filename, content)])
            .await;
    assert_eq!(r.status, 201, "upload {filename}: {}", r.text);
    r.json()
}

async fn project(db: &Db, owner: i64, name: &str) -> i64 {
    let p = NewProject {
        user_id: owner,
        name: name.into(),
        description: None,
        requirements: "a to-do app".into(),
        config: json!({}),
    };
    db.insert_project(&p, slipway_core::time::now()).await.unwrap()
}

/// A signed-in user with a project: (token, user id, project id).
async fn owner_with_project(app: &TestApp, db: &Db, name: &str) -> (String, i64, i64) {
    let (token, _) = app.user(name).await;
    let id = app.id_of(&token).await;
    let p = project(db, id, &format!("{name}'s project")).await;
    (token, id, p)
}

async fn blob_exists(app: &TestApp, content: &[u8]) -> bool {
    app.state.factory.files().blobs().exists(&hex_sha256(content)).await.unwrap()
}

/// Files in the file store's directory (blobs and unfinished uploads alike).
fn stored_files(app: &TestApp) -> usize {
    fn count(dir: &Path) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
        entries.flatten().map(|e| if e.file_type().unwrap().is_dir() { count(&e.path()) } else { 1 }).sum()
    }
    match app.state.factory.files().blobs().location() {
        Location::Local(dir) => count(dir),
        other => panic!("the tests use a local file store, not {other:?}"),
    }
}

fn error_code(r: &Reply) -> String {
    r.json()["error_code"].as_str().unwrap_or_default().to_owned()
}

fn first_loc(r: &Reply) -> Value {
    r.json()["detail"][0]["loc"].clone()
}

fn paths(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|f| f["filename"].as_str().unwrap()).collect()
}

/// The entries of a ZIP answer, by name, with their content.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (entry.name().unwrap().into_owned(), content)
        })
        .collect()
}

async fn download_bytes(app: &TestApp, uri: &str, token: &str) -> (Reply, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let resp = app.router.clone().oneshot(common::bare_req("GET", uri, Some(token))).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (Reply { status, headers, text, rendered: None }, bytes)
}

/// Asserts that `body` (or, for a list, its first item) has exactly the keys of the schema the OpenAPI
/// document names for `method template` answering `status`.
fn assert_documented(method: &str, template: &str, status: u16, body: &Value) {
    let doc = serde_json::to_value(slipway_http::openapi::document()).unwrap();
    let schema =
        &doc["paths"][template][method]["responses"][status.to_string()]["content"]["application/json"]["schema"];
    let (reference, item) = match schema["items"]["$ref"].as_str() {
        Some(r) => (r, &body[0]),
        None => (schema["$ref"].as_str().unwrap_or_else(|| panic!("{method} {template}: {schema}")), body),
    };
    let name = reference.trim_start_matches("#/components/schemas/");
    let props: std::collections::BTreeSet<&str> =
        doc["components"]["schemas"][name]["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    let keys: std::collections::BTreeSet<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, props, "{method} {template} answers {name}'s keys");
}

/// A replacement form whose file part deletes the file it replaces before its first byte (a delete racing an
/// update).
struct DeletingForm {
    state: slipway_http::AppState,
    principal: slipway_core::Principal,
    file_id: i64,
    sent: bool,
}

impl slipway_factory::files::UploadForm for DeletingForm {
    async fn next_part(&mut self) -> Result<Option<slipway_factory::files::FormPart<'_>>, slipway_core::Error> {
        if std::mem::replace(&mut self.sent, true) {
            return Ok(None);
        }
        let (state, principal, id) = (self.state.clone(), self.principal.clone(), self.file_id);
        let body = futures_util::stream::once(async move {
            state.factory.delete_file(&principal, id).await.unwrap();
            Ok(axum::body::Bytes::from_static(b"late replacement"))
        });
        let body = futures_util::StreamExt::boxed(body);
        Ok(Some(slipway_factory::files::FormPart::File { name: "file".into(), filename: "x.py".into(), body }))
    }
}

backend_tests! {
    async fn files_are_uploaded_listed_read_updated_and_deleted(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, ann_id, p) = owner_with_project(&app, &db, "ann").await;
        let pid = p.to_string();
        let main_v1 = b"print('hello')\n";
        let r = send_form(&app, "POST", "/api/files", Some(&ann), &[
            Text("project_id", &pid), Text("category", "code"), File("file", "src/main.py", main_v1),
        ]).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let f = r.json();
        for (key, want) in [
            ("project_id", json!(p)), ("filename", json!("src/main.py")), ("category", json!("code")),
            ("size", json!(main_v1.len())), ("mime_type", json!("text/x-python")), ("version", json!(1)),
            ("created_by", json!(ann_id)),
        ] {
            assert_eq!(f[key], want, "{key}: {f}");
        }
        assert!(f["id"].is_i64() && f["created_at"].as_str().unwrap().ends_with('Z'), "{f}");
        assert_documented("post", "/api/files", 201, &f);
        let id = f["id"].as_i64().unwrap();

        // The file may come before the project; no category: read from the path. Unknown fields are ignored.
        let r = send_form(&app, "POST", "/api/files", Some(&ann), &[
            File("file", "tests/test_main.py", b"def test_x():\n    assert True\n"), Text("project_id", &pid), Text("note", "ignored"),
        ]).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.json()["category"], "test");
        let readme = upload(&app, &ann, p, "docs\\README.md", b"# Todo\n").await;
        assert_eq!((readme["filename"].as_str(), readme["category"].as_str()), (Some("docs/README.md"), Some("documentation")));
        assert_eq!(readme["mime_type"], "text/markdown");

        // A re-upload of the same path is its next version.
        let main_v2 = b"print('hello, world')\n";
        let again = upload(&app, &ann, p, "./src/main.py", main_v2).await;
        assert_eq!((again["id"].as_i64(), again["version"].as_i64(), again["size"].as_u64()), (Some(id), Some(2), Some(main_v2.len() as u64)));

        let r = app.call("GET", &format!("/api/files?project_id={p}"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let list = r.json();
        assert_eq!(paths(&list), ["docs/README.md", "src/main.py", "tests/test_main.py"]);
        for key in ["id", "project_id", "filename", "category", "size", "version", "created_at", "updated_at"] {
            assert!(list[1].get(key).is_some(), "{key}: {list}");
        }
        assert_eq!(list[1]["version"], 2);
        assert_documented("get", "/api/files", 200, &list);
        let r = app.call("GET", &format!("/api/files?project_id={p}&category=code"), Some(&ann)).await;
        assert_eq!(paths(&r.json()), ["src/main.py"]);
        let r = app.call("GET", &format!("/api/files?project_id={p}&skip=1&limit=1"), Some(&ann)).await;
        assert_eq!(paths(&r.json()), ["src/main.py"]);
        let r = app.call("GET", &format!("/api/files?project_id={p}&category=design"), Some(&ann)).await;
        assert_eq!(r.json(), json!([]));

        let r = app.call("GET", &format!("/api/files/{id}"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = r.json();
        assert_eq!((d["content"].as_str(), d["is_binary"].as_bool(), d["version"].as_i64()), (Some("print('hello, world')\n"), Some(false), Some(2)));
        assert_eq!((d["mime_type"].as_str(), d["created_by"].as_i64()), (Some("text/x-python"), Some(ann_id)));
        assert!(d["updated_at"].is_string() && d["created_at"].is_string());
        assert_documented("get", "/api/files/{file_id}", 200, &d);

        let (r, bytes) = download_bytes(&app, &format!("/api/files/{id}/download"), &ann).await;
        assert_eq!(r.status, 200);
        assert_eq!(bytes, main_v2);
        assert_eq!(r.header("content-type"), Some("text/x-python"));
        assert_eq!(r.header("content-disposition"), Some("attachment; filename=\"main.py\""));
        assert_eq!(r.header("content-length"), Some(main_v2.len().to_string().as_str()));

        let main_v3 = b"print('v3')\n";
        let r = send_form(&app, "PUT", &format!("/api/files/{id}"), Some(&ann), &[File("file", "anything.py", main_v3)]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let u = r.json();
        assert_eq!((u["id"].as_i64(), u["filename"].as_str(), u["version"].as_i64(), u["size"].as_u64()), (Some(id), Some("src/main.py"), Some(3), Some(main_v3.len() as u64)));
        assert!(u["updated_at"].is_string() && u["project_id"] == p);
        assert_documented("put", "/api/files/{file_id}", 200, &u);

        let r = app.call("GET", &format!("/api/files/{id}/versions"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let versions = r.json();
        let got: Vec<(i64, u64)> = versions.as_array().unwrap().iter().map(|v| (v["version"].as_i64().unwrap(), v["size"].as_u64().unwrap())).collect();
        assert_eq!(got, [(3, main_v3.len() as u64), (2, main_v2.len() as u64), (1, main_v1.len() as u64)]);
        assert_eq!(versions[0]["created_by"], ann_id);
        assert!(versions[0]["created_at"].as_str().unwrap().ends_with('Z'));
        assert_documented("get", "/api/files/{file_id}/versions", 200, &versions);

        let r = app.call("DELETE", &format!("/api/files/{id}"), Some(&ann)).await;
        assert_eq!((r.status.as_u16(), r.text.as_str()), (204, ""));
        for path in [format!("/api/files/{id}"), format!("/api/files/{id}/versions"), format!("/api/files/{id}/download")] {
            let r = app.call("GET", &path, Some(&ann)).await;
            assert_eq!(r.status, 404, "{path}: {}", r.text);
            assert_error_shape("GET", &path, &r);
        }
        assert_eq!(app.call("DELETE", &format!("/api/files/{id}"), Some(&ann)).await.status, 404);
        assert!(!blob_exists(&app, main_v1).await && !blob_exists(&app, main_v3).await, "its blobs went with it");
        let r = app.call("GET", &format!("/api/files?project_id={p}"), Some(&ann)).await;
        assert_eq!(paths(&r.json()), ["docs/README.md", "tests/test_main.py"]);
    }

    async fn a_restore_writes_a_new_version_with_the_old_content(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, ann_id, p) = owner_with_project(&app, &db, "ann").await;
        let id = upload(&app, &ann, p, "app.py", b"first").await["id"].as_i64().unwrap();
        upload(&app, &ann, p, "app.py", b"second!").await;
        let files_before = stored_files(&app);

        let r = app.call("POST", &format!("/api/files/{id}/versions/1/restore"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        for (key, want) in [("id", json!(id)), ("filename", json!("app.py")), ("version", json!(3)), ("restored_from_version", json!(1)), ("size", json!(5))] {
            assert_eq!(b[key], want, "{key}: {b}");
        }
        assert!(b["updated_at"].as_str().unwrap().ends_with('Z'));
        assert_documented("post", "/api/files/{file_id}/versions/{version}/restore", 200, &b);
        assert_eq!(stored_files(&app), files_before, "no content was uploaded or copied");
        let (_, bytes) = download_bytes(&app, &format!("/api/files/{id}/download"), &ann).await;
        assert_eq!(bytes, b"first");
        let versions = app.call("GET", &format!("/api/files/{id}/versions"), Some(&ann)).await.json();
        assert_eq!(versions[0]["restored_from_version"], 1);
        assert_eq!(versions[0]["created_by"], ann_id);
        assert_eq!(versions[1]["restored_from_version"], Value::Null);

        for (version, status) in [("9", 404), ("4", 404), ("99999999999", 404), ("0", 422), ("abc", 422), ("-1", 422)] {
            let path = format!("/api/files/{id}/versions/{version}/restore");
            let r = app.call("POST", &path, Some(&ann)).await;
            assert_eq!(r.status, status, "{version}: {}", r.text);
            assert_error_shape("POST", &path, &r);
        }
        let r = app.call("POST", &format!("/api/files/{id}/versions/x/restore"), Some(&ann)).await;
        assert_eq!(first_loc(&r), json!(["path", "version"]));
        let r = app.call("POST", "/api/files/x/versions/1/restore", Some(&ann)).await;
        assert_eq!(first_loc(&r), json!(["path", "file_id"]));
    }

    async fn binary_files_say_so_instead_of_garbling(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, _, p) = owner_with_project(&app, &db, "ann").await;
        let png: Vec<u8> = [&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..], &[0u8, 1, 2, 255, 254, 0, 7]].concat();
        let img = upload(&app, &ann, p, "assets/logo.png", &png).await;
        assert_eq!((img["mime_type"].as_str(), img["category"].as_str()), (Some("image/png"), Some("code")));
        let d = app.call("GET", &format!("/api/files/{}", img["id"]), Some(&ann)).await.json();
        assert_eq!((d["content"].clone(), d["is_binary"].as_bool(), d["content_too_large"].as_bool()), (Value::Null, Some(true), Some(false)));
        let (r, bytes) = download_bytes(&app, &format!("/api/files/{}/download", img["id"]), &ann).await;
        assert_eq!((bytes, r.header("content-type")), (png.clone(), Some("image/png")), "bytes come back as they went");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));

        let latin1 = upload(&app, &ann, p, "notes.txt", b"caf\xe9 au lait").await;
        let d = app.call("GET", &format!("/api/files/{}", latin1["id"]), Some(&ann)).await.json();
        assert_eq!((d["content"].clone(), d["is_binary"].as_bool()), (Value::Null, Some(true)), "not UTF-8: {d}");
        let nul = upload(&app, &ann, p, "data.csv", b"a,b\n1,\0\n").await;
        assert_eq!(app.call("GET", &format!("/api/files/{}", nul["id"]), Some(&ann)).await.json()["is_binary"], true);

        let big = "x".repeat(slipway_factory::files::CONTENT_LIMIT as usize + 1);
        let large = upload(&app, &ann, p, "big.log", big.as_bytes()).await;
        let d = app.call("GET", &format!("/api/files/{}", large["id"]), Some(&ann)).await.json();
        assert_eq!((d["content"].clone(), d["is_binary"].as_bool(), d["content_too_large"].as_bool()), (Value::Null, Some(false), Some(true)));
        let (_, bytes) = download_bytes(&app, &format!("/api/files/{}/download", large["id"]), &ann).await;
        assert_eq!(bytes.len(), big.len(), "a large file downloads whole");

        let empty = upload(&app, &ann, p, "pkg/__init__.py", b"").await;
        let d = app.call("GET", &format!("/api/files/{}", empty["id"]), Some(&ann)).await.json();
        assert_eq!((d["content"].as_str(), d["size"].as_i64()), (Some(""), Some(0)));

        let name = "docs/需求 说明.md";
        let cjk = upload(&app, &ann, p, name, "# 需求\n".as_bytes()).await;
        assert_eq!(cjk["filename"], name);
        let (r, _) = download_bytes(&app, &format!("/api/files/{}/download", cjk["id"]), &ann).await;
        assert_eq!(
            r.header("content-disposition"),
            Some("attachment; filename=\"__ __.md\"; filename*=UTF-8''%E9%9C%80%E6%B1%82%20%E8%AF%B4%E6%98%8E.md")
        );
    }

    async fn anonymous_callers_are_refused_with_401(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, _, p) = owner_with_project(&app, &db, "ann").await;
        let id = upload(&app, &ann, p, "a.py", b"x").await["id"].as_i64().unwrap();
        let pid = p.to_string();
        let parts = [Text("project_id", pid.as_str()), File("file", "b.py", b"y")];
        for (m, path) in [
            ("POST", "/api/files".to_owned()),
            ("GET", format!("/api/files?project_id={p}")),
            ("GET", format!("/api/files/{id}")),
            ("GET", format!("/api/files/{id}/download")),
            ("PUT", format!("/api/files/{id}")),
            ("DELETE", format!("/api/files/{id}")),
            ("GET", format!("/api/files/{id}/versions")),
            ("POST", format!("/api/files/{id}/versions/1/restore")),
            ("GET", format!("/api/projects/{p}/download")),
        ] {
            let r = send_form(&app, m, &path, None, &parts).await;
            assert_eq!(r.status, 401, "{m} {path}: {}", r.text);
            assert_error_shape(m, &path, &r);
            assert_eq!(error_code(&r), "AUTH_001");
        }
        assert!(!blob_exists(&app, b"y").await, "an anonymous upload is not read");
        assert_eq!(app.call("GET", &format!("/api/files/{id}/versions"), Some(&ann)).await.json().as_array().unwrap().len(), 1);
    }

    async fn another_users_files_and_projects_are_not_found(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, _, p) = owner_with_project(&app, &db, "ann").await;
        let (bob, _, bobs) = owner_with_project(&app, &db, "bob").await;
        let id = upload(&app, &ann, p, "secret.py", b"ann's").await["id"].as_i64().unwrap();
        let pid = p.to_string();

        // Into ann's project, in either order: 404 PROJ_001 and nothing kept.
        let before = stored_files(&app);
        for parts in [
            vec![Text("project_id", pid.as_str()), File("file", "evil.py", b"bob's upload")],
            vec![File("file", "evil.py", b"bob's upload"), Text("project_id", pid.as_str())],
        ] {
            let r = send_form(&app, "POST", "/api/files", Some(&bob), &parts).await;
            assert_eq!((r.status.as_u16(), error_code(&r)), (404, "PROJ_001".to_owned()), "{}", r.text);
            assert_error_shape("POST", "/api/files", &r);
        }
        assert!(!blob_exists(&app, b"bob's upload").await);
        assert_eq!(stored_files(&app), before, "the refused blob was released");
        let r = send_form(&app, "POST", "/api/files", Some(&bob), &[Text("project_id", "999999"), File("file", "a.py", b"z")]).await;
        assert_eq!((r.status.as_u16(), error_code(&r)), (404, "PROJ_001".to_owned()));

        let r = app.call("GET", &format!("/api/files?project_id={p}"), Some(&bob)).await;
        assert_eq!((r.status.as_u16(), error_code(&r)), (404, "PROJ_001".to_owned()));
        let r = app.call("GET", &format!("/api/projects/{p}/download"), Some(&bob)).await;
        assert_eq!((r.status.as_u16(), error_code(&r)), (404, "PROJ_001".to_owned()));
        assert_error_shape("GET", &format!("/api/projects/{p}/download"), &r);
        for (m, path) in [
            ("GET", format!("/api/files/{id}")),
            ("GET", format!("/api/files/{id}/download")),
            ("PUT", format!("/api/files/{id}")),
            ("DELETE", format!("/api/files/{id}")),
            ("GET", format!("/api/files/{id}/versions")),
            ("POST", format!("/api/files/{id}/versions/1/restore")),
        ] {
            let r = send_form(&app, m, &path, Some(&bob), &[File("file", "x.py", b"bob's overwrite")]).await;
            assert_eq!((r.status.as_u16(), error_code(&r)), (404, "NOT_FOUND".to_owned()), "{m} {path}: {}", r.text);
            assert_error_shape(m, &path, &r);
            assert!(!r.text.contains("ann's"), "{}", r.text);
        }
        assert!(!blob_exists(&app, b"bob's overwrite").await, "a replacement of another's file is not read");
        assert_eq!(app.call("GET", &format!("/api/files?project_id={bobs}"), Some(&bob)).await.json(), json!([]));
        let mine = app.call("GET", &format!("/api/files/{id}"), Some(&ann)).await.json();
        assert_eq!((mine["version"].as_i64(), mine["content"].as_str()), (Some(1), Some("ann's")), "bob changed nothing");

        let root = app.admin("root").await;
        let r = app.call("GET", &format!("/api/files/{id}"), Some(&root)).await;
        assert_eq!(r.status, 200, "an administrator sees every file: {}", r.text);
        assert_eq!(app.call("GET", &format!("/api/files?project_id={p}"), Some(&root)).await.status, 200);
    }

    async fn malformed_input_is_422_and_keeps_nothing(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, _, p) = owner_with_project(&app, &db, "ann").await;
        let id = upload(&app, &ann, p, "a.py", b"x").await["id"].as_i64().unwrap();
        let pid = p.to_string();
        let before = stored_files(&app);

        for (uri, loc) in [
            ("/api/files".to_owned(), json!(["query", "project_id"])),
            ("/api/files?project_id=abc".to_owned(), json!(["query", "project_id"])),
            (format!("/api/files?project_id={p}&category=binaries"), json!(["query", "category"])),
            (format!("/api/files?project_id={p}&skip=-1"), json!(["query", "skip"])),
            (format!("/api/files?project_id={p}&limit=0"), json!(["query", "limit"])),
            (format!("/api/files?project_id={p}&limit=101"), json!(["query", "limit"])),
            ("/api/files/abc".to_owned(), json!(["path", "file_id"])),
            ("/api/files/0".to_owned(), json!(["path", "file_id"])),
            ("/api/files/abc/download".to_owned(), json!(["path", "file_id"])),
            ("/api/files/abc/versions".to_owned(), json!(["path", "file_id"])),
            ("/api/projects/abc/download".to_owned(), json!(["path", "project_id"])),
            (format!("/api/files?project_id={p}&category=a%00b"), json!(["query", "category"])),
        ] {
            let r = app.call("GET", &uri, Some(&ann)).await;
            assert_eq!(r.status, 422, "{uri}: {}", r.text);
            assert_error_shape("GET", &uri, &r);
            assert_eq!(first_loc(&r), loc, "{uri}: {}", r.text);
        }

        // Upload forms: each refusal names its field, and a blob stored before the refusal is released.
        let with_nul = format!("{p}\0");
        let cases: Vec<(Vec<Part<'_>>, Value)> = vec![
            (vec![Text("project_id", &pid)], json!(["body", "file"])),
            (vec![File("file", "b.py", b"no project")], json!(["body", "project_id"])),
            (vec![File("file", "b.py", b"bad project"), Text("project_id", "abc")], json!(["body", "project_id"])),
            (vec![File("file", "b.py", b"bad category"), Text("project_id", &pid), Text("category", "binaries")], json!(["body", "category"])),
            (vec![Text("project_id", &pid), Text("file", "not a file")], json!(["body", "file"])),
            (vec![Text("project_id", &pid), File("file", "../../etc/passwd.txt", b"escape")], json!(["body", "file"])),
            (vec![Text("project_id", &pid), File("file", "", b"nameless")], json!(["body", "file"])),
            (vec![File("file", "b.py", b"nul project"), Text("project_id", &with_nul)], json!(["body", "project_id"])),
            (vec![Text("project_id", &pid), File("file", "b.py", b"one"), File("file", "c.py", b"two")], json!(["body", "file"])),
        ];
        for (parts, loc) in cases {
            let r = send_form(&app, "POST", "/api/files", Some(&ann), &parts).await;
            assert_eq!(r.status, 422, "{loc}: {}", r.text);
            assert_error_shape("POST", "/api/files", &r);
            assert_eq!(first_loc(&r), loc, "{}", r.text);
        }
        let r = send_form(&app, "PUT", &format!("/api/files/{id}"), Some(&ann), &[Text("note", "no file")]).await;
        assert_eq!((r.status.as_u16(), first_loc(&r)), (422, json!(["body", "file"])), "{}", r.text);
        let r = send_form(&app, "PUT", "/api/files/abc", Some(&ann), &[File("file", "a.py", b"y")]).await;
        assert_eq!((r.status.as_u16(), first_loc(&r)), (422, json!(["path", "file_id"])));

        // Bodies that are no multipart form at all.
        let json_body = common::json_req("POST", "/api/files", &json!({"project_id": p}), Some(&ann));
        let truncated = {
            let mut b = form(&[Text("project_id", &pid), File("file", "t.py", b"truncated content")]);
            b.truncate(b.len() - 30);
            b
        };
        let no_boundary = Request::post("/api/files")
            .header("content-type", "multipart/form-data")
            .header("authorization", format!("Bearer {ann}"))
            .body(Body::from("x"))
            .unwrap();
        for req in [json_body, multipart_req("POST", "/api/files", Some(&ann), truncated), no_boundary] {
            let r = app.send(req).await;
            assert_eq!(r.status, 422, "{}", r.text);
            assert_error_shape("POST", "/api/files", &r);
            assert_eq!(first_loc(&r), json!(["body"]), "{}", r.text);
        }
        assert_eq!(stored_files(&app), before, "no refused upload left a blob");
        let list = app.call("GET", &format!("/api/files?project_id={p}"), Some(&ann)).await.json();
        assert_eq!(paths(&list), ["a.py"]);
    }

    async fn oversized_files_are_413_and_keep_nothing(db: Db) {
        let http = slipway_http::HttpSettings { body_limit: 64 * 1024, ..slipway_http::HttpSettings::default() };
        let app = TestApp::new(db.clone(), Setup { http, max_upload_bytes: 256 * 1024, ..Setup::default() }).await;
        let (ann, _, p) = owner_with_project(&app, &db, "ann").await;
        let pid = p.to_string();

        // Larger than the JSON body limit, within the upload limit: uploads are not held to the JSON limit.
        let within = vec![b'a'; 200 * 1024];
        let f = upload(&app, &ann, p, "big.txt", &within).await;
        assert_eq!(f["size"], within.len());
        let id = f["id"].as_i64().unwrap();
        let before = stored_files(&app);

        let over = vec![b'b'; 256 * 1024 + 1];
        for parts in [
            vec![Text("project_id", pid.as_str()), File("file", "huge.txt", &over)],
            vec![File("file", "huge.txt", &over), Text("project_id", pid.as_str())],
        ] {
            let r = send_form(&app, "POST", "/api/files", Some(&ann), &parts).await;
            assert_eq!(r.status, 413, "{}", r.text);
            assert_error_shape("POST", "/api/files", &r);
            assert_eq!(error_code(&r), "FILE_001");
        }
        let r = send_form(&app, "PUT", &format!("/api/files/{id}"), Some(&ann), &[File("file", "big.txt", &over)]).await;
        assert_eq!((r.status.as_u16(), error_code(&r)), (413, "FILE_001".to_owned()), "{}", r.text);
        assert_eq!(stored_files(&app), before, "nothing of an oversized upload is kept");
        let list = app.call("GET", &format!("/api/files?project_id={p}"), Some(&ann)).await.json();
        assert_eq!((paths(&list), list[0]["version"].as_i64()), (vec!["big.txt"], Some(1)));

        // A declared length past the limit is refused before the body is read.
        let mut req = multipart_req("POST", "/api/files", Some(&ann), form(&[Text("project_id", &pid)]));
        req.headers_mut().insert("content-length", (10u64 * 1024 * 1024).to_string().parse().unwrap());
        let r = app.send(req).await;
        assert_eq!((r.status.as_u16(), error_code(&r)), (413, "FILE_001".to_owned()), "{}", r.text);
        // A form whose other fields carry more than a file's worth is refused too.
        let filler = "f".repeat(60 * 1024);
        let mut parts = vec![Text("project_id", pid.as_str()), File("file", "small.txt", b"small")];
        parts.extend((0..30).map(|_| Text("filler", filler.as_str())));
        let r = send_form(&app, "POST", "/api/files", Some(&ann), &parts).await;
        assert_eq!(r.status, 413, "{}", r.text);

        // JSON routes keep the JSON limit.
        let body = json!({"name": "x".repeat(70 * 1024), "provider": "openai", "api_key": "k"});
        let r = app.json("POST", "/api/llm-configs", body, Some(&ann)).await;
        assert_eq!(r.status, 413, "{}", r.text);
    }

    async fn disallowed_types_are_400_file_002_and_keep_nothing(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, _, p) = owner_with_project(&app, &db, "ann").await;
        let pid = p.to_string();
        let before = stored_files(&app);
        for name in ["setup.exe", "lib/native.so", "bundle.zip", "a.out", "core"] {
            let r = send_form(&app, "POST", "/api/files", Some(&ann), &[Text("project_id", &pid), File("file", name, b"MZ\x90\0")]).await;
            assert_eq!((r.status.as_u16(), error_code(&r)), (400, "FILE_002".to_owned()), "{name}: {}", r.text);
            assert_error_shape("POST", "/api/files", &r);
        }
        let r = send_form(&app, "POST", "/api/files", Some(&ann), &[File("file", "x.dll", b"MZ"), Text("project_id", &pid)]).await;
        assert_eq!(r.status, 400);
        assert_eq!(stored_files(&app), before);
        for name in ["Dockerfile", "Makefile", "LICENSE", ".gitignore", "db/schema.sql", "config.yaml", "data.csv", "Cargo.toml", "spec.pdf"] {
            upload(&app, &ann, p, name, b"allowed").await;
        }
    }

    async fn an_update_racing_a_delete_does_not_bring_the_file_back(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, _, p) = owner_with_project(&app, &db, "ann").await;
        let id = upload(&app, &ann, p, "x.py", b"original").await["id"].as_i64().unwrap();
        let principal = app.state.identity.authenticate(&ann).await.unwrap().principal();
        let form = DeletingForm { state: app.state.clone(), principal: principal.clone(), file_id: id, sent: false };
        let err = app.state.factory.replace_file(&principal, id, form).await.unwrap_err();
        assert!(matches!(err, slipway_core::Error::NotFound(_)), "{err:?}");
        assert_eq!(app.call("GET", &format!("/api/files?project_id={p}"), Some(&ann)).await.json(), json!([]));
        assert!(!blob_exists(&app, b"late replacement").await, "the replacement's blob was released");
        assert_eq!(stored_files(&app), 0);
    }

    async fn deleting_removes_the_blobs_no_other_version_uses(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, _, p) = owner_with_project(&app, &db, "ann").await;
        let a = upload(&app, &ann, p, "a.py", b"shared content").await["id"].as_i64().unwrap();
        upload(&app, &ann, p, "a.py", b"only in a").await;
        let b = upload(&app, &ann, p, "b.py", b"shared content").await["id"].as_i64().unwrap();
        assert!(blob_exists(&app, b"shared content").await && blob_exists(&app, b"only in a").await);

        assert_eq!(app.call("DELETE", &format!("/api/files/{a}"), Some(&ann)).await.status, 204);
        assert!(!blob_exists(&app, b"only in a").await, "a's own blob is gone");
        assert!(blob_exists(&app, b"shared content").await, "b still uses the shared one");
        let (_, bytes) = download_bytes(&app, &format!("/api/files/{b}/download"), &ann).await;
        assert_eq!(bytes, b"shared content");
        assert_eq!(app.call("DELETE", &format!("/api/files/{b}"), Some(&ann)).await.status, 204);
        assert!(!blob_exists(&app, b"shared content").await);
        assert_eq!(stored_files(&app), 0, "the store is empty again");
    }

    async fn a_projects_zip_holds_every_current_file_at_its_path(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, ann_id, p) = owner_with_project(&app, &db, "ann").await;
        let empty = project(&db, ann_id, "empty").await;
        let (bob, _) = app.user("bob").await;

        let (r, bytes) = download_bytes(&app, &format!("/api/projects/{empty}/download"), &ann).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("content-type"), Some("application/zip"));
        assert_eq!(r.header("content-disposition"), Some(format!("attachment; filename=\"project_{empty}.zip\"").as_str()));
        assert!(unzip(&bytes).is_empty(), "a project without files is an empty archive");

        let big: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let png = b"\x89PNG\r\n\x1a\n\0\0binary".to_vec();
        upload(&app, &ann, p, "src/main.py", b"print(1)\n").await;
        upload(&app, &ann, p, "src/main.py", b"print(2)\n").await;
        upload(&app, &ann, p, "README.md", "# 项目\n".as_bytes()).await;
        upload(&app, &ann, p, "assets/logo.png", &png).await;
        upload(&app, &ann, p, "data/big.csv", &big).await;
        upload(&app, &ann, p, "docs/设计.md", b"design").await;

        let (r, bytes) = download_bytes(&app, &format!("/api/projects/{p}/download"), &ann).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("content-disposition"), Some(format!("attachment; filename=\"project_{p}.zip\"").as_str()));
        let entries = unzip(&bytes);
        let want: Vec<(String, Vec<u8>)> = vec![
            ("README.md".into(), "# 项目\n".as_bytes().to_vec()),
            ("assets/logo.png".into(), png.clone()),
            ("data/big.csv".into(), big.clone()),
            ("docs/设计.md".into(), b"design".to_vec()),
            ("src/main.py".into(), b"print(2)\n".to_vec()),
        ];
        assert_eq!(entries.len(), want.len());
        for ((name, content), (want_name, want_content)) in entries.iter().zip(&want) {
            assert_eq!(name, want_name);
            assert!(content == want_content, "{name}: {} bytes, expected {}", content.len(), want_content.len());
        }
        let r = app.call("GET", &format!("/api/projects/{p}/download"), Some(&bob)).await;
        assert_eq!((r.status.as_u16(), error_code(&r)), (404, "PROJ_001".to_owned()));
        let r = app.call("GET", "/api/projects/987654/download", Some(&ann)).await;
        assert_eq!((r.status.as_u16(), error_code(&r)), (404, "PROJ_001".to_owned()));
    }
}
