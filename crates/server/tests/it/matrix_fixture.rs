//! The permission matrix's principals and the fresh objects each row gets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::harness::*;
use zentrale_server::access::{Role, RoleSet};
use zentrale_server::auth::CurrentUser;
use zentrale_server::auth::session;
use zentrale_server::{AppState, access, account, authorisations, groups, systems};

pub struct Users {
    pub by_name: Vec<(&'static str, Option<CurrentUser>)>,
}

impl Users {
    fn get(&self, name: &str) -> &CurrentUser {
        self.by_name
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, u)| u.as_ref())
            .unwrap()
    }
}

pub async fn users(st: &AppState) -> Users {
    let mut by_name: Vec<(&'static str, Option<CurrentUser>)> = vec![("anon", None)];
    for name in ["none", "mon", "bak", "cd", "adm", "own"] {
        by_name.push((
            name,
            Some(user(st, "Acme", &format!("{name}@acme.example")).await),
        ));
    }
    by_name.push((
        "other",
        Some(user(st, "Other Co", "other@other.example").await),
    ));
    let op = user(st, "Platform", "op@platform.example").await;
    zentrale_server::users::store::set_operator(&st.db, &op.id, true)
        .await
        .unwrap();
    by_name.push((
        "op",
        Some(CurrentUser {
            is_operator: true,
            ..op
        }),
    ));
    Users { by_name }
}

/// The value of the session cookie in a `Set-Cookie` header.
pub fn cookie_token(set_cookie: &axum::http::HeaderValue) -> String {
    let s = set_cookie.to_str().unwrap();
    s.split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

/// Authorises mon, bak, cd and adm on the system with their roles; returns mon's
/// authorisation id.
async fn authorise_all(st: &AppState, u: &Users, id: &zentrale_server::ids::SystemId) -> String {
    let own = &zentrale_server::context::Ctx::from(u.get("own").clone());
    let mut mon = String::new();
    for (name, role) in [
        ("mon", Role::Monitoring),
        ("bak", Role::Backup),
        ("cd", Role::CallData),
        ("adm", Role::Administrator),
    ] {
        let cap = access::system(st, own, id)
            .await
            .unwrap()
            .manager()
            .unwrap();
        let a = authorisations::service::grant(
            st,
            own,
            &cap,
            &u.get(name).email,
            RoleSet::default().with(role),
        )
        .await
        .unwrap();
        if name == "mon" {
            mon = a.id;
        }
    }
    mon
}

/// Fresh objects for one row; returns the substitutions for its URL and body.
pub async fn fixture(st: &AppState, u: &Users, r: usize) -> Vec<(&'static str, String)> {
    let own = &zentrale_server::context::Ctx::from(u.get("own").clone());
    let sys = systems::service::create(st, own, &format!("S{r}"), &format!("S{r:03}0000"))
        .await
        .unwrap();
    let sys2 = systems::service::create(st, own, &format!("T{r}"), &format!("T{r:03}0000"))
        .await
        .unwrap();
    let auth = authorise_all(st, u, &sys.id).await;
    let settings = |name: String, role: &str, public: bool| {
        groups::service::Settings::parse(&name, "", role, public).unwrap()
    };
    let group = groups::service::create(st, own, settings(format!("G{r}"), "backup", false))
        .await
        .unwrap();
    let cap = groups::service::owned(st, own, &group).await.unwrap();
    groups::service::add_member(st, &cap, &u.get("bak").email, "")
        .await
        .unwrap();
    groups::service::add_system(st, own, &cap, &sys.id)
        .await
        .unwrap();
    let pgroup = groups::service::create(st, own, settings(format!("P{r}"), "monitoring", true))
        .await
        .unwrap();
    let (token, _) = account::service::create_token(st, own, "fixture", None)
        .await
        .unwrap();
    let origin = session::Origin {
        user_agent: String::new(),
        ip: String::new(),
    };
    let extra = session::start(st, &own.id, &origin).await.unwrap();
    let handle: String = zentrale_server::ids::hash_secret(&cookie_token(&extra))
        .chars()
        .take(16)
        .collect();
    let psys = systems::service::create(st, own, &format!("P{r}"), &format!("P{r:03}0000"))
        .await
        .unwrap();
    pair_in_store(st, &psys.id).await;
    authorise_all(st, u, &psys.id).await;
    let news = zentrale_server::ids::new_id();
    zentrale_server::news::store::insert(
        &st.db,
        &zentrale_server::news::store::NewsRow {
            id: news.clone(),
            title: format!("N{r}"),
            body: "x".into(),
            languages: "en,de".into(),
            publish_at: 0,
            created_at: 0,
            created_by: "op".into(),
        },
    )
    .await
    .unwrap();
    let cmd = zentrale_server::commands::service::create_for::<
        zentrale_protocol::commands::BackupCreate,
    >(st, sys.id.as_str(), "own", &Default::default())
    .await
    .unwrap();
    let bk = zentrale_server::ids::new_id();
    sqlx::query(
        "INSERT INTO backups (id, system_id, object, size, sha256, firmware, automatic, created_by, \
         command_id, created_at) VALUES ($1, $2, 'fixture-object', 10, $3, '2.6.2', 0, 'own', 'none', 0)",
    )
    .bind(&bk)
    .bind(psys.id.as_str())
    .bind("0".repeat(64))
    .execute(&st.db.pool)
    .await
    .unwrap();
    let smtp = zentrale_server::smtp::service::create(
        st,
        own,
        zentrale_server::smtp::service::Input {
            name: format!("Fixture mail {r}"),
            address: "127.0.0.1".into(),
            port: 1,
            sender: "zentrale@acme.example".into(),
            recipient: "ops@acme.example".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    vec![
        ("{smtp}", smtp.id),
        ("{bk}", bk),
        ("{cmd}", cmd.id),
        ("{news}", news),
        ("{sys2}", sys2.id.into()),
        ("{psys}", psys.id.into()),
        ("{sys}", sys.id.into()),
        ("{group}", group),
        ("{pgroup}", pgroup),
        ("{auth}", auth),
        ("{member}", u.get("bak").id.to_string()),
        ("{token}", token.id),
        ("{handle}", handle),
        ("{r}", format!("{r:03}")),
    ]
}

/// The maintenance-gated routes once more, on `{psys}`: a system that is paired, has active
/// maintenance, a managed firmware and records system data, so the allowed case is seen
/// (not only the 409 of an unpaired system).
async fn pair_in_store(st: &AppState, id: &str) {
    let pbx = zentrale_agent::pbx::SimulatedPbx::new("PAIRED0001", 1);
    pbx.update(|s| {
        s.maintenance = true;
        s.monitoring_enabled = true;
    });
    let now = st.clock.now_ms();
    let row = systems::store::by_id(&st.db, id).await.unwrap().unwrap();
    let token = row.token.unwrap();
    assert!(
        systems::store::mark_paired(&st.db, id, &token, &format!("matrix-secret-{id}"), now)
            .await
            .unwrap()
    );
    systems::store::store_info(&st.db, id, &pbx.info(), now, &st.node)
        .await
        .unwrap();
}
