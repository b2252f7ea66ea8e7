from __future__ import annotations

import platform

from kassa_server.allocator import limit_heap_retention


def test_the_mmap_threshold_is_fixed_where_glibc_is_the_allocator() -> None:
    assert limit_heap_retention() is (platform.libc_ver()[0] == "glibc")
