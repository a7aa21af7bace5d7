/**
 * The dashboard page: plain HTML/CSS/JS, no build step. It carries no data; it asks for the key
 * once (kept in sessionStorage, for this tab only) and reads /dashboard/api with it.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>docbatch dashboard</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;border-bottom:1px solid #ddd;text-align:left}
tr.batch{cursor:pointer}tr.selected{background:#eef4ff}
.bar{width:160px;height:10px;background:#eee;display:inline-flex;vertical-align:middle}
.bar span{height:100%;background:#3a7}.bar span.failed{background:#c33}.bar span.canceled{background:#999}
.error{color:#a00}#failed li{margin:.3rem 0}
</style></head><body>
<h1>docbatch</h1>
<form id="login"><label>API key <input id="key" type="password" autocomplete="off"></label> <button>Show batches</button></form>
<p id="message" class="error"></p>
<section id="main" hidden>
<button id="forget">Forget key</button>
<table><thead><tr><th>Kind</th><th>Batch</th><th>Status</th><th>Progress</th><th>Succeeded</th><th>Failed</th><th>Skipped</th><th>Canceled</th><th>Total</th><th>Created</th><th>Updated</th><th></th></tr></thead>
<tbody id="batches"></tbody></table>
<section id="detail" hidden><h2 id="detailTitle"></h2><p id="detailError" class="error"></p><h3>Failed items</h3><ul id="failed"></ul></section>
</section>
<script>
const KEY = "docbatch.key";
let selected;
const $ = (id) => document.getElementById(id);
function text(tag, value, className) { const el = document.createElement(tag); el.textContent = value ?? ""; if (className) el.className = className; return el; }
async function api(path, init) {
  const response = await fetch("/dashboard/api/" + path, { ...init, headers: { "api-key": sessionStorage.getItem(KEY) || "" } });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) { sessionStorage.removeItem(KEY); show(); throw new Error("The key was not accepted."); }
  if (!response.ok) throw new Error(body.error ? body.error.message : "HTTP " + response.status);
  return body;
}
const FINAL = ["succeeded", "failed", "canceled", "expired"];
function progress(b) {
  const total = b.itemCount || 0, c = b.counts, done = c.succeeded + c.failed + c.skipped + c.canceled;
  const bar = document.createElement("span"); bar.className = "bar"; bar.setAttribute("role", "progressbar");
  const pct = total ? Math.round(100 * done / total) : (FINAL.includes(b.status) ? 100 : 0);
  bar.setAttribute("aria-valuenow", String(pct)); bar.title = done + " / " + total;
  const share = (n) => (total ? 100 * n / total : 0);
  const segment = (className, width) => { const s = document.createElement("span"); if (className) s.className = className; s.style.width = width + "%"; return s; };
  // Canceled items in grey, so a canceled batch does not look done.
  const failedPct = share(c.failed), canceledPct = share(c.canceled);
  bar.append(segment("failed", failedPct), segment("", Math.max(0, pct - failedPct - canceledPct)), segment("canceled", canceledPct)); return bar;
}
function row(b) {
  const tr = document.createElement("tr"); tr.className = "batch"; tr.dataset.kind = b.kind; tr.dataset.id = b.batchId; tr.dataset.status = b.status;
  if (selected && selected.kind === b.kind && selected.id === b.batchId) tr.classList.add("selected");
  const cell = (v) => tr.append(text("td", v));
  cell(b.kind); cell(b.batchId); cell(b.status + (b.cancelRequested && !FINAL.includes(b.status) ? " (canceling)" : ""));
  const p = document.createElement("td"); p.append(progress(b)); tr.append(p);
  cell(b.counts.succeeded); cell(b.counts.failed); cell(b.counts.skipped); cell(b.counts.canceled); cell(b.itemCount ?? "?");
  cell(new Date(b.createdAt).toLocaleString()); cell(new Date(b.updatedAt).toLocaleString());
  const actions = document.createElement("td");
  if (!FINAL.includes(b.status) && !b.cancelRequested) {
    const cancel = text("button", "Cancel", "cancel");
    cancel.onclick = async (event) => { event.stopPropagation(); try { await api("batches/" + encodeURIComponent(b.kind) + "/" + encodeURIComponent(b.batchId) + "/cancel", { method: "POST" }); refresh(); } catch (e) { $("message").textContent = e.message; } };
    actions.append(cancel);
  }
  tr.append(actions);
  tr.onclick = () => { selected = { kind: b.kind, id: b.batchId }; refresh(); };
  return tr;
}
async function refresh() {
  if (!sessionStorage.getItem(KEY)) return;
  try {
    const { batches } = await api("batches");
    $("batches").replaceChildren(...batches.map(row));
    $("message").textContent = "";
    if (selected) {
      const d = await api("batches/" + encodeURIComponent(selected.kind) + "/" + encodeURIComponent(selected.id));
      $("detail").hidden = false; $("detailTitle").textContent = d.kind + " " + d.batchId + ": " + d.status;
      $("detailError").textContent = d.error ? d.error.code + ": " + d.error.message : "";
      $("failed").replaceChildren(...d.failedItems.map((item) => { const li = text("li", item.name + ": "); li.append(text("span", (item.error ? item.error.code + " " + item.error.message : ""), "error")); return li; }));
    }
  } catch (e) { $("message").textContent = e.message; }
}
function show() { const has = !!sessionStorage.getItem(KEY); $("login").hidden = has; $("main").hidden = !has; }
$("login").onsubmit = (event) => { event.preventDefault(); sessionStorage.setItem(KEY, $("key").value.trim()); $("key").value = ""; show(); refresh(); };
$("forget").onclick = () => { sessionStorage.removeItem(KEY); $("batches").replaceChildren(); $("detail").hidden = true; show(); };
show(); refresh(); setInterval(refresh, 1000);
</script></body></html>
`;
