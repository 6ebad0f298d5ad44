//! Call data: the lists of one or all visible systems with each company's masking,
//! retention, and the legal notes a user confirms before exporting (retrieval:
//! `retrieval`).

use super::filter::{Filter, Key, Sort};
use super::store::{self, CallRow};
use crate::access::{self, Cap, feature::CallData};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use std::collections::HashMap;

/// How long a confirmation of the legal notes holds.
pub const LEGAL_VALID_MS: i64 = 90 * 86_400_000;
/// The notice confirmed before exporting call data.
pub const LEGAL_NOTICE: &str = "call-data-export";

/// The job: each company's records older than its retention period are deleted.
pub async fn run_retention(st: &AppState) -> AppResult<()> {
    let now = st.clock.now_ms();
    for (company, days) in store::retention_rules(&st.db).await? {
        let before = now - days * 86_400_000;
        for sys in crate::systems::store::of_company(&st.db, &company).await? {
            let id = sys.id.to_string();
            loop {
                let n = store::delete_older(&st.db, &id, before, 5000).await?;
                if n > 0 {
                    tracing::info!(system = %id, records = n, "call records past the retention period deleted");
                }
                if n < 5000 {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// The systems a list covers, with their names and how many digits of external numbers
/// their company masks.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub systems: Vec<String>,
    pub names: HashMap<String, String>,
    pub masks: HashMap<String, usize>,
    /// Visible systems left out: Call data refused (role, maintenance).
    pub left_out: usize,
}

impl Scope {
    /// The systems whose external numbers are shown whole.
    pub fn unmasked(&self) -> Vec<String> {
        self.systems
            .iter()
            .filter(|s| self.masks.get(*s).copied().unwrap_or(0) == 0)
            .cloned()
            .collect()
    }

    pub fn mask_of(&self, system_id: &str) -> usize {
        self.masks.get(system_id).copied().unwrap_or(0)
    }
}

async fn masks_for(st: &AppState, rows: &[(String, String)]) -> AppResult<Scope> {
    let mut by_company: HashMap<String, usize> = HashMap::new();
    let mut scope = Scope::default();
    for (system, company) in rows {
        let digits = match by_company.get(company) {
            Some(d) => *d,
            None => {
                let (_, d) = store::privacy(&st.db, company).await?;
                let d = d.clamp(0, 12) as usize;
                by_company.insert(company.clone(), d);
                d
            }
        };
        scope.systems.push(system.clone());
        scope.masks.insert(system.clone(), digits);
    }
    Ok(scope)
}

/// One system's list.
pub async fn scope_one(st: &AppState, cap: &Cap<CallData>) -> AppResult<Scope> {
    let s = cap.system();
    let mut scope = masks_for(st, &[(s.id.to_string(), s.company_id.to_string())]).await?;
    scope.names.insert(s.id.to_string(), s.name.clone());
    Ok(scope)
}

/// Call data › All: every visible system whose call data the user may see now.
pub async fn scope_all(st: &AppState, ctx: &Ctx) -> AppResult<Scope> {
    let mut rows = Vec::new();
    let mut names = HashMap::new();
    let mut left_out = 0;
    for a in access::visible_systems(st, ctx).await? {
        match a.require::<CallData>(st) {
            Ok(cap) => {
                let s = cap.system();
                rows.push((s.id.to_string(), s.company_id.to_string()));
                names.insert(s.id.to_string(), s.name.clone());
            }
            Err(_) => left_out += 1,
        }
    }
    let mut scope = masks_for(st, &rows).await?;
    scope.names = names;
    scope.left_out = left_out;
    Ok(scope)
}

/// The filter as it applies to `scope`: sorting by masked numbers would reveal the hidden
/// digits, so it sorts by time instead.
pub fn effective(scope: &Scope, f: &Filter) -> Filter {
    let mut f = f.clone();
    if f.sort == Sort::Partner && scope.unmasked().len() != scope.systems.len() {
        f.sort = Sort::Time;
    }
    f
}

/// A page of `scope`'s records after `after`, and the key of the next page if there is one.
pub async fn page(
    st: &AppState,
    scope: &Scope,
    f: &Filter,
    after: Option<&Key>,
    limit: i64,
) -> AppResult<(Vec<CallRow>, Option<Key>)> {
    let f = effective(scope, f);
    let mut rows = store::page(
        &st.db,
        &scope.systems,
        &scope.unmasked(),
        &f,
        after,
        limit + 1,
    )
    .await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| store::key_of(r, f.sort))
    } else {
        None
    };
    Ok((rows, next))
}

/// Whether the user confirmed the legal notes on call data within the last 90 days.
pub async fn legal_confirmed(st: &AppState, ctx: &Ctx) -> AppResult<bool> {
    let at = store::confirmed_at(&st.db, &ctx.id.to_string(), LEGAL_NOTICE).await?;
    Ok(at.is_some_and(|t| st.clock.now_ms() - t < LEGAL_VALID_MS))
}

pub async fn confirm_legal(st: &AppState, ctx: &Ctx) -> AppResult<()> {
    store::confirm(&st.db, &ctx.id.to_string(), LEGAL_NOTICE, st.clock.now_ms()).await?;
    ctx.audit(st, crate::audit::Event::new("calls.legal_confirmed"))
        .await
}

/// The company's privacy settings: (retention days, masked digits).
pub async fn privacy(st: &AppState, ctx: &Ctx) -> AppResult<(i64, i64)> {
    store::privacy(&st.db, &ctx.company_id.to_string()).await
}

/// Sets the company's privacy settings (someone who manages one of its systems).
pub async fn set_privacy(st: &AppState, ctx: &Ctx, days: i64, digits: i64) -> AppResult<()> {
    let manages_own = access::managed_systems(st, ctx)
        .await?
        .iter()
        .any(|a| a.system().company_id == ctx.company_id);
    if !manages_own {
        return Err(AppError::Forbidden(crate::msg!("calls-privacy-admin-only")));
    }
    if !(0..=3650).contains(&days) {
        return Err(AppError::BadRequest(crate::msg!("calls-bad-retention")));
    }
    if !(0..=8).contains(&digits) {
        return Err(AppError::BadRequest(crate::msg!("calls-bad-mask")));
    }
    store::set_privacy(&st.db, &ctx.company_id.to_string(), days, digits).await?;
    ctx.audit(
        st,
        crate::audit::Event::new("calls.privacy_changed")
            .arg("retention_days", days)
            .arg("masked_digits", digits),
    )
    .await
}
