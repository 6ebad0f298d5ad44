//! The simulated COMtrexx's configuration file, as its export writes it and its restore
//! reads it: a JSON header (settings, telephones, accounts) and the recorded announcements
//! (hex text). A restore checks the whole file before it changes anything, then applies it
//! and restarts the PBX.

use super::PbxError;
use super::simulated::{SimulatedPbx, now_ms, now_s};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use zentrale_protocol::registrations::{Account, Phone};

const FORMAT: &str = "comtrexx-sim-config/1";
const SPLIT: &[u8] = b"\nannouncements ";

impl SimulatedPbx {
    /// The configuration now, byte for byte as an export writes it.
    pub fn configuration(&self) -> Vec<u8> {
        let s = self.settings();
        let r = SimulatedPbx::registrations(self);
        let header = serde_json::json!({
            "format": FORMAT,
            "serial": self.info().serial,
            "model": self.model(),
            "firmware": s.firmware.to_string(),
            "settings": {
                "monitoring_enabled": s.monitoring_enabled,
                "remote_config_allowed": s.remote_config_allowed,
                "time_zone": s.time_zone,
                "call_through": s.call_through,
            },
            "phones": r.phones,
            "accounts": r.accounts,
        })
        .to_string();
        let mut out = header.into_bytes();
        out.extend_from_slice(SPLIT);
        out.extend_from_slice(&self.announcements());
        out.push(b'\n');
        out
    }

    /// The announcements as hex text: the restored ones, or generated from the serial.
    fn announcements(&self) -> Vec<u8> {
        let sim = self.backup_sim();
        if let Some(a) = sim.announcements {
            return a;
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut z = self.seed();
        let mut out = Vec::with_capacity(sim.announcement_bytes * 2);
        for _ in 0..sim.announcement_bytes {
            z = z.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let b = (z >> 56) as usize;
            out.extend_from_slice(&[HEX[b >> 4], HEX[b & 15]]);
        }
        out
    }

    /// Checks a configuration file and, when it is one of this PBX's, applies it and
    /// restarts. Nothing changes when it is not.
    pub(super) fn apply_configuration(&self, data: &[u8]) -> Result<(), PbxError> {
        let parsed = parse(data)?;
        self.update(|s| {
            s.monitoring_enabled = parsed.monitoring_enabled;
            s.remote_config_allowed = parsed.remote_config_allowed;
            if let Some(tz) = parsed.time_zone {
                s.time_zone = tz;
            }
            if let Some(on) = parsed.call_through {
                s.call_through = on;
            }
        });
        {
            let mut l = self.lines.lock().unwrap_or_else(|p| p.into_inner());
            l.phones = parsed.phones;
            l.accounts = parsed.accounts;
            l.changed_at_ms = now_ms();
        }
        self.update_backup(|b| {
            b.announcements = Some(parsed.announcements);
            b.restores += 1;
        });
        self.restart();
        Ok(())
    }

    /// The PBX restarts: its uptime begins again.
    pub fn restart(&self) {
        self.booted_at_s.store(now_s(), Ordering::Relaxed);
        self.update_backup(|b| b.restarts += 1);
    }
}

struct Parsed {
    monitoring_enabled: bool,
    remote_config_allowed: bool,
    /// Absent in files of older firmware: the PBX keeps its own.
    time_zone: Option<String>,
    call_through: Option<bool>,
    phones: Vec<Phone>,
    accounts: Vec<Account>,
    announcements: Vec<u8>,
}

fn bad(why: &str) -> PbxError {
    PbxError::Failed(format!("not a configuration this PBX can read: {why}"))
}

fn split(data: &[u8]) -> Result<(serde_json::Value, &[u8]), PbxError> {
    let at = data
        .windows(SPLIT.len())
        .position(|w| w == SPLIT)
        .ok_or_else(|| bad("no announcements section"))?;
    let header: serde_json::Value =
        serde_json::from_slice(&data[..at]).map_err(|e| bad(&e.to_string()))?;
    if header["format"] != FORMAT {
        return Err(bad("unknown format"));
    }
    let rest = data[at + SPLIT.len()..]
        .strip_suffix(b"\n")
        .ok_or_else(|| bad("cut short"))?;
    if !rest.iter().all(u8::is_ascii_hexdigit) {
        return Err(bad("damaged announcements"));
    }
    Ok((header, rest))
}

fn parse(data: &[u8]) -> Result<Parsed, PbxError> {
    let (h, rest) = split(data)?;
    let flag = |name: &str| h["settings"][name].as_bool().ok_or_else(|| bad(name));
    Ok(Parsed {
        monitoring_enabled: flag("monitoring_enabled")?,
        remote_config_allowed: flag("remote_config_allowed")?,
        time_zone: h["settings"]["time_zone"]
            .as_str()
            .filter(|tz| super::web_parts::TIME_ZONES.contains(tz))
            .map(str::to_owned),
        call_through: h["settings"]["call_through"].as_bool(),
        phones: serde_json::from_value(h["phones"].clone()).map_err(|e| bad(&e.to_string()))?,
        accounts: serde_json::from_value(h["accounts"].clone()).map_err(|e| bad(&e.to_string()))?,
        announcements: rest.to_vec(),
    })
}

/// The settings of a configuration file by name (`settings/…`, `phones/<name>/…`,
/// `accounts/<account>/…`, `firmware`, `announcements`), for comparing two backups.
pub(super) fn settings_of(data: &[u8]) -> Result<BTreeMap<String, String>, PbxError> {
    use sha2::Digest;
    let (h, rest) = split(data)?;
    let mut out = BTreeMap::new();
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    out.insert("firmware".to_owned(), text(&h["firmware"]));
    if let Some(settings) = h["settings"].as_object() {
        for (k, v) in settings {
            out.insert(format!("settings/{k}"), text(v));
        }
    }
    for (list, key) in [("phones", "name"), ("accounts", "account")] {
        for item in h[list].as_array().into_iter().flatten() {
            let name = text(&item[key]);
            for (k, v) in item.as_object().into_iter().flatten() {
                if k != key {
                    out.insert(format!("{list}/{name}/{k}"), text(v));
                }
            }
        }
    }
    let digest = hex::encode(sha2::Sha256::digest(rest));
    out.insert(
        "announcements".to_owned(),
        format!("{} bytes, SHA-256 {}", rest.len() / 2, &digest[..12]),
    );
    Ok(out)
}
