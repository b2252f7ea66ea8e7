"""spyne Applications for the three services, each for SOAP 1.1 and SOAP 1.2, as WSGI callables.

Dispatch is by the local name of the first child of ``soap:Body`` (document/literal wrapped); ``SOAPAction`` is not
required to match (soap-services.md §1.3). The WSDL clients see is rendered from ``contract.py`` by ``wsdl.py``, not
by spyne; the spyne signatures come from the same table (``wire.operation``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import spyne.const
from spyne import Application
from spyne.server.wsgi import WsgiApplication

from kassa_server.services.contract import (
    ENTERPRISE_DATA_EXCHANGE_1_0_1_1,
    EXCHANGE_2_0_1_6,
    INTERFACE_VERSION,
    ServiceContract,
)
from kassa_server.services.enterprisedata_exchange_1_0_1_1 import EnterpriseDataExchange_1_0_1_1
from kassa_server.services.exchange_2_0_1_6 import Exchange_2_0_1_6
from kassa_server.services.interface_version import InterfaceVersion
from kassa_server.services.protocol import EnvelopeLimits, KassaSoap11, KassaSoap12
from kassa_server.settings import Limits

WsgiApp = Callable[..., Any]

SERVICE_CLASSES: dict[str, type] = {
    EXCHANGE_2_0_1_6.name: Exchange_2_0_1_6,
    ENTERPRISE_DATA_EXCHANGE_1_0_1_1.name: EnterpriseDataExchange_1_0_1_1,
    INTERFACE_VERSION.name: InterfaceVersion,
}
CONTRACTS = (EXCHANGE_2_0_1_6, ENTERPRISE_DATA_EXCHANGE_1_0_1_1, INTERFACE_VERSION)
HEAVY_OPERATIONS = frozenset({"UploadData", "DownloadData", "PrepareDataForGetting", "PutData"})
"""Operations that build or import a whole exchange message: their number at once is ``Limits.heavy_calls``."""

# spyne logs every Fault with a traceback at ERROR; our faults are expected protocol answers, logged by faults.py.
# Its XML-syntax logger prints whole request bodies; the call journal keeps them already (up to a limit).
# spyne.server._base logs each malformed request (a client's Fault) with a traceback and nothing else at ERROR.
for _name in (
    "spyne.application",
    "spyne.application.server",
    "spyne.application.client",
    "spyne.protocol.soap.soap11.invalid",
    "spyne.server._base",
    "spyne.server.wsgi",  # logs each rejected request's whole error at ERROR; the journal keeps it, shortened
):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

# spyne runs a full gc.collect() after a call whenever the last one is more than MIN_GC_INTERVAL (1 s) old, to close
# file attachments early. We have none (parts are bytes), and on a loaded server that collection holds the GIL for
# tens of milliseconds every second (benchmarks/README.md, fleet). Python's own collector is enough.
spyne.const.MIN_GC_INTERVAL = float("inf")


RELEASED_AT_CLOSE = (
    "in_string",
    "in_document",
    "in_header_doc",
    "in_body_doc",
    "in_object",
    "out_object",
    "out_header_doc",
    "out_body_doc",
    "out_document",
    "out_string",
)
"""What a spyne method context holds of one call: the request and the response as strings, lxml trees and objects."""


INITIAL_CONTEXT_KEY = "kassa.spyne_initial_context"
"""Where the request's first spyne context waits in the WSGI environ for the end of the call."""


def _remember_initial_context(ctx: Any) -> None:
    ctx.transport.req_env[INITIAL_CONTEXT_KEY] = ctx


def release_call(ctx: Any) -> None:
    """Drop what a finished call's contexts hold (spyne's ``wsgi_close`` event; the response's strings are already in
    the WSGI iterator). spyne's contexts sit in reference cycles (a method context and its copies ↔ the transport and
    protocol contexts), so without this the request's and the response's lxml trees and strings stay until the cyclic
    collector runs: ~5 MB a call for a 1 MiB part, 20–30 MB of the server's peak during a first sync's downloads
    (benchmarks/README.md, goal 6). The first context (``wsgi_call``), which spyne copies into the method's, holds
    the request too."""
    initial = ctx.transport.req_env.pop(INITIAL_CONTEXT_KEY, None)
    for context in (ctx, initial):
        for name in RELEASED_AT_CLOSE:
            if context is not None and hasattr(context, name):
                setattr(context, name, None)


def wsgi_application(app: Application, max_request_body: int) -> WsgiApp:
    wsgi = WsgiApplication(app, max_content_length=max_request_body)
    wsgi.event_manager.add_listener("wsgi_call", _remember_initial_context)
    wsgi.event_manager.add_listener("wsgi_close", release_call)
    return wsgi


@dataclass(frozen=True)
class SoapService:
    contract: ServiceContract
    spyne_app: Application
    soap11: WsgiApp
    soap12: WsgiApp

    def wsgi_for(self, content_type: str) -> tuple[str, WsgiApp]:
        """SOAP 1.2 for ``application/soap+xml``, SOAP 1.1 otherwise (``text/xml``)."""
        if content_type.split(";")[0].strip().lower() == "application/soap+xml":
            return "1.2", self.soap12
        return "1.1", self.soap11


def build_application(
    contract: ServiceContract, protocol: Any, limits: EnvelopeLimits = EnvelopeLimits()
) -> Application:
    return Application(
        [SERVICE_CLASSES[contract.name]],
        tns=contract.tns,
        name=contract.name,
        in_protocol=protocol(limits),
        out_protocol=protocol(limits),
    )


def build_services(max_request_body: int, limits: Limits | None = None) -> dict[str, SoapService]:
    """Services keyed by the lower-cased service name and descriptor name (both match case-insensitively)."""
    limits = limits or Limits()
    envelope_limits = EnvelopeLimits(limits.max_xml_elements, limits.max_xml_attributes, limits.max_quoted_chars)
    out: dict[str, SoapService] = {}
    for contract in CONTRACTS:
        app11 = build_application(contract, KassaSoap11, envelope_limits)
        app12 = build_application(contract, KassaSoap12, envelope_limits)
        service = SoapService(
            contract=contract,
            spyne_app=app11,
            soap11=wsgi_application(app11, max_request_body),
            soap12=wsgi_application(app12, max_request_body),
        )
        out[contract.name.lower()] = service
        out[contract.descriptor.lower()] = service
    return out
