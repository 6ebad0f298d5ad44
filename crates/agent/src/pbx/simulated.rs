//! A simulated COMtrexx, deterministic from its serial number and a seed: model, MAC,
//! licences, boot time and maintenance follow from them; firmware and maintenance can be set.

use super::web_parts::{DEFAULT_ADMIN_PASSWORD, REMOTE_CONFIG_SINCE};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use zentrale_protocol::FirmwareVersion;
use zentrale_protocol::messages::{DeviceInfo, Licence, Maintenance};
use zentrale_protocol::registrations::{
    Account, AccountStatus, Phone, PhoneKind, PhoneStatus, Registrations,
};
use zentrale_protocol::tunnel::CAPABILITY as TUNNEL_CAPABILITY;

/// Settings an installer could change on the PBX.
#[derive(Debug, Clone)]
pub struct Settings {
    pub firmware: FirmwareVersion,
    pub maintenance: bool,
    pub monitoring_enabled: bool,
    pub remote_config_allowed: bool,
    /// Time zone (System page of its web interface).
    pub time_zone: String,
    pub call_through: bool,
    /// The password of the PBX's own web interface (admin).
    pub admin_password: String,
}

pub struct SimulatedPbx {
    serial: String,
    model: String,
    mac: String,
    pub(super) booted_at_s: std::sync::atomic::AtomicU64,
    maintenance_until_ms: i64,
    licences: Vec<Licence>,
    pub(super) settings: std::sync::Arc<Mutex<Settings>>,
    pub(super) lines: std::sync::Arc<Mutex<Lines>>,
    load: Mutex<Option<(f32, f32)>>,
    alerts: Mutex<Vec<zentrale_protocol::messages::PbxAlert>>,
    /// Lively: phones and trunks flap and events happen by themselves (see [`SimulatedPbx::set_lively`]).
    lively: Mutex<Option<Lively>>,
    /// Remote backup: its password and what was backed up (`simulated_ops.rs`).
    pub(super) backup: Mutex<super::backup_sim::BackupSim>,
    /// Call data (`calls_sim.rs`).
    pub(super) calls: Mutex<super::calls_sim::CallsSim>,
    /// Its own web interface on loopback, started when first asked for (`web_sim.rs`).
    pub(super) web: tokio::sync::OnceCell<super::web_parts::WebSim>,
}

/// State of the lively mode: the last time slot whose events were raised.
#[derive(Debug, Clone, Copy, Default)]
struct Lively {
    last_event_slot: i64,
}

/// Lively mode works in slots of this length.
const SLOT_MS: i64 = 10 * 60 * 1000;

/// Telephones and accounts of the simulated PBX.
#[derive(Debug, Clone)]
pub(super) struct Lines {
    pub(super) phones: Vec<Phone>,
    pub(super) accounts: Vec<Account>,
    pub(super) changed_at_ms: i64,
}

const PHONE_NAMES: [&str; 12] = [
    "Reception",
    "Office 1",
    "Office 2",
    "Sales",
    "Warehouse",
    "Meeting room",
    "Kitchen",
    "Workshop",
    "Manager",
    "Fax",
    "Door station",
    "Lab",
];
const PROVIDERS: [(&str, &str); 4] = [
    ("Main line", "Deutsche Telekom"),
    ("Backup line", "sipgate"),
    ("Branch", "1&1 Versatel"),
    ("Fax line", "easybell"),
];

pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The first phones and accounts run through every status once, so a fresh simulated PBX
/// shows all of them; the rest are registered.
fn lines_for(h: u64) -> Lines {
    let phone_count = 8 + (mix(h ^ 7) % 5) as usize;
    let phones = (0..phone_count)
        .map(|i| {
            let status = PhoneStatus::ALL
                .get(i)
                .copied()
                .unwrap_or(PhoneStatus::RegisteredEncrypted);
            let kind = match status {
                PhoneStatus::Connected => PhoneKind::Analogue,
                _ if i % 4 == 3 => PhoneKind::Dect,
                _ => PhoneKind::Ip,
            };
            let m = mix(h ^ (100 + i as u64));
            Phone {
                name: PHONE_NAMES[i % PHONE_NAMES.len()].to_owned(),
                mac: format!(
                    "00:09:52:{:02x}:{:02x}:{:02x}",
                    (m >> 16) as u8,
                    (m >> 8) as u8,
                    m as u8
                ),
                kind,
                status,
            }
        })
        .collect();
    let accounts = AccountStatus::ALL
        .iter()
        .enumerate()
        .map(|(i, status)| {
            let (account, provider) = PROVIDERS[i % PROVIDERS.len()];
            Account {
                account: format!("{account} {}", i + 1),
                provider: provider.to_owned(),
                status: *status,
            }
        })
        .collect();
    Lines {
        phones,
        accounts,
        changed_at_ms: now_ms(),
    }
}

/// splitmix64: a tiny deterministic generator, enough for plausible simulated values.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(super) fn now_s() -> u64 {
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
            booted_at_s: now_s().saturating_sub(uptime).into(),
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
            settings: std::sync::Arc::new(Mutex::new(Settings {
                firmware: FirmwareVersion::new(2, 6, 2),
                maintenance: true,
                monitoring_enabled: !mix(m ^ 4).is_multiple_of(3),
                remote_config_allowed: mix(m ^ 5).is_multiple_of(2),
                time_zone: "Europe/Berlin".into(),
                call_through: mix(m ^ 6).is_multiple_of(2),
                admin_password: DEFAULT_ADMIN_PASSWORD.into(),
            })),
            lines: std::sync::Arc::new(Mutex::new(lines_for(h))),
            load: Mutex::new(None),
            alerts: Mutex::new(Vec::new()),
            lively: Mutex::new(None),
            backup: Mutex::new(super::backup_sim::BackupSim::new(h)),
            calls: Mutex::new(super::calls_sim::CallsSim::default()),
            web: tokio::sync::OnceCell::new(),
        }
    }

    /// Lively mode, deterministic from the seed and the time: in each 10-minute slot a phone
    /// (1 in 40) or a trunk (1 in 60) may lose its registration for that slot, and the PBX
    /// may report a limit exceeded (1 in 30 slots) or a firmware update (1 in 500).
    pub fn set_lively(&self, on: bool) {
        *self.lively.lock().unwrap_or_else(|p| p.into_inner()) = on.then(Lively::default);
    }

    pub(super) fn seed(&self) -> u64 {
        mix(self.serial.bytes().fold(0, |a, b| a ^ (b as u64)))
    }

    /// Raises an event (sent with the next tick of the control channel).
    pub fn raise(&self, alert: zentrale_protocol::messages::PbxAlert) {
        self.alerts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(alert);
    }

    /// Fixes CPU and memory at these values (`None`: back to the simulated curve).
    pub fn set_load(&self, load: Option<(f32, f32)>) {
        *self.load.lock().unwrap_or_else(|p| p.into_inner()) = load;
    }

    /// Sets the status of phone `index` (as if it lost or regained registration).
    pub fn set_phones(&self, phones: Vec<Phone>) {
        let mut l = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        l.phones = phones;
        l.changed_at_ms = now_ms();
    }

    /// The phones now (to build a bigger installation from them).
    pub fn phones(&self) -> Vec<Phone> {
        self.lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .phones
            .clone()
    }

    /// Sets the status of phone `index`.
    pub fn set_phone_status(&self, index: usize, status: PhoneStatus) {
        let mut l = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = l.phones.get_mut(index) {
            p.status = status;
            l.changed_at_ms = now_ms();
        }
    }

    /// Sets the status of account `index`.
    pub fn set_account_status(&self, index: usize, status: AccountStatus) {
        let mut l = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = l.accounts.get_mut(index) {
            a.status = status;
            l.changed_at_ms = now_ms();
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

/// What the PBX reports; [`Pbx`] for the simulated COMtrexx (in `simulated_ops.rs`)
/// answers with these.
impl SimulatedPbx {
    pub fn info(&self) -> DeviceInfo {
        let s = self.settings();
        DeviceInfo {
            model: self.model.clone(),
            serial: self.serial.clone(),
            mac: self.mac.clone(),
            firmware: s.firmware,
            uptime_s: now_s()
                .saturating_sub(self.booted_at_s.load(std::sync::atomic::Ordering::Relaxed)),
            maintenance: Maintenance {
                active: s.maintenance,
                until_ms: Some(self.maintenance_until_ms),
            },
            licences: self.licences.clone(),
            capabilities: ["info", "backup", "calls"]
                .into_iter()
                .chain((s.firmware >= REMOTE_CONFIG_SINCE).then_some(TUNNEL_CAPABILITY))
                .map(str::to_owned)
                .collect(),
            monitoring_enabled: s.monitoring_enabled,
            remote_config_allowed: s.remote_config_allowed,
            remote_backup_ready: self.backup_sim().password.is_some(),
        }
    }

    /// CPU follows a slow daily wave plus noise; memory drifts slowly; both stay in 0–100.
    /// Overridden by [`SimulatedPbx::set_load`] (to provoke limits).
    pub fn sample(&self, t_ms: i64) -> Option<(f32, f32)> {
        if let Some(fixed) = *self.load.lock().unwrap_or_else(|p| p.into_inner()) {
            return Some(fixed);
        }
        let seed = mix(self.serial.bytes().fold(0, |a, b| a ^ (b as u64)));
        let t = t_ms as f64 / 1000.0;
        let phase = (seed % 1000) as f64;
        let noise = (mix(seed ^ (t_ms as u64 / 1000)) % 1000) as f64 / 100.0;
        let cpu = 20.0 + 15.0 * ((t / 86_400.0 + phase) * std::f64::consts::TAU).sin() + noise;
        let mem =
            45.0 + 10.0 * ((t / 21_600.0 + phase) * std::f64::consts::TAU).sin() + noise / 2.0;
        Some((cpu.clamp(0.0, 100.0) as f32, mem.clamp(0.0, 100.0) as f32))
    }

    pub fn take_alerts(&self) -> Vec<zentrale_protocol::messages::PbxAlert> {
        let mut out = std::mem::take(&mut *self.alerts.lock().unwrap_or_else(|p| p.into_inner()));
        let mut lively = self.lively.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = lively.as_mut() {
            let slot = now_ms() / SLOT_MS;
            if slot != l.last_event_slot {
                l.last_event_slot = slot;
                let h = mix(self.seed() ^ slot as u64);
                if h.is_multiple_of(30) {
                    out.push(zentrale_protocol::messages::PbxAlert {
                        kind: "limit_exceeded".into(),
                        subject: "voip_channels".into(),
                        severity: "warning".into(),
                        message: "All VoIP channels were in use; further calls were rejected."
                            .into(),
                        cleared: false,
                    });
                } else if h % 30 == 1 {
                    out.push(zentrale_protocol::messages::PbxAlert {
                        kind: "limit_exceeded".into(),
                        subject: "voip_channels".into(),
                        severity: "warning".into(),
                        message: String::new(),
                        cleared: true,
                    });
                }
                if mix(h).is_multiple_of(500) {
                    out.push(zentrale_protocol::messages::PbxAlert {
                        kind: "firmware_update".into(),
                        subject: String::new(),
                        severity: "info".into(),
                        message: "A firmware update is available for this PBX.".into(),
                        cleared: false,
                    });
                }
            }
        }
        out
    }

    pub fn registrations(&self) -> Registrations {
        let mut l = self.lines.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if self
            .lively
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
        {
            let slot = now_ms() / SLOT_MS;
            let seed = self.seed();
            for (i, p) in l.phones.iter_mut().enumerate() {
                if p.status.is_registered()
                    && mix(seed ^ (i as u64) << 8 ^ slot as u64).is_multiple_of(40)
                {
                    p.status = PhoneStatus::RegistrationPending;
                    l.changed_at_ms = l.changed_at_ms.max(slot * SLOT_MS);
                }
            }
            for (i, a) in l.accounts.iter_mut().enumerate() {
                if a.status.is_registered()
                    && mix(seed ^ (i as u64) << 16 ^ slot as u64).is_multiple_of(60)
                {
                    a.status = AccountStatus::NotRegistered;
                    l.changed_at_ms = l.changed_at_ms.max(slot * SLOT_MS);
                }
            }
        }
        Registrations {
            as_of_ms: l.changed_at_ms,
            phones: l.phones,
            accounts: l.accounts,
            parts: None,
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

#[cfg(test)]
mod lively_tests {
    use super::*;

    #[test]
    fn lively_mode_is_deterministic_and_quiet_by_default() {
        let quiet = SimulatedPbx::new("LIVELY0001", 3);
        let a = SimulatedPbx::new("LIVELY0001", 3);
        let b = SimulatedPbx::new("LIVELY0001", 3);
        a.set_lively(true);
        b.set_lively(true);
        assert_eq!(
            a.registrations().phones,
            b.registrations().phones,
            "same seed, same time: same picture"
        );
        assert_eq!(
            quiet.registrations().phones,
            SimulatedPbx::new("LIVELY0001", 3).registrations().phones
        );
        assert!(quiet.take_alerts().is_empty());
    }
}
