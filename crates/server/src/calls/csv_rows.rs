//! The rows of `gespr_dat.csv`: the list's cells ([`views::line`](super::views::line)),
//! written straight into the CSV without a string per cell. Times go through a
//! [`SecondsWriter`] (the zone is looked up once per minute, not per row).

use super::service::Scope;
use super::store::CallRow;
use super::views::{self, Labels};
use crate::i18n::{SecondsWriter, Tr};
use crate::web::inert;
use axum::body::Bytes;

/// A CSV writer into a buffer that begins with `start`.
fn writer(separator: u8, start: &[u8]) -> csv::Writer<Vec<u8>> {
    let mut buf = Vec::with_capacity(1 << 20);
    buf.extend_from_slice(start);
    csv::WriterBuilder::new()
        .delimiter(separator)
        .terminator(csv::Terminator::CRLF)
        .from_writer(buf)
}

pub struct RowWriter<'a> {
    w: csv::Writer<Vec<u8>>,
    separator: u8,
    times: SecondsWriter,
    labels: Labels,
    scope: &'a Scope,
    with_system: bool,
    buf: String,
}

impl<'a> RowWriter<'a> {
    pub fn new(tr: &Tr, scope: &'a Scope, separator: u8, with_system: bool) -> RowWriter<'a> {
        RowWriter {
            w: writer(separator, b""),
            separator,
            times: SecondsWriter::new(tr.locale, tr.tz),
            labels: Labels::new(tr),
            scope,
            with_system,
            buf: String::with_capacity(32),
        }
    }

    /// The byte order mark and the headings in the reader's language.
    pub fn heading(&mut self, tr: &Tr) -> csv::Result<()> {
        self.w = writer(self.separator, "\u{FEFF}".as_bytes());
        self.w.write_record(views::headings(tr, self.with_system))
    }

    pub fn row(&mut self, r: &CallRow) -> csv::Result<()> {
        if self.with_system {
            let name = self
                .scope
                .names
                .get(&r.system_id)
                .map_or("", String::as_str);
            self.w.write_field(inert(name).as_bytes())?;
        }
        self.buf.clear();
        self.times.write(r.started_at, &mut self.buf);
        self.w.write_field(self.buf.as_bytes())?;
        self.buf.clear();
        views::write_duration(r.duration_s, &mut self.buf);
        self.w.write_field(self.buf.as_bytes())?;
        let digits = self.scope.mask_of(&r.system_id);
        if digits == 0 {
            self.w.write_field(inert(&r.partner).as_bytes())?;
        } else {
            self.w
                .write_field(inert(&views::mask(&r.partner, digits)).as_bytes())?;
        }
        for v in [
            &r.partner_name,
            &r.invoice_no,
            &r.invoice_name,
            &r.real_name,
            &r.connection,
        ] {
            self.w.write_field(inert(v).as_bytes())?;
        }
        self.w
            .write_field(inert(self.labels.billing(r.successful != 0)).as_bytes())?;
        self.w.write_field(inert(&r.call_type).as_bytes())?;
        self.w.write_record(None::<&[u8]>)
    }

    /// What was written since the last call.
    pub fn take(&mut self) -> csv::Result<Bytes> {
        let done = std::mem::replace(&mut self.w, writer(self.separator, b""));
        let bytes = done
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        Ok(Bytes::from(bytes))
    }
}
