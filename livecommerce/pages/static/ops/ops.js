// The ops dashboard: polls GET /api/v1/ops/overview each second with an ops token kept in
// localStorage, computes rates client-side from the cumulative counters, and draws live charts
// (uPlot) and the tables of rooms and sales. Text goes in with textContent only.

import { api, stored } from "/static/common/api.js";
import { LiveChart, fmt } from "/static/ops/charts.js";
import { OUTCOMES, WORDS } from "/static/ops/i18n.js";

const store = stored("lc.ops.");
const $ = (id) => document.getElementById(id);
let lang = store.get("lang") === "zh" ? "zh" : "en";
let t = WORDS[lang];
let token = store.get("token");
let history = []; // recent {at, buys} snapshots, for rates
let timer = null;
const charts = {};

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function applyWords() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t.title;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t[node.dataset.t];
  $("token").placeholder = t.tokenHint;
  $("lang").textContent = lang === "zh" ? "English" : "中文";
  const titles = { buys: t.chBuys, latency: t.chLatency, stock: t.chStock, viewers: t.chViewers,
    rooms: t.chRooms, ingest: t.chIngest, load: t.chLoad };
  for (const [k, c] of Object.entries(charts)) c.setTitle(titles[k]);
}

function makeCharts() {
  const mk = (id, title, unit, fixedKeys) => new LiveChart($(id), { title, unit, fixedKeys });
  charts.buys = mk("ch-buys", t.chBuys, "", ["reserved", "sold_out"]);
  charts.latency = mk("ch-latency", t.chLatency, "", ["p50", "p99"]);
  charts.stock = mk("ch-stock", t.chStock, "");
  charts.viewers = mk("ch-viewers", t.chViewers, "");
  charts.rooms = mk("ch-rooms", t.chRooms, "", ["live", "lag"]);
  charts.ingest = mk("ch-ingest", t.chIngest, "");
  charts.load = mk("ch-load", t.chLoad, "", ["rps", "users"]);
}

function showSignIn(message) {
  $("signin").hidden = false;
  $("dash").hidden = true;
  $("signout").hidden = true;
  $("signin-error").textContent = message || "";
}

function showDash() {
  $("signin").hidden = true;
  $("dash").hidden = false;
  $("signout").hidden = false;
}

function rates(snap, now) {
  // The counters are the whole platform's, pushed to Redis by each process once a second: rates are
  // taken over ~3 s so a poll that lands between two pushes does not read as a dip.
  const buys = snap.counters.buy_attempts;
  history.push({ at: now, buys });
  while (history.length > 1 && now - history[0].at > 3500) history.shift();
  const old = history[0];
  const out = {};
  if (now - old.at >= 900) {
    const dt = (now - old.at) / 1000;
    for (const [k, v] of Object.entries(buys)) out[k] = Math.max(0, (v - (old.buys[k] || 0)) / dt);
  }
  return out;
}

function tile(id, value, sub) {
  $(id).textContent = value;
  if (sub !== undefined) $(id + "-sub").textContent = sub;
}

function render(snap) {
  const now = Date.now();
  const ts = now / 1000;
  const r = rates(snap, now);
  const total = Object.values(r).reduce((a, b) => a + b, 0);
  const names = OUTCOMES[lang];
  tile("v-live", snap.rooms_live);
  tile("v-lag", snap.ledger_lag === null ? "–" : fmt(snap.ledger_lag));
  tile("v-rate", Object.keys(r).length ? fmt(total) : "–");
  tile("v-p50", snap.latency_ms.buy.p50 === null ? "–" : snap.latency_ms.buy.p50.toFixed(1) + " ms");
  tile("v-p99", snap.latency_ms.buy.p99 === null ? "–" : snap.latency_ms.buy.p99.toFixed(1) + " ms");
  tile("v-paid", fmt(snap.counters.orders.paid));
  tile("v-expired", fmt(snap.counters.orders.expired));
  const health = $("v-health");
  health.replaceChildren(...Object.entries(snap.health).map(([k, v]) => el("span", `${k} ${v}`, "pill " + v)));
  $("updated").textContent = `${t.updated} ${new Date(now).toLocaleTimeString()} · pid ${snap.pid}`;

  if (Object.keys(r).length) {
    const shown = {};
    for (const [k, v] of Object.entries(r)) if (v > 0 || k === "reserved" || k === "sold_out") shown[k] = v;
    charts.buys.push(ts, shown, names);
  }
  const lat = {};
  if (snap.latency_ms.buy.p50 !== null) lat.p50 = snap.latency_ms.buy.p50;
  if (snap.latency_ms.buy.p99 !== null) lat.p99 = snap.latency_ms.buy.p99;
  charts.latency.push(ts, lat);
  const stock = {};
  const stockLabels = {};
  for (const s of snap.sales) {
    if (s.status === "ended") continue;
    stock[s.id] = s.remaining;
    stockLabels[s.id] = `${s.sku} ${s.id.slice(0, 6)}`;
  }
  charts.stock.push(ts, stock, stockLabels);
  const live = snap.rooms.filter((x) => x.status === "live");
  const viewers = {};
  const fps = {};
  const roomLabels = {};
  for (const x of live.slice(0, 10)) {
    viewers[x.id] = x.viewers;
    roomLabels[x.id] = x.title || x.id;
    if (x.ingest) fps[x.id] = x.ingest.fps;
  }
  charts.viewers.push(ts, viewers, roomLabels);
  charts.ingest.push(ts, fps, roomLabels);
  charts.rooms.push(ts, { live: snap.rooms_live, lag: snap.ledger_lag ?? 0 }, { live: t.live, lag: t.lag });
  renderLoad(snap.loadtest, ts);
  renderRooms(snap.rooms);
  renderSales(snap.sales);
}

function renderLoad(lt, ts) {
  const box = $("load");
  if (!lt) {
    box.replaceChildren(el("span", t.none, "muted"));
    charts.load.push(ts, {}, { rps: t.rps, users: t.users });
    return;
  }
  const bits = [
    el("b", `${lt.scenario} · ${lt.state}`), el("span", `${fmt(lt.users)} ${t.users}`),
    el("span", `${fmt(lt.rps)} ${t.rps}`), el("span", `p50 ${fmt(lt.p50_ms)} ms`),
    el("span", `p99 ${fmt(lt.p99_ms)} ms`),
    el("span", `${fmt(lt.failures)} / ${fmt(lt.requests)} ${t.failures}`, lt.failures ? "warn" : ""),
    el("span", `${fmt(lt.elapsed_s)} s`, "muted"),
  ];
  box.replaceChildren(...bits);
  charts.load.push(ts, lt.state === "running" ? { rps: lt.rps, users: lt.users } : {}, { rps: t.rps, users: t.users });
}

function row(cells, cls) {
  const tr = el("tr", null, cls);
  for (const c of cells) tr.append(c instanceof Node ? c : el("td", c));
  return tr;
}

function fillTable(body, items, empty, toRow) {
  body.replaceChildren(...(items.length ? items.map(toRow) : [row([el("td", empty, "muted")])]));
}

function renderRooms(rooms) {
  fillTable($("rooms-body"), rooms, t.noRooms, (x) => {
    const i = x.ingest;
    const age = i && i.last_media_age_s !== null ? i.last_media_age_s.toFixed(1) + " s" : "–";
    const stale = i && i.last_media_age_s !== null && i.last_media_age_s > 2;
    return row([x.id, x.store_id, x.title, el("td", x.status, "status " + x.status), fmt(x.viewers),
      i ? i.fps.toFixed(0) : "–", i ? fmt(i.bitrate_bps / 1000) : "–", el("td", age, stale ? "warn" : ""),
      i ? `${i.hls_viewers} / ${i.flv_viewers} / ${i.whep_viewers}` : "–"], "room-row");
  });
}

function renderSales(sales) {
  fillTable($("sales-body"), sales, t.noSales, (s) => {
    const ok = s.allocated === s.remaining + s.reserved + s.sold;
    const byStore = Object.entries(s.remaining_by_store).map(([k, v]) => `${k}: ${v}`).join("  ");
    return row([s.id, s.sku, el("td", s.status, "status " + s.status), fmt(s.allocated), fmt(s.remaining),
      fmt(s.reserved), fmt(s.sold), byStore, el("td", ok ? "✓" : "✗", ok ? "ok" : "bad")], "sale-row");
  });
}

async function poll() {
  timer = null;
  if (!token) return;
  try {
    const snap = await api("/api/v1/ops/overview", { token });
    showDash();
    $("offline").hidden = true;
    render(snap);
  } catch (e) {
    if (e.status === 401 || e.status === 403) {
      token = null;
      store.set("token", null);
      showSignIn(e.status === 403 ? t.badToken : t.noToken);
      return;
    }
    $("offline").hidden = false;
  }
  timer = setTimeout(poll, 1000);
}

function start() {
  if (timer) clearTimeout(timer);
  history = [];
  poll();
}

$("signin").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const v = $("token").value.trim();
  if (!v) return;
  token = v;
  store.set("token", v);
  $("token").value = "";
  start();
});
$("signout").addEventListener("click", () => {
  token = null;
  store.set("token", null);
  if (timer) clearTimeout(timer);
  showSignIn("");
});
$("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  t = WORDS[lang];
  store.set("lang", lang);
  applyWords();
});
window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));

makeCharts();
applyWords();
if (token) start(); else showSignIn("");
