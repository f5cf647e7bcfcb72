//! qoder's servers over HTTP against a real sshd on loopback: the whole resource in the `{code, message, data}`
//! envelope, the connection test (facts, host key pinned on first contact), a changed host key refused until an
//! administrator accepts it, a wrong key named as the auth step, who may use servers (anonymous 401, others
//! 403, granted operators, the outbound policy for them), malformed input, and no secret in any answer.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../slipway-ops/tests/common/sshd.rs"]
mod sshd;

use common::{TestApp, assert_error_shape, raw_req};
use serde_json::{Value, json};
use slipway_store::{Db, backend_tests};
use sshd::Sshd;

fn server(sshd: &Sshd, name: &str) -> Value {
    json!({
        "name": name, "host": "127.0.0.1", "port": sshd.port, "username": sshd::current_user(),
        "private_key": sshd.user_key(), "tags": ["web", "prod"], "description": "loopback sshd", "colour": "red",
    })
}

/// Neither the key nor the password appears anywhere in `text`.
fn no_secret(sshd: &Sshd, text: &str) {
    let key_body: String = sshd.user_key().lines().nth(1).unwrap_or_default().to_owned();
    assert!(key_body.len() > 20 && !text.contains(&key_body), "a secret leaked: {text}");
    assert!(!text.contains("\"private_key\":") && !text.contains("\"password\":"), "{text}");
}

backend_tests! {
    async fn servers_are_a_whole_resource_tested_over_real_ssh(db: Db) {
        let mut sshd = Sshd::start();
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let r = app.json("POST", "/api/servers", server(&sshd, "web-1"), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        no_secret(&sshd, &r.text);
        let b = r.json();
        assert_eq!((b["code"].as_i64(), b["message"].as_str()), (Some(200), Some("create server")), "the document's text");
        let s = &b["data"];
        assert_eq!((s["port"].as_u64(), s["auth_type"].as_str(), s["status"].as_str()), (Some(u64::from(sshd.port)), Some("private_key"), Some("unknown")));
        assert_eq!((s["has_private_key"].as_bool(), s["has_password"].as_bool()), (Some(true), Some(false)));
        assert_eq!(s["tags"], json!(["prod", "web"]));
        assert!(s["host_key_fingerprint"].is_null(), "pinned at the first connection");
        let id = s["id"].as_i64().unwrap();

        let list = app.call("GET", "/api/servers?page=1&page_size=10&tag=web&search=WEB&status=unknown", Some(&root)).await;
        assert_eq!(list.status, 200, "{}", list.text);
        no_secret(&sshd, &list.text);
        let l = list.json();
        assert_eq!((l["message"].as_str(), l["data"]["total"].as_i64(), l["data"]["page_size"].as_i64()), (Some("servers list"), Some(1), Some(10)));
        assert_eq!(app.call("GET", "/api/servers?tag=db", Some(&root)).await.json()["data"]["total"], 0);

        let t = app.call("POST", &format!("/api/servers/{id}/test"), Some(&root)).await;
        assert_eq!(t.status, 200, "{}", t.text);
        no_secret(&sshd, &t.text);
        let d = t.json()["data"].clone();
        assert_eq!(d["success"], true);
        assert!(!d["os"].as_str().unwrap().is_empty() && !d["kernel"].as_str().unwrap().is_empty(), "{d}");
        assert!(d["cpu_count"].as_i64().unwrap() >= 1 && d["memory_total"].as_i64().unwrap() > 1 << 20, "{d}");
        let pinned = d["host_key_fingerprint"].as_str().unwrap().to_owned();
        assert!(pinned.starts_with("SHA256:"));
        let got = app.call("GET", &format!("/api/servers/{id}"), Some(&root)).await.json()["data"].clone();
        assert_eq!((got["status"].as_str(), got["host_key_fingerprint"].as_str()), (Some("online"), Some(pinned.as_str())));
        assert!(got["last_checked_at"].is_string() && got["os"].is_string());

        let r = app.json("PUT", &format!("/api/servers/{id}"), json!({"description": "changed", "tags": ["db"]}), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["data"]["description"].as_str(), r.json()["data"]["tags"].clone()), (Some("changed"), json!(["db"])));
        assert_eq!(r.json()["data"]["host_key_fingerprint"], pinned.as_str(), "the address did not change");

        // A changed host key is refused, named, and kept for an administrator.
        sshd.restart_with_new_host_key();
        let r = app.call("POST", &format!("/api/servers/{id}/test"), Some(&root)).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert_error_shape("POST", &format!("/api/servers/{id}/test"), &r);
        let msg = r.json()["message"].as_str().unwrap().to_owned();
        assert!(msg.contains("host_key step") && msg.contains("changed"), "{msg}");
        let got = app.call("GET", &format!("/api/servers/{id}"), Some(&root)).await.json()["data"].clone();
        assert_eq!(got["status"], "host_key_changed");
        let offered = got["pending_host_key_fingerprint"].as_str().unwrap().to_owned();
        assert_ne!(offered, pinned);
        assert!(msg.contains(&offered), "the message names the offered key: {msg}");
        let again = app.call("POST", &format!("/api/servers/{id}/test"), Some(&root)).await;
        assert_eq!(again.status, 409, "still refused: {}", again.text);

        let (bob, _) = app.user("bob").await;
        let bob_id = app.id_of(&bob).await;
        assert_eq!(app.call("PUT", &format!("/api/servers/operators/{bob_id}"), Some(&root)).await.status, 200);
        let accept = format!("/api/servers/{id}/host-key/accept");
        let r = app.call("POST", &accept, Some(&bob)).await;
        assert_eq!(r.status, 403, "operators cannot accept host keys: {}", r.text);
        let r = app.json("POST", &accept, json!({"fingerprint": "SHA256:not-it"}), Some(&root)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        let r = app.json("POST", &accept, json!({"fingerprint": offered}), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["data"]["host_key_fingerprint"].as_str(), r.json()["data"]["pending_host_key_fingerprint"].is_null()), (Some(offered.as_str()), true));
        assert_eq!(app.call("POST", &accept, Some(&root)).await.status, 409, "nothing offered any more");
        let r = app.call("POST", &format!("/api/servers/{id}/test"), Some(&bob)).await;
        assert_eq!(r.status, 200, "an operator tests a loopback server an administrator saved: {}", r.text);

        // A key the server does not accept: the auth step.
        let r = app.json("PUT", &format!("/api/servers/{id}"), json!({"private_key": sshd.other_key()}), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.call("POST", &format!("/api/servers/{id}/test"), Some(&root)).await;
        assert_eq!(r.status, 502, "{}", r.text);
        assert!(r.json()["message"].as_str().unwrap().contains("auth step"), "{}", r.text);
        no_secret(&sshd, &r.text);
        assert_eq!(app.call("GET", &format!("/api/servers/{id}"), Some(&root)).await.json()["data"]["status"], "offline");

        // A port nothing listens on: the tcp step.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let r = app.json("PUT", &format!("/api/servers/{id}"), json!({"port": closed, "private_key": sshd.user_key()}), Some(&root)).await;
        assert!(r.json()["data"]["host_key_fingerprint"].is_null(), "a new address forgets the pinned key");
        let r = app.call("POST", &format!("/api/servers/{id}/test"), Some(&root)).await;
        assert_eq!(r.status, 502, "{}", r.text);
        assert!(r.json()["message"].as_str().unwrap().contains("tcp step"), "{}", r.text);

        let r = app.call("DELETE", &format!("/api/servers/{id}"), Some(&root)).await;
        assert_eq!(r.json(), json!({"code": 200, "message": "删除成功"}));
        let r = app.call("GET", &format!("/api/servers/{id}"), Some(&root)).await;
        assert_eq!(r.status, 404);
        assert_error_shape("GET", &format!("/api/servers/{id}"), &r);
    }

    async fn only_administrators_and_granted_operators_use_servers(db: Db) {
        let sshd = Sshd::start();
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let id = app.json("POST", "/api/servers", server(&sshd, "web-1"), Some(&root)).await.json()["data"]["id"].as_i64().unwrap();
        let paths = [("GET", "/api/servers".to_owned()), ("GET", format!("/api/servers/{id}")), ("DELETE", format!("/api/servers/{id}")), ("POST", format!("/api/servers/{id}/test")), ("GET", "/api/servers/operators".to_owned())];
        for (m, p) in &paths {
            let r = app.call(m, p, None).await;
            assert_eq!(r.status, 401, "{m} {p}: {}", r.text);
            assert_error_shape(m, p, &r);
        }
        let (bob, _) = app.user("bob").await;
        let bob_id = app.id_of(&bob).await;
        for (m, p) in &paths {
            let r = app.call(m, p, Some(&bob)).await;
            assert_eq!(r.status, 403, "{m} {p}: {}", r.text);
            assert_error_shape(m, p, &r);
        }
        let r = app.json("POST", "/api/servers", server(&sshd, "bobs"), Some(&bob)).await;
        assert_eq!(r.status, 403, "{}", r.text);
        let grant = format!("/api/servers/operators/{bob_id}");
        assert_eq!(app.call("PUT", &grant, Some(&bob)).await.status, 403, "no self-grant");
        assert_eq!(app.call("PUT", "/api/servers/operators/999999", Some(&root)).await.status, 404);
        let r = app.call("PUT", &grant, Some(&root)).await;
        assert_eq!(r.json(), json!({"code": 200, "message": "更新成功"}));
        let ops = app.call("GET", "/api/servers/operators", Some(&root)).await.json();
        assert_eq!(ops["data"][0]["username"], "bob");

        // An operator sees the whole inventory, but may not target loopback or private addresses.
        let l = app.call("GET", "/api/servers", Some(&bob)).await;
        assert_eq!((l.status.as_u16(), l.json()["data"]["total"].as_i64()), (200, Some(1)));
        let r = app.json("POST", "/api/servers", server(&sshd, "bobs"), Some(&bob)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.json()["message"].as_str().unwrap().contains("127.0.0.1"), "{}", r.text);
        let mut private = server(&sshd, "bobs");
        private["host"] = json!("10.1.2.3");
        assert_eq!(app.json("POST", "/api/servers", private, Some(&bob)).await.status, 400);
        let mut named = server(&sshd, "bobs");
        named["host"] = json!("localhost");
        assert_eq!(app.json("POST", "/api/servers", named, Some(&bob)).await.status, 400);
        let r = app.json("PUT", &format!("/api/servers/{id}"), json!({"host": "192.168.1.9"}), Some(&bob)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        let mut public = server(&sshd, "public");
        public["host"] = json!("8.8.8.8");
        let r = app.json("POST", "/api/servers", public, Some(&bob)).await;
        assert_eq!(r.status, 200, "a public address is fine: {}", r.text);
        let r = app.json("PUT", &format!("/api/servers/{id}"), json!({"description": "by bob"}), Some(&root)).await;
        assert_eq!(r.status, 200);

        assert_eq!(app.call("DELETE", &grant, Some(&root)).await.status, 200);
        assert_eq!(app.call("DELETE", &grant, Some(&root)).await.status, 404);
        assert_eq!(app.call("GET", "/api/servers", Some(&bob)).await.status, 403, "revoked");
    }

    async fn malformed_input_gets_qoders_400(db: Db) {
        let sshd = Sshd::start();
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let base = server(&sshd, "web-1");
        let cases: Vec<(&str, Value)> = vec![
            ("name", json!({"name": " "})),
            ("host", json!({"host": "not a host/"})),
            ("port", json!({"port": 70000})),
            ("username", json!({"username": "-oProxyCommand=sh"})),
            ("private_key", json!({"private_key": "ssh-ed25519 AAAA public half"})),
            ("password", json!({"password": "also"})),
            ("jump_host", json!({"jump_host": "x:notaport"})),
            ("tags", json!({"tags": ["a,b"]})),
        ];
        for (field, change) in cases {
            let mut body = base.clone();
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let r = app.json("POST", "/api/servers", body, Some(&root)).await;
            assert_eq!(r.status, 400, "{field}: {}", r.text);
            assert_error_shape("POST", "/api/servers", &r);
            no_secret(&sshd, &r.text);
        }
        let mut no_credential = base.clone();
        no_credential.as_object_mut().unwrap().remove("private_key");
        assert_eq!(app.json("POST", "/api/servers", no_credential, Some(&root)).await.status, 400);
        let r = app.send(raw_req("POST", "/api/servers", "{not json", Some(&root))).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_error_shape("POST", "/api/servers", &r);
        let r = app.json("POST", "/api/servers", json!({"name": 5}), Some(&root)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(app.call("GET", "/api/servers?status=sleepy", Some(&root)).await.status, 400);
        assert_eq!(app.call("GET", "/api/servers?page_size=1000", Some(&root)).await.status, 400);
        assert_eq!(app.call("GET", "/api/servers/abc", Some(&root)).await.status, 400);
        assert_eq!(app.call("POST", "/api/servers/987654/test", Some(&root)).await.status, 404);
        let id = app.json("POST", "/api/servers", base.clone(), Some(&root)).await.json()["data"]["id"].as_i64().unwrap();
        assert_eq!(app.json("POST", "/api/servers", base, Some(&root)).await.status, 409, "the name is taken");
        let r = app.json("PUT", &format!("/api/servers/{id}"), json!({"private_key": sshd.user_key(), "password": "x"}), Some(&root)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        let r = app.json("PUT", &format!("/api/servers/{id}"), json!({"password": "a new password"}), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["data"]["has_password"].as_bool(), r.json()["data"]["has_private_key"].as_bool()), (Some(true), Some(false)));
        assert!(!r.text.contains("a new password"));
    }
}
