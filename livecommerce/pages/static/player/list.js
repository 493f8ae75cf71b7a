// The room list: live rooms first (their cover once the server has one), then replays of ended rooms.
import { api } from "/static/common/api.js";
import { t } from "./i18n.js";
import { storeName } from "./state.js";
import { $, el, placeholderStyle } from "./ui.js";
import { fmtCount } from "./room.js";

let onOpen = () => {};
export function bindList(open) { onOpen = open; }

function card(room) {
  const live = room.status === "live";
  const cover = live && room.cover
    ? el("img.cover", { src: `${room.cover}?t=${Math.floor(Date.now() / 10000)}`, alt: "" })
    : el("div.cover.placeholder", { style: placeholderStyle(room.store_id + room.title) },
      el("span.ph-title", { text: room.title.slice(0, 2) }));
  return el("a.room-card", { href: `/rooms/${encodeURIComponent(room.id)}`, dataset: { room: room.id, status: room.status },
    onclick: (e) => { e.preventDefault(); onOpen(room.id); } },
  el("div.cover-wrap", cover,
    el("span.badge-status" + (live ? ".live" : ".replay"), live ? el("span.eq", el("i"), el("i"), el("i")) : null,
      t(live ? "live" : "replay")),
    live ? el("span.card-viewers", { text: t("viewers", { n: fmtCount(room.viewers || 0) }) }) : null),
  el("div.card-title", { text: room.title }),
  el("div.card-store", el("span.mini-avatar", { style: placeholderStyle(room.store_id), text: storeName(room.store_id).slice(0, 1) }),
    el("span", { text: storeName(room.store_id) })));
}

export async function renderList() {
  const rooms = await api("/api/v1/rooms?limit=50");
  const live = rooms.filter((r) => r.status === "live");
  const replays = rooms.filter((r) => r.status === "ended" && r.playback.replay);
  $("#live-grid").replaceChildren(...live.map(card));
  $("#replay-grid").replaceChildren(...replays.map(card));
  $("#no-rooms").hidden = live.length > 0;
  $("#replays-title").hidden = replays.length === 0;
}
