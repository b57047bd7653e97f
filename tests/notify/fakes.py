"""Test doubles for delivery backends and a local HTTP receiver."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asgiref.testing import ApplicationCommunicator


class FlakySms:
    """An SMS backend that fails the next `fail_next` sends, then records each one."""

    fail_next = 0
    sent: list[tuple[str, str, int]] = []

    @classmethod
    def reset(cls) -> None:
        cls.fail_next = 0
        cls.sent = []

    def send(self, *, to: str, text: str, id: int) -> None:
        if FlakySms.fail_next:
            FlakySms.fail_next -= 1
            raise ConnectionError("gateway down")
        FlakySms.sent.append((to, text, id))


class Receiver:
    """A real HTTP server on 127.0.0.1 recording POSTs; answers with queued statuses."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                payload = json.dumps({"ok": status < 300}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebsocketClient(ApplicationCommunicator):
    """A WebSocket client speaking ASGI to an application in-process.

    channels.testing would do, but importing it needs daphne, which the
    project does not install.
    """

    def __init__(self, application, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        super().__init__(
            application,
            {
                "type": "websocket",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "headers": headers,
                "subprotocols": [],
                "client": ("127.0.0.1", 50000),
                "server": ("testserver", 80),
            },
        )

    async def connect(self, timeout: float = 2) -> bool:
        await self.send_input({"type": "websocket.connect"})
        answer = await self.receive_output(timeout)
        return answer["type"] == "websocket.accept"

    async def receive_json(self, timeout: float = 2) -> dict:
        answer = await self.receive_output(timeout)
        assert answer["type"] == "websocket.send", answer
        return json.loads(answer["text"])

    async def disconnect(self, timeout: float = 2) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(timeout)


async def http_get(application, path: str) -> tuple[int, bytes]:
    """One GET through an ASGI application: (status, body)."""
    communicator = ApplicationCommunicator(
        application,
        {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "scheme": "http",
        },
    )
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(5)
    body = b""
    while True:
        message = await communicator.receive_output(5)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(1)
    return start["status"], body
