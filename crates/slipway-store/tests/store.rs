//! The store on both backends: connecting, migrating, settings, and the two migration trees in lockstep.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use slipway_store::{Backend, Db, StoreError, backend_tests, on_pool};

backend_tests! {
    async fn ping_is_a_real_round_trip(db: Db) {
        let rtt = db.ping().await.expect("ping");
        assert!(rtt.as_secs() < 5);
    }

    async fn migrations_are_idempotent_and_complete(db: Db) {
        db.migrate().await.expect("second migrate is a no-op");
        let known: Vec<i64> = db.known_migrations().iter().map(|m| m.version).collect();
        assert_eq!(db.applied_migrations().await.unwrap(), known);
        assert!(!known.is_empty());
    }

    async fn instance_id_is_created_once(db: Db) {
        let first = db.instance_id("aaaa").await.unwrap();
        let second = db.instance_id("bbbb").await.unwrap();
        assert_eq!(first, "aaaa");
        assert_eq!(second, "aaaa", "a later candidate never replaces the stored id");
        assert_eq!(db.setting("missing").await.unwrap(), None);
    }

    async fn closed_pool_reports_unavailable(db: Db) {
        db.close().await;
        match db.ping().await {
            Err(StoreError::Unavailable(_)) => {}
            other => panic!("expected Unavailable, got {other:?}"),
        }
        let domain: slipway_core::Error = db.ping().await.unwrap_err().into();
        assert_eq!(domain.default_status(), 503);
    }
}

fn migration_files(dir: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dir);
    let mut names: Vec<String> = std::fs::read_dir(root)
        .expect("migrations dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn migration_trees_have_the_same_files() {
    let sqlite = migration_files("sqlite");
    let postgres = migration_files("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "every migration needs a twin for the other backend");
}

async fn columns(db: &Db) -> BTreeMap<String, Vec<String>> {
    let rows: Vec<(String, String)> = match db.backend() {
        Backend::Sqlite => on_pool!(db, |p| sqlx::query_as(
            "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'"
        )
        .fetch_all(p)
        .await)
        .unwrap(),
        Backend::Postgres => on_pool!(db, |p| sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%'"
        )
        .fetch_all(p)
        .await)
        .unwrap(),
    };
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in rows {
        map.entry(table).or_default().push(column);
    }
    map.values_mut().for_each(|v| v.sort());
    map
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_end_with_the_same_tables_and_columns() {
    let sqlite = slipway_store::testing::sqlite().await;
    let Some(pg) = slipway_store::testing::postgres().await else { return };
    let (a, b) = (columns(&sqlite.db).await, columns(&pg.db).await);
    assert!(a.contains_key("settings"));
    assert_eq!(a, b);
}

#[tokio::test]
async fn unknown_url_scheme_is_rejected() {
    let err = Db::connect("mysql://localhost/db", &Default::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidUrl(_)), "{err:?}");
}
