"""Keep the server's resident memory close to what it uses: glibc malloc tuning, applied once per server process.

Parts of a large download are built as ~1.4 MB buffers (part, base64, envelope) in worker threads. glibc serves
blocks that big with mmap and returns them at once, but after the first such free it raises its mmap threshold
dynamically, so later ones come from the threads' heaps, where they stay resident after use: a cold 100k-goods sync
then peaked at 208–238 MB (benchmarks/README.md). A fixed threshold keeps them on mmap. No-op where glibc is absent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3
"""mallopt parameter number (glibc malloc.h); setting it also disables the dynamic threshold."""
MMAP_THRESHOLD_BYTES = 128 * 1024
"""glibc's initial default: blocks from 128 KiB up are mapped and unmapped individually."""


def limit_heap_retention() -> bool:
    """Fix glibc's mmap threshold; True when it was applied."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    log.debug("malloc mmap threshold fixed at %s bytes: %s", MMAP_THRESHOLD_BYTES, applied)
    return applied
