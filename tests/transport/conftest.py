from __future__ import annotations

import pytest

from tests.soap_support import FakeGateway


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()
