"""A finished call leaves nothing big behind: spyne's method context sits in reference cycles, so whatever it still
references (the request's and the response's lxml trees and strings) lives until the cyclic collector runs."""

from __future__ import annotations

import gc

from spyne import MethodContext

from kassa_server.services.application import RELEASED_AT_CLOSE
from tests.soap_support import SoapServer, zeep_client


def test_a_finished_call_keeps_neither_its_request_nor_its_response(soap_server: SoapServer) -> None:
    client = zeep_client(soap_server, "Exchange_2_0_1_6")
    client.service.Ping()  # the WSDL and the first call's one-time work
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            client.service.Ping()
        contexts = [o for o in gc.get_objects() if isinstance(o, MethodContext)]
        assert contexts, "spyne's contexts are no longer in reference cycles: this test no longer tests anything"
        held = {name for ctx in contexts for name in RELEASED_AT_CLOSE if getattr(ctx, name, None) is not None}
        assert held == set()
    finally:
        gc.enable()
