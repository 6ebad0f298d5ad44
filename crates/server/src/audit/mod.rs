//! The audit log: every change and every security event, append-only and tamper-evident.
//! Each entry holds the hash of the one before it ([`chain`]); `zentrale audit verify` walks
//! the chain and names the first broken link. Entries are written through [`record`] with
//! the request's context, so who, from where and under which request id are never missing.

pub mod chain;
pub mod routes;
pub mod store;

use crate::auth::CurrentUser;
use crate::context::{Ctx, ReqMeta};
use crate::db::Db;
use crate::error::AppResult;
use serde_json::{Map, Value};

/// Who acted.
pub enum Actor<'a> {
    /// A logged-in user (session) or their personal API token.
    User(&'a CurrentUser),
    /// A PBX over its pairing secret or its device connection.
    Device { system: &'a str, label: &'a str },
    /// The server's own jobs (retention, rules).
    Job(&'static str),
    /// Nobody logged in (a failed login names the address tried).
    Anonymous { email: &'a str },
    /// The installation's administrator on the command line.
    Cli,
}

impl Actor<'_> {
    fn parts(&self) -> (&'static str, String, String, String) {
        match self {
            Actor::User(u) => {
                let kind = if u.is_operator {
                    "operator"
                } else if u.session.is_none() {
                    "token"
                } else {
                    "user"
                };
                (
                    kind,
                    u.id.to_string(),
                    u.email.clone(),
                    u.company_id.to_string(),
                )
            }
            Actor::Device { system, label } => (
                "device",
                system.to_string(),
                label.to_string(),
                String::new(),
            ),
            Actor::Job(name) => ("job", String::new(), name.to_string(), String::new()),
            Actor::Anonymous { email } => {
                ("anonymous", String::new(), email.to_string(), String::new())
            }
            Actor::Cli => ("cli", String::new(), String::new(), String::new()),
        }
    }
}

/// What happened: an action code (`system.renamed`), the system it concerns, and its details.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: &'static str,
    pub system: Option<String>,
    pub company: Option<String>,
    pub args: Map<String, Value>,
}

impl Event {
    pub fn new(action: &'static str) -> Self {
        Event {
            action,
            system: None,
            company: None,
            args: Map::new(),
        }
    }

    pub fn system(mut self, id: &str) -> Self {
        self.system = Some(id.to_owned());
        self
    }

    /// The company concerned when it is not the actor's (the operator's work).
    pub fn company(mut self, id: &str) -> Self {
        self.company = Some(id.to_owned());
        self
    }

    pub fn arg(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.args.insert(name.to_owned(), value.into());
        self
    }
}

/// Appends an entry.
pub async fn record(
    db: &Db,
    actor: &Actor<'_>,
    meta: &ReqMeta,
    now: i64,
    ev: Event,
) -> AppResult<()> {
    store::append(db, entry(actor, meta, now, ev)).await
}

/// Records `events` of one actor in order, in one transaction.
pub async fn record_many(
    db: &Db,
    actor: &Actor<'_>,
    meta: &ReqMeta,
    now: i64,
    events: Vec<Event>,
) -> AppResult<()> {
    let entries = events
        .into_iter()
        .map(|ev| entry(actor, meta, now, ev))
        .collect();
    store::append_many(db, entries).await
}

fn entry(actor: &Actor<'_>, meta: &ReqMeta, now: i64, ev: Event) -> chain::Entry {
    let (kind, id, label, actor_company) = actor.parts();
    chain::Entry {
        seq: 0,
        at: now,
        actor_kind: kind.to_owned(),
        actor_id: id,
        actor_label: truncate(&label, 200),
        company_id: ev.company.unwrap_or(actor_company),
        system_id: ev.system.unwrap_or_default(),
        action: ev.action.to_owned(),
        args: Value::Object(ev.args).to_string(),
        ip: meta.ip_text(),
        request_id: meta.request_id.clone(),
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// An action code (`system.renamed`) in the reader's language; the code itself for actions
/// the catalog does not name.
pub fn action_text(tr: &crate::i18n::Tr, action: &str) -> String {
    let key = format!("audit-{}", action.replace(['.', '_'], "-"));
    if tr.has(&key) {
        tr.t(&key)
    } else {
        action.to_owned()
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

impl Ctx {
    /// Records what this request's user did.
    pub async fn audit(&self, st: &crate::state::AppState, ev: Event) -> AppResult<()> {
        record(
            &st.db,
            &Actor::User(&self.user),
            &self.meta,
            st.clock.now_ms(),
            ev,
        )
        .await
    }

    /// Records what this request's user did to many systems, in one transaction.
    pub async fn audit_many(
        &self,
        st: &crate::state::AppState,
        events: Vec<Event>,
    ) -> AppResult<()> {
        record_many(
            &st.db,
            &Actor::User(&self.user),
            &self.meta,
            st.clock.now_ms(),
            events,
        )
        .await
    }
}

/// Removes the entries older than the retention period (`audit_retention_days`) and records
/// that it did.
pub async fn retain(st: &crate::state::AppState) -> AppResult<u64> {
    let now = st.clock.now_ms();
    let before = now - st.config.audit_retention_days * 86_400_000;
    let n = store::prune(&st.db, before).await?;
    if n > 0 {
        tracing::info!(removed = n, "old audit-log entries removed");
        let ev = Event::new("audit.pruned").arg("removed", n);
        record(
            &st.db,
            &Actor::Job("retention"),
            &ReqMeta::background(),
            now,
            ev,
        )
        .await?;
    }
    Ok(n)
}
