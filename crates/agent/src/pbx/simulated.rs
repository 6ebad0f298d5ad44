//! A simulated COMtrexx, deterministic from its serial number and a seed: model, MAC,
//! licences, boot time and maintenance follow from them; firmware and maintenance can be set.

use super::Pbx;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use zentrale_protocol::FirmwareVersion;
use zentrale_protocol::messages::{DeviceInfo, Licence, Maintenance};

/// Settings an installer could change on the PBX.
#[derive(Debug, Clone)]
pub struct Settings {
    pub firmware: FirmwareVersion,
    pub maintenance: bool,
    pub monitoring_enabled: bool,
    pub remote_config_allowed: bool,
}

pub struct SimulatedPbx {
    serial: String,
    model: String,
    mac: String,
    booted_at_s: u64,
    maintenance_until_ms: i64,
    licences: Vec<Licence>,
    settings: Mutex<Settings>,
}

/// splitmix64: a tiny deterministic generator, enough for plausible simulated values.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl SimulatedPbx {
    pub fn new(serial: &str, seed: u64) -> Self {
        let h = serial.bytes().fold(mix(seed), |acc, b| mix(acc ^ b as u64));
        let models = [
            "COMtrexx Advanced",
            "COMtrexx Business",
            "COMtrexx Advanced 2",
        ];
        let model = models[(h % models.len() as u64) as usize].to_owned();
        let m = mix(h);
        let mac = format!(
            "00:09:52:{:02x}:{:02x}:{:02x}",
            (m >> 16) as u8,
            (m >> 8) as u8,
            m as u8
        );
        let uptime = 3600 + mix(m) % (40 * 86_400);
        let until_days = 30 + mix(m ^ 1) % 700;
        let channels = [8u32, 16, 30, 60][(mix(m ^ 2) % 4) as usize];
        SimulatedPbx {
            serial: serial.to_owned(),
            model,
            mac,
            booted_at_s: now_s().saturating_sub(uptime),
            maintenance_until_ms: ((now_s() + until_days * 86_400) * 1000) as i64,
            licences: vec![
                Licence {
                    name: "VoIP channels".into(),
                    quantity: channels,
                },
                Licence {
                    name: "Users".into(),
                    quantity: channels * 5,
                },
                Licence {
                    name: "Voicemail and fax boxes".into(),
                    quantity: channels * 2,
                },
                Licence {
                    name: "Recording (expansion)".into(),
                    quantity: (mix(m ^ 3) % 2) as u32,
                },
            ],
            settings: Mutex::new(Settings {
                firmware: FirmwareVersion::new(2, 6, 2),
                maintenance: true,
                monitoring_enabled: !mix(m ^ 4).is_multiple_of(3),
                remote_config_allowed: mix(m ^ 5).is_multiple_of(2),
            }),
        }
    }

    pub fn settings(&self) -> Settings {
        self.lock().clone()
    }

    pub fn update(&self, f: impl FnOnce(&mut Settings)) {
        f(&mut self.lock());
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Settings> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Pbx for SimulatedPbx {
    fn info(&self) -> DeviceInfo {
        let s = self.settings();
        DeviceInfo {
            model: self.model.clone(),
            serial: self.serial.clone(),
            mac: self.mac.clone(),
            firmware: s.firmware,
            uptime_s: now_s().saturating_sub(self.booted_at_s),
            maintenance: Maintenance {
                active: s.maintenance,
                until_ms: Some(self.maintenance_until_ms),
            },
            licences: self.licences.clone(),
            capabilities: vec!["info".into()],
            monitoring_enabled: s.monitoring_enabled,
            remote_config_allowed: s.remote_config_allowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_serial_and_seed_give_the_same_pbx() {
        let a = SimulatedPbx::new("SIM000001", 7).info();
        let b = SimulatedPbx::new("SIM000001", 7).info();
        assert_eq!((a.model, a.mac, a.licences), (b.model, b.mac, b.licences));
        let c = SimulatedPbx::new("SIM000002", 7).info();
        assert_ne!(SimulatedPbx::new("SIM000001", 7).info().mac, c.mac);
    }
}
