"""The SOAP threads: where the transport runs blocking work (spyne, the database) off the event loop.

A plain ``ThreadPoolExecutor`` of ``Limits.worker_threads`` threads behind ``loop.run_in_executor``. anyio's
``to_thread.run_sync`` with a ``CapacityLimiter`` did the same for 50–100 µs of CPU a hop against 15 µs here (its
limiter, cancel scope and per-call look-ups of the running backend), and a sync cycle takes nine hops. As with anyio,
a cancelled caller (the server stopping) stops waiting at once, the thread finishes its call; work not yet started is
dropped; the caller's context variables go with the call.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class SoapThreads:
    def __init__(self, size: int) -> None:
        self.size = size
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="kassa-soap")

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` in one of the threads; waits its turn when all ``size`` are busy."""
        call = functools.partial(contextvars.copy_context().run, function, *args)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def close(self) -> None:
        """Drop the calls still waiting; those running finish in their threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)
