"""Chromium starts under Playwright and loads each page without a console error."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer


@pytest.mark.parametrize("path", ["/", "/console", "/ops"])
def test_page_loads_without_console_errors(module_server: LiveServer, new_page: Any, path: str) -> None:
    page = new_page()
    page.goto(module_server.base + path)
    page.wait_for_load_state("networkidle")
    assert page.title()
