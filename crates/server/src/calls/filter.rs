//! What a call list shows: the filter (text as in the manual, date range, direction,
//! billing type), the sort column and direction, and the key a page continues after.
//! The same query parameters drive the page, the CSV and the API.

use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use base64::Engine;
use zentrale_protocol::calls::CallDirection;

/// The list's columns that can be sorted, in the manual's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Time,
    Duration,
    Partner,
    PartnerName,
    InvoiceNo,
    InvoiceName,
    RealName,
    Connection,
    Billing,
    CallType,
}

impl Sort {
    pub const ALL: [Sort; 10] = [
        Sort::Time,
        Sort::Duration,
        Sort::Partner,
        Sort::PartnerName,
        Sort::InvoiceNo,
        Sort::InvoiceName,
        Sort::RealName,
        Sort::Connection,
        Sort::Billing,
        Sort::CallType,
    ];

    /// The name in URLs and the API.
    pub fn key(self) -> &'static str {
        match self {
            Sort::Time => "time",
            Sort::Duration => "duration",
            Sort::Partner => "partner",
            Sort::PartnerName => "partner_name",
            Sort::InvoiceNo => "invoice_no",
            Sort::InvoiceName => "invoice_name",
            Sort::RealName => "real_name",
            Sort::Connection => "connection",
            Sort::Billing => "billing",
            Sort::CallType => "call_type",
        }
    }

    /// The catalog key of the column's heading.
    pub fn label(self) -> &'static str {
        match self {
            Sort::Time => "calls-col-time",
            Sort::Duration => "calls-col-duration",
            Sort::Partner => "calls-col-partner",
            Sort::PartnerName => "calls-col-partner-name",
            Sort::InvoiceNo => "calls-col-invoice-no",
            Sort::InvoiceName => "calls-col-invoice-name",
            Sort::RealName => "calls-col-real-name",
            Sort::Connection => "calls-col-connection",
            Sort::Billing => "calls-col-billing",
            Sort::CallType => "calls-col-call-type",
        }
    }

    /// The column this sort orders by (a fixed name, never user text).
    pub fn column(self) -> &'static str {
        match self {
            Sort::Time => "started_at",
            Sort::Duration => "duration_s",
            Sort::Partner => "partner",
            Sort::PartnerName => "partner_name",
            Sort::InvoiceNo => "invoice_no",
            Sort::InvoiceName => "invoice_name",
            Sort::RealName => "real_name",
            Sort::Connection => "connection",
            Sort::Billing => "successful",
            Sort::CallType => "call_type",
        }
    }

    fn is_text(self) -> bool {
        !matches!(self, Sort::Time | Sort::Duration | Sort::Billing)
    }
}

/// A list's filter and order.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub text: String,
    /// Unix ms, inclusive.
    pub from: Option<i64>,
    /// Unix ms, exclusive.
    pub to: Option<i64>,
    pub direction: Option<CallDirection>,
    pub successful: Option<bool>,
    pub sort: Sort,
    pub desc: bool,
}

/// The query parameters of a call list (page, CSV, API).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Text the records must contain (any column; external numbers only where not masked).
    #[serde(default)]
    pub q: String,
    /// First day, `YYYY-MM-DD` in the user's time zone.
    #[serde(default)]
    pub from: String,
    /// Last day (inclusive), `YYYY-MM-DD`.
    #[serde(default)]
    pub to: String,
    /// `incoming`, `outgoing`, `group`, `call_through` or `door`.
    #[serde(default)]
    pub direction: String,
    /// `successful` or `unsuccessful`.
    #[serde(default)]
    pub billing: String,
    /// Column: `time` (default), `duration`, `partner`, `partner_name`, `invoice_no`,
    /// `invoice_name`, `real_name`, `connection`, `billing`, `call_type`.
    #[serde(default)]
    pub sort: String,
    /// `desc` (default) or `asc`.
    #[serde(default)]
    pub order: String,
    /// Where the page continues (`next_cursor` of the page before).
    #[serde(default)]
    pub cursor: String,
    /// Records per page (API: 1–1000, default 100).
    pub limit: Option<i64>,
    /// CSV only: `;` (default) or `,`.
    #[serde(default)]
    pub separator: String,
    /// API CSV only: must be `true` (the legal notes on call data are known and observed).
    #[serde(default)]
    pub confirm_legal_notice: Option<bool>,
}

fn day_start(user: &Ctx, text: &str, plus_days: u64) -> AppResult<Option<i64>> {
    crate::i18n::day_start(user.tz, text, plus_days)
        .map_err(|_| AppError::BadRequest(crate::msg!("calls-bad-date", value = text.trim())))
}

impl ListQuery {
    /// The filter these parameters describe; a value the list does not know is refused.
    pub fn filter(&self, user: &Ctx) -> AppResult<Filter> {
        let bad = |key: &str, value: &str| {
            AppError::BadRequest(crate::msg!(
                "list-bad-param",
                name = key,
                value = value.chars().take(40).collect::<String>()
            ))
        };
        if self.q.chars().count() > 100 {
            return Err(AppError::BadRequest(crate::msg!("calls-text-too-long")));
        }
        let direction = match self.direction.trim() {
            "" => None,
            d => Some(CallDirection::parse(d).ok_or_else(|| bad("direction", d))?),
        };
        let successful = match self.billing.trim() {
            "" => None,
            "successful" => Some(true),
            "unsuccessful" => Some(false),
            b => return Err(bad("billing", b)),
        };
        let sort = match self.sort.trim() {
            "" => Sort::Time,
            s => Sort::ALL
                .into_iter()
                .find(|x| x.key() == s)
                .ok_or_else(|| bad("sort", s))?,
        };
        let desc = match self.order.trim() {
            "" | "desc" => true,
            "asc" => false,
            o => return Err(bad("order", o)),
        };
        Ok(Filter {
            text: self.q.trim().to_owned(),
            from: day_start(user, &self.from, 0)?,
            to: day_start(user, &self.to, 1)?,
            direction,
            successful,
            sort,
            desc,
        })
    }

    /// The cursor parameter as a key of this filter's sort (a foreign one is refused).
    pub fn key(&self, f: &Filter) -> AppResult<Option<Key>> {
        if self.cursor.is_empty() {
            return Ok(None);
        }
        Key::decode(&self.cursor, f.sort)
            .map(Some)
            .ok_or_else(|| AppError::BadRequest(crate::msg!("list-bad-cursor")))
    }

    /// These parameters without the cursor, as a query string (for links and the CSV).
    pub fn without_cursor(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("from", &self.from),
            ("to", &self.to),
            ("direction", &self.direction),
            ("billing", &self.billing),
            ("sort", &self.sort),
            ("order", &self.order),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

pub use crate::web::paging::KeyValue;

/// Where the next page begins: after this row in the list's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub value: KeyValue,
    pub system_id: String,
    pub seq: i64,
}

impl Key {
    /// Opaque text for URLs.
    pub fn encode(&self) -> String {
        let json = serde_json::json!([self.value, self.system_id, self.seq]).to_string();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(text: &str, sort: Sort) -> Option<Key> {
        if text.len() > 1024 {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()?;
        let (value, system_id, seq): (KeyValue, String, i64) =
            serde_json::from_slice(&bytes).ok()?;
        let fits = matches!(value, KeyValue::Text(_)) == sort.is_text();
        let clean = |s: &str| !s.chars().any(char::is_control);
        let text_ok = match &value {
            KeyValue::Text(t) => clean(t),
            KeyValue::Int(_) => true,
        };
        (fits && text_ok && clean(&system_id)).then_some(Key {
            value,
            system_id,
            seq,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_the_url_and_foreign_ones_are_refused() {
        let k = Key {
            value: KeyValue::Text("Müller GmbH".into()),
            system_id: "s1".into(),
            seq: 42,
        };
        assert_eq!(Key::decode(&k.encode(), Sort::PartnerName), Some(k.clone()));
        assert_eq!(Key::decode(&k.encode(), Sort::Time), None);
        assert_eq!(Key::decode("not base64!", Sort::Time), None);
        let nul = Key {
            value: KeyValue::Text("a\0b".into()),
            ..k
        };
        assert_eq!(Key::decode(&nul.encode(), Sort::PartnerName), None);
    }
}
