"""The demo's synthetic host: ffmpeg's test pattern with the wall clock burned in and a tone,
published over WHIP exactly as a host's encoder would (H.264 1 s GOP, no B-frames, Opus)."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from stream_server.config import resolve_ffmpeg

__all__ = ["HostStream", "clock_filter"]

log = logging.getLogger(__name__)

_FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
          Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"))
SIZE, FPS = "640x360", 25


def clock_filter(font: Path | None) -> str | None:
    """drawtext with the local time (``%T`` has no colon to escape), or None without a font."""
    if font is None:
        return None
    return (f"drawtext=fontfile={font}:text='demo host  %{{localtime\\:%T}}':fontsize=34:fontcolor=white:"
            "box=1:boxcolor=black@0.55:boxborderw=10:x=(w-tw)/2:y=h-th-24")


def _font() -> Path | None:
    return next((f for f in _FONTS if f.exists()), None)


class HostStream:
    """One ffmpeg publisher; ``start()`` launches it, ``stop()`` asks it to hang up (WHIP DELETE)."""

    def __init__(self, whip_url: str, stream_key: str) -> None:
        self._url, self._key = whip_url, stream_key
        self.proc: asyncio.subprocess.Process | None = None
        self.clock = False

    def args(self) -> list[str]:
        drawtext = clock_filter(_font())
        self.clock = drawtext is not None
        video = ["-vf", drawtext] if drawtext else []
        return [resolve_ffmpeg(), "-hide_banner", "-loglevel", "error", "-re",
                "-f", "lavfi", "-i", f"testsrc2=size={SIZE}:rate={FPS}",
                "-f", "lavfi", "-i", "sine=frequency=440:beep_factor=4:sample_rate=48000",
                *video, "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", str(FPS),
                "-bf", "0", "-pix_fmt", "yuv420p", "-b:v", "900k",
                "-c:a", "libopus", "-b:a", "64k", "-ar", "48000", "-ac", "2",
                "-f", "whip", "-authorization", self._key, self._url]

    async def start(self) -> None:
        args = self.args()
        if not self.clock:
            log.warning("no DejaVu font found (Debian: fonts-dejavu-core): the demo stream has no clock")
        self.proc = await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.DEVNULL,
                                                         stdout=asyncio.subprocess.DEVNULL,
                                                         stderr=asyncio.subprocess.DEVNULL)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def stop(self, grace_s: float = 5.0) -> None:
        """SIGINT lets ffmpeg end the session itself; killed if it does not within ``grace_s``."""
        if self.proc is None:
            return
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), grace_s)
            except TimeoutError:
                self.proc.kill()
        await self.proc.wait()
