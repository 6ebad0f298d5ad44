//! What the server does with each notification of an agent, as a table keyed by the
//! protocol's note types: `status`, `alert`, `monitoring.sample`, `registrations`. A note
//! not in the table is ignored (a newer agent may send more).

use super::conn::{Assembly, Ctx};
use super::refuse::{check_alert, check_sample, parse_params, refused};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use zentrale_protocol::messages::DeviceInfo;
use zentrale_protocol::methods::{
    Alert, CommandProgressNote, MonitoringSample, RegistrationsPartNote, RegistrationsReport,
    Status,
};
use zentrale_protocol::registrations::Registrations;
use zentrale_protocol::{Envelope, Note, close};

/// The answer to send (a `refused` note), nothing, or how to close the connection.
pub(super) type Outcome = Result<Option<Envelope>, (u16, String)>;
type Fut<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;
type Handler = for<'a> fn(&'a Ctx<'a>, Value) -> Fut<'a>;

/// Every notification the server takes, by name.
pub(super) const TABLE: &[(&str, Handler)] = &[
    (Status::NAME, status),
    (Alert::NAME, alert),
    (MonitoringSample::NAME, sample),
    (RegistrationsReport::NAME, registrations),
    (RegistrationsPartNote::NAME, registrations_part),
    (CommandProgressNote::NAME, progress),
];

/// Runs the handler of `method`, if the table has one.
pub(super) async fn dispatch(ctx: &Ctx<'_>, method: &str, params: Value) -> Outcome {
    match TABLE.iter().find(|(name, _)| *name == method) {
        Some((_, handler)) => handler(ctx, params).await,
        None => {
            tracing::debug!(system = %ctx.system_id, %method, "unknown notification ignored");
            Ok(None)
        }
    }
}

fn server_error(ctx: &Ctx<'_>, what: &str, e: impl std::fmt::Debug) -> (u16, String) {
    tracing::error!(system = %ctx.system_id, error = ?e, "{what} failed");
    (
        close::GOING_AWAY,
        "server error; reconnect later".to_owned(),
    )
}

fn status<'a>(ctx: &'a Ctx<'a>, params: Value) -> Fut<'a> {
    Box::pin(async move {
        let info = match parse_info(ctx, params) {
            Ok(info) => info,
            Err((_, why)) => return Ok(Some(refused(ctx, Status::NAME, &why))),
        };
        store_info(ctx, &info).await?;
        Ok(None)
    })
}

fn alert<'a>(ctx: &'a Ctx<'a>, params: Value) -> Fut<'a> {
    Box::pin(async move {
        let a = match parse_params::<<Alert as Note>::Params>("alert", params)
            .and_then(|a| check_alert(&a).map(|()| a))
        {
            Ok(a) => a,
            Err(why) => return Ok(Some(refused(ctx, Alert::NAME, &why))),
        };
        crate::alerts::rules::from_pbx(ctx.st, ctx.system_id, &a)
            .await
            .map_err(|e| server_error(ctx, "storing an alert", e))?;
        Ok(None)
    })
}

fn progress<'a>(ctx: &'a Ctx<'a>, params: Value) -> Fut<'a> {
    Box::pin(async move {
        let p = match parse_params::<<CommandProgressNote as Note>::Params>("progress", params) {
            Ok(p) => p,
            Err(why) => return Ok(Some(refused(ctx, CommandProgressNote::NAME, &why))),
        };
        crate::commands::service::progressed(ctx.st, ctx.system_id, &p)
            .await
            .map_err(|e| server_error(ctx, "storing command progress", e))?;
        Ok(None)
    })
}

fn sample<'a>(ctx: &'a Ctx<'a>, params: Value) -> Fut<'a> {
    Box::pin(async move {
        let sample = match parse_params::<<MonitoringSample as Note>::Params>("sample", params)
            .and_then(|s| check_sample(&s).map(|()| s))
        {
            Ok(s) => s,
            Err(why) => return Ok(Some(refused(ctx, MonitoringSample::NAME, &why))),
        };
        // Implausible times (a PBX clock far off) are dropped, not stored.
        let now = ctx.st.clock.now_ms();
        if sample.t_ms > now - crate::monitoring::jobs::RAW_RETENTION_MS
            && sample.t_ms < now + 300_000
        {
            ctx.st.monitoring.push(ctx.system_id, sample);
        }
        Ok(None)
    })
}

fn registrations<'a>(ctx: &'a Ctx<'a>, params: Value) -> Fut<'a> {
    Box::pin(async move {
        let r: Registrations = match parse_params("registrations", params) {
            Ok(r) => r,
            Err(why) => return Ok(Some(refused(ctx, RegistrationsReport::NAME, &why))),
        };
        // A failed write keeps the connection (closing would add reconnect load to an
        // overloaded store); the PBX reports again on its next change, or on refresh.
        if let Err(e) =
            crate::registrations::service::store_reported(ctx.st, ctx.system_id, &r).await
        {
            tracing::error!(system = %ctx.system_id, error = ?e, "storing registrations failed");
        }
        Ok(None)
    })
}

/// One part of a report too large for one message: collected in order; the last part
/// stores the whole report. Out of order, over the limits or a new report id midway: the
/// collection is dropped and the part refused.
fn registrations_part<'a>(ctx: &'a Ctx<'a>, params: Value) -> Fut<'a> {
    Box::pin(async move {
        use zentrale_protocol::registrations::{MAX_PARTS, RegistrationsPart};
        let name = RegistrationsPartNote::NAME;
        let part: RegistrationsPart = match parse_params("registrations part", params) {
            Ok(p) => p,
            Err(why) => return Ok(Some(refused(ctx, name, &why))),
        };
        let complete = {
            let mut slot = ctx.parts.lock().unwrap_or_else(|p| p.into_inner());
            if part.seq == 0 {
                *slot = Some(Box::new(Assembly {
                    report: part.report.clone(),
                    ..Assembly::default()
                }));
            }
            let problem = match slot.as_ref() {
                _ if part.report.is_empty() || part.report.chars().count() > 64 => {
                    Some("report must have 1 to 64 characters".to_owned())
                }
                None => Some(format!(
                    "part {} of a report whose part 0 did not come",
                    part.seq
                )),
                Some(a) if a.report != part.report => Some(format!(
                    "part of report '{}' while '{}' is open",
                    part.report, a.report
                )),
                Some(a) if a.next_seq != part.seq => {
                    Some(format!("part {} where {} was due", part.seq, a.next_seq))
                }
                _ if part.seq >= MAX_PARTS => Some(format!("more than {MAX_PARTS} parts")),
                _ => None,
            };
            if let Some(why) = problem {
                *slot = None;
                return Ok(Some(refused(ctx, name, &why)));
            }
            let Some(a) = slot.as_mut() else {
                return Ok(None);
            };
            a.next_seq += 1;
            a.report_data.as_of_ms = part.as_of_ms;
            a.report_data.phones.extend(part.phones);
            a.report_data.accounts.extend(part.accounts);
            if part.last {
                slot.take().map(|a| a.report_data)
            } else {
                None
            }
        };
        if let Some(r) = complete
            && let Err(e) =
                crate::registrations::service::store_reported(ctx.st, ctx.system_id, &r).await
        {
            tracing::error!(system = %ctx.system_id, error = ?e, "storing registrations failed");
        }
        Ok(None)
    })
}

pub(super) fn parse_info(
    ctx: &Ctx<'_>,
    params: serde_json::Value,
) -> Result<DeviceInfo, (u16, String)> {
    let info: DeviceInfo = serde_json::from_value(params)
        .map_err(|e| (close::PROTOCOL_VIOLATION, format!("bad device info: {e}")))?;
    if !info.serial.eq_ignore_ascii_case(ctx.serial) {
        return Err((
            close::PROTOCOL_VIOLATION,
            "serial number differs from the credential".into(),
        ));
    }
    Ok(info)
}

pub(super) async fn store_info(ctx: &Ctx<'_>, info: &DeviceInfo) -> Result<(), (u16, String)> {
    let answer = ctx.st.infos.queue_info(
        ctx.system_id,
        info,
        false,
        ctx.st.clock.now_ms(),
        &ctx.st.node,
    );
    info_stored(ctx, info, answer).await
}

/// Waits until the queued report `answer` is written, then ends remote sessions it rules
/// out.
pub(super) async fn info_stored(
    ctx: &Ctx<'_>,
    info: &DeviceInfo,
    answer: tokio::sync::oneshot::Receiver<crate::error::AppResult<()>>,
) -> Result<(), (u16, String)> {
    ctx.st
        .infos
        .write_queue(&ctx.st.db, answer)
        .await
        .map_err(|e| {
            tracing::error!(system = %ctx.system_id, error = ?e, "storing device info failed");
            (
                close::GOING_AWAY,
                "server error; reconnect later".to_owned(),
            )
        })?;
    // Remote configuration withdrawn on the PBX, or maintenance ended: its sessions end now.
    if !(info.remote_config_allowed && info.maintenance.active)
        && let Err(e) = crate::remote::service::check_system(ctx.st, ctx.system_id).await
    {
        tracing::error!(system = %ctx.system_id, error = %e, "ending remote sessions failed");
    }
    Ok(())
}
