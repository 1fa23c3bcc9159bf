"""Headless Chromium for the report's browser test: Debian's chromium package (`make browser` installs
it; Playwright's own browser download cannot run here), driven by Playwright's Python client."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

# Without the background-networking flags Chromium calls Google's hosts at start (refused offline).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = os.environ.get("IDCENSUS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("no Chromium found: run `make browser` (apt-get install chromium) or set IDCENSUS_CHROMIUM")
    return path


@contextmanager
def browser_page(width: int = 1400, height: int = 900):
    """A fresh page, and what it did: console errors, page errors and every URL it requested."""
    from playwright.sync_api import sync_playwright

    seen = {"errors": [], "requests": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))
            page.on("request", lambda r: seen["requests"].append(r.url))
            yield page, seen
        finally:
            browser.close()
