// What the player's modules share: the catalogue, the open room, its pinned card, the server clock.
import { api } from "/static/common/api.js";

export const state = {
  stores: [],       // every store, with coordinates (pickup choices, distances)
  products: [],     // the catalogue (order names)
  shelf: [],        // what the open room's store carries (GET /api/v1/stores/{id}/products)
  room: null,       // GET /api/v1/rooms/{id} of the open room
  pin: null,        // {product, flash_sale} of the open room
  remaining: null,  // live remaining stock of the pinned sale
  clockOffset: 0,   // server minus local clock, ms
  forced: new URLSearchParams(location.search).get("player"),  // "hls" | "native" | null
};

export const serverNow = () => Date.now() + state.clockOffset;

export async function loadCatalogue() {
  const [stores, products] = await Promise.all([api("/api/v1/stores"), api("/api/v1/products")]);
  state.stores = stores;
  state.products = products;
}

export const storeName = (id) => (state.stores.find((s) => s.id === id) || {}).name || id;
export const productOf = (sku) => state.products.find((p) => p.sku === sku) || { sku, name: sku, price_cents: 0 };

// Whether the pinned flash sale can be bought now, by the server's clock.
export function saleState(sale = state.pin && state.pin.flash_sale) {
  if (!sale) return "none";
  const now = serverNow();
  if (now >= Date.parse(sale.ends_at) || sale.status === "ended") return "ended";
  const remaining = state.remaining ?? sale.remaining;
  if (remaining <= 0) return "soldout";
  if (now < Date.parse(sale.starts_at)) return "scheduled";
  return "active";
}
