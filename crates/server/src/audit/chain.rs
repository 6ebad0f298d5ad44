//! The hash chain: an entry's hash covers all its fields and the previous entry's hash, so
//! changing, inserting or removing an entry breaks the chain at that place.

use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_label: String,
    pub company_id: String,
    pub system_id: String,
    pub action: String,
    pub args: String,
    pub ip: String,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// SHA-256 over every field but `hash`, each length-prefixed (no two entries share an
    /// encoding).
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let seq = self.seq.to_string();
        let at = self.at.to_string();
        for field in [
            seq.as_str(),
            at.as_str(),
            &self.actor_kind,
            &self.actor_id,
            &self.actor_label,
            &self.company_id,
            &self.system_id,
            &self.action,
            &self.args,
            &self.ip,
            &self.request_id,
            &self.prev_hash,
        ] {
            h.update(field.len().to_string().as_bytes());
            h.update(b":");
            h.update(field.as_bytes());
            h.update(b"\n");
        }
        hex::encode(h.finalize())
    }
}

/// What a walk over the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every link holds. `first` is the oldest entry kept (older ones ended by retention).
    Intact { entries: u64, first: i64, last: i64 },
    /// The first entry that does not fit, and why.
    Broken { seq: i64, why: String },
}

/// Checks entries in order; `expected_prev` is the hash the first one must point at
/// (`None`: the chain starts where retention left it, the first entry's own link is trusted).
#[derive(Default)]
pub struct Walker {
    prev: Option<(i64, String)>,
    pub entries: u64,
    pub first: Option<i64>,
}

impl Walker {
    pub fn step(&mut self, e: &Entry) -> Result<(), (i64, String)> {
        match &self.prev {
            None => {
                if e.seq == 1 && e.prev_hash != GENESIS {
                    return Err((e.seq, "the first entry does not start the chain".into()));
                }
                self.first = Some(e.seq);
            }
            Some((seq, hash)) => {
                if e.seq != seq + 1 {
                    return Err((
                        e.seq,
                        format!("entries {} to {} are missing", seq + 1, e.seq - 1),
                    ));
                }
                if &e.prev_hash != hash {
                    return Err((e.seq, "it does not point at the entry before it".into()));
                }
            }
        }
        if e.compute_hash() != e.hash {
            return Err((e.seq, "its content was changed after it was written".into()));
        }
        self.prev = Some((e.seq, e.hash.clone()));
        self.entries += 1;
        Ok(())
    }

    /// The last entry checked.
    pub fn last(&self) -> Option<&(i64, String)> {
        self.prev.as_ref()
    }
}
