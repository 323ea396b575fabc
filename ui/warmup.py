"""Prepare the default view on a server that has just started, before anyone opens it.

    python -m ui.warmup http://localhost:8501

Opens one session on the dashboard's websocket, as a browser does, and runs the first page with
the default settings, then its second pass (the Monte Carlo, the permutations), exactly as the
page's last element asks for it. Everything those runs compute is cached for every session: the
level's data and geometry file, the scores, the analytics. The first person to open the link then
gets a warm server. ``geo serve`` starts it beside the server; it gives up quietly (with a line
on stderr) if the server does not answer.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request

def _wait_healthy(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return True
        except OSError:
            time.sleep(0.5)
    return False


def connect(url: str):
    """A session on the dashboard at ``url``, as a browser opens one (use with ``async with``)."""
    import websockets

    stream = url.replace("http://", "ws://", 1).replace("https://", "wss://", 1).rstrip("/") + "/_stcore/stream"
    return websockets.connect(stream, subprotocols=["streamlit"], max_size=None)


async def run_page(ws, query: str, widgets=None, on_frame=None):
    """One run of the page with ``query`` (and ``widgets``' states); ``on_frame`` gets every raw
    message. Returns the second pass's (widget id, token) if the page asks for one, else ``None``."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from ui import secondpass

    msg = BackMsg()
    msg.rerun_script.query_string = query
    if widgets:
        msg.rerun_script.widget_states.widgets.extend(widgets)
    await ws.send(msg.SerializeToString())
    ask = None
    while True:
        data = await asyncio.wait_for(ws.recv(), timeout=600)
        if on_frame is not None:
            on_frame(data)
        forward = ForwardMsg()
        forward.ParseFromString(data)
        kind = forward.WhichOneof("type")
        if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
            element = forward.delta.new_element
            if element.WhichOneof("type") == "component_instance" and \
                    element.component_instance.component_name.endswith(secondpass.NAME):
                pending = secondpass.pending_of(element.component_instance.json_args)
                ask = (element.component_instance.id, pending) if pending else None
        elif kind == "script_finished":
            return ask


async def warm(url: str, query: str = "") -> float:
    """Run the page at ``url`` (and its second pass) once; return the seconds it took."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    start = time.perf_counter()
    async with connect(url) as ws:
        ask = await run_page(ws, query)
        if ask:
            state = WidgetState(id=ask[0], json_value=json.dumps(ask[1]))
            await run_page(ws, query, [state])
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m ui.warmup URL [QUERY]", file=sys.stderr)
        return 2
    url, query = args[0], (args[1] if len(args) > 1 else "")
    if not _wait_healthy(url, timeout=120):
        print(f"warm-up: the dashboard at {url} did not answer; nothing prepared", file=sys.stderr)
        return 1
    try:
        seconds = asyncio.run(warm(url, query))
    except Exception as exc:  # the server went away, or speaks another protocol: the dashboard still works
        print(f"warm-up: could not prepare the default view ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    print(f"warm-up: the default view is ready ({seconds:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
