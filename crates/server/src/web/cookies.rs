//! Reading request cookies: one reader for every cookie the server looks at (session,
//! second-step ticket, time zone, remote session), and the request's cookies without one.

use axum::http::{HeaderMap, header::COOKIE};

/// Every `name=value` pair of the request's `Cookie` headers, in order.
pub fn pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
}

/// The value of cookie `name`, if the request sends it.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    pairs(headers)
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}
