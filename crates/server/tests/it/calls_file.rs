//! SQLite keeps the call records and cursors in a file of their own beside the database
//! (`db::calls_file`): a database of an older version, with its records in the main file,
//! has them moved at start, once; a lost records file is made again, empty.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sqlx::Connection;

async fn count(db: &zentrale_server::db::Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&db.pool).await.unwrap()
}

#[tokio::test]
async fn records_of_an_older_database_move_to_their_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.sqlite");
    let url = format!("sqlite://{}", file.display());
    // The migrations up to 0029, as the version before this one ran them.
    let old = dir.path().join("migrations");
    std::fs::create_dir(&old).unwrap();
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for entry in std::fs::read_dir(all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "0030" {
            std::fs::copy(&path, old.join(&name)).unwrap();
        }
    }
    let mut c = sqlx::SqliteConnection::connect(&format!("{url}?mode=rwc"))
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&mut c)
        .await
        .unwrap();
    // Records and a cursor in the main file (no system row: foreign keys off here).
    sqlx::raw_sql(
        "PRAGMA foreign_keys=OFF; \
         INSERT INTO call_cursors (system_id, last_seq, records, next_due) VALUES ('s1', 3, 3, 0); \
         INSERT INTO calls VALUES ('s1', 1, 10, 5, 'in', '0301', 'A', '', '', '', '', 1, 'x', 1), \
         ('s1', 2, 20, 5, 'in', '0302', 'B', '', '', '', '', 1, 'x', 1), \
         ('s1', 3, 30, 5, 'out', '0303', 'C', '', '', '', '', 0, 'x', 1);",
    )
    .execute(&mut c)
    .await
    .unwrap();
    c.close().await.unwrap();

    let db = zentrale_server::db::Db::connect(&url).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM calls").await, 3);
    assert_eq!(count(&db, "SELECT last_seq FROM call_cursors").await, 3);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM main.sqlite_master WHERE name IN ('calls', 'call_cursors')"
        )
        .await,
        0,
        "gone from the main file"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM calls_db.calls WHERE partner = '0302'"
        )
        .await,
        1
    );
    assert!(dir.path().join("old.sqlite.calls").exists());
    db.pool.close().await;

    // Started again: moved once, nothing doubled or lost.
    let db = zentrale_server::db::Db::connect(&url).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM calls").await, 3);
    db.pool.close().await;

    // The records' file lost: made again, empty; the server starts.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("old.sqlite.calls{suffix}")));
    }
    let db = zentrale_server::db::Db::connect(&url).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM calls").await, 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM call_cursors").await, 0);
    db.pool.close().await;
}
