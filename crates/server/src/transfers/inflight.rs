//! Uploads in progress on this node: at most one piece per transfer at a time, a bounded
//! number of pieces at once (each holds a multipart buffer; the others wait their turn), and
//! the running hashes.

use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Pieces this node takes at once; more wait up to [`QUEUE_WAIT`] for their turn.
pub const MAX_PIECES: usize = 32;
/// How long a piece waits for one of the [`MAX_PIECES`] places before it is answered 503
/// (the agent retries). Waiting here costs no memory (the body is not read yet) and lets
/// a piece go on the moment a place is free, where a retry after `Retry-After` loses
/// seconds: 1,000 PBXes uploading at once got 3,600 answers 503.
pub const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Transfers receiving a piece now, and the node's places for pieces.
pub struct Receiving {
    set: Arc<Mutex<HashSet<String>>>,
    places: Arc<tokio::sync::Semaphore>,
}

impl Default for Receiving {
    fn default() -> Self {
        Receiving {
            set: Arc::default(),
            places: Arc::new(tokio::sync::Semaphore::new(MAX_PIECES)),
        }
    }
}

/// Held while a piece of one transfer arrives.
pub struct Piece {
    set: Arc<Mutex<HashSet<String>>>,
    id: String,
    place: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Piece {
    /// Gives the node's place back once the piece's bytes are stored (what follows, the
    /// database's part, needs no buffer), while the transfer stays taken until the piece
    /// is dropped.
    pub fn release_place(&mut self) {
        self.place = None;
    }
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
    /// Another piece of this transfer is arriving (or waiting for its turn).
    Transfer,
    /// The node took [`MAX_PIECES`] pieces for all of [`QUEUE_WAIT`].
    Node,
}

impl Receiving {
    /// Takes a piece of transfer `id` when one of the node's places is free.
    pub async fn begin(&self, id: &str) -> Result<Piece, Busy> {
        let mut piece = {
            let mut set = self.set.lock().unwrap_or_else(|p| p.into_inner());
            if !set.insert(id.to_owned()) {
                return Err(Busy::Transfer);
            }
            Piece {
                set: self.set.clone(),
                id: id.to_owned(),
                place: None,
            }
        };
        let place = tokio::time::timeout(QUEUE_WAIT, self.places.clone().acquire_owned()).await;
        match place {
            Ok(Ok(p)) => {
                piece.place = Some(p);
                Ok(piece)
            }
            _ => Err(Busy::Node),
        }
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
