//! The OpenAPI 3.1 document and the offline documentation page.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{get, method, send};
use serde_json::Value;

#[tokio::test]
async fn the_document_is_openapi_3_1_grouped_by_seed() {
    let (app, _db, _dir) = common::app().await;
    let r = send(&app, get("/openapi.json")).await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let tags: BTreeSet<&str> = doc["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    for seed in slipway_http::surface::Surface::ALL {
        assert!(tags.contains(seed.tag()), "missing tag {}", seed.tag());
    }
    assert_eq!(doc["paths"]["/health"]["get"]["tags"][0], "Perfect21");
    assert_eq!(doc["paths"]["/api/auth/health"]["get"]["tags"][0], "Perfect21");
    assert_eq!(doc["paths"]["/docs"]["get"]["tags"][0], "ResoftAI");
    assert_eq!(r.json(), serde_json::to_value(slipway_http::openapi::document()).unwrap());
}

#[tokio::test]
async fn every_documented_operation_is_served_and_tagged() {
    let (app, _db, _dir) = common::app().await;
    let doc = serde_json::to_value(slipway_http::openapi::document()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 5);
    for (path, item) in paths {
        for (verb, op) in item.as_object().unwrap() {
            let tag = op["tags"][0].as_str().unwrap_or_default();
            assert!(!tag.is_empty(), "{verb} {path} has no seed tag");
            let r = send(&app, method(&verb.to_uppercase(), path)).await;
            let unserved =
                r.rendered.map(|e| e.code).is_some_and(|c| c == "ROUTE_NOT_FOUND" || c == "METHOD_NOT_ALLOWED");
            assert!(!unserved, "{verb} {path} is documented but not served");
        }
    }
}

/// Every `src=`/`href=` in a page.
fn asset_refs(html: &str) -> Vec<String> {
    let mut refs = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            if let Some(end) = rest.find('"') {
                refs.push(rest[..end].to_owned());
            }
        }
    }
    refs
}

#[tokio::test]
async fn the_docs_page_and_all_its_assets_are_served_by_the_binary() {
    let (app, _db, _dir) = common::app().await;
    let r = send(&app, get("/docs")).await;
    assert!(r.status.is_redirection());
    assert_eq!(r.header("location"), Some("/docs/"));

    let page = send(&app, get("/docs/")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("swagger-ui"));
    let refs = asset_refs(&page.text);
    assert!(refs.len() >= 4, "{refs:?}");
    for asset in refs {
        assert!(!asset.contains("://"), "asset {asset} would need the network");
        let path = format!("/docs/{}", asset.trim_start_matches("./"));
        let r = send(&app, get(&path)).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.text.len() > 100 || path.ends_with(".png"), "{path} is empty");
    }
    let init = send(&app, get("/docs/swagger-initializer.js")).await;
    assert!(init.text.contains("\"/openapi.json\""), "{}", init.text);
    let json: Value = send(&app, get("/openapi.json")).await.json();
    assert!(json["paths"].is_object());
}
