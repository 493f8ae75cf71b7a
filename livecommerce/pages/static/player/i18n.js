// The player's two languages: Chinese first (the audience), English on a switch, remembered.
import { stored } from "/static/common/api.js";

const prefs = stored("lc.player.");

const TABLE = {
  zh: {
    app_title: "直播间", live_now: "正在直播", replays: "精彩回放", no_rooms: "暂时没有直播，稍后再来看看",
    my_orders: "我的订单", live: "直播中", replay: "回放", viewers: "{n} 观看", likes: "{n} 赞",
    back: "返回", say_something: "说点什么…", send: "发送", tap_unmute: "点击开启声音",
    shelf: "商品", shelf_title: "直播间商品", buy: "抢购", buy_now: "立即抢", view: "看看",
    flash_sale: "限时秒杀", starts_in: "距开抢 {t}", ends_in: "距结束 {t}", sale_ended: "已结束",
    sold_out: "已抢光", left: "剩 {n} 件", limit: "每人限购 {n} 件", not_pinned: "主播还没有上架商品",
    pinned_now: "讲解中", quantity: "数量", pickup: "到店自提", delivery: "快递配送",
    distance_km: "{d} km", store_left: "剩 {n}", store_sold_out: "已抢光", nearest_first: "按距离排序",
    address: "收货地址", address_ph: "省市区、街道、门牌号", coords: "坐标", use_location: "使用当前位置",
    lat: "纬度", lng: "经度", submit_buy: "立即抢购 {amount}", origin_you: "距你", origin_store: "距直播门店",
    reserved: "已锁定库存", pay_within: "请在 {t} 内完成支付", pay: "立即支付 {amount}", cancel: "取消订单",
    paid_ok: "支付成功", paid_detail: "已支付，{where}", cancelled: "订单已取消，库存已退回",
    expired: "支付超时，订单已失效", view_orders: "查看我的订单", close: "关闭", retry: "重试",
    status_reserved: "待支付", status_paid: "已支付", status_expired: "已过期", status_cancelled: "已取消",
    fulfil_pickup: "自提 · {store}", fulfil_delivery: "配送 · {store} 发货", amount: "金额", load_more: "加载更多",
    no_orders: "还没有订单", refresh: "刷新",
    err_sold_out: "手慢了，已经抢光了", err_limit_exceeded: "每人限购 {limit} 件，你已抢到 {held} 件",
    err_not_started: "秒杀还没开始，{t} 后开抢", err_ended: "秒杀已经结束了",
    err_no_stock_at_store: "这家门店库存不足，换一家附近门店：", err_rate_limited: "操作太频繁，请稍后重试",
    err_unavailable: "系统繁忙，请重试", err_network: "网络不给力，请重试", err_expired: "支付超时，订单已失效",
    err_invalid_request: "信息有误：{m}", err_unauthorized: "登录已过期，请刷新", err_other: "出错了：{m}",
    err_address: "请填写收货地址（1-200 字）", err_coords: "坐标无效：纬度 -85~85，经度 -180~180",
    err_pick_store: "请选择自提门店", err_muted: "你已被禁言", err_chat_rate: "发言太快了，歇一歇",
    room_ended: "直播已结束", watch_replay: "观看回放", replay_pending: "回放生成中…",
    room_waiting: "主播还未开播，稍等片刻", reconnecting: "正在重新连接…", bought: "{nick} 刚刚抢到了 {item}",
    nickname: "昵称", save: "保存", edit_nick: "修改昵称", lang: "EN", joined: "欢迎来到直播间！请文明发言",
    out_of_stock: "暂无现货", soon: "即将开抢",
    promise_genuine: "专柜正品", promise_pickup: "门店自提", promise_delivery: "就近门店发货",
  },
  en: {
    app_title: "Live", live_now: "Live now", replays: "Replays", no_rooms: "Nobody is live right now",
    my_orders: "My orders", live: "LIVE", replay: "Replay", viewers: "{n} watching", likes: "{n} likes",
    back: "Back", say_something: "Say something…", send: "Send", tap_unmute: "Tap to unmute",
    shelf: "Shop", shelf_title: "Products in this room", buy: "Buy", buy_now: "Grab it", view: "View",
    flash_sale: "Flash sale", starts_in: "Starts in {t}", ends_in: "Ends in {t}", sale_ended: "Ended",
    sold_out: "Sold out", left: "{n} left", limit: "Limit {n} per person", not_pinned: "Nothing pinned yet",
    pinned_now: "On air", quantity: "Quantity", pickup: "Store pickup", delivery: "Delivery",
    distance_km: "{d} km", store_left: "{n} left", store_sold_out: "Sold out", nearest_first: "Nearest first",
    address: "Delivery address", address_ph: "Street, number, district, city", coords: "Coordinates",
    use_location: "Use my location", lat: "Lat", lng: "Lng", submit_buy: "Buy now {amount}",
    origin_you: "from you", origin_store: "from the live store",
    reserved: "Stock reserved for you", pay_within: "Pay within {t}", pay: "Pay {amount}", cancel: "Cancel order",
    paid_ok: "Paid", paid_detail: "Paid, {where}", cancelled: "Order cancelled, stock returned",
    expired: "Payment window over, the order expired", view_orders: "See my orders", close: "Close", retry: "Retry",
    status_reserved: "To pay", status_paid: "Paid", status_expired: "Expired", status_cancelled: "Cancelled",
    fulfil_pickup: "Pickup · {store}", fulfil_delivery: "Delivery from {store}", amount: "Amount",
    load_more: "Load more", no_orders: "No orders yet", refresh: "Refresh",
    err_sold_out: "Too late: sold out", err_limit_exceeded: "Limit is {limit} per person; you already hold {held}",
    err_not_started: "Not started yet: opens in {t}", err_ended: "This flash sale has ended",
    err_no_stock_at_store: "Not enough stock at that store. Nearby stores that have it:",
    err_rate_limited: "Too many taps, retry in a moment", err_unavailable: "The service is busy, please retry",
    err_network: "Network trouble, please retry", err_expired: "Payment window over, the order expired",
    err_invalid_request: "Please check: {m}", err_unauthorized: "Session expired, reload the page",
    err_other: "Something went wrong: {m}", err_address: "Enter a delivery address (1-200 characters)",
    err_coords: "Invalid coordinates: lat -85..85, lng -180..180", err_pick_store: "Pick a store for pickup",
    err_muted: "You are muted in this room", err_chat_rate: "Slow down a little",
    room_ended: "The live has ended", watch_replay: "Watch the replay", replay_pending: "Replay is being prepared…",
    room_waiting: "The host is not live yet", reconnecting: "Reconnecting…", bought: "{nick} just got {item}",
    nickname: "Nickname", save: "Save", edit_nick: "Edit nickname", lang: "中文", joined: "Welcome! Be kind in the chat",
    out_of_stock: "Out of stock", soon: "Opens soon",
    promise_genuine: "Genuine, from the counter", promise_pickup: "Pick up in store", promise_delivery: "Shipped from the nearest store",
  },
};

let lang = prefs.get("lang") === "en" ? "en" : "zh";

export function currentLang() {
  return lang;
}

export function t(key, vars = {}) {
  const s = TABLE[lang][key] ?? TABLE.zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ""));
}

// Fill every [data-i18n] (text) and [data-i18n-ph] (placeholder) under root.
export function applyI18n(root = document) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-ph]").forEach((el) => { el.placeholder = t(el.dataset.i18nPh); });
}

export function toggleLang() {
  lang = lang === "zh" ? "en" : "zh";
  prefs.set("lang", lang);
  applyI18n();
  return lang;
}

// Money in fen -> "¥199" / "¥19.90"
export function yuan(cents) {
  const v = cents / 100;
  return "¥" + (Number.isInteger(v) ? String(v) : v.toFixed(2));
}

// Milliseconds -> "mm:ss" or "h:mm:ss"
export function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  return (h ? h + ":" + two(m) : two(m)) + ":" + two(sec);
}
