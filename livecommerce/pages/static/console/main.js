// The host console: sign in, pick a room, preview the camera, go live by WHIP, pin, run flash
// sales, watch the room. Each panel lives in its own module; this one wires them together.
import { api, serverClockOffset } from "/static/common/api.js";
import { LivePanel } from "./live.js";
import { Monitor } from "./monitor.js";
import { listDevices, openCamera, Publisher } from "./publisher.js";
import { Products } from "./products.js";
import { Rooms } from "./rooms.js";
import { Sales } from "./sales.js";
import { Session } from "./session.js";
import { $, clock, el, toast } from "./ui.js";

const session = new Session();
let offset = 0;
let room = null; // the open room (with stream_key and whip_url)
let stream = null; // the camera preview

const products = new Products({ onPin: (sku) => pin({ sku }), onSell: (sku) => sales.openForm(sku) });
const sales = new Sales({ session, products, onPin: (id) => pin({ flash_sale_id: id }), clockOffset: () => offset });
const rooms = new Rooms({ session, onOpen: openRoom });
const live = new LivePanel({
  onStock: (id, remaining) => sales.liveStock(id, remaining),
  onRoomStatus: (status) => setRoomStatus(status),
  onPin: (m) => showPinned(m),
  productName: (sku) => products.name(sku),
});
const publisher = new Publisher({
  onState: (s) => { $("pc-state").textContent = s === "connected" ? "streaming" : s; updateButtons(); },
  onStats: (s) => {
    $("bitrate").textContent = `${s.codec || "video"} ${s.width || "?"}×${s.height || "?"} · ${Math.round(s.fps || 0)} fps · ${(s.kbps / 1000).toFixed(2)} Mbps`;
  },
});

const monitor = new Monitor($("preview"), (s) => { if (!publisher.active) $("pc-state").textContent = s; });

// A room live from elsewhere (an encoder, the demo, another tab) is shown by WHEP until the camera
// takes the screen; anything else stops the monitor.
async function syncMonitor() {
  const wanted = room && room.status === "live" && !publisher.active && !stream;
  if (!wanted || (monitor.active && monitor.roomId !== room.id)) {
    if (monitor.active) monitor.stop();
    $("stage-empty").hidden = Boolean(stream);
    if (!wanted) return;
  }
  if (monitor.active) return;
  monitor.roomId = room.id;
  const r = await api(`/api/v1/rooms/${encodeURIComponent(room.id)}`, { token: session.token }).catch(() => null);
  if (!r || !r.playback.whep || r.id !== (room && room.id) || monitor.active) return;
  $("stage-empty").hidden = true;
  await monitor.start(r.playback.whep).catch(() => { $("stage-empty").hidden = false; });
}

function show(signedIn) {
  $("signin").hidden = signedIn;
  $("app").hidden = !signedIn;
  $("who").hidden = !signedIn;
}

async function signIn(token) {
  await session.signIn(token);
  const c = session.claims;
  $("who-user").textContent = `${c.nickname || c.user} · ${c.role}`;
  show(true);
  if (session.isOps) await pickStore();
  else await useStore(c.store);
}

async function pickStore() {
  const stores = await api("/api/v1/stores");
  const select = $("store-select");
  select.replaceChildren(...stores.map((s) => el("option", { value: s.id }, `${s.name} (${s.city})`)));
  $("store-pick").hidden = false;
  select.onchange = () => useStore(select.value);
  const chosen = stores.find((s) => s.id === session.storeId) || stores[0];
  if (chosen) { select.value = chosen.id; await useStore(chosen.id); }
}

async function useStore(storeId) {
  session.chooseStore(storeId);
  const store = await api(`/api/v1/stores/${encodeURIComponent(storeId)}`).catch(() => ({ id: storeId, name: storeId }));
  $("who-store").textContent = store.name;
  $("who-store").title = storeId;
  if (room && room.store_id !== storeId) closeRoom();
  await products.load(storeId, session.token);
  const list = await rooms.refresh();
  const remembered = list.find((r) => r.id === session.room) || list.find((r) => r.status !== "ended");
  if (remembered && !room) await rooms.open(remembered.id);
  products.render(Boolean(room));
}

function openRoom(r) {
  room = r;
  $("room-title-label").textContent = r.title;
  live.self = session.claims.user;
  live.open(r.id, session.token);
  sales.open(r.id);
  showPinned(r.pinned || {});
  setRoomStatus(r.status);
  products.render(true);
  $("preview-btn").disabled = false;
  if (!stream) fillDevices().catch(() => {}); // labels come with the permission; ids and counts now
}

function closeRoom() {
  room = null;
  live.close();
  sales.open(null);
  products.render(false);
  $("room-title-label").textContent = "";
  setRoomStatus(null);
}

function showPinned(pinned) {
  const sale = pinned && pinned.flash_sale;
  products.setPinned(pinned && pinned.product ? pinned.product.sku : null);
  sales.setPinned(sale ? sale.id : null);
}

function setRoomStatus(status) {
  if (room && status) room.status = status;
  const badge = $("live-badge");
  badge.textContent = status === "live" ? "LIVE" : status === "ended" ? "ENDED" : "OFFLINE";
  badge.className = "badge " + (status || "");
  if (status === "live" && room && !room.started_at) room.started_at = new Date(Date.now() + offset).toISOString();
  if (status === "ended" && publisher.active) publisher.close();
  updateButtons();
  rooms.render();
  syncMonitor();
}

function updateButtons() {
  const status = room && room.status;
  $("live-btn").disabled = !room || !stream || publisher.active || status !== "created";
  $("stop-btn").disabled = !publisher.active;
  $("live-btn").hidden = publisher.active; // while streaming, "Stop stream" takes its place
  $("stop-btn").classList.toggle("primary", publisher.active);
  $("stop-btn").classList.toggle("ghost", !publisher.active);
  $("end-btn").disabled = !room || status === "ended";
  $("live-btn").textContent = status === "ended" ? "Room ended" : status === "live" && !publisher.active ? "Live from an encoder" : "Go live";
}

async function startPreview() {
  $("stream-error").textContent = "";
  try {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    monitor.stop();
    stream = await openCamera($("cam-select").value, $("mic-select").value);
    $("preview").srcObject = stream;
    $("stage-empty").hidden = true;
    $("preview-btn").textContent = "Restart camera";
    await fillDevices();
    if (publisher.active) await swapTracks();
  } catch (e) {
    $("stream-error").textContent = `Camera or microphone unavailable: ${e.message}`;
  }
  updateButtons();
}

async function fillDevices() {
  const { cams, mics } = await listDevices();
  const fill = (select, devices, current) => {
    select.replaceChildren(...devices.map((d, i) => el("option", { value: d.deviceId }, d.label || `${select === $("cam-select") ? "Camera" : "Microphone"} ${i + 1}`)));
    if (current) select.value = current;
  };
  const track = (kind) => stream && stream.getTracks().find((t) => t.kind === kind);
  fill($("cam-select"), cams, track("video") && track("video").getSettings().deviceId);
  fill($("mic-select"), mics, track("audio") && track("audio").getSettings().deviceId);
}

async function swapTracks() {
  for (const sender of publisher.pc.getSenders()) {
    const next = stream.getTracks().find((t) => sender.track && t.kind === sender.track.kind);
    if (next) await sender.replaceTrack(next);
  }
}

async function goLive() {
  $("stream-error").textContent = "";
  $("live-btn").disabled = true;
  try {
    await publisher.start(stream, room.whip_url, room.stream_key);
    toast("You are live", "ok");
  } catch (e) {
    $("stream-error").textContent = e.message;
  }
  updateButtons();
}

async function stopStream() {
  await publisher.stop();
  toast("Stream stopped: the room has ended");
}

async function endRoom() {
  if (!room) return;
  $("stream-error").textContent = "";
  try {
    const r = await api(`/api/v1/rooms/${encodeURIComponent(room.id)}/end`, { method: "POST", token: session.token });
    await publisher.stop();
    setRoomStatus(r.status);
    await rooms.refresh();
    toast("Room ended");
  } catch (e) {
    $("stream-error").textContent = e.message;
  }
}

async function pin(body) {
  $("pin-error").textContent = "";
  try {
    const r = await api(`/api/v1/rooms/${encodeURIComponent(room.id)}/pin`, { method: "POST", body, token: session.token });
    showPinned(r.pinned);
    toast(`Pinned ${r.pinned.product.name}`, "ok");
  } catch (e) {
    $("pin-error").textContent = e.message;
  }
}

function tickTimer() {
  const label = $("live-badge");
  if (room && room.status === "live" && room.started_at) {
    label.textContent = `LIVE ${clock(Date.now() + offset - Date.parse(room.started_at))}`;
  }
}

$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("signin-error").textContent = "";
  try {
    await signIn($("token-input").value);
  } catch (err) {
    session.signOut();
    show(false);
    $("signin-error").textContent = err.status === 401 ? "The server refused this token (wrong server, or expired)." : err.message;
  }
});
$("sign-out").addEventListener("click", async () => {
  if (publisher.active) await publisher.stop();
  closeRoom();
  session.signOut();
  $("token-input").value = "";
  show(false);
});
$("preview-btn").addEventListener("click", startPreview);
$("cam-select").addEventListener("change", () => stream && startPreview());
$("mic-select").addEventListener("change", () => stream && startPreview());
$("live-btn").addEventListener("click", goLive);
$("stop-btn").addEventListener("click", stopStream);
$("end-btn").addEventListener("click", endRoom);
window.addEventListener("pagehide", () => { // closing the tab hangs up at once (else 3 s of silence)
  for (const session of [publisher.location, monitor.location]) {
    if (session) fetch(session, { method: "DELETE", keepalive: true }).catch(() => {});
  }
});
setInterval(tickTimer, 1000);

(async () => {
  serverClockOffset().then((o) => { offset = o; }).catch(() => {});
  sales.open(null);
  const kept = session.token;
  if (kept) {
    try { await signIn(kept); return; } catch (err) {
      show(false);
      if (!(err.status === 0 || err.status >= 500)) { // refused or unreadable: forget it
        session.signOut();
        $("signin-error").textContent = "Your saved token no longer works: paste a new one.";
      } else { // the server is unwell: keep the token for another try
        $("token-input").value = kept;
        $("signin-error").textContent = `Could not reach the server (${err.message}): try again.`;
      }
      return;
    }
  }
  show(false);
})();
