//! moto's S3 server, the S3 stand-in the tests start themselves (`.ci/run` installs it
//! from PyPI); shared with the `zentrale` binary's tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

/// moto's S3 server on a port it picks itself, and its URL; killed when the guard drops.
pub struct Moto(#[allow(dead_code)] tokio::process::Child, pub String);

pub async fn moto() -> Moto {
    let mut child = tokio::process::Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 for the S3 stand-in");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("Running on ").nth(1) {
                return rest.split_whitespace().next().unwrap().to_owned();
            }
        }
        panic!("moto.server ended without saying its address: install it with `pip install 'moto[server]'` (.ci/run does)");
    })
    .await
    .expect("moto.server did not start within 60 s");
    // Keep reading its log, so a full pipe never blocks it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Moto(child, url)
}
