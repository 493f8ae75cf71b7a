"""RTMP ingest: one publisher's RTMP session turned into MediaPackets, by ffmpeg (no AMF parsing here).

ffmpeg terminates RTMP (``-listen 1`` on a private loopback port, one publisher per process) and
writes NUT to stdout: H.264 copied (Annex B, parameter sets before each keyframe, as WHIP delivers
it) and the audio as Opus, the codecs the room's packagers take from WHIP. ffmpeg names the stream
the publisher asked for in a warning ("Unexpected stream NAME"), which is how the room and key are
learnt. PyAV demuxes the NUT in a thread; packets reach the loop with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import threading
import time
from collections.abc import Callable
from fractions import Fraction

import av

from stream_server.types import AUDIO_TIME_BASE, VIDEO_TIME_BASE, Kind, MediaPacket, TrackInfo

__all__ = ["RtmpIngest"]

_STREAM = re.compile(r"Unexpected stream (\S+), expecting")
_BASES: dict[Kind, Fraction] = {"video": VIDEO_TIME_BASE, "audio": AUDIO_TIME_BASE}


class RtmpIngest:
    """What ``LiveRoom`` needs of an ingest: ``answer``, ``tracks``, ``sink``, ``request_keyframe``, ``close``."""

    def __init__(self, ffmpeg: str, port: int) -> None:
        self.port = port
        self.tracks: list[TrackInfo] = []
        self.sink: Callable[[MediaPacket], None] | None = None
        self.on_state: Callable[[str], None] = lambda _state: None
        self._loop = asyncio.get_running_loop()
        self.stream_name: asyncio.Future[str] = self._loop.create_future()
        self._opened: asyncio.Future[None] = self._loop.create_future()
        self._proc = subprocess.Popen(
            [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning",
             "-analyzeduration", "1000000", "-listen", "1", "-i", f"rtmp://127.0.0.1:{port}/live/_",
             "-map", "0:v?", "-map", "0:a?", "-c:v", "copy", "-bsf:v", "h264_mp4toannexb",
             "-c:a", "libopus", "-b:a", "96k", "-ar", "48000", "-ac", "2", "-f", "nut", "pipe:1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stderr: list[str] = []
        threading.Thread(target=self._read_stderr, daemon=True).start()
        threading.Thread(target=self._demux, daemon=True).start()

    def _set(self, fut: asyncio.Future[object], value: object, error: bool = False) -> None:
        def apply() -> None:
            if not fut.done():
                fut.set_exception(ConnectionError(str(value))) if error else fut.set_result(value)
        self._loop.call_soon_threadsafe(apply)

    def _read_stderr(self) -> None:
        if self._proc.stderr is None:
            return
        for raw in self._proc.stderr:
            line = raw.decode(errors="replace").strip()
            self.stderr = [*self.stderr[-20:], line]
            if match := _STREAM.search(line):
                self._set(self.stream_name, match.group(1))  # type: ignore[arg-type]

    def _demux(self) -> None:
        try:
            with av.open(self._proc.stdout, "r", format="nut") as container:
                kinds: dict[int, Kind] = {}
                for s in container.streams:
                    if s.type == "video" and s.codec_context.name == "h264":
                        kinds[s.index] = "video"
                        self.tracks.append(TrackInfo("video", "H264"))
                    elif s.type == "audio":
                        kinds[s.index] = "audio"
                        self.tracks.append(TrackInfo("audio", "opus"))
                self._set(self._opened, None)  # type: ignore[arg-type]
                self._packets(container, kinds)
        except (av.FFmpegError, OSError, ValueError) as exc:
            self._set(self._opened, f"no media: {exc} {self.stderr[-3:]}", error=True)  # type: ignore[arg-type]
        finally:
            self._loop.call_soon_threadsafe(self.on_state, "closed")

    def _packets(self, container: av.container.InputContainer, kinds: dict[int, Kind]) -> None:
        epoch: float | None = None
        last: dict[Kind, int] = {}
        for packet in container.demux():
            kind = kinds.get(packet.stream.index)
            if kind is None or packet.pts is None or packet.time_base is None or packet.size == 0:
                continue
            seconds = float(packet.pts * packet.time_base)
            epoch = seconds if epoch is None else epoch
            pts = round((seconds - epoch) / _BASES[kind])
            if pts <= last.get(kind, -1):
                continue
            last[kind] = pts
            mp = MediaPacket(kind, "H264" if kind == "video" else "opus", bytes(packet), pts, _BASES[kind],
                             packet.is_keyframe and kind == "video", time.monotonic())
            self._loop.call_soon_threadsafe(self._deliver, mp)

    def _deliver(self, packet: MediaPacket) -> None:
        if self.sink is not None:
            self.sink(packet)

    async def answer(self, offer: str) -> str:
        """Waits for ffmpeg's first output (the publisher's tracks); there is nothing to answer."""
        await asyncio.wait_for(self._opened, 15)
        if not self.tracks:
            raise ConnectionError("no usable track (H.264 video or any audio)")
        return ""

    def request_keyframe(self) -> None:
        """RTMP has no way to ask: publishers send keyframes on their own interval (1-2 s asked)."""

    async def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                await asyncio.to_thread(self._proc.wait, 3)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self._proc.kill()
                await asyncio.to_thread(self._proc.wait)
