//! Languages: the catalogs are complete in both languages, templates hold no English of
//! their own, every key the code uses exists, and a request gets the language it asks for
//! (browser, stored choice, API header), with dates in the reader's time zone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

/// `key -> placeholders` of every message in one language's catalog files.
fn catalog(lang: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    let dir = root().join("locales").join(lang);
    for f in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        let mut current: Option<String> = None;
        for line in text.lines() {
            let starts_message = line
                .split_once(" =")
                .map(|(k, _)| {
                    !k.is_empty()
                        && k.chars().next().unwrap().is_ascii_alphabetic()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
                .unwrap_or(false);
            if starts_message {
                let key = line.split_once(" =").unwrap().0.to_owned();
                assert!(
                    out.insert(key.clone(), BTreeSet::new()).is_none(),
                    "{lang}: {key} defined twice"
                );
                current = Some(key);
            }
            if let Some(k) = &current {
                let set = out.get_mut(k).unwrap();
                let mut rest = line;
                while let Some(i) = rest.find("{ $") {
                    let after = &rest[i + 3..];
                    let name: String = after
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                        .collect();
                    set.insert(name);
                    rest = after;
                }
            }
        }
    }
    out
}

#[test]
fn both_languages_have_every_key_with_the_same_arguments() {
    let en = catalog("en");
    let de = catalog("de");
    assert!(
        en.len() > 300,
        "the English catalog has only {} keys",
        en.len()
    );
    let only_en: Vec<_> = en.keys().filter(|k| !de.contains_key(*k)).collect();
    let only_de: Vec<_> = de.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(only_en.is_empty(), "keys missing in German: {only_en:?}");
    assert!(only_de.is_empty(), "keys missing in English: {only_de:?}");
    for (k, args) in &en {
        assert_eq!(args, &de[k], "{k}: the languages use different arguments");
    }
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// The string literals that follow `pattern` (`t("`, `Msg::new("` …) in `text`.
fn keys_after<'a>(text: &'a str, pattern: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(pattern) {
        let after = &rest[i + pattern.len()..];
        if let Some(end) = after.find('"') {
            out.push(&after[..end]);
        }
        rest = after;
    }
    out
}

#[test]
fn every_key_the_code_uses_exists() {
    let en = catalog("en");
    let mut paths = Vec::new();
    files(&root().join("src"), "rs", &mut paths);
    files(&root().join("templates"), "html", &mut paths);
    let mut missing = Vec::new();
    let mut seen = 0;
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        for pat in [
            ".t(\"",
            ".t1(\"",
            ".t2(\"",
            ".tn(\"",
            "Msg::new(\"",
            "msg!(\"",
            "Layout::page(\"",
            "Layout::anonymous(\"",
        ] {
            for key in keys_after(&text, pat) {
                seen += 1;
                // `"key"` is the placeholder of doc comments.
                if key != "key" && !key.contains('{') && !en.contains_key(key) {
                    missing.push(format!("{}: {key}", p.display()));
                }
            }
        }
    }
    assert!(seen > 400, "only {seen} uses of keys found");
    assert!(
        missing.is_empty(),
        "keys used but not in the catalog: {missing:#?}"
    );
}

/// Words a template may hold itself: the product's name.
const OWN_WORDS: &[&str] = &["Zentrale"];

fn strip(text: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(open) {
        out.push_str(&rest[..i]);
        out.push(' ');
        match rest[i..].find(close) {
            Some(j) => rest = &rest[i + j + close.len()..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

fn has_words(s: &str) -> Option<String> {
    let mut t = s.to_owned();
    for w in OWN_WORDS {
        t = t.replace(w, " ");
    }
    let t = t.replace("&nbsp;", " ");
    // Paths and addresses are not words (`/api/v1/openapi.json`).
    let t: String = t
        .split_whitespace()
        .filter(|w| !w.starts_with('/'))
        .collect::<Vec<_>>()
        .join(" ");
    t.chars()
        .any(|c| c.is_alphabetic())
        .then(|| t.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[test]
fn templates_hold_no_english_of_their_own() {
    let mut paths = Vec::new();
    files(&root().join("templates"), "html", &mut paths);
    let mut found = Vec::new();
    for p in paths {
        let raw = std::fs::read_to_string(&p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        // Text shown in attributes people read.
        for attr in [
            "placeholder=\"",
            "title=\"",
            "aria-label=\"",
            "alt=\"",
            "data-confirm=\"",
            "data-copied=\"",
        ] {
            for v in keys_after(&raw, attr) {
                if !v.contains("{{")
                    && let Some(w) = has_words(v)
                {
                    found.push(format!("{name}: {attr}… {w}"));
                }
            }
        }
        // Text between tags, outside template code.
        let text = strip(&raw, "{#", "#}");
        let text = strip(&text, "{%", "%}");
        let text = strip(&text, "{{", "}}");
        let text = strip(&text, "<", ">");
        for line in text.lines() {
            if let Some(w) = has_words(line) {
                found.push(format!("{name}: {w}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "literal text in templates (use the catalog): {found:#?}"
    );
}

#[test]
fn the_literal_check_finds_english() {
    let text = strip(
        &strip("<p>{{ layout.t(\"x\") }} Save</p>", "{{", "}}"),
        "<",
        ">",
    );
    assert_eq!(has_words(&text).as_deref(), Some("Save"));
    assert_eq!(has_words(" · ← ✔ 3 "), None);
}

both_backends!(the_browser_language_and_the_stored_choice);

async fn the_browser_language_and_the_stored_choice(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    let http = raw_client();
    let page = |lang: &'static str| {
        let http = http.clone();
        let url = format!("{}/login", srv.url);
        async move {
            http.get(url)
                .header("accept-language", lang)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let de = page("de-DE,de;q=0.9,en;q=0.5").await;
    assert!(de.contains("<html lang=\"de\">"), "{de}");
    assert!(de.contains("Bei Zentrale anmelden") && de.contains("Passwort"));
    assert!(!de.contains("Password"));
    let en = page("en-GB,en;q=0.8").await;
    assert!(en.contains("<html lang=\"en\">") && en.contains("Log in to Zentrale"));
    let other = page("fr-FR").await;
    assert!(
        other.contains("<html lang=\"en\">"),
        "English when nothing fits"
    );

    // A wrong login answers in the browser's language.
    let r = http
        .post(format!("{}/login", srv.url))
        .header("accept-language", "de")
        .form(&[
            ("email", "nobody@acme.example"),
            ("password", "wrong password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("E-Mail-Adresse oder Passwort ist falsch")
    );

    // A stored choice wins over the browser; times follow the chosen time zone.
    user(&srv.st, "Acme", "anna@acme.example").await;
    let anna = Client::logged_in(&srv.url, "anna@acme.example").await;
    assert!(anna.get("/systems").await.body.contains("lang=\"en\""));
    let r = anna
        .post(
            "/dashboard/preferences",
            &[("language", "de"), ("time_zone", "Europe/Berlin")],
        )
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, "/dashboard?saved=1"));
    let dash = anna.get("/dashboard?saved=1").await.body;
    assert!(
        dash.contains("lang=\"de\"") && dash.contains("Gespeichert."),
        "{dash}"
    );
    let systems = anna.get("/systems").await.body;
    assert!(systems.contains("Systeme › Alle › Übersicht"));
    let account = anna.get("/account").await.body;
    assert!(
        account.contains(" CET") || account.contains(" CEST"),
        "times in Berlin time: {account}"
    );
    // Nonsense is refused with a message, nothing stored.
    let r = anna
        .post(
            "/dashboard/preferences",
            &[("language", "xx"), ("time_zone", "")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("keine Sprache"), "{}", r.body);
    let r = anna
        .post(
            "/dashboard/preferences",
            &[("language", ""), ("time_zone", "Mars/Base")],
        )
        .await;
    assert_eq!(r.status, 422);
    srv.stop().await;
    db.cleanup().await;
}

both_backends!(api_errors_follow_accept_language);

async fn api_errors_follow_accept_language(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "anna@acme.example").await;
    let anna = Client::logged_in(&srv.url, "anna@acme.example").await;
    let token = anna.api_token().await;
    let get = |lang: &'static str| {
        raw_client()
            .get(format!("{}/api/v1/systems/nothing-here", srv.url))
            .bearer_auth(&token)
            .header("accept-language", lang)
            .send()
    };
    let r = get("de").await.unwrap();
    assert_eq!(r.status(), 404);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["message"], "Nicht gefunden.");
    assert_eq!(body["request_id"], id.as_str(), "the id of the log lines");
    let body: serde_json::Value = get("en").await.unwrap().json().await.unwrap();
    assert_eq!(body["message"], "Not found.");
    // Messages with arguments say them, and name them for programs.
    let r = raw_client()
        .post(format!("{}/api/v1/systems", srv.url))
        .bearer_auth(&token)
        .header("accept-language", "de")
        .json(&serde_json::json!({"name": "x", "serial": "no!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("„no!“ ist keine Seriennummer"),
        "{body}"
    );
    assert_eq!(body["args"]["value"], "no!");
    // An HTML error page names the request id for the administrator.
    let r = anna.get("/systems/nothing-here").await;
    assert_eq!(r.status, 404);
    assert!(
        r.body.contains("Reference for your administrator: "),
        "{}",
        r.body
    );
    srv.stop().await;
    db.cleanup().await;
}

both_backends!(alerts_are_rendered_in_the_readers_language);

async fn alerts_are_rendered_in_the_readers_language(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    let owner = user(&srv.st, "Acme", "owner@acme.example").await;
    let sys = zentrale_server::systems::service::create(
        &srv.st,
        &owner.into(),
        "Head office",
        "ALERT00001",
    )
    .await
    .unwrap();
    let c = zentrale_server::alerts::store::Condition {
        kind: "offline",
        subject: "",
        severity: "critical",
        message: zentrale_server::i18n::Msg::new("alert-offline").time("since", 0),
        source: "rule",
    };
    zentrale_server::alerts::store::open(&srv.st.db, &sys.id, &c, 1)
        .await
        .unwrap();
    let rows = sqlx::query_as::<_, (String, Option<String>)>("SELECT message, args FROM alerts")
        .fetch_all(&srv.st.db.pool)
        .await
        .unwrap();
    assert!(
        rows[0].1.as_deref().unwrap().contains("alert-offline"),
        "stored as a key"
    );
    let row = zentrale_server::alerts::store::AlertRow {
        id: String::new(),
        system_id: String::new(),
        system_name: String::new(),
        serial: String::new(),
        kind: "offline".into(),
        subject: String::new(),
        severity: "critical".into(),
        message: rows[0].0.clone(),
        args: rows[0].1.clone(),
        source: "rule".into(),
        opened_at: 1,
        resolved_at: None,
        acknowledged_at: None,
        acknowledged_by: None,
    };
    let de = zentrale_server::i18n::Tr::new(zentrale_server::i18n::Locale::De, chrono_tz::Tz::UTC);
    assert_eq!(
        row.text(&de),
        "Die Telefonanlage ist seit 01.01.1970 00:00 UTC offline."
    );
    assert_eq!(
        row.text(&zentrale_server::i18n::Tr::default()),
        "The PBX has been offline since 1970-01-01 00:00 UTC."
    );
    srv.stop().await;
    db.cleanup().await;
}
