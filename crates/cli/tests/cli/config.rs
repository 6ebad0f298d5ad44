//! `zentrale serve --config FILE`: defaults, then the file, then variables, then flags;
//! secrets never printed; a wrong setting stops the start with a message naming it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::*;
use tokio::process::Command;

async fn print_config(
    file: &std::path::Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (bool, String, String) {
    let mut c = Command::new(BIN);
    c.args([
        "serve",
        "--config",
        file.to_str().unwrap(),
        "--print-config",
    ])
    .args(extra)
    .env_remove("ZENTRALE_HEARTBEAT_S");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().await.unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_file_variables_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zentrale.toml");
    let data = dir.path().join("data");
    std::fs::write(
        &file,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nheartbeat_s = 3\nmetrics_token = \"m3trics-s3cret\"\n\
             database_url = \"postgres://zentrale:db-pa55@db.example/zentrale\"\n",
            data.display()
        ),
    )
    .unwrap();

    // The file over the defaults; secrets masked.
    let (ok, out, err) = print_config(&file, &[], &[]).await;
    assert!(ok, "{err}");
    assert!(out.contains("heartbeat_s = 3"), "{out}");
    assert!(
        out.contains("session_idle_s = 28800"),
        "defaults shown: {out}"
    );
    assert!(
        !out.contains("m3trics-s3cret") && !out.contains("db-pa55"),
        "{out}"
    );
    assert!(out.contains("********"), "{out}");
    // A variable over the file, a flag over both.
    let (_, out, _) = print_config(&file, &[], &[("ZENTRALE_HEARTBEAT_S", "5")]).await;
    assert!(out.contains("heartbeat_s = 5"), "{out}");
    let (_, out, _) = print_config(
        &file,
        &["--heartbeat-s", "7"],
        &[("ZENTRALE_HEARTBEAT_S", "5")],
    )
    .await;
    assert!(out.contains("heartbeat_s = 7"), "{out}");

    // A misspelt name, and half a single sign-on setup: refused with what is wrong.
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "hearbeat_s = 3\n").unwrap();
    let (ok, _, err) = print_config(&typo, &[], &[]).await;
    assert!(!ok);
    assert!(err.contains("hearbeat_s"), "{err}");
    let half = dir.path().join("half.toml");
    std::fs::write(
        &half,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\noidc_issuer = \"https://id.example\"\n",
            data.display()
        ),
    )
    .unwrap();
    let o = Command::new(BIN)
        .args(["serve", "--config", half.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("oidc_client_id") && err.contains("public_url"),
        "{err}"
    );

    // And it runs from the file.
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n",
            data.display()
        ),
    )
    .unwrap();
    let server = spawn_running(zentrale(&["serve", "--config", good.to_str().unwrap()]));
    let url = server.url_after("Zentrale listening on ").await;
    let r = client().get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "ready");
    stop(server).await;
}

/// `--version` names the git commit, as the Dashboard does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_names_the_commit() {
    let o = Command::new(BIN).arg("--version").output().await.unwrap();
    assert!(o.status.success());
    let said = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    assert_eq!(
        said,
        format!("zentrale {}", zentrale_server::dashboard::VERSION)
    );
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if let Some(commit) = commit {
        assert!(
            said.contains(&format!("({commit})")),
            "{said} lacks {commit}"
        );
    }
}

/// The blob store is a setting of `serve`; an unusable one stops the start and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_store_setting() {
    let help = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--blob-url"));
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--blob-url",
            "ftp://files.example/blobs",
        ])
        .output()
        .await
        .unwrap();
    assert!(!o.status.success());
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(
        said.contains("ftp://files.example/blobs") && said.contains("use file:// or s3://"),
        "{said}"
    );
}
