//! Keyset paging for lists that live in SQL: a page ends with the sort value and id of its
//! last row, and the next page asks for the rows after that key in the list's order. No
//! OFFSET (which reads and throws away every row before the page) and no page numbers.
//! The key travels as an opaque `cursor` parameter in links and the API.

use base64::Engine;

/// Rows per page unless the caller asks otherwise.
pub const PAGE_ROWS: i64 = 100;
/// The most rows one page may hold (API `limit`).
pub const MAX_ROWS: i64 = 1000;

/// A sort value of the last row of a page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum KeyValue {
    Int(i64),
    Text(String),
}

impl KeyValue {
    /// The sort value a list query selected as `sort_t` (text sorts) or `sort_i` (numbers).
    pub fn of_row(sort_t: &Option<String>, sort_i: Option<i64>) -> KeyValue {
        match sort_t {
            Some(t) => KeyValue::Text(t.clone()),
            None => KeyValue::Int(sort_i.unwrap_or_default()),
        }
    }

    pub fn bind(&self) -> crate::db::Bind {
        match self {
            KeyValue::Int(i) => crate::db::Bind::Int(*i),
            KeyValue::Text(t) => crate::db::Bind::Text(t.clone()),
        }
    }
}

/// Where the next page begins: after the row with this sort value and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageKey {
    pub value: KeyValue,
    pub id: String,
}

impl PageKey {
    /// Opaque text for URLs.
    pub fn encode(&self) -> String {
        let json = serde_json::json!([self.value, self.id]).to_string();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// The key in `text`, if it is one of a list sorted by text (`text_sort`) or by number.
    /// Anything else (too long, not ours, control characters) is `None`.
    pub fn decode(text: &str, text_sort: bool) -> Option<PageKey> {
        if text.len() > 1024 {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()?;
        let (value, id): (KeyValue, String) = serde_json::from_slice(&bytes).ok()?;
        let clean = |s: &str| !s.chars().any(char::is_control);
        let fits = match &value {
            KeyValue::Text(t) => text_sort && clean(t),
            KeyValue::Int(_) => !text_sort,
        };
        (fits && clean(&id)).then_some(PageKey { value, id })
    }
}

/// The query of an API list: `q`, `sort`, `order`, `limit`, `cursor`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiListQuery {
    /// Filter text (as the list's filter box in the UI).
    #[serde(default)]
    pub q: String,
    /// One of the list's columns (see the operation's description).
    #[serde(default)]
    pub sort: String,
    /// `asc` or `desc` (the default depends on the list).
    #[serde(default)]
    pub order: String,
    /// Items per page, 1–1000 (default 100).
    pub limit: Option<i64>,
    /// `next_cursor` of the page before.
    #[serde(default)]
    pub cursor: String,
}

/// An API list query checked against the list's columns.
pub struct Checked {
    pub sort: String,
    pub desc: bool,
    pub limit: i64,
}

impl ApiListQuery {
    /// Refuses (422, naming the parameter) an unknown column or order, a limit outside
    /// 1–1000, filter text over 100 characters or with control characters, and a cursor that
    /// is not one of this sort (`is_text(sort)`: ordered by text).
    pub fn check(
        &self,
        columns: &[&str],
        default_sort: &str,
        default_desc: bool,
        is_text: impl Fn(&str) -> bool,
    ) -> crate::error::AppResult<Checked> {
        use crate::error::AppError;
        let bad = |name: &str, value: &str| {
            AppError::BadRequest(crate::msg!(
                "list-bad-param",
                name = name,
                value = value.chars().take(40).collect::<String>()
            ))
        };
        let sort = match self.sort.as_str() {
            "" => default_sort.to_owned(),
            s if columns.contains(&s) => s.to_owned(),
            s => return Err(bad("sort", s)),
        };
        let desc = match self.order.as_str() {
            "" => default_desc && sort == default_sort,
            "asc" => false,
            "desc" => true,
            o => return Err(bad("order", o)),
        };
        let limit = self.limit.unwrap_or(PAGE_ROWS);
        if !(1..=MAX_ROWS).contains(&limit) {
            return Err(bad("limit", &limit.to_string()));
        }
        if self.q.chars().count() > 100 || self.q.chars().any(char::is_control) {
            return Err(bad("q", &self.q));
        }
        if !self.cursor.is_empty() && PageKey::decode(&self.cursor, is_text(&sort)).is_none() {
            return Err(AppError::BadRequest(crate::msg!("list-bad-cursor")));
        }
        Ok(Checked { sort, desc, limit })
    }
}

/// A list's filter text as the queries compare it: trimmed, lower case, and only its first
/// 100 characters (a longer filter matches nothing more and only costs time).
pub fn needle(text: &str) -> String {
    text.trim()
        .chars()
        .take(100)
        .collect::<String>()
        .to_lowercase()
}

/// The page size a caller asked for, within 1..=[`MAX_ROWS`].
pub fn limit(asked: Option<i64>) -> i64 {
    asked.unwrap_or(PAGE_ROWS).clamp(1, MAX_ROWS)
}

/// Cuts the extra row a query fetched (it asked for `limit + 1`) and gives the cursor of the
/// next page when there is one.
pub fn split<T>(rows: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> PageKey) -> Option<String> {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last().map(|r| key(r).encode())
}

/// The condition "after `key`" for `ORDER BY {value} {dir}, {id} {dir}`, with binds added.
/// `value` and `id` must be plain column names (of a subquery), never user input.
pub fn after_sql(
    value: &str,
    id: &str,
    desc: bool,
    key: &PageKey,
    binds: &mut Vec<crate::db::Bind>,
) -> String {
    let cmp = if desc { "<" } else { ">" };
    binds.push(key.value.bind());
    let v = binds.len();
    binds.push(crate::db::Bind::Text(key.id.clone()));
    let i = binds.len();
    format!("({value} {cmp} ${v} OR ({value} = ${v} AND {id} {cmp} ${i}))")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_the_url_and_foreign_ones_are_refused() {
        let k = PageKey {
            value: KeyValue::Text("Müller GmbH".into()),
            id: "s1".into(),
        };
        assert_eq!(PageKey::decode(&k.encode(), true), Some(k.clone()));
        assert_eq!(PageKey::decode(&k.encode(), false), None);
        assert_eq!(PageKey::decode("not base64!", true), None);
        let nul = PageKey {
            value: KeyValue::Text("a\0b".into()),
            ..k
        };
        assert_eq!(PageKey::decode(&nul.encode(), true), None);
        assert_eq!(PageKey::decode(&"A".repeat(2000), true), None);
    }

    #[test]
    fn split_keeps_the_page_and_names_the_next() {
        let mut rows = vec![1, 2, 3];
        let next = split(&mut rows, 2, |r| PageKey {
            value: KeyValue::Int(*r),
            id: r.to_string(),
        });
        assert_eq!(rows, [1, 2]);
        let k = PageKey::decode(&next.unwrap(), false).unwrap();
        assert_eq!(k.value, KeyValue::Int(2));
        let mut short = vec![1];
        assert_eq!(split(&mut short, 2, |_| unreachable!()), None);
    }
}
