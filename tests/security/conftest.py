from __future__ import annotations

from tests.soap_support import soap_server  # noqa: F401  (fixture)
