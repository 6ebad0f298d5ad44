//! Keeping *last seen* current while devices are connected.

/// How often a connection reports that it heard its device, at most (by the server's clock).
pub const HEARD_EVERY_MS: i64 = 20_000;

/// Writes `last_seen_at` of the systems heard from since the last call (the background job
/// calls it every 30 s), so "last seen" is true within a minute, also after a crash.
pub async fn seen(st: &crate::state::AppState) -> crate::error::AppResult<usize> {
    let ids = st.gateway.take_heard();
    if ids.is_empty() {
        return Ok(0);
    }
    crate::systems::store::touch_seen(&st.db, &ids, st.clock.now_ms()).await?;
    Ok(ids.len())
}
