//! Three `zentrale serve` nodes as one control center: one PostgreSQL database (the test's
//! own), the machine's NATS (a subject prefix of the test's own) and the S3 stand-in, with
//! simulated PBXes reaching the nodes through a load balancer. Requests made on one node
//! reach PBXes held by another; a killed node's PBXes come back on the others; a rolling
//! restart loses no command and no call record.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::balancer::Balancer;
use crate::cluster_setup::*;
use crate::support::*;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use zentrale_agent::pbx::SimulatedPbx;

const PW: &str = "a long enough password";
const PBXES: usize = 6;

struct Pbx {
    id: String,
    sim: Arc<SimulatedPbx>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_route_recover_and_restart_without_loss() {
    let setup = Setup::new().await;
    setup.account("Cluster Co", "c@cluster.example", PW).await;

    let mut nodes = vec![
        Node::start(&setup, "node-a").await,
        Node::start(&setup, "node-b").await,
        Node::start(&setup, "node-c").await,
    ];
    let started = Instant::now();
    for n in &nodes {
        let r = client()
            .get(format!("{}/healthz", n.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.text().await.unwrap(), format!("ok\nnode {}\n", n.id));
    }
    let lb = Balancer::start(nodes.iter().map(Node::addr).collect()).await;

    // The user works on node A; the PBXes reach whichever node the balancer picks.
    let web = client();
    let a = nodes[0].url.clone();
    login(&web, &a, "c@cluster.example", PW).await;
    let token = api_token(&web, &a).await;
    let stop = CancellationToken::new();
    let mut pbxes = Vec::new();
    for i in 0..PBXES {
        let serial = format!("CLUSTER{i:03}");
        let (id, pairing) = add_system(&web, &a, &serial, &serial).await;
        let sim = Arc::new(SimulatedPbx::new(&serial, i as u64 + 1));
        sim.update(|s| s.remote_config_allowed = true);
        sim.update_calls(|c| c.history_days = 2);
        let mut cfg = zentrale_agent::AgentConfig::new(
            lb.url().parse().unwrap(),
            serial.as_str(),
            setup.dir.path().join(format!("agent-{i}.json")),
        );
        cfg.backoff_cap = Duration::from_secs(1);
        let (tx, mut status) = tokio::sync::watch::channel(zentrale_agent::AgentStatus::Starting);
        tokio::spawn(zentrale_agent::run(
            cfg,
            sim.clone(),
            Some(pairing),
            tx,
            stop.clone(),
        ));
        tokio::time::timeout(
            Duration::from_secs(30),
            status.wait_for(|s| *s == zentrale_agent::AgentStatus::Connected),
        )
        .await
        .unwrap()
        .unwrap();
        pbxes.push(Pbx { id, sim });
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let held = loop {
        let h = setup.holders().await;
        if h.len() == PBXES {
            break h;
        }
        assert!(Instant::now() < deadline, "online: {h:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // The PBX whose node is "far"; "near" is another node, "third" the remaining one.
    let far_id = held[&pbxes[0].id].clone();
    let far = nodes.iter().position(|n| n.id == far_id).unwrap();
    let near = (far + 1) % 3;
    let third = (far + 2) % 3;
    let (near_url, third_url) = (nodes[near].url.clone(), nodes[third].url.clone());
    let p0 = &pbxes[0];

    // Online state names the holding node, on every node.
    let (s, v) = api(
        &web,
        reqwest::Method::GET,
        &format!("{near_url}/api/v1/systems/{}", p0.id),
        &token,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["device"]["online_node"], far_id.as_str(), "{v}");

    // A Refresh on one node answers from the PBX held by another.
    let (s, v) = api(
        &web,
        reqwest::Method::POST,
        &format!("{third_url}/api/v1/systems/{}/registrations/refresh", p0.id),
        &token,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(
        !v["phones"].as_array().unwrap().is_empty(),
        "registrations came back: {v}"
    );

    // A backup asked on "near" for the PBX on "far" completes (stored on S3).
    let (s, v) = api(
        &web,
        reqwest::Method::POST,
        &format!("{near_url}/api/v1/systems/{}/backups", p0.id),
        &token,
    )
    .await;
    assert_eq!(s, 202, "{v}");
    let done = settled(&web, &third_url, &token, v["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(p0.sim.backup_sim().exports, 1);

    // Remote configuration on "near" reaches the PBX on "far". The balancer picks where
    // the agent's upgrade lands; sessions are opened until one's tunnel is held by another
    // node than "near", so the browser's requests are relayed between nodes.
    let near_id = nodes[near].id.clone();
    let mut tries = 0;
    let v = loop {
        let (s, v) = api(
            &web,
            reqwest::Method::POST,
            &format!("{near_url}/api/v1/systems/{}/remote-sessions", p0.id),
            &token,
        )
        .await;
        assert_eq!(s, 201, "{v}");
        let session = v["id"].as_str().unwrap().to_owned();
        let (holder,): (Option<String>,) = setup
            .sql(&format!(
                "SELECT tunnel_node FROM remote_sessions WHERE id = '{session}'"
            ))
            .await
            .remove(0);
        if holder.as_deref().is_some_and(|h| h != near_id) {
            break v;
        }
        let (s, _) = api(
            &web,
            reqwest::Method::DELETE,
            &format!(
                "{near_url}/api/v1/systems/{}/remote-sessions/{session}",
                p0.id
            ),
            &token,
        )
        .await;
        assert_eq!(s, 204);
        tries += 1;
        assert!(tries < 6, "every tunnel landed on {near_id}");
    };
    let session = v["id"].as_str().unwrap().to_owned();
    let link = v["url"].as_str().unwrap().to_owned();
    let parsed = url::Url::parse(&link).unwrap();
    let remote = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .resolve(
            parsed.host_str().unwrap(),
            SocketAddr::from(([127, 0, 0, 1], parsed.port().unwrap())),
        )
        .build()
        .unwrap();
    let origin = format!(
        "http://{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap()
    );
    let r = remote.get(&link).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let r = remote
        .post(format!("{origin}/login"))
        .form(&[(
            "password",
            zentrale_agent::pbx::web_sim::DEFAULT_ADMIN_PASSWORD,
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = text(&remote, &format!("{origin}/")).await;
    assert!(page.contains("CLUSTER000"), "{page}");
    // Closed on the third node: the node holding the tunnel closes it too.
    let (s, _) = api(
        &web,
        reqwest::Method::DELETE,
        &format!(
            "{third_url}/api/v1/systems/{}/remote-sessions/{session}",
            p0.id
        ),
        &token,
    )
    .await;
    assert_eq!(s, 204);
    let r = remote.get(format!("{origin}/")).send().await.unwrap();
    assert_eq!(r.status(), 410, "the session ended");

    // One run of each job per interval across the three nodes.
    let (runs,): (i64,) = setup
        .sql("SELECT runs FROM job_leases WHERE name = 'alerts'")
        .await[0];
    let elapsed = started.elapsed().as_secs_f64() + 1.0;
    assert!(runs >= 1, "the job never ran");
    assert!(
        (runs as f64) <= elapsed / 0.9 + 1.0,
        "{runs} runs in {elapsed:.1} s: the job ran on several nodes"
    );

    // SIGKILL "far": its PBXes are online on the other two within 15 s.
    let on_far: Vec<String> = held
        .iter()
        .filter(|(_, n)| **n == far_id)
        .map(|(s, _)| s.clone())
        .collect();
    let pid = nodes[far].run.child.id().unwrap();
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    let killed = Instant::now();
    loop {
        let h = setup.holders().await;
        if h.len() == PBXES && h.values().all(|n| *n != far_id) {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(15),
            "15 s after the kill of {far_id} (held {on_far:?}): {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The overview says so on every node that is left (it reads the database).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (x, y) = (
            states(&web, &nodes[near].url).await,
            states(&web, &nodes[third].url).await,
        );
        if x == y && x.len() == PBXES && !x.iter().any(|s| s == "unknown") {
            break;
        }
        assert!(Instant::now() < deadline, "overviews: {x:?} / {y:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "{} PBXes of the killed node online elsewhere after {:.1} s",
        on_far.len(),
        killed.elapsed().as_secs_f64()
    );

    // A write of one node that overtook another's leaves a connected PBX shown offline (or
    // an unconnected one shown online): the holding node corrects it on its own.
    let h = setup.holders().await;
    let (moved, holder) = h
        .iter()
        .next()
        .map(|(s, n)| (s.clone(), n.clone()))
        .unwrap();
    let gone: Vec<(String,)> = setup
        .sql(&format!(
            "UPDATE systems SET online_since = NULL, online_node = NULL WHERE id = '{moved}' \
             RETURNING id"
        ))
        .await;
    assert_eq!(gone.len(), 1);
    let corrected = Instant::now();
    loop {
        if setup.holders().await.get(&moved) == Some(&holder) {
            break;
        }
        assert!(
            corrected.elapsed() < Duration::from_secs(90),
            "{moved} still shown offline while {holder} holds it"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!(
        "a PBX wrongly shown offline was online again after {:.1} s",
        corrected.elapsed().as_secs_f64()
    );

    // The killed node comes back; then a rolling restart of all three (SIGTERM, drain,
    // start again), while every PBX retrieves its call records. Nothing is lost.
    let old = nodes[far].addr();
    let _ = nodes[far].run.child.wait().await;
    nodes[far] = Node::start(&setup, &far_id).await;
    lb.replace(old, nodes[far].addr());
    // A remote session open across the rolling restart: afterwards its tunnel comes back
    // with the next request (one reconnect), through whichever node serves the browser.
    let p1 = &pbxes[1];
    let (s, v) = api(
        &web,
        reqwest::Method::POST,
        &format!(
            "{}/api/v1/systems/{}/remote-sessions",
            nodes[near].url, p1.id
        ),
        &token,
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let link = url::Url::parse(v["url"].as_str().unwrap()).unwrap();
    let host = link.host_str().unwrap().to_owned();
    let remote = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, SocketAddr::from(([127, 0, 0, 1], 0)))
        .build()
        .unwrap();
    assert_eq!(
        remote.get(link.as_str()).send().await.unwrap().status(),
        303
    );
    let r = remote
        .post(format!("http://{host}:{}/login", nodes[near].remote_port))
        .form(&[(
            "password",
            zentrale_agent::pbx::web_sim::DEFAULT_ADMIN_PASSWORD,
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    let mut commands = Vec::new();
    for (i, p) in pbxes.iter().enumerate() {
        p.sim.update_calls(|c| c.delay_ms = 300);
        let base = &nodes[i % 3].url;
        let (s, v) = api(
            &web,
            reqwest::Method::POST,
            &format!("{base}/api/v1/systems/{}/calls/retrieve", p.id),
            &token,
        )
        .await;
        assert_eq!(s, 202, "{v}");
        commands.push(v["id"].as_str().unwrap().to_owned());
    }
    for i in 0..3 {
        let old = nodes[i].addr();
        let id = nodes[i].id.clone();
        // SIGTERM: the node drains (its PBXes are told 1001 and reconnect to the others),
        // then it starts again under its name.
        let log = crate::support::stop(nodes.remove(i).run).await;
        // Every monitoring sample it received is stored, also those that came while its
        // connections closed.
        let run = log
            .lines()
            .find(|l| l.contains("monitoring samples of this run"))
            .unwrap_or_else(|| panic!("no sample count in {id}'s log: {log}"));
        let field = |name: &str| -> u64 {
            let at = run.find(&format!("{name}=")).unwrap() + name.len() + 1;
            run[at..].split(' ').next().unwrap().parse().unwrap()
        };
        assert_eq!(field("received"), field("stored"), "{run}");
        let again = Node::start(&setup, &id).await;
        lb.replace(old, again.addr());
        nodes.insert(i, again);
        // Asked while a node restarts: reaches its PBX wherever it is now.
        let p = &pbxes[i];
        let base = &nodes[(i + 1) % 3].url;
        let (s, v) = api(
            &web,
            reqwest::Method::POST,
            &format!("{base}/api/v1/systems/{}/calls/retrieve", p.id),
            &token,
        )
        .await;
        assert!(s == 202 || s == 409, "{s} {v}");
        if s == 202 {
            commands.push(v["id"].as_str().unwrap().to_owned());
        }
    }
    let base = nodes[0].url.clone();
    for cmd in &commands {
        let done = settled(&web, &base, &token, cmd).await;
        assert_eq!(done["state"], "succeeded", "{done}");
    }
    // Every record the PBXes handed over is stored once, none missing.
    for p in &pbxes {
        let served = p.sim.calls_sim().served as i64;
        let (stored, span): (i64, i64) = setup
            .sql(&format!(
                "SELECT COUNT(*), COALESCE(MAX(seq) - MIN(seq) + 1, 0) FROM calls \
                 WHERE system_id = '{}'",
                p.id
            ))
            .await[0];
        assert_eq!(stored, served, "every record of {} once", p.id);
        assert_eq!(span, stored, "no gap for {}", p.id);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let h = setup.holders().await;
        if h.len() == PBXES {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "online after the rolling restart: {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // With every PBX back, the remote session's next request gets its tunnel again.
    let page = remote
        .get(format!("http://{host}:{}/", nodes[2].remote_port))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("CLUSTER001"));

    stop.cancel();
    for n in nodes {
        crate::support::stop(n.run).await;
    }
    setup.drop_db().await;
}
