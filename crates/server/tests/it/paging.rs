//! Lists paged in the database: the systems lists (page and API) with keyset paging, the
//! visibility rule in SQL, filter and sort across pages, and refused parameters.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(systems_lists_page_in_sql, alerts_lists_page_in_sql);

const N: usize = 230;

fn name(i: usize) -> String {
    let word = ["alpha", "Beta", "gamma", "Delta", "Ölmühle"][i % 5];
    format!("{word} {:03}", (i * 37) % N)
}

/// Every item of the API list, following `next_cursor`; checks `total` on each page.
async fn all_pages(base: &str, token: &str, query: &str, total: usize) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    for _ in 0..50 {
        let page = api_json(
            base,
            token,
            &format!("/api/v1/systems?{query}&cursor={cursor}"),
        )
        .await;
        assert_eq!(page["total"].as_u64(), Some(total as u64), "{page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return items,
        }
    }
    panic!("more than 50 pages");
}

fn field(items: &[Value], key: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| i[key].as_str().unwrap().to_owned())
        .collect()
}

async fn systems_lists_page_in_sql(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "bea@acme.example").await;
    user(&srv.st, "Other", "eve@other.example").await;
    let owner_ui = Client::logged_in(&srv.url, "owner@acme.example").await;
    let owner = owner_ui.api_token().await;
    let bea = Client::logged_in(&srv.url, "bea@acme.example")
        .await
        .api_token()
        .await;
    let eve = Client::logged_in(&srv.url, "eve@other.example")
        .await
        .api_token()
        .await;
    // As the owner through the API: a system (its id), and a role on a system for Bea.
    let add = |name: String, serial: String| {
        let (url, owner) = (srv.url.clone(), owner.clone());
        async move {
            let body = json!({"name": name, "serial": serial});
            let (_, r) = api_send(&url, &owner, Method::POST, "/api/v1/systems", Some(body)).await;
            r["id"].as_str().unwrap().to_owned()
        }
    };
    let grant = |system: String, role: &'static str| {
        let (url, owner) = (srv.url.clone(), owner.clone());
        async move {
            let body =
                json!({"user_email": "bea@acme.example", "system_id": system, "roles": [role]});
            let (s, _) = api_send(
                &url,
                &owner,
                Method::POST,
                "/api/v1/authorisations",
                Some(body),
            )
            .await;
            assert_eq!(s, 201);
        }
    };
    let mut ids = Vec::new();
    for i in 0..N {
        ids.push(add(name(i), format!("PG{i:08}")).await);
    }
    for id in ids.iter().step_by(33) {
        grant(id.clone(), "monitoring").await;
    }

    // By name (case-insensitive), 50 at a time: every system once, in order.
    let items = all_pages(&srv.url, &owner, "limit=50", N).await;
    let names = field(&items, "name");
    let mut want: Vec<String> = (0..N).map(name).collect();
    want.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names.len(), N);
    assert_eq!(
        names.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>(),
        want.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>()
    );
    let mut seen = field(&items, "id");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), N, "no system twice");

    // By serial number, descending, 64 at a time.
    let serials = field(
        &all_pages(&srv.url, &owner, "sort=serial&order=desc&limit=64", N).await,
        "serial",
    );
    let mut want: Vec<String> = (0..N).map(|i| format!("PG{i:08}")).collect();
    want.reverse();
    assert_eq!(serials, want);

    // Filtered: by name, and by the state's name (all wait for their code).
    let betas = all_pages(&srv.url, &owner, "q=BETA&limit=10", N / 5).await;
    assert!(field(&betas, "name").iter().all(|n| n.starts_with("Beta")));
    all_pages(&srv.url, &owner, "q=pending&sort=state", N).await;

    // Bea sees the systems she is authorised for, with her role; Eve sees none.
    let hers = all_pages(&srv.url, &bea, "limit=3", N.div_ceil(33)).await;
    assert!(
        hers.iter().all(|s| s["roles"] == json!(["monitoring"])),
        "{hers:?}"
    );
    let by_role = all_pages(&srv.url, &bea, "q=monitoring", N.div_ceil(33)).await;
    assert_eq!(by_role.len(), hers.len());
    all_pages(&srv.url, &eve, "limit=1000", 0).await;
    // Her count is kept between lists, and follows a new authorisation at once.
    grant(ids[1].clone(), "backup").await;
    all_pages(&srv.url, &bea, "limit=50", N.div_ceil(33) + 1).await;
    // … and the system's deletion, and a rename (no change of access) keeps the count.
    let path = format!("/api/v1/systems/{}", ids[2]);
    let rename = Some(json!({"name": name(2)}));
    let (s, _) = api_send(&srv.url, &owner, Method::PATCH, &path, rename).await;
    assert!((200..300).contains(&s), "{s}");
    all_pages(&srv.url, &bea, "limit=50", N.div_ceil(33) + 1).await;
    let gone = add("Gone soon".into(), "PGGONE0001".into()).await;
    grant(gone.clone(), "backup").await;
    all_pages(&srv.url, &bea, "limit=50", N.div_ceil(33) + 2).await;
    let path = format!("/api/v1/systems/{gone}");
    let (s, _) = api_send(&srv.url, &owner, Method::DELETE, &path, None).await;
    assert!((200..300).contains(&s), "{s}");
    all_pages(&srv.url, &bea, "limit=50", N.div_ceil(33) + 1).await;

    // Refused: limits out of range, unknown sort or order, a cursor of another sort or not
    // ours, control characters.
    let first = api_json(&srv.url, &owner, "/api/v1/systems?limit=2").await;
    let name_cursor = first["next_cursor"].as_str().unwrap().to_owned();
    for q in [
        "limit=0".to_owned(),
        "limit=1001".to_owned(),
        "sort=password".to_owned(),
        "order=sideways".to_owned(),
        "cursor=not-a-cursor".to_owned(),
        format!("sort=registered&cursor={name_cursor}"),
        "q=a%00b".to_owned(),
        format!("q={}", "x".repeat(101)),
    ] {
        let status = api_status(&srv.url, &owner, &format!("/api/v1/systems?{q}")).await;
        assert!(status == 422 || status == 400, "{q}: {status}");
    }

    // The page: 100 rows, then the next page by its link, the last without one.
    let mut path = "/systems?sort=serial&dir=asc".to_owned();
    let mut rows = Vec::new();
    for page_no in 0.. {
        let page = owner_ui.get(&path).await;
        assert_eq!(page.status, 200);
        let on_page: Vec<String> = page
            .body
            .split("<tr data-system=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned())
            .collect();
        assert!(on_page.len() <= 100);
        assert_eq!(
            page.body.contains("rel=\"first\""),
            page_no > 0,
            "page {page_no}: {path}"
        );
        rows.extend(on_page);
        match page.body.find("\" rel=\"next\"") {
            Some(end) => {
                let start = page.body[..end].rfind("href=\"").unwrap() + 6;
                path = page.body[start..end]
                    .replace("&#38;", "&")
                    .replace("&amp;", "&");
            }
            None => break,
        }
    }
    assert_eq!(rows.len(), N);
    assert_eq!(rows.first(), ids.first());
    assert_eq!(rows.last(), ids.last());

    // A new system shows with its code on the admin page, whichever page it sorts onto.
    let (id, token) = owner_ui.add_system("zzz last", "PGZZ000001").await;
    let admin = owner_ui
        .get(&format!("/admin/systems?q=PGZZ000001&created={id}"))
        .await;
    assert!(admin.body.contains(&token));
    srv.stop().await;
    db.cleanup().await;
}

/// Marks a system as paired, connected, with active maintenance and a managed firmware, as
/// its hello would (the alerts lists only need the stored facts).
async fn maintained(st: &zentrale_server::AppState, id: &str) {
    let rank = st.config.min_managed_firmware.rank();
    sqlx::query(
        "UPDATE systems SET secret_hash = $1, maintenance_active = 1, firmware = '9.9.9', \
         firmware_rank = $2, online_since = 1 WHERE id = $3",
    )
    .bind(format!("hash-{id}"))
    .bind(rank)
    .bind(id)
    .execute(&st.db.pool)
    .await
    .unwrap();
}

async fn alerts_lists_page_in_sql(b: Backend) {
    use zentrale_server::alerts::store::{Condition, open};
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "bea@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let owner = web.api_token().await;
    let bea = Client::logged_in(&srv.url, "bea@acme.example")
        .await
        .api_token()
        .await;
    let (a, _) = web.add_system("Anlage A", "ALERTS0001").await;
    let (b_id, _) = web.add_system("Anlage B", "ALERTS0002").await;
    let (c, _) = web.add_system("Anlage C", "ALERTS0003").await;
    maintained(&srv.st, &a).await;
    maintained(&srv.st, &b_id).await;
    let severities = ["critical", "warning", "info"];
    for (system, n) in [(&a, 150), (&b_id, 60), (&c, 40)] {
        for i in 0..n {
            let subject = format!("line {i}");
            let cond = Condition {
                kind: "phone_unregistered",
                subject: &subject,
                severity: severities[i % 3],
                message: zentrale_server::i18n::Msg::new("alert-phone-unregistered")
                    .text("name", subject.clone())
                    .text("mac", "00:09:52:00:00:01"),
                source: "server",
            };
            assert!(
                open(&srv.st.db, system, &cond, 1_000 + i as i64)
                    .await
                    .unwrap()
            );
        }
    }

    // Across systems: the two with active maintenance, newest first, 40 at a time.
    let mut items = Vec::new();
    let mut cursor = String::new();
    loop {
        let p = api_json(
            &srv.url,
            &owner,
            &format!("/api/v1/alerts?limit=40&cursor={cursor}"),
        )
        .await;
        assert_eq!(p["total"], 210, "{p}");
        items.extend(p["items"].as_array().unwrap().iter().cloned());
        match p["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let opened: Vec<i64> = items
        .iter()
        .map(|i| i["opened_ms"].as_i64().unwrap())
        .collect();
    assert_eq!(opened.len(), 210);
    assert!(opened.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(items.iter().all(|i| i["system_id"] != c.as_str()));
    let mut ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 210, "no alert twice");

    // One system, by severity, filtered by the severity's name.
    let p = api_json(
        &srv.url,
        &owner,
        &format!("/api/v1/systems/{a}/alerts?sort=severity&q=critical&limit=1000"),
    )
    .await;
    assert_eq!(p["total"], 50, "{p}");
    assert!(
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["severity"] == "critical")
    );
    let p = api_json(&srv.url, &owner, &format!("/api/v1/systems/{c}/alerts")).await;
    assert_eq!(p["code"], "unavailable", "{p}");

    // Bea: a Backup role shows no alerts; Monitoring on B shows B's.
    let grant = |roles: &'static str| {
        let (url, owner, b_id) = (srv.url.clone(), owner.clone(), b_id.clone());
        async move {
            reqwest::Client::new()
                .post(format!("{url}/api/v1/authorisations"))
                .bearer_auth(owner)
                .json(
                    &json!({"user_email": "bea@acme.example", "system_id": b_id, "roles": [roles]}),
                )
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let auth = grant("backup").await;
    assert_eq!(api_json(&srv.url, &bea, "/api/v1/alerts").await["total"], 0);
    let aid = auth["id"].as_str().unwrap();
    let s = reqwest::Client::new()
        .patch(format!("{}/api/v1/authorisations/{aid}", srv.url))
        .bearer_auth(&owner)
        .json(&json!({"roles": ["monitoring"]}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, 200);
    assert_eq!(
        api_json(&srv.url, &bea, "/api/v1/alerts?limit=5").await["total"],
        60
    );

    // The page: 100 rows and a link to the rest.
    let page = web.get("/alerts?sort=system&dir=asc").await;
    assert_eq!(page.body.matches("<tr data-alert=").count(), 100);
    assert!(page.body.contains("rel=\"next\""));
    assert!(page.body.contains("210 of 210"), "count of matching alerts");
    srv.stop().await;
    db.cleanup().await;
}

/// The live regions ask with the tag of their copy: unchanged → 304 without a body; a change
/// → the page with a new tag. Another user's tag never matches (the tag is of the content).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_pages_answer_304() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, _) = web.add_system("Before", "ETAG000001").await;
    let get = |tag: Option<String>| {
        let req = web.http.get(format!("{}/systems", srv.url));
        let req = match tag {
            Some(t) => req.header("If-None-Match", t),
            None => req,
        };
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let tag = r
                .headers()
                .get("etag")
                .map(|v| v.to_str().unwrap().to_owned());
            let cache = r
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, tag, cache, r.text().await.unwrap())
        }
    };
    let (s, tag, cache, body) = get(None).await;
    assert_eq!((s, cache.as_deref()), (200, Some("private, no-cache")));
    assert!(body.contains("Before"));
    let tag = tag.unwrap();
    let (s, again, _, body) = get(Some(tag.clone())).await;
    assert_eq!(
        (s, again.as_deref(), body.as_str()),
        (304, Some(tag.as_str()), "")
    );
    let r = web
        .post(&format!("/systems/{id}/rename"), &[("name", "After")])
        .await;
    assert_eq!(r.status, 303);
    let (s, changed, _, body) = get(Some(tag.clone())).await;
    assert_eq!(s, 200);
    assert_ne!(changed.unwrap(), tag);
    assert!(body.contains("After"));
    srv.stop().await;
    db.cleanup().await;
}
