// The host's monitor of a room that is live from elsewhere (OBS, ffmpeg, the demo's synthetic
// host, another tab): WHEP playback of the publisher's own packets (~0.1 s behind), recvonly.
import { gathered } from "./publisher.js";

export class Monitor {
  constructor(video, onState) {
    this.video = video;
    this.onState = onState;
    this.pc = null;
    this.media = null;
    this.location = null;
  }

  get active() { return this.pc !== null; }

  async start(whepUrl) {
    this.stop();
    const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
    this.pc = pc;
    const media = new MediaStream();
    this.media = media;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addEventListener("track", (e) => { media.addTrack(e.track); this.video.srcObject = media; });
    pc.addEventListener("connectionstatechange", () => {
      if (this.pc === pc) this.onState(pc.connectionState === "connected" ? "monitoring (WHEP)" : `monitor ${pc.connectionState}`);
    });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    if (this.pc !== pc) return; // stopped meanwhile
    const resp = await fetch(whepUrl, { method: "POST", body: pc.localDescription.sdp, headers: { "Content-Type": "application/sdp" } });
    const answer = await resp.text();
    if (resp.status !== 201) { if (this.pc === pc) this.stop(); return; }
    const location = new URL(resp.headers.get("Location"), whepUrl).href;
    if (this.pc !== pc) { fetch(location, { method: "DELETE" }).catch(() => {}); return; } // stopped meanwhile
    this.location = location;
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
  }

  stop() {
    const location = this.location;
    if (this.pc) this.pc.close();
    if (this.media && this.video.srcObject === this.media) this.video.srcObject = null; // the camera may own it now
    this.pc = null;
    this.media = null;
    this.location = null;
    if (location) fetch(location, { method: "DELETE" }).catch(() => {});
  }
}
