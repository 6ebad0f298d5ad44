//! The conformance kit: scripted checks of the device protocol (docs/protocol.md), each
//! printed with its rule, pass or fail and what was seen. `server` checks a control center
//! the way a PBX would (`zentrale conformance server`).

pub mod agent;
pub mod server;
mod wire;

/// The outcome of one rule.
#[derive(Debug, Clone)]
pub struct Check {
    /// Where docs/protocol.md states the rule.
    pub section: &'static str,
    pub rule: &'static str,
    /// `Some(true)` passed, `Some(false)` failed, `None` not checked (and why in `saw`).
    pub passed: Option<bool>,
    pub saw: String,
}

impl Check {
    pub fn line(&self) -> String {
        let word = match self.passed {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "SKIP",
        };
        format!("{word}  {:<6} {} — {}", self.section, self.rule, self.saw)
    }
}

/// A checked rule: passed with what was seen, or failed with what was seen.
pub(crate) fn check(section: &'static str, rule: &'static str, r: Result<String, String>) -> Check {
    let (passed, saw) = match r {
        Ok(saw) => (true, saw),
        Err(saw) => (false, saw),
    };
    Check {
        section,
        rule,
        passed: Some(passed),
        saw,
    }
}

/// The kit's clock, ms since the epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Whether every checked rule passed.
pub fn all_passed(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.passed != Some(false))
}
