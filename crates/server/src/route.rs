//! One route of the server: method, path pattern, handler. The route table (`app`) and the
//! API's part of it (`api`) are lists of these; tests read the table to check every route
//! against the permission matrix. This file imports no handler.

use crate::state::AppState;
use axum::routing::MethodRouter;

pub struct RouteDef {
    pub method: &'static str,
    pub path: &'static str,
    pub(crate) handler: MethodRouter<AppState>,
}

impl RouteDef {
    pub fn new(method: &'static str, path: &'static str, handler: MethodRouter<AppState>) -> Self {
        RouteDef {
            method,
            path,
            handler,
        }
    }
}
