"""``InterfaceVersion.GetVersions`` (soap-services.md §5): which versions of an interface the server offers."""

from __future__ import annotations

from typing import Any

from spyne import ServiceBase

from kassa_server.services.context import ServiceCall
from kassa_server.services.contract import INTERFACE_VERSION
from kassa_server.services.faults import soap_call
from kassa_server.services.values import array
from kassa_server.services.wire import operation

SERVICE = INTERFACE_VERSION.name
_operation = operation(INTERFACE_VERSION)
DATA_EXCHANGE_VERSIONS = ("2.0.1.6", "2.1.1.7")
"""Never 3.0.x: an SSL client would then look for Exchange_3_0_x_x, which is not implemented (§5)."""
DEFAULT_INTERFACE_VERSIONS: dict[str, tuple[str, ...]] = {
    "ОбменДанными": DATA_EXCHANGE_VERSIONS,
    "DataExchange": DATA_EXCHANGE_VERSIONS,
}


class InterfaceVersion(ServiceBase):
    __service_name__ = SERVICE

    @_operation
    def GetVersions(ctx: Any, InterfaceName: str) -> Any:
        def handle(call: ServiceCall) -> Any:
            versions = call.deps.interface_versions.get(InterfaceName or "", ())
            call.message = f"asked for {InterfaceName!r}"
            return array(list(versions))

        return soap_call(ctx, "GetVersions", handle)
