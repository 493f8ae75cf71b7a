// Small DOM helpers for the console: build elements without HTML strings (chat text is never
// parsed as markup), money, times, field errors and a toast.

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const yuan = (cents) => "¥" + (cents / 100).toLocaleString("en-US", { minimumFractionDigits: cents % 100 ? 2 : 0, maximumFractionDigits: 2 });

export function clock(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
}

export function localTime(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

// Show an API error on the form field it names (data-for="<field>"), else in the form's banner.
export function showFieldErrors(form, banner, err) {
  clearFieldErrors(form, banner);
  const field = (err.details && err.details.field) || "";
  const root = field.split(".")[0];
  const slot = root && form.querySelector(`.field-error[data-for="${CSS.escape(root)}"]`);
  if (slot) {
    slot.textContent = err.message;
    slot.closest("label, fieldset")?.classList.add("invalid");
  } else {
    banner.textContent = err.message;
  }
}

export function clearFieldErrors(form, banner) {
  form.querySelectorAll(".field-error").forEach((s) => { s.textContent = ""; });
  form.querySelectorAll(".invalid").forEach((s) => s.classList.remove("invalid"));
  if (banner) banner.textContent = "";
}

let toastTimer = 0;
export function toast(text, kind = "info") {
  const t = $("toast");
  t.textContent = text;
  t.className = `toast show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.className = "toast"; }, 3500);
}
