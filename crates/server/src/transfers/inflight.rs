//! Uploads in progress on this node: at most one piece per transfer at a time, a bounded
//! number of pieces at once (each holds a multipart buffer), and the running hashes.

use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Pieces this node takes at once; more are answered 503 (the agent retries).
pub const MAX_PIECES: usize = 32;

/// Transfers receiving a piece now.
#[derive(Default)]
pub struct Receiving(Arc<Mutex<HashSet<String>>>);

/// Held while a piece of one transfer arrives.
pub struct Piece {
    set: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl Drop for Piece {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

/// Why a piece cannot be taken now.
pub enum Busy {
    /// Another piece of this transfer is arriving.
    Transfer,
    /// The node takes [`MAX_PIECES`] pieces already.
    Node,
}

impl Receiving {
    pub fn begin(&self, id: &str) -> Result<Piece, Busy> {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if set.contains(id) {
            return Err(Busy::Transfer);
        }
        if set.len() >= MAX_PIECES {
            return Err(Busy::Node);
        }
        set.insert(id.to_owned());
        Ok(Piece {
            set: self.0.clone(),
            id: id.to_owned(),
        })
    }
}

/// Running hashes of uploads in progress on this node, by transfer id and the offset they
/// reached: an upload that goes on at that offset needs no read-back of earlier pieces.
#[derive(Default)]
pub struct Hashes(Mutex<HashMap<String, (u64, Sha256)>>);

impl Hashes {
    pub fn take(&self, id: &str, at: u64) -> Option<Sha256> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match map.remove(id) {
            Some((offset, hash)) if offset == at => Some(hash),
            _ => None,
        }
    }

    pub fn keep(&self, id: &str, at: u64, hash: Sha256) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: a node never has many uploads at once; forget the oldest guesses.
        if map.len() > 1024 {
            map.clear();
        }
        map.insert(id.to_owned(), (at, hash));
    }
}
