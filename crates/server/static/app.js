// Zentrale's own progressive enhancement: copy buttons, select all, delete confirmation,
// live refresh of marked regions and the browser's time zone as the default for times.
// Every page works without it. Words come from the page (data-copied), never from here.
"use strict";
(function timeZone() {
  try {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz) document.cookie = `zentrale_tz=${encodeURIComponent(tz)}; path=/; SameSite=Lax; max-age=31536000`;
  } catch (_) { /* no Intl: times stay in UTC */ }
})();
document.addEventListener("click", (ev) => {
  const copy = ev.target.closest("[data-copy]");
  if (copy) {
    const el = document.querySelector(copy.dataset.copy);
    if (el && navigator.clipboard) {
      const label = copy.textContent;
      navigator.clipboard.writeText(el.textContent.trim()).then(() => {
        copy.textContent = copy.dataset.copied || "✓";
        setTimeout(() => { copy.textContent = label; }, 1500);
      });
    }
  }
});
document.addEventListener("change", (ev) => {
  const all = ev.target.closest("[data-select-all]");
  if (all) {
    const form = all.closest("form");
    form.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`)
      .forEach((box) => { box.checked = all.checked; });
  }
});
document.addEventListener("submit", (ev) => {
  const form = ev.target;
  const submitter = ev.submitter;
  // A button's own data-confirm wins; the form's applies to its own action only.
  let question = submitter && submitter.dataset.confirm;
  if (!question && form.dataset.confirm && !(submitter && submitter.hasAttribute("formaction"))) {
    question = form.dataset.confirm;
  }
  if (question && !window.confirm(question)) ev.preventDefault();
});
// Regions marked data-live are refreshed from the same URL every few seconds, unless the
// user is typing or has ticked something there. The tag of the last copy goes along: an
// unchanged page comes back as 304 without a body.
(function live() {
  const regions = () => Array.from(document.querySelectorAll("[data-live][id]"));
  if (regions().length === 0) return;
  let tag = null;
  setInterval(async () => {
    if (document.hidden) return;
    const busy = regions().some((r) => r.querySelector("input:checked") || r.contains(document.activeElement));
    if (busy) return;
    try {
      const headers = { "Accept": "text/html", "X-Live": "1" };
      if (tag) headers["If-None-Match"] = tag;
      const resp = await fetch(location.href, { headers, credentials: "same-origin", cache: "no-store" });
      if (resp.status === 304 || !resp.ok || resp.redirected) return;
      tag = resp.headers.get("ETag");
      const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
      for (const r of regions()) {
        const fresh = doc.getElementById(r.id);
        if (fresh && fresh.innerHTML !== r.innerHTML) r.innerHTML = fresh.innerHTML;
      }
    } catch (_) { /* offline for a moment: try again next tick */ }
  }, 3000);
})();
