//! The one list component behind every list page: filter by text, sort by a column, and
//! links that keep both. Pages supply rows that implement [`ListRow`]; the templates use
//! the macros in `templates/list.html` for the filter box, sortable headers, edit mode,
//! select all and "delete selected".

use serde::Deserialize;
use std::cmp::Ordering;

/// Query string of a list page: `?q=filter&sort=column&dir=asc|desc`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    /// Lists paged in SQL: where the page begins (`web::paging`).
    pub cursor: Option<String>,
}

/// A value rows are ordered by; text compares case-insensitively.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum SortKey {
    Text(String),
    Number(i64),
    Missing,
}

pub trait ListRow {
    /// All text the filter box searches.
    fn search_text(&self) -> String;
    /// The value of column `key` for sorting.
    fn sort_key(&self, key: &str) -> SortKey;
}

/// The rows after filter and sort, plus what the template needs to draw the controls.
pub struct ListView<T> {
    pub rows: Vec<T>,
    /// Rows before the filter.
    pub total: usize,
    /// Rows that match the filter (on all pages).
    pub matching: usize,
    pub q: String,
    pub sort: String,
    pub desc: bool,
    pub path: String,
    /// Lists paged in SQL: the cursor of the next page, if there is one.
    pub next: Option<String>,
    /// Lists paged in SQL: this is not the first page.
    pub later_page: bool,
}

/// What a list query asks for once checked against the list's columns.
pub struct Resolved {
    /// The filter text, trimmed.
    pub q: String,
    pub sort: String,
    pub desc: bool,
}

impl ListQuery {
    /// Filters by `q`, sorts by `sort` (one of `columns`, else `default_sort`), ascending
    /// unless asked otherwise.
    pub fn apply<T: ListRow>(
        &self,
        rows: Vec<T>,
        path: &str,
        columns: &[&str],
        default_sort: &str,
    ) -> ListView<T> {
        self.apply_ordered(rows, path, columns, default_sort, false)
    }

    /// As [`ListQuery::apply`]; without a `dir` in the query, the default sort column runs
    /// descending when `default_desc` (e.g. newest first).
    pub fn apply_ordered<T: ListRow>(
        &self,
        rows: Vec<T>,
        path: &str,
        columns: &[&str],
        default_sort: &str,
        default_desc: bool,
    ) -> ListView<T> {
        let total = rows.len();
        let Resolved { q, sort, desc } = self.resolve(columns, default_sort, default_desc);
        let needle = q.to_lowercase();
        let mut rows: Vec<T> = rows
            .into_iter()
            .filter(|r| needle.is_empty() || r.search_text().to_lowercase().contains(&needle))
            .collect();
        rows.sort_by(|a, b| {
            let o = cmp_keys(&a.sort_key(&sort), &b.sort_key(&sort));
            if desc { o.reverse() } else { o }
        });
        ListView {
            matching: rows.len(),
            rows,
            total,
            q,
            sort,
            desc,
            path: path.to_owned(),
            next: None,
            later_page: false,
        }
    }

    /// The filter text, and the sort column (one of `columns`, else `default_sort`) and
    /// direction (without a `dir`, descending when `default_desc` and the default column).
    pub fn resolve(&self, columns: &[&str], default_sort: &str, default_desc: bool) -> Resolved {
        let q = self.q.as_deref().unwrap_or_default().trim().to_owned();
        let sort = match self.sort.as_deref() {
            Some(s) if columns.contains(&s) => s.to_owned(),
            _ => default_sort.to_owned(),
        };
        let desc = match self.dir.as_deref() {
            Some("desc") => true,
            Some(_) => false,
            None => default_desc && sort == default_sort,
        };
        Resolved { q, sort, desc }
    }

    /// A page of a list paged in SQL: `rows` already filtered, sorted and cut by the query,
    /// `(matching, total)` the rows that match the filter and all rows, `next` the cursor of
    /// the following page.
    pub fn page<T>(
        &self,
        r: Resolved,
        rows: Vec<T>,
        (matching, total): (i64, i64),
        next: Option<String>,
        path: &str,
    ) -> ListView<T> {
        ListView {
            rows,
            matching: usize::try_from(matching).unwrap_or(0),
            total: usize::try_from(total).unwrap_or(0),
            q: r.q,
            sort: r.sort,
            desc: r.desc,
            path: path.to_owned(),
            next,
            later_page: self.cursor.as_deref().is_some_and(|c| !c.is_empty()),
        }
    }
}

fn cmp_keys(a: &SortKey, b: &SortKey) -> Ordering {
    match (a, b) {
        (SortKey::Text(x), SortKey::Text(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (SortKey::Number(x), SortKey::Number(y)) => x.cmp(y),
        (SortKey::Missing, SortKey::Missing) => Ordering::Equal,
        (SortKey::Missing, _) => Ordering::Greater,
        (_, SortKey::Missing) => Ordering::Less,
        _ => a.partial_cmp(b).unwrap_or(Ordering::Equal),
    }
}

impl<T> ListView<T> {
    /// Link that sorts by `key`, toggling the direction when it is already the sort column.
    pub fn sort_href(&self, key: &str) -> String {
        let dir = if self.sort == key && !self.desc {
            "desc"
        } else {
            "asc"
        };
        let q: String = url::form_urlencoded::byte_serialize(self.q.as_bytes()).collect();
        format!("{}?q={q}&sort={key}&dir={dir}", self.path)
    }

    /// The link to the page after this one (filter and sort kept), or empty.
    pub fn next_href(&self) -> String {
        self.next
            .as_deref()
            .map(|c| format!("{}&cursor={c}", self.here()))
            .unwrap_or_default()
    }

    /// The link to the first page (filter and sort kept), or empty on the first page.
    pub fn first_href(&self) -> String {
        if self.later_page {
            self.here()
        } else {
            String::new()
        }
    }

    fn here(&self) -> String {
        let q: String = url::form_urlencoded::byte_serialize(self.q.as_bytes()).collect();
        let dir = if self.desc { "desc" } else { "asc" };
        format!("{}?q={q}&sort={}&dir={dir}", self.path, self.sort)
    }

    /// `ascending`/`descending` for the active sort column (for `aria-sort`), else `none`.
    pub fn aria_sort(&self, key: &str) -> &'static str {
        match (self.sort == key, self.desc) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }

    pub fn arrow(&self, key: &str) -> &'static str {
        match self.aria_sort(key) {
            "ascending" => "▲",
            "descending" => "▼",
            _ => "",
        }
    }
}

/// Values of a repeated form field (`id=a&id=b`) from an urlencoded body.
pub fn form_values(body: &[u8], field: &str) -> Vec<String> {
    url::form_urlencoded::parse(body)
        .filter(|(k, _)| k == field)
        .map(|(_, v)| v.into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct R(&'static str, i64);
    impl ListRow for R {
        fn search_text(&self) -> String {
            self.0.to_owned()
        }
        fn sort_key(&self, key: &str) -> SortKey {
            match key {
                "n" => SortKey::Number(self.1),
                _ => SortKey::Text(self.0.to_owned()),
            }
        }
    }

    #[test]
    fn filters_and_sorts() {
        let q = ListQuery {
            q: Some("a".into()),
            sort: Some("n".into()),
            dir: Some("desc".into()),
            cursor: None,
        };
        let v = q.apply(
            vec![R("alpha", 1), R("beta", 3), R("gamma", 2), R("xyz", 9)],
            "/p",
            &["n", "t"],
            "t",
        );
        let names: Vec<_> = v.rows.iter().map(|r| r.0).collect();
        assert_eq!(names, ["beta", "gamma", "alpha"]);
        assert_eq!(v.total, 4);
        assert_eq!(v.sort_href("n"), "/p?q=a&sort=n&dir=asc");
        assert_eq!(v.sort_href("t"), "/p?q=a&sort=t&dir=asc");
    }

    #[test]
    fn unknown_sort_column_falls_back() {
        let q = ListQuery {
            sort: Some("bogus".into()),
            ..Default::default()
        };
        let v = q.apply(vec![R("b", 1), R("a", 2)], "/p", &["t"], "t");
        assert_eq!(v.sort, "t");
        assert_eq!(v.rows[0].0, "a");
    }

    #[test]
    fn repeated_form_fields() {
        assert_eq!(form_values(b"id=a&x=1&id=b", "id"), ["a", "b"]);
    }
}
