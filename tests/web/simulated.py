"""One simulated «1С:Мобильная касса» (kassa_server.simulator) against the back office's server."""

from __future__ import annotations

from kassa_server.simulator import ConnectionParams, Device, DeviceConfig, SyncResult, clear_wsdl_cache


def device(server_url: str, factory_number: str, *, base: str = "kassa", **options: object) -> Device:
    host = server_url.removeprefix("http://")
    params = ConnectionParams(host, base, False, "Кассир", "kassa", factory_number)
    config = DeviceConfig(params, poll_interval=0.05, timeout=60, seed=1, **options)  # type: ignore[arg-type]
    return Device(config)


def cycles(server_url: str, factory_number: str, count: int = 1, **options: object) -> tuple[Device, SyncResult]:
    """Run ``count`` cycles (trade, then sync) of a fresh device; a fresh device trades from its second cycle on,
    once its first sync brought the goods."""
    clear_wsdl_cache()
    simulated = device(server_url, factory_number, **options)
    try:
        result = simulated.run_cycle()
        for _ in range(count - 1):
            result = simulated.run_cycle()
        return simulated, result
    finally:
        simulated.close()
