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

/// Whether every checked rule passed.
pub fn all_passed(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.passed != Some(false))
}
