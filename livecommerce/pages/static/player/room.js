// One open live room: its video, its websocket (chat, likes, viewers, pin, stock, ticker, status).
import { api, wsUrl } from "/static/common/api.js";
import { applyI18n, currentLang, t } from "./i18n.js";
import { renderPin, setStock } from "./pin.js";
import { session } from "./session.js";
import { renderShelf } from "./shelf.js";
import { state, storeName, productOf } from "./state.js";
import { $, el, placeholderStyle, toast } from "./ui.js";
import { playLive, playReplay } from "./video.js";

let current = null;  // {id, ws, player, timers[]}

export function fmtCount(n) {
  if (currentLang() === "zh" && n >= 10000) return (n / 10000).toFixed(1).replace(/\.0$/, "") + "万";
  if (currentLang() === "en" && n >= 1000) return (n / 1000).toFixed(1).replace(/\.0$/, "") + "k";
  return String(n);
}

function showStatus(text, replayUrl) {
  $("#status-overlay").hidden = !text;
  $("#status-text").textContent = text || "";
  const btn = $("#replay-btn");
  btn.hidden = !replayUrl;
  btn.onclick = replayUrl ? () => startReplay(replayUrl) : null;
}

function startReplay(url) {
  if (current.player) current.player.stop();
  showStatus(null);
  $("#room-view").classList.add("replaying");
  current.player = playReplay($("#video"), url);
}

function setStatus(room) {
  const video = $("#video");
  if (room.status === "live") {
    showStatus(null);
    if (!current.player || current.player.mode === "replay") {
      current.player = playLive(video, room.playback, {
        forced: state.forced,
        onState: (s) => $("#room-view").classList.toggle("reconnecting", s === "reconnecting"),
      });
    }
  } else {
    if (current.player && current.player.mode !== "replay") { current.player.stop(); current.player = null; }
    if (room.status === "ended") showStatus(t(room.playback.replay ? "room_ended" : "replay_pending"), room.playback.replay);
    else showStatus(t("room_waiting"));
  }
}

// Re-read the room: on the socket's `room` message, and every few seconds only while it may still
// change unannounced (waiting to go live, ended without its replay listed yet, socket down).
async function refresh(force = false) {
  if (!current) return;
  const r = state.room;
  const settled = (r.status === "live" && current.ws && current.ws.readyState === WebSocket.OPEN)
    || (r.status === "ended" && r.playback.replay);
  if (settled && !force) return;
  const room = await api(`/api/v1/rooms/${encodeURIComponent(current.id)}`).catch(() => null);
  if (!room || !current || room.id !== current.id) return;
  const changed = room.status !== state.room.status || !!room.playback.replay !== !!state.room.playback.replay;
  state.room = room;
  if (changed) setStatus(room);
}

function addChat(text, nickname, id, system = false) {
  const list = $("#chat");
  const li = el("li" + (system ? ".system" : ""), { dataset: id ? { id } : undefined });
  if (nickname) li.append(el("span.nick", { text: nickname + "：" }));
  li.append(el("span.text", { text }));
  list.append(li);
  while (list.children.length > 60) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
}

let tickerTimer = 0;
function ticker(text) {
  const box = $("#ticker");
  box.textContent = "🛍 " + text;
  box.classList.remove("show");
  void box.offsetWidth;
  box.classList.add("show");
  clearTimeout(tickerTimer);
  tickerTimer = setTimeout(() => box.classList.remove("show"), 3500);
}

export function floatHeart() {
  const h = el("span.float-heart", { text: "♥" });
  h.style.setProperty("--dx", `${Math.round(Math.random() * 60 - 30)}px`);
  h.style.setProperty("--hue", String([350, 330, 20, 45, 290][Math.floor(Math.random() * 5)]));
  $("#hearts").append(h);
  setTimeout(() => h.remove(), 2200);
}

let lastLikes = null;
function onMessage(m) {
  switch (m.type) {
    case "chat": addChat(m.text, m.nickname, m.id); break;
    case "delete": { const li = $(`#chat li[data-id="${CSS.escape(m.message_id)}"]`); if (li) li.remove(); break; }
    case "moderation": if (m.user === session.userId && m.action === "mute") toast(t("err_muted")); break;
    case "likes":
      if (lastLikes !== null) for (let i = 0; i < Math.min(m.count - lastLikes, 4); i++) floatHeart();
      lastLikes = m.count;
      $("#like-count").textContent = m.count > 0 ? fmtCount(m.count) : "";
      break;
    case "viewers": $("#viewer-count").textContent = t("viewers", { n: fmtCount(m.count) }); break;
    case "pin": state.pin = m.product ? { product: m.product, flash_sale: m.flash_sale } : null;
      state.remaining = m.flash_sale ? m.flash_sale.remaining : null; renderPin(); renderShelf(); break;
    case "stock": setStock(m.flash_sale_id, m.remaining); break;
    case "purchase": ticker(t("bought", { nick: m.nickname, item: productOf(m.sku).name })); break;
    case "room": if (m.status !== state.room.status) refresh(true); break;
    case "error": toast(m.code === "rate_limited" ? t("err_chat_rate") : m.code === "muted" ? t("err_muted") : m.message); break;
    default: break;
  }
}

function connect(id, backoff = 500) {
  if (!current || current.id !== id) return;
  const ws = new WebSocket(wsUrl(`/ws/rooms/${encodeURIComponent(id)}?token=${encodeURIComponent(session.token)}`));
  current.ws = ws;
  ws.onopen = () => { backoff = 500; };
  ws.onmessage = (e) => { try { onMessage(JSON.parse(e.data)); } catch { /* not ours */ } };
  ws.onclose = () => {
    if (current && current.ws === ws) setTimeout(() => connect(id, Math.min(backoff * 2, 10000)), backoff);
  };
}

export function send(msg) {
  const ws = current && current.ws;
  if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(msg)); return true; }
  return false;
}

export async function openRoom(id) {
  leaveRoom();
  current = { id, ws: null, player: null, timers: [] };
  lastLikes = null;
  const room = await api(`/api/v1/rooms/${encodeURIComponent(id)}`);
  if (!current || current.id !== id) return;
  state.room = room;
  state.shelf = await api(`/api/v1/stores/${encodeURIComponent(room.store_id)}/products`).catch(() => state.products);
  if (!current || current.id !== id) return;
  state.pin = room.pinned || null;
  state.remaining = room.pinned && room.pinned.flash_sale ? room.pinned.flash_sale.remaining : null;
  $("#chat").replaceChildren();
  addChat(t("joined"), null, null, true);
  $("#room-title").textContent = room.title;
  $("#room-sub").textContent = storeName(room.store_id);
  const avatar = $("#room-avatar");
  avatar.textContent = storeName(room.store_id).slice(0, 1);
  avatar.setAttribute("style", placeholderStyle(room.store_id));
  $("#viewer-count").textContent = t("viewers", { n: fmtCount(room.viewers || 0) });
  $("#like-count").textContent = "";
  $("#room-view").classList.remove("replaying", "reconnecting");
  $("#unmute-btn").hidden = false;
  applyI18n($("#room-view"));
  renderPin();
  renderShelf();
  setStatus(room);
  connect(id);
  current.timers.push(setInterval(() => refresh(false), 3000));
}

export function leaveRoom() {
  if (!current) return;
  const { ws, player, timers } = current;
  current = null;
  timers.forEach(clearInterval);
  if (player) player.stop();
  if (ws) {
    ws.onclose = null;
    if (ws.readyState === WebSocket.CONNECTING) ws.onopen = () => ws.close();
    else ws.close();
  }
  state.room = null;
  state.pin = null;
}
