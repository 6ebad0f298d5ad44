//! Rules of monitoring: who may see it (Monitoring or Administrator role, or the owner), when
//! (active maintenance, and "Recording of system data" switched on in the PBX), and what each
//! period shows.

use super::store::{self, Agg};
use super::{HOUR, MINUTE};
use crate::access::Monitor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The periods of the charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Hour,
    Day,
    Week,
    Month,
}

impl Period {
    pub fn parse(s: Option<&str>) -> Period {
        match s {
            Some("day") => Period::Day,
            Some("week") => Period::Week,
            Some("month") => Period::Month,
            _ => Period::Hour,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Period::Hour => "hour",
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    pub fn span_ms(self) -> i64 {
        match self {
            Period::Hour => HOUR,
            Period::Day => 24 * HOUR,
            Period::Week => 7 * 24 * HOUR,
            Period::Month => 30 * 24 * HOUR,
        }
    }
}

/// The PBX must record system data for there to be any.
fn recording(cap: &Monitor) -> AppResult<()> {
    if !cap.system().records_system_data() {
        return Err(AppError::Unavailable(crate::msg!(
            "err-pbx-does-not-record"
        )));
    }
    Ok(())
}

/// (time ms, value) points of one series.
type Points = Vec<(i64, f64)>;

/// What a period's charts and figures show.
pub struct View {
    pub from: i64,
    pub to: i64,
    pub cpu: Vec<(i64, f64)>,
    pub mem: Vec<(i64, f64)>,
    /// Over the period.
    pub stats: Option<Agg>,
    /// The newest sample: (time, cpu, mem).
    pub current: Option<(i64, f64, f64)>,
}

pub async fn view(st: &AppState, cap: &Monitor, period: Period) -> AppResult<View> {
    recording(cap)?;
    let id = cap.id();
    let to = st.clock.now_ms();
    let from = to - period.span_ms();
    let (cpu, mem, stats): (Points, Points, Option<Agg>) = match period {
        Period::Hour => {
            let raw = store::raw(&st.db, id, from, to + 1).await?;
            let mut stats: Option<Agg> = None;
            for (_, c, m) in &raw {
                let one = Agg::one(*c, *m);
                match stats.as_mut() {
                    Some(s) => s.merge(&one),
                    None => stats = Some(one),
                }
            }
            (
                raw.iter().map(|(t, c, _)| (*t, *c)).collect(),
                raw.iter().map(|(t, _, m)| (*t, *m)).collect(),
                stats,
            )
        }
        p => {
            let res = if p == Period::Day { MINUTE } else { HOUR };
            let rows = store::rollups(&st.db, id, res, from.div_euclid(res) * res, to + 1).await?;
            let mut stats: Option<Agg> = None;
            for r in &rows {
                match stats.as_mut() {
                    Some(s) => s.merge(&r.agg),
                    None => stats = Some(r.agg),
                }
            }
            (
                rows.iter().map(|r| (r.t, r.agg.cpu_avg())).collect(),
                rows.iter().map(|r| (r.t, r.agg.mem_avg())).collect(),
                stats,
            )
        }
    };
    Ok(View {
        from,
        to,
        cpu: super::chart::downsample(&cpu, from, to, 360),
        mem: super::chart::downsample(&mem, from, to, 360),
        stats,
        current: store::latest(&st.db, id).await?,
    })
}
