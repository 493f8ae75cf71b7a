// Camera/microphone preview and WHIP publishing (RFC 9725): one sendonly RTCPeerConnection, the
// offer POSTed once ICE gathering is complete (the server does not take trickle ICE), the session's
// Location kept and DELETEd to stop. H.264 is preferred (the server copies it), VP8 otherwise.

const GATHER_TIMEOUT_MS = 4000;

// Why a WHIP POST failed, in the host's words (the server's own message follows).
const WHIP_ERRORS = {
  401: "The stream key was refused (wrong or missing key).",
  404: "This room does not exist any more.",
  409: "This room is already live from another encoder, or it has ended.",
  503: "The server is at capacity: no room for another live stream right now.",
};

export class WhipError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function listDevices() {
  const all = await navigator.mediaDevices.enumerateDevices();
  return { cams: all.filter((d) => d.kind === "videoinput"), mics: all.filter((d) => d.kind === "audioinput") };
}

export async function openCamera(camId, micId) {
  return navigator.mediaDevices.getUserMedia({
    video: { deviceId: camId ? { exact: camId } : undefined, width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
    audio: { deviceId: micId ? { exact: micId } : undefined, echoCancellation: true, noiseSuppression: true },
  });
}

function videoCodecOrder() {
  const caps = (RTCRtpSender.getCapabilities && RTCRtpSender.getCapabilities("video")) || { codecs: [] };
  const h264 = caps.codecs.filter((c) => c.mimeType.toLowerCase() === "video/h264")
    .sort((a, b) => score(b) - score(a));
  const vp8 = caps.codecs.filter((c) => c.mimeType.toLowerCase() === "video/vp8");
  return [...h264, ...vp8];
}

// packetization-mode=1 and constrained baseline first: what every H.264 depacketizer takes
function score(c) {
  const f = c.sdpFmtpLine || "";
  return (f.includes("packetization-mode=1") ? 2 : 0) + (f.includes("profile-level-id=42e01f") ? 1 : 0);
}

export function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") { pc.removeEventListener("icegatheringstatechange", done); resolve(); } };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHER_TIMEOUT_MS); // send what was gathered: host candidates come first
  });
}

export class Publisher {
  constructor({ onState, onStats }) {
    this.onState = onState;
    this.onStats = onStats;
    this.pc = null;
    this.location = null;
    this.timer = 0;
    this.last = null;
  }

  get active() { return this.pc !== null; }

  async start(stream, whipUrl, streamKey) {
    const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
    this.pc = pc;
    pc.addEventListener("connectionstatechange", () => this.onState(pc.connectionState));
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    const video = pc.getTransceivers().find((t) => t.sender.track && t.sender.track.kind === "video");
    const order = videoCodecOrder();
    if (video && order.length && video.setCodecPreferences) video.setCodecPreferences(order);
    try {
      await pc.setLocalDescription(await pc.createOffer());
      this.onState("gathering");
      await gathered(pc);
      this.onState("offering");
      const resp = await fetch(whipUrl, {
        method: "POST", body: pc.localDescription.sdp,
        headers: { "Content-Type": "application/sdp", Authorization: `Bearer ${streamKey}` },
      });
      const text = await resp.text();
      if (resp.status !== 201) {
        let detail = "";
        try { detail = JSON.parse(text).error.message; } catch { detail = text.slice(0, 200); }
        throw new WhipError(resp.status, `${WHIP_ERRORS[resp.status] || `WHIP failed (${resp.status}).`} ${detail}`.trim());
      }
      this.location = new URL(resp.headers.get("Location"), whipUrl).href;
      await pc.setRemoteDescription({ type: "answer", sdp: text });
    } catch (e) {
      this.close();
      throw e;
    }
    this.timer = setInterval(() => this.sample(), 1000);
  }

  async sample() {
    if (!this.pc) return;
    const report = await this.pc.getStats();
    let out = null, codec = "";
    report.forEach((s) => { if (s.type === "outbound-rtp" && s.kind === "video") out = s; });
    if (!out) return;
    const c = out.codecId && report.get(out.codecId);
    if (c) codec = c.mimeType.split("/")[1];
    const now = out.timestamp, bytes = out.bytesSent;
    const kbps = this.last ? (8 * (bytes - this.last.bytes)) / (now - this.last.now) : 0;
    this.last = { now, bytes };
    this.onStats({ kbps, codec, width: out.frameWidth, height: out.frameHeight, fps: out.framesPerSecond });
  }

  // Hang up: DELETE the session (the room ends on the server), then close the connection.
  async stop() {
    const location = this.location;
    this.close();
    if (location) {
      try { await fetch(location, { method: "DELETE" }); } catch { /* the server ends it after 3 s of silence */ }
    }
  }

  close() {
    clearInterval(this.timer);
    if (this.pc) this.pc.close();
    this.pc = null;
    this.location = null;
    this.last = null;
    this.onState("closed");
  }
}
