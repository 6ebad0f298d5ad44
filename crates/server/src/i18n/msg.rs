//! A message: a catalog key with arguments. What services, stores and errors hand out and
//! what alerts keep in the database; rendered only when somebody reads it.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arg {
    Text(String),
    Num(f64),
    /// Milliseconds since the epoch, shown in the reader's time zone.
    Time(i64),
    /// Another message, rendered in the same language (a reason inside a sentence).
    Msg(Box<Msg>),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Msg {
    pub key: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<(Cow<'static, str>, Arg)>,
}

impl Msg {
    pub fn new(key: impl Into<Cow<'static, str>>) -> Self {
        Msg {
            key: key.into(),
            args: Vec::new(),
        }
    }

    fn arg(mut self, name: impl Into<Cow<'static, str>>, value: Arg) -> Self {
        self.args.push((name.into(), value));
        self
    }

    pub fn text(self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.arg(name, Arg::Text(value.into()))
    }

    pub fn num(self, name: impl Into<Cow<'static, str>>, value: f64) -> Self {
        self.arg(name, Arg::Num(value))
    }

    pub fn time(self, name: impl Into<Cow<'static, str>>, ms: i64) -> Self {
        self.arg(name, Arg::Time(ms))
    }

    pub fn inner(self, name: impl Into<Cow<'static, str>>, m: Msg) -> Self {
        self.arg(name, Arg::Msg(Box::new(m)))
    }

    /// The arguments as a JSON object for API answers (`{"name": value}`).
    pub fn args_json(&self) -> serde_json::Value {
        let map = self
            .args
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Arg::Text(s) => serde_json::json!(s),
                    Arg::Num(n) => serde_json::json!(n),
                    Arg::Time(ms) => serde_json::json!(ms),
                    Arg::Msg(m) => serde_json::json!(m.key),
                };
                (k.to_string(), v)
            })
            .collect();
        serde_json::Value::Object(map)
    }
}

/// `msg!("key")`, `msg!("key", name = value, …)` with text arguments.
#[macro_export]
macro_rules! msg {
    ($key:literal) => { $crate::i18n::Msg::new($key) };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::Msg::new($key)$(.text(stringify!($name), ($value).to_string()))+
    };
}

/// English, for logs and the command line.
impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&super::Tr::default().msg(self))
    }
}
