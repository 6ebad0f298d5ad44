//! A call record as the list, the API and the export show it: times in the reader's zone,
//! the duration as h:mm:ss, external numbers masked as the company chose.

use super::filter::Sort;
use super::service::Scope;
use super::store::CallRow;
use crate::i18n::Tr;
use zentrale_protocol::calls::CallDirection;

/// One row of the list (the CSV has the same columns, `csv_rows.rs`).
pub struct CallLine {
    pub system_id: String,
    pub system_name: String,
    pub seq: i64,
    pub time: String,
    pub duration: String,
    pub partner: String,
    pub partner_name: String,
    pub invoice_no: String,
    pub invoice_name: String,
    pub real_name: String,
    pub connection: String,
    pub billing: String,
    pub call_type: String,
    pub direction: String,
    pub successful: bool,
}

/// `0:05:12`.
pub fn duration(s: i64) -> String {
    let mut out = String::new();
    write_duration(s, &mut out);
    out
}

/// Appends [`duration`] to `out`.
pub fn write_duration(s: i64, out: &mut String) {
    use std::fmt::Write as _;
    let s = s.max(0);
    let _ = write!(out, "{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

/// The last `digits` digits of a number replaced by `x` (spaces and signs kept).
pub fn mask(number: &str, digits: usize) -> String {
    if digits == 0 {
        return number.to_owned();
    }
    let mut left = digits;
    let mut out: Vec<char> = number.chars().collect();
    for c in out.iter_mut().rev() {
        if left == 0 {
            break;
        }
        if c.is_ascii_digit() {
            *c = 'x';
            left -= 1;
        }
    }
    out.into_iter().collect()
}

/// The words a list repeats on every row, looked up once.
pub struct Labels {
    successful: String,
    unsuccessful: String,
    directions: Vec<(&'static str, String)>,
}

impl Labels {
    pub fn new(tr: &Tr) -> Labels {
        Labels {
            successful: tr.t("calls-successful"),
            unsuccessful: tr.t("calls-unsuccessful"),
            directions: CallDirection::ALL
                .iter()
                .map(|d| {
                    let key = d.as_str();
                    (
                        key,
                        tr.t(&format!("calls-direction-{}", key.replace('_', "-"))),
                    )
                })
                .collect(),
        }
    }

    pub fn billing(&self, successful: bool) -> &str {
        if successful {
            &self.successful
        } else {
            &self.unsuccessful
        }
    }

    fn direction(&self, key: &str) -> String {
        self.directions
            .iter()
            .find(|(k, _)| *k == key)
            .map_or_else(|| key.to_owned(), |(_, l)| l.clone())
    }
}

pub fn line(tr: &Tr, labels: &Labels, scope: &Scope, r: CallRow) -> CallLine {
    let digits = scope.mask_of(&r.system_id);
    CallLine {
        system_name: scope.names.get(&r.system_id).cloned().unwrap_or_default(),
        time: tr.datetime_seconds(r.started_at),
        duration: duration(r.duration_s),
        partner: mask(&r.partner, digits),
        billing: labels.billing(r.successful != 0).to_owned(),
        direction: labels.direction(&r.direction),
        successful: r.successful != 0,
        system_id: r.system_id,
        seq: r.seq,
        partner_name: r.partner_name,
        invoice_no: r.invoice_no,
        invoice_name: r.invoice_name,
        real_name: r.real_name,
        connection: r.connection,
        call_type: r.call_type,
    }
}

/// The CSV's heading: the manual's columns (with System first across systems).
pub fn headings(tr: &Tr, with_system: bool) -> Vec<String> {
    let mut h = Vec::new();
    if with_system {
        h.push(tr.t("col-system"));
    }
    h.extend(Sort::ALL.iter().map(|s| tr.t(s.label())));
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_hides_the_last_digits_only() {
        assert_eq!(mask("0531 2208-10", 3), "0531 220x-xx");
        assert_eq!(mask("030 1234", 0), "030 1234");
        assert_eq!(mask("12", 5), "xx");
        assert_eq!(mask("", 3), "");
        assert_eq!(duration(3725), "1:02:05");
    }
}
