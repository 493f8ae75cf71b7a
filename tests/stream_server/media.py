"""Real media clients for the stream-server tests, in one place: publishers (ffmpeg's WHIP muxer,
aiortc), a WHEP viewer (aiortc), and a decoder that checks what HLS serves."""

from __future__ import annotations

import asyncio
import fractions
import io
import math
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from stream_server.config import resolve_ffmpeg

WIDTH, HEIGHT, FPS = 320, 240, 15


async def wait_until(check: Callable[[], Awaitable[Any]], within: float = 10.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(interval)


async def pinned_session(base: str, worker: str) -> aiohttp.ClientSession:
    """A session whose one keep-alive connection is answered by ``worker`` of ``serve --workers``
    (connections are reopened until SO_REUSEPORT hands one to it)."""
    for _ in range(100):
        s = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
        async with s.get(base + "/healthz") as r:
            await r.read()
            if r.headers.get("X-LC-Worker") == worker:
                return s
        await s.close()
    raise AssertionError(f"no connection reached worker {worker}")


def ffmpeg_publish_args(url: str, key: str | None, seconds: float, size: str = f"{WIDTH}x{HEIGHT}",
                        fps: int = FPS) -> list[str]:
    """A test pattern and a tone, H.264 (1 s GOP, no B-frames) + Opus, to a WHIP endpoint."""
    args = [resolve_ffmpeg(), "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", f"testsrc=size={size}:rate={fps}",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
            "-g", str(fps), "-bf", "0", "-pix_fmt", "yuv420p",
            "-c:a", "libopus", "-b:a", "48k", "-ar", "48000", "-ac", "2", "-f", "whip"]
    if key is not None:
        args += ["-authorization", key]
    return [*args, url]


class FfmpegPublisher:
    """ffmpeg's ``-f whip`` muxer, as a host would run it."""

    def __init__(self, url: str, key: str | None, seconds: float = 30.0) -> None:
        self.args = ffmpeg_publish_args(url, key, seconds)
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> FfmpegPublisher:
        self.proc = await asyncio.create_subprocess_exec(*self.args, stdin=asyncio.subprocess.DEVNULL,
                                                         stdout=asyncio.subprocess.DEVNULL,
                                                         stderr=asyncio.subprocess.PIPE)
        return self

    async def stop(self) -> int:
        """SIGINT: ffmpeg ends the session itself (WHIP DELETE)."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
        return await asyncio.wait_for(self.proc.wait(), 15)

    async def kill(self) -> None:
        """The publisher vanishes: no DELETE, no DTLS close."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()

    async def stderr(self) -> str:
        assert self.proc is not None and self.proc.stderr is not None
        return (await self.proc.stderr.read()).decode(errors="replace")


class PatternTrack(VideoStreamTrack):
    """A moving gradient at WIDTH x HEIGHT, FPS."""

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    async def recv(self) -> av.VideoFrame:
        await asyncio.sleep(1 / FPS)
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        luma = bytes(((x + self.n * 4) & 0xFF) for x in range(WIDTH)) * HEIGHT
        frame.planes[0].update(luma)
        frame.planes[1].update(bytes([128]) * (WIDTH * HEIGHT // 4))
        frame.planes[2].update(bytes([128]) * (WIDTH * HEIGHT // 4))
        frame.pts = self.n * (90_000 // FPS)
        frame.time_base = fractions.Fraction(1, 90_000)
        self.n += 1
        return frame


class ToneTrack(AudioStreamTrack):
    """A 440 Hz tone, 20 ms frames, 48 kHz mono s16."""

    def __init__(self) -> None:
        super().__init__()
        self.samples = 0
        self.start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.start is None:
            self.start = time.monotonic()
        wait = self.start + self.samples / 48_000 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        n = 960
        pcm = b"".join(int(8000 * math.sin(2 * math.pi * 440 * (self.samples + i) / 48_000)).to_bytes(2, "little",
                       signed=True) for i in range(n))
        frame = av.AudioFrame(format="s16", layout="mono", samples=n)
        frame.planes[0].update(pcm)
        frame.sample_rate = 48_000
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, 48_000)
        self.samples += n
        return frame


def _pc() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def _prefer(pc: RTCPeerConnection, kind: str, codec: str) -> None:
    caps = RTCRtpSender.getCapabilities(kind).codecs
    for t in pc.getTransceivers():
        if t.kind == kind:
            t.setCodecPreferences([c for c in caps if c.name == codec])


async def _exchange(session: aiohttp.ClientSession, pc: RTCPeerConnection, url: str,
                    headers: dict[str, str]) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    async with session.post(url, data=pc.localDescription.sdp,
                            headers={"Content-Type": "application/sdp", **headers}) as resp:
        body = await resp.text()
        if resp.status != 201:
            raise RuntimeError(f"{resp.status}: {body}")
        location = resp.headers["Location"]
    await pc.setRemoteDescription(RTCSessionDescription(body, "answer"))
    return location


class AiortcPublisher:
    """A WebRTC publisher like a browser console: VP8 or H.264 video plus Opus."""

    def __init__(self, url: str, key: str, video_codec: str = "VP8") -> None:
        self.url, self.key, self.codec = url, key, video_codec
        self.pc = _pc()
        self.location: str | None = None

    async def start(self, session: aiohttp.ClientSession) -> AiortcPublisher:
        self.pc.addTrack(PatternTrack())
        self.pc.addTrack(ToneTrack())
        _prefer(self.pc, "video", self.codec)
        self.location = await _exchange(session, self.pc, self.url, {"Authorization": f"Bearer {self.key}"})
        return self

    async def close(self) -> None:
        await self.pc.close()


class WhepViewer:
    """A WebRTC viewer that decodes what it receives and counts frames per kind."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pc = _pc()
        self.frames: dict[str, int] = {"audio": 0, "video": 0}
        self.first_frame_at: float | None = None
        self.size: tuple[int, int] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.location: str | None = None

    async def start(self, session: aiohttp.ClientSession) -> WhepViewer:
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.on("track", lambda track: self._tasks.append(asyncio.ensure_future(self._consume(track))))
        self.location = await _exchange(session, self.pc, self.url, {})
        return self

    async def _consume(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.frames[track.kind] += 1
            if track.kind == "video":
                self.size = (frame.width, frame.height)
                if self.first_frame_at is None:
                    self.first_frame_at = time.monotonic()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()


def decode_segment(data: bytes) -> dict[str, Any]:
    """Decode a whole MPEG-TS segment: frames per kind, codecs, video size (the ffprobe check)."""
    out: dict[str, Any] = {"video": 0, "audio": 0, "codecs": {}, "size": None}
    with av.open(io.BytesIO(data), format="mpegts") as container:
        for stream in container.streams:
            out["codecs"][stream.type] = stream.codec_context.name
        for frame in container.decode(*container.streams):
            if isinstance(frame, av.VideoFrame):
                out["video"] += 1
                out["size"] = (frame.width, frame.height)
            elif isinstance(frame, av.AudioFrame):
                out["audio"] += 1
    return out
