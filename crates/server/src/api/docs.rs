//! `/api/docs`: the OpenAPI document as a readable page (rendered on the server from the
//! same document `/api/v1/openapi.json` serves; no third-party script).

use super::ApiDoc;
use crate::web::markdown::to_html;
use crate::web::{Layout, render};
use askama::Template;
use axum::response::Response;
use serde_json::Value;
use utoipa::OpenApi;

pub struct Operation {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub body: String,
    pub responses: String,
}

pub struct Tag {
    pub name: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct Page {
    layout: Layout,
    description: String,
    tags: Vec<Tag>,
}

fn schema_name(v: &Value) -> String {
    v["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .or_else(|| v["content"]["application/json"]["schema"]["items"]["$ref"].as_str())
        .map(|r| r.rsplit('/').next().unwrap_or(r).to_owned())
        .unwrap_or_default()
}

/// The reference page; with the navigation when a user is logged in (it is public too).
pub async fn page(
    axum::extract::State(st): axum::extract::State<crate::state::AppState>,
    meta: crate::context::ReqMeta,
    headers: axum::http::HeaderMap,
) -> Response {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let mut tags: Vec<Tag> = doc["tags"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| Tag {
                    name: t["name"].as_str().unwrap_or("").to_owned(),
                    description: to_html(t["description"].as_str().unwrap_or("")),
                    operations: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                let op = &item[method];
                if !op.is_object() {
                    continue;
                }
                let tag = op["tags"][0].as_str().unwrap_or("");
                let responses = op["responses"]
                    .as_object()
                    .map(|r| {
                        r.iter()
                            .map(|(code, v)| match schema_name(v) {
                                s if s.is_empty() => code.clone(),
                                s => format!("{code} {s}"),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let operation = Operation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: to_html(
                        op["summary"]
                            .as_str()
                            .or(op["description"].as_str())
                            .unwrap_or(""),
                    ),
                    body: schema_name(&op["requestBody"]),
                    responses,
                };
                if let Some(t) = tags.iter_mut().find(|t| t.name == tag) {
                    t.operations.push(operation);
                }
            }
        }
    }
    let layout = Layout::for_request(&st, &headers, &meta, "nav-api", "api").await;

    render(&Page {
        layout,
        description: to_html(doc["info"]["description"].as_str().unwrap_or("")),
        tags,
    })
}
