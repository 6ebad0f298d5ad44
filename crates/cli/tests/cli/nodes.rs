//! Two `zentrale serve` processes on one PostgreSQL database: both serve, and each job runs
//! once per interval on one of them, not on both.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::*;
use sqlx::Connection;
use std::time::{Duration, Instant};

fn pg_admin() -> String {
    std::env::var("ZENTRALE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_one_job_run_per_interval() {
    let name = format!(
        "zt_nodes_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", pg_admin()))
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = format!("{}/{name}", pg_admin());
    let dir = tempfile::tempdir().unwrap();
    // The first node makes the schema; then both run.
    let migrate = zentrale(&["migrate", "--database-url", &url])
        .output()
        .await
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let node = |id: &str| {
        let data = dir.path().join(id);
        spawn_running(zentrale(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
            "--database-url",
            &url,
            "--node-id",
            id,
            "--job-interval-s",
            "1",
        ]))
    };
    let a = node("node-a");
    let b = node("node-b");
    let url_a = a.url_after("Zentrale listening on ").await;
    let url_b = b.url_after("Zentrale listening on ").await;
    let started = Instant::now();
    for u in [&url_a, &url_b] {
        let r = client().get(format!("{u}/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{u}");
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let (runs, holder): (i64, String) =
        sqlx::query_as("SELECT runs, holder FROM job_leases WHERE name = 'alerts'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    let elapsed = started.elapsed().as_secs_f64() + 1.0;
    // A lease lasts 0.9 of the interval: one run per 0.9 s at most, whichever node takes
    // it. Both nodes running every tick would be about twice as many.
    assert!(runs >= 1, "the job never ran");
    assert!(
        (runs as f64) <= elapsed / 0.9 + 1.0,
        "{runs} runs in {elapsed:.1} s: the job ran on both nodes"
    );
    assert!(holder == "node-a" || holder == "node-b", "{holder}");
    db.close().await.unwrap();
    stop(a).await;
    stop(b).await;
    sqlx::query(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}
