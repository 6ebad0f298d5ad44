//! Call data with a real agent: records come over the device link in batches and are
//! stored once each with no gap; a bad batch is refused whole with its line; the list pages
//! by key through 200,000 records on both databases; the CSV matches the table; the legal
//! notes gate the export in the UI and the API; masking and retention; Call data › All.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::commands::{api_post, wait_state};
use crate::harness::*;
use serde_json::Value;
use std::collections::HashSet;

both_backends!(two_hundred_thousand_records, bad_batches_and_odd_records);

const DAY_MS: i64 = 86_400_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Retrieves now and waits until this and every follow-up batch succeeded; the commands.
pub async fn retrieve_all(srv: &TestServer, token: &str, id: &str) -> Vec<Value> {
    let (status, cmd) = api_post(
        &srv.url,
        token,
        &format!("/api/v1/systems/{id}/calls/retrieve"),
    )
    .await;
    assert_eq!(status, 202, "{cmd}");
    let since = cmd["created_at_ms"].as_i64();
    let path = format!("/api/v1/systems/{id}/commands");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(240);
    loop {
        let last = api_json(&srv.url, token, &path).await;
        let calls: Vec<&Value> = last
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == "calls.retrieve" && c["created_at_ms"].as_i64() >= since)
            .collect();
        if calls.iter().any(|c| c["state"] == "failed") {
            panic!("a retrieval failed: {last}");
        }
        if calls.iter().all(|c| c["state"] == "succeeded") {
            return calls.into_iter().cloned().collect();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "retrievals did not end: {last}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

pub async fn scalar(st: &zentrale_server::AppState, sql: &str, id: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .bind(id)
        .fetch_one(&st.db.pool)
        .await
        .unwrap()
}

async fn all_pages(srv: &TestServer, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{path}{sep}limit=1000&cursor={cursor}");
        let page = api_json(&srv.url, token, &url).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return items,
        }
    }
}

async fn two_hundred_thousand_records(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Calls", "CALLS00001")
        .await;
    // A rate that gives about 200,000 records from the start of the day before yesterday.
    let now = now_ms();
    let kept_h = (now - (now / DAY_MS - 2) * DAY_MS) as f64 / 3_600_000.0;
    let per_hour = (200_000.0 / kept_h).ceil() as u32;
    agent.pbx.update_calls(|c| {
        c.per_hour = per_hour;
        c.history_days = 2;
    });
    let commands = retrieve_all(&srv, &token, &id).await;
    assert!(
        commands.len() >= 10,
        "batches of 20,000: {}",
        commands.len()
    );
    let sim = agent.pbx.calls_sim();
    let stored = scalar(
        &srv.st,
        "SELECT COUNT(*) FROM calls WHERE system_id = $1",
        &id,
    )
    .await;
    let span = scalar(
        &srv.st,
        "SELECT MAX(seq) - MIN(seq) + 1 FROM calls WHERE system_id = $1",
        &id,
    )
    .await;
    assert!(stored >= 200_000, "{stored}");
    assert_eq!(
        stored as u64, sim.served,
        "every record the PBX handed over, once"
    );
    assert_eq!(span, stored, "no gap");
    // Each batch's upload is deleted once stored, its (empty) directory with it.
    let objects = srv.st.config.data_dir.join("blobs").join("objects");
    wait_for(30, "the uploads' files and directories deleted", || {
        let objects = objects.clone();
        async move { std::fs::read_dir(&objects).map_or(0, |d| d.count()) == 0 }
    })
    .await;
    if b == Backend::Sqlite {
        // The writer does not checkpoint in its commits; the checkpointer beside it keeps
        // the records' WAL from growing with every batch.
        let writer = srv.st.calls_writer.clone();
        wait_for(30, "the records' file checkpointed", || {
            let writer = writer.clone();
            async move { writer.checkpoints.done() >= 1 }
        })
        .await;
        let size = |name: &str| std::fs::metadata(db.dir.path().join(name)).map_or(0, |m| m.len());
        let wal = size("test.sqlite.calls-wal");
        assert!(wal < 64 << 20, "WAL {wal} bytes");
    }
    assert_eq!(
        sim.batches as usize,
        commands.len(),
        "one batch per command"
    );

    // Paged by key, newest first: every record exactly once, in order.
    let items = all_pages(&srv, &token, &format!("/api/v1/systems/{id}/calls")).await;
    assert_eq!(items.len() as i64, stored);
    let seqs: HashSet<i64> = items.iter().map(|i| i["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs.len() as i64, stored);
    assert!(
        items
            .windows(2)
            .all(|w| w[0]["started_at_ms"].as_i64() >= w[1]["started_at_ms"].as_i64())
    );

    // Door calls by duration: the filter and another sort column page the same way.
    let doors = scalar(
        &srv.st,
        "SELECT COUNT(*) FROM calls WHERE system_id = $1 AND direction = 'door'",
        &id,
    )
    .await;
    let q = "direction=door&sort=duration&order=asc";
    let items = all_pages(&srv, &token, &format!("/api/v1/systems/{id}/calls?{q}")).await;
    assert_eq!(items.len() as i64, doors);
    assert!(items.iter().all(|i| i["direction"] == "door"));
    assert!(
        items
            .windows(2)
            .all(|w| w[0]["duration_s"].as_i64() <= w[1]["duration_s"].as_i64())
    );
    let unique: HashSet<i64> = items.iter().map(|i| i["seq"].as_i64().unwrap()).collect();
    assert_eq!(unique.len() as i64, doors);

    // The CSV of the same filter: every row, and its first rows are the table's.
    let r = raw_client()
        .get(format!(
            "{}/api/v1/systems/{id}/calls.csv?{q}&confirm_legal_notice=true",
            srv.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with("\u{FEFF}".as_bytes()), "UTF-8 with BOM");
    let csv = std::str::from_utf8(&body[3..]).unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "Date / time;Duration;External partner;External name;No. invoice;Name invoice;Name real;Connection;Type of billing;Call type"
    );
    assert_eq!(lines.len() as i64, doors + 1);
    let page = web.get(&format!("/systems/{id}/calls?{q}")).await;
    assert_eq!(page.status, 200);
    let table = table_rows(&page.body);
    assert_eq!(table.len(), 50);
    for (row, line) in table.iter().zip(&lines[1..]) {
        let cells: Vec<String> = line
            .split(';')
            .map(|c| c.trim_matches('"').trim_start_matches('\'').to_owned())
            .collect();
        assert_eq!(row, &cells, "the CSV row matches the table's");
    }
    // An export the reader abandons after its first bytes: the server stops reading and
    // logs how far it got.
    let mut r = raw_client()
        .get(format!(
            "{}/api/v1/systems/{id}/calls.csv?confirm_legal_notice=true",
            srv.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let first = r.chunk().await.unwrap().unwrap();
    assert!(first.starts_with("\u{FEFF}".as_bytes()));
    drop(r);
    let st = srv.st.clone();
    wait_for(60, "the abandoned export in the audit log", || {
        let st = st.clone();
        async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'calls.exported' \
                 AND args LIKE '%\"complete\":false%'",
            )
            .fetch_one(&st.db.pool)
            .await
            .unwrap();
            n == 1
        }
    })
    .await;
    let (args,): (String,) = sqlx::query_as(
        "SELECT args FROM audit_log WHERE action = 'calls.exported' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&srv.st.db.pool)
    .await
    .unwrap();
    let args: Value = serde_json::from_str(&args).unwrap();
    assert!(args["rows"].as_i64().unwrap() < stored / 2, "{args}");
    // Deleting the system deletes its records (PostgreSQL: no foreign key does it).
    agent.stop.cancel();
    let r = raw_client()
        .delete(format!("{}/api/v1/systems/{id}", srv.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let left = scalar(
        &srv.st,
        "SELECT COUNT(*) FROM calls WHERE system_id = $1",
        &id,
    )
    .await;
    assert_eq!(left, 0, "the deleted system's records are gone");
    let cursor = scalar(
        &srv.st,
        "SELECT COUNT(*) FROM call_cursors WHERE system_id = $1",
        &id,
    )
    .await;
    assert_eq!(
        cursor, 0,
        "and its cursor (SQLite: no foreign key between the files)"
    );
    srv.stop().await;
    db.cleanup().await;
}

/// The cells of the calls table's rows (text, entities decoded for `&amp;`).
pub fn table_rows(html: &str) -> Vec<Vec<String>> {
    let table = between(html, "<table class=\"compact\" id=\"calls\">", "</table>").unwrap();
    table
        .split("<tr data-call=")
        .skip(1)
        .map(|tr| {
            tr.split("<td")
                .skip(1)
                .map(|td| {
                    let inner = &td[td.find('>').unwrap() + 1..td.find("</td>").unwrap()];
                    strip_tags(inner)
                        .replace("&#38;", "&")
                        .replace("&amp;", "&")
                        .replace("&#39;", "'")
                })
                .collect()
        })
        .collect()
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut tag = false;
    for c in s.chars() {
        match c {
            '<' => tag = true,
            '>' => tag = false,
            c if !tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

async fn bad_batches_and_odd_records(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Faulty", "CALLS00002")
        .await;
    // Yesterday's records too: with today's alone, a run just after midnight (UTC) found
    // fewer than six records and the faulty one was not in the batch yet.
    agent.pbx.update_calls(|c| {
        c.per_hour = 600;
        c.history_days = 1;
    });
    let (first, _) = agent.pbx.calls_sim().kept(now_ms());
    // A firmware fault: the sixth record comes twice. The batch is refused whole, with the
    // line, and the agent is told.
    agent.pbx.update_calls(|c| c.repeat_seq = Some(first + 5));
    let (status, cmd) = api_post(
        &srv.url,
        &token,
        &format!("/api/v1/systems/{id}/calls/retrieve"),
    )
    .await;
    assert_eq!(status, 202);
    let failed = wait_state(&srv.url, &token, cmd["id"].as_str().unwrap(), "failed", 60).await;
    assert_eq!(failed["error"]["code"], "batch_refused", "{failed}");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 7"),
        "{failed}"
    );
    let count = "SELECT COUNT(*) FROM calls WHERE system_id = $1";
    assert_eq!(scalar(&srv.st, count, &id).await, 0, "nothing of it stored");
    let page = web.get(&format!("/systems/{id}/activity")).await;
    assert!(page.body.contains("line 7"), "the reason is shown");

    // Fixed, with NUL and overlong names, and a PBX clock ten years behind.
    agent.pbx.update_calls(|c| {
        c.repeat_seq = None;
        c.odd_text = true;
        c.clock_offset_ms = -3652 * DAY_MS;
    });
    retrieve_all(&srv, &token, &id).await;
    let served = agent.pbx.calls_sim().served;
    let stored = scalar(&srv.st, count, &id).await;
    assert!(stored > 0);
    // The refused batch was handed over too, but none of it counted.
    let (names, reals): (String, String) = sqlx::query_as(
        "SELECT partner_name, real_name FROM calls WHERE system_id = $1 ORDER BY seq LIMIT 1",
    )
    .bind(&id)
    .fetch_one(&srv.st.db.pool)
    .await
    .unwrap();
    assert!(names.starts_with("Evil\u{FFFD}Name"), "{names:?}");
    assert_eq!(reals.chars().count(), 80);
    assert!(reals.ends_with('…'));
    let items = api_json(
        &srv.url,
        &token,
        &format!("/api/v1/systems/{id}/calls?limit=5"),
    )
    .await;
    let t = items["items"][0]["started_at_ms"].as_i64().unwrap();
    assert!(t < now_ms() - 3000 * DAY_MS, "the PBX's time is kept");
    let page = web.get(&format!("/systems/{id}/calls")).await;
    let year = chrono::DateTime::from_timestamp_millis(t)
        .unwrap()
        .format("%Y")
        .to_string();
    assert!(
        table_rows(&page.body)[0][0].starts_with(&year),
        "the list shows the PBX's time"
    );

    // Bad list parameters are refused in words, never a server error.
    let long = "9".repeat(60_000);
    for q in [
        "q=%00".to_owned(),
        format!("q={}", "x".repeat(101)),
        "cursor=garbage".to_owned(),
        "limit=0".to_owned(),
        "limit=5000".to_owned(),
        "sort=drop+table".to_owned(),
        "from=yesterday".to_owned(),
        format!("q={long}"),
    ] {
        let status = api_status(&srv.url, &token, &format!("/api/v1/systems/{id}/calls?{q}")).await;
        assert!(
            (400..500).contains(&status),
            "{}: {status}",
            &q[..q.len().min(30)]
        );
    }
    // A batch for a cursor already passed is acknowledged and not stored again.
    let cmd =
        zentrale_server::commands::service::create_for::<zentrale_protocol::calls::CallsRetrieve>(
            &srv.st,
            &id,
            "",
            &zentrale_protocol::calls::CallsRetrieveParams {
                after: 0,
                max_records: 20_000,
            },
        )
        .await
        .unwrap();
    wait_state(&srv.url, &token, &cmd.id, "succeeded", 60).await;
    assert_eq!(scalar(&srv.st, count, &id).await, stored, "nothing doubled");
    assert!(
        agent.pbx.calls_sim().served > served,
        "the PBX sent it again"
    );
    // Thirty "Retrieve now" at once: one retrieval, the others hear that it runs. The PBX
    // holds its batch until all thirty are answered, so the retrieval is still running for
    // the last of them however slowly the machine serves them.
    agent.pbx.update_calls(|c| c.hold = true);
    let path = format!("/api/v1/systems/{id}/calls/retrieve");
    let answers =
        futures_util::future::join_all((0..30).map(|_| api_post(&srv.url, &token, &path))).await;
    agent.pbx.update_calls(|c| c.hold = false);
    let taken = answers.iter().filter(|(s, _)| *s == 202).count();
    assert_eq!(taken, 1, "{answers:?}");
    assert!(answers.iter().all(|(s, _)| *s == 202 || *s == 409));
    let started = answers
        .iter()
        .find(|(s, _)| *s == 202)
        .map(|(_, b)| b["id"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    wait_state(&srv.url, &token, &started, "succeeded", 60).await;
    agent.stop.cancel();
    srv.stop().await;
    db.cleanup().await;
}
