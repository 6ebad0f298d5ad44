//! Commands as people read them: kind, state, step, error and result in the reader's
//! language, for the Activity list, Systems › All and the API.

use super::store::CommandRow;
use crate::i18n::{Msg, Tr};
use serde::Serialize;
use utoipa::ToSchema;

/// One command in a list.
#[derive(Debug, Clone)]
pub struct CommandLine {
    pub id: String,
    pub system_id: String,
    pub system_name: String,
    pub kind: String,
    pub state: String,
    pub state_text: String,
    pub progress: i64,
    pub step: String,
    pub open: bool,
    pub cancellable: bool,
    pub who: String,
    pub created_at: String,
    pub updated_at: String,
    /// What came of it: the error, or a short result.
    pub outcome: String,
    pub failed: bool,
}

pub fn kind_text(tr: &Tr, kind: &str) -> String {
    let key = super::kinds::def(kind).map(|k| k.label);
    match key {
        Some(k) => tr.t(k),
        None => kind.to_owned(),
    }
}

pub fn state_text(tr: &Tr, state: &str) -> String {
    let key = format!("cmd-state-{state}");
    if tr.has(&key) {
        tr.t(&key)
    } else {
        state.to_owned()
    }
}

pub fn step_text(tr: &Tr, step: &str) -> String {
    let key = format!("cmd-step-{}", step.replace(['.', '_'], "-"));
    if tr.has(&key) {
        tr.t(&key)
    } else {
        step.to_owned()
    }
}

/// The error as a message with its arguments (`deadline` is a time); a code the catalog
/// does not know is shown with the PBX's own text.
pub fn error_msg(tr: &Tr, c: &CommandRow) -> Option<Msg> {
    let code = c.error_code.as_deref()?;
    let args: serde_json::Map<String, serde_json::Value> = c
        .error_args
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or_default();
    let with_args = |mut m: Msg| {
        for (k, v) in &args {
            m = match (k.as_str(), v) {
                ("deadline", serde_json::Value::Number(n)) => {
                    m.time("deadline", n.as_i64().unwrap_or(0))
                }
                (_, serde_json::Value::String(s)) => m.text(k.clone(), s.clone()),
                (_, other) => m.text(k.clone(), other.to_string()),
            };
        }
        if !args.contains_key("message") {
            m = m.text("message", String::new());
        }
        m
    };
    let known = with_args(Msg::new(format!(
        "cmd-error-{}",
        code.replace(['.', '_'], "-")
    )));
    if tr.try_msg(&known).is_some() {
        return Some(known);
    }
    Some(with_args(Msg::new("cmd-error-other")).text("code", code.to_owned()))
}

/// A success in a few words (a backup's size).
fn result_text(tr: &Tr, c: &CommandRow) -> String {
    let Some(v) = c
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
    else {
        return String::new();
    };
    if let Some(count) = v.get("count").and_then(|s| s.as_i64()) {
        return tr.tn("cmd-result-records", "count", count);
    }
    match v.get("size").and_then(|s| s.as_u64()) {
        Some(size) => tr.t1("cmd-result-size", "size", size_text(tr, size)),
        None => String::new(),
    }
}

/// `1.4 MB`, `820 kB`: sizes as people read them (decimal units).
pub fn size_text(tr: &Tr, bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{} GB", tr.number(b / 1e9, 1))
    } else if b >= 1e6 {
        format!("{} MB", tr.number(b / 1e6, 1))
    } else {
        format!("{} kB", tr.number((b / 1e3).max(0.1), 1))
    }
}

pub fn line(tr: &Tr, c: &CommandRow, system_name: &str) -> CommandLine {
    let outcome = match error_msg(tr, c) {
        Some(m) => tr.msg(&m),
        None => result_text(tr, c),
    };
    CommandLine {
        id: c.id.clone(),
        system_id: c.system_id.clone(),
        system_name: system_name.to_owned(),
        kind: kind_text(tr, &c.kind),
        state: c.state.clone(),
        state_text: state_text(tr, &c.state),
        progress: c.progress.clamp(0, 100),
        step: if c.step.is_empty() {
            String::new()
        } else {
            step_text(tr, &c.step)
        },
        open: c.is_open(),
        cancellable: c.state == "queued",
        who: if c.created_by.is_empty() {
            tr.t("cmd-by-schedule")
        } else {
            c.created_by.clone()
        },
        created_at: tr.datetime(Some(c.created_at)),
        updated_at: tr.datetime(Some(c.updated_at)),
        failed: c.error_code.is_some(),
        outcome,
    }
}

/// A command in the API.
#[derive(Serialize, ToSchema)]
pub struct CommandJson {
    pub id: String,
    pub system_id: String,
    /// e.g. `backup.create`.
    pub kind: String,
    pub kind_text: String,
    /// `queued`, `sent`, `running`, `succeeded`, `failed`, `cancelled` or `expired`.
    pub state: String,
    pub state_text: String,
    /// 0–100.
    pub progress: i64,
    /// Step code, e.g. `backup.upload`; empty before the first progress report.
    pub step: String,
    pub step_text: String,
    /// The kind's result when it succeeded.
    #[schema(value_type = Object)]
    pub result: Option<serde_json::Value>,
    pub error: Option<CommandErrorJson>,
    /// E-mail of who started it; empty when the control center's schedule did.
    pub created_by: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub deadline_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CommandErrorJson {
    pub code: String,
    /// What happened and what to do, in the caller's language.
    pub message: String,
    #[schema(value_type = Object)]
    pub args: serde_json::Value,
}

pub fn json(tr: &Tr, c: &CommandRow) -> CommandJson {
    CommandJson {
        id: c.id.clone(),
        system_id: c.system_id.clone(),
        kind: c.kind.clone(),
        kind_text: kind_text(tr, &c.kind),
        state: c.state.clone(),
        state_text: state_text(tr, &c.state),
        progress: c.progress.clamp(0, 100),
        step: c.step.clone(),
        step_text: if c.step.is_empty() {
            String::new()
        } else {
            step_text(tr, &c.step)
        },
        result: c
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok()),
        error: c.error_code.as_ref().map(|code| CommandErrorJson {
            code: code.clone(),
            message: error_msg(tr, c).map(|m| tr.msg(&m)).unwrap_or_default(),
            args: c
                .error_args
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default(),
        }),
        created_by: c.created_by.clone(),
        created_at_ms: c.created_at,
        updated_at_ms: c.updated_at,
        deadline_ms: c.deadline_ms,
    }
}
