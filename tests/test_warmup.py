"""The start-up warm-up: one websocket session runs the default page and its second pass."""

from __future__ import annotations

import asyncio

from ui import warmup


def _asks(url: str):
    """What a fresh session's first run of the default page asks for: the second pass, or nothing."""
    async def once():
        async with warmup.connect(url) as ws:
            return await warmup.run_page(ws, "")

    return asyncio.run(once())


def test_warmup_computes_the_default_view_for_every_later_session(server, capsys):
    widget, token = _asks(server)  # a fresh server: the page goes out without its analytics
    assert widget.endswith("pk_second_pass") and token
    assert warmup.main([server]) == 0
    assert "the default view is ready" in capsys.readouterr().err
    # a new session (another person) finds the analytics there: its page asks for no second pass
    assert _asks(server) is None


def test_warmup_gives_up_quietly_without_a_server(capsys, monkeypatch):
    monkeypatch.setattr(warmup, "_wait_healthy", lambda url, timeout: False)
    assert warmup.main(["http://127.0.0.1:9"]) == 1
    assert "did not answer" in capsys.readouterr().err
