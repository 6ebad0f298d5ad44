//! The parts of the three-node test: what every node starts with, a node, the API as the
//! test calls it, and the S3 stand-in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use crate::moto::{Moto, moto};
use crate::support::*;
use sqlx::Connection;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

pub fn pg_admin() -> String {
    std::env::var("ZENTRALE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// What every node is started with: a database, a bucket on the S3 stand-in and a NATS
/// subject prefix of the test's own.
pub struct Setup {
    pub name: String,
    pub db: String,
    pub blob_url: String,
    pub s3: String,
    pub prefix: String,
    pub dir: tempfile::TempDir,
    moto: Moto,
}

impl Setup {
    pub async fn new() -> Setup {
        let name = unique("zt_cluster");
        let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", pg_admin()))
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let moto = moto().await;
        let s3 = moto.1.trim_end_matches('/').to_owned();
        let bucket = unique("zt-cluster").replace('_', "-");
        let r = reqwest::Client::new()
            .put(format!("{s3}/{bucket}"))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "bucket: {}", r.status());
        Setup {
            db: format!("{}/{name}", pg_admin()),
            name,
            blob_url: format!("s3://{bucket}/cluster"),
            s3,
            prefix: unique("zt"),
            dir: tempfile::tempdir().unwrap(),
            moto,
        }
    }

    /// A company with one user (who may do everything in it).
    pub async fn account(&self, company: &str, email: &str, password: &str) {
        self.cli(&["company", "add", company], None).await;
        self.cli(
            &["user", "add", "--company", company, "--email", email],
            Some(&format!("{password}\n")),
        )
        .await;
    }

    pub async fn drop_db(self) {
        let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", pg_admin()))
            .await
            .unwrap();
        sqlx::query(&format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name))
            .execute(&mut admin)
            .await
            .unwrap();
    }

    pub fn node(&self, id: &str) -> Running {
        self.node_with(id, "nats://127.0.0.1:4222")
    }

    pub fn node_with(&self, id: &str, nats: &str) -> Running {
        let data = self.dir.path().join(id);
        let mut cmd = zentrale(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
            "--database-url",
            &self.db,
            "--node-id",
            id,
            "--nats-url",
            nats,
            "--nats-prefix",
            &self.prefix,
            "--blob-url",
            &self.blob_url,
            "--job-interval-s",
            "1",
            "--heartbeat-s",
            "1",
            // Samples flow throughout, so a restart that dropped some would be counted.
            "--monitoring-interval-ms",
            "200",
        ]);
        cmd.env("AWS_ENDPOINT", &self.s3)
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1");
        spawn_running(cmd)
    }

    /// Runs a `zentrale` account command against the cluster's database.
    pub async fn cli(&self, args: &[&str], stdin: Option<&str>) {
        let data = self.dir.path().join("cli");
        let mut all: Vec<&str> = args.to_vec();
        all.extend([
            "--data-dir",
            data.to_str().unwrap(),
            "--database-url",
            &self.db,
        ]);
        let mut child = std::process::Command::new(BIN)
            .args(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub async fn sql<T>(&self, sql: &str) -> Vec<T>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        let mut c = sqlx::PgConnection::connect(&self.db).await.unwrap();
        let rows = sqlx::query_as::<_, T>(sql).fetch_all(&mut c).await.unwrap();
        c.close().await.unwrap();
        rows
    }

    /// Node holding each online PBX, by system id.
    pub async fn holders(&self) -> BTreeMap<String, String> {
        self.sql::<(String, String)>(
            "SELECT id, online_node FROM systems WHERE online_since IS NOT NULL \
             AND online_node IS NOT NULL",
        )
        .await
        .into_iter()
        .collect()
    }
}

pub struct Node {
    pub id: String,
    pub run: Running,
    pub url: String,
    /// Port of its remote origin (the PBXes' web interfaces).
    pub remote_port: u16,
}

impl Node {
    pub async fn start(setup: &Setup, id: &str) -> Node {
        Node::of(setup.node(id), id).await
    }

    pub async fn start_with(setup: &Setup, id: &str, nats: &str) -> Node {
        Node::of(setup.node_with(id, nats), id).await
    }

    async fn of(run: Running, id: &str) -> Node {
        let url = run.url_after("Zentrale listening on ").await;
        let origin = run.stderr_after("origin=").await;
        let origin = origin.split_whitespace().next().unwrap().trim_matches('"');
        let remote_port = origin
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        Node {
            id: id.to_owned(),
            run,
            url,
            remote_port,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.url.trim_start_matches("http://").parse().unwrap()
    }
}

pub async fn api(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
) -> (u16, serde_json::Value) {
    let r = c
        .request(method, url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(text.into()))
}

/// Waits until the command ends; its final JSON.
pub async fn settled(c: &reqwest::Client, base: &str, token: &str, cmd: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (s, v) = api(
            c,
            reqwest::Method::GET,
            &format!("{base}/api/v1/commands/{cmd}"),
            token,
        )
        .await;
        if s == 200 && matches!(v["state"].as_str(), Some("succeeded" | "failed")) {
            return v;
        }
        assert!(Instant::now() < deadline, "command {cmd} still {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
