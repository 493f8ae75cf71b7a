"""Chat moderation in one place: per-user flood limit, banned words, muted users."""

from __future__ import annotations

import os
import re
import time
from collections import deque
from pathlib import Path

__all__ = ["ChatGuard", "load_banned_words"]

_DEFAULT_BANNED = ("傻逼", "fuck", "shit", "微信转账", "加我微信")


def load_banned_words() -> tuple[str, ...]:
    """``LC_BANNED_WORDS_FILE`` (one word a line) if set, else a small built-in list."""
    path = os.environ.get("LC_BANNED_WORDS_FILE")
    if path:
        return tuple(w.strip() for w in Path(path).read_text(encoding="utf-8").splitlines() if w.strip())
    return _DEFAULT_BANNED


class ChatGuard:
    def __init__(self, per_10s: int, banned: tuple[str, ...]) -> None:
        self._per_10s = per_10s
        self._recent: dict[str, deque[float]] = {}
        self._pattern = re.compile("|".join(re.escape(w) for w in banned), re.IGNORECASE) if banned else None

    def allow(self, user_id: str) -> bool:
        """Sliding window: at most ``per_10s`` chats in any 10 s from one user (this process)."""
        now = time.monotonic()
        window = self._recent.setdefault(user_id, deque())
        while window and window[0] <= now - 10:
            window.popleft()
        if len(window) >= self._per_10s:
            return False
        window.append(now)
        if len(self._recent) > 50_000:  # forget idle users so the map stays bounded
            for uid in [u for u, w in self._recent.items() if not w or w[-1] <= now - 10]:
                del self._recent[uid]
        return True

    def clean(self, text: str) -> str:
        text = " ".join(text.split())  # no control characters or runs of blank lines on screen
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: "*" * len(m.group(0)), text)
