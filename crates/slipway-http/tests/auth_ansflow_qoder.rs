//! AnsFlow's token and user routes, and qoder's user resource.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, assert_error_shape};
use serde_json::json;
use slipway_store::{Db, backend_tests};

backend_tests! {
    async fn ansflow_login_and_refresh_use_access_and_refresh(db: Db) {
        let app = TestApp::on(db).await;
        app.user("admin_like").await;
        let r = app.json("POST", "/api/auth/login/", json!({"username": "admin_like", "password": "Secret123!"}), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert!(b["access"].is_string() && b["refresh"].is_string());
        assert_eq!((b["user"]["username"].as_str(), b["user"]["email"].as_str()), (Some("admin_like"), Some("admin_like@example.com")));
        assert!(b["user"]["id"].is_i64());

        let r = app.json("POST", "/api/auth/refresh/", json!({"refresh": b["refresh"]}), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let fresh = r.json();
        assert!(fresh["access"].is_string() && fresh["refresh"].is_string());
        assert_ne!(fresh["refresh"], b["refresh"]);

        let r = app.json("POST", "/api/auth/refresh/", json!({"refresh": b["refresh"]}), None).await;
        assert_eq!(r.status, 401, "a used refresh token");
        assert_eq!(r.json()["error"]["code"], "AUTHENTICATION_ERROR");
        assert_error_shape("POST", "/api/auth/refresh/", &r);

        let r = app.json("POST", "/api/auth/login/", json!({"username": "admin_like", "password": "bad"}), None).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.json()["error"]["code"], "AUTHENTICATION_ERROR");
        assert_eq!(r.json()["path"], "/api/auth/login/");
        let r = app.json("POST", "/api/auth/login/", json!({"username": "admin_like"}), None).await;
        assert_eq!(r.status, 400, "DRF answers bad fields with 400");
        assert_eq!(r.json()["error"]["details"]["password"][0], "此字段不能为空");
        assert_eq!(r.json()["error"]["message"], "请求数据验证失败");
    }

    async fn ansflow_me_and_the_paginated_user_list(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        app.json("PUT", "/api/auth/me", json!({"full_name": "Ann Mary Lee"}), Some(&ann)).await;
        let me = app.call("GET", "/api/users/me/", Some(&ann)).await;
        assert_eq!(me.status, 200);
        let b = me.json();
        assert_eq!((b["first_name"].as_str(), b["last_name"].as_str(), b["is_active"].as_bool()), (Some("Ann"), Some("Mary Lee"), Some(true)));
        assert!(b["date_joined"].as_str().unwrap().ends_with('Z'));

        for n in ["bob", "cat", "dan"] {
            app.user(n).await;
        }
        let req = axum::http::Request::get("/api/users/?page=2&page_size=2").header("host", "ci.example:8000").header("authorization", format!("Bearer {root}")).body(axum::body::Body::empty()).unwrap();
        let r = app.send(req).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let p = r.json();
        assert_eq!(p["count"], 5);
        assert_eq!(p["next"], "http://ci.example:8000/api/users/?page=3&page_size=2");
        assert_eq!(p["previous"], "http://ci.example:8000/api/users/?page=1&page_size=2");
        assert_eq!(p["results"].as_array().unwrap().len(), 2);

        let r = app.call("GET", "/api/users/", Some(&ann)).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.json()["error"]["code"], "PERMISSION_DENIED");
        let r = app.call("GET", "/api/users/me/", None).await;
        assert_eq!(r.status, 401);
        assert_error_shape("GET", "/api/users/me/", &r);
    }

    async fn qoder_admins_manage_users_in_the_envelope(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let r = app.json("POST", "/api/users", json!({"username": "newuser", "email": "newuser@example.com", "password": "abcdef", "role": "user"}), Some(&root)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let created = r.json();
        assert_eq!((created["code"].as_i64(), created["message"].as_str()), (Some(201), Some("用户创建成功")));
        assert_eq!(created["data"]["status"], 1);
        let id = created["data"]["id"].as_i64().unwrap();

        let r = app.call("GET", "/api/users?page=1&page_size=10", Some(&root)).await;
        assert_eq!(r.status, 200);
        let d = &r.json()["data"];
        assert_eq!((d["total"].as_i64(), d["page"].as_i64(), d["page_size"].as_i64()), (Some(2), Some(1), Some(10)));
        assert_eq!(d["list"][1]["username"], "newuser");

        let r = app.call("GET", &format!("/api/users/{id}"), Some(&root)).await;
        assert_eq!((r.status.as_u16(), r.json()["data"]["email"].as_str()), (200, Some("newuser@example.com")));

        // Disabling ends the user's sessions at once.
        let login = app.json("POST", "/api/auth/login", json!({"username": "newuser", "password": "abcdef"}), None).await;
        let token = login.json()["data"]["access_token"].as_str().unwrap().to_owned();
        let r = app.json("PUT", &format!("/api/users/{id}"), json!({"status": 0, "role": "admin"}), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["code"].as_i64(), r.json()["message"].as_str()), (Some(200), Some("更新成功")));
        assert_eq!(app.call("GET", "/api/auth/profile", Some(&token)).await.status, 401);

        let r = app.call("DELETE", &format!("/api/users/{id}"), Some(&root)).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), json!({"code": 200, "message": "删除成功"}));
        let r = app.call("GET", &format!("/api/users/{id}"), Some(&root)).await;
        assert_eq!(r.status, 404);
        assert_error_shape("GET", &format!("/api/users/{id}"), &r);
    }

    async fn qoder_refuses_bad_ids_fields_and_callers(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        let ann_id = app.id_of(&ann).await;
        for path in ["/api/users/abc", "/api/users/-3", "/api/users/0"] {
            let r = app.call("GET", path, Some(&root)).await;
            assert_eq!(r.status, 400, "{path}");
            assert_error_shape("GET", path, &r);
        }
        for bad in [
            json!({"username": "x1", "email": "x1@example.com", "password": "abc", "role": "user"}),
            json!({"username": "x1", "email": "bad", "password": "abcdef", "role": "user"}),
            json!({"username": "x1", "email": "x1@example.com", "password": "abcdef", "role": "root"}),
            json!({"username": "x1", "email": "x1@example.com", "password": "abcdef"}),
            json!({"username": "ann", "email": "other@example.com", "password": "abcdef", "role": "user"}),
        ] {
            let r = app.json("POST", "/api/users", bad.clone(), Some(&root)).await;
            assert_eq!(r.status, 400, "{bad}: {}", r.text);
            assert_error_shape("POST", "/api/users", &r);
        }
        assert_eq!(app.json("PUT", &format!("/api/users/{ann_id}"), json!({"status": 7}), Some(&root)).await.status, 400);
        let r = app.json("PUT", &format!("/api/users/{ann_id}"), json!({"nickname": "x", "status": 1}), Some(&root)).await;
        assert_eq!(r.status, 200, "gin ignores unknown fields: {}", r.text);
        assert_eq!(app.call("GET", "/api/users?page_size=101", Some(&root)).await.status, 400);
        assert_eq!(app.call("DELETE", "/api/users/99999", Some(&root)).await.status, 404);

        // A user reads only themselves and changes nothing; anonymous callers get 401.
        assert_eq!(app.call("GET", &format!("/api/users/{ann_id}"), Some(&ann)).await.status, 200);
        let root_id = app.id_of(&root).await;
        assert_eq!(app.call("GET", &format!("/api/users/{root_id}"), Some(&ann)).await.status, 403);
        assert_eq!(app.call("GET", "/api/users", Some(&ann)).await.status, 403);
        assert_eq!(app.json("POST", "/api/users", json!({"username": "y1", "email": "y1@example.com", "password": "abcdef", "role": "admin"}), Some(&ann)).await.status, 403);
        assert_eq!(app.json("PUT", &format!("/api/users/{root_id}"), json!({"status": 0}), Some(&ann)).await.status, 403);
        assert_eq!(app.call("DELETE", &format!("/api/users/{root_id}"), Some(&ann)).await.status, 403);
        for (m, p) in [("GET", "/api/users"), ("POST", "/api/users"), ("DELETE", "/api/users/1")] {
            let r = app.call(m, p, None).await;
            assert_eq!(r.status, 401, "{m} {p}");
            assert_error_shape(m, p, &r);
        }
        // Administrators cannot lock themselves out.
        assert_eq!(app.call("DELETE", &format!("/api/users/{root_id}"), Some(&root)).await.status, 403);
    }
}
