// The reviewer's desk: keyboard first, no framework, no network beyond this server.
"use strict";
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const token = new URLSearchParams(location.search).get("token");
let items = [];
let current = 0;
let wanted = new URLSearchParams(location.search).get("document");  // from the document view
let jump = (location.hash.match(/^#cell-(\d+)$/) || [])[1];

function withToken(url) {
  return token ? url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : url;
}

async function api(method, url, body) {
  const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
  if (token) headers["X-Gongkai-Token"] = token;
  const r = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

function say(text) { document.getElementById("message").textContent = text || ""; }

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => { e[k] = v; });
  children.forEach((c) => e.append(c));
  return e;
}

function filters() {
  const q = new URLSearchParams();
  for (const f of ["document", "table", "reason"]) {
    const v = document.getElementById("f-" + f).value || (f === "document" ? wanted : "");
    if (v) q.set(f, v);
  }
  return q.toString();
}

async function load(keep) {
  const data = await api("GET", withToken("/api/queue?" + filters()));
  items = data.items;
  document.getElementById("count").textContent =
    `${data.shown} shown of ${data.matching} · ${data.total} to review in ` +
    `${data.documents.length} documents`;
  const sel = document.getElementById("f-document");
  const chosen = sel.value;
  sel.replaceChildren(el("option", { value: "", textContent: "all" }));
  for (const d of data.documents) {
    sel.append(el("option", { value: d.sha256, textContent: `${d.source} (${d.count})` }));
  }
  sel.value = chosen || wanted || "";
  wanted = null;
  current = keep ? Math.min(current, Math.max(items.length - 1, 0)) : 0;
  if (jump) {
    current = Math.max(0, items.findIndex((it) => String(it.id) === jump));
    jump = undefined;
  }
  render();
}

function identityText(ids) {
  return ids.map((i) => {
    const side = (cells) => cells.map(([r, c, v]) => `${r}.${c}=${v ?? "?"}`).join(" + ");
    return `${i.name}: ${side(i.lhs)} (${i.lhs_sum ?? "?"}) ≠ ${side(i.rhs)} (${i.rhs_sum ?? "?"})`;
  }).join("\n");
}

function render() {
  const q = document.getElementById("queue");
  q.replaceChildren();
  if (!items.length) { q.append(el("p", { textContent: "Nothing to review." })); return; }
  items.forEach((it, n) => {
    const box = el("section", { className: "item" + (n === current ? " current" : "") });
    box.dataset.id = it.id;
    box.append(el("div", { className: "labels" },
      `${it.table_title} › ${it.row_label} › ${it.col_label}`));
    box.append(el("div", { className: "meta" },
      `${it.source.split("/").pop()} · value ${it.value ?? "—"} · confidence ${it.confidence} · ${it.reason}` +
      (it.suggestion !== null ? ` · suggestion ${it.suggestion}` : ""),
      " · ", el("a", { href: withToken(`/doc/${it.sha256}`), className: "doc" }, "document")));
    if (it.page !== null && it.bbox) {
      const img = el("img", { alt: "the cell in the source", loading: "lazy", src: withToken(`/api/cells/${it.id}/crop.png`) });
      img.onerror = async () => {
        const r = await fetch(withToken(`/api/cells/${it.id}/crop.png`));
        const d = await r.json().catch(() => ({ error: "cannot show the source" }));
        img.replaceWith(el("p", { className: "error" }, d.error));
      };
      box.append(img);
    } else if (it.line !== null) {
      const pre = el("pre", {});
      box.append(pre);
      api("GET", withToken(`/api/cells/${it.id}/lines`)).then((d) => {
        for (const [n, text] of d.lines) {
          pre.append(el("span", { className: n === d.line ? "hit" : "" }, `${n}: ${text}\n`));
        }
      }).catch((e) => pre.replaceWith(el("p", { className: "error" }, e.message)));
    }
    if (it.identities.length) box.append(el("pre", {}, identityText(it.identities)));
    const input = el("input", { type: "text", inputMode: "decimal", placeholder: "value" });
    input.dataset.role = "value";
    box.append(input,
      button("accept", "Accept", () => decide(n, "accept")),
      button("set", "Set", () => decide(n, "set", input.value)),
      button("printed", "Source prints this", () => decide(n, "printed")),
      button("illegible", "Illegible", () => decide(n, "illegible")));
    box.addEventListener("click", () => { if (current !== n) { current = n; mark(); } });
    q.append(box);
  });
  mark();
}

function button(name, text, fn) {
  const b = el("button", { type: "button", textContent: text });
  b.dataset.action = name;
  b.addEventListener("click", (e) => { e.stopPropagation(); fn(); });
  return b;
}

function mark() {
  document.querySelectorAll(".item").forEach((b, n) => b.classList.toggle("current", n === current));
  const cur = document.querySelectorAll(".item")[current];
  if (cur) { cur.scrollIntoView({ block: "nearest" }); cur.querySelector("input").focus(); }
}

async function decide(n, action, value) {
  const it = items[n];
  if (!it) return;
  try {
    await api("POST", withToken(`/api/cells/${it.id}/decide`),
      { action, version: it.version, value: value === undefined || value === "" ? null : value });
    say("");
    await load(true);
  } catch (e) { say(e.message); }
}

async function undo() {
  try { await api("POST", withToken("/api/undo"), {}); say("undone"); await load(true); }
  catch (e) { say(e.message); }
}

document.addEventListener("keydown", (e) => {
  if (e.target.tagName === "SELECT" || e.ctrlKey || e.metaKey || e.altKey) return;
  const input = document.querySelectorAll(".item")[current]?.querySelector("input");
  const typed = input ? input.value.trim() : "";
  if (e.key === "Enter") {
    e.preventDefault();
    if (typed) decide(current, "set", typed); else decide(current, "accept");
  } else if (e.key === "j" || (e.key === "Tab" && !e.shiftKey)) {
    e.preventDefault(); current = Math.min(current + 1, items.length - 1); mark();
  } else if (e.key === "k" || (e.key === "Tab" && e.shiftKey)) {
    e.preventDefault(); current = Math.max(current - 1, 0); mark();
  } else if (e.key === "i" && !typed) { e.preventDefault(); decide(current, "illegible"); }
  else if (e.key === "p" && !typed) { e.preventDefault(); decide(current, "printed"); }
  else if (e.key === "u" && !typed) { e.preventDefault(); undo(); }
});

for (const f of ["document", "table", "reason"]) {
  document.getElementById("f-" + f).addEventListener("change", () => load(false));
}
load(false).catch((e) => say(e.message));
