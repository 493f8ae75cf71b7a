// Viewer sign-in: an openid generated once and kept, exchanged for a viewer token on every load
// (the stand-in for the mini-program's code-to-session); the nickname is editable.
import { api, stored } from "/static/common/api.js";

const prefs = stored("lc.player.");

function openid() {
  let id = prefs.get("openid");
  if (!id) {
    id = "wx-" + (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now());
    prefs.set("openid", id);
  }
  return id;
}

export const session = { token: null, userId: null, nickname: null };

export async function signIn(nickname = prefs.get("nickname")) {
  const body = { openid: openid() };
  if (nickname) body.nickname = nickname;
  const r = await api("/api/v1/auth/viewer", { method: "POST", body });
  Object.assign(session, { token: r.token, userId: r.user_id, nickname: r.nickname });
  if (nickname) prefs.set("nickname", r.nickname);
  return session;
}

export async function rename(nickname) {
  const name = nickname.trim().slice(0, 32);
  if (!name) return session;
  return signIn(name);
}
