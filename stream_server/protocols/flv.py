"""HTTP-FLV out: the room's packets through one ffmpeg per room into FLV (H.264 + AAC) tags.

ffmpeg reads NUT on stdin (as the HLS packager's does) and writes FLV to stdout; the tags are
parsed and handed to ``LiveFlv``, which caches the last GOP and fans the bytes out to viewers.
H.264 is copied; VP8 (not carried by FLV) is encoded once to H.264 here; Opus becomes AAC, what the
WeChat mini-program ``<live-player>`` and mpegts.js play. A crashed ffmpeg is replaced after a
short backoff on a fresh keyframe; every ffmpeg is reaped before its run returns.
"""

from __future__ import annotations

import asyncio
import logging

import ffmpeg

from stream_server._flv_tags import TagReader
from stream_server._media import decode_keyframe
from stream_server._mux import NutMuxer
from stream_server._tasks import collect_stderr, finish_or_cancel, reap, stderr_tail
from stream_server.live_flv import LiveFlv
from stream_server.stream import Stream, Subscription
from stream_server.types import MediaPacket

__all__ = ["FlvPackager", "flv_command"]

log = logging.getLogger(__name__)

FEED_BACKLOG = 900
STALL_TIMEOUT_S = 5.0
MAX_BACKOFF_S = 5.0


def flv_command(binary: str, video_codec: str | None, has_audio: bool) -> list[str]:
    """NUT on stdin -> FLV on stdout, flushed after every packet (latency, not throughput)."""
    source = ffmpeg.input("pipe:0", f="nut", probesize=32, analyzeduration=0)
    codecs: dict[str, object] = {}
    if video_codec == "H264":
        codecs["c:v"] = "copy"
    elif video_codec is not None:
        codecs.update({"c:v": "libx264", "preset": "veryfast", "tune": "zerolatency", "pix_fmt": "yuv420p",
                       "g": 30, "bf": 0, "fps_mode": "passthrough"})
    if has_audio:
        codecs.update({"c:a": "aac", "b:a": "96k", "ac": 2, "ar": 48_000})
    out = ffmpeg.output(source, "pipe:1", f="flv", flvflags="no_duration_filesize", flush_packets=1, **codecs)
    return [binary, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning", *ffmpeg.get_args(out)]


class FlvPackager:
    def __init__(self, stream: Stream, flv: LiveFlv, ffmpeg_binary: str) -> None:
        self._stream = stream
        self._flv = flv
        self._ffmpeg = ffmpeg_binary
        self._task: asyncio.Task[None] | None = None
        self.restarts = 0
        self.pid: int | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"flv-{self._stream.room_id}")

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Waits for the run to end (the stream must be closed first); cancels it if stuck."""
        await finish_or_cancel(self._task, timeout_s)

    async def _supervise(self) -> None:
        backoff = 0.5
        while True:
            sub = self._stream.subscribe(tuple(self._stream.tracks), maxsize=FEED_BACKLOG)
            first = await sub.get()
            if first is None:
                return
            try:
                await self._run(sub, first)
            except OSError:
                log.exception("FLV packager of room %s could not start ffmpeg", self._stream.room_id)
            finally:
                sub.close()
            if self._stream.closed:
                return
            self.restarts += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _run(self, sub: Subscription, first: MediaPacket) -> None:
        video = self._stream.tracks.get("video")
        width = height = 0
        if video is not None:
            frame = await asyncio.to_thread(decode_keyframe, first.codec, first.data)
            if frame is not None:
                width, height = frame.width, frame.height
        cmd = flv_command(self._ffmpeg, video.codec if video else None, "audio" in self._stream.tracks)
        proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        self.pid = proc.pid
        stderr = bytearray()
        tasks = [asyncio.create_task(collect_stderr(proc, stderr)), asyncio.create_task(self._read(proc))]
        tasks[1].add_done_callback(lambda _: sub.close())  # output gone: stop feeding at once
        muxer = NutMuxer(self._stream.tracks, width, height)
        try:
            pkt: MediaPacket | None = first
            while pkt is not None and proc.stdin is not None:
                if data := muxer.mux(pkt):
                    proc.stdin.write(data)
                    await asyncio.wait_for(proc.stdin.drain(), STALL_TIMEOUT_S)
                pkt = await sub.get()
            if proc.returncode is None and proc.stdin is not None and self._stream.closed:
                proc.stdin.write(muxer.close())
                proc.stdin.close()
                await asyncio.wait_for(proc.wait(), STALL_TIMEOUT_S)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        finally:
            sub.close()
            await reap(proc)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if not self._stream.closed:
            log.warning("FLV ffmpeg of room %s exited with %s: %s", self._stream.room_id, proc.returncode,
                        stderr_tail(stderr))

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        """ffmpeg's FLV -> tags -> the room's viewers."""
        if proc.stdout is None:
            return
        reader = TagReader()
        while chunk := await proc.stdout.read(65536):
            had_header = reader.header is not None
            tags = reader.feed(chunk)
            if not had_header and reader.header is not None:
                self._flv.start_run(reader.header)
            self._flv.add_tags(tags)
