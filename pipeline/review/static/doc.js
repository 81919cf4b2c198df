// One document in the filing's layout: matrices, checks, pages with the cells' boxes.
"use strict";
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const token = new URLSearchParams(location.search).get("token");
const sha = location.pathname.split("/").pop();

function withToken(url) {
  return token ? url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : url;
}

async function api(method, url, body) {
  const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
  if (token) headers["X-Gongkai-Token"] = token;
  const r = await fetch(withToken(url), { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => { e[k] = v; });
  children.forEach((c) => e.append(c));
  return e;
}

function say(text) { document.getElementById("message").textContent = text || ""; }

function matrix(t) {
  const table = el("table", { className: "matrix" });
  table.dataset.table = t.table;
  table.append(el("tr", {}, el("th", {}), ...t.cols.map(([, label]) => el("th", {}, label))));
  for (const [row, label] of t.rows) {
    const tr = el("tr", {}, el("th", {}, label));
    for (const [col] of t.cols) {
      const c = (t.cells[row] || {})[col];
      const td = el("td", { textContent: c ? (c.value ?? "—") : "" });
      if (c) {
        td.className = "st-" + c.status;
        td.title = `${row} / ${col} · ${c.status}${c.reason ? " · " + c.reason : ""}`;
        td.dataset.id = c.id;
        td.addEventListener("click", () => {
          if (c.status !== "review") { say(`${row} / ${col}: ${c.status}, not in the queue`); return; }
          location.href = withToken(`/?document=${sha}`) + `#cell-${c.id}`;
        });
      }
      tr.append(td);
    }
    table.append(tr);
  }
  return table;
}

function tableActions(t) {
  const box = el("div", { className: "actions" });
  if (!t.decidable) return box;
  const act = (action, text) => {
    const b = el("button", { type: "button", textContent: text });
    b.dataset.action = action;
    b.addEventListener("click", async () => {
      try { await api("POST", `/api/documents/${sha}/tables/${t.table}/decide`, { action }); say(""); await load(); }
      catch (e) { say(e.message); }
    });
    return b;
  };
  box.append(act("absent", "Absent in this filing"), act("blank", "Printed blank: all zeros"));
  return box;
}

async function load() {
  const d = await api("GET", `/api/documents/${sha}`);
  document.getElementById("source").textContent = d.source.split("/").pop();
  document.getElementById("status").textContent =
    `${d.status} · template ${d.template ?? "?"} · （六） layout ${d.layout ?? "?"}`;
  document.getElementById("template").value = d.template ?? "2021";
  document.getElementById("layout").value = d.layout ?? "2021";
  document.getElementById("warnings").replaceChildren(...d.warnings.map((w) => el("li", {}, w)));
  const main = document.getElementById("tables");
  main.replaceChildren();
  for (const t of d.tables) {
    main.append(el("h2", {}, t.title), tableActions(t), matrix(t));
  }
  document.getElementById("checks").replaceChildren(...d.checks.map((c) =>
    el("li", { className: c.holds ? "st-ok" : "st-review" },
      `${c.holds ? "✓" : "✗"} ${c.identity}${c.detail ? " — " + c.detail : ""}`)));
  const pages = document.getElementById("pages");
  pages.replaceChildren(...d.pages.map((n) => el("figure", {},
    el("figcaption", {}, `page ${n}`),
    el("img", { alt: `page ${n} with the cells' boxes`, loading: "lazy",
      src: withToken(`/api/documents/${sha}/pages/${n}.png?t=${Date.now()}`) }))));
}

async function undo() {
  try { await api("POST", "/api/undo", {}); say("undone"); await load(); }
  catch (e) { say(e.message); }
}

document.getElementById("undo").addEventListener("click", undo);
document.getElementById("identify").addEventListener("click", async () => {
  const body = { template: document.getElementById("template").value,
    layout: document.getElementById("layout").value };
  say("extracting again…");
  try { await api("POST", `/api/documents/${sha}/identify`, body); say("extracted again"); await load(); }
  catch (e) { say(e.message); }
});
document.addEventListener("keydown", (e) => {
  if (e.key === "u" && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); undo(); }
});
load().catch((e) => say(e.message));
