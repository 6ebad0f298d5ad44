//! The alert rules. `run_once` evaluates the time-based ones (the scheduler calls it every
//! minute; tests call it directly); registration losses and PBX messages are handled when
//! they arrive.

use super::store::{self, Condition};
use crate::error::AppResult;
use crate::i18n::Msg;
use crate::monitoring::MINUTE;
use crate::registrations::store::{AccountRow, PhoneRow};
use crate::state::AppState;
use std::collections::HashMap;
use zentrale_protocol::messages::PbxAlert;
use zentrale_protocol::registrations::Registrations;

pub const OFFLINE: &str = "offline";
pub const CPU_HIGH: &str = "cpu_high";
pub const MEM_HIGH: &str = "memory_high";
pub const MAINTENANCE_ENDING: &str = "maintenance_ending";
pub const PHONE_UNREGISTERED: &str = "phone_unregistered";
pub const ACCOUNT_UNREGISTERED: &str = "account_unregistered";

async fn set(st: &AppState, system: &str, on: bool, c: Condition<'_>, now: i64) -> AppResult<()> {
    if on {
        store::open(&st.db, system, &c, now).await?;
    } else {
        store::resolve(&st.db, system, c.kind, c.subject, now).await?;
    }
    Ok(())
}

/// Evaluates offline, load and maintenance rules for every paired system.
pub async fn run_once(st: &AppState) -> AppResult<()> {
    let now = st.clock.now_ms();
    let cfg = &st.config.alerts;
    let rows = crate::systems::store::paired_facts(&st.db).await?;
    let load = minute_averages(st, now - cfg.high_for_min * MINUTE, now).await?;
    for crate::systems::store::PairedFacts {
        id,
        online_since,
        last_seen_at: last_seen,
        paired_at,
        maintenance_active: maint,
        maintenance_until: until,
    } in rows
    {
        let since = last_seen.or(paired_at).unwrap_or(now);
        let offline = online_since.is_none() && now - since > cfg.offline_after_s * 1000;
        let msg = Msg::new("alert-offline").time("since", since);
        set(
            st,
            &id,
            offline,
            Condition {
                kind: OFFLINE,
                subject: "",
                severity: "critical",
                message: msg.clone(),
                source: "rule",
            },
            now,
        )
        .await?;

        let minutes = load.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let full = minutes.len() as i64 >= cfg.high_for_min;
        for (kind, pct, pick, key) in [
            (CPU_HIGH, cfg.cpu_pct, 0usize, "alert-cpu-high"),
            (MEM_HIGH, cfg.mem_pct, 1usize, "alert-memory-high"),
        ] {
            let value = |m: &(f64, f64)| if pick == 0 { m.0 } else { m.1 };
            let high = full && minutes.iter().all(|m| value(m) >= pct);
            let cleared = minutes.last().is_none_or(|m| value(m) < pct);
            let msg = Msg::new(key)
                .num("pct", pct.round())
                .num("minutes", cfg.high_for_min as f64);
            let c = Condition {
                kind,
                subject: "",
                severity: "warning",
                message: msg.clone(),
                source: "rule",
            };
            if high {
                set(st, &id, true, c, now).await?;
            } else if cleared {
                set(st, &id, false, c, now).await?;
            }
        }

        let ending = maint.is_some_and(|m| m != 0)
            && until.is_some_and(|u| u - now < cfg.maintenance_days * 86_400_000);
        let msg = Msg::new("alert-maintenance-ending").time("until", until.unwrap_or(now));
        set(
            st,
            &id,
            ending,
            Condition {
                kind: MAINTENANCE_ENDING,
                subject: "",
                severity: "info",
                message: msg.clone(),
                source: "rule",
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Per system, the (cpu, mem) averages of the complete minutes in `[from, to)`, oldest first.
async fn minute_averages(
    st: &AppState,
    from: i64,
    to: i64,
) -> AppResult<HashMap<String, Vec<(f64, f64)>>> {
    let first = from.div_euclid(MINUTE) * MINUTE;
    let last = to.div_euclid(MINUTE) * MINUTE;
    let rows = crate::monitoring::store::minute_sums(&st.db, first, last).await?;
    let mut map: HashMap<String, Vec<(f64, f64)>> = HashMap::new();
    for (id, _, n, cpu, mem) in rows {
        let n = n.max(1) as f64;
        map.entry(id).or_default().push((cpu / n, mem / n));
    }
    Ok(map)
}

/// Compares the registrations before and after a report: a phone or account that was
/// registered and is not any more opens an alert; registered again resolves it.
pub async fn on_registrations(
    st: &AppState,
    system_id: &str,
    before: &(Vec<PhoneRow>, Vec<AccountRow>),
    now_r: &Registrations,
) -> AppResult<()> {
    let now = st.clock.now_ms();
    // Only alerts that are open are resolved (one read instead of an update per line).
    let open: std::collections::HashSet<(String, String)> = store::open_of_system(
        &st.db,
        system_id,
        &[PHONE_UNREGISTERED, ACCOUNT_UNREGISTERED],
    )
    .await?
    .into_iter()
    .collect();
    let is_open = |kind: &str, subject: &str| open.contains(&(kind.to_owned(), subject.to_owned()));
    let was_phone: HashMap<&str, &str> = before
        .0
        .iter()
        .map(|p| (p.mac.as_str(), p.status.as_str()))
        .collect();
    for p in &now_r.phones {
        let was_registered = was_phone
            .get(p.mac.as_str())
            .is_some_and(|s| registered_phone(s));
        if p.status.is_registered() {
            if is_open(PHONE_UNREGISTERED, &p.mac) {
                store::resolve(&st.db, system_id, PHONE_UNREGISTERED, &p.mac, now).await?;
            }
        } else if was_registered {
            let msg = crate::msg!("alert-phone-unregistered", name = p.name, mac = p.mac);
            let c = Condition {
                kind: PHONE_UNREGISTERED,
                subject: &p.mac,
                severity: "warning",
                message: msg.clone(),
                source: "rule",
            };
            store::open(&st.db, system_id, &c, now).await?;
        }
    }
    let was_account: HashMap<&str, &str> = before
        .1
        .iter()
        .map(|a| (a.account.as_str(), a.status.as_str()))
        .collect();
    for a in &now_r.accounts {
        let was_registered = was_account
            .get(a.account.as_str())
            .is_some_and(|s| s.starts_with("registered_"));
        if a.status.is_registered() {
            if is_open(ACCOUNT_UNREGISTERED, &a.account) {
                store::resolve(&st.db, system_id, ACCOUNT_UNREGISTERED, &a.account, now).await?;
            }
        } else if was_registered {
            let msg = crate::msg!(
                "alert-account-unregistered",
                account = a.account,
                provider = a.provider
            );
            let c = Condition {
                kind: ACCOUNT_UNREGISTERED,
                subject: &a.account,
                severity: "critical",
                message: msg.clone(),
                source: "rule",
            };
            store::open(&st.db, system_id, &c, now).await?;
        }
    }
    Ok(())
}

fn registered_phone(status: &str) -> bool {
    matches!(
        status,
        "registered_encrypted" | "registered_unencrypted" | "connected"
    )
}

/// An event the PBX reported.
pub async fn from_pbx(st: &AppState, system_id: &str, a: &PbxAlert) -> AppResult<()> {
    let now = st.clock.now_ms();
    let kind: String = a
        .kind
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .take(40)
        .collect();
    let kind = format!("pbx.{kind}");
    let subject: String = a.subject.chars().take(100).collect();
    if a.cleared {
        store::resolve(&st.db, system_id, &kind, &subject, now).await?;
        return Ok(());
    }
    let severity = match a.severity.as_str() {
        "critical" => "critical",
        "warning" => "warning",
        _ => "info",
    };
    // The PBX's own words, in the language the PBX speaks.
    let message: String = a.message.chars().take(500).collect();
    let c = Condition {
        kind: &kind,
        subject: &subject,
        severity,
        message: crate::msg!("alert-pbx", text = message),
        source: "pbx",
    };
    store::open(&st.db, system_id, &c, now).await?;
    Ok(())
}
