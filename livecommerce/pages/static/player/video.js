// The room's video: HTTP-FLV through mpegts.js where MSE can play it (1-2 s behind the host),
// else HLS through hls.js, else the browser's native HLS; replays as seekable HLS VOD.
// Errors and stalls tear the player down and build it again, with a growing pause.
/* global mpegts, Hls */

const STALL_MS = 6000;

// What the page tells tests and the curious (window.__lcPlayer): engine, timings, decode stats.
export const stats = { mode: null, createdAt: 0, firstFrameAt: 0, reconnects: 0, hasAudio: null, audioBytes: 0 };
window.__lcPlayer = stats;

export function pickMode(forced) {
  const flvOk = typeof mpegts !== "undefined" && mpegts.getFeatureList().mseLivePlayback;
  const hlsJsOk = typeof Hls !== "undefined" && Hls.isSupported();
  const native = document.createElement("video").canPlayType("application/vnd.apple.mpegurl") !== "";
  if (forced === "native" && native) return "native";
  if (forced === "hls") return hlsJsOk ? "hls" : native ? "native" : null;
  if (flvOk) return "flv";
  return hlsJsOk ? "hls" : native ? "native" : null;
}

function quietMpegts() {
  // mpegts.js logs recoverable trouble with console.error; we handle it (reconnect), so it is a warning
  mpegts.LoggingControl.applyConfig({ ...mpegts.LoggingControl.getConfig(), enableVerbose: false,
    enableDebug: false, enableInfo: false, enableWarn: false, enableError: false });
}

function watchFirstFrame(video) {
  const mark = () => { if (!stats.firstFrameAt) stats.firstFrameAt = performance.now(); };
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(mark);
  else video.addEventListener("playing", mark, { once: true });
}

function engine(video, mode, playback, onFatal) {
  stats.mode = mode;
  stats.createdAt = performance.now();
  stats.firstFrameAt = 0;
  watchFirstFrame(video);
  if (mode === "flv") {
    quietMpegts();
    const p = mpegts.createPlayer({ type: "flv", isLive: true, url: playback.flv }, {
      enableWorker: true, enableStashBuffer: false, lazyLoad: false, autoCleanupSourceBuffer: true,
      // jump ahead when more than 1.5 s behind what is buffered; below that, play at 1.2x down to 0.5 s
      liveBufferLatencyChasing: true, liveBufferLatencyMaxLatency: 1.5, liveBufferLatencyMinRemain: 0.5,
      liveSync: true, liveSyncMaxLatency: 0.9, liveSyncTargetLatency: 0.5, liveSyncPlaybackRate: 1.2,
    });
    p.on(mpegts.Events.ERROR, () => onFatal());
    p.on(mpegts.Events.LOADING_COMPLETE, () => onFatal());
    p.on(mpegts.Events.MEDIA_INFO, (info) => { stats.hasAudio = !!info.hasAudio; });
    p.attachMediaElement(video);
    p.load();
    return () => { try { p.pause(); p.unload(); p.detachMediaElement(); p.destroy(); } catch { /* gone */ } };
  }
  if (mode === "hls") {
    const h = new Hls({ lowLatencyMode: true, liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 5,
      maxLiveSyncPlaybackRate: 1.2, backBufferLength: 10, manifestLoadingMaxRetry: 4 });
    h.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) h.recoverMediaError();
      else onFatal();
    });
    h.loadSource(playback.hls);
    h.attachMedia(video);
    return () => h.destroy();
  }
  video.src = playback.hls;  // native HLS (iOS, WeChat on iOS)
  const err = () => onFatal();
  video.addEventListener("error", err);
  return () => { video.removeEventListener("error", err); video.removeAttribute("src"); video.load(); };
}

// A live player that keeps itself going until stop(); onState("playing"|"reconnecting").
export function playLive(video, playback, { forced, onState = () => {} } = {}) {
  const mode = pickMode(forced);
  let teardown = null, stopped = false, retryTimer = 0, backoff = 500;
  let lastTime = -1, lastMove = performance.now();
  video.muted = true;
  video.controls = false;

  const start = () => {
    if (stopped) return;
    teardown = engine(video, mode, playback, restart);
    video.play().catch(() => {});
  };
  function restart() {
    if (stopped || retryTimer) return;
    onState("reconnecting");
    stats.reconnects += 1;
    if (teardown) teardown();
    teardown = null;
    retryTimer = setTimeout(() => { retryTimer = 0; start(); }, backoff);
    backoff = Math.min(backoff * 2, 8000);
  }
  const watchdog = setInterval(() => {
    stats.audioBytes = video.webkitAudioDecodedByteCount || 0;
    if (video.currentTime !== lastTime) {
      if (lastTime >= 0 && video.currentTime > lastTime) { backoff = 500; onState("playing"); }
      lastTime = video.currentTime;
      lastMove = performance.now();
    } else if (!video.paused && performance.now() - lastMove > STALL_MS) {
      lastMove = performance.now();
      restart();
    } else if (video.paused && video.readyState >= 2) {
      video.play().catch(() => {});
    }
  }, 1000);
  start();
  return {
    mode,
    stop() {
      stopped = true;
      clearInterval(watchdog);
      clearTimeout(retryTimer);
      if (teardown) teardown();
    },
  };
}

// A replay: the room's recording as VOD, with the native controls to seek.
export function playReplay(video, url) {
  stats.mode = "replay";
  video.controls = true;
  video.muted = true;
  let h = null;
  if (typeof Hls !== "undefined" && Hls.isSupported()) {
    h = new Hls({ enableWorker: true });
    h.on(Hls.Events.ERROR, (_e, data) => {
      if (data.fatal && data.type === Hls.ErrorTypes.MEDIA_ERROR) h.recoverMediaError();
    });
    h.loadSource(url);
    h.attachMedia(video);
  } else {
    video.src = url;
  }
  video.play().catch(() => {});
  return { mode: "replay", stop() { if (h) h.destroy(); else { video.removeAttribute("src"); video.load(); } } };
}
