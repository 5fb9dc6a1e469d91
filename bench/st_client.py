"""A browser-less Streamlit session: the websocket protocol a browser tab speaks (protobuf BackMsg / ForwardMsg on
/_stcore/stream), enough to open a page, wait for its script run to finish and read what it showed (metrics,
exceptions). For the load test (bench/bench_load.py) against a real server; not part of the app.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect


@dataclass
class PageRun:
    """What one page visit showed: seconds from the request to the script's end, the metrics (label → value
    text), the exception messages, and whether the run finished (not stopped or rerun)."""
    seconds: float
    metrics: dict[str, str] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    finished: bool = False


class Session:
    """One tab: a websocket kept open across page visits, as a browser keeps it (the server's session state
    and its caches live for the connection)."""

    def __init__(self, port: int, cookie: str | None = None, timeout: float = 600.0):
        headers = {"Origin": f"http://127.0.0.1:{port}"}
        if cookie:
            headers["Cookie"] = cookie
        self.timeout = timeout
        self.ws = connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                          additional_headers=headers, max_size=None, open_timeout=60)

    def open(self, page: str) -> PageRun:
        """Open ``page`` (its url_path) and read the page's messages until its script run ends."""
        msg = BackMsg()
        msg.rerun_script.page_name = page
        msg.rerun_script.query_string = ""
        t0 = time.perf_counter()
        self.ws.send(msg.SerializeToString())
        run = PageRun(0.0)
        deadline = t0 + self.timeout
        while time.perf_counter() < deadline:
            fwd = ForwardMsg()
            fwd.ParseFromString(self.ws.recv(timeout=max(0.1, deadline - time.perf_counter())))
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                which = el.WhichOneof("type")
                if which == "metric":
                    run.metrics[el.metric.label] = el.metric.body
                elif which == "exception":
                    run.exceptions.append(el.exception.message)
                elif which == "heading":
                    run.titles.append(el.heading.body)
            elif kind == "script_finished":
                # 0 = finished successfully; a rerun (st.rerun) starts another run: keep reading
                status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                if status == "FINISHED_SUCCESSFULLY":
                    run.finished = True
                    break
                if status == "FINISHED_WITH_COMPILE_ERROR":
                    run.exceptions.append("compile error")
                    break
            elif kind == "page_not_found":
                run.exceptions.append(f"page not found: {page}")
        run.seconds = time.perf_counter() - t0
        return run

    def close(self) -> None:
        self.ws.close()
