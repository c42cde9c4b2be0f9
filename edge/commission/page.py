"""The commissioning page (a module, not a data file: the edge wheel carries Python files only)."""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Footfall commissioning</title>
<style>
 body { font: 14px system-ui, sans-serif; margin: 12px; background: #f4f4f4; color: #222; }
 main { display: flex; gap: 16px; align-items: flex-start; }
 #view { position: relative; }
 #preview { max-width: 960px; width: 100%; display: block; border: 1px solid #999; cursor: crosshair; background: #333; }
 aside { min-width: 320px; }
 table { border-collapse: collapse; margin: 6px 0; } td, th { border: 1px solid #bbb; padding: 3px 8px; text-align: right; }
 th:first-child, td:first-child { text-align: left; }
 .bad { color: #b00020; font-weight: 600; } .ok { color: #176f2c; font-weight: 600; }
 textarea { width: 100%; height: 110px; font-family: monospace; }
 button { margin: 2px; } .note { color: #555; font-size: 12px; }
</style></head>
<body>
<h1>Footfall commissioning <span id="unit"></span></h1>
<main>
 <div id="view">
  <img id="preview" alt="live preview (in memory, never stored)">
  <p class="note">Live preview served by the unit to this tunnel only; frames are never stored. Click two points on the
   image to draw the line from a to b: walking to the side the arrow points to counts as <b>in</b>.</p>
 </div>
 <aside>
  <div>State: <b id="state">-</b> &middot; <span id="fps">-</span> fps &middot; stops in <span id="remaining">-</span> s</div>
  <h2>Counts</h2>
  <table id="counts"><thead><tr><th>line</th><th>in</th><th>out</th></tr></thead><tbody></tbody></table>
  <h2>Face sizes at the line</h2>
  <table id="faces"><thead><tr><th>line</th><th>faces</th><th>min</th><th>median</th><th>max</th></tr></thead><tbody></tbody></table>
  <div id="needed" class="note"></div>
  <h2>Line</h2>
  <label>line <select id="line"></select></label>
  <div><button data-nudge="0,-0.01">&uarr;</button><button data-nudge="0,0.01">&darr;</button>
   <button data-nudge="-0.01,0">&larr;</button><button data-nudge="0.01,0">&rarr;</button>
   <button id="swap">swap in/out</button></div>
  <div id="message" class="note"></div>
  <h2>For host_vars</h2>
  <textarea id="snippet" readonly></textarea>
  <div><button id="reference">Keep this view as the reference</button> <button id="stop">Stop commissioning</button></div>
  <div id="refsig" class="note"></div>
 </aside>
</main>
<script>
"use strict";
let state = null, clicks = [];
const $ = (id) => document.getElementById(id);
const cell = (tr, text, cls) => { const td = tr.insertCell(); td.textContent = text; if (cls) td.className = cls; };
async function post(path, body) {
  const r = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const data = await r.json();
  $("message").textContent = data.ok ? "" : data.error;
  $("message").className = data.ok ? "note" : "bad";
  return data;
}
function render(s) {
  state = s;
  $("unit").textContent = s.unit; $("state").textContent = s.state; $("fps").textContent = s.fps; $("remaining").textContent = Math.round(s.remaining_s);
  const counts = $("counts").tBodies[0]; counts.innerHTML = "";
  for (const [id, c] of Object.entries(s.counts)) { const tr = counts.insertRow(); tr.dataset.line = id;
    cell(tr, id); cell(tr, c.in, "in"); cell(tr, c.out, "out"); }
  const need = s.face_sizes._needed, faces = $("faces").tBodies[0]; faces.innerHTML = "";
  for (const [id, f] of Object.entries(s.face_sizes)) { if (id === "_needed") continue;
    const tr = faces.insertRow(); cell(tr, id); cell(tr, f.faces);
    for (const k of ["min_px", "median_px", "max_px"]) cell(tr, f[k] === null ? "-" : f[k] + " px",
      f[k] === null ? "" : f[k] < need.detector_min_face_px ? "bad" : f[k] < need.embedder_min_px ? "" : "ok"); }
  $("needed").textContent = `needed: detector ${need.detector_min_face_px} px, codes ${need.embedder_min_px} px ` +
    `(full quality from ${need.embedder_full_px} px)`;
  const sel = $("line"), ids = s.lines.map((l) => l.id);
  if ([...sel.options].map((o) => o.value).join() !== ids.join()) {
    sel.innerHTML = ""; for (const id of ids) sel.add(new Option(id, id)); }
  if (document.activeElement !== $("snippet")) $("snippet").value = s.snippet;
}
async function poll() {
  try { render(await (await fetch("/state")).json()); } catch (e) { $("state").textContent = "stopped"; return; }
  setTimeout(poll, 500);
}
function withLine(change) {
  const id = $("line").value || "door";
  const lines = state.lines.filter((l) => l.id !== id);
  const old = state.lines.find((l) => l.id === id) || {id, a: [0.05, 0.5], b: [0.95, 0.5]};
  lines.push(change({id, a: [...old.a], b: [...old.b]}));
  return post("/lines", {lines}).then(async (d) => { if (d.ok) render(await (await fetch("/state")).json()); });
}
const clamp = (v) => Math.min(1, Math.max(0, Math.round(v * 1000) / 1000));
$("preview").addEventListener("click", (ev) => {
  const r = ev.target.getBoundingClientRect();
  clicks.push([clamp((ev.clientX - r.left) / r.width), clamp((ev.clientY - r.top) / r.height)]);
  $("message").textContent = clicks.length === 1 ? "a set: click where the line ends (b)" : "";
  if (clicks.length === 2) { const [a, b] = clicks; clicks = []; withLine((l) => ({...l, a, b})); }
});
for (const btn of document.querySelectorAll("[data-nudge]")) btn.addEventListener("click", () => {
  const [dx, dy] = btn.dataset.nudge.split(",").map(Number);
  withLine((l) => ({...l, a: [clamp(l.a[0] + dx), clamp(l.a[1] + dy)], b: [clamp(l.b[0] + dx), clamp(l.b[1] + dy)]}));
});
$("swap").addEventListener("click", () => withLine((l) => ({...l, a: l.b, b: l.a})));
$("reference").addEventListener("click", async () => { const d = await post("/reference", {});
  if (d.ok) $("refsig").textContent = "reference view stored: " + d.signature; });
$("stop").addEventListener("click", () => post("/stop", {}));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function frames() {  // each newer preview as soon as the unit has one (long poll)
  let seq = -1;
  for (;;) {
    try {
      const r = await fetch(`/frame.jpg?after=${seq}`, {cache: "no-store"});
      if (r.status === 200) {
        seq = Number(r.headers.get("X-Seq"));
        const old = $("preview").src;
        $("preview").src = URL.createObjectURL(await r.blob());
        if (old.startsWith("blob:")) URL.revokeObjectURL(old);
      } else if (r.status !== 204) await sleep(1000);
    } catch (e) { await sleep(1000); }
  }
}
poll(); frames();
</script></body></html>
"""
