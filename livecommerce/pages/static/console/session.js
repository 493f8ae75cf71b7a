// The signed-in host: the pasted token (kept in localStorage), what its payload says (role, store,
// user), and, for ops, the store they chose to work on. The server checks the signature; the
// payload is only read here to label the page.
import { api, stored } from "/static/common/api.js";

const keep = stored("lc.console.");

export function decodeToken(token) {
  const parts = token.trim().split(".");
  if (parts.length !== 3) throw new Error("this is not a token (three dot-separated parts expected)");
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64 + "===".slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json);
    return { role: claims.role, user: claims.sub, store: claims.store || null, nickname: claims.nick || null, exp: claims.exp || 0 };
  } catch {
    throw new Error("this token cannot be read");
  }
}

export class Session {
  constructor() {
    this.token = keep.get("token");
    this.claims = null;
    this.storeId = null;
  }

  // Checks the token locally, then with the server (the store's stock needs a host of that store or ops).
  async signIn(token) {
    const claims = decodeToken(token);
    if (claims.role !== "host" && claims.role !== "ops") throw new Error(`a ${claims.role} token cannot use the console: ask for a host token`);
    if (claims.exp && claims.exp * 1000 < Date.now()) throw new Error("this token has expired");
    const t = token.trim();
    const storeId = claims.role === "host" ? claims.store : ((await api("/api/v1/stores"))[0] || {}).id;
    if (storeId) await api(`/api/v1/stores/${encodeURIComponent(storeId)}/stock`, { token: t });
    this.token = t;
    this.claims = claims;
    this.storeId = claims.role === "host" ? claims.store : keep.get("store");
    keep.set("token", t);
  }

  chooseStore(storeId) {
    this.storeId = storeId;
    keep.set("store", storeId);
  }

  get isOps() { return this.claims && this.claims.role === "ops"; }

  signOut() {
    keep.set("token", null);
    keep.set("store", null);
    keep.set("room", null);
    this.token = null;
    this.claims = null;
    this.storeId = null;
  }

  get room() { return keep.get("room"); }
  set room(id) { keep.set("room", id); }
}
