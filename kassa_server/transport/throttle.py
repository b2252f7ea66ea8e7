"""Failed-login throttling per (infobase, login) and per client address (issue 14 §4).

A key that failed ``max_failures`` times within ``window`` seconds is refused without a password check until its
oldest failure leaves the window. Memory is bounded: at most ``max_keys`` keys are tracked, the oldest dropped first.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class FailureCounter:
    def __init__(
        self, max_failures: int, window: float, *, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or None when it may try now."""
        if self.max_failures <= 0:
            return None
        now = self.clock()
        with self._lock:
            times = self._recent(key, now)
            if times is None or len(times) < self.max_failures:
                return None
            return max(times[0] + self.window - now, 0.0)

    def failed(self, key: str) -> bool:
        """Record a failure; True when ``key`` is now blocked (it just reached the limit)."""
        now = self.clock()
        with self._lock:
            times = self._recent(key, now)
            if times is None:
                if len(self._failures) >= self.max_keys:
                    self._failures.pop(next(iter(self._failures)))
                times = self._failures[key] = deque(maxlen=max(self.max_failures, 1))
            times.append(now)
            return 0 < self.max_failures == len(times)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times


class LoginThrottle:
    """Failures counted per (infobase, login) and per client address."""

    def __init__(
        self, per_login: int, per_address: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.logins = FailureCounter(per_login, window, clock=clock)
        self.addresses = FailureCounter(per_address, window, clock=clock)

    @staticmethod
    def login_key(infobase: str, login: str) -> str:
        return f"{infobase}\x00{login}"

    def retry_after(self, infobase: str, logins: list[str], address: str) -> float | None:
        waits = [self.logins.retry_after(self.login_key(infobase, login)) for login in logins]
        waits.append(self.addresses.retry_after(address))
        blocked = [wait for wait in waits if wait is not None]
        return max(blocked) if blocked else None

    def failed(self, infobase: str, logins: list[str], address: str) -> bool:
        """Record a failed check; True when this failure started a block (worth one journal entry)."""
        started = [self.logins.failed(self.login_key(infobase, login)) for login in logins[:1]]
        started.append(self.addresses.failed(address))
        return any(started)

    def succeeded(self, infobase: str, login: str) -> None:
        self.logins.succeeded(self.login_key(infobase, login))
