"""A local stand-in for a provider's API, and a check of what reached it against the vendor's spec.

The real twilio and sendgrid SDKs are pointed at `FakeProvider.url` through the provider base URL
settings; every request they make is recorded and can be validated with `assert_matches_spec`.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPECS = Path(__file__).resolve().parents[1] / "vendor_specs"


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True)

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    status: int
    body: str | dict | list = ""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer: the client times out


class FakeProvider:
    """Answers with the first matching reply; records every request it receives."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: list[tuple[str, re.Pattern, Reply]] = []
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                fake.requests.append(
                    Recorded(
                        self.command,
                        parts.path,
                        parts.query,
                        {name.lower(): value for name, value in self.headers.items()},
                        self.rfile.read(length),
                    )
                )
                reply = fake.reply_for(self.command, parts.path)
                if reply.hang:
                    fake._release.wait(10)
                    return
                body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            do_GET = do_POST = do_DELETE = do_PUT = _serve

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def on(self, method: str, path_pattern: str, reply: Reply) -> None:
        """Answer requests whose path matches `path_pattern` (a regex) with `reply`."""
        self.replies.insert(0, (method.upper(), re.compile(path_pattern), reply))

    def reply_for(self, method: str, path: str) -> Reply:
        for wanted, pattern, reply in self.replies:
            if wanted == method and pattern.search(path):
                return reply
        return Reply(404, {"message": f"no fake reply for {method} {path}"})

    def start(self) -> FakeProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


@cache
def _spec_dict(relative: str) -> dict:
    spec = json.loads((SPECS / relative).read_text())
    # Twilio repeats `servers` on every path item; match on the path alone.
    spec = copy.deepcopy(spec)
    spec["servers"] = [{"url": "/"}]
    for item in spec.get("paths", {}).values():
        item.pop("servers", None)
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("servers", None)
    return spec


@cache
def _openapi(relative: str) -> OpenAPI:
    return OpenAPI.from_dict(_spec_dict(relative))


class _SpecRequest:
    """A recorded request in the shape openapi-core reads."""

    def __init__(self, recorded: Recorded) -> None:
        self.host_url = "http://provider.test"
        self.path = recorded.path
        self.full_url_pattern = self.host_url + recorded.path
        self.method = recorded.method.lower()
        self.content_type = recorded.headers.get("content-type", "").split(";")[0].strip()
        self.body = recorded.body or None
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(recorded.query, keep_blank_values=True).items()),
            header=Headers(list(recorded.headers.items())),
        )


def assert_matches_spec(spec: str, recorded: Recorded) -> None:
    """Fail with the validator's words when a request breaks the vendor's OpenAPI document.

    `spec` is a path under vendor-specs/, e.g. "twilio/twilio_api_v2010.json".
    """
    _openapi(spec).validate_request(_SpecRequest(recorded))
