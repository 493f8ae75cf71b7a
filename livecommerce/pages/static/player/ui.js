// Small DOM helpers shared by the player's modules: element building (text only, never HTML of
// user data), toasts, bottom sheets.

export const $ = (sel, root = document) => root.querySelector(sel);

// el("div#id.card", {onclick}, child, "text") -> element; strings become text nodes.
export function el(spec, attrs = {}, ...children) {
  const [head, ...classes] = spec.split(".");
  const [tag, id] = head.split("#");
  const node = document.createElement(tag || "div");
  if (id) node.id = id;
  if (attrs instanceof Node || typeof attrs !== "object" || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  if (classes.length) node.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

let toastTimer = 0;
export function toast(text, ms = 2200) {
  const box = $("#toast");
  box.textContent = text;
  box.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove("show"), ms);
}

// Bottom sheets: one open at a time; tapping the scrim closes it.
export function openSheet(id) {
  document.querySelectorAll(".sheet.open").forEach((s) => s.id !== id && closeSheet(s.id));
  $("#" + id).classList.add("open");
  $("#scrim").classList.add("show");
}

export function closeSheet(id) {
  const s = $("#" + id);
  if (s) s.classList.remove("open");
  if (!document.querySelector(".sheet.open")) $("#scrim").classList.remove("show");
}

export function closeAllSheets() {
  document.querySelectorAll(".sheet.open").forEach((s) => closeSheet(s.id));
}

// Great-circle distance in km (pickup stores sorted by it).
export function km(a, b) {
  const r = (d) => (d * Math.PI) / 180;
  const dLat = r(b.lat - a.lat), dLng = r(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(r(a.lat)) * Math.cos(r(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 6371 * 2 * Math.asin(Math.sqrt(h));
}

// A stable placeholder look for a product or room without an image: a gradient picked by name.
const HUES = [350, 20, 200, 260, 160, 30, 300];
export function placeholderStyle(name) {
  let h = 0;
  for (const ch of String(name)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  const hue = HUES[h % HUES.length];
  return `background: linear-gradient(135deg, hsl(${hue} 70% 62%), hsl(${(hue + 40) % 360} 75% 45%))`;
}
