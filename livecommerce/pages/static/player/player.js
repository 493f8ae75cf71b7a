// The viewer player's entry: sign in, load the catalogue and the server clock, route between the
// room list (/) and a room (/rooms/{id}), and wire the controls.
import { serverClockOffset } from "/static/common/api.js";
import { openBuy } from "./buy.js";
import { applyI18n, t, toggleLang } from "./i18n.js";
import { bindList, renderList } from "./list.js";
import { bindOrders, openOrders } from "./orders.js";
import { bindPin, renderPin } from "./pin.js";
import { floatHeart, leaveRoom, openRoom, send } from "./room.js";
import { rename, session, signIn } from "./session.js";
import { bindShelf, renderShelf } from "./shelf.js";
import { loadCatalogue, state } from "./state.js";
import { $, closeAllSheets, openSheet, toast } from "./ui.js";

const ROOM_PATH = /^\/rooms\/([A-Za-z0-9_-]{1,64})\/?$/;
let listTimer = 0;

function show(view) {
  $("#list-view").hidden = view !== "list";
  $("#room-view").hidden = view !== "room";
  document.body.classList.toggle("in-room", view === "room");
}

async function route() {
  closeAllSheets();
  clearInterval(listTimer);
  const m = location.pathname.match(ROOM_PATH);
  if (m) {
    show("room");
    try { await openRoom(m[1]); } catch (e) { console.warn(e.stack); toast(t("err_other", { m: e.message })); navigate("/"); }
    return;
  }
  leaveRoom();
  show("list");
  await renderList().catch((e) => toast(t("err_other", { m: e.message })));
  listTimer = setInterval(() => renderList().catch(() => {}), 10000);
}

export function navigate(path) {
  history.pushState(null, "", path + location.search);
  route();
}

let likes = 0, likeTimer = 0;
function like() {
  floatHeart();
  likes += 1;
  if (!likeTimer) likeTimer = setTimeout(() => { send({ type: "like", count: Math.min(likes, 50) }); likes = 0; likeTimer = 0; }, 400);
}

function wire() {
  document.querySelectorAll(".lang-btn").forEach((b) => b.addEventListener("click", () => {
    toggleLang(); renderPin(); renderShelf(); $("#nick-btn").textContent = "👤 " + session.nickname;
    if (!state.room) renderList().catch(() => {});
  }));
  $("#back-btn").addEventListener("click", () => navigate("/"));
  $("#orders-btn").addEventListener("click", () => openOrders());
  $("#scrim").addEventListener("click", closeAllSheets);
  document.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", closeAllSheets));
  $("#shelf-btn").addEventListener("click", () => openSheet("shelf"));
  $("#like-btn").addEventListener("click", like);
  $("#unmute-btn").addEventListener("click", () => { const v = $("#video"); v.muted = false; v.play().catch(() => {}); $("#unmute-btn").hidden = true; });
  $("#chat-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("#chat-input");
    const text = input.value.trim();
    if (!text) return;
    if (send({ type: "chat", text: text.slice(0, 200) })) input.value = "";
    else toast(t("reconnecting"));
  });
  $("#nick-btn").addEventListener("click", () => { $("#nick-input").value = session.nickname || ""; openSheet("nick-sheet"); });
  $("#nick-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    await rename($("#nick-input").value).catch((err) => toast(t("err_other", { m: err.message })));
    $("#nick-btn").textContent = "👤 " + session.nickname;
    closeAllSheets();
  });
  bindPin(openBuy, () => openSheet("shelf"));
  bindShelf(openBuy);
  bindList((id) => navigate(`/rooms/${id}`));
  bindOrders();
  window.addEventListener("popstate", route);
}

async function boot() {
  applyI18n();
  wire();
  const [offset] = await Promise.all([serverClockOffset().catch(() => 0), signIn(), loadCatalogue()]);
  state.clockOffset = offset;
  $("#nick-btn").textContent = "👤 " + session.nickname;
  document.body.classList.add("ready");
  await route();
}

boot().catch((e) => toast(t("err_other", { m: e.message }), 8000));
