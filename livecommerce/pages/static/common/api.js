// The one HTTP client the three pages share: JSON in and out, the contract's error shape surfaced as
// ApiError {status, code, message, details}, the bearer token added when given.

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export async function api(path, { method = "GET", body, token, headers = {} } = {}) {
  const h = { ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  if (token) h["Authorization"] = `Bearer ${token}`;
  let resp;
  try {
    resp = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, "network", "network error: " + e.message);
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { raw: text }; }
  }
  if (!resp.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(resp.status, err.code || "http_" + resp.status, err.message || resp.statusText, err);
  }
  return data;
}

// A value kept in localStorage under one prefix per page ("lc.player.", "lc.console.", ...).
export function stored(prefix) {
  return {
    get: (k) => localStorage.getItem(prefix + k),
    set: (k, v) => (v === null || v === undefined ? localStorage.removeItem(prefix + k) : localStorage.setItem(prefix + k, v)),
  };
}

// Server clock offset (ms) so countdowns agree with the server's window, not the phone's clock.
export async function serverClockOffset() {
  const t0 = Date.now();
  const { epoch_ms } = await api("/api/v1/time");
  const t1 = Date.now();
  return epoch_ms - (t0 + t1) / 2;
}

// Escape text for the few places that build HTML strings; prefer textContent everywhere else.
export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export function wsUrl(path) {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
}
