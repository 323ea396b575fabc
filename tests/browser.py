"""Helpers for real-browser tests: a dashboard server and a Chromium that cannot reach the internet."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def need_browser():
    """The Playwright sync API, or skip (fail when REQUIRE_BROWSER is set) without Chromium."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (REQUIRE_BROWSER is set) but not installed")
        pytest.skip("Chromium not installed")
    return pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dashboard(script: Path = ROOT / "app.py", env: dict | None = None, cwd: Path | None = None):
    """Start ``streamlit run`` on a free port (from ``cwd``, default the project root); yield its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=cwd or ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            proc.kill()
            pytest.fail("the dashboard did not start: " + proc.stdout.read().decode()[-2000:])
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def block_internet(page, blocked: list[str]) -> None:
    """Abort every request that would leave this machine, and record it."""

    def route(r):
        url = r.request.url
        if url.startswith(("data:", "blob:", "file:")) or urlparse(url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)


def map_frame(page, timeout: float = 60.0):
    """The frame holding the Leaflet map (with the district layer drawn)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate("() => !!(window.PK && window.PK.districts)"):
                    return frame
            except Exception:  # frames come and go while Streamlit renders
                pass
        time.sleep(0.25)
    pytest.fail("no map frame with districts appeared")


def message_kind(payload: bytes) -> str:
    """What a Streamlit websocket frame carries: "map" (the live map), "component" (another
    component), "table", "reference" (an element the browser already holds), "other"."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from ui import livemap

    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload)
    except Exception:  # not a ForwardMsg
        return "other"
    if msg.WhichOneof("type") == "ref_hash":
        return "reference"
    if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
        element = msg.delta.new_element.WhichOneof("type")
        if element == "component_instance" and msg.delta.new_element.component_instance.component_name.endswith(
                "." + livemap.NAME):
            return "map"
        if element in ("component_instance", "iframe", "bidi_component"):
            return "component"
        if element in ("dataframe", "table", "arrow_data_frame", "arrow_table", "data_frame", "arrow_dataframe"):
            return "table"
    return "other"


def settle(page, ms: int = 1500) -> None:
    """Wait until Streamlit has finished the current run and the page's second pass, if it has one."""
    page.wait_for_timeout(500)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)
    page.locator(".pk-pending").wait_for(state="detached", timeout=120_000)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)
    page.wait_for_timeout(ms)


def download(page, button, path: Path) -> Path:
    """Save what the download ``button`` (a locator) gives to ``path``, once the page has settled:
    the second pass sends the buttons again, their files then with the rank intervals, and a click
    on the first pass's button may give nothing."""
    button.wait_for(timeout=120_000)
    settle(page)
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=120_000) as info:
        button.click()
    info.value.save_as(path)
    return path


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
