//! Rules: registration status needs only access to the system, but active maintenance on the
//! PBX; a refresh asks the connected PBX and stores its answer.

use super::store;
use crate::access::{Cap, feature::Registrations as Feature};
use crate::error::AppResult;
use crate::state::AppState;
use zentrale_protocol::methods::{NoParams, RegistrationsGet};
use zentrale_protocol::registrations::Registrations;

pub async fn load(
    st: &AppState,
    cap: &Cap<Feature>,
) -> AppResult<(Vec<store::PhoneRow>, Vec<store::AccountRow>, Option<i64>)> {
    store::load(&st.db, cap.id()).await
}

/// Stores what the PBX reported and raises or clears registration alerts.
pub async fn store_reported(st: &AppState, system_id: &str, r: &Registrations) -> AppResult<()> {
    let (phones, accounts) = store::lists(&st.db, system_id).await?;
    match store::status_changes(&phones, &accounts, r) {
        Some(changes) => {
            // The usual report of a reconnecting PBX (nothing or a few statuses changed):
            // the changed rows and the time, written with the hellos of the PBXes
            // reconnecting at the same time, instead of every row again.
            let nothing = changes.is_empty();
            let answer = st.infos.registered(system_id, r.as_of_ms, changes);
            st.infos.write_queue(&st.db, answer).await?;
            if nothing {
                return Ok(());
            }
        }
        None => store::replace(&st.db, system_id, r).await?,
    }
    crate::alerts::rules::on_registrations(st, system_id, &(phones, accounts), r).await
}

/// Asks the PBX for its current lists now.
pub async fn refresh(st: &AppState, cap: &Cap<Feature>) -> AppResult<()> {
    let id = cap.id();
    let r = st.link.ask::<RegistrationsGet>(id, &NoParams {}).await?;
    if r.parts.is_some() {
        // Too large for one message: the parts came just before the answer and are stored.
        return Ok(());
    }
    store_reported(st, id, &r).await
}
