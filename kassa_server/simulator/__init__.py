"""A simulator of 1С:Мобильная касса, the app side of the exchange, for any 1С:Касса publication.

It talks HTTP only (zeep reading the server's WSDL) and imports nothing from the server package.
"""

from __future__ import annotations

from .connection import ConnectionParams, QrCodeError, parse_qr
from .device import Device, DeviceConfig, SyncResult
from .fleet import Fleet, FleetProgress, FleetSummary, Percentiles, register_devices
from .soap import CallRecorder, SimulatorError, clear_wsdl_cache

__all__ = [
    "CallRecorder",
    "ConnectionParams",
    "Device",
    "DeviceConfig",
    "Fleet",
    "FleetProgress",
    "FleetSummary",
    "Percentiles",
    "QrCodeError",
    "SimulatorError",
    "SyncResult",
    "clear_wsdl_cache",
    "parse_qr",
    "register_devices",
]
