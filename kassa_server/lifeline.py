"""A worker process never outlives its supervisor (issue 13).

``kassa-server serve --workers N`` (and ``uvicorn --workers N``) runs a supervisor that spawns N worker processes
sharing the listening socket. If the supervisor dies without stopping them (SIGKILL, OOM killer, a crash), the workers
would go on serving, orphaned, with nothing to restart or stop them. ``exit_with_parent()``, called in each worker,
watches the supervisor through the pipe multiprocessing gives every spawned child (``parent_process().sentinel``,
readable once the parent is gone: no polling) and then stops the worker as a SIGTERM would (graceful: calls in flight
finish), and for good after ``grace`` seconds.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading

logger = logging.getLogger(__name__)

GRACE_SECONDS = 30.0

__all__ = ["exit_with_parent"]


def exit_with_parent(grace: float = GRACE_SECONDS) -> threading.Thread | None:
    """In a process spawned by ``multiprocessing``, start a daemon thread that ends this process when its parent
    dies; elsewhere (a single-process server, whose parent is a shell or a service manager) do nothing."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return None
    thread = threading.Thread(
        target=_watch, args=(parent.sentinel, parent.pid, grace), name="kassa-lifeline", daemon=True
    )
    thread.start()
    return thread


def _watch(sentinel: int, parent_pid: int | None, grace: float) -> None:
    multiprocessing.connection.wait([sentinel])
    logger.warning("the supervisor (pid %s) is gone: worker %s stops", parent_pid, os.getpid())
    os.kill(os.getpid(), signal.SIGTERM)
    # the server stops on SIGTERM after the calls in flight; a worker that has not exited by then is stopped for good
    threading.Event().wait(grace)
    os._exit(1)
