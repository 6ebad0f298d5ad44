//! Lists paged in the database: the systems lists (page and API) with keyset paging, the
//! visibility rule in SQL, filter and sort across pages, and refused parameters.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use serde_json::{Value, json};

both_backends!(systems_lists_page_in_sql);

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
        let page = api_json(base, token, &format!("/api/v1/systems?{query}&cursor={cursor}")).await;
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
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..N {
        let r: Value = http
            .post(format!("{}/api/v1/systems", srv.url))
            .bearer_auth(&owner)
            .json(&json!({"name": name(i), "serial": format!("PG{i:08}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(r["id"].as_str().unwrap().to_owned());
    }
    for id in ids.iter().step_by(33) {
        let s = http
            .post(format!("{}/api/v1/authorisations", srv.url))
            .bearer_auth(&owner)
            .json(&json!({"user_email": "bea@acme.example", "system_id": id, "roles": ["monitoring"]}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(s, 201);
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
    assert!(hers.iter().all(|s| s["roles"] == json!(["monitoring"])), "{hers:?}");
    let by_role = all_pages(&srv.url, &bea, "q=monitoring", N.div_ceil(33)).await;
    assert_eq!(by_role.len(), hers.len());
    all_pages(&srv.url, &eve, "limit=1000", 0).await;

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
        assert_eq!(page.body.contains("rel=\"first\""), page_no > 0, "page {page_no}: {path}");
        rows.extend(on_page);
        match page.body.find("\" rel=\"next\"") {
            Some(end) => {
                let start = page.body[..end].rfind("href=\"").unwrap() + 6;
                path = page.body[start..end].replace("&#38;", "&").replace("&amp;", "&");
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
