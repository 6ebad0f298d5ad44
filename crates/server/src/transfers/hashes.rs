//! Running hashes of uploads in progress on this node.

use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Mutex;

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
