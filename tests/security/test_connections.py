"""Connection-level limits of the HTTP server (issue 14 §2, §3): head size, slow clients, idle and excess connections.

Before: a 64 MB header without credentials was read whole (+436 MB); a client that connected and sent nothing, or
sent a head byte by byte, held its connection forever; 2 × 10,300 idle connections exhausted the file descriptors and
new clients were reset.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from kassa_server.app import create_app
from kassa_server.settings import Limits, Settings
from kassa_server.transport.connections import effective_max_connections, http_protocol
from tests.live_server import live_server
from tests.soap_support import LOGIN, PASSWORD, make_infobase

PING = b"GET /kassa/ws/Exchange_2_0_1_6/ping HTTP/1.1\r\nHost: test\r\n"
WAIT = 20.0  # generous: the server's own timeouts below are 1 s


@pytest.fixture
def server(sqlite_url: str, request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    make_infobase(sqlite_url)
    limits: Limits = getattr(request, "param", Limits(header_timeout_seconds=1, body_timeout_seconds=1))
    app = create_app(Settings(database_url=sqlite_url, limits=limits))
    options: dict[str, Any] = {"http": http_protocol(limits), "timeout_keep_alive": limits.keep_alive_seconds}
    with live_server(app, **options) as base_url:
        _host, port = base_url.removeprefix("http://").split(":")
        yield base_url, int(port)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_head_over_the_limit_is_431_and_not_read_whole(server: tuple[str, int]) -> None:
    _, port = server
    with connect(port) as sock:
        sent = 0
        try:
            sock.sendall(PING + b"X-Big: ")
            while sent < 64 * 1024 * 1024:
                sock.sendall(b"a" * 65536)
                sent += 65536
        except OSError:  # the server closed the connection: the rest was never read
            pass
        assert sent < 16 * 1024 * 1024
        response = read_all(sock) if sent < 64 * 1024 * 1024 else b""
    assert response.startswith(b"HTTP/1.1 431") or response == b""


def test_a_head_just_over_the_limit_gets_431(server: tuple[str, int]) -> None:
    _, port = server
    with connect(port) as sock:
        sock.sendall(PING + b"X-Big: " + b"a" * (16 * 1024) + b"\r\n\r\n")
        assert read_all(sock).startswith(b"HTTP/1.1 431 ")


def test_a_connection_that_sends_nothing_is_closed(server: tuple[str, int]) -> None:
    _, port = server
    with connect(port) as sock:
        assert read_all(sock) == b""


def test_a_head_sent_too_slowly_gets_408(server: tuple[str, int]) -> None:
    _, port = server
    with connect(port) as sock:
        sock.sendall(PING)  # no blank line: the head never ends
        assert read_all(sock).startswith(b"HTTP/1.1 408 ")


def test_a_body_sent_too_slowly_gets_408(server: tuple[str, int]) -> None:
    _, port = server
    with connect(port) as sock:
        head = b"POST /kassa/ws/Exchange_2_0_1_6 HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n"
        sock.sendall(head + b"Content-Type: text/xml\r\n\r\n<soap")
        response = read_all(sock)
    assert response.startswith((b"HTTP/1.1 408 ", b"HTTP/1.1 401 "))  # 401: the app answered before the body ended


@pytest.mark.parametrize("server", [Limits(keep_alive_seconds=1)], indirect=True)
def test_an_idle_keep_alive_connection_is_dropped(server: tuple[str, int]) -> None:
    _, port = server
    with connect(port) as sock:
        sock.sendall(PING + b"\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 401 ")
        assert read_all(sock) == b""  # closed by the server after the keep-alive


@pytest.mark.parametrize("server", [Limits(max_connections=5, header_timeout_seconds=30)], indirect=True)
def test_connections_over_the_limit_get_503_and_are_closed(server: tuple[str, int]) -> None:
    base_url, port = server
    with ExitStack() as stack:
        idle = [stack.enter_context(connect(port)) for _ in range(5)]
        with connect(port) as extra:
            assert read_all(extra).startswith(b"HTTP/1.1 503 ")
        for sock in idle:
            sock.close()
    # the idle ones are gone: a real client is served again
    for _ in range(50):
        response = httpx.get(base_url + "/kassa/ws/Exchange_2_0_1_6/ping", auth=(LOGIN.encode(), PASSWORD.encode()))
        if response.status_code == 200:
            break
    assert response.status_code == 200


def test_the_connection_limit_keeps_descriptors_in_reserve() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    limits = Limits(max_connections=10**9, reserved_file_descriptors=64)
    assert effective_max_connections(limits) == soft - 64
    assert effective_max_connections(Limits(max_connections=10)) == min(10, soft - 64)


@pytest.mark.parametrize(
    "server", [Limits(max_connections=50, max_connections_per_address=5, header_timeout_seconds=30)], indirect=True
)
def test_one_address_cannot_take_every_connection(server: tuple[str, int]) -> None:
    base_url, port = server
    with ExitStack() as stack:
        idle = [stack.enter_context(connect(port)) for _ in range(5)]
        with connect(port) as extra:
            assert read_all(extra).startswith(b"HTTP/1.1 503 ")
        other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        with other:
            response = other.get(base_url + "/kassa/ws/Exchange_2_0_1_6/ping", auth=(LOGIN.encode(), PASSWORD.encode()))
        assert response.status_code == 200  # another client is served meanwhile
        assert len(idle) == 5
