"""A real SOAP client of the 1C services: zeep reading the server's WSDL over HTTP with Basic auth.

Each device has its own HTTP session (credentials, connection pool); the parsed WSDL is shared per URL within the
process, so a fleet of a thousand devices parses each service's WSDL once. Calls go to `<base>/ws/<Service>`, not
to the WSDL's `soap:address`, as the SSL client does (soap-services.md §1.1 [V]).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import zeep
import zeep.exceptions
from zeep.transports import Transport
from zeep.wsdl import Document

from .connection import ConnectionParams

__all__ = ["CallRecorder", "SimulatorError", "SoapService", "clear_wsdl_cache"]

logger = logging.getLogger(__name__)

SETTINGS = zeep.Settings(strict=False, xml_huge_tree=True, forbid_dtd=True, forbid_entities=True, forbid_external=True)

_wsdl_cache: dict[str, Document] = {}
_wsdl_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_wsdl_cache_lock = threading.Lock()


def clear_wsdl_cache() -> None:
    with _wsdl_cache_lock:
        _wsdl_cache.clear()


_KIND_WORDS = {
    "http_401": "wrong login or password",
    "http_403": "access denied",
    "http_404": "no such base or service at this address",
    "http_405": "the server refused the HTTP method",
    "http_413": "the request was too large for the server",
    "http_500": "the server failed",
    "http_502": "the proxy in front of the server failed",
    "http_503": "the server is unavailable",
    "http_504": "the proxy gave up waiting for the server",
    "connection": "cannot connect to the server",
    "timeout": "the server did not answer in time",
    "fault": "the server answered with a SOAP fault",
    "test_connection": "the server refused the connection test",
    "operation_failed": "a long operation on the server failed",
    "protocol": "the server's answer broke the protocol",
    "message": "a message could not be read or written",
    "client": "the simulator failed",
    "stopped": "stopped",
}


def describe(kind: str) -> str:
    """An error kind in words, with the HTTP status when it is one: ``http_401`` → ``wrong login or password
    (HTTP 401)``."""
    words = _KIND_WORDS.get(kind)
    status = kind.removeprefix("http_") if kind.startswith("http_") else ""
    if words is None:
        return f"HTTP error {status}" if status else kind.replace("_", " ")
    return f"{words} (HTTP {status})" if status else words


class SimulatorError(Exception):
    """A failed exchange step. `kind` groups errors in the summary: fault, http_401, connection, timeout,
    test_connection, operation_failed, protocol, message."""

    def __init__(self, kind: str, operation: str, message: str) -> None:
        super().__init__(f"{operation}: {describe(kind)}: {message}")
        self.kind = kind
        self.operation = operation
        self.message = message


@dataclass
class _OperationStats:
    latencies: list[float]
    errors: int = 0


class CallRecorder:
    """Thread-safe latencies and errors of every SOAP call and every full cycle of a run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.operations: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[tuple[str, str]] = Counter()  # (kind, operation) → count
        self.calls = 0

    def record_call(self, operation: str, seconds: float) -> None:
        with self._lock:
            self.calls += 1
            self.operations[operation].append(seconds)

    def record_error(self, kind: str, operation: str) -> None:
        with self._lock:
            self.errors[(kind, operation)] += 1

    def record_latency(self, name: str, seconds: float) -> None:
        with self._lock:
            self.operations[name].append(seconds)


def basic_authorization(user: str, password: str) -> str:
    """`Basic base64(UTF-8("<login>:<password>"))` (soap-services.md §1.2 [I]); Cyrillic logins stay UTF-8."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _error_from(exc: BaseException, operation: str) -> SimulatorError:
    if isinstance(exc, SimulatorError):
        return exc
    if isinstance(exc, zeep.exceptions.Fault):
        return SimulatorError("fault", operation, str(exc.message))
    if isinstance(exc, zeep.exceptions.TransportError):
        return SimulatorError(f"http_{exc.status_code}", operation, str(exc.message)[:200])
    if isinstance(exc, zeep.exceptions.XMLSyntaxError | zeep.exceptions.ValidationError | zeep.exceptions.Error):
        return SimulatorError("protocol", operation, str(exc))
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, OSError) and isinstance(status, int):  # requests.HTTPError while loading the WSDL
        return SimulatorError(f"http_{status}", operation, str(exc)[:200])
    if isinstance(exc, OSError):  # requests' exceptions derive from IOError
        kind = "timeout" if "timeout" in type(exc).__name__.lower() else "connection"
        return SimulatorError(kind, operation, str(exc)[:200])
    return SimulatorError("client", operation, f"{type(exc).__name__}: {exc}")


class _CheckedTransport(Transport):
    """zeep crashes on an error status with a non-SOAP body (it parses `Internal Server Error` as XML and gets
    None); report such answers as HTTP errors instead."""

    def post_xml(self, address: str, envelope: Any, headers: dict[str, str]) -> Any:
        response = super().post_xml(address, envelope, headers)
        if response.status_code >= 400 and b"Envelope" not in response.content[:4096]:
            raise zeep.exceptions.TransportError(
                f"HTTP {response.status_code}: {response.content[:200]!r}",
                status_code=response.status_code,
                content=response.content,
            )
        return response


class SoapService:
    """One 1C web service of one infobase as seen by one device."""

    def __init__(
        self,
        params: ConnectionParams,
        service: str,
        recorder: CallRecorder,
        *,
        timeout: float = 600.0,
    ) -> None:
        self.params = params
        self.service = service
        self.recorder = recorder
        self.transport = _CheckedTransport(timeout=timeout, operation_timeout=timeout)
        self.transport.session.headers["Authorization"] = basic_authorization(params.user, params.password)
        self._proxy: Any = None

    def _document(self) -> Document:
        url = self.params.wsdl_url(self.service)
        with _wsdl_cache_lock:
            document = _wsdl_cache.get(url)
            lock = _wsdl_locks[url]
        if document is not None:
            return document
        with lock:
            with _wsdl_cache_lock:
                document = _wsdl_cache.get(url)
            if document is None:
                started = time.perf_counter()
                try:
                    document = Document(url, self.transport, settings=SETTINGS)  # type: ignore[arg-type]  # zeep's annotation says type[Transport], it takes an instance
                except Exception as exc:
                    raise _error_from(exc, f"{self.service}.wsdl") from exc
                self.recorder.record_call(f"{self.service}.wsdl", time.perf_counter() - started)
                with _wsdl_cache_lock:
                    _wsdl_cache[url] = document
        return document

    @property
    def proxy(self) -> Any:
        if self._proxy is None:
            document = self._document()
            try:
                port = document.services[self.service].ports[f"{self.service}Soap"]
            except KeyError as exc:
                raise SimulatorError("protocol", "wsdl", f"no port {self.service}Soap in the WSDL") from exc
            client = zeep.Client(document, transport=self.transport, settings=SETTINGS)
            self._proxy = client.create_service(port.binding.name, self.params.service_url(self.service))
        return self._proxy

    def call(self, operation: str, **arguments: Any) -> Any:
        """Call `operation`, timing it; any failure becomes a SimulatorError (the caller records it)."""
        name = f"{self.service}.{operation}"
        started = time.perf_counter()
        try:
            result = getattr(self.proxy, operation)(**arguments)
        except Exception as exc:
            error = _error_from(exc, name)
            logger.debug("%s failed: %s", name, error)
            raise error from exc
        self.recorder.record_call(name, time.perf_counter() - started)
        return result

    def close(self) -> None:
        self.transport.session.close()


def field(result: Any, name: str) -> Any:
    """A response element by name; zeep returns a lone `return` as the bare value."""
    if result is None:
        return None
    try:
        return result[name]
    except (TypeError, KeyError, IndexError, AttributeError):
        return result if name == "return" else None
