"""TEST ONLY: named points where the crash tests (tests/crash/) make the server die with SIGKILL.

``create_app`` arms at most one point from ``Settings.test_crash_point`` (``KASSA_TEST_CRASH_POINT``): ``name`` kills
the process the first time the code reaches ``reached(name)``, ``name:N`` the N-th time. Unarmed (always, in
production) ``reached`` is a comparison and nothing else. The points:

* ``part-stored``: a ``PutFilePart`` was committed, before its answer;
* ``import-applied``: an incoming message was applied, before its transaction commits;
* ``import-committed``: an incoming message was committed, before the client is told.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from kassa_server.errors import ConfigError

logger = logging.getLogger(__name__)

POINTS = ("part-stored", "import-applied", "import-committed")

_armed: str | None = None
_remaining = 0
_lock = threading.Lock()


def arm(spec: str) -> None:
    """Arm ``name`` or ``name:N``; an empty spec disarms."""
    global _armed, _remaining
    name, _, count = spec.partition(":")
    name = name.strip()
    if not name:
        _armed, _remaining = None, 0
        return
    if name not in POINTS:
        raise ConfigError(f"KASSA_TEST_CRASH_POINT: unknown point {name!r}, one of {', '.join(POINTS)}")
    if not (count or "1").isdigit():
        raise ConfigError(f"KASSA_TEST_CRASH_POINT: {spec!r} is not name or name:N")
    _armed, _remaining = name, int(count or 1)
    logger.warning("TEST ONLY: the server kills itself at crash point %s (time %s)", name, _remaining)


def reached(name: str) -> None:
    """Die here with SIGKILL if this point is armed and its count is up."""
    global _remaining
    if _armed != name:
        return
    with _lock:
        _remaining -= 1
        if _remaining > 0:
            return
    logger.warning("TEST ONLY: crash point %s reached, SIGKILL", name)
    os.kill(os.getpid(), signal.SIGKILL)
