/**
 * The dashboard page: plain HTML/CSS/JS, no build step, nothing fetched from elsewhere. It carries
 * no data; the key comes from the URL fragment (`#key=...`, which browsers never send to a server)
 * or the sign-in form, is kept in sessionStorage (this tab only), and the page reads
 * /dashboard/api with it. Views: `#/` the batches, `#/batch/{kind}/{id}` one batch.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>docbatch</title>
<style>
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2330;--muted:#667085;--line:#e4e7ec;--accent:#2f5bea;--ok:#12a150;--ok-bg:#e7f6ee;--bad:#d92d20;--bad-bg:#fdecea;--warn:#b54708;--warn-bg:#fef4e6;--run:#2f5bea;--run-bg:#eaf0ff;--off:#667085;--off-bg:#eef0f3;--skip:#8fd3ad}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
button,select,input{font:inherit;color:inherit}
button{border:1px solid var(--line);background:var(--card);border-radius:6px;padding:.35rem .8rem;cursor:pointer}
button:hover{border-color:#c6cbd4}button:disabled{opacity:.5;cursor:default}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button.danger{color:var(--bad);border-color:#f3b8b2}button.danger.primary{background:var(--bad);border-color:var(--bad);color:#fff}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
select,input[type=search],input[type=password]{border:1px solid var(--line);border-radius:6px;padding:.35rem .55rem;background:var(--card);min-width:0}
header{display:flex;align-items:center;gap:1rem;padding:.7rem 1.5rem;background:#111827;color:#fff}
header .brand{font-weight:650;letter-spacing:.2px;color:#fff;font-size:15px}
header .live{margin-left:auto;font-size:12px;color:#cbd5e1;display:flex;align-items:center;gap:.4rem}
header .live::before{content:"";width:8px;height:8px;border-radius:50%;background:#22c55e}
header .live.stale::before{background:#f59e0b}
header button{background:transparent;color:#e5e7eb;border-color:#374151}
main{max-width:1200px;margin:0 auto;padding:1.25rem 1.5rem 3rem}
h1{font-size:20px;margin:0}h2{font-size:15px;margin:0 0 .6rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem 1.1rem;margin-bottom:1rem}
.toolbar{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin-bottom:.8rem}
.toolbar .grow{flex:1 1 12rem}
.toolbar label{font-size:12px;color:var(--muted);display:flex;flex-direction:column;gap:.15rem}
.muted{color:var(--muted)}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th{font-size:12px;font-weight:600;color:var(--muted);text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);white-space:nowrap}
td{padding:.55rem .6rem;border-bottom:1px solid var(--line);vertical-align:top;overflow:hidden;text-overflow:ellipsis}
tbody tr:last-child td{border-bottom:0}
tr.batch{cursor:pointer}tr.batch:hover{background:#f9fafb}
.num{text-align:right;font-variant-numeric:tabular-nums}
.id{display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.chip{display:inline-block;border-radius:999px;padding:.05rem .55rem;font-size:12px;font-weight:600;white-space:nowrap;background:var(--off-bg);color:var(--off)}
.chip.processing,.chip.preparing,.chip.finalizing,.chip.notStarted,.chip.running{background:var(--run-bg);color:var(--run)}
.chip.succeeded{background:var(--ok-bg);color:var(--ok)}
.chip.partial,.chip.canceling{background:var(--warn-bg);color:var(--warn)}
.chip.failed{background:var(--bad-bg);color:var(--bad)}
.reason{font-size:12px;line-height:1.35;color:var(--bad);margin-top:.2rem;overflow:hidden;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;overflow-wrap:anywhere}.reason.muted{color:var(--muted)}
col.c-state{width:13rem}col.c-progress{width:14rem}col.c-failed{width:5rem}col.c-updated{width:7rem}col.c-created{width:9rem}
col.c-index{width:4rem}col.c-status{width:7.5rem}col.c-error{width:42%}
.axis{display:flex;justify-content:space-between;font-size:11px;color:var(--muted);margin-top:.15rem}
.bar{display:flex;height:8px;border-radius:4px;background:#edf0f4;overflow:hidden;margin:.35rem 0 .2rem}
.bar span{height:100%}.bar .succeeded{background:var(--ok)}.bar .failed{background:var(--bad)}.bar .skipped{background:var(--skip)}.bar .canceled{background:#a7adb8}
.bar.refused{background:repeating-linear-gradient(135deg,#fbd5d1 0 6px,#fdecea 6px 12px)}
.small{font-size:12px}
.stats{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:.6rem;margin-bottom:1rem}
.stat{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.6rem .8rem}
.stat b{display:block;font-size:20px;font-variant-numeric:tabular-nums}.stat span{font-size:12px;color:var(--muted)}
.stat.failed b{color:var(--bad)}.stat.succeeded b{color:var(--ok)}
.title{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem;margin:.2rem 0 1rem}
.title .actions{margin-left:auto;display:flex;gap:.5rem}
.banner{border-radius:10px;padding:.8rem 1rem;margin-bottom:1rem;background:var(--bad-bg);border:1px solid #f6c4bf;color:#7a271a}
.banner ol{margin:.4rem 0 0;padding-left:1.4rem}.banner li{margin:.15rem 0}
.chart{width:100%;height:170px;display:block}
.figures{display:flex;flex-wrap:wrap;gap:1.5rem;margin-top:.4rem}.figures div span{display:block;font-size:12px;color:var(--muted)}.figures b{font-variant-numeric:tabular-nums}
pre{background:#0f172a;color:#e2e8f0;border-radius:8px;padding:.8rem;overflow:auto;font-size:12px;max-height:22rem;margin:.6rem 0 0}
details summary{cursor:pointer;font-weight:600}
.err-code{font-size:12px;color:var(--muted)}.err{color:var(--bad)}
.empty{padding:2rem;text-align:center;color:var(--muted)}
#message{margin:0 0 1rem;color:var(--bad)}#message:empty{display:none}
.signin{max-width:26rem;margin:4rem auto}.signin form{display:flex;gap:.5rem;margin-top:.8rem}.signin input{flex:1}
dialog{border:1px solid var(--line);border-radius:12px;padding:1.2rem;max-width:28rem;width:calc(100% - 2rem)}
#resultDialog{max-width:56rem}#resultDialog h2{overflow-wrap:anywhere}#resultDialog pre{max-height:60vh}
a.item-name{display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
dialog::backdrop{background:rgba(15,23,42,.45)}dialog .buttons{display:flex;justify-content:flex-end;gap:.5rem;margin-top:1rem}
.more{text-align:center;margin-top:.6rem}.show-narrow{display:none}
@media (max-width:760px){
  header{padding:.6rem 1rem}main{padding:1rem}
  .hide-narrow{display:none}.show-narrow{display:block}
  .stats{grid-template-columns:repeat(3,minmax(0,1fr))}
  col.c-state{width:6.5rem}col.c-progress{width:6.5rem}col.c-updated{width:4.8rem}col.c-index{width:2.2rem}col.c-status{width:6.2rem}
  td,th{padding-left:.4rem;padding-right:.4rem}
  .title .actions{margin-left:0;width:100%}
  .toolbar label{flex:1 1 45%}
}
</style></head><body>
<header><a class="brand" href="#/">docbatch</a><span id="live" class="live" hidden>live</span><button id="signout" hidden>Sign out</button></header>
<main>
<p id="message" role="alert"></p>
<section id="signin" class="card signin" hidden>
  <h1>Sign in</h1>
  <p class="muted small">Paste an API key of this docbatch (DOCBATCH_API_KEYS), or open the link <span class="mono">docbatch dashboard</span> prints. The key stays in this tab.</p>
  <form id="login"><input id="key" type="password" autocomplete="off" aria-label="API key" placeholder="API key"><button class="primary">Sign in</button></form>
</section>
<section id="list" hidden>
  <div class="title"><h1>Batches</h1><span id="listCount" class="muted small"></span></div>
  <div class="toolbar">
    <label>Front door<select id="kindFilter"><option value="">All front doors</option></select></label>
    <label>State<select id="stateFilter">
      <option value="">Any state</option><option value="processing">Processing</option><option value="preparing">Preparing</option><option value="finalizing">Finalizing</option><option value="canceling">Canceling</option>
      <option value="succeeded">Succeeded</option><option value="partial">Partial (some failed)</option><option value="failed">Failed</option><option value="canceled">Canceled</option><option value="expired">Expired</option><option value="notStarted">Not started</option>
    </select></label>
  </div>
  <div class="card" style="padding:0">
  <table id="batchTable"><colgroup><col><col class="c-state"><col class="c-progress"><col class="c-failed hide-narrow"><col class="c-updated"><col class="c-created hide-narrow"></colgroup>
  <thead><tr><th>Batch</th><th>State</th><th>Progress</th><th class="num hide-narrow">Failed</th><th>Updated</th><th class="hide-narrow">Created</th></tr></thead>
  <tbody id="batches"></tbody></table>
  <p id="noBatches" class="empty" hidden>No batches match.</p>
  </div>
</section>
<section id="batch" hidden>
  <a href="#/" class="small">&larr; All batches</a>
  <div class="title"><h1 id="batchTitle" class="mono"></h1><span id="batchState" class="chip"></span><span id="batchDoor" class="muted"></span>
    <div class="actions"><button id="cancelBatch" class="danger" hidden>Cancel batch</button><button id="deleteBatch" class="danger" hidden>Delete</button></div></div>
  <div id="batchError" class="banner" hidden></div>
  <div class="stats" id="stats"></div>
  <div class="card"><h2>Progress</h2><div id="bigBar" class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"></div>
    <div id="chartBox"><svg id="chart" class="chart" viewBox="0 0 600 170" preserveAspectRatio="none" role="img" aria-label="Items settled over time"></svg><div class="axis"><span id="axisStart"></span><span id="axisEnd"></span></div></div>
    <div class="figures"><div><span>Settled</span><b id="figSettled"></b></div><div><span>Rate</span><b id="figRate"></b></div><div><span>ETA</span><b id="figEta"></b></div><div><span>Created</span><b id="figCreated"></b></div><div><span>Updated</span><b id="figUpdated"></b></div></div>
  </div>
  <div class="card"><h2>Items</h2>
    <div class="toolbar">
      <label>Status<select id="itemStatus"><option value="">All</option><option value="failed">Failed</option><option value="succeeded">Succeeded</option><option value="skipped">Skipped</option><option value="canceled">Canceled</option><option value="running">Running</option><option value="notStarted">Not started</option></select></label>
      <label class="grow">Search<input id="itemSearch" type="search" placeholder="Name, path or custom_id"></label>
      <button id="downloadFailed" style="align-self:flex-end">Download failed (CSV)</button>
    </div>
    <table><colgroup><col class="c-index"><col><col class="c-status"><col class="c-error hide-narrow"></colgroup>
    <thead><tr><th class="num">#</th><th>Name</th><th>Status</th><th class="hide-narrow">Error</th></tr></thead><tbody id="items"></tbody></table>
    <p id="noItems" class="empty" hidden>No items match.</p>
    <div class="more"><button id="moreItems" hidden>Load more</button></div>
  </div>
  <div class="card"><details><summary>Request that started it</summary><p class="muted small">As docbatch stored it; secrets (keys, SAS tokens) removed.</p><pre id="request"></pre></details></div>
</section>
<dialog id="resultDialog" aria-labelledby="resultTitle"><h2 id="resultTitle" class="mono"></h2><p id="resultNote" class="muted small"></p><pre id="resultJson"></pre>
<div class="buttons"><button id="resultDownload">Download JSON</button><button id="resultClose" class="primary">Close</button></div></dialog>
<dialog id="confirm"><h2 id="confirmTitle"></h2><p id="confirmText" class="muted"></p><form method="dialog" class="buttons"><button value="no" autofocus>Keep it</button><button value="yes" id="confirmYes" class="danger primary"></button></form></dialog>
</main>
<script>
"use strict";
const KEY = "docbatch.key", POLL_MS = 2000, TIMELINE_MS = 10000;
const DOORS = { documentIntelligence: "Document Intelligence", uploadBatch: "Upload batch", openaiBatch: "OpenAI Batch" };
const STATES = { notStarted: "Not started", preparing: "Preparing", processing: "Processing", finalizing: "Finalizing", canceling: "Canceling", succeeded: "Succeeded", partial: "Partial", failed: "Failed", canceled: "Canceled", expired: "Expired" };
const FINAL = ["succeeded", "partial", "failed", "canceled", "expired"];
const ITEM_STATES = { notStarted: "Waiting", running: "Running", succeeded: "Succeeded", failed: "Failed", skipped: "Skipped", canceled: "Canceled" };
const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");
const $ = (id) => document.getElementById(id);
const view = { batch: null, live: [], timelineAt: 0, items: [], next: undefined, itemsKey: "", pollTimer: 0 };

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value; else if (name === "text") node.textContent = String(value);
    else if (name.startsWith("data-")) node.setAttribute(name, String(value)); else node[name] = value;
  }
  node.append(...children.filter((child) => child !== undefined && child !== null));
  return node;
}
function key() { return sessionStorage.getItem(KEY) || ""; }
function door(kind) { return DOORS[kind] || kind; }
function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return s + " s ago"; if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago"; return new Date(iso).toLocaleDateString();
}
function when(iso) { return iso ? new Date(iso).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "—"; }
function clock(t) { return new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" }); }
function duration(seconds) {
  if (seconds === undefined || !isFinite(seconds)) return "—";
  const r = Math.round(seconds); if (r < 60) return r + " s";
  const m = Math.floor(r / 60); if (m < 60) return m + " min " + String(r % 60).padStart(2, "0") + " s";
  return Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min";
}
function say(text) { $("message").textContent = text || ""; }

async function api(path, init) {
  const response = await fetch("/dashboard/api/" + path, { ...init, headers: { "api-key": key() } });
  if (response.status === 401) { sessionStorage.removeItem(KEY); route(); throw new Error("The key was not accepted; sign in again."); }
  if (response.status === 204) return null;
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ? body.error.message : "docbatch answered HTTP " + response.status + ".");
  return body;
}
function batchPath(kind, id) { return "batches/" + encodeURIComponent(kind) + "/" + encodeURIComponent(id); }

function bar(b, big) {
  const node = big || el("div", { class: "bar" });
  node.className = "bar"; node.setAttribute("role", "progressbar"); node.setAttribute("aria-valuemin", "0"); node.setAttribute("aria-valuemax", "100");
  const total = b.itemCount || 0, c = b.counts;
  const percent = total ? Math.round(100 * b.settled / total) : 0;
  node.setAttribute("aria-valuenow", String(percent));
  node.setAttribute("aria-label", total ? b.settled + " of " + total + " settled" : "no items");
  if (!total && b.state === "failed") node.classList.add("refused");
  node.replaceChildren(...(total ? ["succeeded", "skipped", "failed", "canceled"].map((k) => { const s = el("span", { class: k, title: c[k] + " " + k }); s.style.width = (100 * c[k] / total) + "%"; return s; }) : []));
  return node;
}
function progressText(b) {
  if (b.itemCount === null) return b.state === "failed" ? "No items ran" : "Listing items…";
  const parts = [b.settled + " / " + b.itemCount];
  if (b.running) parts.push(b.running + " running");
  return parts.join(" · ");
}
function errorLine(b) {
  if (!b.error) return b.state === "canceled" ? (b.counts.canceled ? plural(b.counts.canceled, "item") + " not run" : "Canceled before it ran") : b.state === "partial" ? plural(b.counts.failed, "item") + " failed" : null;
  return b.error.reason.code + ": " + b.error.reason.message;
}

function batchRow(b) {
  const reason = errorLine(b);
  const tr = el("tr", { class: "batch", tabIndex: 0, "data-kind": b.kind, "data-id": b.batchId, "data-state": b.state, "data-updated": b.updatedAt },
    el("td", {}, el("a", { class: "id mono", href: "#/batch/" + encodeURIComponent(b.kind) + "/" + encodeURIComponent(b.batchId), text: b.batchId }),
      el("div", { class: "small muted id", title: door(b.kind) + (b.labels.modelId ? " · " + b.labels.modelId : ""), text: door(b.kind) + (b.labels.modelId ? " · " + b.labels.modelId : "") })),
    el("td", {}, el("span", { class: "chip " + b.state, text: STATES[b.state] || b.state }), reason && el("div", { class: b.state === "failed" || b.state === "partial" ? "reason" : "reason muted", title: reason, text: reason })),
    el("td", {}, bar(b), el("div", { class: "small muted total", text: progressText(b) })),
    el("td", { class: "num hide-narrow failed-count" + (b.counts.failed ? " err" : ""), text: b.counts.failed }),
    el("td", { class: "small updated", title: when(b.updatedAt), text: ago(b.updatedAt) }),
    el("td", { class: "small muted hide-narrow", text: when(b.createdAt) }));
  const open = () => { location.hash = "#/batch/" + encodeURIComponent(b.kind) + "/" + encodeURIComponent(b.batchId); };
  tr.onclick = (event) => { if (event.target.tagName !== "A") open(); };
  tr.onkeydown = (event) => { if (event.key === "Enter") open(); };
  return tr;
}

async function loadList() {
  const query = new URLSearchParams();
  if ($("kindFilter").value) query.set("kind", $("kindFilter").value);
  if ($("stateFilter").value) query.set("state", $("stateFilter").value);
  const { kinds, batches } = await api("batches" + (query.size ? "?" + query : ""));
  const select = $("kindFilter");
  if (select.options.length === 1) for (const kind of kinds) select.append(el("option", { value: kind, text: door(kind) }));
  $("batches").replaceChildren(...batches.map(batchRow));
  $("noBatches").hidden = batches.length > 0;
  $("listCount").textContent = batches.length + (batches.length === 1 ? " batch" : " batches");
}

function stat(name, value, className) { return el("div", { class: "stat " + (className || "") }, el("b", { text: value }), el("span", { text: name })); }

function renderBatch(b) {
  view.batch = b;
  $("batchTitle").textContent = b.batchId;
  $("batchState").className = "chip " + b.state; $("batchState").textContent = STATES[b.state] || b.state;
  $("batchDoor").textContent = door(b.kind) + (b.labels.modelId ? " · " + b.labels.modelId : "");
  $("cancelBatch").hidden = FINAL.includes(b.state) || b.cancelRequested;
  $("deleteBatch").hidden = !FINAL.includes(b.state);
  const banner = $("batchError");
  banner.hidden = !b.error;
  if (b.error) {
    const children = b.error.problems
      ? [el("strong", { text: "The input was refused" }), document.createTextNode(": " + plural(b.error.problemCount, "problem") + " found. No item ran.")]
      : [el("strong", { text: b.error.reason.code }), document.createTextNode(" — " + b.error.reason.message)];
    if (!b.error.problems && b.error.reason.code !== b.error.code) children.push(el("div", { class: "small", text: b.error.code + ": " + b.error.message }));
    if (b.error.problems) {
      children.push(el("ol", {}, ...b.error.problems.map((p) => el("li", { text: (p.line ? "Line " + p.line + " · " : "") + p.code + ": " + p.message.replace(/^Line \\d+:? ?/, "") }))));
      if (b.error.problemCount > b.error.problems.length) children.push(el("div", { class: "small", text: "…and " + (b.error.problemCount - b.error.problems.length) + " more problems." }));
    }
    banner.replaceChildren(...children);
  }
  const c = b.counts;
  $("stats").replaceChildren(stat("Items", b.itemCount === null ? "—" : b.itemCount), stat("Succeeded", c.succeeded, "succeeded"), stat("Failed", c.failed, "failed"),
    stat("Skipped", c.skipped), stat("Canceled", c.canceled), stat("Running", b.running));
  bar(b, $("bigBar"));
  $("figCreated").textContent = when(b.createdAt);
  $("figUpdated").textContent = ago(b.updatedAt); $("figUpdated").title = when(b.updatedAt); $("figUpdated").dataset.updated = b.updatedAt;
  $("request").textContent = JSON.stringify(b.request, null, 2);
  const now = Date.now();
  if (!view.live.length || view.live[view.live.length - 1].settled !== b.settled) view.live.push({ t: now, settled: b.settled });
  drawChart();
}

function series() {
  const b = view.batch;
  const origin = Date.parse(b.startedAt || b.createdAt);
  const points = [{ t: origin, settled: 0 }].concat(view.timeline.map((p) => ({ t: Date.parse(p.at), settled: p.settled })).filter((p) => p.t >= origin));
  for (const p of view.live) if (!points.length || p.t > points[points.length - 1].t) points.push(p);
  if (!FINAL.includes(b.state)) points.push({ t: Math.max(Date.now(), points[points.length - 1].t), settled: b.settled });
  return points;
}
function figures(points) {
  const b = view.batch, total = b.itemCount || 0, last = points[points.length - 1];
  if (!last || points.length < 2) return { rate: undefined, eta: undefined };
  // A running batch: the rate over the last minute (or all of it, when shorter); a finished one: the whole run's.
  const from = FINAL.includes(b.state) ? points[0] : points.find((p) => p.t >= last.t - 60000) || points[0];
  const start = from === last ? points[0] : from;
  const seconds = (last.t - start.t) / 1000;
  const rate = seconds > 0 ? (last.settled - start.settled) / seconds : undefined;
  const left = Math.max(0, total - b.settled);
  return { rate, eta: FINAL.includes(b.state) ? 0 : rate ? left / rate : undefined };
}
function drawChart() {
  const svg = $("chart"), b = view.batch, points = series();
  const W = 600, H = 170, P = 4, total = Math.max(b.itemCount || 0, ...points.map((p) => p.settled), 1);
  const ns = "http://www.w3.org/2000/svg";
  const node = (tag, attrs) => { const n = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v)); return n; };
  const children = [node("line", { x1: 0, y1: H - P, x2: W, y2: H - P, stroke: "#e4e7ec" }), node("line", { x1: 0, y1: P, x2: W, y2: P, stroke: "#eef0f3", "stroke-dasharray": "4 4" })];
  if (points.length >= 1) {
    const t0 = points[0].t, t1 = Math.max(points[points.length - 1].t, t0 + 1);
    const x = (t) => ((t - t0) / (t1 - t0)) * W, y = (n) => H - P - (n / total) * (H - 2 * P);
    // A step line: the count holds until the moment it changes.
    const line = points.flatMap((p, i) => (i ? [[p.t, points[i - 1].settled], [p.t, p.settled]] : [[p.t, p.settled]])).map(([t, n]) => x(t).toFixed(1) + "," + y(n).toFixed(1)).join(" ");
    children.push(node("polygon", { points: "0," + (H - P) + " " + line + " " + x(points[points.length - 1].t).toFixed(1) + "," + (H - P), fill: "#2f5bea", "fill-opacity": ".12" }));
    children.push(node("polyline", { points: line, fill: "none", stroke: "#2f5bea", "stroke-width": 2, "vector-effect": "non-scaling-stroke" }));
  }
  svg.replaceChildren(...children);
  $("chartBox").hidden = b.itemCount === null;
  $("axisStart").textContent = points.length ? clock(points[0].t) : "";
  $("axisEnd").textContent = points.length > 1 ? (FINAL.includes(b.state) ? clock(points[points.length - 1].t) : "now") : "";
  const f = figures(points);
  $("figSettled").textContent = b.itemCount === null ? "—" : b.settled + " of " + b.itemCount;
  $("figRate").textContent = f.rate === undefined ? "—" : f.rate.toFixed(f.rate < 10 ? 1 : 0) + " items/s";
  $("figEta").textContent = FINAL.includes(b.state) ? "done" : duration(f.eta);
}

function itemRow(item) {
  const e = item.error;
  const error = e ? el("div", {}, el("div", { class: "err", text: e.reason.code + ": " + e.reason.message }), e.reason.code !== e.code ? el("div", { class: "err-code", text: e.code + " · " + e.message }) : null) : el("span", { class: "muted", text: "—" });
  return el("tr", { "data-index": item.index, "data-status": item.status },
    el("td", { class: "num muted", text: item.index }),
    el("td", {}, el("a", { class: "item-name mono", href: "#", title: "Show the result of " + item.name, text: item.name, onclick: (event) => { event.preventDefault(); showResult(item); } }), e ? el("div", { class: "small err show-narrow", text: e.reason.code + ": " + e.reason.message }) : null),
    el("td", {}, el("span", { class: "chip " + item.status, text: ITEM_STATES[item.status] || item.status })),
    el("td", { class: "hide-narrow" }, error));
}
function itemsQuery(from) {
  const q = new URLSearchParams({ limit: "50" });
  if ($("itemStatus").value) q.set("status", $("itemStatus").value);
  const search = $("itemSearch").value.trim(); if (search) q.set("search", search);
  if (from !== undefined) q.set("from", String(from));
  return q;
}
async function loadItems(more) {
  const b = view.batch; if (!b) return;
  const key = b.kind + "/" + b.batchId + "?" + itemsQuery();
  const page = await api(batchPath(b.kind, b.batchId) + "/items?" + itemsQuery(more ? view.next : undefined));
  if (key !== b.kind + "/" + b.batchId + "?" + itemsQuery()) return; // the filter changed meanwhile
  view.items = more ? view.items.concat(page.items) : page.items; view.next = page.next; view.itemsKey = key;
  $("items").replaceChildren(...view.items.map(itemRow));
  $("noItems").hidden = view.items.length > 0; $("moreItems").hidden = page.next === undefined;
}
async function loadBatch(kind, id, first) {
  const b = await api(batchPath(kind, id));
  const justEnded = view.batch && !FINAL.includes(view.batch.state) && FINAL.includes(b.state);
  if (first || justEnded || (!FINAL.includes(b.state) && Date.now() - view.timelineAt > TIMELINE_MS)) {
    view.timeline = (await api(batchPath(kind, id) + "/timeline")).points; view.timelineAt = Date.now(); view.live = [];
  }
  const moved = !view.batch || view.batch.settled !== b.settled || view.batch.state !== b.state;
  renderBatch(b);
  if (first || moved && view.next === undefined) await loadItems(false);
}

async function showResult(item) {
  const b = view.batch;
  $("resultTitle").textContent = item.name; $("resultNote").textContent = "Loading…"; $("resultJson").textContent = ""; $("resultDownload").hidden = true;
  $("resultDialog").showModal();
  try {
    const answer = await api(batchPath(b.kind, b.batchId) + "/items/" + item.index + "/result");
    $("resultNote").textContent = (ITEM_STATES[answer.status] || answer.status) + (answer.unavailable ? " · " + answer.unavailable : "");
    if (answer.result !== undefined) {
      const text = JSON.stringify(answer.result, null, 2);
      $("resultJson").textContent = text; $("resultDownload").hidden = false;
      $("resultDownload").onclick = () => saveText(text, "application/json", (item.name.split("/").pop() || "item") + ".result.json");
    }
  } catch (e) { $("resultNote").textContent = e.message; }
}
function saveText(text, type, name) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: name }); document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
$("resultClose").onclick = () => $("resultDialog").close();

function confirmDialog(title, text, yes) {
  $("confirmTitle").textContent = title; $("confirmText").textContent = text; $("confirmYes").textContent = yes;
  const dialog = $("confirm"); dialog.returnValue = ""; dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true }));
}

async function tick() {
  const r = current();
  try {
    if (r.page === "list") await loadList(); else if (r.page === "batch") await loadBatch(r.kind, r.id);
    say(""); $("live").classList.remove("stale"); $("live").textContent = "live";
  } catch (e) { say(e.message); $("live").classList.add("stale"); $("live").textContent = "reconnecting"; }
}
function schedule() { clearTimeout(view.pollTimer); view.pollTimer = setTimeout(async () => { if (!document.hidden && key()) await tick(); schedule(); }, POLL_MS); }

function current() {
  const parts = location.hash.replace(/^#\\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "batch" && parts[1] && parts[2]) return { page: "batch", kind: parts[1], id: parts[2] };
  return { page: "list" };
}
async function route() {
  // A key in the fragment (from \`docbatch dashboard\`) signs this tab in and leaves the address bar at once.
  const fragment = /^#key=([^&]*)(?:&(.*))?$/.exec(location.hash);
  if (fragment) {
    sessionStorage.setItem(KEY, decodeURIComponent(fragment[1]));
    history.replaceState(null, "", location.pathname + (fragment[2] ? "#" + decodeURIComponent(fragment[2]) : "#/"));
  }
  const signedIn = !!key();
  $("signin").hidden = signedIn; $("signout").hidden = !signedIn; $("live").hidden = !signedIn;
  const r = current();
  $("list").hidden = !signedIn || r.page !== "list"; $("batch").hidden = !signedIn || r.page !== "batch";
  if (!signedIn) { $("key").focus(); return; }
  say("");
  try {
    if (r.page === "batch") {
      view.batch = null; view.items = []; view.next = undefined; view.timeline = []; view.live = [];
      $("itemStatus").value = ""; $("itemSearch").value = ""; $("items").replaceChildren(); $("request").textContent = "";
      await loadBatch(r.kind, r.id, true);
      document.title = r.id + " · docbatch";
    } else { await loadList(); document.title = "Batches · docbatch"; }
  } catch (e) { say(e.message); }
  schedule();
}

$("login").onsubmit = (event) => { event.preventDefault(); const value = $("key").value.trim(); if (!value) return; sessionStorage.setItem(KEY, value); $("key").value = ""; route(); };
$("signout").onclick = () => { sessionStorage.removeItem(KEY); $("batches").replaceChildren(); location.hash = "#/"; route(); };
$("kindFilter").onchange = $("stateFilter").onchange = () => tick();
$("itemStatus").onchange = () => loadItems(false).catch((e) => say(e.message));
let searchTimer = 0;
$("itemSearch").oninput = () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => loadItems(false).catch((e) => say(e.message)), 250); };
$("moreItems").onclick = () => loadItems(true).catch((e) => say(e.message));
$("cancelBatch").onclick = async () => {
  const b = view.batch;
  if (!(await confirmDialog("Cancel this batch?", "Items not started are canceled; items in flight finish. " + (b.itemCount !== null ? b.settled + " of " + b.itemCount + " are settled." : ""), "Cancel batch"))) return;
  try { renderBatch({ ...b, ...(await api(batchPath(b.kind, b.batchId) + "/cancel", { method: "POST" })), request: b.request }); } catch (e) { say(e.message); }
};
$("deleteBatch").onclick = async () => {
  const b = view.batch;
  if (!(await confirmDialog("Delete this batch?", "It disappears from every front door's lists, and its status rows are removed at the next purge. Results already written stay where they are.", "Delete"))) return;
  try { await api(batchPath(b.kind, b.batchId), { method: "DELETE" }); location.hash = "#/"; } catch (e) { say(e.message); }
};
$("downloadFailed").onclick = async () => {
  const b = view.batch;
  try {
    const response = await fetch("/dashboard/api/" + batchPath(b.kind, b.batchId) + "/items.csv?status=failed", { headers: { "api-key": key() } });
    if (!response.ok) throw new Error("The download failed (HTTP " + response.status + ").");
    saveText(await response.text(), "text/csv", b.batchId + "-failed.csv");
  } catch (e) { say(e.message); }
};
window.addEventListener("hashchange", route);
document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });
route();
</script></body></html>
`;
