//! The pages of the simulated COMtrexx's web interface (its own look, English, as a PBX's
//! built-in interface is), with everything from its state escaped.

use super::simulated::Settings;
use super::web_parts::TIME_ZONES;
use zentrale_protocol::registrations::Phone;

/// What every page shows at the top.
pub struct Head {
    pub model: String,
    pub serial: String,
    pub firmware: String,
}

pub const CSS: &str = "body{font-family:sans-serif;margin:0;background:#f3f5f7;color:#1b2a38}\
header{background:#00457c;color:#fff;padding:.6em 1em;display:flex;gap:1em;align-items:center}\
header img{height:32px}main{padding:1em;max-width:46em}nav a{margin-right:1em}\
.saved{background:#dff3e4;padding:.5em}.error{background:#fbe3e4;padding:.5em}\
label{display:block;margin:.6em 0}";

pub const LOGO: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"96\" height=\"32\" \
viewBox=\"0 0 96 32\"><rect width=\"96\" height=\"32\" rx=\"4\" fill=\"#fff\"/>\
<text x=\"8\" y=\"22\" font-family=\"sans-serif\" font-size=\"16\" fill=\"#00457c\">COMtrexx</text></svg>";

/// Text made safe for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(head: &Head, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} – {model}</title>\
<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body>\
<header><img src=\"/static/logo.svg\" alt=\"COMtrexx\" id=\"logo\"><span>{model} · {serial} · firmware {firmware}</span></header>\
<main><h1>{title}</h1>{body}</main></body></html>",
        title = esc(title),
        model = esc(&head.model),
        serial = esc(&head.serial),
        firmware = esc(&head.firmware),
    )
}

fn saved_note(saved: bool) -> &'static str {
    if saved {
        "<p class=\"saved\" id=\"saved\">Settings saved.</p>"
    } else {
        ""
    }
}

pub fn login(head: &Head, failed: bool) -> String {
    let error = if failed {
        "<p class=\"error\" id=\"login-error\">Wrong password.</p>"
    } else {
        ""
    };
    page(
        head,
        "Login",
        &format!(
            "{error}<form method=\"post\" action=\"/login\"><label>Password \
<input type=\"password\" name=\"password\" id=\"password\" autofocus></label>\
<button type=\"submit\" id=\"login\">Log in</button></form>"
        ),
    )
}

pub fn home(head: &Head, s: &Settings) -> String {
    page(
        head,
        "Overview",
        &format!(
            "<nav><a href=\"/settings/system\">System</a><a href=\"/settings/telephones\">Telephones</a>\
<a href=\"/settings/callthrough\">Call Through</a><a href=\"/diagnostics/slow\">Diagnostics</a>\
<a href=\"/download/log.txt\">System log</a></nav>\
<p>Time zone: <span id=\"time-zone\">{}</span></p><p>Call Through: <span id=\"call-through\">{}</span></p>\
<form method=\"post\" action=\"/logout\"><button type=\"submit\">Log out</button></form>",
            esc(&s.time_zone),
            if s.call_through { "on" } else { "off" }
        ),
    )
}

pub fn system(head: &Head, s: &Settings, saved: bool) -> String {
    let options: String = TIME_ZONES
        .iter()
        .map(|tz| {
            format!(
                "<option{}>{}</option>",
                if *tz == s.time_zone { " selected" } else { "" },
                esc(tz)
            )
        })
        .collect();
    page(
        head,
        "System",
        &format!(
            "{}<form method=\"post\" action=\"/settings/system\"><label>Time zone \
<select name=\"time_zone\" id=\"time_zone\">{options}</select></label>\
<button type=\"submit\" id=\"save\">Save</button></form><p><a href=\"/\">Overview</a></p>",
            saved_note(saved)
        ),
    )
}

pub fn telephones(head: &Head, phones: &[Phone], saved: bool) -> String {
    let rows: String = phones
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "<form method=\"post\" action=\"/settings/telephones\"><input type=\"hidden\" name=\"index\" value=\"{i}\">\
<label>{mac} <input name=\"name\" id=\"phone-{i}\" value=\"{name}\" maxlength=\"40\"></label>\
<button type=\"submit\" id=\"save-{i}\">Save</button></form>",
                mac = esc(&p.mac),
                name = esc(&p.name)
            )
        })
        .collect();
    page(
        head,
        "Telephones",
        &format!(
            "{}{rows}<p><a href=\"/\">Overview</a></p>",
            saved_note(saved)
        ),
    )
}

pub fn callthrough(head: &Head, s: &Settings, saved: bool) -> String {
    page(
        head,
        "Call Through",
        &format!(
            "{}<form method=\"post\" action=\"/settings/callthrough\"><label>\
<input type=\"checkbox\" name=\"call_through\" id=\"call_through\"{}> Call Through on</label>\
<button type=\"submit\" id=\"save\">Save</button></form><p><a href=\"/\">Overview</a></p>",
            saved_note(saved),
            if s.call_through { " checked" } else { "" }
        ),
    )
}

pub fn slow(head: &Head) -> String {
    page(
        head,
        "Diagnostics",
        "<p id=\"diagnostics\">All checks passed.</p><p><a href=\"/\">Overview</a></p>",
    )
}
