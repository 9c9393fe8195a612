"""A scripted ECR JSON endpoint on 127.0.0.1: each operation answers what a test says.

botocore's Stubber checks the answers it is given against the model, so it cannot give
the answers these tests are about (an empty body, a list, a missing name, a timestamp out
of range); this server can.  It speaks the JSON protocol over HTTP (``X-Amz-Target``),
records every request, and answers an operation nobody scripted with HTTP 400.
"""

from __future__ import annotations

import http.server
import itertools
import json
from collections.abc import Callable
from typing import Any

from tests.netutil import Served, free_port

Answer = tuple[int, bytes]  # HTTP status, body
Script = Callable[[dict[str, Any]], Answer]


def ok(data: Any) -> Answer:
    return 200, json.dumps(data).encode()


class ScriptedEcr(Served):
    """``ScriptedEcr({"DescribeRepositories": script, ...})``; ``calls`` lists
    (operation, request body) in order."""

    def __init__(self, scripts: dict[str, Script]) -> None:
        self.scripts = scripts
        self.calls: list[tuple[str, dict[str, Any]]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                operation = str(self.headers.get("X-Amz-Target", "")).rpartition(".")[2]
                body = json.loads(raw or b"{}")
                outer.calls.append((operation, body))
                script = outer.scripts.get(operation)
                if script is None:
                    status, answer = 400, json.dumps({
                        "__type": "InvalidParameterException",
                        "message": f"{operation} is not scripted"}).encode()
                else:
                    status, answer = script(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.calls]


def cycling(pages: list[tuple[list[Any], str | None]], key: str, most: int = 50) -> Script:
    """Answer the pages in turn, (items, nextToken) each, and again from the first: a
    token that repeats (one page) or alternates (two).  After ``most`` answers, an error:
    a client that would loop forever fails instead of hanging the test."""
    answered = itertools.cycle(pages)
    count = itertools.count(1)

    def script(body: dict[str, Any]) -> Answer:
        if next(count) > most:
            return 400, json.dumps({"__type": "LimitExceededException",
                                    "message": "looping: too many calls"}).encode()
        found, token = next(answered)
        data: dict[str, Any] = {key: found}
        if token:
            data["nextToken"] = token
        return ok(data)

    return script
