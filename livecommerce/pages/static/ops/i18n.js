// The ops page's words in English and Chinese; the choice is kept in localStorage.

export const WORDS = {
  en: {
    title: "livecommerce · ops", signIn: "Sign in", signOut: "Sign out", tokenHint: "Paste an ops token",
    tokenHelp: "Mint one with: livecommerce token --role ops", badToken: "That token is not an ops token",
    noToken: "Token refused (expired or for another server)", offline: "Server unreachable, retrying…",
    updated: "updated", roomsLive: "Rooms live", ledgerLag: "Ledger lag", buyRate: "Buy attempts/s",
    buyP50: "Buy p50", buyP99: "Buy p99", paid: "Orders paid", expired: "Orders expired", health: "Health",
    chBuys: "Buy attempts per second, by outcome", chLatency: "Buy latency (ms)",
    chStock: "Remaining stock per live sale", chViewers: "Viewers per room", chRooms: "Rooms live and ledger lag",
    chIngest: "Ingest frames per second, per room", chLoad: "Load test: req/s and users",
    loadTest: "Load test", none: "none running", rooms: "Rooms", sales: "Live sales",
    thRoom: "Room", thStore: "Store", thTitle: "Title", thStatus: "Status", thViewers: "Viewers",
    thFps: "fps", thBitrate: "kbit/s", thAge: "Last media", thPlayers: "HLS / FLV / WHEP",
    thSale: "Sale", thSku: "SKU", thAllocated: "Allocated", thRemaining: "Remaining", thReserved: "Reserved",
    thSold: "Sold", thByStore: "Remaining by store", thBalanced: "Books",
    noRooms: "No rooms yet", noSales: "No live sales", lag: "lag", live: "rooms live",
    users: "users", rps: "req/s", failures: "failures",
  },
  zh: {
    title: "livecommerce · 运维", signIn: "登录", signOut: "退出", tokenHint: "粘贴运维令牌",
    tokenHelp: "生成令牌: livecommerce token --role ops", badToken: "这不是运维令牌",
    noToken: "令牌被拒绝(已过期或属于其他服务器)", offline: "无法连接服务器,正在重试…",
    updated: "更新于", roomsLive: "直播中房间", ledgerLag: "账本延迟", buyRate: "每秒抢购请求",
    buyP50: "抢购 p50", buyP99: "抢购 p99", paid: "已支付订单", expired: "已过期订单", health: "健康状态",
    chBuys: "每秒抢购请求(按结果)", chLatency: "抢购延迟(毫秒)",
    chStock: "每场秒杀剩余库存", chViewers: "各房间观众数", chRooms: "直播房间数与账本延迟",
    chIngest: "各房间推流帧率", chLoad: "压测:每秒请求与用户数",
    loadTest: "压测", none: "未在运行", rooms: "直播间", sales: "进行中的秒杀",
    thRoom: "房间", thStore: "门店", thTitle: "标题", thStatus: "状态", thViewers: "观众",
    thFps: "帧率", thBitrate: "千比特/秒", thAge: "最近媒体", thPlayers: "HLS / FLV / WHEP",
    thSale: "秒杀", thSku: "商品", thAllocated: "分配", thRemaining: "剩余", thReserved: "已预留",
    thSold: "已售", thByStore: "各门店剩余", thBalanced: "账目",
    noRooms: "暂无房间", noSales: "暂无秒杀", lag: "延迟", live: "直播中",
    users: "用户", rps: "请求/秒", failures: "失败",
  },
};

export const OUTCOMES = {
  en: { reserved: "reserved", duplicate: "duplicate", sold_out: "sold out", limit_exceeded: "over limit",
    not_started: "not started", ended: "ended", no_stock_at_store: "none at store", rate_limited: "rate limited",
    not_found: "not found", error: "error" },
  zh: { reserved: "抢到", duplicate: "重复", sold_out: "售罄", limit_exceeded: "超限", not_started: "未开始",
    ended: "已结束", no_stock_at_store: "门店无货", rate_limited: "限流", not_found: "不存在", error: "错误" },
};
