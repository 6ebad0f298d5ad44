//! Monitoring: roll-up arithmetic and retention with a manual clock; samples from a real
//! paired simulated PBX reaching the charts and figures; role and gating.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_protocol::messages::Sample;
use zentrale_server::Clock;
use zentrale_server::monitoring::{HOUR, MINUTE, jobs, store};

both_backends!(rollup_arithmetic_and_retention, samples_from_a_paired_pbx);

async fn rollup_arithmetic_and_retention(b: Backend) {
    let db = TestDb::new(b).await;
    let t0 = 1_800_000_000_000i64.div_euclid(HOUR) * HOUR; // a whole hour
    let clock = Clock::manual(t0);
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    let st = &srv.st;
    let sys = "sysA";
    // Minute 0: cpu 10, 20, 30; minute 1: cpu 40 (late, in a second flush); minute 61: cpu 90.
    for (dt, cpu) in [(1_000, 10.0), (20_000, 20.0), (59_000, 30.0)] {
        st.monitoring.push(
            sys,
            Sample {
                t_ms: t0 + dt,
                cpu,
                mem: cpu / 2.0,
            },
        );
    }
    st.monitoring.push(
        sys,
        Sample {
            t_ms: t0 + 61 * MINUTE,
            cpu: 90.0,
            mem: 45.0,
        },
    );
    // (The server's own flusher may take some of them first: count what was stored.)
    st.monitoring
        .flush(&st.db, st.clock.now_ms(), true)
        .await
        .unwrap();
    assert_eq!(
        st.monitoring
            .stored
            .load(std::sync::atomic::Ordering::Relaxed),
        4
    );
    st.monitoring.push(
        sys,
        Sample {
            t_ms: t0 + 30_000,
            cpu: 40.0,
            mem: 20.0,
        },
    );
    st.monitoring
        .flush(&st.db, st.clock.now_ms(), true)
        .await
        .unwrap();
    assert_eq!(
        st.monitoring
            .stored
            .load(std::sync::atomic::Ordering::Relaxed),
        5
    );

    let minutes = store::rollups(&st.db, sys, MINUTE, t0, t0 + 2 * HOUR)
        .await
        .unwrap();
    assert_eq!(minutes.len(), 2);
    let m0 = minutes[0].agg;
    assert_eq!(
        (minutes[0].t, m0.n),
        (t0, 4),
        "late sample merged into its minute"
    );
    assert_eq!((m0.cpu_min, m0.cpu_max), (10.0, 40.0));
    assert!((m0.cpu_avg() - 25.0).abs() < 1e-9);
    assert!((m0.mem_avg() - 12.5).abs() < 1e-9);

    // Raw samples come back in time order from the sample log (or the chunks it settled
    // into) and from a row of the old per-sample table (written before the upgrade).
    sqlx::query("INSERT INTO samples (system_id, t, cpu, mem) VALUES ($1, $2, 55.5, 7.5)")
        .bind(sys)
        .bind(t0 + 45_000)
        .execute(&st.db.pool)
        .await
        .unwrap();
    let times = |raw: Vec<(i64, f64, f64)>| raw.iter().map(|p| p.0 - t0).collect::<Vec<_>>();
    let all = store::raw(&st.db, sys, t0, t0 + 2 * HOUR).await.unwrap();
    assert_eq!(
        times(all.clone()),
        vec![1_000, 20_000, 30_000, 45_000, 59_000, 61 * MINUTE]
    );
    assert_eq!(all[3], (t0 + 45_000, 55.5, 7.5));
    assert_eq!(all[2], (t0 + 30_000, 40.0, 20.0));
    assert_eq!(
        times(
            store::raw(&st.db, sys, t0 + 20_000, t0 + 59_000)
                .await
                .unwrap()
        ),
        vec![20_000, 30_000, 45_000],
        "[from, to)"
    );
    assert_eq!(
        store::latest(&st.db, sys).await.unwrap(),
        Some((t0 + 61 * MINUTE, 90.0, 45.0))
    );
    let chunks_of = |hour: i64| {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM sample_chunks WHERE system_id = $1 AND t0 >= $2 AND t0 < $3",
        )
        .bind(sys)
        .bind(hour)
        .bind(hour + HOUR)
        .fetch_one(&st.db.pool)
    };
    // Settled from the log into chunks: the same samples.
    store::settle_all(&st.db).await.unwrap();
    let logged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sample_log")
        .fetch_one(&st.db.pool)
        .await
        .unwrap();
    assert_eq!(logged, 0);
    assert!(chunks_of(t0).await.unwrap() >= 1);
    assert_eq!(
        store::raw(&st.db, sys, t0, t0 + 2 * HOUR).await.unwrap(),
        all
    );

    // The job rolls minutes up into hours, and merges the chunks of an hour that ended more
    // than five minutes ago (the first hour, not the second).
    clock.advance_ms(2 * HOUR);
    jobs::run_once(st).await.unwrap();
    assert_eq!(chunks_of(t0).await.unwrap(), 1, "merged");
    assert_eq!(
        store::raw(&st.db, sys, t0, t0 + 2 * HOUR).await.unwrap(),
        all
    );
    // A late sample for a merged hour gets its own chunk, merged again by the next run.
    st.monitoring.push(
        sys,
        Sample {
            t_ms: t0 + 50_000,
            cpu: 1.5,
            mem: 2.5,
        },
    );
    st.monitoring
        .flush(&st.db, st.clock.now_ms(), true)
        .await
        .unwrap();
    store::settle_all(&st.db).await.unwrap();
    assert_eq!(chunks_of(t0).await.unwrap(), 2);
    jobs::run_once(st).await.unwrap();
    assert_eq!(chunks_of(t0).await.unwrap(), 1);
    assert_eq!(
        times(store::raw(&st.db, sys, t0, t0 + HOUR).await.unwrap()),
        vec![1_000, 20_000, 30_000, 45_000, 50_000, 59_000]
    );
    let hours = store::rollups(&st.db, sys, HOUR, t0, t0 + 3 * HOUR)
        .await
        .unwrap();
    assert_eq!(hours.len(), 2);
    assert_eq!(
        (hours[0].t, hours[0].agg.n, hours[0].agg.cpu_max),
        (t0, 5, 40.0),
        "the late sample too"
    );
    assert_eq!(
        (hours[1].t, hours[1].agg.n, hours[1].agg.cpu_min),
        (t0 + HOUR, 1, 90.0)
    );
    // Running it again changes nothing (idempotent).
    jobs::run_once(st).await.unwrap();
    assert_eq!(
        store::rollups(&st.db, sys, HOUR, t0, t0 + 3 * HOUR)
            .await
            .unwrap()[0]
            .agg
            .n,
        5
    );

    // Retention: 50 hours on, all raw samples are older than 48 hours and gone; roll-ups stay.
    clock.advance_ms(48 * HOUR);
    jobs::run_once(st).await.unwrap();
    assert!(
        store::raw(&st.db, sys, t0, t0 + 3 * HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store::rollups(&st.db, sys, HOUR, t0, t0 + 3 * HOUR)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store::rollups(&st.db, sys, MINUTE, t0, t0 + 3 * HOUR)
            .await
            .unwrap()
            .len(),
        2
    );
    // After 9 days the minute roll-ups go too.
    clock.advance_ms(8 * 24 * HOUR);
    jobs::run_once(st).await.unwrap();
    assert!(
        store::rollups(&st.db, sys, MINUTE, t0, t0 + 3 * HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store::rollups(&st.db, sys, HOUR, t0, t0 + 3 * HOUR)
            .await
            .unwrap()
            .len(),
        2
    );
    srv.stop().await;
    db.cleanup().await;
}

async fn samples_from_a_paired_pbx(b: Backend) {
    let db = TestDb::new(b).await;
    let mut config = test_config(&db);
    config.monitoring_interval_ms = 200;
    let srv = TestServer::start_with(config, Clock::System, "127.0.0.1:0".parse().unwrap()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "mona@acme.example").await;
    user(&srv.st, "Acme", "bert@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("HQ", "MON0000001").await;
    for (who, role) in [
        ("mona@acme.example", "monitoring"),
        ("bert@acme.example", "backup"),
    ] {
        let r = web
            .post(
                "/authorisations",
                &[("user", who), ("system", id.as_str()), ("role", role)],
            )
            .await;
        assert_eq!(r.status, 303);
    }
    let pbx = SimulatedPbx::new("MON0000001", 4);
    pbx.update(|s| s.monitoring_enabled = true);
    pbx.set_load(Some((95.0, 80.0)));
    let cfg = agent_config(&srv.url, "MON0000001", db.dir.path().join("mon.json"));
    let mut agent = Agent::spawn(cfg, Some(&token), pbx);
    agent.wait_connected().await;

    let path = format!("/systems/{id}/monitoring");
    let mona = Client::logged_in(&srv.url, "mona@acme.example").await;
    wait_for(15, "samples stored and shown", || async {
        mona.get(&path).await.body.contains("95.0 %")
    })
    .await;
    let page = mona.get(&path).await.body;
    assert!(
        page.contains("<svg")
            && page.contains("class=\"series cpu\"")
            && page.contains("class=\"series mem\"")
    );
    assert!(page.contains("80.0 %"));

    // The load drops: the current value follows, the maximum of the hour remembers.
    agent.pbx.set_load(Some((12.5, 40.0)));
    wait_for(15, "current follows", || async {
        let body = mona.get(&path).await.body;
        let cpu_row = body
            .split("data-figure=\"cpu\"")
            .nth(1)
            .unwrap_or("")
            .split("</tr>")
            .next()
            .unwrap_or("")
            .to_owned();
        cpu_row.contains("<td>12.5 %</td>") && cpu_row.contains("<td>95.0 %</td>")
    })
    .await;
    for period in ["day", "week", "month"] {
        // Day and longer come from roll-ups: minutes are written once complete, hours by the
        // job; force both now instead of waiting.
        srv.st
            .monitoring
            .flush(&srv.st.db, srv.st.clock.now_ms(), true)
            .await
            .unwrap();
        zentrale_server::monitoring::jobs::run_once(&srv.st)
            .await
            .unwrap();
        let body = mona.get(&format!("{path}?period={period}")).await.body;
        assert!(body.contains("class=\"series cpu\""), "{period} chart");
    }

    // API: the same figures.
    let tok = mona.api_token().await;
    let j: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1{path}?period=hour", srv.url))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["cpu"]["max"].as_f64(), Some(95.0), "{j}");
    assert!(j["points"].as_array().is_some_and(|p| !p.is_empty()));
    // Values keep the one decimal they were sent with (no 38.900001525878906).
    agent.pbx.set_load(Some((38.9, 41.3)));
    wait_for(15, "38.9 stored as sent", || async {
        let j: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/api/v1{path}?period=hour", srv.url))
            .bearer_auth(&tok)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        j["current"][1].as_f64() == Some(38.9) && j["current"][2].as_f64() == Some(41.3)
    })
    .await;
    srv.st
        .monitoring
        .flush(&srv.st.db, srv.st.clock.now_ms(), true)
        .await
        .unwrap();
    // Settled into a chunk (the server's own settling may be under way: wait for it).
    wait_for(15, "38.9 in the newest chunk", || async {
        store::settle_all(&srv.st.db).await.unwrap();
        let newest: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT t0, data FROM sample_chunks ORDER BY t1 DESC LIMIT 1")
                .fetch_optional(&srv.st.db.pool)
                .await
                .unwrap();
        newest.is_some_and(|(t0, data)| {
            zentrale_server::monitoring::chunk::unpack(t0, &data)
                .max_by_key(|p| p.0)
                .is_some_and(|p| (p.1, p.2) == (38.9, 41.3))
        })
    })
    .await;

    // Role: Backup alone may not see monitoring.
    let bert = Client::logged_in(&srv.url, "bert@acme.example").await;
    assert_eq!(bert.get(&path).await.status, 403);

    // "Recording of system data" switched off in the PBX: unavailable, with the reason.
    agent.pbx.update(|s| s.monitoring_enabled = false);
    wait_for(10, "gated", || async {
        mona.get(&path).await.status == 409
    })
    .await;
    assert!(
        mona.get(&path)
            .await
            .body
            .contains("Recording of system data")
    );
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    srv.stop().await;
    db.cleanup().await;
}
